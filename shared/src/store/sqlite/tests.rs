use super::*;
use crate::config::{DigestAlgorithm, UsersConfig};
use crate::store::{AccountState, Ha1Entry, NewUser, PasswordRecord, TokenOwner};

type Store = SqliteStore;

fn open_temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Store::open(&dir.path().join("w.db"), Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    (dir, store)
}

fn rec(hash: &str) -> PasswordRecord {
    PasswordRecord {
        hash: hash.into(),
        ha1: vec![Ha1Entry {
            realm: "r".into(),
            algorithm: DigestAlgorithm::Sha256,
            ha1: "aa".into(),
            userhash: "uh".into(),
        }],
    }
}

fn new_user(name: &str) -> NewUser {
    NewUser { name: name.into(), ..NewUser::default() }
}

#[test]
fn migrates_an_empty_db_and_creates_it_private() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, store) = open_temp();
    assert_eq!(store.schema_version().ok(), Some(SCHEMA_VERSION));
    assert_eq!(store.integrity_check().ok().as_deref(), Some("ok"));
    let mode = std::fs::metadata(dir.path().join("w.db")).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    assert_eq!(mode, 0o600);
    drop(store);
    // Reopening does not migrate again.
    let again = Store::open(&dir.path().join("w.db"), Duration::from_secs(1)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.schema_version().ok(), Some(SCHEMA_VERSION));
}

#[test]
fn a_corrupt_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = dir.path().join("bad.db");
    std::fs::write(&p, vec![0x42u8; 8192]).unwrap_or_else(|e| panic!("{e}"));
    let e = Store::open(&p, Duration::from_secs(1)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("not a database"), "{e}");
    assert_eq!(std::fs::read(&p).unwrap_or_default(), vec![0x42u8; 8192]);
}

#[test]
fn newer_schema_is_refused() {
    let (dir, store) = open_temp();
    store.conn.execute_batch("PRAGMA user_version = 99").unwrap_or_else(|e| panic!("{e}"));
    drop(store);
    let e = Store::open(&dir.path().join("w.db"), Duration::from_secs(1)).err();
    assert!(matches!(e, Some(Error::SchemaTooNew { found: 99, .. })));
}

#[test]
fn users_get_ids_from_the_range_and_private_groups() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    let a = s.add_user(&new_user("alice"), &cfg, Some(&rec("h")), 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((a.uid, a.gid), (200_000, 200_000));
    assert_eq!(a.home, "/home/alice");
    let g = s.add_group("staff", None, &cfg, 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.gid, 200_001);
    let b = s.add_user(&new_user("bob"), &cfg, None, 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.uid, 200_002);
    assert!(matches!(s.add_user(&new_user("alice"), &cfg, None, 10), Err(Error::UserExists(_))));
    assert!(matches!(
        s.add_user(&NewUser { uid: Some(200_000), ..new_user("carol") }, &cfg, None, 10),
        Err(Error::IdInUse(200_000))
    ));
    s.delete_user("alice").unwrap_or_else(|e| panic!("{e}"));
    // The freed id is reused.
    let c = s.add_user(&new_user("carol"), &cfg, None, 10).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.uid, 200_000);
}

#[test]
fn a_full_range_is_an_error() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig { uid_min: 5000, uid_max: 5000, ..UsersConfig::default() };
    s.add_user(&new_user("a"), &cfg, None, 1).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(s.add_user(&new_user("b"), &cfg, None, 1), Err(Error::NoFreeId { .. })));
}

#[test]
fn generation_moves_on_security_relevant_changes() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, Some(&rec("h1")), 1).unwrap_or_else(|e| panic!("{e}"));
    let g0 = s.generation().unwrap_or(-1);
    s.set_state("alice", AccountState::Locked, 2).unwrap_or_else(|e| panic!("{e}"));
    let g1 = s.generation().unwrap_or(-1);
    assert!(g1 > g0);
    s.set_password("alice", &rec("h2"), 3).unwrap_or_else(|e| panic!("{e}"));
    let g2 = s.generation().unwrap_or(-1);
    assert!(g2 > g1);
    s.add_group("g", None, &cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.add_member("alice", "g").unwrap_or(false));
    assert!(!s.add_member("alice", "g").unwrap_or(true));
    let g3 = s.generation().unwrap_or(-1);
    assert!(g3 > g2);
    s.add_token("alice", "ci", "hash", &[], None, 1).unwrap_or_else(|e| panic!("{e}"));
    s.touch_tokens(&[(1, 5)]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.generation().unwrap_or(-1), g3, "last_used updates do not flush caches");
    s.revoke_token("alice", "ci", 6).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.generation().unwrap_or(-1) > g3);
}

#[test]
fn passwords_and_ha1_are_replaced_together() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, Some(&rec("h1")), 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.get_ha1("alice", "r", DigestAlgorithm::Sha256).ok().flatten().as_deref(), Some("aa"));
    assert_eq!(s.user_by_userhash("uh", "r", DigestAlgorithm::Sha256).ok().flatten().as_deref(), Some("alice"));
    assert_eq!(s.get_ha1("alice", "r", DigestAlgorithm::Md5).ok().flatten(), None);
    // An upgrade only applies while the old hash is still in place.
    assert!(!s.upgrade_password("alice", "not-h1", &rec("h3")).unwrap_or(true));
    assert!(s.upgrade_password("alice", "h1", &PasswordRecord { hash: "h3".into(), ha1: vec![] }).unwrap_or(false));
    assert_eq!(s.get_ha1("alice", "r", DigestAlgorithm::Sha256).ok().flatten(), None);
    let u = s.get_user("alice").ok().flatten();
    assert_eq!(u.and_then(|u| u.password_hash).as_deref(), Some("h3"));
    assert!(matches!(s.set_password("nobody", &rec("x"), 1), Err(Error::NoSuchUser(_))));
}

#[test]
fn tokens_are_found_by_hash_and_revoked() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, None, 1).unwrap_or_else(|e| panic!("{e}"));
    let t = s
        .add_token("alice", "ci", "abc", &["read".into(), "write".into()], Some(100), 1)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.scopes, vec!["read", "write"]);
    assert!(t.is_usable(50));
    assert!(!t.is_usable(100));
    assert!(matches!(s.add_token("alice", "ci", "def", &[], None, 1), Err(Error::TokenExists { .. })));
    assert!(matches!(s.add_token("bob", "ci", "def", &[], None, 1), Err(Error::NoSuchUser(_))));
    let (found, owner) = s.find_token("abc").ok().flatten().unwrap_or_else(|| panic!("token not found"));
    assert!(matches!(owner, TokenOwner::Local(u) if u.name == "alice"));
    assert_eq!(found.name, "ci");
    s.revoke_token("alice", "ci", 7).unwrap_or_else(|e| panic!("{e}"));
    let (found, _) = s.find_token("abc").ok().flatten().unwrap_or_else(|| panic!("token not found"));
    assert!(!found.is_usable(8));
    assert!(matches!(s.revoke_token("alice", "nope", 7), Err(Error::NoSuchToken { .. })));
    assert_eq!(s.list_tokens(Some("alice")).map(|v| v.len()).unwrap_or(0), 1);
    s.delete_user("alice").unwrap_or_else(|e| panic!("{e}"));
    assert!(s.find_token("abc").ok().flatten().is_none());
}

#[test]
fn groups_and_memberships() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, None, 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_group("admins", Some(5000), &cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(s.add_group("admins", None, &cfg, 1), Err(Error::GroupExists(_))));
    assert!(matches!(s.add_group("other", Some(5000), &cfg, 1), Err(Error::IdInUse(5000))));
    assert!(matches!(s.add_member("bob", "admins"), Err(Error::NoSuchUser(_))));
    assert!(matches!(s.add_member("alice", "nope"), Err(Error::NoSuchGroup(_))));
    s.add_member("alice", "admins").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.get_user("alice").ok().flatten().map(|u| u.groups), Some(vec!["admins".to_string()]));
    assert_eq!(s.get_group_by_gid(5000).ok().flatten().map(|g| g.members), Some(vec!["alice".to_string()]));
    assert!(s.remove_member("alice", "admins").unwrap_or(false));
    s.delete_group("admins").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(s.delete_group("admins"), Err(Error::NoSuchGroup(_))));
}

#[test]
fn a_refused_change_leaves_the_file_unchanged() {
    let (dir, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, Some(&rec("h")), 1).unwrap_or_else(|e| panic!("{e}"));
    drop(s);
    let path = dir.path().join("w.db");
    let before = std::fs::read(&path).unwrap_or_default();
    let mut s = Store::open(&path, Duration::from_secs(1)).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.add_user(&new_user("alice"), &cfg, None, 2).is_err());
    assert!(s.delete_user("nobody").is_err());
    drop(s);
    assert_eq!(std::fs::read(&path).unwrap_or_default(), before);
}

#[test]
fn digest_values_are_refreshed_only_for_the_current_hash_and_counted_per_realm() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, Some(&rec("h1")), 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_user(&new_user("bob"), &cfg, None, 1).unwrap_or_else(|e| panic!("{e}"));
    let (sha, md5) = (DigestAlgorithm::Sha256, DigestAlgorithm::Md5);
    // bob has no password: he is not counted.
    assert_eq!(s.users_without_ha1("r", &[sha]).ok(), Some(0));
    assert_eq!(s.users_without_ha1("r", &[sha, md5]).ok(), Some(1));
    assert_eq!(s.users_without_ha1("x", &[sha]).ok(), Some(1));
    assert_eq!(s.users_without_ha1("x", &[]).ok(), Some(0));
    let x = |alg| Ha1Entry { realm: "x".into(), algorithm: alg, ha1: "bb".into(), userhash: "uhx".into() };
    // A password changed since the verification: nothing is written.
    assert_eq!(s.refresh_ha1("alice", "h0", &[x(sha)]).ok(), Some(false));
    assert_eq!(s.ha1_algorithms("alice", "x", &[sha, md5]).ok(), Some(vec![]));
    let g = s.generation().unwrap_or(-1);
    assert_eq!(s.refresh_ha1("alice", "h1", &[x(sha)]).ok(), Some(true));
    assert_eq!(s.ha1_algorithms("alice", "x", &[md5, sha]).ok(), Some(vec![sha]));
    assert_eq!(s.get_ha1("alice", "r", sha).ok().flatten().as_deref(), Some("aa"), "other realms stay");
    assert_eq!(s.users_without_ha1("x", &[sha]).ok(), Some(0));
    assert_eq!(s.generation().unwrap_or(-1), g, "adding Digest values refuses nobody");
}

fn add_raw_session(s: &Store, id_hash: &str, user: &str) {
    s.conn
        .execute(
            "INSERT INTO sessions (id_hash, user_name, backend, created_at, last_seen, expires_at) \
             VALUES (?1, ?2, 'local', 1, 1, 999)",
            [id_hash, user],
        )
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn user_changes_apply_together_and_move_the_generation() {
    use crate::store::UserChanges;
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, Some(&rec("h")), 1).unwrap_or_else(|e| panic!("{e}"));
    add_raw_session(&s, "s1", "alice");
    let g0 = s.generation().unwrap_or(-1);
    let changes = UserChanges {
        display_name: Some(Some("Alice L".into())),
        email: Some(Some("a@example.org".into())),
        home: Some("/srv/alice".into()),
        shell: Some("/bin/zsh".into()),
        expires_at: Some(Some(500)),
        ..UserChanges::default()
    };
    let u = s.update_user("alice", &changes, 5).unwrap_or_else(|e| panic!("{e}"));
    let got = (u.display_name.as_deref(), u.email.as_deref(), u.home.as_str(), u.shell.as_str(), u.expires_at);
    assert_eq!(got, (Some("Alice L"), Some("a@example.org"), "/srv/alice", "/bin/zsh", Some(500)));
    assert_eq!(u.updated_at, 5);
    let g1 = s.generation().unwrap_or(-1);
    assert!(g1 > g0, "a new e-mail must reach cached identities");
    assert_eq!(s.list_sessions(Some("alice")).map(|v| v.len()).ok(), Some(1), "names alone keep sessions");
    // Clearing and "never".
    let clear = UserChanges { email: Some(None), expires_at: Some(None), ..UserChanges::default() };
    let u = s.update_user("alice", &clear, 6).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((u.email, u.expires_at, u.display_name.as_deref()), (None, None, Some("Alice L")));
    // A new uid ends the sessions and moves the counter.
    let g2 = s.generation().unwrap_or(-1);
    let u = s.update_user("alice", &UserChanges { uid: Some(3000), ..UserChanges::default() }, 7);
    assert_eq!(u.map(|u| (u.uid, u.gid)).ok(), Some((3000, 200_000)), "the gid stays unless given");
    assert!(s.generation().unwrap_or(-1) > g2);
    assert_eq!(s.list_sessions(Some("alice")).map(|v| v.len()).ok(), Some(0));
    assert!(matches!(s.update_user("nobody", &clear, 7), Err(Error::NoSuchUser(_))));
}

#[test]
fn taken_ids_are_refused_by_name_and_change_nothing() {
    use crate::store::UserChanges;
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, None, 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_user(&new_user("bob"), &cfg, None, 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_group("staff", Some(5000), &cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    let uid = |n| UserChanges { uid: Some(n), shell: Some("/bin/zsh".into()), ..UserChanges::default() };
    let gid = |n| UserChanges { gid: Some(n), ..UserChanges::default() };
    let msg = |r: Result<crate::store::User>| r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg(s.update_user("alice", &uid(200_001), 2)).contains("user `bob`"));
    assert!(msg(s.update_user("alice", &uid(5000), 2)).contains("group `staff`"));
    assert!(msg(s.update_user("alice", &gid(200_001), 2)).contains("private group of user `bob`"));
    let alice = s.get_user("alice").ok().flatten().map(|u| (u.uid, u.gid, u.shell, u.updated_at));
    assert_eq!(alice, Some((200_000, 200_000, "/bin/bash".to_string(), 1)), "nothing changed");
    // A group's gid is a fine primary group, and the user's own ids are not "taken".
    assert_eq!(s.update_user("alice", &gid(5000), 3).map(|u| u.gid).ok(), Some(5000));
    assert_eq!(s.update_user("alice", &uid(200_000), 3).map(|u| u.uid).ok(), Some(200_000));
}

#[test]
fn a_rename_keeps_ids_memberships_and_tokens_and_ends_sessions() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, Some(&rec("h")), 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_user(&new_user("bob"), &cfg, None, 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_group("staff", None, &cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_member("alice", "staff").unwrap_or_else(|e| panic!("{e}"));
    s.add_token("alice", "ci", "tokhash", &[], None, 1).unwrap_or_else(|e| panic!("{e}"));
    add_raw_session(&s, "s1", "alice");
    assert!(matches!(s.rename_user("alice", "bob", 2), Err(Error::UserExists(_))));
    assert!(matches!(s.rename_user("nobody", "carol", 2), Err(Error::NoSuchUser(_))));
    let g = s.generation().unwrap_or(-1);
    s.rename_user("alice", "carol", 3).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.generation().unwrap_or(-1) > g);
    assert!(s.get_user("alice").ok().flatten().is_none());
    let c = s.get_user("carol").ok().flatten().unwrap_or_else(|| panic!("carol"));
    assert_eq!((c.uid, c.gid, c.groups.clone()), (200_000, 200_000, vec!["staff".to_string()]));
    assert_eq!(c.password_hash.as_deref(), Some("h"));
    assert_eq!(
        s.find_token("tokhash").ok().flatten().map(|(t, u)| match u {
            crate::store::TokenOwner::Local(u) => (t.owner, u.name),
            crate::store::TokenOwner::External { name, .. } => (t.owner, format!("external {name}")),
        }),
        Some(("carol".into(), "carol".into()))
    );
    assert_eq!(s.list_sessions(None).map(|v| v.len()).ok(), Some(0));
    assert_eq!(s.get_ha1("carol", "r", DigestAlgorithm::Sha256).ok().flatten(), None, "HA1 is bound to the name");
}

#[test]
fn revoking_a_users_tokens_counts_the_live_ones_and_can_ride_on_a_password_change() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_user(&new_user("alice"), &cfg, None, 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_user(&new_user("bob"), &cfg, None, 1).unwrap_or_else(|e| panic!("{e}"));
    for (owner, name, hash) in [("alice", "a", "h1"), ("alice", "b", "h2"), ("alice", "c", "h3"), ("bob", "a", "h4")] {
        s.add_token(owner, name, hash, &[], None, 1).unwrap_or_else(|e| panic!("{e}"));
    }
    s.revoke_token("alice", "c", 2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.revoke_user_tokens("alice", 5).ok(), Some(2));
    assert_eq!(s.revoke_user_tokens("alice", 6).ok(), Some(0));
    let revoked: Vec<_> = s.list_tokens(Some("alice")).unwrap_or_default().into_iter().map(|t| t.revoked_at).collect();
    assert_eq!(revoked, vec![Some(5), Some(5), Some(2)], "an earlier revocation keeps its time");
    assert!(matches!(s.revoke_user_tokens("nobody", 5), Err(Error::NoSuchUser(_))));
    assert_eq!(s.set_password_revoking_tokens("bob", &rec("h"), 7).ok(), Some(1));
    assert!(s.list_tokens(Some("bob")).unwrap_or_default().iter().all(|t| t.revoked_at == Some(7)));
}

#[test]
fn the_digest_state_is_not_shared() {
    let (dir, mut store) = open_temp();
    let mut other = Store::open(&dir.path().join("w.db"), Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    crate::store::conformance::nonces::digest_nonces(&mut store, &mut other);
}
