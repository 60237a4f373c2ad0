//! The verification code after the password.

use super::*;
use crate::logic::second_factor::NOT_ENROLLED_MESSAGE;
use wicket_proto::proto::Ticket;

fn required() -> Result<Response, ClientError> {
    Ok(Response::CodeRequired { ticket: Ticket("tk".into()) })
}

fn with_code(args: &[&str], code: Option<&str>, answers: Vec<Result<Response, ClientError>>) -> (Code, Fake) {
    let mut pam = FakePam::answering(&[PW]);
    pam.codes = code.map(|c| Ok(Secret::from(c))).into_iter().collect();
    let mut m = module(args, pam, answers);
    let code = m.authenticate(Flags::default());
    (code, m)
}

fn sent_code(code: &str) -> Sent {
    Sent::Code { user: "alice".into(), ticket: "tk".into(), code: code.into() }
}

#[test]
fn an_enrolled_account_is_asked_for_a_code_after_the_password() {
    let (code, m) = with_code(&[], Some("123456"), vec![required(), Ok(Response::Ok)]);
    assert_eq!(code, Code::SUCCESS);
    assert_eq!(m.pam.shown, vec![format!("prompt: {CODE_PROMPT}")]);
    assert_eq!(m.daemon.sent[1], sent_code("123456"));
    for (answer, want) in [
        (Ok(Response::AuthError), Code::AUTH_ERR),
        (Ok(Response::Throttled { retry_after_secs: 9 }), Code::MAXTRIES),
        (Ok(unavailable()), Code::AUTHINFO_UNAVAIL),
        (connect_error(), Code::AUTHINFO_UNAVAIL),
    ] {
        let shown = format!("{answer:?}");
        assert_eq!(with_code(&[], Some("123456"), vec![required(), answer]).0, want, "{shown}");
    }
}

#[test]
fn no_code_no_login_and_nothing_sent() {
    for (code, want) in [(None, Code::CONV_ERR), (Some(""), Code::AUTH_ERR), (Some(&*"9".repeat(65)), Code::AUTH_ERR)] {
        let (got, m) = with_code(&["totp=enrolled"], code, vec![required()]);
        assert_eq!(got, want, "{code:?}");
        assert_eq!(m.daemon.sent.len(), 1, "only the password went out");
    }
}

#[test]
fn an_account_without_a_second_factor_depends_on_the_totp_option() {
    let (code, m) = with_code(&[], None, vec![Ok(Response::Ok)]);
    assert_eq!(code, Code::SUCCESS);
    assert!(m.pam.shown.is_empty());
    let (code, m) = with_code(&["totp=required"], None, vec![Ok(Response::Ok)]);
    assert_eq!(code, Code::PERM_DENIED);
    assert_eq!(m.pam.shown, vec![format!("error: {NOT_ENROLLED_MESSAGE}")]);
    // A wrong password is refused as before, with no word about second factors.
    let (code, m) = with_code(&["totp=required"], None, vec![Ok(Response::AuthError)]);
    assert_eq!(code, Code::AUTH_ERR);
    assert!(m.pam.shown.is_empty());
}

#[test]
fn chauthtok_tells_the_user_which_rule_the_new_password_broke() {
    let reason = "password refused: it is one of the most common passwords";
    let pam = FakePam { uid: 1000, ..FakePam::answering(&["old-pw", "Password1"]) };
    let mut m = module(&[], pam, vec![Ok(passwd(1000)), Ok(Response::PasswordRefused { reason: reason.into() })]);
    assert_eq!(m.chauthtok(UPDATE), Code::AUTHTOK_ERR);
    assert_eq!(m.pam.shown, vec![format!("error: {reason}")]);
    let pam = FakePam { uid: 1000, ..FakePam::answering(&["old-pw", "Password1"]) };
    let mut m = module(&[], pam, vec![Ok(passwd(1000)), Ok(Response::PasswordRefused { reason: reason.into() })]);
    assert_eq!(m.chauthtok(UPDATE.union(Flags::SILENT)), Code::AUTHTOK_ERR);
    assert!(m.pam.shown.is_empty(), "PAM_SILENT");
}
