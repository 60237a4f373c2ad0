//! Passwords through the pipeline: throttle, the credential cache, then the backend chain on
//! the slow-work threads, coalesced.

use super::{Authenticator, Context, Decision, Front, Outcome, members};
use crate::auth::Verdict;
use crate::cache::CacheKey;
use crate::secret::Secret;
use crate::throttle::user_key;
use std::sync::atomic::Ordering;

impl Authenticator {
    /// Passwords (Basic, PAM, `wicket check`): throttle, cache, then the backend chain.
    pub(super) async fn password(&self, user: String, secret: Secret, ctx: &Context) -> Outcome {
        let scheme = if ctx.front == Front::Http { "basic" } else { "password" };
        let keys = ctx.throttle_keys(Some(&user));
        if let Some(refused) = self.throttled(&keys, ctx, scheme, &user) {
            return refused;
        }
        let key = self.cache.key_for(&[b"password", user.as_bytes(), secret.expose()]);
        let generation = if ctx.front.uses_cache() { self.generation() } else { None };
        if let Some(g) = generation {
            if let Some(id) = self.cache.get(&key, g) {
                self.shared.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                return self.accepted(id, ctx, scheme, true);
            }
            self.shared.stats.cache_misses.fetch_add(1, Ordering::Relaxed);
        }
        let (verdict, valid_until) = self.slow_password(key, user.clone(), secret).await;
        match verdict {
            Verdict::Accepted(id) => {
                self.throttle.record_success(&user_key(&id.name));
                if let Some(g) = generation {
                    self.cache.put_until(key, id.clone(), g, valid_until, None);
                }
                self.accepted(id, ctx, scheme, false)
            }
            Verdict::Rejected { reason, backend } => {
                self.failed(&keys, Decision::Rejected(reason), ctx, scheme, &user, &backend)
            }
            Verdict::Unknown => self.failed(&keys, Decision::Unknown, ctx, scheme, &user, "-"),
            Verdict::Unavailable(why) => {
                tracing::warn!("backend unavailable: {why}");
                self.answer(Decision::Unavailable(why), ctx, scheme, &user, "-")
            }
        }
    }

    /// Runs the chain on a slow-work thread, once for any number of concurrent callers with
    /// the same credential. With an acceptance by the local store comes the account's expiry,
    /// read on that thread, so a cached success never outlives the account; with an acceptance
    /// by another backend, the user's Wicket groups ([`members`]).
    async fn slow_password(&self, key: CacheKey, user: String, secret: Secret) -> (Verdict, Option<i64>) {
        let chain = self.chain.clone();
        let shared = self.shared.clone();
        let (answer, _) = self
            .inflight
            .run(key, || async move {
                shared.stats.slow_verifications.fetch_add(1, Ordering::Relaxed);
                let ran = shared
                    .pool
                    .run(move || {
                        let mut verdict = chain.backends.verify_password(&user, &secret);
                        if let (Verdict::Accepted(id), Some(local)) = (&mut verdict, &chain.local) {
                            // Fail closed: an identity without its Wicket groups would be
                            // cached as if complete.
                            if let Err(e) = members::add_wicket_groups(local, id) {
                                verdict = Verdict::Unavailable(format!("Wicket groups unreadable: {e}"));
                            }
                        }
                        let until = match (&verdict, &chain.local) {
                            (Verdict::Accepted(id), Some(local)) if id.backend == "local" => {
                                local.user(&id.name).ok().flatten().and_then(|u| u.expires_at)
                            }
                            _ => None,
                        };
                        (verdict, until)
                    })
                    .await;
                ran.unwrap_or_else(|| (Verdict::Unavailable("verification task failed".into()), None))
            })
            .await;
        answer
    }
}
