//! Opening the configured store: an SQLite file or, with the `postgres` feature, a
//! PostgreSQL database. wicketd's pool, the CLI and `wicket store copy` open stores here.

use super::UserStore;
use super::sqlite::SqliteStore;
use crate::config::{StoreConfig, StoreUrl};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where a store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(StoreUrl),
}

impl StoreLocation {
    /// The configured store: `url` when set, else `path`.
    pub fn from_config(cfg: &StoreConfig) -> Self {
        match &cfg.url {
            Some(url) => Self::Postgres(url.clone()),
            None => Self::Sqlite(cfg.path.clone()),
        }
    }

    /// A `postgresql://` URL, or else a file path.
    pub fn parse(text: &str) -> Result<Self> {
        if text.contains("://") {
            return StoreUrl::parse(text).map(Self::Postgres).map_err(Error::Invalid);
        }
        Ok(Self::Sqlite(PathBuf::from(text)))
    }

    /// For messages: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Self::Sqlite(p) => p.display().to_string(),
            Self::Postgres(u) => u.redacted(),
        }
    }

    /// Opens (creating or migrating) the store here.
    pub fn open(&self, password_file: Option<&Path>, busy_timeout: Duration) -> Result<Box<dyn UserStore>> {
        match self {
            Self::Sqlite(path) => Ok(Box::new(SqliteStore::open(path, busy_timeout)?)),
            #[cfg(feature = "postgres")]
            Self::Postgres(url) => Ok(Box::new(super::postgres::PgStore::open(url, password_file, busy_timeout)?)),
            #[cfg(not(feature = "postgres"))]
            Self::Postgres(url) => {
                let _ = password_file;
                Err(Error::Store {
                    location: url.redacted(),
                    message: "this build has no PostgreSQL support (the `postgres` feature)".into(),
                })
            }
        }
    }
}

/// How wicketd learns that the change counter moved without asking the store per request:
/// PostgreSQL's notifications (see `postgres/listen.rs`). `None` for SQLite, whose counter
/// is a local read: the caller reads [`UserStore::generation`] per request as before. The
/// watch answers `None` itself while its connection is down; the caller then reads too.
pub fn watch_generation(cfg: &StoreConfig) -> Result<Option<GenerationWatch>> {
    match StoreLocation::from_config(cfg) {
        StoreLocation::Sqlite(_) => Ok(None),
        #[cfg(feature = "postgres")]
        StoreLocation::Postgres(url) => {
            GenerationWatch::start(&url, cfg.password_file.as_deref(), cfg.busy_timeout).map(Some)
        }
        // Opening the store itself fails with the reason.
        #[cfg(not(feature = "postgres"))]
        StoreLocation::Postgres(_) => Ok(None),
    }
}

#[cfg(feature = "postgres")]
pub use super::postgres::GenerationWatch;

/// Without the `postgres` feature there is nothing to watch.
#[cfg(not(feature = "postgres"))]
#[derive(Debug)]
pub struct GenerationWatch(std::convert::Infallible);

#[cfg(not(feature = "postgres"))]
impl GenerationWatch {
    /// Never called: no value of this type exists.
    pub fn current(&self) -> Option<i64> {
        match self.0 {}
    }

    /// Never called: no value of this type exists.
    pub fn attach_throttle(&self, _: &std::sync::Arc<crate::throttle::Throttle>) {
        match self.0 {}
    }
}

/// Opens the store `[store]` names.
pub fn open_store(cfg: &StoreConfig) -> Result<Box<dyn UserStore>> {
    StoreLocation::from_config(cfg).open(cfg.password_file.as_deref(), cfg.busy_timeout)
}
