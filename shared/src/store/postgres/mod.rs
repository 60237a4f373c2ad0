//! The PostgreSQL store, for several wicketd sharing one database: one [`PgStore`] is one
//! connection (wicketd pools them like SQLite connections).
//!
//! It keeps the guarantees of [`UserStore`](super::UserStore) the way the SQLite store does:
//! the same tables, versioned migrations (`schema.rs`, recorded in `schema_migrations`, all
//! applied in one transaction), and PL/pgSQL triggers that move the generation counter and
//! end sessions, so no write path — and no other process — can forget them. SQLite has one
//! writer at a time; here every mutating method is one transaction that first takes one
//! transaction-scoped advisory lock ([`WRITE_LOCK`]), so writers are serialised the same
//! way (uid allocation, the TOTP step, recovery codes and token touches cannot interleave).
//! Reads take no lock. `[store] busy_timeout` becomes `lock_timeout`, `statement_timeout`
//! and the connect timeout: a writer that cannot get its turn answers [`Error::Busy`].
//!
//! The `postgres` client blocks on a runtime of its own, which tokio refuses inside another
//! runtime's thread; wicketd reads the generation counter on its reactor. Each call made
//! from a worker of a multi-threaded runtime therefore runs in `block_in_place`.
//!
//! wicketd does not read the counter per request here: [`GenerationWatch`] keeps it in
//! memory from `LISTEN wicket_generation` (migration 9 notifies every move), and falls back
//! to reading it while that connection is down (see `listen.rs`).
//!
//! A connection that broke (the server restarted) is replaced on the next call, so wicketd
//! recovers without a restart; the call that found it broken fails (wicketd answers 503).
//! Errors carry the URL without its password and PostgreSQL's message without its DETAIL
//! (which can quote stored values).

mod connect;
mod digest;
mod digest_nonces;
mod dump;
mod edit;
mod events;
mod groups;
mod identities;
mod invites;
mod listen;
mod passkeys;
mod schema;
mod sessions;
mod store_impl;
mod tokens;
mod totp;
mod users;

use crate::config::StoreUrl;
use crate::error::{Error, Result};
use postgres::{Client, Transaction};
use std::cell::{RefCell, RefMut};
use std::path::Path;
use std::time::Duration;

pub use listen::GenerationWatch;
pub use schema::SCHEMA_VERSION;

/// The advisory lock every write transaction takes first (an arbitrary constant: "wicket").
pub const WRITE_LOCK: i64 = 0x7769_636b_6574;

/// One connection to a PostgreSQL store.
pub struct PgStore {
    conn: RefCell<Option<Client>>,
    target: connect::Target,
    location: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("location", &self.location).finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    /// Closing a connection blocks too.
    fn drop(&mut self) {
        use tokio::runtime::{Handle, RuntimeFlavor};
        let client = self.conn.get_mut().take();
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Err(_) => drop(client),
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| drop(client)),
            // Closing would panic here; the socket closes when the process ends.
            Ok(_) => std::mem::forget(client),
        }
    }
}

/// Runs `f`, which blocks (a query, or a connection made: the client starts a runtime of its
/// own, which panics on a thread that drives async tasks), outside any tokio runtime's
/// context: on a multi-threaded runtime's worker it moves the worker's tasks elsewhere first.
fn off_runtime<T>(location: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Err(_) => f(),
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        Ok(_) => Err(Error::Store {
            location: location.to_string(),
            message: "the PostgreSQL store cannot be used on a single-threaded async runtime".into(),
        }),
    }
}

/// A PostgreSQL error as the core's, without a password or stored data.
pub(crate) type PgErr<'a> = &'a dyn Fn(postgres::Error) -> Error;

impl PgStore {
    /// Connects (the password from the URL or `password_file`) and migrates.
    pub fn open(url: &StoreUrl, password_file: Option<&Path>, busy_timeout: Duration) -> Result<Self> {
        let target = connect::Target::new(url, password_file, busy_timeout)?;
        let location = url.redacted();
        let client = off_runtime(&location, || target.connect(&location))?;
        let store = Self { conn: RefCell::new(Some(client)), target, location };
        store.migrate()?;
        Ok(store)
    }

    /// Where the store is, without the password.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The live connection, made again if the last one broke.
    fn client(&self) -> Result<RefMut<'_, Client>> {
        let mut slot = self.conn.try_borrow_mut().map_err(|_| self.fail("connection already in use"))?;
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = None;
            *slot = Some(self.target.connect(&self.location)?);
        }
        RefMut::filter_map(slot, Option::as_mut).map_err(|_| self.fail("no connection"))
    }

    fn fail(&self, message: &str) -> Error {
        Error::Store { location: self.location.clone(), message: message.to_string() }
    }

    /// Runs one read (a statement outside any transaction).
    fn read<T>(&self, f: impl FnOnce(&mut Client, PgErr<'_>) -> Result<T>) -> Result<T> {
        self.blocking(|| {
            let e = |err| map_err(&self.location, err);
            let mut client = self.client()?;
            f(&mut client, &e)
        })
    }

    /// Runs `f` in one write transaction under [`WRITE_LOCK`]; an error rolls it all back.
    fn write<T>(&self, f: impl FnOnce(&mut Transaction<'_>, PgErr<'_>) -> Result<T>) -> Result<T> {
        self.blocking(|| {
            let e = |err| map_err(&self.location, err);
            let mut client = self.client()?;
            let mut tx = client.transaction().map_err(e)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK]).map_err(e)?;
            let out = f(&mut tx, &e)?;
            tx.commit().map_err(e)?;
            Ok(out)
        })
    }

    /// Runs `f`, which blocks, outside any tokio runtime's context (see the module docs).
    fn blocking<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        off_runtime(&self.location, f)
    }

    fn migrate(&self) -> Result<()> {
        let location = self.location.clone();
        self.write(|tx, e| schema::migrate(tx, e, &location))
    }

    /// The change counter (see the trait's docs).
    pub fn generation(&self) -> Result<i64> {
        self.read(|c, e| {
            let row = c.query_one("SELECT value FROM meta WHERE key = 'generation'", &[]).map_err(e)?;
            row.try_get(0).map_err(e)
        })
    }

    /// A health check: the connection answers and the schema is this build's.
    pub fn integrity_check(&self) -> Result<String> {
        self.read(|c, e| {
            let row = c.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).map_err(e)?;
            let version: i64 = row.try_get(0).map_err(e)?;
            Ok(if version == SCHEMA_VERSION {
                "ok".to_string()
            } else {
                format!("schema version {version}, expected {SCHEMA_VERSION}")
            })
        })
    }
}

/// PostgreSQL's error as the core's: lock and statement timeouts, serialisation failures
/// and deadlocks are [`Error::Busy`]; the rest [`Error::Store`] with the severity, message
/// and SQLSTATE only (the DETAIL can quote a stored value, such as a token hash).
pub(crate) fn map_err(location: &str, e: postgres::Error) -> Error {
    use postgres::error::SqlState;
    let busy = [
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::QUERY_CANCELED,
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
    ];
    if e.code().is_some_and(|c| busy.contains(c)) {
        return Error::Busy(location.to_string());
    }
    let message = match e.as_db_error() {
        Some(db) => format!("{}: {} ({})", db.severity(), db.message(), db.code().code()),
        None => with_causes(&e),
    };
    Error::Store { location: location.to_string(), message }
}

/// An error and its causes on one line (a failed TLS handshake says why: the certificate's
/// issuer unknown, the name not in it), each cause once.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

/// An `i64` column holding a uid or gid (the schema keeps them in `0..=u32::MAX`).
pub(crate) fn id32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Revokes the unrevoked tokens of user `id` at `now`; how many.
pub(crate) fn revoke_tokens_of(tx: &mut Transaction<'_>, e: PgErr<'_>, id: i64, now: i64) -> Result<u64> {
    tx.execute("UPDATE tokens SET revoked_at = $1 WHERE owner_id = $2 AND revoked_at IS NULL", &[&now, &id]).map_err(e)
}
