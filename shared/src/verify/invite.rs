//! Invitation links under the throttle: [`Authenticator::check_invite`] (the portal shows
//! the form) and [`Authenticator::redeem_invite`] (the person chose a password).
//!
//! A link that is unknown, used or expired is one answer, [`InviteDecision::Invalid`],
//! and counts as a failed attempt of the origin (the client address), like a wrong
//! password: guessing links meets the same delays and lockout as guessing passwords. There
//! is no account key (the name is what the link would reveal).

use super::{AuditEvent, Authenticator, Context, Decision};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::InviteInfo;
use std::time::Duration;

/// The decision on a link.
#[derive(Debug)]
pub enum InviteDecision {
    /// The link is open for this invitation (`check_invite`).
    Open(InviteInfo),
    /// The link was used: this user's password is set and their other sessions ended
    /// (`redeem_invite`).
    Redeemed(String),
    /// Unknown, used or expired: the same for all three.
    Invalid,
    /// The password breaks a rule ([`Error::WeakPassword`] or [`Error::EmptyPassword`]); the
    /// link is still open.
    Refused(Error),
    /// The origin is locked out; retry after this long.
    Throttled(Duration),
    /// The store cannot be used (fail closed).
    Unavailable(String),
}

/// The answer to a link: the decision, the delay to wait before answering, and the audit
/// event to write (scheme `invite`; outcome `invite_open`, `invite_used`, `invalid_invite`,
/// `weak_password`, `throttled` or `unavailable`).
#[derive(Debug)]
pub struct InviteOutcome {
    /// The decision.
    pub decision: InviteDecision,
    /// How long the front waits before answering.
    pub delay: Duration,
    /// The audit event.
    pub event: AuditEvent,
}

impl Authenticator {
    /// Whether `token` is an open link, for the page that asks for the password. Blocking
    /// (one indexed read): run it off the async reactor.
    pub fn check_invite(&self, token: &Secret, ctx: &Context) -> InviteOutcome {
        let now = self.clock.now();
        self.around_invite(ctx, |local| {
            local
                .with_accounts(|a| a.open_invite(token, now))
                .map(|o| o.map_or(InviteDecision::Invalid, InviteDecision::Open))
        })
    }

    /// Uses `token` to set `password` (see [`crate::accounts::Accounts::redeem_invite`]).
    /// Blocking (argon2 and a write): run it off the async reactor.
    pub fn redeem_invite(&self, token: &Secret, password: &Secret, ctx: &Context) -> InviteOutcome {
        let now = self.clock.now();
        self.around_invite(ctx, |local| match local.with_accounts(|a| a.redeem_invite(token, password, now)) {
            Ok(Some(user)) => Ok(InviteDecision::Redeemed(user)),
            Ok(None) => Ok(InviteDecision::Invalid),
            Err(e @ (Error::WeakPassword(_) | Error::EmptyPassword)) => Ok(InviteDecision::Refused(e)),
            Err(e) => Err(e),
        })
    }

    fn around_invite(
        &self,
        ctx: &Context,
        check: impl FnOnce(&crate::local::LocalBackend) -> Result<InviteDecision>,
    ) -> InviteOutcome {
        let keys = ctx.throttle_keys(None);
        let event = |outcome: &'static str, user: &str, backend: &str| {
            let mut e = AuditEvent::new(ctx, "invite", user, &Decision::Unknown, backend);
            e.outcome = outcome;
            e
        };
        if let Some(left) = self.throttle.locked(&keys) {
            return InviteOutcome {
                decision: InviteDecision::Throttled(left),
                delay: Duration::ZERO,
                event: event("throttled", "-", "-"),
            };
        }
        let decided = match self.chain.local.as_ref() {
            Some(local) => check(local),
            None => Err(Error::Invalid("no local store for invitations".into())),
        };
        let decision = match decided {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("invitation unavailable: {e}");
                return InviteOutcome {
                    decision: InviteDecision::Unavailable(e.to_string()),
                    delay: Duration::ZERO,
                    event: event("unavailable", "-", "-"),
                };
            }
        };
        let (outcome, user, delay) = match &decision {
            InviteDecision::Open(info) => ("invite_open", info.user.clone(), Duration::ZERO),
            InviteDecision::Redeemed(user) => ("invite_used", user.clone(), Duration::ZERO),
            InviteDecision::Refused(_) => ("weak_password", "-".to_string(), Duration::ZERO),
            _ => ("invalid_invite", "-".to_string(), self.throttle.record_failure(&keys)),
        };
        let backend = if user == "-" { "-" } else { "local" };
        InviteOutcome { event: event(outcome, &user, backend), decision, delay }
    }
}

#[cfg(test)]
#[path = "invite_tests.rs"]
mod tests;
