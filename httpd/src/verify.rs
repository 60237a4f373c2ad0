//! Password verification as every front does it: throttle first, then the credential
//! cache, then the backend chain on a blocking thread behind the slow-work semaphore; a
//! failure is counted and delayed. HTTP Basic and the local socket (PAM) both use it.

use crate::app::{App, Runtime};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use wicket_core::auth::{Identity, Rejection, Verdict};
use wicket_core::secret::Secret;

/// How a password check ended.
#[derive(Debug)]
pub enum Checked {
    /// Right password.
    Accepted(Identity),
    /// Known user, refused (after the throttle's delay).
    Rejected {
        /// Why.
        reason: Rejection,
        /// Who decided.
        backend: String,
    },
    /// Nobody knows the user (after the delay).
    Unknown,
    /// A backend that could decide is down.
    Unavailable(String),
    /// Locked out by the throttle; nothing was verified.
    Throttled(Duration),
}

/// Checks `user`/`password`. `keys` are the throttle keys (user, client); `front` names the
/// front for metrics; `cache` allows the credential cache (HTTP Basic).
pub async fn password(
    app: &Arc<App>,
    rt: &Arc<Runtime>,
    user: &str,
    password: Secret,
    keys: &[String],
    front: &'static str,
    cache: bool,
) -> Checked {
    if let Some(left) = locked(app, rt, keys, front) {
        return Checked::Throttled(left);
    }
    let generation = if cache { generation(rt).await } else { None };
    let cache_key = rt.cache.key_for(&[front.as_bytes(), user.as_bytes(), password.expose()]);
    if let Some(g) = generation {
        if let Some(id) = rt.cache.get(&cache_key, g) {
            app.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
            app.metrics.decision(front, "accepted");
            return Checked::Accepted(id);
        }
        app.metrics.cache_misses.fetch_add(1, Ordering::Relaxed);
    }
    let verdict = {
        let Ok(_permit) = app.slow.acquire().await else { return Checked::Unavailable("shutting down".into()) };
        let chain = rt.chain.authenticator.clone();
        let u = user.to_string();
        match tokio::task::spawn_blocking(move || chain.verify_password(&u, &password)).await {
            Ok(v) => v,
            Err(_) => Verdict::Unavailable("verification task failed".into()),
        }
    };
    let outcome = match &verdict {
        Verdict::Rejected { reason, .. } => reason.as_str(),
        other => other.outcome(),
    };
    app.metrics.decision(front, outcome);
    let delay_then = |c: Checked| async {
        failed(rt, keys).await;
        c
    };
    match verdict {
        Verdict::Accepted(id) => {
            if let Some(k) = keys.first() {
                rt.throttle.record_success(k);
            }
            if let Some(g) = generation {
                // Never cache past a local account's expiry.
                let until = match (&rt.chain.local, id.backend.as_str()) {
                    (Some(local), "local") => local.user(&id.name).ok().flatten().and_then(|u| u.expires_at),
                    _ => None,
                };
                rt.cache.put_until(cache_key, id.clone(), g, until, None);
            }
            Checked::Accepted(id)
        }
        Verdict::Rejected { reason, backend } => delay_then(Checked::Rejected { reason, backend }).await,
        Verdict::Unknown => delay_then(Checked::Unknown).await,
        Verdict::Unavailable(why) => {
            tracing::warn!("backend unavailable: {why}");
            Checked::Unavailable(why)
        }
    }
}

/// `Some(time left)` when any of `keys` is locked out; counts the refusal in the metrics.
pub fn locked(app: &App, rt: &Runtime, keys: &[String], front: &'static str) -> Option<Duration> {
    let left = rt.throttle.locked(keys)?;
    app.metrics.throttled.fetch_add(1, Ordering::Relaxed);
    app.metrics.decision(front, "throttled");
    Some(left)
}

/// Counts a failure against `keys` and waits the throttle's delay.
pub async fn failed(rt: &Runtime, keys: &[String]) {
    let delay = rt.throttle.record_failure(keys);
    if delay > Duration::ZERO {
        tokio::time::sleep(delay).await;
    }
}

/// The store's change counter, or `None` when there is no local store to ask.
///
/// Read inline: one indexed SELECT on a pooled WAL connection takes microseconds and never
/// waits for writers, so a thread hand-off would cost more than the query.
pub async fn generation(rt: &Arc<Runtime>) -> Option<i64> {
    let Some(local) = rt.chain.local.as_ref() else { return Some(0) };
    local.generation().ok()
}
