//! `wicket store copy FROM TO`: every row of one store into another, empty one — SQLite
//! into PostgreSQL when a second instance comes, or back. Ids, timestamps, password hashes,
//! Digest values, token hashes, sessions, sealed TOTP secrets and the event trail are
//! copied as they are, in one transaction of the target; nothing is re-hashed or opened.
//! The source is only read (once migrated, as by any command). Needs no configuration file.

use crate::CmdResult;
use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use wicket_core::store::StoreLocation;
use wicket_core::store::dump::StoreDump;
use wicket_core::store::postgres::PgStore;
use wicket_core::store::sqlite::SqliteStore;

/// `wicket store …`.
#[derive(Debug, clap::Subcommand)]
pub enum StoreCmd {
    /// Copy every row of one store into a new, empty one (an SQLite path or a
    /// postgresql:// URL each), keeping ids and timestamps; prints the counts.
    Copy(CopyArgs),
}

/// `store copy` options.
#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The store to read: an SQLite file (it must exist) or a postgresql:// URL.
    from: String,
    /// The store to fill: an SQLite file (created if missing) or a postgresql:// URL; it
    /// must hold no data.
    to: String,
    /// A file whose first line is FROM's PostgreSQL password.
    #[arg(long, value_name = "PATH")]
    from_password_file: Option<PathBuf>,
    /// A file whose first line is TO's PostgreSQL password.
    #[arg(long, value_name = "PATH")]
    to_password_file: Option<PathBuf>,
}

/// How long to wait for a lock (the target's write lock, a busy SQLite file).
const BUSY: Duration = Duration::from_secs(30);

pub fn run(cmd: StoreCmd) -> CmdResult {
    let StoreCmd::Copy(args) = cmd;
    let from = StoreLocation::parse(&args.from)?;
    let to = StoreLocation::parse(&args.to)?;
    if from == to {
        bail!("FROM and TO are the same store");
    }
    if let StoreLocation::Sqlite(p) = &from
        && !p.exists()
    {
        bail!("no database at {}", p.display());
    }
    let dump =
        dump(&from, args.from_password_file.as_deref()).with_context(|| format!("while reading {}", from.display()))?;
    let new_file = matches!(&to, StoreLocation::Sqlite(p) if !p.exists());
    if let Err(e) = load(&to, args.to_password_file.as_deref(), &dump) {
        // A file this command created holds nothing: leave no empty database behind.
        if let (true, StoreLocation::Sqlite(p)) = (new_file, &to) {
            remove_sqlite(p);
        }
        return Err(e.context(format!("while writing {}", to.display())));
    }
    for (table, n) in dump.counts() {
        println!("{table:<20} {n}");
    }
    eprintln!("copied {} into {}", from.display(), to.display());
    Ok(ExitCode::SUCCESS)
}

fn dump(at: &StoreLocation, password_file: Option<&Path>) -> Result<StoreDump> {
    Ok(match at {
        StoreLocation::Sqlite(p) => SqliteStore::open(p, BUSY)?.dump()?,
        StoreLocation::Postgres(url) => PgStore::open(url, password_file, BUSY)?.dump()?,
    })
}

fn load(at: &StoreLocation, password_file: Option<&Path>, dump: &StoreDump) -> Result<()> {
    match at {
        StoreLocation::Sqlite(p) => SqliteStore::open(p, BUSY)?.load(dump)?,
        StoreLocation::Postgres(url) => PgStore::open(url, password_file, BUSY)?.load(dump)?,
    }
    Ok(())
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}
