//! What the module logs, and what it never logs.

use super::*;

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
