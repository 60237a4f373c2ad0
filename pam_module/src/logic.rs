//! What the module decides, in safe code. [`Module`] drives a [`Pam`] handle (user, items,
//! prompts, log, failure delay) and a [`Daemon`] (one request, one answer); `ffi` supplies the
//! real ones, the tests scripted fakes.
//!
//! Flow of `pam_sm_authenticate`: failure delay → user name (refuse empty, over-long or with
//! control characters) → `minimum_uid` (one `GetPwNam`) → password (`pam_get_authtok`) →
//! empty, non-UTF-8 or over-long passwords fail without asking wicketd → `Authenticate` →
//! the answer mapped to a PAM code; `code_required` → "Verification code: " through the
//! conversation → `VerifyCode` with the ticket (`second_factor`; `totp=required` refuses an
//! account without an enrolment). `pam_sm_chauthtok` runs twice: PRELIM checks the current
//! password (`check_only`), UPDATE sends the old and the new one; wicketd refreshes the
//! Digest HA1 values itself. Nothing here logs a password.
//!
//! One file per job: [`authenticate`](Module::authenticate), [`account`](Module::account) and
//! [`chauthtok`](Module::chauthtok) are the entry points; `user` reads the user name and asks
//! wicketd whether it is one of its users; `answer` maps wicketd's answer to a PAM code; `log`
//! writes the syslog lines. Sessions and `setcred` are one line each, here.

mod account;
mod answer;
mod authenticate;
mod chauthtok;
mod log;
mod second_factor;
#[cfg(test)]
mod tests;
mod user;

use crate::options::Options;
use crate::pam::{Code, Flags, Level, Token};
use log::shown;
use wicket_proto::client::ClientError;
use wicket_proto::proto::{Request, Response};
// The tests build requests; their `use super::*` finds `Op` here.
#[cfg(test)]
use wicket_proto::proto::Op;
use wicket_proto::secret::Secret;

/// The failure delay asked of libpam (µs), as pam_unix does: randomised by libpam ±50 %.
pub const FAIL_DELAY_USEC: u32 = 2_000_000;
/// Longest password sent to wicketd; a longer one cannot be right (frames are 64 KiB).
pub const MAX_PASSWORD_LEN: usize = 4096;
/// Longest user name wicketd accepts.
pub const MAX_USER_LEN: usize = 256;
/// The prompt for the current password during a change.
pub const OLD_PASSWORD_PROMPT: &str = "Current password: ";
/// The prompt for a second-factor code after the password.
pub const CODE_PROMPT: &str = "Verification code: ";
/// Longest code sent to wicketd (recovery codes are far shorter).
pub const MAX_CODE_LEN: usize = 64;

/// The PAM handle as the logic needs it.
pub trait Pam {
    /// The user name (`pam_get_user`; may prompt). An error is a PAM code to return as is.
    fn user(&mut self) -> Result<Vec<u8>, Code>;
    /// `PAM_SERVICE`.
    fn service(&self) -> Option<String>;
    /// `PAM_RHOST`.
    fn rhost(&self) -> Option<String>;
    /// A password (`pam_get_authtok`): the cached item if an earlier module set it, else a
    /// prompt (`prompt`, or libpam's own). `use_first_pass` / `use_authtok` on the module
    /// line forbid the prompt. For [`Token::Current`] during a password change this is the
    /// new password, asked twice.
    fn authtok(&mut self, which: Token, prompt: Option<&str>) -> Result<Secret, Code>;
    /// Whether an earlier module already set this item.
    fn has_authtok(&self, which: Token) -> bool;
    /// Clears the item, so that the next [`Pam::authtok`] prompts.
    fn forget_authtok(&mut self, which: Token) -> Result<(), Code>;
    /// One log line (`pam_syslog`).
    fn log(&mut self, level: Level, message: &str);
    /// `pam_fail_delay`.
    fn fail_delay(&mut self, usec: u32);
    /// The calling process's real uid (`getuid`).
    fn caller_uid(&self) -> u32;
    /// Asks the user through the PAM conversation with `PAM_PROMPT_ECHO_ON` (a
    /// verification code) and returns the answer.
    fn prompt_echo_on(&mut self, prompt: &str) -> Result<Secret, Code>;
    /// Shows the user a message through the PAM conversation (`PAM_ERROR_MSG`). Best
    /// effort: an application without a conversation just does not show it.
    fn error_message(&mut self, text: &str);
}

/// wicketd as the logic needs it.
pub trait Daemon {
    /// Sends one request and returns the answer or why there is none.
    fn call(&mut self, request: &Request) -> Result<Response, ClientError>;
}

/// Which operation an answer belongs to: it decides how "unreachable" is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Authenticate,
    Code,
    Account,
    Prelim,
    Update,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Authenticate => "authenticate",
            Phase::Code => "verification code",
            Phase::Account => "account",
            Phase::Prelim => "chauthtok (prelim)",
            Phase::Update => "chauthtok (update)",
        }
    }
}

/// Why a password is not even sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unusable {
    Empty,
    NotUtf8,
    TooLong,
}

impl Unusable {
    fn of(password: &Secret) -> Option<Unusable> {
        if password.is_empty() {
            Some(Unusable::Empty)
        } else if password.len() > MAX_PASSWORD_LEN {
            Some(Unusable::TooLong)
        } else if password.expose_str().is_none() {
            Some(Unusable::NotUtf8)
        } else {
            None
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Unusable::Empty => "empty",
            Unusable::NotUtf8 => "not UTF-8",
            Unusable::TooLong => "too long",
        }
    }
}

/// One `pam_sm_*` call's worth of state.
#[derive(Debug)]
pub struct Module<P, D> {
    /// The PAM handle.
    pub pam: P,
    /// wicketd.
    pub daemon: D,
    /// The module line's options.
    pub options: Options,
    /// `PAM_SILENT` was passed: no messages to the user.
    pub silent: bool,
}

impl<P: Pam, D: Daemon> Module<P, D> {
    /// A module for one call.
    pub fn new(pam: P, daemon: D, options: Options) -> Self {
        Self { pam, daemon, options, silent: false }
    }

    /// Logs the warnings from option parsing (unless `quiet`).
    pub fn report_option_warnings(&mut self, warnings: &[String]) {
        for w in warnings {
            self.warn(w);
        }
    }

    /// `pam_sm_setcred`: Wicket has no credentials to hand out beyond the login itself.
    pub fn setcred(&mut self, _flags: Flags) -> Code {
        Code::SUCCESS
    }

    /// `pam_sm_open_session`: a log line, nothing else.
    pub fn open_session(&mut self, _flags: Flags) -> Code {
        self.session_line("opened")
    }

    /// `pam_sm_close_session`: a log line, nothing else.
    pub fn close_session(&mut self, _flags: Flags) -> Code {
        self.session_line("closed")
    }

    fn session_line(&mut self, what: &str) -> Code {
        let user = self.pam.user().map(|u| shown(&String::from_utf8_lossy(&u))).unwrap_or_else(|_| "?".into());
        let uid = self.pam.caller_uid();
        self.info(&format!("session {what} for user {user} by uid {uid}"));
        Code::SUCCESS
    }
}
