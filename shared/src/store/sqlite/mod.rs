//! The SQLite store, the embedded default: one [`SqliteStore`] is one connection.
//!
//! The file is created 0600 (SQLite gives its `-wal` and `-shm` files the same mode), opened
//! in WAL mode with a busy timeout, and migrated in order (`schema.rs`). Every public mutating
//! method is one `BEGIN IMMEDIATE` transaction: it either commits whole or leaves the file
//! untouched. All SQL is parameterized. Triggers bump the generation counter (see the
//! migration), so no write path can forget it. The methods are inherent (callers that hold
//! a `SqliteStore` need no trait import); [`UserStore`](super::UserStore) forwards to them.

mod digest;
mod dump;
mod edit;
mod events;
mod groups;
mod identities;
mod invites;
mod passkeys;
mod schema;
mod sessions;
mod store_impl;
mod tokens;
mod totp;
mod users;

use crate::error::{Error, Result};
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};
use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Schema version this build writes.
pub const SCHEMA_VERSION: i64 = schema::MIGRATIONS.len() as i64;

/// One connection to an SQLite store.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating it 0600 if missing) and migrates the database at `path`.
    pub fn open(path: &Path, busy_timeout: Duration) -> Result<Self> {
        if path.is_dir() {
            return Err(Error::NotADatabase { path: path.to_path_buf(), why: "is a directory" });
        }
        create_private_file(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| map_err(path, e))?;
        let mut store = Self { conn, path: path.to_path_buf() };
        store.configure(busy_timeout).map_err(|e| not_a_database(path, e))?;
        store.migrate()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Turns SQLite's error into the core's, naming this file.
    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        move |e| map_err(&self.path, e)
    }

    /// Raw SQLite errors: the caller tells "not a database" apart before converting.
    fn configure(&mut self, busy_timeout: Duration) -> rusqlite::Result<()> {
        self.conn.busy_timeout(busy_timeout)?;
        // Reading the schema version first makes "not a database" the first error a
        // corrupt file gives, before anything is written.
        let _: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let mode: String = self.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            let _: String = self.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        }
        self.conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
    }

    fn schema_version(&self) -> Result<i64> {
        self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(self.err())
    }

    fn migrate(&mut self) -> Result<()> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew { path: self.path.clone(), found, known: SCHEMA_VERSION });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        let path = self.path.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| map_err(&path, e))?;
        // Another process may have migrated while we waited for the lock.
        let mut version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| map_err(&path, e))?;
        while version < SCHEMA_VERSION {
            let step = schema::MIGRATIONS.get(usize::try_from(version).unwrap_or(usize::MAX)).copied().unwrap_or("");
            tx.execute_batch(step).map_err(|e| map_err(&path, e))?;
            version += 1;
            tx.execute_batch(&format!("PRAGMA user_version = {version}")).map_err(|e| map_err(&path, e))?;
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    fn write_tx(&mut self) -> Result<(Transaction<'_>, PathBuf)> {
        let path = self.path.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| map_err(&path, e))?;
        Ok((tx, path))
    }

    /// The change counter: bumped by every lock, password change, deletion, membership
    /// change or token revocation. wicketd's credential cache keys on it.
    pub fn generation(&self) -> Result<i64> {
        let mut stmt =
            self.conn.prepare_cached("SELECT value FROM meta WHERE key = 'generation'").map_err(self.err())?;
        stmt.query_row([], |r| r.get(0)).map_err(self.err())
    }

    /// `PRAGMA integrity_check` — `"ok"` for a healthy file.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(self.err())
    }
}

/// While opening: SQLite's "file is not a database" becomes one plain [`Error::NotADatabase`].
fn not_a_database(path: &Path, e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::NotADatabase => {
            Error::NotADatabase { path: path.to_path_buf(), why: "file is not a database" }
        }
        other => map_err(path, other),
    }
}

/// SQLite's error as the core's: busy and locked become [`Error::Busy`], the rest
/// [`Error::Store`] with SQLite's message (no `rusqlite` type crosses the module).
fn map_err(path: &Path, e: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) {
            return Error::Busy(path.display().to_string());
        }
    }
    Error::Store { location: path.display().to_string(), message: e.to_string() }
}

/// Creates the file 0600 if it does not exist, and its directory 0750 if that is missing.
fn create_private_file(path: &Path) -> Result<()> {
    let io = |e| Error::Io { path: path.to_path_buf(), source: e };
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o750)
                .create(dir)
                .map_err(|e| Error::Io { path: dir.to_path_buf(), source: e })?;
        }
    }
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(f) => adopt_directory_owner(path, &f).map_err(io),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e)),
    }
}

/// When root creates the store inside a directory owned by someone else (the `wicket`
/// service user's `/var/lib/wicket`), hand the file to that owner so the daemon can open it.
/// SQLite gives its `-wal`/`-shm` files the database file's owner when running as root.
fn adopt_directory_owner(path: &Path, file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else { return Ok(()) };
    let (me, parent) = (file.metadata()?, std::fs::metadata(dir)?);
    if me.uid() == 0 && parent.uid() != 0 {
        std::os::unix::fs::fchown(file, Some(parent.uid()), Some(parent.gid()))?;
    }
    Ok(())
}

#[cfg(test)]
mod external_tests;
#[cfg(test)]
mod tests;
