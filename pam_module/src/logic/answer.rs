//! wicketd's answer (or its absence) mapped to a PAM code.

use super::log::shown;
use super::{Daemon, Module, Pam, Phase};
use crate::pam::Code;
use wicket_proto::client::ClientError;
use wicket_proto::proto::Response;

impl<P: Pam, D: Daemon> Module<P, D> {
    /// Maps wicketd's answer (or its absence) to a PAM code, logging what deserves it.
    pub(super) fn answer(&mut self, phase: Phase, user: &str, answer: Result<Response, ClientError>) -> Code {
        let who = shown(user);
        let op = phase.name();
        let code = match answer {
            Ok(Response::Ok) => Code::SUCCESS,
            Ok(Response::AuthError) => Code::AUTH_ERR,
            Ok(Response::UnknownUser | Response::NotFound) => self.unknown_user_code(),
            Ok(Response::Expired) => Code::ACCT_EXPIRED,
            Ok(Response::PermissionDenied) => Code::PERM_DENIED,
            Ok(Response::Throttled { retry_after_secs }) => {
                self.notice(&format!("{op}: {who} is throttled for {retry_after_secs} s after repeated failures"));
                Code::MAXTRIES
            }
            Ok(Response::NotAllowed) => {
                let uid = self.pam.caller_uid();
                self.warn(&format!(
                    "{op}: wicketd refused to answer uid {uid} about {who}: only root may ask about another user"
                ));
                Code::PERM_DENIED
            }
            Ok(Response::PasswordRefused { reason }) => {
                self.warn(&format!("{op}: wicketd refused the password change for {who}: {}", reason.escape_debug()));
                // The user learns which rule the new password broke (never the password).
                if !self.silent {
                    let text: String = reason.chars().filter(|c| !c.is_control()).take(200).collect();
                    self.pam.error_message(&text);
                }
                Code::AUTHTOK_ERR
            }
            Ok(Response::Unavailable { reason }) => {
                return self.unavailable(phase, &format!("wicketd cannot decide for {who}: {}", reason.escape_debug()));
            }
            Err(e @ (ClientError::Connect(_) | ClientError::Io(_))) => {
                return self.unavailable(phase, &e.to_string().escape_debug().to_string());
            }
            Ok(Response::BadRequest { reason }) => {
                self.error(&format!("{op}: wicketd refused the request: {}", reason.escape_debug()));
                Code::SYSTEM_ERR
            }
            Err(e @ ClientError::Protocol(_)) => {
                self.error(&format!("{op}: {}", e.to_string().escape_debug()));
                Code::SYSTEM_ERR
            }
            Ok(
                other @ (Response::Passwd(_)
                | Response::Group(_)
                | Response::Groups { .. }
                | Response::CodeRequired { .. }),
            ) => {
                self.error(&format!("{op}: unexpected answer from wicketd: {}", variant(&other)));
                Code::SYSTEM_ERR
            }
        };
        self.debug(&format!("{op} {who}: {code}"));
        code
    }

    /// wicketd or its backends cannot answer: `PAM_AUTHINFO_UNAVAIL` (`PAM_TRY_AGAIN` in the
    /// password change's first pass), or `PAM_IGNORE` with `ignore_authinfo_unavail` — then
    /// the line is a notice, since the administrator expects it.
    pub(super) fn unavailable(&mut self, phase: Phase, why: &str) -> Code {
        let code = if self.options.ignore_authinfo_unavail {
            self.notice(&format!("{}: {why} (ignored)", phase.name()));
            Code::IGNORE
        } else {
            self.error(&format!("{}: {why}", phase.name()));
            if phase == Phase::Prelim { Code::TRY_AGAIN } else { Code::AUTHINFO_UNAVAIL }
        };
        self.debug(&format!("{}: {code}", phase.name()));
        code
    }

    pub(super) fn unknown_user_code(&self) -> Code {
        if self.options.ignore_unknown_user { Code::IGNORE } else { Code::USER_UNKNOWN }
    }
}

fn variant(r: &Response) -> &'static str {
    match r {
        Response::Passwd(_) => "passwd entry",
        Response::Group(_) => "group entry",
        Response::Groups { .. } => "group list",
        Response::CodeRequired { .. } => "code required",
        _ => "other",
    }
}
