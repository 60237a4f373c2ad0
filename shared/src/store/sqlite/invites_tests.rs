use super::*;
use crate::config::UsersConfig;
use crate::store::{NewUser, SessionRecord};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const T0: i64 = 1_800_000_000;

fn open(path: &std::path::Path) -> SqliteStore {
    SqliteStore::open(path, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"))
}

fn with_user(name: &str) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = open(&dir.path().join("w.db"));
    let new = NewUser { name: name.into(), ..NewUser::default() };
    store.add_user(&new, &UsersConfig::default(), None, T0).unwrap_or_else(|e| panic!("{e}"));
    (dir, store)
}

fn rec(hash: &str) -> PasswordRecord {
    PasswordRecord { hash: hash.into(), ha1: Vec::new() }
}

fn hash_of(store: &SqliteStore, user: &str) -> Option<String> {
    store.get_user(user).ok().flatten().and_then(|u| u.password_hash)
}

#[test]
fn a_link_is_used_once_and_sets_the_password() {
    let (_dir, mut store) = with_user("alice");
    store.add_invite("alice", "h1", false, T0, T0 + 3600).unwrap_or_else(|e| panic!("{e}"));
    let open_now = store.find_invite("h1", T0 + 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(open_now.map(|i| (i.user, i.reset, i.used_at)), Some(("alice".to_string(), false, None)));
    assert_eq!(store.list_invites(T0 + 1).map(|l| l.len()).ok(), Some(1));
    // Someone else's name with the right link changes nothing.
    assert_eq!(store.redeem_invite("h1", "bob", &rec("x"), false, T0 + 2).ok(), Some(false));
    assert_eq!(store.redeem_invite("h1", "alice", &rec("$argon2id$a"), false, T0 + 2).ok(), Some(true));
    assert_eq!(hash_of(&store, "alice").as_deref(), Some("$argon2id$a"));
    assert_eq!(store.redeem_invite("h1", "alice", &rec("$argon2id$b"), false, T0 + 3).ok(), Some(false));
    assert_eq!(hash_of(&store, "alice").as_deref(), Some("$argon2id$a"));
    assert_eq!(store.find_invite("h1", T0 + 3).ok(), Some(None));
    assert_eq!(store.list_invites(T0 + 3).map(|l| l.len()).ok(), Some(0));
}

#[test]
fn an_expired_or_unknown_link_changes_nothing() {
    let (_dir, mut store) = with_user("alice");
    store.add_invite("alice", "h1", false, T0, T0 + 60).unwrap_or_else(|e| panic!("{e}"));
    assert!(store.find_invite("h1", T0 + 59).ok().flatten().is_some());
    assert_eq!(store.find_invite("h1", T0 + 60).ok(), Some(None));
    assert_eq!(store.list_invites(T0 + 60).map(|l| l.len()).ok(), Some(0));
    assert_eq!(store.redeem_invite("h1", "alice", &rec("x"), false, T0 + 60).ok(), Some(false));
    assert_eq!(store.redeem_invite("nope", "alice", &rec("x"), false, T0).ok(), Some(false));
    assert_eq!(hash_of(&store, "alice"), None);
    assert!(matches!(store.add_invite("zed", "h2", false, T0, T0 + 60), Err(Error::NoSuchUser(_))));
}

#[test]
fn a_new_link_replaces_the_old_and_goes_with_its_user() {
    let (_dir, mut store) = with_user("alice");
    store.add_invite("alice", "old", false, T0, T0 + 60).unwrap_or_else(|e| panic!("{e}"));
    store.add_invite("alice", "new", true, T0 + 1, T0 + 60).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.find_invite("old", T0 + 2).ok(), Some(None));
    assert_eq!(store.find_invite("new", T0 + 2).ok().flatten().map(|i| i.reset), Some(true));
    store.delete_user("alice").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.list_invites(T0 + 2).map(|l| l.len()).ok(), Some(0));
}

#[test]
fn using_a_link_ends_the_users_sessions() {
    let (_dir, mut store) = with_user("alice");
    let id = crate::auth::Identity {
        name: "alice".into(),
        backend: "local".into(),
        uid: None,
        gid: None,
        display_name: None,
        email: None,
        groups: Vec::new(),
        scopes: None,
    };
    let s = SessionRecord {
        id_hash: "s1".into(),
        identity: id,
        created_at: T0,
        last_seen: T0,
        expires_at: T0 + 3600,
        remember_me: false,
        factors: 1,
    };
    store.add_session(&s, false).unwrap_or_else(|e| panic!("{e}"));
    store.add_invite("alice", "h1", true, T0, T0 + 60).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.redeem_invite("h1", "alice", &rec("x"), false, T0 + 1).ok(), Some(true));
    assert_eq!(store.find_session("s1").ok(), Some(None));
}

#[test]
fn of_two_concurrent_uses_of_one_link_exactly_one_wins() {
    let (dir, mut store) = with_user("alice");
    let path = dir.path().join("w.db");
    for round in 0..8 {
        let hash = format!("h{round}");
        // Round 0 is a new account's link; later rounds reset the password it set.
        store.add_invite("alice", &hash, round > 0, T0, T0 + 60).unwrap_or_else(|e| panic!("{e}"));
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = ["$argon2id$one", "$argon2id$two"]
            .into_iter()
            .map(|pw| {
                let (barrier, path, hash) = (barrier.clone(), path.clone(), hash.clone());
                std::thread::spawn(move || {
                    let mut mine = open(&path);
                    barrier.wait();
                    mine.redeem_invite(&hash, "alice", &rec(pw), false, T0 + 1).map(|won| won.then_some(pw))
                })
            })
            .collect();
        let results: Vec<_> =
            racers.into_iter().map(|t| t.join().unwrap_or_else(|_| panic!("racer panicked"))).collect();
        let winners: Vec<&str> = results.iter().filter_map(|r| r.as_ref().ok().copied().flatten()).collect();
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        assert_eq!(hash_of(&store, "alice").as_deref(), Some(winners[0]));
    }
}

#[test]
fn a_new_accounts_link_closes_when_a_password_is_set_another_way() {
    let (_dir, mut store) = with_user("alice");
    store.add_invite("alice", "h1", false, T0, T0 + 60).unwrap_or_else(|e| panic!("{e}"));
    store.set_password("alice", &rec("$argon2id$admin"), T0 + 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.find_invite("h1", T0 + 2).ok(), Some(None));
    assert_eq!(store.list_invites(T0 + 2).map(|l| l.len()).ok(), Some(0));
    assert_eq!(store.redeem_invite("h1", "alice", &rec("$argon2id$x"), false, T0 + 2).ok(), Some(false));
    assert_eq!(hash_of(&store, "alice").as_deref(), Some("$argon2id$admin"));
    // A reset link is for an account with a password.
    store.add_invite("alice", "h2", true, T0 + 3, T0 + 60).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.redeem_invite("h2", "alice", &rec("$argon2id$y"), false, T0 + 4).ok(), Some(true));
}
