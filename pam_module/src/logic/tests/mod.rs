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
    /// Answers to `prompt_echo_on` (verification codes), and the prompts and messages shown.
    codes: VecDeque<Result<Secret, Code>>,
    shown: Vec<String>,
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
            codes: VecDeque::new(),
            shown: Vec::new(),
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
    fn prompt_echo_on(&mut self, prompt: &str) -> Result<Secret, Code> {
        self.shown.push(format!("prompt: {prompt}"));
        self.codes.pop_front().unwrap_or(Err(Code::CONV_ERR))
    }
    fn error_message(&mut self, text: &str) {
        self.shown.push(format!("error: {text}"));
    }
}

/// What the fake daemon was asked, passwords exposed so the tests can check them.
#[derive(Debug, PartialEq, Eq)]
enum Sent {
    Auth { user: String, password: String, service: String, rhost: Option<String> },
    Account { user: String, service: String },
    Change { user: String, old: Option<String>, new: Option<String>, check_only: bool },
    PwNam(String),
    Code { user: String, ticket: String, code: String },
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
            Op::VerifyCode { user, ticket, code, .. } => {
                Sent::Code { user: user.clone(), ticket: ticket.0.clone(), code: exposed(code) }
            }
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

mod account;
mod authenticate;
mod chauthtok;
mod logging;
mod second_factor;
