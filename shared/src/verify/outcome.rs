//! What [`super::Authenticator::verify`] answers: the decision, the delay the front must
//! wait before answering, and the audit event the front writes.

use super::context::Context;
use crate::auth::{Identity, Rejection};
use std::net::IpAddr;
use std::time::Duration;

/// The decision on one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Good credential.
    Accepted(Identity),
    /// A known account (or token), refused.
    Rejected(Rejection),
    /// Nobody knows the account.
    Unknown,
    /// Digest only: the password was right but the nonce cannot be used; answer with a fresh
    /// challenge carrying `stale=true`. No failure is counted.
    Stale,
    /// The throttle refused before anything was verified; retry after this long.
    Throttled(Duration),
    /// A backend that could decide is down (HTTP 503, PAM `AUTHINFO_UNAVAIL`).
    Unavailable(String),
}

impl Decision {
    /// The word for metrics and audit lines.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Accepted(_) => "accepted",
            Self::Rejected(r) => r.as_str(),
            Self::Unknown => "unknown_user",
            Self::Stale => "stale",
            Self::Throttled(_) => "throttled",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// One audit line: who, from where, through which front, with what, and how it ended.
/// Never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// `http`, `pam`, `cli`.
    pub front: &'static str,
    /// `basic`, `digest`, `bearer`, `password`.
    pub scheme: &'static str,
    /// The account as resolved, or as claimed when unknown; `-` for an unknown token.
    pub user: String,
    /// [`Decision::outcome`].
    pub outcome: &'static str,
    /// Which backend decided; `-` when none did.
    pub backend: String,
    /// The client address, when known.
    pub client: Option<IpAddr>,
    /// The local caller's uid.
    pub peer_uid: Option<u32>,
    /// The PAM service.
    pub service: Option<String>,
    /// The request method.
    pub method: Option<String>,
    /// The request path (never the query).
    pub path: Option<String>,
    /// A repeated cached success already logged for this account in this interval: counted,
    /// not written.
    pub quiet: bool,
}

impl AuditEvent {
    pub(super) fn new(ctx: &Context, scheme: &'static str, user: &str, decision: &Decision, backend: &str) -> Self {
        Self {
            front: ctx.front.as_str(),
            scheme,
            user: user.to_string(),
            outcome: decision.outcome(),
            backend: backend.to_string(),
            client: ctx.client,
            peer_uid: ctx.peer_uid,
            service: ctx.service.clone(),
            method: ctx.method.clone(),
            path: ctx.path.clone(),
            quiet: false,
        }
    }

    /// Writes the line (target `wicket::audit`), unless it is a quiet repeat. Every value a
    /// client chose is escaped, so no line can be forged or split.
    pub fn log(&self) {
        if self.quiet {
            return;
        }
        let dash = |v: &Option<String>| v.as_deref().map_or_else(|| "-".to_string(), |s| s.escape_debug().to_string());
        tracing::info!(
            target: "wicket::audit",
            front = self.front,
            user = %self.user.escape_debug(),
            client = %self.client.map_or_else(|| "-".to_string(), |c| c.to_string()),
            peer_uid = %self.peer_uid.map_or_else(|| "-".to_string(), |u| u.to_string()),
            service = %dash(&self.service),
            method = %dash(&self.method),
            path = %dash(&self.path),
            scheme = self.scheme,
            outcome = self.outcome,
            backend = %self.backend,
            "auth"
        );
    }
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The decision.
    pub decision: Decision,
    /// How long the front waits before answering (the throttle's delay after a failure).
    pub delay: Duration,
    /// The audit event; the front writes it with [`AuditEvent::log`].
    pub event: AuditEvent,
    /// When the password behind an accepted credential was last entered (Unix seconds): a
    /// session's sign-in time. `None` = this request proved it (Basic, Digest) or no password
    /// is involved (Bearer).
    pub auth_time: Option<i64>,
    /// True for a session opened (or stepped up) with a password and a second-factor code;
    /// false for every other credential.
    pub two_factor: bool,
}
