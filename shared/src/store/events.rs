//! The event trail's types: one [`EventRecord`] per sign-in decision worth keeping or
//! administrative change, and the [`EventQuery`] that `wicket events` asks with.

use serde::Serialize;

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A sign-in decision (written by wicketd).
    Auth,
    /// An administrative change (written by the CLI).
    Admin,
}

impl EventKind {
    /// The word stored and shown: `auth`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Admin => "admin",
        }
    }

    /// The kind named by `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auth" => Some(Self::Auth),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// Outcomes that count as success for `--outcome ok` (the rest, but `stale`, are failures).
pub const OK_OUTCOMES: &[&str] =
    &["accepted", "ok", "session_opened", "session_closed", "password_changed", "invite_used"];
/// Neither success nor failure: Digest's "right password, retry with a fresh nonce".
pub const NEUTRAL_OUTCOMES: &[&str] = &["stale"];

/// One event. Never a secret: names, addresses, paths without query, and for admin changes
/// which fields changed, never their values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    /// Assigned by the store (ignored by [`crate::store::UserStore::add_events`]); increasing.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// `auth` or `admin`.
    pub kind: EventKind,
    /// `http`, `pam`, `cli`.
    pub front: String,
    /// `basic`, `digest`, `bearer`, `password`, `session`; `-` for admin changes.
    pub scheme: String,
    /// The account concerned (as claimed when unknown; `-` when none).
    pub user: String,
    /// `accepted`, `bad_credentials`, `unknown_user`, …; `ok` for an admin change.
    pub outcome: String,
    /// The backend that decided; `-` when none did.
    pub backend: String,
    /// The client address, when known.
    pub client: Option<String>,
    /// The PAM service.
    pub service: Option<String>,
    /// The request method.
    pub method: Option<String>,
    /// The request path (never the query).
    pub path: Option<String>,
    /// The local caller's uid: who ran the CLI, or PAM's peer.
    pub actor_uid: Option<u32>,
    /// Who ran an admin command: `SUDO_USER`, else the login name of `actor_uid`.
    pub actor: Option<String>,
    /// What an admin command did, e.g. `user add alice` (names of options, never values).
    pub detail: Option<String>,
}

/// Which outcomes [`EventQuery`] keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeFilter {
    /// [`OK_OUTCOMES`].
    Ok,
    /// Everything else but [`NEUTRAL_OUTCOMES`].
    Fail,
    /// Exactly this word.
    Exact(String),
}

impl OutcomeFilter {
    /// `ok`, `fail`, or an exact outcome word.
    pub fn parse(s: &str) -> Self {
        match s {
            "ok" => Self::Ok,
            "fail" => Self::Fail,
            other => Self::Exact(other.to_string()),
        }
    }

    /// True when `outcome` passes.
    pub fn matches(&self, outcome: &str) -> bool {
        match self {
            Self::Ok => OK_OUTCOMES.contains(&outcome),
            Self::Fail => !OK_OUTCOMES.contains(&outcome) && !NEUTRAL_OUTCOMES.contains(&outcome),
            Self::Exact(w) => w == outcome,
        }
    }
}

/// A question for [`crate::store::UserStore::list_events`]; every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only this account.
    pub user: Option<String>,
    /// Only events at or after this Unix time.
    pub since: Option<i64>,
    /// Only these outcomes.
    pub outcome: Option<OutcomeFilter>,
    /// Only this kind.
    pub kind: Option<EventKind>,
    /// Only events with a larger id (following), oldest first from there.
    pub after_id: Option<i64>,
    /// At most this many: the newest ones, or with `after_id` the first ones after it.
    pub limit: Option<u32>,
}
