//! The one decision: [`Authenticator::verify`] answers "is this credential good, and who is
//! it?" for every front — HTTP, the local socket (PAM), `wicket check`.
//!
//! For every credential kind it runs, in order: name canonicalisation (throttle keys are
//! accounts: a Digest `userhash` is resolved to its user, every spelling of a name shares one
//! counter) → throttle → credential cache → the backend chain on the slow-work threads
//! (coalesced: concurrent checks of one credential run once) → account state → Digest
//! arithmetic or token checks and use recording → the audit event. It returns an
//! [`Outcome`]: the decision, the delay the front waits before answering, and the event the
//! front writes. Fronts only translate their protocol into a [`Credential`] and a
//! [`Context`], and the outcome back into an answer. Time is read from the injected clock.

mod bearer;
mod code;
mod context;
mod digest;
mod invite;
mod members;
mod outcome;
mod password;
pub mod pool;
pub mod session;

pub use code::{CodeDecision, CodeOutcome};
pub use context::{Context, Front};
pub use invite::{InviteDecision, InviteOutcome};
pub use outcome::{AuditEvent, Decision, Outcome};
pub use session::{NewSession, session_hash};

use crate::auth::{Identity, Rejection, Verdict};
use crate::cache::{CacheKey, CredentialCache};
use crate::chain::{self, Chain, PamFactory};
use crate::clock::SharedClock;
use crate::config::{Config, Scheme};
use crate::digest::{DEFAULT_MAX_TRACKED_NONCES, DigestResponse, DigestSettings, DigestVerifier};
use crate::error::{Error, Result};
use crate::local::account_refusal;
use crate::secret::Secret;
use crate::throttle::Throttle;
use pool::{Coalescer, SlowPool};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A credential, as a front received it.
#[derive(Debug)]
pub enum Credential {
    /// A user name and password (HTTP Basic, PAM, `wicket check`).
    Password {
        /// The name as presented.
        user: String,
        /// The password.
        secret: Secret,
    },
    /// An RFC 7616 Digest response to a request.
    Digest {
        /// The parsed response.
        response: Box<DigestResponse>,
        /// The request method.
        method: String,
        /// The original request target (`X-Original-URI` behind nginx).
        uri: String,
    },
    /// An RFC 6750 bearer token.
    Bearer(Secret),
    /// A browser session cookie's value (the portal's; see [`session`]).
    Session(Secret),
}

impl Credential {
    /// The `Authorization` scheme this credential came in, for a front that speaks HTTP;
    /// `None` for a session cookie.
    pub fn scheme(&self) -> Option<Scheme> {
        match self {
            Self::Password { .. } => Some(Scheme::Basic),
            Self::Digest { .. } => Some(Scheme::Digest),
            Self::Bearer(_) => Some(Scheme::Bearer),
            Self::Session(_) => None,
        }
    }

    /// The word in audit lines: `basic`, `digest`, `bearer`, `session`.
    pub fn kind(&self) -> &'static str {
        self.scheme().map_or("session", Scheme::as_str)
    }
}

/// A local account's standing (see [`Authenticator::account`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCheck {
    /// A local account that may log in.
    Usable,
    /// A local account that may not: locked, disabled or expired.
    Refused(Rejection),
    /// Not a local account (or no local store): another backend's business.
    NotLocal,
    /// The store cannot be read.
    Unavailable(String),
}

/// Counters kept across reloads, read by `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Successes answered from the credential cache.
    pub cache_hits: AtomicU64,
    /// Cache lookups that found nothing.
    pub cache_misses: AtomicU64,
    /// Slow verifications run (argon2, LDAP, PAM): one per coalesced burst.
    pub slow_verifications: AtomicU64,
    /// Attempts refused by the throttle.
    pub throttled: AtomicU64,
}

/// What outlives a config reload: the slow-work threads, the counters, token uses not yet
/// written, and when each cached success was last logged.
#[derive(Debug)]
pub struct Shared {
    pool: SlowPool,
    /// Counters.
    pub stats: Stats,
    token_uses: Mutex<HashMap<i64, i64>>,
    logged: Mutex<HashMap<String, i64>>,
    sessions: session::SessionCache,
}

impl Shared {
    /// One slow-work thread per core.
    pub fn new() -> Arc<Self> {
        Self::with_pool(SlowPool::per_core())
    }

    /// With a given pool.
    pub fn with_pool(pool: SlowPool) -> Arc<Self> {
        Arc::new(Self {
            pool,
            stats: Stats::default(),
            token_uses: Mutex::new(HashMap::new()),
            logged: Mutex::new(HashMap::new()),
            sessions: session::SessionCache::default(),
        })
    }
}

/// How often a repeated cached success of one account is written to the audit log.
const QUIET_INTERVAL_SECS: i64 = 60;
/// Accounts remembered for that; past it the memory is dropped (and lines are written again).
const MAX_LOGGED: usize = 10_000;

/// The pipeline, built from one config.
#[derive(Debug)]
pub struct Authenticator {
    chain: Chain,
    throttle: Arc<Throttle>,
    cache: Arc<CredentialCache>,
    digest: Option<Arc<DigestVerifier>>,
    clock: SharedClock,
    shared: Arc<Shared>,
    inflight: Arc<Coalescer<CacheKey, (Verdict, Option<i64>)>>,
    cfg: Config,
}

impl Authenticator {
    /// Opens every backend of `cfg`. `pam` makes the system PAM backend in programs that
    /// carry its FFI.
    pub fn build(cfg: &Config, clock: SharedClock, pam: Option<PamFactory<'_>>, shared: Arc<Shared>) -> Result<Self> {
        let chain = chain::build(cfg, clock.clone(), pam)?;
        let digest = if cfg.http.schemes.contains(&Scheme::Digest) {
            let settings = DigestSettings {
                realm: cfg.server.realm.clone(),
                algorithms: cfg.http.digest_algorithms.clone(),
                nonce_lifetime_secs: i64::try_from(cfg.http.nonce_lifetime.as_secs()).unwrap_or(300).max(1),
                max_tracked_nonces: DEFAULT_MAX_TRACKED_NONCES,
            };
            let shared = match &chain.local {
                Some(local) => local.shared_digest()?,
                None => None,
            };
            let verifier = match shared {
                Some((key, record)) => DigestVerifier::shared(settings, key, record, clock.clone()),
                None => DigestVerifier::new(settings, clock.clone()),
            }
            .map_err(|e| Error::Invalid(format!("digest: {e}")))?;
            Some(Arc::new(verifier))
        } else {
            None
        };
        let throttle = Arc::new(Throttle::new(cfg.throttle.clone(), clock.clone()));
        if let Some(local) = &chain.local {
            local.attach_throttle(&throttle);
        }
        Ok(Self {
            chain,
            throttle,
            cache: Arc::new(CredentialCache::new(cfg.http.cache_ttl, clock.clone())),
            digest,
            clock,
            shared,
            inflight: Arc::new(Coalescer::default()),
            cfg: cfg.clone(),
        })
    }

    /// Takes over what must survive a reload from the pipeline this one replaces: the
    /// throttle's counts (a reload must not forgive) when its settings are unchanged, and the
    /// Digest nonce key and replay state when realm and Digest settings are unchanged, so
    /// nonces handed out before the reload stay valid (a shared store keeps both itself: the
    /// new verifier, over the new store connections, is kept).
    pub fn adopt(&mut self, prev: &Authenticator) {
        let (a, b) = (&prev.cfg.throttle, &self.cfg.throttle);
        if a.max_failures == b.max_failures && a.delays == b.delays && a.window == b.window && a.lockout == b.lockout {
            self.throttle = prev.throttle.clone();
            if let Some(local) = &self.chain.local {
                local.attach_throttle(&self.throttle);
            }
        }
        let (a, b) = (&prev.cfg, &self.cfg);
        let in_memory = |d: &Option<Arc<DigestVerifier>>| d.as_ref().is_some_and(|d| !d.is_shared());
        if a.server.realm == b.server.realm
            && a.http.digest_algorithms == b.http.digest_algorithms
            && a.http.nonce_lifetime == b.http.nonce_lifetime
            && in_memory(&self.digest)
            && in_memory(&prev.digest)
        {
            self.digest = prev.digest.clone();
        }
    }

    /// The time on the injected clock (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The backends.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The Digest verifier, when Digest is offered (challenges come from it).
    pub fn digest(&self) -> Option<&DigestVerifier> {
        self.digest.as_deref()
    }

    /// The state this pipeline shares with the ones before and after it.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// Throttle keys tracked now.
    pub fn throttle_keys_tracked(&self) -> usize {
        self.throttle.tracked()
    }

    /// Credential-cache entries now.
    pub fn cache_entries(&self) -> usize {
        self.cache.len()
    }

    /// The decision on `credential`, presented through `ctx`.
    pub async fn verify(&self, credential: Credential, ctx: &Context) -> Outcome {
        match credential {
            Credential::Password { user, secret } => self.password(user, secret, ctx).await,
            Credential::Digest { response, method, uri } => self.digest_response(&response, &method, &uri, ctx),
            Credential::Bearer(token) => self.bearer(&token, ctx),
            Credential::Session(cookie) => self.session(&cookie, ctx),
        }
    }

    /// May this account log in now (PAM's account phase)? Wicket's own users carry state and
    /// expiry; other backends' users are checked by their own systems at authentication and
    /// answer [`AccountCheck::NotLocal`]. Blocking (one indexed read).
    pub fn account(&self, user: &str) -> AccountCheck {
        let Some(local) = self.chain.local.as_ref() else { return AccountCheck::NotLocal };
        match local.user(user) {
            Ok(Some(u)) => match account_refusal(&u, self.clock.now()) {
                None => AccountCheck::Usable,
                Some(r) => AccountCheck::Refused(r),
            },
            Ok(None) => AccountCheck::NotLocal,
            Err(e) => AccountCheck::Unavailable(e.to_string()),
        }
    }

    /// Writes pending token uses and session "last seen" times (every few seconds and at
    /// shutdown). Blocking.
    pub fn flush_token_uses(&self) {
        self.flush_session_touches();
        let pending: Vec<(i64, i64)> = {
            let mut map = self.shared.token_uses.lock().unwrap_or_else(|e| e.into_inner());
            map.drain().collect()
        };
        if pending.is_empty() {
            return;
        }
        if let Some(local) = self.chain.local.as_ref() {
            if let Err(e) = local.touch_tokens(&pending) {
                tracing::warn!("could not record token use: {e}");
            }
        }
    }

    /// The store's change counter; `Some(0)` without a local store, `None` (no caching)
    /// when it cannot be read.
    fn generation(&self) -> Option<i64> {
        match self.chain.local.as_ref() {
            Some(local) => local.generation().ok(),
            None => Some(0),
        }
    }

    fn throttled(&self, keys: &[String], ctx: &Context, scheme: &'static str, user: &str) -> Option<Outcome> {
        let left = self.throttle.locked(keys)?;
        self.shared.stats.throttled.fetch_add(1, Ordering::Relaxed);
        Some(self.answer(Decision::Throttled(left), ctx, scheme, user, "-"))
    }

    /// A failure: counted against every key, with the throttle's delay.
    fn failed(
        &self,
        keys: &[String],
        decision: Decision,
        ctx: &Context,
        scheme: &'static str,
        user: &str,
        backend: &str,
    ) -> Outcome {
        let delay = self.throttle.record_failure(keys);
        Outcome {
            event: AuditEvent::new(ctx, scheme, user, &decision, backend),
            decision,
            delay,
            auth_time: None,
            two_factor: false,
        }
    }

    fn accepted(&self, id: Identity, ctx: &Context, scheme: &'static str, cached: bool) -> Outcome {
        let mut event = AuditEvent::new(ctx, scheme, &id.name, &Decision::Unknown, &id.backend);
        event.outcome = "accepted";
        // Every slow success is written; a cached repeat only once per interval.
        let recent = self.logged_recently(&event);
        event.quiet = cached && recent;
        Outcome { decision: Decision::Accepted(id), delay: Duration::ZERO, event, auth_time: None, two_factor: false }
    }

    fn answer(&self, decision: Decision, ctx: &Context, scheme: &'static str, user: &str, backend: &str) -> Outcome {
        Outcome {
            event: AuditEvent::new(ctx, scheme, user, &decision, backend),
            decision,
            delay: Duration::ZERO,
            auth_time: None,
            two_factor: false,
        }
    }

    /// True when this account's success through this front and scheme was written less than
    /// [`QUIET_INTERVAL_SECS`] ago; otherwise remembers now.
    fn logged_recently(&self, e: &AuditEvent) -> bool {
        let now = self.clock.now();
        let key = format!("{}/{}/{}", e.front, e.scheme, e.user);
        let mut map = self.shared.logged.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(&key).is_some_and(|&t| now - t < QUIET_INTERVAL_SECS) {
            return true;
        }
        if map.len() >= MAX_LOGGED {
            map.clear();
        }
        map.insert(key, now);
        false
    }
}

#[cfg(test)]
mod members_tests;
#[cfg(test)]
mod tests;
