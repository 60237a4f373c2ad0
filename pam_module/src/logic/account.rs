//! `pam_sm_acct_mgmt`: wicketd says whether the account may log in now.

use super::{Daemon, Module, Pam, Phase};
use crate::pam::{Code, Flags};
use wicket_proto::proto::{Op, Request};

impl<P: Pam, D: Daemon> Module<P, D> {
    /// `pam_sm_acct_mgmt`.
    pub fn account(&mut self, _flags: Flags) -> Code {
        let user = match self.user() {
            Ok(u) => u,
            Err(code) => return code,
        };
        if let Some(code) = self.below_minimum_uid(&user, Phase::Account) {
            return code;
        }
        let service = self.service();
        let answer = self.daemon.call(&Request::new(Op::Account { user: user.clone(), service }));
        self.answer(Phase::Account, &user, answer)
    }
}
