//! `pam_sm_authenticate`: one password attempt (two with `try_first_pass`), checked by wicketd.

use super::log::shown;
use super::{Daemon, FAIL_DELAY_USEC, Module, Pam, Phase, Unusable};
use crate::pam::{Code, Flags, Token};
use wicket_proto::proto::{Op, Request};

impl<P: Pam, D: Daemon> Module<P, D> {
    /// `pam_sm_authenticate`.
    pub fn authenticate(&mut self, _flags: Flags) -> Code {
        if !self.options.nodelay {
            self.pam.fail_delay(FAIL_DELAY_USEC);
        }
        let user = match self.user() {
            Ok(u) => u,
            Err(code) => return code,
        };
        if let Some(code) = self.below_minimum_uid(&user, Phase::Authenticate) {
            return code;
        }
        let stacked = self.pam.has_authtok(Token::Current);
        let code = self.check_password(&user);
        if code == Code::AUTH_ERR && stacked && self.options.try_first_pass && !self.options.use_first_pass {
            self.debug(&format!("the earlier module's password was refused for {}; prompting", shown(&user)));
            if let Err(code) = self.pam.forget_authtok(Token::Current) {
                return code;
            }
            return self.check_password(&user);
        }
        code
    }

    /// One password attempt: read it, refuse the unusable ones locally, ask wicketd.
    pub(super) fn check_password(&mut self, user: &str) -> Code {
        let password = match self.pam.authtok(Token::Current, None) {
            Ok(p) => p,
            Err(code) => return self.no_password(user, Phase::Authenticate, code),
        };
        if let Some(why) = Unusable::of(&password) {
            self.debug(&format!("authenticate: password of {} is {}; not asking wicketd", shown(user), why.describe()));
            return Code::AUTH_ERR;
        }
        let service = self.service();
        let rhost = self.pam.rhost();
        let request = Op::Authenticate { user: user.to_string(), password, service, rhost };
        let answer = self.daemon.call(&Request::new(request));
        self.answer(Phase::Authenticate, user, answer)
    }

    pub(super) fn no_password(&mut self, user: &str, phase: Phase, code: Code) -> Code {
        self.debug(&format!("{}: no password for {}: {code}", phase.name(), shown(user)));
        code
    }
}
