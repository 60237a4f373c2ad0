//! Counters for `/metrics` (Prometheus text format 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use wicket_core::verify::Stats;

/// Process-wide counters.
#[derive(Debug, Default)]
pub struct Metrics {
    responses: Mutex<BTreeMap<(&'static str, u16), u64>>,
    decisions: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
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
        for (name, help, v) in [
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
