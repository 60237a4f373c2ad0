//! The daemon's state: a [`Runtime`] built from one config (swapped whole on SIGHUP) plus
//! what lives across reloads (metrics, throttle, pending token uses).

use crate::digest::{Algorithm, DEFAULT_MAX_TRACKED_NONCES, DigestSettings, DigestVerifier};
use crate::metrics::Metrics;
use crate::net::{Cidr, parse_list};
use crate::rules::{Rule, compile};
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::Semaphore;
use wicket_core::cache::CredentialCache;
use wicket_core::chain::{self, Chain};
use wicket_core::clock::SharedClock;
use wicket_core::config::{Config, Scheme};
use wicket_core::throttle::Throttle;

/// Everything derived from one config.
#[derive(Debug)]
pub struct Runtime {
    /// The config it was built from.
    pub cfg: Config,
    /// Backends.
    pub chain: Chain,
    /// Digest verifier, when Digest is offered.
    pub digest: Option<Arc<DigestVerifier>>,
    /// Access rules.
    pub rules: Vec<Rule>,
    /// Proxies whose forwarding headers are believed.
    pub trusted: Vec<Cidr>,
    /// Failure throttle.
    pub throttle: Arc<Throttle>,
    /// Credential cache.
    pub cache: Arc<CredentialCache>,
}

impl Runtime {
    /// Builds everything, opening backends; refuses a config that cannot work.
    pub fn build(cfg: Config, clock: SharedClock) -> Result<Self> {
        let chain = chain::build(&cfg, clock.clone(), Some(&wicket_syspam::PamBackend::factory))
            .context("while opening the backends")?;
        let rules = compile(&cfg.rule).map_err(anyhow::Error::msg)?;
        let trusted =
            parse_list(&cfg.server.trusted_proxies).map_err(|e| anyhow::anyhow!("server.trusted_proxies: {e}"))?;
        let digest = if cfg.http.schemes.contains(&Scheme::Digest) {
            let settings = DigestSettings {
                realm: cfg.server.realm.clone(),
                algorithms: cfg.http.digest_algorithms.iter().map(|&a| Algorithm::from(a)).collect(),
                nonce_lifetime_secs: i64::try_from(cfg.http.nonce_lifetime.as_secs()).unwrap_or(300).max(1),
                max_tracked_nonces: DEFAULT_MAX_TRACKED_NONCES,
            };
            Some(Arc::new(DigestVerifier::new(settings, clock.clone()).map_err(|e| anyhow::anyhow!("digest: {e}"))?))
        } else {
            None
        };
        let throttle = Arc::new(Throttle::new(cfg.throttle.clone(), clock.clone()));
        let cache = Arc::new(CredentialCache::new(cfg.http.cache_ttl, clock));
        Ok(Self { cfg, chain, digest, rules, trusted, throttle, cache })
    }

    /// True when `scheme` is offered.
    pub fn offers(&self, scheme: Scheme) -> bool {
        self.cfg.http.schemes.contains(&scheme)
    }
}

/// The daemon.
#[derive(Debug)]
pub struct App {
    runtime: RwLock<Arc<Runtime>>,
    /// Wall clock (or a test clock).
    pub clock: SharedClock,
    /// Counters.
    pub metrics: Metrics,
    /// Bounds concurrent slow verifications (argon2, LDAP, PAM) to the number of cores.
    pub slow: Semaphore,
    /// Token uses not yet written: token id → last use.
    pub token_uses: Mutex<HashMap<i64, i64>>,
}

impl App {
    /// A daemon over `runtime`.
    pub fn new(runtime: Runtime, clock: SharedClock) -> Arc<Self> {
        let cores = std::thread::available_parallelism().map(std::num::NonZeroUsize::get).unwrap_or(2);
        Arc::new(Self {
            runtime: RwLock::new(Arc::new(runtime)),
            clock,
            metrics: Metrics::default(),
            slow: Semaphore::new(cores),
            token_uses: Mutex::new(HashMap::new()),
        })
    }

    /// The current runtime.
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Swaps in a new runtime (SIGHUP). Throttle state is kept: a reload must not forgive.
    pub fn replace(&self, mut next: Runtime) {
        let mut slot = self.runtime.write().unwrap_or_else(|e| e.into_inner());
        if slot.cfg.throttle.max_failures == next.cfg.throttle.max_failures
            && slot.cfg.throttle.delays == next.cfg.throttle.delays
            && slot.cfg.throttle.window == next.cfg.throttle.window
            && slot.cfg.throttle.lockout == next.cfg.throttle.lockout
        {
            next.throttle = slot.throttle.clone();
        }
        // Same realm and Digest settings: keep the nonce key, so nonces handed out before
        // the reload stay valid.
        let (a, b) = (&slot.cfg, &next.cfg);
        if a.server.realm == b.server.realm
            && a.http.digest_algorithms == b.http.digest_algorithms
            && a.http.nonce_lifetime == b.http.nonce_lifetime
            && next.digest.is_some()
        {
            if let Some(d) = slot.digest.clone() {
                next.digest = Some(d);
            }
        }
        *slot = Arc::new(next);
    }

    /// Writes pending token uses (every few seconds and at shutdown).
    pub fn flush_token_uses(&self) {
        let pending: Vec<(i64, i64)> = {
            let mut map = self.token_uses.lock().unwrap_or_else(|e| e.into_inner());
            map.drain().collect()
        };
        if pending.is_empty() {
            return;
        }
        if let Some(local) = self.runtime().chain.local.clone() {
            if let Err(e) = local.touch_tokens(&pending) {
                tracing::warn!("could not record token use: {e}");
            }
        }
    }
}
