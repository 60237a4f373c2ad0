//! The behaviour every [`UserStore`] must show (see the module docs of [`crate::store`]), as
//! one suite run against SQLite (a unit test) and PostgreSQL (the integration tests start a
//! real server). `open` makes a connection to one empty store; the suite opens two to see
//! that a change made through one is seen through the other.
//!
//! Test support, not an API: it panics on the first broken promise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod nonces;

use super::{
    AccountState, EventKind, EventQuery, EventRecord, Ha1Entry, NewUser, OutcomeFilter, PasskeyRecord, PasswordRecord,
    SessionRecord, TokenOwner, TotpRecord, UserChanges, UserStore,
};
use crate::auth::Identity;
use crate::config::{DigestAlgorithm, UsersConfig};
use crate::error::Error;

/// Runs every check; `open` gives a new connection to the same, initially empty, store.
pub fn run(open: &dyn Fn() -> Box<dyn UserStore>) {
    let mut s = open();
    let other = open();
    users(s.as_mut());
    groups(s.as_mut());
    tokens(s.as_mut());
    sessions(s.as_mut());
    generation(s.as_mut(), other.as_ref());
    digest(s.as_mut());
    second_factor(s.as_mut());
    events(s.as_mut());
    identities(s.as_mut());
    invites(s.as_mut());
    passkeys(s.as_mut());
    nonces::digest_nonces(s.as_mut(), open().as_mut());
}

fn ok<T>(r: crate::error::Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn defaults() -> UsersConfig {
    UsersConfig { uid_min: 5000, uid_max: 5999, ..UsersConfig::default() }
}

fn new_user(name: &str) -> NewUser {
    NewUser { name: name.into(), ..NewUser::default() }
}

fn password(hash: &str, realm: &str) -> PasswordRecord {
    let ha1 = Ha1Entry {
        realm: realm.into(),
        algorithm: DigestAlgorithm::Sha256,
        ha1: format!("ha1-{hash}"),
        userhash: format!("uh-{hash}"),
    };
    PasswordRecord { hash: hash.into(), ha1: vec![ha1] }
}

fn session(id: &str, user: &str, backend: &str, expires_at: i64) -> SessionRecord {
    SessionRecord {
        id_hash: id.into(),
        identity: Identity {
            name: user.into(),
            backend: backend.into(),
            uid: Some(5000),
            gid: None,
            display_name: Some("Dee".into()),
            email: None,
            groups: vec!["a".into(), "b".into()],
            scopes: None,
        },
        created_at: 10,
        last_seen: 10,
        expires_at,
        remember_me: true,
        factors: 2,
    }
}

fn users(s: &mut dyn UserStore) {
    let d = defaults();
    let amy = ok(s.add_user(&new_user("amy"), &d, Some(&password("h1", "r")), 100));
    assert_eq!((amy.uid, amy.gid, amy.state), (5000, 5000, AccountState::Active));
    assert_eq!(amy.password_hash.as_deref(), Some("h1"));
    assert_eq!(amy.home, d.home.replace("{user}", "amy"));
    assert!(matches!(s.add_user(&new_user("amy"), &d, None, 1), Err(Error::UserExists(_))));
    let fixed = NewUser { uid: Some(5000), ..new_user("bob") };
    assert!(matches!(s.add_user(&fixed, &d, None, 1), Err(Error::IdInUse(5000))));
    assert!(!ok(s.user_exists("bob")), "a refused add leaves nothing");
    assert!(!ok(s.user_exists("Amy")), "names are exact");
    // All or nothing: the second row is taken, so the first is not added either.
    let batch = vec![(new_user("cy"), None), (new_user("amy"), None)];
    assert!(s.add_users(&batch, &d, 1).is_err());
    assert!(!ok(s.user_exists("cy")));
    ok(s.add_users(&[(new_user("cy"), None), (new_user("bo"), None)], &d, 1));
    let names: Vec<String> = ok(s.list_users()).into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["amy", "bo", "cy"]);
    assert_eq!(ok(s.get_user_by_uid(5000)).map(|u| u.name).as_deref(), Some("amy"));
    assert!(matches!(s.set_password("nobody", &password("x", "r"), 1), Err(Error::NoSuchUser(_))));
    assert!(!ok(s.upgrade_password("amy", "not-h1", &password("h2", "r"))));
    assert!(ok(s.upgrade_password("amy", "h1", &password("h2", "r"))));
    ok(s.set_state("amy", AccountState::Locked, 101));
    ok(s.set_expiry("amy", Some(999), 101));
    let amy = ok(s.get_user("amy")).unwrap();
    assert_eq!(
        (amy.state, amy.expires_at, amy.password_hash.as_deref()),
        (AccountState::Locked, Some(999), Some("h2"))
    );
    let changes = UserChanges { uid: Some(5001), ..UserChanges::default() };
    assert!(matches!(s.update_user("amy", &changes, 1), Err(Error::Invalid(_))), "5001 is bo's or cy's");
    let changes =
        UserChanges { email: Some(Some("a@x".into())), shell: Some("/bin/sh".into()), ..UserChanges::default() };
    let amy = ok(s.update_user("amy", &changes, 102));
    assert_eq!((amy.email.as_deref(), amy.shell.as_str()), (Some("a@x"), "/bin/sh"));
    assert!(matches!(s.rename_user("bo", "cy", 1), Err(Error::UserExists(_))));
    ok(s.rename_user("bo", "bea", 103));
    assert!(ok(s.get_user("bea")).is_some() && ok(s.get_user("bo")).is_none());
    ok(s.delete_user("cy"));
    assert!(matches!(s.delete_user("cy"), Err(Error::NoSuchUser(_))));
}

fn groups(s: &mut dyn UserStore) {
    let d = defaults();
    let g = ok(s.add_group("ops", None, &d, 1));
    assert_eq!(g.gid, 5001, "the lowest id no user holds (cy, deleted, held it)");
    assert!(matches!(s.add_group("ops", None, &d, 1), Err(Error::GroupExists(_))));
    assert!(matches!(s.add_group("dev", Some(5000), &d, 1), Err(Error::IdInUse(5000))));
    ok(s.add_group("dev", Some(7000), &d, 1));
    assert!(ok(s.add_member("bea", "ops")) && !ok(s.add_member("bea", "ops")));
    ok(s.add_member("amy", "ops"));
    assert!(ok(s.add_member("ldap:carol", "ops")) && !ok(s.add_member("ldap:carol", "ops")));
    ok(s.add_member("ldap:carol", "dev"));
    assert!(matches!(s.add_member("nobody", "ops"), Err(Error::NoSuchUser(_))));
    assert!(matches!(s.add_member("amy", "none"), Err(Error::NoSuchGroup(_))));
    let ops = ok(s.get_group("ops")).unwrap();
    assert_eq!(
        (ops.members.as_slice(), ops.external_members.as_slice()),
        (&["amy".to_string(), "bea".into()][..], &["ldap:carol".to_string()][..])
    );
    assert_eq!(ok(s.get_group_by_gid(7000)).map(|g| g.name).as_deref(), Some("dev"));
    assert_eq!(ok(s.external_groups("ldap", "carol")), ["dev", "ops"]);
    assert_eq!(ok(s.get_user("amy")).unwrap().groups, ["ops"]);
    assert!(ok(s.remove_member("ldap:carol", "dev")) && !ok(s.remove_member("ldap:carol", "dev")));
    let names: Vec<String> = ok(s.list_groups()).into_iter().map(|g| g.name).collect();
    assert_eq!(names, ["dev", "ops"]);
    ok(s.delete_group("dev"));
    assert!(matches!(s.delete_group("dev"), Err(Error::NoSuchGroup(_))));
}

fn tokens(s: &mut dyn UserStore) {
    let scopes = vec!["read".to_string(), "write".into()];
    let t = ok(s.add_token("amy", "ci", "hash-ci", &scopes, Some(5000), 10));
    assert_eq!((t.owner.as_str(), t.scopes.clone(), t.revoked_at), ("amy", scopes.clone(), None));
    assert!(matches!(s.add_token("amy", "ci", "hash-2", &[], None, 10), Err(Error::TokenExists { .. })));
    assert!(matches!(s.add_token("nobody", "ci", "hash-3", &[], None, 10), Err(Error::NoSuchUser(_))));
    ok(s.add_token("ldap:carol", "ci", "hash-carol", &[], None, 11));
    ok(s.add_token("amy", "deploy", "hash-deploy", &[], None, 12));
    let (info, owner) = ok(s.find_token("hash-ci")).unwrap();
    assert_eq!(info.name, "ci");
    assert!(matches!(owner, TokenOwner::Local(u) if u.name == "amy" && u.groups == ["ops"]));
    let (_, owner) = ok(s.find_token("hash-carol")).unwrap();
    assert!(
        matches!(owner, TokenOwner::External { backend, name, groups } if backend == "ldap" && name == "carol" && groups == ["ops"])
    );
    assert!(ok(s.find_token("hash-none")).is_none());
    let listed: Vec<(String, String)> = ok(s.list_tokens(None)).into_iter().map(|t| (t.owner, t.name)).collect();
    assert_eq!(
        listed,
        [("amy".into(), "ci".into()), ("amy".into(), "deploy".into()), ("ldap:carol".into(), "ci".into())]
    );
    assert_eq!(ok(s.list_tokens(Some("ldap:carol"))).len(), 1);
    let g = ok(s.generation());
    ok(s.touch_tokens(&[(t.id, 50), (t.id, 40)]));
    assert_eq!(ok(s.generation()), g, "recording a use moves nothing");
    assert_eq!(ok(s.find_token("hash-ci")).unwrap().0.last_used_at, Some(50));
    ok(s.revoke_token("amy", "ci", 60));
    ok(s.revoke_token("amy", "ci", 70));
    assert_eq!(ok(s.find_token("hash-ci")).unwrap().0.revoked_at, Some(60), "revoked at its first time");
    assert!(ok(s.generation()) > g);
    assert!(matches!(s.revoke_token("amy", "none", 1), Err(Error::NoSuchToken { .. })));
    assert_eq!(ok(s.revoke_user_tokens("ldap:carol", 80)), 1);
    assert_eq!(ok(s.set_password_revoking_tokens("amy", &password("h3", "r"), 90)), 1, "deploy only");
}

fn sessions(s: &mut dyn UserStore) {
    ok(s.add_session(&session("s1", "bea", "local", 1000), false));
    ok(s.add_session(&session("s2", "bea", "ldap", 1000), false));
    ok(s.add_session(&session("s3", "bea", "local", 1000), false));
    assert_eq!(ok(s.find_session("s1")), Some(session("s1", "bea", "local", 1000)));
    let g = ok(s.generation());
    ok(s.touch_sessions(&[("s1".into(), 20), ("s1".into(), 15)]));
    assert_eq!(ok(s.find_session("s1")).unwrap().last_seen, 20);
    assert_eq!(ok(s.generation()), g, "touching moves nothing");
    ok(s.add_session(&session("s4", "bea", "local", 1000), true));
    let left: Vec<String> = ok(s.list_sessions(Some("bea"))).into_iter().map(|x| x.id_hash).collect();
    assert_eq!(left, ["s2", "s4"], "end_others ends the local ones only");
    assert!(ok(s.generation()) > g);
    // A rehash keeps sessions; setting the password ends the local ones.
    let hash = ok(s.get_user("bea")).unwrap().password_hash;
    assert!(hash.is_none());
    ok(s.set_password("bea", &password("hb", "r"), 30));
    assert!(ok(s.find_session("s4")).is_none() && ok(s.find_session("s2")).is_some());
    ok(s.add_session(&session("s5", "bea", "local", 1000), false));
    assert!(ok(s.upgrade_password("bea", "hb", &password("hb2", "r"))));
    assert!(ok(s.find_session("s5")).is_some(), "a rehash is no password change");
    ok(s.set_state("bea", AccountState::Disabled, 31));
    assert!(ok(s.find_session("s5")).is_none(), "a disabled account has no session");
    ok(s.set_state("bea", AccountState::Active, 31));
    ok(s.add_session(&session("s6", "bea", "local", 1000), false));
    ok(s.rename_user("bea", "bee", 32));
    assert!(ok(s.find_session("s6")).is_none(), "renamed: sessions end");
    ok(s.add_session(&session("s7", "x", "pam", 40), false));
    let g = ok(s.generation());
    assert!(ok(s.delete_session("s2")) && !ok(s.delete_session("s2")));
    assert!(ok(s.generation()) > g);
    assert_eq!(ok(s.delete_expired_sessions(40)), 1);
    ok(s.add_session(&session("s8", "x", "pam", 1000), false));
    assert_eq!(ok(s.delete_user_sessions("x")), 1);
}

fn generation(s: &mut dyn UserStore, other: &dyn UserStore) {
    let mut last = ok(other.generation());
    let mut moved = |s: &mut dyn UserStore, what: &str, change: &dyn Fn(&mut dyn UserStore)| {
        change(s);
        let now = ok(other.generation());
        assert!(now > last, "{what} moves the generation (seen by another connection)");
        last = now;
    };
    moved(s, "a lock", &|s| ok(s.set_state("amy", AccountState::Locked, 1)));
    moved(s, "a password", &|s| ok(s.set_password("amy", &password("h4", "r"), 1)));
    moved(s, "a membership", &|s| assert!(ok(s.remove_member("bee", "ops"))));
    moved(s, "an external membership", &|s| assert!(ok(s.remove_member("ldap:carol", "ops"))));
    moved(s, "a user edit", &|s| {
        drop(ok(s.update_user("amy", &UserChanges { home: Some("/h".into()), ..UserChanges::default() }, 1)))
    });
    moved(s, "a group deleted", &|s| ok(s.delete_group("ops")));
    moved(s, "a user deleted", &|s| ok(s.delete_user("bee")));
    let g = ok(other.generation());
    ok(s.refresh_ha1("amy", "h4", &password("h4", "other").ha1));
    assert_eq!(ok(other.generation()), g, "adding Digest values moves nothing");
}

fn digest(s: &mut dyn UserStore) {
    let a = DigestAlgorithm::Sha256;
    assert_eq!(ok(s.get_ha1("amy", "r", a)).as_deref(), Some("ha1-h4"));
    assert_eq!(ok(s.get_ha1("amy", "other", a)).as_deref(), Some("ha1-h4"));
    assert_eq!(ok(s.user_by_userhash("uh-h4", "r", a)).as_deref(), Some("amy"));
    assert!(ok(s.get_ha1("amy", "r", DigestAlgorithm::Md5)).is_none());
    assert!(!ok(s.refresh_ha1("amy", "stale", &password("zz", "new").ha1)), "only while the hash is current");
    assert_eq!(ok(s.ha1_algorithms("amy", "r", &[DigestAlgorithm::Md5, a])), [a]);
    ok(s.add_user(&new_user("imp"), &defaults(), Some(&PasswordRecord { hash: "$1$x".into(), ha1: vec![] }), 1));
    assert_eq!(ok(s.users_without_ha1("r", &[a])), 1, "the imported one");
    assert_eq!(ok(s.users_without_ha1("r", &[a, DigestAlgorithm::Md5])), 2);
}

fn second_factor(s: &mut dyn UserStore) {
    let rec = |backend: &str| TotpRecord {
        backend: backend.into(),
        user_name: "amy".into(),
        secret_enc: vec![0, 1, 2, 255],
        confirmed: false,
        last_step: -1,
        created_at: 5,
    };
    assert!(!ok(s.advance_totp_step("local", "amy", 5)), "no enrolment");
    ok(s.put_totp(&rec("local")));
    ok(s.put_totp(&rec("ldap")));
    assert_eq!(ok(s.get_totp("local", "amy")), Some(rec("local")));
    assert!(ok(s.confirm_totp("local", "amy")) && !ok(s.confirm_totp("pam", "amy")));
    assert!(ok(s.advance_totp_step("local", "amy", 5)));
    assert!(!ok(s.advance_totp_step("local", "amy", 5)), "a code counts once");
    assert!(!ok(s.advance_totp_step("local", "amy", 4)));
    assert!(ok(s.advance_totp_step("local", "amy", 6)));
    ok(s.replace_recovery_codes("local", "amy", &["r1".into(), "r2".into()]));
    assert!(ok(s.consume_recovery_code("local", "amy", "r1", 9)));
    assert!(!ok(s.consume_recovery_code("local", "amy", "r1", 9)), "a recovery code counts once");
    assert!(!ok(s.consume_recovery_code("ldap", "amy", "r2", 9)));
    assert_eq!(ok(s.unused_recovery_codes("local", "amy")), 1);
    ok(s.put_totp(&rec("local")));
    assert_eq!(
        (ok(s.get_totp("local", "amy")).unwrap().last_step, ok(s.unused_recovery_codes("local", "amy"))),
        (-1, 0)
    );
    ok(s.replace_recovery_codes("local", "amy", &["r3".into()]));
    ok(s.rename_user("amy", "amelia", 1));
    assert!(ok(s.get_totp("local", "amy")).is_none() && ok(s.unused_recovery_codes("local", "amy")) == 0);
    assert!(ok(s.get_totp("ldap", "amy")).is_some(), "not the LDAP account's");
    assert!(ok(s.delete_totp("ldap", "amy")) && !ok(s.delete_totp("ldap", "amy")));
}

fn events(s: &mut dyn UserStore) {
    let ev = |at: i64, user: &str, outcome: &str| EventRecord {
        id: 0,
        at,
        kind: EventKind::Auth,
        front: "http".into(),
        scheme: "basic".into(),
        user: user.into(),
        outcome: outcome.into(),
        backend: "local".into(),
        client: Some("192.0.2.1".into()),
        service: None,
        method: Some("GET".into()),
        path: Some("/".into()),
        actor_uid: Some(0),
        actor: None,
        detail: None,
    };
    ok(s.add_events(&[
        ev(1, "amy", "accepted"),
        ev(2, "amy", "bad_credentials"),
        ev(3, "bo", "stale"),
        ev(4, "bo", "accepted"),
    ]));
    let all = ok(s.list_events(&EventQuery::default()));
    assert_eq!(all.iter().map(|e| e.at).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(all[0], EventRecord { id: all[0].id, ..ev(1, "amy", "accepted") });
    let q = |outcome: &str| EventQuery { outcome: Some(OutcomeFilter::parse(outcome)), ..EventQuery::default() };
    assert_eq!(ok(s.list_events(&q("ok"))).len(), 2);
    assert_eq!(ok(s.list_events(&q("fail"))).iter().map(|e| e.at).collect::<Vec<_>>(), [2]);
    let amy = EventQuery { user: Some("amy".into()), ..EventQuery::default() };
    assert_eq!(ok(s.list_events(&amy)).len(), 2);
    let newest = EventQuery { limit: Some(2), ..EventQuery::default() };
    assert_eq!(ok(s.list_events(&newest)).iter().map(|e| e.at).collect::<Vec<_>>(), [3, 4]);
    let after = EventQuery { after_id: Some(all[1].id), limit: Some(1), ..EventQuery::default() };
    assert_eq!(ok(s.list_events(&after)).iter().map(|e| e.at).collect::<Vec<_>>(), [3]);
    assert_eq!(ok(s.delete_events_before(3)), 2);
    assert_eq!(ok(s.list_events(&EventQuery { kind: Some(EventKind::Admin), ..EventQuery::default() })).len(), 0);
}

/// OpenID Connect subjects: one name per created identity, local links follow the user.
fn identities(s: &mut dyn UserStore) {
    let id = |provider: &str, subject: &str, backend: &str, name: &str| super::ExternalIdentity {
        provider: provider.into(),
        subject: subject.into(),
        backend: backend.into(),
        user_name: name.into(),
        created_at: 10,
        last_login: None,
    };
    ok(s.add_identity(&id("Example", "sub-1", "oidc", "olga")));
    assert_eq!(ok(s.find_identity("Example", "sub-1")).map(|i| i.user_name), Some("olga".into()));
    assert_eq!(ok(s.find_identity("Example", "sub-2")), None);
    assert!(matches!(s.add_identity(&id("Other", "x", "oidc", "olga")), Err(Error::UserExists(_))));
    ok(s.touch_identity("Example", "sub-1", 99));
    ok(s.add_user(&new_user("ivo"), &defaults(), None, 1));
    ok(s.add_identity(&id("Example", "sub-3", "local", "ivo")));
    ok(s.rename_user("ivo", "ivan", 2));
    assert_eq!(ok(s.find_identity("Example", "sub-3")).map(|i| i.user_name), Some("ivan".into()));
    ok(s.delete_user("ivan"));
    let left = ok(s.list_identities());
    assert_eq!(left.iter().map(|i| (i.subject.as_str(), i.last_login)).collect::<Vec<_>>(), vec![("sub-1", Some(99))]);
}

/// Invitations: one open link per user, used once, closed by expiry.
fn invites(s: &mut dyn UserStore) {
    ok(s.add_user(&new_user("ines"), &defaults(), None, 1));
    ok(s.add_invite("ines", "old-link", false, 10, 100));
    let info = ok(s.add_invite("ines", "link", false, 10, 100));
    assert_eq!((info.user.as_str(), info.reset), ("ines", false));
    assert_eq!(ok(s.find_invite("old-link", 20)), None, "a new link replaces the old");
    assert!(ok(s.find_invite("link", 20)).is_some());
    assert_eq!(ok(s.find_invite("link", 100)), None, "expired");
    assert_eq!(ok(s.list_invites(20)).len(), 1);
    assert!(matches!(s.add_invite("nobody", "x", false, 10, 100), Err(Error::NoSuchUser(_))));
    assert!(!ok(s.redeem_invite("link", "someone", &password("h-ines", "r"), false, 20)), "someone else's");
    assert!(ok(s.redeem_invite("link", "ines", &password("h-ines", "r"), false, 20)));
    assert!(!ok(s.redeem_invite("link", "ines", &password("h-2", "r"), false, 21)), "used once");
    assert_eq!(ok(s.get_user("ines")).and_then(|u| u.password_hash).as_deref(), Some("h-ines"));
    assert_eq!(ok(s.list_invites(22)), vec![]);
}

/// Passkeys: ids unique across the store, names per account, the counter a compare-and-set,
/// a local user's passkeys gone with a rename or deletion, other backends' kept.
fn passkeys(s: &mut dyn UserStore) {
    let pk = |backend: &str, user: &str, id: &[u8], name: &str| PasskeyRecord {
        backend: backend.into(),
        user_name: user.into(),
        credential_id: id.to_vec(),
        public_key: vec![0xa5, 1, 2],
        sign_count: 0,
        name: name.into(),
        created_at: 100,
        last_used: None,
    };
    ok(s.add_user(&new_user("pkuser"), &defaults(), None, 1));
    ok(s.add_passkey(&pk("local", "pkuser", b"id-1", "laptop")));
    ok(s.add_passkey(&pk("local", "pkuser", b"id-2", "phone")));
    ok(s.add_passkey(&pk("corp", "pkuser", b"id-3", "laptop")));
    // The same credential for anyone, or a name taken on the account, is refused.
    assert!(matches!(s.add_passkey(&pk("corp", "other", b"id-1", "x")), Err(Error::Invalid(_))));
    assert!(matches!(s.add_passkey(&pk("local", "pkuser", b"id-9", "phone")), Err(Error::Invalid(_))));
    let names: Vec<String> = ok(s.list_passkeys("local", "pkuser")).into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["laptop", "phone"]);
    assert_eq!(ok(s.find_passkey(b"id-3")).map(|p| (p.backend, p.public_key)), Some(("corp".into(), vec![0xa5, 1, 2])));
    assert_eq!(ok(s.find_passkey(b"nope")), None);
    // The counter moves only from the value read.
    assert!(ok(s.record_passkey_use(b"id-1", 0, 5, 200)));
    assert!(!ok(s.record_passkey_use(b"id-1", 0, 6, 201)));
    let p = ok(s.find_passkey(b"id-1")).unwrap();
    assert_eq!((p.sign_count, p.last_used), (5, Some(200)));
    assert!(ok(s.delete_passkey("local", "pkuser", "phone")));
    assert!(!ok(s.delete_passkey("local", "pkuser", "phone")));
    // A rename or deletion of the local user takes its passkeys; the LDAP namesake keeps its own.
    ok(s.rename_user("pkuser", "pkuser2", 2));
    assert_eq!(ok(s.list_passkeys("local", "pkuser")), vec![]);
    assert_eq!(ok(s.find_passkey(b"id-1")), None);
    ok(s.add_passkey(&pk("local", "pkuser2", b"id-4", "key")));
    ok(s.delete_user("pkuser2"));
    assert_eq!(ok(s.find_passkey(b"id-4")), None);
    assert_eq!(ok(s.list_passkeys("corp", "pkuser")).len(), 1);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sqlite_store_keeps_every_promise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let open = || -> Box<dyn super::UserStore> {
            Box::new(super::super::SqliteStore::open(&path, std::time::Duration::from_secs(5)).unwrap())
        };
        super::run(&open);
    }
}
