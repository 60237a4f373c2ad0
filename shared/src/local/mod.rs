//! The local backend: Wicket's own store (SQLite by default, any [`UserStore`]), argon2id,
//! tokens, Digest HA1 values.

mod directory;
mod nonces;

pub use crate::password::policy::PasswordPolicy;

use crate::accounts::Accounts;
use crate::auth::{Backend, BackendAnswer, Identity, Rejection};
use crate::clock::SharedClock;
use crate::config::{Config, DigestAlgorithm, UsersConfig};
use crate::duration::sanitize;
use crate::error::Result;
use crate::password::PasswordCheck;
use crate::secret::Secret;
use crate::store::{AccountState, GenerationWatch, TokenOwner, User, UserStore};
use crate::token;
use std::sync::{Arc, Mutex};

/// Opens one more connection to the store (the pool calls it when all are in use).
pub type StoreOpener = dyn Fn() -> Result<Box<dyn UserStore>> + Send + Sync;

/// `kind = "local"`.
///
/// Connections are pooled as `Box<dyn UserStore>`: the per-request reads (the generation
/// counter, a bearer token) cost one mutex pop and push and one dynamic call around the
/// query — nothing next to the query itself — and any store implementation fits.
pub struct LocalBackend {
    open: Box<StoreOpener>,
    policy: Arc<PasswordPolicy>,
    users: UsersConfig,
    clock: SharedClock,
    pool: Mutex<Vec<Box<dyn UserStore>>>,
    /// The change counter from the store's notifications (PostgreSQL), when it has them.
    watch: Option<GenerationWatch>,
}

impl std::fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pooled = self.pool.lock().map(|p| p.len()).unwrap_or(0);
        f.debug_struct("LocalBackend").field("policy", &self.policy).field("pooled", &pooled).finish_non_exhaustive()
    }
}

/// Connections kept open for reuse.
const POOL_SIZE: usize = 8;

impl LocalBackend {
    /// A backend over the configured store (SQLite or PostgreSQL). Opens (and migrates) it
    /// once to fail early.
    pub fn new(cfg: &Config, policy: Arc<PasswordPolicy>, clock: SharedClock) -> Result<Self> {
        let store = cfg.store.clone();
        let open = move || crate::store::open_store(&store);
        let mut backend = Self::with_opener(Box::new(open), cfg.users.clone(), policy, clock)?;
        backend.watch = crate::store::watch_generation(&cfg.store)?;
        Ok(backend)
    }

    /// A backend over any store: `open` makes a connection (called once now, to fail early,
    /// and again whenever the pool is empty).
    pub fn with_opener(
        open: Box<StoreOpener>,
        users: UsersConfig,
        policy: Arc<PasswordPolicy>,
        clock: SharedClock,
    ) -> Result<Self> {
        let first = open()?;
        Ok(Self { open, policy, users, clock, pool: Mutex::new(vec![first]), watch: None })
    }

    /// Runs `f` with a pooled connection.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut dyn UserStore) -> Result<T>) -> Result<T> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut store = match pooled {
            Some(s) => s,
            None => (self.open)()?,
        };
        let out = f(store.as_mut());
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL_SIZE {
            pool.push(store);
        }
        out
    }

    /// The password policy.
    pub fn policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// Runs `f` with the accounts service over a pooled connection (writes: password
    /// changes from the local socket).
    pub fn with_accounts<T>(&self, f: impl FnOnce(&mut Accounts<'_>) -> Result<T>) -> Result<T> {
        self.with_store(|s| f(&mut Accounts::new(s, &self.policy, &self.users)))
    }

    /// How many users with a password cannot use Digest in the configured realm (no HA1 for
    /// it, e.g. set under another realm or imported); `None` when Digest is not offered.
    pub fn users_without_digest(&self) -> Result<Option<u64>> {
        let algorithms = self.policy.digest_algorithms();
        if algorithms.is_empty() {
            return Ok(None);
        }
        self.with_store(|s| s.users_without_ha1(self.policy.realm(), algorithms)).map(Some)
    }

    /// Logs, at start, how many users cannot use Digest in the configured realm.
    pub fn log_digest_coverage(&self) {
        let realm = self.policy.realm();
        match self.users_without_digest() {
            Ok(None | Some(0)) => {}
            Ok(Some(n)) => tracing::warn!(
                "{n} local user(s) cannot use Digest in realm \"{}\": their password was set under another \
                 realm or imported; it works after one Basic login or `wicket --config <this file> user passwd`",
                sanitize(realm)
            ),
            Err(e) => tracing::warn!("cannot count the users without Digest values: {e}"),
        }
    }

    /// Best effort, after `password` verified against `stored`: adds the HA1 values the
    /// configured realm and algorithms lack (a password set under another realm, or
    /// imported), so Digest works from now on. Only while `stored` is still the hash.
    fn refresh_digest(&self, name: &str, stored: &str, password: &Secret) {
        let wanted = self.policy.digest_algorithms();
        if wanted.is_empty() {
            return;
        }
        let realm = self.policy.realm();
        let _ = self.with_store(|s| {
            let have = s.ha1_algorithms(name, realm, wanted)?;
            let missing: Vec<DigestAlgorithm> = wanted.iter().copied().filter(|a| !have.contains(a)).collect();
            if missing.is_empty() {
                return Ok(false);
            }
            s.refresh_ha1(name, stored, &self.policy.ha1_entries(name, password, &missing))
        });
    }

    /// Checks a bearer token: shape and checksum first (no database work for garbage),
    /// then its hash, revocation, expiry and the owner's state. Returns the token's row id
    /// with an acceptance, so the caller can record its use.
    pub fn verify_token(&self, presented: &Secret) -> (BackendAnswer, Option<TokenUse>) {
        if !token::is_well_formed(presented.expose()) {
            return (BackendAnswer::Rejected(Rejection::BadCredentials), None);
        }
        let hash = token::hash(presented.expose());
        let found = match self.with_store(|s| s.find_token(&hash)) {
            Ok(f) => f,
            Err(e) => return (BackendAnswer::Unavailable(e.to_string()), None),
        };
        let Some((info, owner)) = found else { return (BackendAnswer::Rejected(Rejection::BadCredentials), None) };
        let now = self.clock.now();
        if info.revoked_at.is_some() {
            return (BackendAnswer::Rejected(Rejection::TokenRevoked), None);
        }
        if !info.is_usable(now) {
            return (BackendAnswer::Rejected(Rejection::TokenExpired), None);
        }
        let (mut id, owner_expiry) = match owner {
            TokenOwner::Local(owner) => {
                if let Some(r) = account_refusal(&owner, now) {
                    return (BackendAnswer::Rejected(r), None);
                }
                (identity(&owner), owner.expires_at)
            }
            // A user of another backend: no directory is asked on this path, so the
            // identity carries their Wicket groups only.
            TokenOwner::External { backend, name, groups } => (
                Identity { name, uid: None, gid: None, display_name: None, email: None, groups, backend, scopes: None },
                None,
            ),
        };
        id.scopes = Some(info.scopes);
        let valid_until = match (info.expires_at, owner_expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        (BackendAnswer::Accepted(id), Some(TokenUse { id: info.id, valid_until }))
    }

    /// A user by name (for Digest, after the response verified).
    pub fn user(&self, name: &str) -> Result<Option<User>> {
        self.with_store(|s| s.get_user(name))
    }

    /// The stored HA1 for a user name (or, with `by_userhash`, a userhash) in the configured
    /// realm: `(user name, HA1 hex)`.
    pub fn digest_ha1(
        &self,
        who: &str,
        by_userhash: bool,
        algorithm: DigestAlgorithm,
    ) -> Result<Option<(String, Secret)>> {
        let realm = self.policy.realm().to_string();
        self.with_store(|s| {
            let name = if by_userhash { s.user_by_userhash(who, &realm, algorithm)? } else { Some(who.to_string()) };
            let Some(name) = name else { return Ok(None) };
            Ok(s.get_ha1(&name, &realm, algorithm)?.map(|h| (name, Secret::from_string(h))))
        })
    }

    /// The user a Digest `userhash` names in the configured realm, if any.
    pub fn user_by_userhash(&self, userhash: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        let realm = self.policy.realm().to_string();
        self.with_store(|s| s.user_by_userhash(userhash, &realm, algorithm))
    }

    /// With a shared store (PostgreSQL), counts the other instances' failures in `throttle`
    /// and sends this one's to them; nothing for SQLite (one process decides).
    pub fn attach_throttle(&self, throttle: &std::sync::Arc<crate::throttle::Throttle>) {
        if let Some(w) = &self.watch {
            w.attach_throttle(throttle);
        }
    }

    /// The store's change counter (see [`UserStore::generation`]): from memory while the
    /// store's notifications are followed, else read from the store.
    pub fn generation(&self) -> Result<i64> {
        if let Some(g) = self.watch.as_ref().and_then(GenerationWatch::current) {
            return Ok(g);
        }
        self.with_store(|s| s.generation())
    }

    /// Records token uses in one transaction.
    pub fn touch_tokens(&self, uses: &[(i64, i64)]) -> Result<()> {
        self.with_store(|s| s.touch_tokens(uses))
    }
}

/// A verified token's row id and the moment it (or its owner) stops being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenUse {
    /// Row id, for recording its use.
    pub id: i64,
    /// Token or owner expiry, whichever is first.
    pub valid_until: Option<i64>,
}

/// Why an account may not log in at `now`, if it may not.
pub fn account_refusal(user: &User, now: i64) -> Option<Rejection> {
    match user.state {
        AccountState::Locked => Some(Rejection::Locked),
        AccountState::Disabled => Some(Rejection::Disabled),
        AccountState::Active if user.is_expired(now) => Some(Rejection::Expired),
        AccountState::Active => None,
    }
}

/// The identity of a stored user.
pub fn identity(user: &User) -> Identity {
    Identity {
        name: user.name.clone(),
        uid: Some(user.uid),
        gid: Some(user.gid),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        groups: user.groups.clone(),
        backend: "local".into(),
        scopes: None,
    }
}

impl Backend for LocalBackend {
    fn name(&self) -> &str {
        "local"
    }

    fn verify_password(&self, user: &str, password: &Secret) -> BackendAnswer {
        let hasher = self.policy.hasher();
        let found = match self.with_store(|s| s.get_user(user)) {
            Ok(u) => u,
            Err(e) => {
                hasher.dummy_verify(password);
                return BackendAnswer::Unavailable(e.to_string());
            }
        };
        let Some(u) = found else {
            hasher.dummy_verify(password);
            return BackendAnswer::Unknown;
        };
        let Some(stored) = u.password_hash.as_deref().filter(|_| !password.is_empty()) else {
            hasher.dummy_verify(password);
            return BackendAnswer::Rejected(Rejection::BadCredentials);
        };
        let PasswordCheck::Match { rehash } = hasher.verify(stored, password) else {
            return BackendAnswer::Rejected(Rejection::BadCredentials);
        };
        // State is checked after the password so that locked or expired accounts cost the
        // same time and reveal nothing to someone who does not know the password.
        if let Some(r) = account_refusal(&u, self.clock.now()) {
            return BackendAnswer::Rejected(r);
        }
        if rehash {
            // Best effort: a failed upgrade leaves the old, still valid hash in place. The new
            // record carries the HA1 values for the configured realm.
            if let Ok(record) = self.policy.record(&u.name, password) {
                let _ = self.with_store(|s| s.upgrade_password(&u.name, stored, &record));
            }
        } else {
            self.refresh_digest(&u.name, stored, password);
        }
        BackendAnswer::Accepted(identity(&u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::password::digest_ha1;
    use crate::store::NewUser;

    fn config(dir: &std::path::Path, realm: &str) -> Config {
        let text = format!("[store]\npath = \"{}\"\n[server]\nrealm = \"{realm}\"\n", dir.join("w.db").display());
        Config::parse(&text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn backend(cfg: &Config) -> LocalBackend {
        let policy = Arc::new(PasswordPolicy::from_config(cfg).unwrap_or_else(|e| panic!("{e}")));
        LocalBackend::new(cfg, policy, Arc::new(ManualClock::new(1_800_000_000))).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Issue 9 #8: a password set under another realm (the CLI without `--config`) gives no
    /// Digest in wicketd's realm; one successful password login adds the missing HA1.
    #[test]
    fn a_password_login_adds_the_ha1_of_the_configured_realm() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let elsewhere = backend(&config(dir.path(), "wicket"));
        elsewhere
            .with_accounts(|a| {
                a.add_user(&NewUser { name: "alice".into(), ..NewUser::default() }, Some(&"pw-alice-1".into()), 1)
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let here = backend(&config(dir.path(), "x"));
        let ha1 = || here.digest_ha1("alice", false, DigestAlgorithm::Sha256).ok().flatten().map(|(n, _)| n);
        assert_eq!(ha1(), None);
        assert_eq!(here.users_without_digest().ok(), Some(Some(1)));
        assert!(matches!(here.verify_password("alice", &"wrong".into()), BackendAnswer::Rejected(_)));
        assert_eq!(ha1(), None, "a failed login must not store anything");
        assert!(matches!(here.verify_password("alice", &"pw-alice-1".into()), BackendAnswer::Accepted(_)));
        assert_eq!(ha1().as_deref(), Some("alice"));
        let expected = digest_ha1(DigestAlgorithm::Sha256, "alice", "x", &"pw-alice-1".into());
        let stored = here.digest_ha1("alice", false, DigestAlgorithm::Sha256).ok().flatten().map(|(_, h)| h);
        assert_eq!(stored.map(|h| h.expose().to_vec()), Some(expected.into_bytes()));
        assert_eq!(here.users_without_digest().ok(), Some(Some(0)));
        // The old realm's values stay: the password is the same.
        assert_eq!(elsewhere.users_without_digest().ok(), Some(Some(0)));
    }
}
