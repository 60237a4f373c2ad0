//! What the module decides, in safe code. [`Module`] drives a [`Pam`] handle (user, items,
//! prompts, log, failure delay) and a [`Daemon`] (one request, one answer); `ffi` supplies the
//! real ones, the tests scripted fakes.
//!
//! Flow of `pam_sm_authenticate`: failure delay → user name (refuse empty, over-long or with
//! control characters) → `minimum_uid` (one `GetPwNam`) → password (`pam_get_authtok`) →
//! empty, non-UTF-8 or over-long passwords fail without asking wicketd → `Authenticate` →
//! the answer mapped to a PAM code. `pam_sm_chauthtok` runs twice: PRELIM checks the current
//! password (`check_only`), UPDATE sends the old and the new one; wicketd refreshes the
//! Digest HA1 values itself. Nothing here logs a password.

use crate::options::Options;
use crate::pam::{Code, Flags, Level, Token};
use wicket_core::client::ClientError;
use wicket_core::proto::{Op, Request, Response};
use wicket_core::secret::Secret;

/// The failure delay asked of libpam (µs), as pam_unix does: randomised by libpam ±50 %.
pub const FAIL_DELAY_USEC: u32 = 2_000_000;
/// Longest password sent to wicketd; a longer one cannot be right (frames are 64 KiB).
pub const MAX_PASSWORD_LEN: usize = 4096;
/// Longest user name wicketd accepts.
pub const MAX_USER_LEN: usize = 256;
/// The prompt for the current password during a change.
pub const OLD_PASSWORD_PROMPT: &str = "Current password: ";

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
    Account,
    Prelim,
    Update,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Authenticate => "authenticate",
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
}

impl<P: Pam, D: Daemon> Module<P, D> {
    /// A module for one call.
    pub fn new(pam: P, daemon: D, options: Options) -> Self {
        Self { pam, daemon, options }
    }

    /// Logs the warnings from option parsing (unless `quiet`).
    pub fn report_option_warnings(&mut self, warnings: &[String]) {
        for w in warnings {
            self.warn(w);
        }
    }

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

    /// `pam_sm_setcred`: Wicket has no credentials to hand out beyond the login itself.
    pub fn setcred(&mut self, _flags: Flags) -> Code {
        Code::SUCCESS
    }

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

    /// `pam_sm_chauthtok`: PRELIM checks the current password and that wicketd can change
    /// it; UPDATE changes it. Root (real uid 0) is not asked for the current password
    /// unless the change is for an expired password (`PAM_CHANGE_EXPIRED_AUTHTOK`), as in
    /// pam_unix.
    pub fn chauthtok(&mut self, flags: Flags) -> Code {
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

    /// One password attempt: read it, refuse the unusable ones locally, ask wicketd.
    fn check_password(&mut self, user: &str) -> Code {
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

    fn no_password(&mut self, user: &str, phase: Phase, code: Code) -> Code {
        self.debug(&format!("{}: no password for {}: {code}", phase.name(), shown(user)));
        code
    }

    /// The user name, or the code to return when there is none or it is malformed.
    fn user(&mut self) -> Result<String, Code> {
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

    fn service(&self) -> String {
        self.pam.service().filter(|s| !s.is_empty()).unwrap_or_else(|| "unknown".into())
    }

    /// With `minimum_uid`: `Some(PAM_IGNORE)` for a Wicket user below it, `Some(code)` when
    /// the lookup failed, `None` to go on (also for users Wicket does not know: wicketd then
    /// answers the real question, at the cost of a wrong password).
    fn below_minimum_uid(&mut self, user: &str, phase: Phase) -> Option<Code> {
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
    fn lookup(&mut self, user: &str, phase: Phase) -> Option<Code> {
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
    fn lookup_failed(&mut self, phase: Phase, user: &str, answer: Result<Response, ClientError>) -> Code {
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

    /// Maps wicketd's answer (or its absence) to a PAM code, logging what deserves it.
    fn answer(&mut self, phase: Phase, user: &str, answer: Result<Response, ClientError>) -> Code {
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
            Ok(other @ (Response::Passwd(_) | Response::Group(_) | Response::Groups { .. })) => {
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
    fn unavailable(&mut self, phase: Phase, why: &str) -> Code {
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

    fn unknown_user_code(&self) -> Code {
        if self.options.ignore_unknown_user { Code::IGNORE } else { Code::USER_UNKNOWN }
    }

    fn debug(&mut self, message: &str) {
        if self.options.debug {
            self.pam.log(Level::Debug, message);
        }
    }

    fn info(&mut self, message: &str) {
        if !self.options.quiet {
            self.pam.log(Level::Info, message);
        }
    }

    fn notice(&mut self, message: &str) {
        if !self.options.quiet {
            self.pam.log(Level::Notice, message);
        }
    }

    fn warn(&mut self, message: &str) {
        if !self.options.quiet {
            self.pam.log(Level::Warning, message);
        }
    }

    fn error(&mut self, message: &str) {
        self.pam.log(Level::Err, message);
    }
}

/// A user name as it appears in log lines: quoted and escaped.
fn shown(user: &str) -> String {
    format!("\"{}\"", user.escape_debug())
}

fn variant(r: &Response) -> &'static str {
    match r {
        Response::Passwd(_) => "passwd entry",
        Response::Group(_) => "group entry",
        Response::Groups { .. } => "group list",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, VecDeque};
    use wicket_core::proto::PosixUser;

    const PW: &str = "Correct-Horse-7";

    /// A scripted PAM handle. `authtok` behaves like libpam's `pam_get_authtok`: the cached
    /// item if set, else (unless `refuse_prompt`) the next scripted answer, which becomes the item.
    #[derive(Debug)]
    struct FakePam {
        user: Result<Vec<u8>, Code>,
        service: Option<String>,
        rhost: Option<String>,
        items: HashMap<Token, Secret>,
        answers: VecDeque<Result<Secret, Code>>,
        /// What libpam answers instead of prompting (`use_first_pass`, `use_authtok`).
        refuse_prompt: Option<Code>,
        prompts: Vec<(Token, Option<String>)>,
        logs: Vec<(Level, String)>,
        delays: Vec<u32>,
        uid: u32,
    }

    impl Default for FakePam {
        fn default() -> Self {
            Self {
                user: Ok(b"alice".to_vec()),
                service: Some("sshd".into()),
                rhost: Some("203.0.113.9".into()),
                items: HashMap::new(),
                answers: VecDeque::new(),
                refuse_prompt: None,
                prompts: Vec::new(),
                logs: Vec::new(),
                delays: Vec::new(),
                uid: 0,
            }
        }
    }

    impl FakePam {
        fn answering(answers: &[&str]) -> Self {
            Self { answers: answers.iter().map(|a| Ok(Secret::from(*a))).collect(), ..Self::default() }
        }
        fn all_logs(&self) -> String {
            self.logs.iter().map(|(l, m)| format!("{l:?}: {m}\n")).collect()
        }
    }

    impl Pam for FakePam {
        fn user(&mut self) -> Result<Vec<u8>, Code> {
            self.user.clone()
        }
        fn service(&self) -> Option<String> {
            self.service.clone()
        }
        fn rhost(&self) -> Option<String> {
            self.rhost.clone()
        }
        fn authtok(&mut self, which: Token, prompt: Option<&str>) -> Result<Secret, Code> {
            if let Some(s) = self.items.get(&which) {
                return Ok(s.clone());
            }
            if let Some(code) = self.refuse_prompt {
                return Err(code);
            }
            self.prompts.push((which, prompt.map(str::to_string)));
            let answer = self.answers.pop_front().unwrap_or(Err(Code::CONV_ERR))?;
            self.items.insert(which, answer.clone());
            Ok(answer)
        }
        fn has_authtok(&self, which: Token) -> bool {
            self.items.contains_key(&which)
        }
        fn forget_authtok(&mut self, which: Token) -> Result<(), Code> {
            self.items.remove(&which);
            Ok(())
        }
        fn log(&mut self, level: Level, message: &str) {
            self.logs.push((level, message.to_string()));
        }
        fn fail_delay(&mut self, usec: u32) {
            self.delays.push(usec);
        }
        fn caller_uid(&self) -> u32 {
            self.uid
        }
    }

    /// What the fake daemon was asked, passwords exposed so the tests can check them.
    #[derive(Debug, PartialEq, Eq)]
    enum Sent {
        Auth { user: String, password: String, service: String, rhost: Option<String> },
        Account { user: String, service: String },
        Change { user: String, old: Option<String>, new: Option<String>, check_only: bool },
        PwNam(String),
        Other,
    }

    fn exposed(s: &Secret) -> String {
        String::from_utf8_lossy(s.expose()).into_owned()
    }

    #[derive(Debug, Default)]
    struct FakeDaemon {
        answers: VecDeque<Result<Response, ClientError>>,
        sent: Vec<Sent>,
    }

    impl FakeDaemon {
        fn answering(answers: Vec<Result<Response, ClientError>>) -> Self {
            Self { answers: answers.into(), sent: Vec::new() }
        }
    }

    impl Daemon for FakeDaemon {
        fn call(&mut self, request: &Request) -> Result<Response, ClientError> {
            self.sent.push(match &request.op {
                Op::Authenticate { user, password, service, rhost } => Sent::Auth {
                    user: user.clone(),
                    password: exposed(password),
                    service: service.clone(),
                    rhost: rhost.clone(),
                },
                Op::Account { user, service } => Sent::Account { user: user.clone(), service: service.clone() },
                Op::ChangePassword { user, old_password, new_password, check_only, .. } => Sent::Change {
                    user: user.clone(),
                    old: old_password.as_ref().map(exposed),
                    new: new_password.as_ref().map(exposed),
                    check_only: *check_only,
                },
                Op::GetPwNam { name } => Sent::PwNam(name.clone()),
                _ => Sent::Other,
            });
            self.answers.pop_front().unwrap_or_else(|| Err(ClientError::Protocol("no scripted answer".into())))
        }
    }

    fn opts(args: &[&str]) -> Options {
        let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        crate::options::parse(&bytes).0
    }

    type Fake = Module<FakePam, FakeDaemon>;

    fn module(args: &[&str], pam: FakePam, answers: Vec<Result<Response, ClientError>>) -> Fake {
        Module::new(pam, FakeDaemon::answering(answers), opts(args))
    }

    fn passwd(uid: u32) -> Response {
        Response::Passwd(PosixUser {
            name: "alice".into(),
            uid,
            gid: uid,
            gecos: String::new(),
            home: "/home/alice".into(),
            shell: "/bin/sh".into(),
        })
    }

    fn connect_error() -> Result<Response, ClientError> {
        Err(ClientError::Connect("No such file or directory (os error 2)".into()))
    }

    fn unavailable() -> Response {
        Response::Unavailable { reason: "ldap down".into() }
    }

    fn auth(args: &[&str], answer: Result<Response, ClientError>) -> (Code, Fake) {
        let mut m = module(args, FakePam::answering(&[PW]), vec![answer]);
        let code = m.authenticate(Flags::default());
        (code, m)
    }

    const PRELIM: Flags = Flags::PRELIM_CHECK;
    const UPDATE: Flags = Flags::UPDATE_AUTHTOK;

    // ---- authenticate -------------------------------------------------------------------

    #[test]
    fn right_password_is_sent_once_with_service_and_rhost() {
        let (code, m) = auth(&[], Ok(Response::Ok));
        assert_eq!(code, Code::SUCCESS);
        assert_eq!(
            m.daemon.sent,
            vec![Sent::Auth {
                user: "alice".into(),
                password: PW.into(),
                service: "sshd".into(),
                rhost: Some("203.0.113.9".into())
            }]
        );
        assert_eq!(m.pam.prompts, vec![(Token::Current, None)]);
        assert_eq!(m.pam.delays, vec![FAIL_DELAY_USEC], "the failure delay is asked for, like pam_unix");
        assert!(m.pam.logs.is_empty(), "silent without debug: {}", m.pam.all_logs());
    }

    #[test]
    fn every_answer_maps_to_its_code() {
        let table: Vec<(&[&str], Result<Response, ClientError>, Code)> = vec![
            (&[], Ok(Response::Ok), Code::SUCCESS),
            (&[], Ok(Response::AuthError), Code::AUTH_ERR),
            (&[], Ok(Response::UnknownUser), Code::USER_UNKNOWN),
            (&["ignore_unknown_user"], Ok(Response::UnknownUser), Code::IGNORE),
            (&[], Ok(unavailable()), Code::AUTHINFO_UNAVAIL),
            (&["ignore_authinfo_unavail"], Ok(unavailable()), Code::IGNORE),
            (&[], connect_error(), Code::AUTHINFO_UNAVAIL),
            (&[], Err(ClientError::Io("Resource temporarily unavailable".into())), Code::AUTHINFO_UNAVAIL),
            (&["ignore_authinfo_unavail"], connect_error(), Code::IGNORE),
            (&["ignore_unknown_user"], connect_error(), Code::AUTHINFO_UNAVAIL),
            (&[], Ok(Response::Throttled { retry_after_secs: 300 }), Code::MAXTRIES),
            (&[], Ok(Response::Expired), Code::ACCT_EXPIRED),
            (&[], Ok(Response::PermissionDenied), Code::PERM_DENIED),
            (&[], Ok(Response::NotAllowed), Code::PERM_DENIED),
            (&[], Ok(Response::BadRequest { reason: "version".into() }), Code::SYSTEM_ERR),
            (&[], Err(ClientError::Protocol("bad frame length 0".into())), Code::SYSTEM_ERR),
            (&[], Ok(passwd(1000)), Code::SYSTEM_ERR),
            (&[], Ok(Response::PasswordRefused { reason: "?".into() }), Code::AUTHTOK_ERR),
        ];
        for (args, answer, want) in table {
            let shown = format!("{args:?} {answer:?}");
            let (code, m) = auth(args, answer);
            assert_eq!(code, want, "{shown}");
            assert_eq!(m.daemon.sent.len(), 1, "{shown}");
        }
    }

    #[test]
    fn a_caller_asking_about_someone_else_is_logged() {
        let (code, m) = auth(&[], Ok(Response::NotAllowed));
        assert_eq!(code, Code::PERM_DENIED);
        let log = m.pam.all_logs();
        assert!(log.contains("Warning: authenticate: wicketd refused to answer uid 0 about \"alice\""), "{log}");
    }

    #[test]
    fn unusable_passwords_never_reach_the_daemon() {
        for (args, password) in [
            (&[][..], Secret::from("")),
            (&["nullok"][..], Secret::from("")),
            (&[][..], Secret::new(vec![0xff, 0xfe, b'a'])),
            (&[][..], Secret::new(vec![b'a'; MAX_PASSWORD_LEN + 1])),
        ] {
            let pam = FakePam { answers: VecDeque::from([Ok(password)]), ..FakePam::default() };
            let mut m = module(args, pam, vec![Ok(Response::Ok)]);
            assert_eq!(m.authenticate(Flags::default()), Code::AUTH_ERR, "{args:?}");
            assert!(m.daemon.sent.is_empty(), "{:?}", m.daemon.sent);
        }
    }

    #[test]
    fn malformed_user_names_are_refused_before_any_prompt() {
        let long = "a".repeat(MAX_USER_LEN + 1);
        for (name, args, want) in [
            (&b""[..], &[][..], Code::USER_UNKNOWN),
            (b"al\nice", &[], Code::USER_UNKNOWN),
            (b"alice\x7f", &[], Code::USER_UNKNOWN),
            (b"\xffalice", &[], Code::USER_UNKNOWN),
            (long.as_bytes(), &[], Code::USER_UNKNOWN),
            (b"al\tice", &["ignore_unknown_user"], Code::IGNORE),
        ] {
            let pam = FakePam { user: Ok(name.to_vec()), ..FakePam::answering(&[PW]) };
            let mut m = module(args, pam, vec![Ok(Response::Ok)]);
            assert_eq!(m.authenticate(Flags::default()), want, "{name:?}");
            assert!(m.pam.prompts.is_empty() && m.daemon.sent.is_empty());
            let mut m = module(args, FakePam { user: Ok(name.to_vec()), ..FakePam::default() }, vec![]);
            assert_eq!(m.account(Flags::default()), want, "{name:?}");
            assert!(m.daemon.sent.is_empty());
        }
    }

    #[test]
    fn pam_errors_pass_through() {
        let pam = FakePam { user: Err(Code::CONV_ERR), ..FakePam::answering(&[PW]) };
        let mut m = module(&[], pam, vec![Ok(Response::Ok)]);
        assert_eq!(m.authenticate(Flags::default()), Code::CONV_ERR);
        assert!(m.daemon.sent.is_empty());
        let pam = FakePam { answers: VecDeque::from([Err(Code::CONV_ERR)]), ..FakePam::default() };
        let mut m = module(&[], pam, vec![Ok(Response::Ok)]);
        assert_eq!(m.authenticate(Flags::default()), Code::CONV_ERR);
        assert!(m.daemon.sent.is_empty());
    }

    #[test]
    fn minimum_uid_leaves_small_uids_to_other_modules_without_a_prompt() {
        let mut m = module(&["minimum_uid=1000"], FakePam::answering(&[PW]), vec![Ok(passwd(999))]);
        assert_eq!(m.authenticate(Flags::default()), Code::IGNORE);
        assert_eq!(m.daemon.sent, vec![Sent::PwNam("alice".into())]);
        assert!(m.pam.prompts.is_empty());

        let mut m = module(&["minimum_uid=1000"], FakePam::answering(&[PW]), vec![Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.authenticate(Flags::default()), Code::SUCCESS);
        assert_eq!(m.daemon.sent.len(), 2);

        // Unknown to Wicket: wicketd still answers the real question (same cost as a wrong password).
        let answers = vec![Ok(Response::NotFound), Ok(Response::UnknownUser)];
        let mut m = module(&["minimum_uid=1000"], FakePam::answering(&[PW]), answers);
        assert_eq!(m.authenticate(Flags::default()), Code::USER_UNKNOWN);
        assert_eq!(m.daemon.sent.len(), 2);

        let mut m = module(&["minimum_uid=1000"], FakePam::answering(&[PW]), vec![connect_error()]);
        assert_eq!(m.authenticate(Flags::default()), Code::AUTHINFO_UNAVAIL);
        assert!(m.pam.prompts.is_empty());

        let mut m = module(&["minimum_uid=1000"], FakePam::default(), vec![Ok(passwd(10))]);
        assert_eq!(m.account(Flags::default()), Code::IGNORE);
        assert_eq!(m.daemon.sent, vec![Sent::PwNam("alice".into())]);
    }

    #[test]
    fn a_lookup_answered_with_anything_but_an_entry_is_never_a_success() {
        for answer in [Response::Ok, Response::AuthError, Response::Groups { gids: vec![] }] {
            let shown = format!("{answer:?}");
            let mut m = module(&["minimum_uid=1000"], FakePam::answering(&[PW]), vec![Ok(answer)]);
            assert_eq!(m.authenticate(Flags::default()), Code::SYSTEM_ERR, "{shown}");
            assert!(m.pam.prompts.is_empty());
        }
        for flags in [PRELIM, UPDATE] {
            let pam = FakePam { uid: 1000, ..FakePam::answering(&["old", "new"]) };
            let mut m = module(&[], pam, vec![Ok(Response::Ok), Ok(Response::Ok)]);
            assert_eq!(m.chauthtok(flags), Code::SYSTEM_ERR, "{flags:?}");
            assert!(m.pam.prompts.is_empty());
            assert_eq!(m.daemon.sent.len(), 1);
        }
    }

    #[test]
    fn nodelay_skips_the_failure_delay() {
        let (_, m) = auth(&["nodelay"], Ok(Response::AuthError));
        assert!(m.pam.delays.is_empty());
    }

    #[test]
    fn a_stacked_password_is_used_and_try_first_pass_prompts_once_after_a_refusal() {
        let stacked = || FakePam {
            items: HashMap::from([(Token::Current, Secret::from("stacked"))]),
            ..FakePam::answering(&["typed"])
        };
        // Default: the earlier module's password, no prompt, no second try.
        let mut m = module(&[], stacked(), vec![Ok(Response::AuthError), Ok(Response::Ok)]);
        assert_eq!(m.authenticate(Flags::default()), Code::AUTH_ERR);
        assert!(m.pam.prompts.is_empty());
        assert_eq!(m.daemon.sent.len(), 1);
        // try_first_pass: refused → one prompt → the typed one.
        let mut m = module(&["try_first_pass"], stacked(), vec![Ok(Response::AuthError), Ok(Response::Ok)]);
        assert_eq!(m.authenticate(Flags::default()), Code::SUCCESS);
        assert_eq!(m.pam.prompts.len(), 1);
        let passwords: Vec<_> = m
            .daemon
            .sent
            .iter()
            .filter_map(|s| match s {
                Sent::Auth { password, .. } => Some(password.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(passwords, ["stacked", "typed"]);
        // try_first_pass with a stacked password that is right: no prompt.
        let mut m = module(&["try_first_pass"], stacked(), vec![Ok(Response::Ok)]);
        assert_eq!(m.authenticate(Flags::default()), Code::SUCCESS);
        assert!(m.pam.prompts.is_empty());
        // try_first_pass, nothing stacked: the prompt's answer is the only try.
        let mut m = module(&["try_first_pass"], FakePam::answering(&["typed", "again"]), vec![Ok(Response::AuthError)]);
        assert_eq!(m.authenticate(Flags::default()), Code::AUTH_ERR);
        assert_eq!(m.pam.prompts.len(), 1);
        // Other refusals are final.
        let mut m = module(&["try_first_pass"], stacked(), vec![Ok(Response::PermissionDenied)]);
        assert_eq!(m.authenticate(Flags::default()), Code::PERM_DENIED);
        assert_eq!(m.daemon.sent.len(), 1);
        // use_first_pass wins over try_first_pass; with nothing stacked libpam refuses.
        let mut m = module(&["try_first_pass", "use_first_pass"], stacked(), vec![Ok(Response::AuthError)]);
        assert_eq!(m.authenticate(Flags::default()), Code::AUTH_ERR);
        assert!(m.pam.prompts.is_empty());
        let pam = FakePam { refuse_prompt: Some(Code::AUTH_ERR), ..FakePam::default() };
        let mut m = module(&["use_first_pass"], pam, vec![Ok(Response::Ok)]);
        assert_eq!(m.authenticate(Flags::default()), Code::AUTH_ERR);
        assert!(m.daemon.sent.is_empty());
    }

    #[test]
    fn setcred_succeeds_without_asking() {
        let mut m = module(&[], FakePam::default(), vec![]);
        assert_eq!(m.setcred(Flags::default()), Code::SUCCESS);
        assert!(m.daemon.sent.is_empty());
    }

    // ---- logging ------------------------------------------------------------------------

    #[test]
    fn passwords_never_appear_in_log_lines() {
        let secret = "Sup3r-S3cret-Token";
        let answers = || {
            vec![
                Ok(Response::Ok),
                Ok(Response::AuthError),
                Ok(Response::Throttled { retry_after_secs: 5 }),
                Ok(Response::NotAllowed),
                Ok(unavailable()),
                connect_error(),
                Ok(Response::BadRequest { reason: "x".into() }),
                Ok(Response::PasswordRefused { reason: "y".into() }),
            ]
        };
        let mut all = String::new();
        for args in [&["debug"][..], &["debug", "try_first_pass"], &["debug", "ignore_authinfo_unavail"]] {
            for answer in answers() {
                let (_, m) = auth_with(args, secret, answer);
                all.push_str(&m.pam.all_logs());
            }
            for answer in answers() {
                let pam = FakePam { uid: 1000, ..FakePam::answering(&[secret, "N3w-S3cret", "N3w-S3cret"]) };
                let mut m = module(args, pam, vec![Ok(passwd(1000)), answer]);
                m.chauthtok(PRELIM);
                m.daemon.answers = VecDeque::from([Ok(passwd(1000)), Ok(Response::Ok)]);
                m.chauthtok(UPDATE);
                all.push_str(&m.pam.all_logs());
            }
        }
        assert!(all.contains("Debug:"), "debug lines were written: {all}");
        assert!(!all.contains(secret) && !all.contains("N3w-S3cret"), "{all}");
        assert!(!all.contains("Secret(***)"), "no secret was formatted at all: {all}");
    }

    fn auth_with(args: &[&str], password: &str, answer: Result<Response, ClientError>) -> (Code, Fake) {
        let mut m = module(args, FakePam::answering(&[password, password]), vec![answer, Ok(Response::AuthError)]);
        let code = m.authenticate(Flags::default());
        (code, m)
    }

    #[test]
    fn only_real_errors_are_logged_without_debug_and_quiet_keeps_only_those() {
        let (_, m) = auth(&[], Ok(Response::AuthError));
        assert!(m.pam.logs.is_empty(), "{}", m.pam.all_logs());
        let (_, m) = auth(&[], connect_error());
        assert_eq!(m.pam.logs.len(), 1);
        assert_eq!(m.pam.logs[0].0, Level::Err);
        assert!(m.pam.logs[0].1.contains("cannot reach wicketd"), "{}", m.pam.all_logs());
        // The administrator said the daemon may be away: a notice, and nothing with quiet.
        let (_, m) = auth(&["ignore_authinfo_unavail"], connect_error());
        assert_eq!(m.pam.logs.iter().map(|l| l.0).collect::<Vec<_>>(), [Level::Notice]);
        let (_, m) = auth(&["ignore_authinfo_unavail", "quiet"], connect_error());
        assert!(m.pam.logs.is_empty(), "{}", m.pam.all_logs());
        // quiet keeps errors.
        let (_, m) = auth(&["quiet"], connect_error());
        assert_eq!(m.pam.logs.len(), 1);
        let (_, m) = auth(&["quiet"], Ok(Response::NotAllowed));
        assert!(m.pam.logs.is_empty());
        let (_, m) = auth(&["debug"], Ok(Response::Ok));
        assert!(m.pam.all_logs().contains("Debug: authenticate \"alice\": PAM_SUCCESS"), "{}", m.pam.all_logs());
    }

    #[test]
    fn option_warnings_are_logged_unless_quiet() {
        let (o, w) = crate::options::parse(&[b"frobnicate"]);
        let mut m = Module::new(FakePam::default(), FakeDaemon::default(), o);
        m.report_option_warnings(&w);
        assert_eq!(m.pam.logs.len(), 1);
        assert_eq!(m.pam.logs[0].0, Level::Warning);
        let (o, w) = crate::options::parse(&[b"frobnicate", b"quiet"]);
        let mut m = Module::new(FakePam::default(), FakeDaemon::default(), o);
        m.report_option_warnings(&w);
        assert!(m.pam.logs.is_empty());
    }

    // ---- account ------------------------------------------------------------------------

    #[test]
    fn account_answers() {
        let table: Vec<(&[&str], Result<Response, ClientError>, Code)> = vec![
            (&[], Ok(Response::Ok), Code::SUCCESS),
            (&[], Ok(Response::Expired), Code::ACCT_EXPIRED),
            (&[], Ok(Response::PermissionDenied), Code::PERM_DENIED),
            (&[], Ok(Response::UnknownUser), Code::USER_UNKNOWN),
            (&["ignore_unknown_user"], Ok(Response::UnknownUser), Code::IGNORE),
            (&[], Ok(unavailable()), Code::AUTHINFO_UNAVAIL),
            (&[], connect_error(), Code::AUTHINFO_UNAVAIL),
            (&["ignore_authinfo_unavail"], connect_error(), Code::IGNORE),
            (&[], Ok(Response::NotAllowed), Code::PERM_DENIED),
        ];
        for (args, answer, want) in table {
            let shown = format!("{args:?} {answer:?}");
            let mut m = module(args, FakePam::default(), vec![answer]);
            assert_eq!(m.account(Flags::default()), want, "{shown}");
            assert_eq!(m.daemon.sent, vec![Sent::Account { user: "alice".into(), service: "sshd".into() }]);
            assert!(m.pam.prompts.is_empty() && m.pam.delays.is_empty());
        }
    }

    // ---- chauthtok ----------------------------------------------------------------------

    fn change(old: Option<&str>, new: Option<&str>, check_only: bool) -> Sent {
        Sent::Change { user: "alice".into(), old: old.map(Into::into), new: new.map(Into::into), check_only }
    }

    #[test]
    fn prelim_checks_the_current_password_only() {
        let pam = FakePam { uid: 1000, ..FakePam::answering(&["old-pw"]) };
        let mut m = module(&[], pam, vec![Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.chauthtok(PRELIM), Code::SUCCESS);
        assert_eq!(m.pam.prompts, vec![(Token::Old, Some(OLD_PASSWORD_PROMPT.to_string()))]);
        assert_eq!(m.daemon.sent, vec![Sent::PwNam("alice".into()), change(Some("old-pw"), None, true)]);
        assert!(m.pam.delays.is_empty());
    }

    #[test]
    fn prelim_answers() {
        let table: Vec<(&[&str], Result<Response, ClientError>, Code)> = vec![
            (&[], Ok(Response::Ok), Code::SUCCESS),
            (&[], Ok(Response::AuthError), Code::AUTH_ERR),
            (&[], Ok(Response::UnknownUser), Code::USER_UNKNOWN),
            (&["ignore_unknown_user"], Ok(Response::UnknownUser), Code::IGNORE),
            (&[], Ok(unavailable()), Code::TRY_AGAIN),
            (&[], connect_error(), Code::TRY_AGAIN),
            (&["ignore_authinfo_unavail"], connect_error(), Code::IGNORE),
            (&[], Ok(Response::Throttled { retry_after_secs: 60 }), Code::MAXTRIES),
            (&[], Ok(Response::PermissionDenied), Code::PERM_DENIED),
            (&[], Ok(Response::Expired), Code::ACCT_EXPIRED),
            (&[], Ok(Response::NotAllowed), Code::PERM_DENIED),
            (&[], Ok(Response::PasswordRefused { reason: "not managed by Wicket".into() }), Code::AUTHTOK_ERR),
            (&[], Err(ClientError::Protocol("x".into())), Code::SYSTEM_ERR),
        ];
        for (args, answer, want) in table {
            let shown = format!("{args:?} {answer:?}");
            let pam = FakePam { uid: 1000, ..FakePam::answering(&["old-pw"]) };
            let mut m = module(args, pam, vec![Ok(passwd(1000)), answer]);
            assert_eq!(m.chauthtok(PRELIM), want, "{shown}");
            assert_eq!(m.daemon.sent.len(), 2, "{shown}");
        }
    }

    #[test]
    fn unknown_or_unreachable_is_decided_before_any_prompt_in_both_passes() {
        for flags in [PRELIM, UPDATE] {
            for (args, answer, want) in [
                (&[][..], Ok(Response::NotFound), Code::USER_UNKNOWN),
                (&["ignore_unknown_user"][..], Ok(Response::NotFound), Code::IGNORE),
                (&["minimum_uid=1000"][..], Ok(passwd(999)), Code::IGNORE),
                (&[][..], connect_error(), if flags == PRELIM { Code::TRY_AGAIN } else { Code::AUTHINFO_UNAVAIL }),
            ] {
                let pam = FakePam { uid: 1000, ..FakePam::answering(&["old", "new", "new"]) };
                let mut m = module(args, pam, vec![answer]);
                assert_eq!(m.chauthtok(flags), want, "{flags:?} {args:?}");
                assert!(m.pam.prompts.is_empty(), "{:?}", m.pam.prompts);
                assert_eq!(m.daemon.sent.len(), 1);
            }
        }
    }

    #[test]
    fn root_is_not_asked_for_the_current_password_unless_it_expired() {
        let mut m = module(&[], FakePam::answering(&["old-pw"]), vec![Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.chauthtok(PRELIM), Code::SUCCESS);
        assert!(m.pam.prompts.is_empty());
        assert_eq!(m.daemon.sent[1], change(None, None, true));

        let flags = PRELIM.union(Flags::CHANGE_EXPIRED_AUTHTOK);
        let mut m = module(&[], FakePam::answering(&["old-pw"]), vec![Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.chauthtok(flags), Code::SUCCESS);
        assert_eq!(m.pam.prompts.len(), 1);
        assert_eq!(m.daemon.sent[1], change(Some("old-pw"), None, true));
    }

    #[test]
    fn prelim_then_update_sends_the_cached_old_and_the_new_password() {
        let pam = FakePam { uid: 1000, ..FakePam::answering(&["old-pw", "new-pw"]) };
        let mut m = module(&[], pam, vec![Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.chauthtok(PRELIM), Code::SUCCESS);
        m.daemon.answers = VecDeque::from([Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.chauthtok(UPDATE), Code::SUCCESS);
        // The old password was asked once (PRELIM) and came from the item in UPDATE.
        assert_eq!(m.pam.prompts, vec![(Token::Old, Some(OLD_PASSWORD_PROMPT.into())), (Token::Current, None)]);
        assert_eq!(m.daemon.sent[3], change(Some("old-pw"), Some("new-pw"), false));
    }

    #[test]
    fn update_answers() {
        let table: Vec<(Result<Response, ClientError>, Code)> = vec![
            (Ok(Response::Ok), Code::SUCCESS),
            (Ok(Response::PasswordRefused { reason: "empty password".into() }), Code::AUTHTOK_ERR),
            (Ok(Response::AuthError), Code::AUTH_ERR),
            (Ok(unavailable()), Code::AUTHINFO_UNAVAIL),
            (connect_error(), Code::AUTHINFO_UNAVAIL),
            (Ok(Response::NotAllowed), Code::PERM_DENIED),
        ];
        for (answer, want) in table {
            let shown = format!("{answer:?}");
            let pam = FakePam {
                uid: 1000,
                items: HashMap::from([(Token::Old, Secret::from("old-pw"))]),
                ..FakePam::answering(&["new-pw"])
            };
            let mut m = module(&[], pam, vec![Ok(passwd(1000)), answer]);
            assert_eq!(m.chauthtok(UPDATE), want, "{shown}");
            assert_eq!(m.daemon.sent[1], change(Some("old-pw"), Some("new-pw"), false), "{shown}");
        }
    }

    #[test]
    fn update_refuses_unusable_new_passwords_itself() {
        for new in [Secret::from(""), Secret::new(vec![0xc3, 0x28])] {
            let pam = FakePam { answers: VecDeque::from([Ok(new)]), ..FakePam::default() };
            let mut m = module(&[], pam, vec![Ok(passwd(1000)), Ok(Response::Ok)]);
            assert_eq!(m.chauthtok(UPDATE), Code::AUTHTOK_ERR);
            assert_eq!(m.daemon.sent, vec![Sent::PwNam("alice".into())]);
        }
        // An empty current password is not sent either.
        let pam = FakePam { uid: 1000, ..FakePam::answering(&[""]) };
        let mut m = module(&[], pam, vec![Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.chauthtok(PRELIM), Code::AUTH_ERR);
        assert_eq!(m.daemon.sent.len(), 1);
    }

    #[test]
    fn use_authtok_without_a_stacked_new_password_fails_and_mismatches_pass_through() {
        let pam = FakePam { refuse_prompt: Some(Code::AUTHTOK_ERR), ..FakePam::default() };
        let mut m = module(&["use_authtok"], pam, vec![Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.chauthtok(UPDATE), Code::AUTHTOK_ERR, "libpam's code is returned as is");
        assert_eq!(m.daemon.sent.len(), 1);
        // "Sorry, passwords do not match": libpam answers PAM_TRY_AGAIN.
        let pam = FakePam { answers: VecDeque::from([Err(Code::TRY_AGAIN)]), ..FakePam::default() };
        let mut m = module(&[], pam, vec![Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.chauthtok(UPDATE), Code::TRY_AGAIN);
        assert_eq!(m.daemon.sent.len(), 1);
        // A stacked new password is used without a prompt.
        let pam =
            FakePam { items: HashMap::from([(Token::Current, Secret::from("stacked-new"))]), ..FakePam::default() };
        let mut m = module(&["use_authtok"], pam, vec![Ok(passwd(1000)), Ok(Response::Ok)]);
        assert_eq!(m.chauthtok(UPDATE), Code::SUCCESS);
        assert!(m.pam.prompts.is_empty());
        assert_eq!(m.daemon.sent[1], change(None, Some("stacked-new"), false));
    }

    #[test]
    fn chauthtok_needs_exactly_one_pass_flag() {
        let mut m = module(&[], FakePam::default(), vec![]);
        assert_eq!(m.chauthtok(Flags::default()), Code::SYSTEM_ERR);
        assert_eq!(m.chauthtok(PRELIM.union(UPDATE)), Code::SYSTEM_ERR);
        assert!(m.daemon.sent.is_empty());
        assert_eq!(m.pam.logs.len(), 2);
    }

    // ---- session ------------------------------------------------------------------------

    #[test]
    fn sessions_only_log() {
        let mut m = module(&[], FakePam::default(), vec![]);
        assert_eq!(m.open_session(Flags::default()), Code::SUCCESS);
        assert_eq!(m.close_session(Flags::default()), Code::SUCCESS);
        assert!(m.daemon.sent.is_empty());
        assert_eq!(
            m.pam.all_logs(),
            "Info: session opened for user \"alice\" by uid 0\nInfo: session closed for user \"alice\" by uid 0\n"
        );
        let mut m = module(&["quiet"], FakePam { user: Err(Code::CONV_ERR), ..FakePam::default() }, vec![]);
        assert_eq!(m.open_session(Flags::default()), Code::SUCCESS);
        assert!(m.pam.logs.is_empty());
    }
}
