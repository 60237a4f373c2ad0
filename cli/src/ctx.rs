//! What every command needs: the configuration (or a bare `--db`), the clock, and the ways
//! to open the store.

use crate::Cli;
use anyhow::{Result, anyhow, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wicket_core::accounts::Accounts;
use wicket_core::clock::{SharedClock, SystemClock};
use wicket_core::config::{Config, DEFAULT_CONFIG_PATH};
use wicket_core::duration::{parse_date, parse_duration, sanitize};
use wicket_core::local::PasswordPolicy;
use wicket_core::store::{StoreLocation, UserStore, open_store};

/// Everything a command needs.
pub struct Ctx {
    pub cfg: Config,
    pub clock: SharedClock,
}

impl Ctx {
    pub fn load(cli: &Cli) -> Result<Self> {
        Self::load_paths(cli.config.clone(), cli.db.clone())
    }

    /// [`Ctx::load`] from the two global options.
    pub fn load_paths(config: Option<PathBuf>, db: Option<String>) -> Result<Self> {
        let mut cfg = match &config {
            Some(p) => Config::load(p)?,
            None if Path::new(DEFAULT_CONFIG_PATH).exists() => Config::load(Path::new(DEFAULT_CONFIG_PATH))?,
            None if db.is_some() => Config::default(),
            None => bail!("no config at {DEFAULT_CONFIG_PATH}; pass --config PATH or --db PATH"),
        };
        if let Some(db) = db {
            match StoreLocation::parse(&db)? {
                StoreLocation::Sqlite(path) => {
                    cfg.store.path = path;
                    cfg.store.url = None;
                }
                StoreLocation::Postgres(url) => cfg.store.url = Some(url),
            }
            cfg.store.password_file = None;
        }
        Ok(Self { cfg, clock: Arc::new(SystemClock) })
    }

    /// Opens the store, creating it if needed (commands that write).
    pub fn store(&self) -> Result<Box<dyn UserStore>> {
        Ok(open_store(&self.cfg.store)?)
    }

    /// Opens an existing store (commands that only read: a mistyped path is an error, not
    /// a new empty database).
    pub fn existing_store(&self) -> Result<Box<dyn UserStore>> {
        // A PostgreSQL database is made by its administrator; only a file can be mistyped.
        if let StoreLocation::Sqlite(p) = StoreLocation::from_config(&self.cfg.store)
            && !p.exists()
        {
            bail!("no database at {} (it is created by the first `wicket user add`)", p.display());
        }
        self.store()
    }

    pub fn policy(&self) -> Result<PasswordPolicy> {
        Ok(PasswordPolicy::from_config(&self.cfg)?)
    }

    /// Runs `f` with the accounts service over the store (created if needed): every write
    /// goes through it, with the configured password policy and realm.
    pub fn write<T>(&self, f: impl FnOnce(&mut Accounts<'_>) -> Result<T>) -> Result<T> {
        let mut store = self.store()?;
        let policy = self.policy()?;
        f(&mut Accounts::new(store.as_mut(), &policy, &self.cfg.users))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// `90d`, `2027-01-31`, `now` → Unix time.
    pub fn when(&self, text: &str) -> Result<i64> {
        self.when_from(text, self.now())
    }

    /// Like [`Ctx::when`], a duration counted from `now` (one reading of the clock for a
    /// command that also records when it ran).
    pub fn when_from(&self, text: &str, now: i64) -> Result<i64> {
        if text == "now" {
            return Ok(now);
        }
        if let Some(t) = parse_date(text) {
            return Ok(t);
        }
        let d = parse_duration(text).map_err(|_| {
            anyhow!("invalid time `{}`: use a duration (30d, 12h) or a date (2027-01-31)", sanitize(text))
        })?;
        let secs = i64::try_from(d.as_secs()).map_err(|_| anyhow!("duration too long"))?;
        now.checked_add(secs).ok_or_else(|| anyhow!("duration too long"))
    }
}
