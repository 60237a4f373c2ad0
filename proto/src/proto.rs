//! The local-socket protocol between wicketd and the PAM/NSS modules.
//!
//! One request per connection: a 4-byte big-endian length, then that many bytes of JSON;
//! the answer comes back the same way. Frames are at most [`MAX_FRAME`] bytes. Every request
//! carries [`PROTOCOL_VERSION`]; the daemon refuses versions it does not speak. The daemon
//! learns who is asking from `SO_PEERCRED`, never from the request.
//!
//! The protocol grows by adding ops and answers within a version: a peer that does not know
//! one fails closed (an old daemon answers `bad_request` to an unknown op; an old module
//! cannot parse an unknown answer and refuses the login).
//!
//! A second factor (TOTP) takes two requests. `authenticate` with the right password of an
//! account that has a confirmed enrolment answers [`Response::CodeRequired`] with a
//! [`Ticket`] instead of `ok`; the module asks the user for a code and sends
//! [`Op::VerifyCode`] with that ticket. The ticket is good once, for a few minutes, from the
//! same caller uid, so a code can only be tried after the password was right, and whether an
//! account is enrolled is told only to someone who knew its password.

use crate::secret::Secret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest frame either side accepts.
pub const MAX_FRAME: usize = 64 * 1024;
/// The socket when the config does not say otherwise.
pub const DEFAULT_SOCKET: &str = "/run/wicket/wicketd.sock";

/// A passwd entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosixUser {
    /// Login name.
    pub name: String,
    /// uid.
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
    /// GECOS (full name).
    pub gecos: String,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

/// A group entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosixGroup {
    /// Group name.
    pub name: String,
    /// gid.
    pub gid: u32,
    /// Member user names.
    pub members: Vec<String>,
}

/// A request with its version.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    /// [`PROTOCOL_VERSION`].
    pub version: u32,
    /// What is asked.
    #[serde(flatten)]
    pub op: Op,
}

impl Request {
    /// A request of this build's version.
    pub fn new(op: Op) -> Self {
        Self { version: PROTOCOL_VERSION, op }
    }
}

/// What a client asks.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Verify a password (PAM auth).
    Authenticate {
        /// User name.
        user: String,
        /// Password.
        password: Secret,
        /// PAM service asking (`sshd`, `login`…), for the audit line.
        service: String,
        /// Remote host, when PAM knows it.
        rhost: Option<String>,
    },
    /// May this user log in now (PAM account)?
    Account {
        /// User name.
        user: String,
        /// PAM service.
        service: String,
    },
    /// Change a password (PAM password). With `check_only`, only verifies the old password
    /// and that the change could be made (PAM's PRELIM_CHECK).
    ChangePassword {
        /// User name.
        user: String,
        /// Current password; root may omit it.
        old_password: Option<Secret>,
        /// New password (ignored with `check_only`).
        new_password: Option<Secret>,
        /// PAM service.
        service: String,
        /// Preliminary check only.
        check_only: bool,
    },
    /// passwd by name.
    GetPwNam {
        /// Name.
        name: String,
    },
    /// passwd by uid.
    GetPwUid {
        /// uid.
        uid: u32,
    },
    /// group by name.
    GetGrNam {
        /// Name.
        name: String,
    },
    /// group by gid.
    GetGrGid {
        /// gid.
        gid: u32,
    },
    /// Supplementary gids of a user.
    InitGroups {
        /// User name.
        user: String,
    },
    /// Checks a second-factor code after `authenticate` answered
    /// [`Response::CodeRequired`]: `ok`, `auth_error` (wrong or reused code, or a ticket
    /// that is unknown, used, expired or another caller's), `throttled` or `unavailable`.
    VerifyCode {
        /// User name, as sent with the password.
        user: String,
        /// The ticket from [`Response::CodeRequired`].
        ticket: Ticket,
        /// The code as typed (a TOTP code or a recovery code).
        code: Secret,
        /// PAM service.
        service: String,
        /// Remote host, when PAM knows it.
        rhost: Option<String>,
    },
}

/// Proof that a password was just right, to be spent on one [`Op::VerifyCode`]. A bearer
/// value: `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ticket(pub String);

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ticket(***)")
    }
}

/// The daemon's answer.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Response {
    /// Done / allowed.
    Ok,
    /// The password is right and the account has a second factor: ask for a code and send
    /// it with [`Op::VerifyCode`] and this ticket.
    CodeRequired {
        /// Spent by the next `verify_code`.
        ticket: Ticket,
    },
    /// Wrong password.
    AuthError,
    /// No backend knows the user.
    UnknownUser,
    /// The daemon's backends cannot answer.
    Unavailable {
        /// Why (no secrets).
        reason: String,
    },
    /// Too many failures; try later.
    Throttled {
        /// Seconds until the lockout ends.
        retry_after_secs: u64,
    },
    /// The account has expired.
    Expired,
    /// The account is locked or disabled.
    PermissionDenied,
    /// The new password was refused (empty, or the backend cannot change it).
    PasswordRefused {
        /// Why.
        reason: String,
    },
    /// The caller may not ask this (another user's password as non-root).
    NotAllowed,
    /// A passwd entry.
    Passwd(PosixUser),
    /// A group entry.
    Group(PosixGroup),
    /// Supplementary gids.
    Groups {
        /// gids.
        gids: Vec<u32>,
    },
    /// No such entry.
    NotFound,
    /// The request was malformed or of another version.
    BadRequest {
        /// Why.
        reason: String,
    },
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.expose_str() {
            Some(t) => s.serialize_str(t),
            None => Err(serde::ser::Error::custom("secret is not UTF-8")),
        }
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::from_string)
    }
}

/// Encodes a frame: length prefix + JSON.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, String> {
    let body = serde_json::to_vec(msg).map_err(|e| e.to_string())?;
    if body.len() > MAX_FRAME {
        return Err("frame too large".into());
    }
    let len = u32::try_from(body.len()).map_err(|_| "frame too large".to_string())?;
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    let mut body = body;
    zeroize::Zeroize::zeroize(&mut body);
    Ok(out)
}

/// Reads a frame's length prefix, refusing oversized frames.
pub fn frame_len(prefix: [u8; 4]) -> Result<usize, String> {
    let n = u32::from_be_bytes(prefix) as usize;
    if n == 0 || n > MAX_FRAME { Err(format!("bad frame length {n}")) } else { Ok(n) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_json() {
        let r = Request::new(Op::Authenticate {
            user: "alice".into(),
            password: Secret::from("pw"),
            service: "sshd".into(),
            rhost: None,
        });
        let frame = encode(&r).unwrap_or_default();
        let n = frame_len([frame[0], frame[1], frame[2], frame[3]]).unwrap_or(0);
        assert_eq!(n, frame.len() - 4);
        let back: Request = serde_json::from_slice(&frame[4..]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.version, PROTOCOL_VERSION);
        assert!(
            matches!(back.op, Op::Authenticate { ref user, ref password, .. } if user == "alice" && password.expose() == b"pw")
        );
        let dbg = format!("{back:?}");
        assert!(!dbg.contains("\"pw\"") && dbg.contains("***"), "{dbg}");
    }

    #[test]
    fn responses_round_trip() {
        for r in [
            Response::Ok,
            Response::Throttled { retry_after_secs: 5 },
            Response::Passwd(PosixUser {
                name: "a".into(),
                uid: 1,
                gid: 2,
                gecos: "A".into(),
                home: "/h".into(),
                shell: "/bin/sh".into(),
            }),
            Response::Groups { gids: vec![1, 2] },
            Response::CodeRequired { ticket: Ticket("t0".into()) },
        ] {
            let f = encode(&r).unwrap_or_default();
            let back: Response = serde_json::from_slice(&f[4..]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, r);
        }
    }

    #[test]
    fn a_code_request_hides_its_secrets() {
        let r = Request::new(Op::VerifyCode {
            user: "alice".into(),
            ticket: Ticket("tk-123".into()),
            code: Secret::from("654321"),
            service: "sshd".into(),
            rhost: None,
        });
        let frame = encode(&r).unwrap_or_default();
        let text = String::from_utf8_lossy(&frame[4..]).into_owned();
        assert!(text.contains(r#""op":"verify_code""#) && text.contains(r#""ticket":"tk-123""#), "{text}");
        let back: Request = serde_json::from_slice(&frame[4..]).unwrap_or_else(|e| panic!("{e}"));
        let dbg = format!("{back:?}");
        assert!(!dbg.contains("tk-123") && !dbg.contains("654321"), "{dbg}");
        let answer = format!("{:?}", Response::CodeRequired { ticket: Ticket("tk-123".into()) });
        assert!(!answer.contains("tk-123"), "{answer}");
    }

    #[test]
    fn frame_limits() {
        assert!(frame_len([0, 0, 0, 0]).is_err());
        assert!(frame_len((MAX_FRAME as u32 + 1).to_be_bytes()).is_err());
        assert_eq!(frame_len(10u32.to_be_bytes()), Ok(10));
        let huge = Response::BadRequest { reason: "x".repeat(MAX_FRAME) };
        assert!(encode(&huge).is_err());
        assert!(serde_json::from_slice::<Request>(br#"{"version":1,"op":"nope"}"#).is_err());
        assert!(serde_json::from_slice::<Request>(br#"{"version":1,"op":"get_pw_nam","name":"a","extra":1}"#).is_err());
    }
}
