//! Counters for `/metrics` (Prometheus text format 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use wicket_core::verify::{AuditEvent, Stats};

/// Label sets kept for `wicket_audit_events_total` at most; past it, new backends are
/// counted under `backend="other"` (the other labels are fixed words).
const MAX_AUDIT_LABELS: usize = 512;

/// `(front, scheme, outcome, backend)`.
type AuditLabels = (&'static str, &'static str, &'static str, String);

/// Process-wide counters.
#[derive(Debug, Default)]
pub struct Metrics {
    responses: Mutex<BTreeMap<(&'static str, u16), u64>>,
    decisions: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    audited: Mutex<BTreeMap<AuditLabels, u64>>,
    dropped: AtomicU64,
}

impl Metrics {
    /// Counts a response.
    pub fn response(&self, endpoint: &'static str, status: u16) {
        *self.responses.lock().unwrap_or_else(|e| e.into_inner()).entry((endpoint, status)).or_default() += 1;
    }

    /// Counts an authentication decision.
    pub fn decision(&self, scheme: &'static str, outcome: &'static str) {
        *self.decisions.lock().unwrap_or_else(|e| e.into_inner()).entry((scheme, outcome)).or_default() += 1;
    }

    /// Counts an audit event (cached re-checks too) by front, scheme, outcome and backend.
    pub fn audited(&self, e: &AuditEvent) {
        let mut map = self.audited.lock().unwrap_or_else(|e| e.into_inner());
        let mut key = (e.front, e.scheme, e.outcome, e.backend.clone());
        if !map.contains_key(&key) && map.len() >= MAX_AUDIT_LABELS {
            key.3 = "other".into();
        }
        *map.entry(key).or_default() += 1;
    }

    /// Counts events the trail could not keep (queue full, store failing).
    pub fn events_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Renders the text exposition with the core's counters; `gauges` are extra
    /// `name value` pairs.
    pub fn render(&self, stats: &Stats, gauges: &[(&str, &str, u64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP wicket_http_responses_total HTTP responses by endpoint and status.\n");
        out.push_str("# TYPE wicket_http_responses_total counter\n");
        for ((ep, st), n) in self.responses.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "wicket_http_responses_total{{endpoint=\"{ep}\",status=\"{st}\"}} {n}");
        }
        out.push_str("# HELP wicket_auth_decisions_total Authentication decisions by scheme and outcome.\n");
        out.push_str("# TYPE wicket_auth_decisions_total counter\n");
        for ((sc, oc), n) in self.decisions.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "wicket_auth_decisions_total{{scheme=\"{sc}\",outcome=\"{oc}\"}} {n}");
        }
        out.push_str(
            "# HELP wicket_audit_events_total Audit events (sign-in decisions, cached re-checks included) by front, \
             scheme, outcome and backend.\n# TYPE wicket_audit_events_total counter\n",
        );
        for ((front, scheme, outcome, backend), n) in self.audited.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let backend = backend.escape_default();
            let _ = writeln!(
                out,
                "wicket_audit_events_total{{front=\"{front}\",scheme=\"{scheme}\",outcome=\"{outcome}\",backend=\"{backend}\"}} {n}"
            );
        }
        for (name, help, v) in [
            (
                "wicket_events_dropped_total",
                "Audit events the event trail could not keep (queue full or store failing).",
                self.dropped.load(Ordering::Relaxed),
            ),
            ("wicket_cache_hits_total", "Credential cache hits.", stats.cache_hits.load(Ordering::Relaxed)),
            ("wicket_cache_misses_total", "Credential cache misses.", stats.cache_misses.load(Ordering::Relaxed)),
            (
                "wicket_slow_verifications_total",
                "Slow verifications run (argon2, LDAP, PAM); concurrent checks of one credential run once.",
                stats.slow_verifications.load(Ordering::Relaxed),
            ),
            ("wicket_throttled_total", "Attempts refused by the throttle.", stats.throttled.load(Ordering::Relaxed)),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        }
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}
