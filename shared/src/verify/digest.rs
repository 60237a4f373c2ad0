//! Digest responses through the pipeline: the account a `userhash` names is resolved before
//! the throttle counts; the arithmetic and nonce replay live in [`crate::digest`].

use super::{Authenticator, Context, Decision, Outcome};
use crate::auth::Rejection;
use crate::digest::{DigestOutcome, DigestResponse};
use crate::local::{account_refusal, identity};
use crate::throttle::user_key;

impl Authenticator {
    pub(super) fn digest_response(&self, resp: &DigestResponse, method: &str, uri: &str, ctx: &Context) -> Outcome {
        let claimed = if resp.userhash { "(userhash)" } else { resp.username.as_str() };
        let (Some(verifier), Some(local)) = (self.digest.as_ref(), self.chain.local.as_ref()) else {
            return self.answer(Decision::Unknown, ctx, "digest", claimed, "-");
        };
        // Who is it? A userhash names an account too: resolve it before counting.
        let account = if resp.userhash {
            match local.user_by_userhash(&resp.username, resp.algorithm) {
                Ok(found) => found,
                Err(e) => return self.answer(Decision::Unavailable(e.to_string()), ctx, "digest", claimed, "local"),
            }
        } else {
            Some(resp.username.clone())
        };
        let counted_as = account.clone().unwrap_or_else(|| format!("userhash:{}", resp.username.to_ascii_lowercase()));
        let shown = account.as_deref().unwrap_or(claimed).to_string();
        let keys = ctx.throttle_keys(Some(&counted_as));
        if let Some(refused) = self.throttled(&keys, ctx, "digest", &shown) {
            return refused;
        }
        let mut db_down = None;
        let outcome = verifier.verify(resp, method, uri, |_, alg| {
            let name = account.as_deref()?;
            match local.digest_ha1(name, false, alg) {
                Ok(found) => found,
                Err(e) => {
                    db_down = Some(e.to_string());
                    None
                }
            }
        });
        if let Some(why) = db_down {
            return self.answer(Decision::Unavailable(why), ctx, "digest", &shown, "local");
        }
        match outcome {
            DigestOutcome::Ok { user: name } => match local.user(&name) {
                Err(e) => self.answer(Decision::Unavailable(e.to_string()), ctx, "digest", &name, "local"),
                Ok(None) => self.failed(&keys, Decision::Unknown, ctx, "digest", &name, "local"),
                Ok(Some(user)) => match account_refusal(&user, self.clock.now()) {
                    Some(r) => self.failed(&keys, Decision::Rejected(r), ctx, "digest", &name, "local"),
                    None => {
                        self.throttle.record_success(&user_key(&name));
                        self.accepted(identity(&user), ctx, "digest", false)
                    }
                },
            },
            DigestOutcome::Stale { reason } => {
                tracing::debug!("digest stale: {reason}");
                self.answer(Decision::Stale, ctx, "digest", &shown, "local")
            }
            DigestOutcome::Invalid(reason) => {
                tracing::debug!("digest refused: {reason}");
                self.failed(&keys, Decision::Rejected(Rejection::BadCredentials), ctx, "digest", &shown, "local")
            }
            DigestOutcome::UnknownUser => self.failed(&keys, Decision::Unknown, ctx, "digest", &shown, "-"),
            DigestOutcome::Unavailable(why) => {
                tracing::warn!("digest replay record unavailable: {why}");
                self.answer(Decision::Unavailable(why), ctx, "digest", &shown, "local")
            }
        }
    }
}
