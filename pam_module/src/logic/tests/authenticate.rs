//! pam_sm_authenticate and pam_sm_setcred.

use super::*;

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
