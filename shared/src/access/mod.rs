//! The access decision: "may this request through?", for every front that guards a resource
//! (nginx `auth_request`, forward-auth, and later FastCGI and Envoy), without HTTP types.
//!
//! A front reads the original request into a [`Target`], what the client presented into an
//! [`Offered`], and what the resource requires into [`Requirements`] (the [`rules`] match
//! plus the front's own `users`/`group`/`all_groups`/`scope` asks, [`query`]), then calls [`decide`]. It runs, in order:
//! the rule's verdict (`bypass`, `deny`, an unknown host), the credential through
//! [`Authenticator::verify`], the rule's `max_age` (a session signed in longer ago is
//! challenged with `fresh_login`), the user and group requirements, a `two_factor` rule's
//! second factor ([`Access::SecondFactor`]), the scope requirements — and answers
//! an [`Access`] with the audit events to write and the delay to wait. Each front renders
//! the `Access` in its protocol; none reaches into the throttle, cache or store.

pub mod members;
pub mod net;
pub mod query;
pub mod rules;
mod target;

pub use query::{Asked, QueryError};
pub use rules::{Rule, RuleMatch, compile};
pub use target::{Target, normalize_host, normalize_path};

use crate::auth::Identity;
use crate::config::{Policy, Scheme};
use crate::throttle::canonical_name;
use crate::verify::{AuditEvent, Authenticator, Context, Credential, Decision};
use std::time::Duration;

/// Which scheme the request's credentials used, as far as it can be told (for audit lines
/// and to put the tried scheme's challenge first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tried {
    /// No credentials.
    Nothing,
    /// One of ours, well-formed or not.
    Scheme(Scheme),
    /// A scheme Wicket does not speak.
    Other,
    /// Unusable, and not even the scheme is recognisable (e.g. two `Authorization` headers).
    Malformed,
}

impl Tried {
    /// The word in audit lines: `none`, `basic`, `digest`, `bearer`, `other`, `malformed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nothing => "none",
            Self::Scheme(s) => s.as_str(),
            Self::Other => "other",
            Self::Malformed => "malformed",
        }
    }

    /// The scheme, when it is one of ours.
    pub fn scheme(self) -> Option<Scheme> {
        match self {
            Self::Scheme(s) => Some(s),
            _ => None,
        }
    }
}

/// What the client presented, as the front parsed it.
#[derive(Debug)]
pub enum Offered {
    /// Nothing usable: no credentials, or a scheme not spoken or not offered.
    Nothing,
    /// Credentials that could not be parsed.
    Malformed {
        /// The scheme they claimed, if recognisable.
        scheme: Option<Scheme>,
        /// Why, for the log.
        why: &'static str,
    },
    /// A credential to verify.
    Credential(Credential),
}

/// What the resource asks of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirements {
    /// What the `[[rule]]`s said about the target.
    pub rule: RuleMatch,
    /// Any-of groups the front asks for besides the rule's (`/auth?group=`); empty = none.
    pub groups: Vec<String>,
    /// Scopes a bearer token must all carry (`/auth?scope=`); password credentials are not
    /// subject to them.
    pub scopes: Vec<String>,
    /// Any-of users the front asks for besides the rule's (`/auth?users=`), canonical
    /// names ([`canonical_name`]); empty = none.
    pub users: Vec<String>,
    /// Groups the front asks the user to be in, every one (`/auth?all_groups=`).
    pub all_groups: Vec<String>,
}

impl Requirements {
    /// Only an identity: no rules, users, groups or scopes (`/whoami`).
    pub fn identity() -> Self {
        Self {
            rule: RuleMatch::Default,
            groups: Vec::new(),
            scopes: Vec::new(),
            users: Vec::new(),
            all_groups: Vec::new(),
        }
    }

    /// The front's own asks (a parsed `/auth` query) under the rules' verdict.
    pub fn asked(rule: RuleMatch, asked: Asked) -> Self {
        Self { rule, groups: asked.groups, scopes: asked.scopes, users: asked.users, all_groups: asked.all_groups }
    }
}

/// The RFC 6750 error a Bearer challenge carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// The Bearer credentials were malformed.
    InvalidRequest,
    /// A token was presented and refused.
    InvalidToken,
    /// The token lacks a required scope.
    InsufficientScope,
}

impl BearerError {
    /// The RFC 6750 error code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }
}

/// Why a request is refused although (or before) its credentials were looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A `deny` rule matched.
    DeniedByRule,
    /// A host rule might apply and the host is unknown (see [`rules`]).
    HostUnknown,
    /// The user is in none of the required groups, or not in every one of `all_groups`.
    Group,
    /// The user is none of the required users.
    User,
    /// The token lacks a required scope.
    Scope,
}

impl Refusal {
    /// The outcome word in audit lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeniedByRule => "denied_by_rule",
            Self::HostUnknown => "host_unknown",
            Self::Group => "forbidden_group",
            Self::User => "forbidden_user",
            Self::Scope => "insufficient_scope",
        }
    }
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A `bypass` rule: through without looking at credentials, no identity.
    Bypass,
    /// Through, as this identity.
    Allow(Identity),
    /// Credentials needed (none, wrong, refused, throttled — the front does not say which).
    Challenge {
        /// Digest: the password was right but the nonce too old or used.
        stale: bool,
        /// What a Bearer challenge should say.
        bearer_error: Option<BearerError>,
        /// Set when the credentials were malformed, with why (a script-facing front may
        /// answer 400 with it; a proxy front must not).
        malformed: Option<&'static str>,
        /// A live session signed in longer ago than the rule's `max_age`: the portal must
        /// ask for the password again even though the browser is signed in.
        fresh_login: bool,
    },
    /// Refused whoever asks.
    Forbidden {
        /// Why.
        reason: Refusal,
        /// The first missing scope, for `WWW-Authenticate: … scope="…"`. Only ever an RFC
        /// 6750 scope-token (printable ASCII without space, `"` or `\`), so it needs no
        /// escaping; a required scope that is not one is refused without being named.
        insufficient_scope: Option<String>,
    },
    /// A backend that could decide is down.
    Unavailable,
    /// A `two_factor` rule wants a second factor this request has not proven.
    SecondFactor {
        /// A live one-factor session: the portal asks for the code and upgrades it
        /// (step-up). False for no credentials, or for ones that cannot carry a code (Basic,
        /// Digest, a Bearer token the rule does not accept), which are refused unverified.
        step_up: bool,
    },
}

/// [`decide`]'s result.
#[derive(Debug)]
pub struct Decided {
    /// The answer to render.
    pub access: Access,
    /// How long to wait before answering (the throttle's delay after a failure).
    pub delay: Duration,
    /// Audit lines to write ([`AuditEvent::log`]), in order.
    pub events: Vec<AuditEvent>,
    /// The `(scheme, outcome)` to count in the decision metrics, when a credential was
    /// looked at.
    pub counted: Option<(&'static str, &'static str)>,
}

impl Decided {
    fn now(access: Access) -> Self {
        Self { access, delay: Duration::ZERO, events: Vec::new(), counted: None }
    }
}

/// The access decision for `target`, with what the client `offered`, against `required`.
pub async fn decide(auth: &Authenticator, target: &Target, offered: Offered, required: &Requirements) -> Decided {
    let ctx = target.context();
    let none: &[String] = &[];
    // `Some(bearer accepted)` under a `two_factor` rule.
    let (rule_who, max_age, two_factor) = match &required.rule {
        RuleMatch::Default => ([none, none, none], None, None),
        RuleMatch::Matched { policy: Policy::Bypass, .. } => return Decided::now(Access::Bypass),
        RuleMatch::Matched { policy: Policy::Deny, .. } => return refused(&ctx, Refusal::DeniedByRule),
        RuleMatch::HostUnknown { .. } => return refused(&ctx, Refusal::HostUnknown),
        RuleMatch::Matched {
            policy: policy @ (Policy::Authenticated | Policy::TwoFactor),
            users,
            groups,
            all_groups,
            max_age,
            bearer,
            ..
        } => ([&users[..], &groups[..], &all_groups[..]], *max_age, (*policy == Policy::TwoFactor).then_some(*bearer)),
    };
    let asked_who = [&required.users[..], &required.groups[..], &required.all_groups[..]];
    let credential = match offered {
        Offered::Nothing if two_factor.is_some() => return Decided::now(Access::SecondFactor { step_up: false }),
        Offered::Nothing => {
            return Decided::now(Access::Challenge {
                stale: false,
                bearer_error: None,
                malformed: None,
                fresh_login: false,
            });
        }
        Offered::Malformed { scheme, why } => {
            tracing::debug!("malformed credentials: {why}");
            let tried = scheme.map_or(Tried::Malformed, Tried::Scheme);
            let bearer_error = (scheme == Some(Scheme::Bearer)).then_some(BearerError::InvalidRequest);
            let mut d = Decided::now(Access::Challenge {
                stale: false,
                bearer_error,
                malformed: Some(why),
                fresh_login: false,
            });
            d.events.push(event(&ctx, tried.as_str(), "-", "malformed", "-"));
            d.counted = Some(("malformed", "malformed"));
            return d;
        }
        Offered::Credential(c) => c,
    };
    let scheme = credential.kind();
    // Credentials sent with every request cannot carry a code: refused before any password
    // is checked, so a two-factor resource is no password oracle.
    let carries_factors = match credential.scheme() {
        None => true,
        Some(Scheme::Bearer) => two_factor == Some(true),
        Some(_) => false,
    };
    if two_factor.is_some() && !carries_factors {
        let mut d = Decided::now(Access::SecondFactor { step_up: false });
        d.events.push(event(&ctx, scheme, "-", "second_factor_required", "-"));
        return d;
    }
    let is_session = credential.scheme().is_none();
    let refused_token = (credential.scheme() == Some(Scheme::Bearer)).then_some(BearerError::InvalidToken);
    let outcome = auth.verify(credential, &ctx).await;
    let too_old = match (max_age, outcome.auth_time) {
        (Some(max), Some(at)) => auth.now().saturating_sub(at) > i64::try_from(max.as_secs()).unwrap_or(i64::MAX),
        _ => false,
    };
    let mut d = Decided {
        access: Access::Unavailable,
        delay: outcome.delay,
        counted: Some((outcome.event.scheme, outcome.event.outcome)),
        events: vec![outcome.event],
    };
    d.access = match outcome.decision {
        Decision::Accepted(id) if too_old => {
            d.events.push(event(&ctx, scheme, &id.name, "fresh_login_required", &id.backend));
            Access::Challenge { stale: false, bearer_error: None, malformed: None, fresh_login: true }
        }
        Decision::Accepted(id) => {
            let not_admitted = who_refusal(&id, rule_who).or_else(|| who_refusal(&id, asked_who));
            let missing = id.scopes.as_ref().and_then(|have| required.scopes.iter().find(|s| !have.contains(s)));
            if let Some(reason) = not_admitted {
                d.events.push(event(&ctx, scheme, &id.name, reason.as_str(), &id.backend));
                Access::Forbidden { reason, insufficient_scope: None }
            } else if two_factor.is_some() && is_session && !outcome.two_factor {
                d.events.push(event(&ctx, scheme, &id.name, "second_factor_required", &id.backend));
                Access::SecondFactor { step_up: true }
            } else if let Some(missing) = missing {
                d.events.push(event(&ctx, scheme, &id.name, Refusal::Scope.as_str(), &id.backend));
                let named = is_scope_token(missing).then(|| missing.clone());
                Access::Forbidden { reason: Refusal::Scope, insufficient_scope: named }
            } else {
                Access::Allow(id)
            }
        }
        Decision::Stale => Access::Challenge { stale: true, bearer_error: None, malformed: None, fresh_login: false },
        Decision::Unavailable(_) => Access::Unavailable,
        Decision::Rejected(_) | Decision::Unknown | Decision::Throttled(_) => {
            Access::Challenge { stale: false, bearer_error: refused_token, malformed: None, fresh_login: false }
        }
    };
    d
}

/// Why `id` does not pass `[users (any of, canonical), groups (any of), all_groups (every
/// one)]`, if it does not; an empty list asks nothing.
fn who_refusal(id: &Identity, [users, groups, all_groups]: [&[String]; 3]) -> Option<Refusal> {
    if !users.is_empty() && !users.contains(&canonical_name(&id.name)) {
        return Some(Refusal::User);
    }
    let in_any = groups.is_empty() || groups.iter().any(|g| id.groups.contains(g));
    let in_all = all_groups.iter().all(|g| id.groups.contains(g));
    (!(in_any && in_all)).then_some(Refusal::Group)
}

/// Refused before any credential is looked at.
fn refused(ctx: &Context, reason: Refusal) -> Decided {
    let mut d = Decided::now(Access::Forbidden { reason, insufficient_scope: None });
    d.events.push(event(ctx, Tried::Nothing.as_str(), "-", reason.as_str(), "-"));
    d
}

/// RFC 6750 §3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

fn event(ctx: &Context, scheme: &'static str, user: &str, outcome: &'static str, backend: &str) -> AuditEvent {
    AuditEvent {
        front: ctx.front.as_str(),
        scheme,
        user: user.to_string(),
        outcome,
        backend: backend.to_string(),
        client: ctx.client,
        peer_uid: ctx.peer_uid,
        service: ctx.service.clone(),
        method: ctx.method.clone(),
        path: ctx.path.clone(),
        quiet: false,
    }
}

#[cfg(test)]
mod tests;
