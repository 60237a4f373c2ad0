//! `pam_sm_chauthtok`: the two passes of a password change.

use super::log::shown;
use super::{Daemon, Module, OLD_PASSWORD_PROMPT, Pam, Phase, Unusable};
use crate::pam::{Code, Flags, Token};
use wicket_proto::proto::{Op, Request};

impl<P: Pam, D: Daemon> Module<P, D> {
    /// `pam_sm_chauthtok`: PRELIM checks the current password and that wicketd can change
    /// it; UPDATE changes it. Root (real uid 0) is not asked for the current password
    /// unless the change is for an expired password (`PAM_CHANGE_EXPIRED_AUTHTOK`), as in
    /// pam_unix.
    pub fn chauthtok(&mut self, flags: Flags) -> Code {
        self.silent = flags.contains(Flags::SILENT);
        let phase = match (flags.contains(Flags::PRELIM_CHECK), flags.contains(Flags::UPDATE_AUTHTOK)) {
            (true, false) => Phase::Prelim,
            (false, true) => Phase::Update,
            _ => {
                self.error("chauthtok called without exactly one of PAM_PRELIM_CHECK and PAM_UPDATE_AUTHTOK");
                return Code::SYSTEM_ERR;
            }
        };
        let user = match self.user() {
            Ok(u) => u,
            Err(code) => return code,
        };
        // Known to Wicket at all? Decided before any prompt, identically in both passes, so
        // a system user's `passwd` goes straight to the next module.
        if let Some(code) = self.lookup(&user, phase) {
            return code;
        }
        let root_skips_old = self.pam.caller_uid() == 0 && !flags.contains(Flags::CHANGE_EXPIRED_AUTHTOK);
        let old = if root_skips_old {
            None
        } else {
            let old = match self.pam.authtok(Token::Old, Some(OLD_PASSWORD_PROMPT)) {
                Ok(p) => p,
                Err(code) => return self.no_password(&user, phase, code),
            };
            if let Some(why) = Unusable::of(&old) {
                self.debug(&format!("{}: current password of {} is {}", phase.name(), shown(&user), why.describe()));
                return Code::AUTH_ERR;
            }
            Some(old)
        };
        let service = self.service();
        if phase == Phase::Prelim {
            let request = Op::ChangePassword {
                user: user.clone(),
                old_password: old,
                new_password: None,
                service,
                check_only: true,
            };
            let answer = self.daemon.call(&Request::new(request));
            return self.answer(phase, &user, answer);
        }
        let new = match self.pam.authtok(Token::Current, None) {
            Ok(p) => p,
            Err(code) => return self.no_password(&user, phase, code),
        };
        if let Some(why) = Unusable::of(&new) {
            self.debug(&format!("{}: new password of {} is {}", phase.name(), shown(&user), why.describe()));
            return Code::AUTHTOK_ERR;
        }
        let request = Op::ChangePassword {
            user: user.clone(),
            old_password: old,
            new_password: Some(new),
            service,
            check_only: false,
        };
        let answer = self.daemon.call(&Request::new(request));
        self.answer(phase, &user, answer)
    }
}
