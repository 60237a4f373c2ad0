//! The one question every front asks: is this credential good, and who is it?
//!
//! [`BackendChain`] walks the backend chain in config order. `Unknown` asks the next
//! backend; `Rejected` stops; `Unavailable` asks the next and, if nobody accepts, the
//! answer is *unavailable* — never a plain "wrong password". The first backend that knows
//! the user decides, so one backend's password can never open another backend's account.

use crate::secret::Secret;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Who a credential belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Login name.
    pub name: String,
    /// POSIX uid, when the backend has one.
    pub uid: Option<u32>,
    /// POSIX primary gid.
    pub gid: Option<u32>,
    /// Full name.
    pub display_name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Group names.
    pub groups: Vec<String>,
    /// Which backend vouched (`local`, `ldap`, `pam`).
    pub backend: String,
    /// Token scopes when the credential was a token; `None` for passwords.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// Why a known user was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// Wrong password or token.
    BadCredentials,
    /// Account locked (`wicket user lock`).
    Locked,
    /// Account disabled.
    Disabled,
    /// Account past its expiry date.
    Expired,
    /// Token revoked.
    TokenRevoked,
    /// Token past its expiry.
    TokenExpired,
    /// Browser session past its absolute end or its inactivity limit, or ended (sign-out,
    /// revocation, lock, password change).
    SessionExpired,
}

impl Rejection {
    /// A short word for audit lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadCredentials => "bad_credentials",
            Self::Locked => "locked",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
            Self::TokenRevoked => "token_revoked",
            Self::TokenExpired => "token_expired",
            Self::SessionExpired => "session_expired",
        }
    }
}

/// One backend's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendAnswer {
    /// The backend knows the user and the credential is right.
    Accepted(Identity),
    /// The backend knows the user and refuses.
    Rejected(Rejection),
    /// The backend does not know the user.
    Unknown,
    /// The backend cannot answer now (server down, database unreadable).
    Unavailable(String),
}

/// The chain's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Good credential.
    Accepted(Identity),
    /// Known user, refused; `backend` names who decided.
    Rejected {
        /// Why.
        reason: Rejection,
        /// Which backend decided.
        backend: String,
    },
    /// No backend knows the user.
    Unknown,
    /// At least one backend that might know the user is down and no one accepted.
    Unavailable(String),
}

impl Verdict {
    /// A short word for audit lines and `wicket check`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Accepted(_) => "accepted",
            Self::Rejected { .. } => "rejected",
            Self::Unknown => "unknown_user",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// A source of users that can check passwords. Calls block (SQLite, argon2, LDAP, PAM):
/// async callers run them on a blocking thread.
pub trait Backend: Send + Sync + fmt::Debug {
    /// `local`, `ldap`, `pam`.
    fn name(&self) -> &str;
    /// Checks a user's password. Implementations refuse empty passwords and spend the same
    /// time on unknown users as on wrong passwords.
    fn verify_password(&self, user: &str, password: &Secret) -> BackendAnswer;
}

/// The backend chain.
#[derive(Debug, Clone)]
pub struct BackendChain {
    backends: Vec<Arc<dyn Backend>>,
}

impl BackendChain {
    /// A chain over `backends`, tried in order.
    pub fn new(backends: Vec<Arc<dyn Backend>>) -> Self {
        Self { backends }
    }

    /// The backends, in order.
    pub fn backends(&self) -> &[Arc<dyn Backend>] {
        &self.backends
    }

    /// Runs the chain for a username and password.
    pub fn verify_password(&self, user: &str, password: &Secret) -> Verdict {
        let mut unavailable: Option<String> = None;
        for b in &self.backends {
            match b.verify_password(user, password) {
                BackendAnswer::Accepted(id) => return Verdict::Accepted(id),
                // A backend earlier in the chain that is down might have owned this user:
                // do not let a later one turn that into "wrong password".
                BackendAnswer::Rejected(reason) => {
                    return match unavailable {
                        Some(why) => Verdict::Unavailable(why),
                        None => Verdict::Rejected { reason, backend: b.name().to_string() },
                    };
                }
                BackendAnswer::Unknown => {}
                BackendAnswer::Unavailable(why) => {
                    unavailable.get_or_insert_with(|| format!("{}: {why}", b.name()));
                }
            }
        }
        match unavailable {
            Some(why) => Verdict::Unavailable(why),
            None => Verdict::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed(&'static str, BackendAnswer);

    impl Backend for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn verify_password(&self, _: &str, _: &Secret) -> BackendAnswer {
            self.1.clone()
        }
    }

    fn id(backend: &str) -> Identity {
        Identity {
            name: "u".into(),
            uid: None,
            gid: None,
            display_name: None,
            email: None,
            groups: vec![],
            backend: backend.into(),
            scopes: None,
        }
    }

    fn chain(answers: Vec<(&'static str, BackendAnswer)>) -> Verdict {
        let backends = answers.into_iter().map(|(n, a)| Arc::new(Fixed(n, a)) as Arc<dyn Backend>).collect();
        BackendChain::new(backends).verify_password("u", &Secret::from("pw"))
    }

    #[test]
    fn unknown_asks_the_next() {
        let v = chain(vec![("a", BackendAnswer::Unknown), ("b", BackendAnswer::Accepted(id("b")))]);
        assert_eq!(v, Verdict::Accepted(id("b")));
        assert_eq!(chain(vec![("a", BackendAnswer::Unknown)]), Verdict::Unknown);
    }

    #[test]
    fn rejected_stops_so_no_backend_shadows_another() {
        let v = chain(vec![
            ("a", BackendAnswer::Rejected(Rejection::BadCredentials)),
            ("b", BackendAnswer::Accepted(id("b"))),
        ]);
        assert_eq!(v, Verdict::Rejected { reason: Rejection::BadCredentials, backend: "a".into() });
    }

    #[test]
    fn unavailable_is_never_a_wrong_password() {
        let v = chain(vec![("a", BackendAnswer::Unavailable("down".into())), ("b", BackendAnswer::Unknown)]);
        assert_eq!(v, Verdict::Unavailable("a: down".into()));
        let v = chain(vec![("a", BackendAnswer::Unavailable("down".into())), ("b", BackendAnswer::Accepted(id("b")))]);
        assert_eq!(v, Verdict::Accepted(id("b")));
        let v = chain(vec![
            ("a", BackendAnswer::Unavailable("down".into())),
            ("b", BackendAnswer::Rejected(Rejection::Locked)),
        ]);
        assert_eq!(v, Verdict::Unavailable("a: down".into()));
        let v = chain(vec![
            ("a", BackendAnswer::Rejected(Rejection::Locked)),
            ("b", BackendAnswer::Unavailable("down".into())),
        ]);
        assert!(matches!(v, Verdict::Rejected { reason: Rejection::Locked, .. }));
    }
}
