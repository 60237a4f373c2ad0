//! Log lines through `pam_syslog`, filtered by `debug` and `quiet`. Never a password.

use super::{Daemon, Module, Pam};
use crate::pam::Level;

impl<P: Pam, D: Daemon> Module<P, D> {
    pub(super) fn debug(&mut self, message: &str) {
        if self.options.debug {
            self.pam.log(Level::Debug, message);
        }
    }

    pub(super) fn info(&mut self, message: &str) {
        if !self.options.quiet {
            self.pam.log(Level::Info, message);
        }
    }

    pub(super) fn notice(&mut self, message: &str) {
        if !self.options.quiet {
            self.pam.log(Level::Notice, message);
        }
    }

    pub(super) fn warn(&mut self, message: &str) {
        if !self.options.quiet {
            self.pam.log(Level::Warning, message);
        }
    }

    pub(super) fn error(&mut self, message: &str) {
        self.pam.log(Level::Err, message);
    }
}

/// A user name as it appears in log lines: quoted and escaped.
pub(super) fn shown(user: &str) -> String {
    format!("\"{}\"", user.escape_debug())
}
