use super::*;
use std::collections::{HashMap, VecDeque};
use wicket_proto::proto::PosixUser;

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
    let pam = FakePam { items: HashMap::from([(Token::Current, Secret::from("stacked-new"))]), ..FakePam::default() };
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
