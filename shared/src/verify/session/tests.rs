//! Sessions against a real SQLite store and a manual clock.

use super::*;
use crate::clock::{ManualClock, SharedClock};
use crate::config::Config;
use crate::local::PasswordPolicy;
use crate::store::{AccountState, NewUser, Store};
use crate::verify::pool::SlowPool;
use crate::verify::{Credential, Shared};
use std::sync::Arc;

const T0: i64 = 1_800_000_000;

struct Fx {
    dir: tempfile::TempDir,
    cfg: Config,
    clock: ManualClock,
    auth: Authenticator,
}

fn fixture(extra: &str) -> Fx {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\n\
         [session]\nsecure = false\nexpiry = \"1h\"\ninactivity = \"5m\"\nremember_me = \"30d\"\n{extra}",
        dir.path().join("w.db").display()
    );
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut store = open(&cfg);
    let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let rec = policy.record("alice", &Secret::from("pw-alice")).unwrap_or_else(|e| panic!("{e}"));
    let new = NewUser { name: "alice".into(), ..NewUser::default() };
    store.add_user(&new, &cfg.users, Some(&rec), T0).unwrap_or_else(|e| panic!("{e}"));
    let clock = ManualClock::new(T0);
    let auth = build(&cfg, &clock);
    Fx { dir, cfg, clock, auth }
}

fn open(cfg: &Config) -> Store {
    Store::open(&cfg.store.path, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"))
}

fn build(cfg: &Config, clock: &ManualClock) -> Authenticator {
    let shared: SharedClock = Arc::new(clock.clone());
    Authenticator::build(cfg, shared, None, Shared::with_pool(SlowPool::new(1))).unwrap_or_else(|e| panic!("{e}"))
}

fn ctx() -> Context {
    Context::http(None, "GET", "/")
}

fn alice(auth: &Authenticator) -> Identity {
    let Some(local) = auth.chain().local.as_ref() else { panic!("local store") };
    let user = local.user("alice").unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("alice"));
    crate::local::identity(&user)
}

fn sign_in(fx: &Fx, remember_me: bool) -> NewSession {
    fx.auth.open_session(&alice(&fx.auth), remember_me).unwrap_or_else(|e| panic!("{e}"))
}

async fn check(auth: &Authenticator, cookie: &Secret) -> Decision {
    auth.verify(Credential::Session(Secret::new(cookie.expose().to_vec())), &ctx()).await.decision
}

fn accepted_as(d: &Decision, name: &str) -> bool {
    matches!(d, Decision::Accepted(id) if id.name == name)
}

#[tokio::test]
async fn a_new_session_is_accepted_and_only_its_hash_is_stored() {
    let fx = fixture("");
    let s = sign_in(&fx, false);
    assert_eq!(s.cookie.len(), COOKIE_LEN);
    assert!(!s.persistent);
    assert_eq!(s.expires_at, T0 + 3600);
    assert!(accepted_as(&check(&fx.auth, &s.cookie).await, "alice"));
    let rows = open(&fx.cfg).list_sessions(None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id_hash, session_hash(&s.cookie));
    assert_ne!(rows[0].id_hash.as_bytes(), s.cookie.expose());
    // Every sign-in gets a fresh id.
    let again = sign_in(&fx, false);
    assert_ne!(again.cookie.expose(), s.cookie.expose());
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_expiry_even_when_used() {
    let fx = fixture("");
    let s = sign_in(&fx, false);
    for _ in 0..14 {
        fx.clock.advance(240);
        assert!(accepted_as(&check(&fx.auth, &s.cookie).await, "alice"));
    }
    fx.clock.advance(240); // T0 + 3600
    assert_eq!(check(&fx.auth, &s.cookie).await, Decision::Rejected(Rejection::SessionExpired));
    // Gone from the store too.
    assert_eq!(check(&fx.auth, &s.cookie).await, Decision::Unknown);
    assert!(open(&fx.cfg).list_sessions(None).unwrap_or_else(|e| panic!("{e}")).is_empty());
}

#[tokio::test]
async fn an_unused_session_ends_after_the_inactivity_limit() {
    let fx = fixture("");
    let s = sign_in(&fx, false);
    fx.clock.advance(300);
    assert!(accepted_as(&check(&fx.auth, &s.cookie).await, "alice"));
    fx.clock.advance(301);
    assert_eq!(check(&fx.auth, &s.cookie).await, Decision::Rejected(Rejection::SessionExpired));
}

#[tokio::test]
async fn a_remembered_session_lasts_its_own_lifetime_without_an_inactivity_limit() {
    let fx = fixture("");
    let s = sign_in(&fx, true);
    assert!(s.persistent);
    assert_eq!(s.expires_at, T0 + 30 * 86_400);
    fx.clock.advance(7 * 86_400);
    assert!(accepted_as(&check(&fx.auth, &s.cookie).await, "alice"));
    fx.clock.advance(23 * 86_400);
    assert_eq!(check(&fx.auth, &s.cookie).await, Decision::Rejected(Rejection::SessionExpired));
}

#[tokio::test]
async fn remember_me_is_ignored_when_the_config_disables_it() {
    let fx = fixture("");
    let mut cfg = fx.cfg.clone();
    if let Some(s) = cfg.session.as_mut() {
        s.remember_me = std::time::Duration::ZERO;
    }
    let auth = build(&cfg, &fx.clock);
    let s = auth.open_session(&alice(&auth), true).unwrap_or_else(|e| panic!("{e}"));
    assert!(!s.persistent);
    assert_eq!(s.expires_at, T0 + 3600);
}

#[tokio::test]
async fn lock_password_change_and_deletion_end_sessions_at_once() {
    let fx = fixture("");
    let policy = PasswordPolicy::from_config(&fx.cfg).unwrap_or_else(|e| panic!("{e}"));
    let ended = Decision::Rejected(Rejection::SessionExpired);

    // Another process (the CLI) locks the account.
    let s = sign_in(&fx, false);
    assert!(accepted_as(&check(&fx.auth, &s.cookie).await, "alice"));
    open(&fx.cfg).set_state("alice", AccountState::Locked, T0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check(&fx.auth, &s.cookie).await, ended);
    open(&fx.cfg).set_state("alice", AccountState::Active, T0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check(&fx.auth, &s.cookie).await, Decision::Unknown, "unlocking does not bring it back");

    // A password change.
    let s = sign_in(&fx, false);
    assert!(accepted_as(&check(&fx.auth, &s.cookie).await, "alice"));
    let rec = policy.record("alice", &Secret::from("new-pw")).unwrap_or_else(|e| panic!("{e}"));
    open(&fx.cfg).set_password("alice", &rec, T0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check(&fx.auth, &s.cookie).await, ended);

    // A rehash at login (same password) does not end sessions.
    let s = sign_in(&fx, false);
    let current = open(&fx.cfg).get_user("alice").ok().flatten().and_then(|u| u.password_hash);
    let rehash = policy.record("alice", &Secret::from("new-pw")).unwrap_or_else(|e| panic!("{e}"));
    let upgraded = open(&fx.cfg).upgrade_password("alice", current.as_deref().unwrap_or(""), &rehash);
    assert!(matches!(upgraded, Ok(true)));
    assert!(accepted_as(&check(&fx.auth, &s.cookie).await, "alice"));

    // Deletion.
    open(&fx.cfg).delete_user("alice").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(check(&fx.auth, &s.cookie).await, ended);
}

#[tokio::test]
async fn a_group_change_shows_in_the_session_at_once() {
    let fx = fixture("");
    let s = sign_in(&fx, false);
    assert!(matches!(check(&fx.auth, &s.cookie).await, Decision::Accepted(id) if id.groups.is_empty()));
    let mut store = open(&fx.cfg);
    store.add_group("ops", None, &fx.cfg.users, T0).unwrap_or_else(|e| panic!("{e}"));
    store.add_member("alice", "ops").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(check(&fx.auth, &s.cookie).await, Decision::Accepted(id) if id.groups == ["ops"]));
}

#[tokio::test]
async fn tampered_unknown_and_malformed_cookies_are_unknown() {
    let fx = fixture("");
    let s = sign_in(&fx, false);
    let mut bytes = s.cookie.expose().to_vec();
    bytes[0] = if bytes[0] == b'A' { b'B' } else { b'A' };
    assert_eq!(check(&fx.auth, &Secret::new(bytes)).await, Decision::Unknown);
    assert_eq!(check(&fx.auth, &Secret::from("x".repeat(COOKIE_LEN).as_str())).await, Decision::Unknown);
    assert_eq!(check(&fx.auth, &Secret::from("short")).await, Decision::Unknown);
    assert_eq!(check(&fx.auth, &Secret::from("a;b=c d\"e".repeat(5).as_str())).await, Decision::Unknown);
    assert_eq!(check(&fx.auth, &Secret::from("")).await, Decision::Unknown);
    // The hash itself is not a cookie.
    let hash = session_hash(&s.cookie);
    assert_eq!(check(&fx.auth, &Secret::from(hash.as_str())).await, Decision::Unknown);
    assert!(accepted_as(&check(&fx.auth, &s.cookie).await, "alice"));
}

#[tokio::test]
async fn sign_out_ends_the_session_and_single_session_ends_the_others() {
    let fx = fixture("single_session = true\n");
    let first = sign_in(&fx, false);
    let second = sign_in(&fx, false);
    assert_eq!(check(&fx.auth, &first.cookie).await, Decision::Rejected(Rejection::SessionExpired));
    assert!(accepted_as(&check(&fx.auth, &second.cookie).await, "alice"));
    let closed = fx.auth.close_session(&second.cookie).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(closed.map(|i| i.name).as_deref(), Some("alice"));
    assert_ne!(check(&fx.auth, &second.cookie).await, Decision::Accepted(alice(&fx.auth)));
    assert!(open(&fx.cfg).list_sessions(Some("alice")).unwrap_or_else(|e| panic!("{e}")).is_empty());
}

#[tokio::test]
async fn sessions_survive_a_restart_and_last_seen_is_written_in_batches() {
    let fx = fixture("");
    let s = sign_in(&fx, false);
    fx.clock.advance(200);
    assert!(accepted_as(&check(&fx.auth, &s.cookie).await, "alice"));
    let stored = || open(&fx.cfg).list_sessions(None).unwrap_or_else(|e| panic!("{e}"))[0].last_seen;
    assert_eq!(stored(), T0, "a check writes nothing");
    fx.auth.flush_token_uses();
    assert_eq!(stored(), T0 + 200);
    // A new process (restart) reads it from the store, with last_seen counted.
    fx.clock.advance(200);
    let restarted = build(&fx.cfg, &fx.clock);
    assert!(accepted_as(&check(&restarted, &s.cookie).await, "alice"));
    let _ = &fx.dir;
}
