//! The daemon's state: a [`Runtime`] built from one config (swapped whole on SIGHUP) plus
//! what lives across reloads (metrics, throttle, pending token uses).

use crate::events::{EventLog, Trail};
use crate::metrics::Metrics;
use crate::net::{Cidr, parse_list};
use crate::portal::csrf::CsrfKey;
use crate::rules::{Rule, compile};
use anyhow::{Context, Result};
use std::sync::{Arc, RwLock};
use wicket_core::clock::SharedClock;
use wicket_core::config::{Config, Scheme};
use wicket_core::local::LocalBackend;
use wicket_core::verify::{AuditEvent, Authenticator, Shared};

/// Everything derived from one config.
#[derive(Debug)]
pub struct Runtime {
    /// The config it was built from.
    pub cfg: Config,
    /// The one decision: throttle, cache, backends, Digest, tokens.
    pub auth: Authenticator,
    /// Access rules.
    pub rules: Vec<Rule>,
    /// Proxies whose forwarding headers are believed.
    pub trusted: Vec<Cidr>,
}

impl Runtime {
    /// Builds everything with fresh shared state (tests, `--check-config`).
    pub fn build(cfg: Config, clock: SharedClock) -> Result<Self> {
        Self::build_with(cfg, clock, Shared::new())
    }

    /// Builds everything, opening backends; refuses a config that cannot work.
    pub fn build_with(cfg: Config, clock: SharedClock, shared: Arc<Shared>) -> Result<Self> {
        let auth = Authenticator::build(&cfg, clock, Some(&wicket_syspam::PamBackend::factory), shared)
            .context("while opening the backends")?;
        let rules = compile(&cfg.rule).map_err(anyhow::Error::msg)?;
        let trusted =
            parse_list(&cfg.server.trusted_proxies).map_err(|e| anyhow::anyhow!("server.trusted_proxies: {e}"))?;
        Ok(Self { cfg, auth, rules, trusted })
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
    /// What outlives a reload: slow-work threads, counters, pending token uses.
    pub shared: Arc<Shared>,
    /// The portal's CSRF key: with a PostgreSQL store derived from its shared key, so that a
    /// form from one instance is good on every other; else made at start (a restart
    /// invalidates open forms). `None` only if the random generator failed, and then the
    /// portal answers 503.
    pub csrf: Option<CsrfKey>,
    /// The event trail's queue (see [`crate::events`]).
    pub events: EventLog,
}

impl App {
    /// A daemon over `runtime`.
    pub fn new(runtime: Runtime, clock: SharedClock) -> Arc<Self> {
        let shared = runtime.auth.shared().clone();
        let csrf = shared_form_key(&runtime).or_else(|| CsrfKey::generate().ok());
        Arc::new_cyclic(|me: &std::sync::Weak<App>| {
            let events = EventLog::default();
            let trail: std::sync::Weak<dyn Trail> = me.clone();
            events.start(trail);
            Self { runtime: RwLock::new(Arc::new(runtime)), clock, metrics: Metrics::default(), shared, csrf, events }
        })
    }

    /// The current runtime.
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Builds a runtime from `cfg` that shares this daemon's threads and counters.
    pub fn build(&self, cfg: Config) -> Result<Runtime> {
        Runtime::build_with(cfg, self.clock.clone(), self.shared.clone())
    }

    /// Swaps in a new runtime (SIGHUP). Throttle state and, with unchanged Digest settings,
    /// the nonce key are kept (see [`Authenticator::adopt`]).
    pub fn replace(&self, mut next: Runtime) {
        let mut slot = self.runtime.write().unwrap_or_else(|e| e.into_inner());
        next.auth.adopt(&slot.auth);
        *slot = Arc::new(next);
    }

    /// Writes pending token uses (every few seconds and at shutdown). Blocking.
    pub fn flush_token_uses(&self) {
        self.runtime().auth.flush_token_uses();
    }
}

impl App {
    /// Writes an audit event: the journal line, the metrics, and (unless it is a quiet
    /// cached re-check) the trail. Never blocks.
    pub fn audit(&self, e: &AuditEvent) {
        e.log();
        self.metrics.audited(e);
        if !e.quiet && !self.events.push(wicket_core::events::from_audit(e, self.clock.now())) {
            self.metrics.events_dropped(1);
        }
    }
}

impl Trail for App {
    fn target(&self) -> Option<(Arc<LocalBackend>, i64)> {
        let rt = self.runtime();
        let local = rt.auth.chain().local.clone()?;
        Some((local, rt.cfg.events.retention_secs()))
    }
    fn now(&self) -> i64 {
        self.clock.now()
    }
    fn dropped(&self, n: u64) {
        self.metrics.events_dropped(n);
    }
}

/// What the portal's form key is derived from on a shared store.
const FORM_KEY_LABEL: &[u8] = b"wicket portal forms v1";

/// The portal's form key every instance on a shared (PostgreSQL) store derives alike; `None`
/// with SQLite, or (logged) when the store cannot give it.
fn shared_form_key(runtime: &Runtime) -> Option<CsrfKey> {
    let local = runtime.auth.chain().local.as_ref()?;
    match local.shared_secret(FORM_KEY_LABEL) {
        Ok(secret) => secret.map(|s| CsrfKey::from_bytes(*s)),
        Err(e) => {
            tracing::warn!("the shared form key: {e}; forms from this instance are good here only");
            None
        }
    }
}
