//! After a right password: the verification code. wicketd decides who has a second factor
//! and says so only after the password (`code_required` with a ticket); the module line's
//! `totp=` decides about the others.

use super::log::shown;
use super::{CODE_PROMPT, Daemon, MAX_CODE_LEN, Module, Pam, Phase};
use crate::options::Totp;
use crate::pam::Code;
use wicket_proto::proto::{Op, Request, Ticket};

/// What a user without an enrolment reads under `totp=required`.
pub const NOT_ENROLLED_MESSAGE: &str =
    "A verification code is required, but this account has no authenticator enrolled; ask an administrator.";

impl<P: Pam, D: Daemon> Module<P, D> {
    /// The password was right; `ticket` is wicketd's when the account has a second factor.
    pub(super) fn second_factor(&mut self, user: &str, ticket: Option<Ticket>) -> Code {
        let Some(ticket) = ticket else {
            if self.options.totp == Totp::Enrolled {
                return Code::SUCCESS;
            }
            self.notice(&format!("authenticate: {} has no second factor and totp=required", shown(user)));
            if !self.silent {
                self.pam.error_message(NOT_ENROLLED_MESSAGE);
            }
            return Code::PERM_DENIED;
        };
        let code = match self.pam.prompt_echo_on(CODE_PROMPT) {
            Ok(c) => c,
            Err(code) => {
                self.debug(&format!("verification code: none from {}: {code}", shown(user)));
                return code;
            }
        };
        if code.is_empty() || code.len() > MAX_CODE_LEN || code.expose_str().is_none() {
            self.debug(&format!("verification code of {} is empty, too long or not UTF-8", shown(user)));
            return Code::AUTH_ERR;
        }
        let request =
            Op::VerifyCode { user: user.to_string(), ticket, code, service: self.service(), rhost: self.pam.rhost() };
        let answer = self.daemon.call(&Request::new(request));
        self.answer(Phase::Code, user, answer)
    }
}
