//! `[store]`: where the users live — an SQLite file (`path`, the default) or a PostgreSQL
//! database (`url`). Exactly one of the two; a URL's password is a secret ([`StoreUrl`]).

use super::de_duration;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The SQLite file used when `[store]` names neither `path` nor `url`.
pub const DEFAULT_STORE_PATH: &str = "/var/lib/wicket/wicket.db";

/// `[store]`
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawStoreConfig")]
pub struct StoreConfig {
    /// SQLite database file (ignored when `url` is set).
    pub path: PathBuf,
    /// A PostgreSQL database instead of the SQLite file.
    pub url: Option<StoreUrl>,
    /// A file holding the PostgreSQL password (first line), instead of one in the URL.
    pub password_file: Option<PathBuf>,
    /// How long a writer waits for another writer's lock (SQLite), or a statement may run
    /// (PostgreSQL's `statement_timeout`, `lock_timeout` and the connect timeout).
    pub busy_timeout: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from(DEFAULT_STORE_PATH),
            url: None,
            password_file: None,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStoreConfig {
    path: Option<PathBuf>,
    url: Option<String>,
    password_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "de_opt_duration")]
    busy_timeout: Option<Duration>,
}

fn de_opt_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    de_duration(d).map(Some)
}

impl TryFrom<RawStoreConfig> for StoreConfig {
    type Error = String;
    fn try_from(raw: RawStoreConfig) -> Result<Self, String> {
        let defaults = Self::default();
        let url = match (raw.path.is_some(), raw.url) {
            (true, Some(_)) => {
                return Err("store: set either path (SQLite) or url (PostgreSQL), not both".into());
            }
            (_, Some(u)) => Some(StoreUrl::parse(&u)?),
            (_, None) => None,
        };
        if raw.password_file.is_some() && url.is_none() {
            return Err("store.password_file is for a PostgreSQL url; SQLite has no password".into());
        }
        Ok(Self {
            path: raw.path.unwrap_or(defaults.path),
            url,
            password_file: raw.password_file,
            busy_timeout: raw.busy_timeout.unwrap_or(defaults.busy_timeout),
        })
    }
}

/// A `postgresql://` URL (or `postgres://`). Its `Debug` and [`StoreUrl::redacted`] hide the
/// password (in the user part or a `password=` parameter): it never reaches a log or error.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// Checks the scheme; the rest is the PostgreSQL client's to parse.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if !(text.starts_with("postgresql://") || text.starts_with("postgres://")) {
            return Err("store.url must start with postgresql:// (for SQLite use store.path)".into());
        }
        Ok(Self(text.to_string()))
    }

    /// The URL as given, password included: for the client only, never for display.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without its password, for messages and logs.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreUrl({:?})", self.redacted())
    }
}

/// `scheme://user:secret@host/db?password=secret` → `scheme://user:***@host/db?password=***`.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let authority_end = before_query.find('/').unwrap_or(before_query.len());
    let (authority, path) = before_query.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn a_url_or_a_path_but_not_both() {
        let c = Config::parse("[store]\nurl = \"postgresql://w:s3cret@db/wicket\"\nbusy_timeout = \"2s\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.store.url.as_ref().map(StoreUrl::expose), Some("postgresql://w:s3cret@db/wicket"));
        assert_eq!(c.store.busy_timeout, Duration::from_secs(2));
        assert!(!format!("{c:?}").contains("s3cret"), "the password stays out of Debug");
        let both = Config::parse("[store]\nurl = \"postgresql:///w\"\npath = \"/tmp/w.db\"\n");
        let msg = both.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("not both"), "{msg}");
        let sqlite = Config::parse("[store]\nurl = \"sqlite:///tmp/w.db\"\n");
        assert!(sqlite.err().map(|e| e.to_string()).unwrap_or_default().contains("postgresql://"));
        let pf = Config::parse("[store]\npassword_file = \"/etc/wicket/pg\"\n");
        assert!(pf.is_err(), "a password file without a url");
        let none = Config::parse("[store]\nbusy_timeout = \"1s\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(none.store.path, PathBuf::from(DEFAULT_STORE_PATH));
        assert!(none.store.url.is_none());
    }

    #[test]
    fn redaction_hides_every_spelling_of_the_password() {
        assert_eq!(redact("postgresql://w:pw@h:5432/db"), "postgresql://w:***@h:5432/db");
        assert_eq!(
            redact("postgresql://w@h/db?password=pw&sslmode=require"),
            "postgresql://w@h/db?password=***&sslmode=require"
        );
        assert_eq!(redact("postgresql:///wicket?host=/run/postgresql"), "postgresql:///wicket?host=/run/postgresql");
        assert_eq!(redact("postgresql://a:b@c@h/db"), "postgresql://a:***@h/db");
    }
}
