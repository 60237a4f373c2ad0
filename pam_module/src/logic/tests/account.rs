//! pam_sm_acct_mgmt and the session hooks.

use super::*;

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
