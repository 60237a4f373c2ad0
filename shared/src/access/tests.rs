//! The decision against a real store: what is refused before any credential is looked at,
//! and the audit outcome each refusal is written under.

use super::*;
use crate::clock::{ManualClock, SharedClock};
use crate::config::Config;
use crate::local::PasswordPolicy;
use crate::secret::Secret;
use crate::store::{NewUser, Store};
use crate::verify::Shared;
use std::net::IpAddr;
use std::sync::Arc;

const T0: i64 = 1_800_000_000;

/// alice (password `pw-alice`, no groups) and her token with scope `read`.
fn fixture(dir: &tempfile::TempDir) -> (Authenticator, Secret) {
    let text = format!("[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\n", dir.path().join("w.db").display());
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&cfg.store.path, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let rec = policy.record("alice", &Secret::from("pw-alice")).unwrap_or_else(|e| panic!("{e}"));
    let new = NewUser { name: "alice".into(), ..NewUser::default() };
    store.add_user(&new, &cfg.users, Some(&rec), T0).unwrap_or_else(|e| panic!("{e}"));
    let token = crate::token::generate();
    let hash = crate::token::hash(token.expose());
    store.add_token("alice", "ci", &hash, &["read".into()], None, T0).unwrap_or_else(|e| panic!("{e}"));
    let clock: SharedClock = Arc::new(ManualClock::new(T0));
    (Authenticator::build(&cfg, clock, None, Shared::new()).unwrap_or_else(|e| panic!("{e}")), token)
}

fn target() -> Target {
    Target {
        method: "GET".into(),
        uri: "/admin/x?k=v".into(),
        host: None,
        client: IpAddr::from([203, 0, 113, 9]),
        client_is_proxy: false,
    }
}

fn alice() -> Offered {
    Offered::Credential(Credential::Password { user: "alice".into(), secret: Secret::from("pw-alice") })
}

fn outcomes(d: &Decided) -> Vec<&'static str> {
    d.events.iter().map(|e| e.outcome).collect()
}

#[tokio::test]
async fn an_unknown_host_under_a_host_rule_is_refused_and_audited() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, _) = fixture(&dir);
    let required = Requirements { rule: RuleMatch::HostUnknown { rule: 2 }, ..Requirements::identity() };
    let d = decide(&auth, &target(), alice(), &required).await;
    assert_eq!(d.access, Access::Forbidden { reason: Refusal::HostUnknown, insufficient_scope: None });
    assert_eq!(outcomes(&d), vec!["host_unknown"]);
    assert_eq!(d.events[0].path.as_deref(), Some("/admin/x"), "the path only, never the query");
    assert_eq!(d.counted, None, "no credential was looked at");
}

#[tokio::test]
async fn deny_and_bypass_rules_decide_before_credentials() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, _) = fixture(&dir);
    let rule = |policy| Requirements {
        rule: RuleMatch::Matched {
            rule: 1,
            policy,
            users: Vec::new(),
            groups: Vec::new(),
            all_groups: Vec::new(),
            max_age: None,
            bearer: false,
        },
        ..Requirements::identity()
    };
    let d = decide(&auth, &target(), alice(), &rule(Policy::Deny)).await;
    assert_eq!(
        (d.access.clone(), outcomes(&d)),
        (Access::Forbidden { reason: Refusal::DeniedByRule, insufficient_scope: None }, vec!["denied_by_rule"])
    );
    let d = decide(&auth, &target(), Offered::Nothing, &rule(Policy::Bypass)).await;
    assert_eq!((d.access, d.events.len()), (Access::Bypass, 0));
}

#[tokio::test]
async fn groups_are_checked_after_the_credential() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, _) = fixture(&dir);
    let required = Requirements { groups: vec!["admins".into()], ..Requirements::identity() };
    let d = decide(&auth, &target(), alice(), &required).await;
    assert_eq!(d.access, Access::Forbidden { reason: Refusal::Group, insufficient_scope: None });
    assert_eq!(outcomes(&d), vec!["accepted", "forbidden_group"]);
    assert_eq!(d.counted, Some(("basic", "accepted")));
    let d = decide(&auth, &target(), Offered::Malformed { scheme: Some(Scheme::Bearer), why: "x" }, &required).await;
    assert_eq!(
        d.access,
        Access::Challenge {
            stale: false,
            bearer_error: Some(BearerError::InvalidRequest),
            malformed: Some("x"),
            fresh_login: false
        }
    );
    assert_eq!((outcomes(&d), d.events[0].scheme), (vec!["malformed"], "bearer"));
}

#[tokio::test]
async fn a_missing_scope_is_named_only_when_it_is_a_scope_token() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, token) = fixture(&dir);
    let bearer = || Offered::Credential(Credential::Bearer(Secret::new(token.expose().to_vec())));
    let scopes =
        |s: &[&str]| Requirements { scopes: s.iter().map(|s| s.to_string()).collect(), ..Requirements::identity() };
    assert!(matches!(decide(&auth, &target(), bearer(), &scopes(&["read"])).await.access, Access::Allow(_)));
    let d = decide(&auth, &target(), bearer(), &scopes(&["read", "write"])).await;
    assert_eq!(d.access, Access::Forbidden { reason: Refusal::Scope, insufficient_scope: Some("write".into()) });
    assert_eq!(outcomes(&d), vec!["accepted", "insufficient_scope"]);
    // A scope no token can carry is refused, and not echoed into a quoted string.
    for evil in ["a\",error=\"invalid_token", "a\\", "a b", "\u{1}"] {
        let d = decide(&auth, &target(), bearer(), &scopes(&[evil])).await;
        assert_eq!(d.access, Access::Forbidden { reason: Refusal::Scope, insufficient_scope: None }, "{evil:?}");
    }
}

/// alice with `[session]` (no inactivity limit, so only the sign-in time matters) and the
/// clock to move.
fn session_fixture(dir: &tempfile::TempDir) -> (Authenticator, ManualClock) {
    let text = format!(
        "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\n[session]\nsecure = false\nexpiry = \"1h\"\ninactivity = \"0s\"\n",
        dir.path().join("w.db").display()
    );
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&cfg.store.path, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let rec = policy.record("alice", &Secret::from("pw-alice")).unwrap_or_else(|e| panic!("{e}"));
    let new = NewUser { name: "alice".into(), ..NewUser::default() };
    store.add_user(&new, &cfg.users, Some(&rec), T0).unwrap_or_else(|e| panic!("{e}"));
    let clock = ManualClock::new(T0);
    let shared: SharedClock = Arc::new(clock.clone());
    (Authenticator::build(&cfg, shared, None, Shared::new()).unwrap_or_else(|e| panic!("{e}")), clock)
}

#[tokio::test]
async fn a_session_older_than_the_rules_max_age_must_sign_in_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, clock) = session_fixture(&dir);
    let id = crate::local::identity(
        &auth.chain().local.as_ref().and_then(|l| l.user("alice").ok().flatten()).unwrap_or_else(|| panic!("alice")),
    );
    let session = auth.open_session(&id, false).unwrap_or_else(|e| panic!("{e}"));
    let cookie = || Offered::Credential(Credential::Session(Secret::new(session.cookie.expose().to_vec())));
    let fresh = |max_age: Option<u64>| Requirements {
        rule: RuleMatch::Matched {
            rule: 1,
            policy: Policy::Authenticated,
            users: Vec::new(),
            groups: Vec::new(),
            all_groups: Vec::new(),
            max_age: max_age.map(Duration::from_secs),
            bearer: false,
        },
        ..Requirements::identity()
    };
    let again = Access::Challenge { stale: false, bearer_error: None, malformed: None, fresh_login: true };

    clock.advance(5 * 60);
    let d = decide(&auth, &target(), cookie(), &fresh(Some(600))).await;
    assert!(matches!(d.access, Access::Allow(_)), "signed in 5 min ago, max_age 10 min: {:?}", d.access);

    clock.advance(6 * 60);
    let d = decide(&auth, &target(), cookie(), &fresh(Some(600))).await;
    assert_eq!(d.access, again, "signed in 11 min ago, max_age 10 min");
    assert_eq!(outcomes(&d), vec!["accepted", "fresh_login_required"]);
    // The session itself lives on: other rules still take it.
    assert!(matches!(decide(&auth, &target(), cookie(), &fresh(None)).await.access, Access::Allow(_)));
    assert!(matches!(decide(&auth, &target(), cookie(), &fresh(Some(3600))).await.access, Access::Allow(_)));
    // A password sent with the request is always fresh.
    assert!(matches!(decide(&auth, &target(), alice(), &fresh(Some(1))).await.access, Access::Allow(_)));
}

#[test]
fn scope_tokens_exclude_quotes_backslashes_spaces_and_controls() {
    for ok in ["read", "repo:write", "a!#[]~"] {
        assert!(is_scope_token(ok), "{ok}");
    }
    for bad in ["", "a b", "a\"b", "a\\b", "a\u{1}", "\u{e9}", "a\tb"] {
        assert!(!is_scope_token(bad), "{bad:?}");
    }
}

#[tokio::test]
async fn users_any_groups_and_all_groups_each_decide() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, _) = fixture(&dir);
    {
        let cfg = crate::config::UsersConfig::default();
        let mut s = Store::open(&dir.path().join("w.db"), Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
        for g in ["a", "b", "c"] {
            s.add_group(g, None, &cfg, T0).unwrap_or_else(|e| panic!("{e}"));
        }
        for g in ["a", "b"] {
            s.add_member("alice", g).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let ask = |users: &[&str], groups: &[&str], all: &[&str]| Requirements {
        users: v(users),
        groups: v(groups),
        all_groups: v(all),
        ..Requirements::identity()
    };
    let cases: [(Requirements, Option<Refusal>, &str); 7] = [
        (ask(&["bob", "alice"], &[], &[]), None, "alice is one of the users"),
        (ask(&["bob"], &[], &[]), Some(Refusal::User), "alice is not bob"),
        (ask(&[], &["c", "b"], &[]), None, "any of"),
        (ask(&[], &[], &["a", "b"]), None, "every one"),
        (ask(&[], &[], &["a", "c"]), Some(Refusal::Group), "not in c"),
        (ask(&["alice"], &["a"], &["c"]), Some(Refusal::Group), "all requirements hold together"),
        (ask(&[], &["c"], &["a"]), Some(Refusal::Group), "any-of fails"),
    ];
    for (required, refusal, why) in cases {
        let d = decide(&auth, &target(), alice(), &required).await;
        match refusal {
            None => assert!(matches!(d.access, Access::Allow(_)), "{why}: {:?}", d.access),
            Some(reason) => {
                assert_eq!(d.access, Access::Forbidden { reason, insufficient_scope: None }, "{why}");
                assert_eq!(outcomes(&d), vec!["accepted", reason.as_str()], "{why}");
            }
        }
    }
    // The rule's requirements and the query's both hold.
    let rule = RuleMatch::Matched {
        rule: 1,
        policy: Policy::Authenticated,
        users: v(&["alice"]),
        groups: Vec::new(),
        all_groups: v(&["a"]),
        max_age: None,
        bearer: false,
    };
    let both = |q: Requirements| Requirements { rule: rule.clone(), ..q };
    assert!(matches!(decide(&auth, &target(), alice(), &both(ask(&[], &["b"], &[]))).await.access, Access::Allow(_)));
    let d = decide(&auth, &target(), alice(), &both(ask(&["bob"], &[], &[]))).await;
    assert_eq!(d.access, Access::Forbidden { reason: Refusal::User, insufficient_scope: None });
}

#[tokio::test]
async fn a_token_of_an_ldap_user_carries_their_wicket_groups() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, _) = fixture(&dir);
    let token = crate::token::generate();
    {
        let cfg = crate::config::UsersConfig::default();
        let mut s = Store::open(&dir.path().join("w.db"), Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
        s.add_group("admins", None, &cfg, T0).unwrap_or_else(|e| panic!("{e}"));
        s.add_member("ldap:carol", "admins").unwrap_or_else(|e| panic!("{e}"));
        s.add_token("ldap:carol", "ci", &crate::token::hash(token.expose()), &[], None, T0)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let offered = || Offered::Credential(Credential::Bearer(Secret::new(token.expose().to_vec())));
    let required =
        Requirements { groups: vec!["admins".into()], users: vec!["carol".into()], ..Requirements::identity() };
    match decide(&auth, &target(), offered(), &required).await.access {
        Access::Allow(id) => {
            assert_eq!((id.name.as_str(), id.backend.as_str(), id.uid), ("carol", "ldap", None));
            assert_eq!(id.groups, vec!["admins"]);
        }
        other => panic!("{other:?}"),
    }
}

fn two_factor_rule(bearer: bool) -> Requirements {
    Requirements {
        rule: RuleMatch::Matched {
            rule: 1,
            policy: Policy::TwoFactor,
            users: Vec::new(),
            groups: Vec::new(),
            all_groups: Vec::new(),
            max_age: None,
            bearer,
        },
        ..Requirements::identity()
    }
}

#[tokio::test]
async fn a_two_factor_rule_takes_only_two_factor_sessions_and_steps_up_the_others() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, _clock) = session_fixture(&dir);
    let id = crate::local::identity(
        &auth.chain().local.as_ref().and_then(|l| l.user("alice").ok().flatten()).unwrap_or_else(|| panic!("alice")),
    );
    let one = auth.open_session(&id, false).unwrap_or_else(|e| panic!("{e}"));
    let cookie = |s: &Secret| Offered::Credential(Credential::Session(Secret::new(s.expose().to_vec())));
    let d = decide(&auth, &target(), cookie(&one.cookie), &two_factor_rule(false)).await;
    assert_eq!(d.access, Access::SecondFactor { step_up: true });
    assert_eq!(outcomes(&d), vec!["accepted", "second_factor_required"]);
    // The same session passes an `authenticated` rule.
    let d = decide(&auth, &target(), cookie(&one.cookie), &Requirements::identity()).await;
    assert!(matches!(d.access, Access::Allow(_)), "{:?}", d.access);

    let two = auth.open_session_with(&id, false, 2).unwrap_or_else(|e| panic!("{e}"));
    let d = decide(&auth, &target(), cookie(&two.cookie), &two_factor_rule(false)).await;
    assert!(matches!(d.access, Access::Allow(_)), "{:?}", d.access);

    // Step-up: a fresh id with two factors; the old id ends.
    let up = auth.step_up_session(&one.cookie).unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("none"));
    assert_ne!(up.cookie.expose(), one.cookie.expose());
    let d = decide(&auth, &target(), cookie(&up.cookie), &two_factor_rule(false)).await;
    assert!(matches!(d.access, Access::Allow(_)), "{:?}", d.access);
    let d = decide(&auth, &target(), cookie(&one.cookie), &Requirements::identity()).await;
    assert!(matches!(d.access, Access::Challenge { .. }), "the old id ended: {:?}", d.access);
}

#[tokio::test]
async fn a_two_factor_rule_refuses_basic_unverified_and_bearer_unless_allowed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (auth, token) = fixture(&dir);
    let d = decide(&auth, &target(), alice(), &two_factor_rule(false)).await;
    assert_eq!(d.access, Access::SecondFactor { step_up: false });
    assert_eq!(outcomes(&d), vec!["second_factor_required"]);
    assert_eq!(d.counted, None, "the password was not checked");
    let bearer = || Offered::Credential(Credential::Bearer(Secret::new(token.expose().to_vec())));
    let d = decide(&auth, &target(), bearer(), &two_factor_rule(false)).await;
    assert_eq!(d.access, Access::SecondFactor { step_up: false });
    let d = decide(&auth, &target(), bearer(), &two_factor_rule(true)).await;
    assert!(matches!(d.access, Access::Allow(_)), "{:?}", d.access);
    let d = decide(&auth, &target(), Offered::Nothing, &two_factor_rule(true)).await;
    assert_eq!(d.access, Access::SecondFactor { step_up: false });
}
