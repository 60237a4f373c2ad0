//! The LDAP backend (`kind = "ldap"`): checks passwords by binding to a directory and reads
//! POSIX accounts from it for NSS.
//!
//! # How a password is checked
//! - **Direct bind** (`user_dn = "uid={user},ou=people,…"`): bind as the template with
//!   `{user}` replaced by the RFC 4514-escaped name, then read the user's own entry (and,
//!   with `group_base`, search its groups) over that same connection, as the user. A wrong
//!   password and a user that does not exist both give `invalidCredentials`; Wicket then
//!   reads the DN and its parent over the service connection: noSuchObject for the DN with a
//!   visible parent is `Unknown` (so a later backend is asked), anything else `Rejected`
//!   (a directory that hides its entries cannot be asked, and the answer fails closed).
//! - **Search-then-bind** (`base`, `user_filter`, optional `bind_dn`): search as the service
//!   account (or anonymously) with `{user}` replaced by the RFC 4515-escaped name. No entry →
//!   `Unknown` (after a bind to a DN that does not exist, so that unknown users cost about the
//!   same as wrong passwords); more than one → `Rejected(BadCredentials)` and a warning in
//!   the log (an ambiguous filter must never let a password choose between accounts); exactly
//!   one → bind as its DN with the password.
//!
//! Before any network I/O: an empty (or non-UTF-8) password is `Rejected` — many servers
//! treat a DN with an empty password as a successful *unauthenticated* bind — and a name
//! that is empty, longer than 256 bytes or holds control characters is `Unknown`.
//!
//! Any connection, TLS, timeout or unexpected server answer is `Unavailable(reason)`, so the
//! chain answers "unavailable" (HTTP 503, PAM `AUTHINFO_UNAVAIL`) and never "wrong password".
//! Reasons never contain a password.
//!
//! # Identity
//! `name` is the entry's own value of `attributes.name` (its spelling, not the one typed),
//! plus display name, e-mail, uidNumber and gidNumber when present. Groups come from the
//! user entry's `memberOf` values (the first RDN's value, preferring the `group_name`
//! attribute type) or, when `group_base` is set, from a search with `group_filter`
//! (`{dn}` = the escaped user DN, `{user}` = the escaped name) reading `group_name`. A failed
//! group search makes the login `Unavailable`, never a login with fewer groups.
//!
//! # Connections
//! `url`/`urls` are tried in order for every new connection. `ldaps://` and StartTLS verify
//! the server against `ca_file` or the system roots; a failed StartTLS is an error, never a
//! fallback to plaintext. `timeout` bounds the connect (TCP + TLS + StartTLS) and each
//! operation. Two small pools keep connections open: one bound as the service account (or
//! anonymous) for searches and lookups, one for user binds, so a user's bind never changes
//! the identity of the service connection. A connection that fails is dropped with its pool
//! and the operation retried once on a new connection, so a restarted server is used again
//! at once.
//!
//! ldap3's synchronous client runs its own current-thread tokio runtime per connection:
//! call [`LdapBackend`] from a blocking thread (`spawn_blocking`), never from async code.
//!
//! # Lookups
//! [`LdapBackend`] is also a [`Directory`](crate::directory::Directory), through the service
//! connection, with a TTL cache (`cache_ttl`; negative answers at most 10 s). See the
//! `lookup` module for what counts as a POSIX user or group.

mod cache;
mod conn;
mod dn;
mod entry;
pub mod escape;
mod lookup;
mod settings;
mod verify;

pub use escape::{escape_dn_value, escape_filter_value};

use crate::clock::SharedClock;
use crate::config::LdapConfig;
use crate::directory::{PosixGroup, PosixUser};
use crate::error::Result;
use cache::{MAX_ENTRIES, TtlCache};
use conn::{Conn, Failure, Pool};
use lookup::{GroupKey, UserKey};
use settings::Settings;
use std::sync::OnceLock;

/// Idle connections kept per pool (the daemon runs blocking work behind a semaphore sized to
/// the cores, so more would sit unused).
const POOL_SIZE: usize = 4;

/// `kind = "ldap"`: a password backend and a POSIX directory over LDAP.
#[derive(Debug)]
pub struct LdapBackend {
    settings: Settings,
    /// Connections bound as the service account (or anonymous): searches and lookups.
    service: Pool,
    /// Connections used for user binds only.
    binder: Pool,
    users: TtlCache<UserKey, Option<PosixUser>>,
    groups: TtlCache<GroupKey, Option<PosixGroup>>,
    memberships: TtlCache<String, Vec<PosixGroup>>,
    /// Where group lookups search without `group_base`, found once from the root DSE.
    group_search_base: OnceLock<String>,
}

impl LdapBackend {
    /// Builds the backend: checks the config, reads `bind_password_file` and `ca_file` (an
    /// unreadable file is an error naming it). No connection is made yet, so a directory that
    /// is down does not stop the daemon from starting.
    pub fn new(cfg: &LdapConfig, clock: SharedClock) -> Result<Self> {
        let settings = Settings::from_config(cfg)?;
        if settings.tls.is_none() && settings.service.is_some() {
            ldap3::log::warn!(
                "ldap backend: {} is plaintext (no ldaps://, no starttls): passwords cross the network in clear",
                settings.urls.join(", ")
            );
        }
        let ttl = settings.cache_ttl.as_secs();
        Ok(Self {
            settings,
            service: Pool::new(POOL_SIZE),
            binder: Pool::new(POOL_SIZE),
            users: TtlCache::new(clock.clone(), ttl, MAX_ENTRIES),
            groups: TtlCache::new(clock.clone(), ttl, MAX_ENTRIES),
            memberships: TtlCache::new(clock, ttl, MAX_ENTRIES),
            group_search_base: OnceLock::new(),
        })
    }

    /// A new connection bound as the service account (or anonymous without `bind_dn`).
    fn open_service(&self) -> std::result::Result<Conn, Failure> {
        let mut c = Conn::open(&self.settings)?;
        if let Some((dn, pw)) = &self.settings.service {
            // The password was checked to be UTF-8 when the settings were built.
            let pw = pw.expose_str().unwrap_or_default();
            match c.bind(dn, pw) {
                Ok(()) => {}
                Err(Failure::Code { rc, .. }) => return Err(Failure::Code { rc, op: "service account bind" }),
                Err(e) => return Err(e),
            }
        }
        Ok(c)
    }

    /// A new connection for a user bind.
    fn open_binder(&self) -> std::result::Result<Conn, Failure> {
        Conn::open(&self.settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Backend, BackendAnswer, Rejection};
    use crate::clock::ManualClock;
    use crate::config::{BackendConfig, Config};
    use crate::directory::Directory;
    use crate::secret::Secret;
    use std::sync::Arc;

    /// A backend pointed at a closed loopback port.
    fn nowhere(extra: &str) -> LdapBackend {
        let text = format!("[[backend]]\nkind = \"ldap\"\nurl = \"ldap://127.0.0.1:1\"\ntimeout = \"2s\"\n{extra}");
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let Some(BackendConfig::Ldap(l)) = cfg.backend.first() else { panic!("not ldap") };
        LdapBackend::new(l, Arc::new(ManualClock::new(0))).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn refusals_before_any_network_io() {
        for extra in ["user_dn = \"uid={user},ou=people,dc=x\"\n", "base = \"dc=x\"\n"] {
            let b = nowhere(extra);
            let rejected = BackendAnswer::Rejected(Rejection::BadCredentials);
            // The server is unreachable: any answer but Unavailable proves no I/O was tried.
            assert_eq!(b.verify_password("alice", &Secret::from("")), rejected);
            assert_eq!(b.verify_password("alice", &Secret::new(vec![0xff, 0xfe])), rejected);
            for bad in ["", "alice\0", "al\nice", &"x".repeat(257)] {
                assert_eq!(b.verify_password(bad, &Secret::from("pw")), BackendAnswer::Unknown, "{bad:?}");
                assert_eq!(b.user_by_name(bad), Ok(None));
                assert_eq!(b.group_by_name(bad), Ok(None));
                assert_eq!(b.groups_of(bad), Ok(vec![]));
            }
        }
    }

    #[test]
    fn a_dead_server_is_unavailable_never_a_wrong_password() {
        let b = nowhere("base = \"dc=x\"\n");
        let answer = b.verify_password("alice", &Secret::from("pw-alice"));
        let BackendAnswer::Unavailable(why) = answer else { panic!("{answer:?}") };
        assert!(why.contains("127.0.0.1:1") && !why.contains("pw-alice"), "{why}");
        // Refused at once, not waited on until the timeout.
        assert!(why.contains("Connection refused") && !why.contains("timed out"), "{why}");
        assert!(b.user_by_uid(1).is_err());
    }
}
