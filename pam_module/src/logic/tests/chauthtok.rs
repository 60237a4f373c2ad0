//! pam_sm_chauthtok: both passes.

use super::*;

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
