//! Who the call is about: the user name from PAM, the service, and the lookups that decide
//! whether Wicket is asked at all (`minimum_uid`, unknown users).

use super::log::shown;
use super::{Daemon, MAX_USER_LEN, Module, Pam, Phase};
use crate::pam::Code;
use wicket_proto::client::ClientError;
use wicket_proto::proto::{Op, Request, Response};

impl<P: Pam, D: Daemon> Module<P, D> {
    /// The user name, or the code to return when there is none or it is malformed.
    pub(super) fn user(&mut self) -> Result<String, Code> {
        let raw = match self.pam.user() {
            Ok(raw) => raw,
            Err(code) => {
                self.debug(&format!("no user name: {code}"));
                return Err(code);
            }
        };
        let name = String::from_utf8(raw)
            .ok()
            .filter(|n| !n.is_empty() && n.len() <= MAX_USER_LEN && !n.chars().any(char::is_control));
        match name {
            Some(n) => Ok(n),
            None => {
                self.debug("refusing an empty or malformed user name");
                Err(self.unknown_user_code())
            }
        }
    }

    pub(super) fn service(&self) -> String {
        self.pam.service().filter(|s| !s.is_empty()).unwrap_or_else(|| "unknown".into())
    }

    /// With `minimum_uid`: `Some(PAM_IGNORE)` for a Wicket user below it, `Some(code)` when
    /// the lookup failed, `None` to go on (also for users Wicket does not know: wicketd then
    /// answers the real question, at the cost of a wrong password).
    pub(super) fn below_minimum_uid(&mut self, user: &str, phase: Phase) -> Option<Code> {
        let minimum = self.options.minimum_uid?;
        match self.daemon.call(&Request::new(Op::GetPwNam { name: user.to_string() })) {
            Ok(Response::Passwd(pw)) if pw.uid < minimum => {
                self.debug(&format!(
                    "{}: {} has uid {} < minimum_uid {minimum}: ignored",
                    phase.name(),
                    shown(user),
                    pw.uid
                ));
                Some(Code::IGNORE)
            }
            Ok(Response::Passwd(_) | Response::NotFound) => None,
            other => Some(self.lookup_failed(phase, user, other)),
        }
    }

    /// Password changes: the user must be in a Wicket directory (else unknown, before any
    /// prompt) and not below `minimum_uid`.
    pub(super) fn lookup(&mut self, user: &str, phase: Phase) -> Option<Code> {
        match self.daemon.call(&Request::new(Op::GetPwNam { name: user.to_string() })) {
            Ok(Response::Passwd(pw)) => match self.options.minimum_uid {
                Some(minimum) if pw.uid < minimum => {
                    self.debug(&format!(
                        "{}: {} has uid {} < minimum_uid {minimum}: ignored",
                        phase.name(),
                        shown(user),
                        pw.uid
                    ));
                    Some(Code::IGNORE)
                }
                _ => None,
            },
            other => Some(self.lookup_failed(phase, user, other)),
        }
    }

    /// A `GetPwNam` that found nothing or failed. Only "not found" and "unreachable" have a
    /// meaning here; any other answer (even `Ok`) is a protocol error, never a success.
    pub(super) fn lookup_failed(&mut self, phase: Phase, user: &str, answer: Result<Response, ClientError>) -> Code {
        match answer {
            Ok(Response::NotFound) => {
                self.debug(&format!("{}: {} is not a Wicket user", phase.name(), shown(user)));
                self.unknown_user_code()
            }
            Ok(Response::Unavailable { .. } | Response::BadRequest { .. }) | Err(_) => self.answer(phase, user, answer),
            Ok(other) => {
                self.error(&format!("{}: unexpected answer from wicketd to a user lookup: {other:?}", phase.name()));
                Code::SYSTEM_ERR
            }
        }
    }
}
