//! `pam_sm_authenticate`: one password attempt (two with `try_first_pass`), checked by wicketd,
//! then a verification code when wicketd asks for one.

use super::log::shown;
use super::{Daemon, FAIL_DELAY_USEC, Module, Pam, Phase, Unusable};
use crate::pam::{Code, Flags, Token};
use wicket_proto::proto::{Op, Request, Response, Ticket};

impl<P: Pam, D: Daemon> Module<P, D> {
    /// `pam_sm_authenticate`.
    pub fn authenticate(&mut self, flags: Flags) -> Code {
        self.silent = flags.contains(Flags::SILENT);
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
        let mut checked = self.check_password(&user);
        if checked == Err(Code::AUTH_ERR) && stacked && self.options.try_first_pass && !self.options.use_first_pass {
            self.debug(&format!("the earlier module's password was refused for {}; prompting", shown(&user)));
            if let Err(code) = self.pam.forget_authtok(Token::Current) {
                return code;
            }
            checked = self.check_password(&user);
        }
        match checked {
            Ok(ticket) => self.second_factor(&user, ticket),
            Err(code) => code,
        }
    }

    /// One password attempt: read it, refuse the unusable ones locally, ask wicketd. A
    /// right password is `Ok`, with the ticket for a code when wicketd wants one.
    pub(super) fn check_password(&mut self, user: &str) -> Result<Option<Ticket>, Code> {
        let password = match self.pam.authtok(Token::Current, None) {
            Ok(p) => p,
            Err(code) => return Err(self.no_password(user, Phase::Authenticate, code)),
        };
        if let Some(why) = Unusable::of(&password) {
            self.debug(&format!("authenticate: password of {} is {}; not asking wicketd", shown(user), why.describe()));
            return Err(Code::AUTH_ERR);
        }
        let service = self.service();
        let rhost = self.pam.rhost();
        let request = Op::Authenticate { user: user.to_string(), password, service, rhost };
        match self.daemon.call(&Request::new(request)) {
            Ok(Response::CodeRequired { ticket }) => {
                self.debug(&format!("authenticate {}: password right; a verification code is due", shown(user)));
                Ok(Some(ticket))
            }
            answer => match self.answer(Phase::Authenticate, user, answer) {
                Code::SUCCESS => Ok(None),
                code => Err(code),
            },
        }
    }

    pub(super) fn no_password(&mut self, user: &str, phase: Phase, code: Code) -> Code {
        self.debug(&format!("{}: no password for {}: {code}", phase.name(), shown(user)));
        code
    }
}
