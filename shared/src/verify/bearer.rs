//! Bearer tokens through the pipeline.

use super::{Authenticator, Context, Decision, Outcome};
use crate::auth::{BackendAnswer, Rejection};
use crate::secret::Secret;
use std::sync::atomic::Ordering;

impl Authenticator {
    /// Tokens: shape and checksum, then (cached or from the store) hash, revocation, expiry
    /// and the owner's state. Inline: a SHA-256 and indexed reads on a pooled WAL connection.
    pub(super) fn bearer(&self, token: &Secret, ctx: &Context) -> Outcome {
        let keys = ctx.throttle_keys(None);
        if let Some(refused) = self.throttled(&keys, ctx, "bearer", "-") {
            return refused;
        }
        let Some(local) = self.chain.local.as_ref() else {
            return self.answer(Decision::Unknown, ctx, "bearer", "-", "-");
        };
        let generation = self.generation();
        let key = self.cache.key_for(&[b"bearer", token.expose()]);
        if let Some((id, tag)) = generation.and_then(|g| self.cache.get_tagged(&key, g)) {
            self.shared.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            if let Some(row) = tag {
                self.record_token_use(row);
            }
            return self.accepted(id, ctx, "bearer", true);
        }
        let (answer, token_use) = local.verify_token(token);
        match answer {
            BackendAnswer::Accepted(id) => {
                if let Some(u) = token_use {
                    self.record_token_use(u.id);
                    if let Some(g) = generation {
                        self.cache.put_until(key, id.clone(), g, u.valid_until, Some(u.id));
                    }
                }
                self.accepted(id, ctx, "bearer", false)
            }
            BackendAnswer::Rejected(r) => self.failed(&keys, Decision::Rejected(r), ctx, "bearer", "-", "local"),
            BackendAnswer::Unknown => {
                self.failed(&keys, Decision::Rejected(Rejection::BadCredentials), ctx, "bearer", "-", "local")
            }
            BackendAnswer::Unavailable(why) => {
                tracing::warn!("token store unavailable: {why}");
                self.answer(Decision::Unavailable(why), ctx, "bearer", "-", "local")
            }
        }
    }

    fn record_token_use(&self, row: i64) {
        self.shared.token_uses.lock().unwrap_or_else(|e| e.into_inner()).insert(row, self.clock.now());
    }
}
