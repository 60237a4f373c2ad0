//! Members and token owners from other backends (`backend:name`).

use super::*;
use crate::config::UsersConfig;
use crate::store::{NewUser, TokenOwner};

fn open_temp() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = SqliteStore::open(&dir.path().join("w.db"), Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    (dir, store)
}

#[test]
fn external_members_join_groups_move_the_counter_and_leave_nss_alone() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_group("admins", Some(5000), &cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_group("devs", Some(5001), &cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    let g0 = s.generation().unwrap_or(-1);
    assert_eq!(s.add_member("ldap:carol", "admins").ok(), Some(true));
    assert_eq!(s.add_member("ldap:carol", "admins").ok(), Some(false), "already a member");
    assert!(s.generation().unwrap_or(-1) > g0, "a new member can change a decision");
    s.add_member("ldap:carol", "devs").unwrap_or_else(|e| panic!("{e}"));
    s.add_member("pam:carol", "devs").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(s.add_member("ldap:carol", "nope"), Err(Error::NoSuchGroup(_))));
    assert_eq!(s.external_groups("ldap", "carol").ok(), Some(vec!["admins".to_string(), "devs".to_string()]));
    assert_eq!(s.external_groups("pam", "carol").ok(), Some(vec!["devs".to_string()]));
    assert_eq!(s.external_groups("ldap", "dave").ok(), Some(vec![]));
    let devs = s.get_group("devs").ok().flatten().unwrap_or_else(|| panic!("no devs"));
    assert!(devs.members.is_empty(), "not POSIX members: {:?}", devs.members);
    assert_eq!(devs.external_members, vec!["ldap:carol", "pam:carol"]);
    let g1 = s.generation().unwrap_or(-1);
    assert_eq!(s.remove_member("ldap:carol", "admins").ok(), Some(true));
    assert_eq!(s.remove_member("ldap:carol", "admins").ok(), Some(false));
    assert!(s.generation().unwrap_or(-1) > g1, "a removal can refuse someone");
    s.delete_group("devs").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.external_groups("ldap", "carol").ok(), Some(vec![]), "memberships go with the group");
}

#[test]
fn tokens_of_external_users_are_found_listed_and_revoked() {
    let (_d, mut s) = open_temp();
    let cfg = UsersConfig::default();
    s.add_group("admins", Some(5000), &cfg, 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_member("ldap:carol", "admins").unwrap_or_else(|e| panic!("{e}"));
    s.add_user(&NewUser { name: "alice".into(), ..NewUser::default() }, &cfg, None, 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = s.add_token("ldap:carol", "ci", "h1", &[], None, 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.owner, "ldap:carol");
    assert!(matches!(s.add_token("ldap:carol", "ci", "h2", &[], None, 1), Err(Error::TokenExists { .. })));
    // The same token name for another owner is fine.
    s.add_token("pam:carol", "ci", "h3", &[], None, 1).unwrap_or_else(|e| panic!("{e}"));
    s.add_token("alice", "ci", "h4", &[], None, 1).unwrap_or_else(|e| panic!("{e}"));
    match s.find_token("h1").ok().flatten() {
        Some((info, TokenOwner::External { backend, name, groups })) => {
            assert_eq!((info.name.as_str(), backend.as_str(), name.as_str()), ("ci", "ldap", "carol"));
            assert_eq!(groups, vec!["admins"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.find_token("h4").ok().flatten(), Some((_, TokenOwner::Local(u))) if u.name == "alice"));
    let owners = |o: Option<&str>| -> Vec<String> {
        s.list_tokens(o).unwrap_or_default().into_iter().map(|t| t.owner).collect()
    };
    assert_eq!(owners(None), vec!["alice", "ldap:carol", "pam:carol"]);
    assert_eq!(owners(Some("ldap:carol")), vec!["ldap:carol"]);
    let g = s.generation().unwrap_or(-1);
    s.revoke_token("ldap:carol", "ci", 5).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.generation().unwrap_or(-1) > g);
    assert!(s.find_token("h1").ok().flatten().is_some_and(|(t, _)| !t.is_usable(6)));
    assert!(s.find_token("h3").ok().flatten().is_some_and(|(t, _)| t.is_usable(6)), "pam:carol's stays");
    assert!(matches!(s.revoke_token("ldap:nobody", "ci", 5), Err(Error::NoSuchToken { .. })));
    // All of one external user's tokens at once (`token revoke --user pam:carol`).
    s.add_token("pam:carol", "deploy", "h5", &[], None, 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.revoke_user_tokens("pam:carol", 7).ok(), Some(2));
    assert!(s.find_token("h5").ok().flatten().is_some_and(|(t, _)| !t.is_usable(8)));
    assert!(s.find_token("h4").ok().flatten().is_some_and(|(t, _)| t.is_usable(8)), "alice's stays");
    assert_eq!(s.revoke_user_tokens("pam:carol", 9).ok(), Some(0), "nothing left to revoke");
}

#[test]
fn the_tokens_rebuild_keeps_existing_tokens_and_their_triggers() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("w.db");
    {
        // A store as the release before external members left it.
        let conn = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
        for step in &schema::MIGRATIONS[..2] {
            conn.execute_batch(step).unwrap_or_else(|e| panic!("{e}"));
        }
        conn.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO users (name, uid, gid, home, shell, created_at, updated_at)
                 VALUES ('alice', 2000, 2000, '/home/alice', '/bin/sh', 1, 1);
             INSERT INTO tokens (hash, name, owner_id, scopes, created_at, last_used_at)
                 VALUES ('h1', 'ci', 1, 'read', 1, 3);",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut s = SqliteStore::open(&path, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.schema_version().ok(), Some(SCHEMA_VERSION));
    let (info, owner) = s.find_token("h1").ok().flatten().unwrap_or_else(|| panic!("the token was lost"));
    assert_eq!((info.scopes, info.last_used_at), (vec!["read".to_string()], Some(3)));
    assert!(matches!(owner, TokenOwner::Local(u) if u.name == "alice"));
    let g = s.generation().unwrap_or(-1);
    s.revoke_token("alice", "ci", 5).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.generation().unwrap_or(-1) > g, "the revocation trigger was made again");
    s.delete_user("alice").unwrap_or_else(|e| panic!("{e}"));
    assert!(s.find_token("h1").ok().flatten().is_none(), "tokens still go with their owner");
    assert_eq!(s.integrity_check().ok().as_deref(), Some("ok"));
}
