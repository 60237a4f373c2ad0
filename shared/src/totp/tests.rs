//! The service against a real SQLite store: enrolment, confirmation, replay, recovery
//! codes, reset, the store's triggers, and what a copied database reveals.

use super::*;
use crate::clock::ManualClock;
use crate::store::{NewUser, Store};
use std::path::PathBuf;

const T0: i64 = 1_800_000_000;

struct Fx {
    dir: tempfile::TempDir,
    cfg: Config,
    clock: ManualClock,
}

impl Fx {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let text = format!(
            "[server]\nrealm = \"ACME Co\"\n[store]\npath = \"{}\"\n[totp]\nkey_file = \"{}\"\n",
            dir.path().join("w.db").display(),
            dir.path().join("totp.key").display()
        );
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        Self { dir, cfg, clock: ManualClock::new(T0) }
    }
    fn store(&self) -> Store {
        Store::open(&self.cfg.store.path, self.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"))
    }
    fn code(secret: &[u8], t: i64) -> String {
        otp::totp_at_step(secret, otp::time_step(t, otp::PERIOD), otp::DIGITS)
    }
}

fn ok<T>(r: Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Enrols `user` of `backend` and confirms with the current code; the raw secret.
fn enrolled(fx: &Fx, store: &mut Store, user: &str, backend: &str) -> Vec<u8> {
    let mut sf = SecondFactor::new(store, &fx.cfg, &fx.clock);
    let e = ok(sf.enroll(user, backend));
    let secret =
        ok(data_encoding::BASE32_NOPAD.decode(e.secret_b32.as_bytes()).map_err(|e| Error::Invalid(e.to_string())));
    assert_eq!(ok(sf.confirm(user, backend, &Fx::code(&secret, T0))), Verified::Code);
    secret
}

#[test]
fn an_enrolment_counts_only_once_confirmed() {
    let fx = Fx::new();
    let mut store = fx.store();
    let mut sf = SecondFactor::new(&mut store, &fx.cfg, &fx.clock);
    let e = ok(sf.enroll("alice", "local"));
    assert_eq!(format!("{e:?}"), "Enrollment(***)");
    assert_eq!(e.secret_b32.len(), 32, "20 bytes in base32");
    assert!(e.uri.starts_with("otpauth://totp/ACME%20Co:alice?secret="), "{}", e.uri.as_str());
    assert!(e.uri.ends_with("&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"));
    assert!(e.uri.contains(e.secret_b32.as_str()));
    assert!(!ok(sf.is_enrolled("alice", "local")));
    let secret =
        ok(data_encoding::BASE32_NOPAD.decode(e.secret_b32.as_bytes()).map_err(|e| Error::Invalid(e.to_string())));
    let code = Fx::code(&secret, T0);
    assert_eq!(ok(sf.verify("alice", "local", &code)), Verified::NotEnrolled, "unconfirmed");
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(ok(sf.confirm("alice", "local", wrong)), Verified::Wrong);
    assert!(!ok(sf.is_enrolled("alice", "local")));
    assert_eq!(ok(sf.confirm("alice", "local", &code)), Verified::Code);
    assert!(ok(sf.is_enrolled("alice", "local")));
    assert_eq!(ok(sf.confirm("nobody", "local", &code)), Verified::NotEnrolled);
    let meta = ok(std::fs::metadata(&fx.cfg.totp.key_file).map_err(|e| Error::Invalid(e.to_string())));
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777, 0o640);
}

#[test]
fn each_code_is_accepted_once_across_the_window() {
    let fx = Fx::new();
    let mut store = fx.store();
    let secret = enrolled(&fx, &mut store, "bob", "ldap");
    let mut sf = SecondFactor::new(&mut store, &fx.cfg, &fx.clock);
    // The confirming code (step of T0) is used up.
    assert_eq!(ok(sf.verify("bob", "ldap", &Fx::code(&secret, T0))), Verified::Reused);
    fx.clock.advance(30);
    let next = Fx::code(&secret, T0 + 30);
    assert_eq!(ok(sf.verify("bob", "ldap", &format!("{} {}", &next[..3], &next[3..]))), Verified::Code);
    assert_eq!(ok(sf.verify("bob", "ldap", &next)), Verified::Reused);
    // A later step used (clock drift of the phone) makes the earlier steps of the window
    // refused too, though they are within it.
    let ahead = Fx::code(&secret, T0 + 60);
    assert_eq!(ok(sf.verify("bob", "ldap", &ahead)), Verified::Code);
    fx.clock.advance(30);
    assert_eq!(ok(sf.verify("bob", "ldap", &Fx::code(&secret, T0 + 30))), Verified::Reused);
    assert_eq!(ok(sf.verify("bob", "ldap", &Fx::code(&secret, T0 + 90))), Verified::Code);
    // Another backend's account of the same name is another enrolment.
    assert_eq!(ok(sf.verify("bob", "local", &Fx::code(&secret, T0 + 90))), Verified::NotEnrolled);
}

#[test]
fn two_connections_racing_with_one_code_accept_it_once() {
    let fx = Fx::new();
    let secret = enrolled(&fx, &mut fx.store(), "carol", "local");
    fx.clock.advance(30);
    let code = Fx::code(&secret, T0 + 30);
    let barrier = std::sync::Barrier::new(2);
    let answers: Vec<Verified> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut store = fx.store();
                    let mut sf = SecondFactor::new(&mut store, &fx.cfg, &fx.clock);
                    barrier.wait();
                    ok(sf.verify("carol", "local", &code))
                })
            })
            .collect();
        runs.into_iter().map(|h| h.join().unwrap_or_else(|_| panic!("thread"))).collect()
    });
    assert_eq!(answers.iter().filter(|v| **v == Verified::Code).count(), 1, "{answers:?}");
    assert_eq!(answers.iter().filter(|v| **v == Verified::Reused).count(), 1, "{answers:?}");
}

#[test]
fn recovery_codes_work_once_and_regenerating_replaces_them() {
    let fx = Fx::new();
    let mut store = fx.store();
    let none = SecondFactor::new(&mut store, &fx.cfg, &fx.clock).recovery_codes("dave", "local");
    assert!(none.is_err(), "no enrolment, no codes");
    enrolled(&fx, &mut store, "dave", "local");
    let mut sf = SecondFactor::new(&mut store, &fx.cfg, &fx.clock);
    let codes = ok(sf.recovery_codes("dave", "local"));
    assert_eq!(codes.len(), 10);
    assert_eq!(ok(sf.recovery_codes_left("dave", "local")), 10);
    assert_eq!(ok(sf.verify("dave", "local", &codes[0])), Verified::RecoveryCode { remaining: 9 });
    assert_eq!(ok(sf.verify("dave", "local", &codes[0])), Verified::Wrong, "used up");
    assert_eq!(ok(sf.verify("dave", "local", &codes[1].to_uppercase())), Verified::RecoveryCode { remaining: 8 });
    assert_eq!(ok(sf.verify("eve", "local", &codes[2])), Verified::NotEnrolled, "not another user's");
    let fresh = ok(sf.recovery_codes("dave", "local"));
    assert_eq!(ok(sf.verify("dave", "local", &codes[2])), Verified::Wrong, "replaced");
    assert_eq!(ok(sf.verify("dave", "local", &fresh[9])), Verified::RecoveryCode { remaining: 9 });
    assert_eq!(ok(sf.verify("dave", "local", "not-a-code")), Verified::Wrong);
}

#[test]
fn reset_and_deleting_the_local_user_remove_everything() {
    let fx = Fx::new();
    let mut store = fx.store();
    for name in ["frank", "grace"] {
        let new = NewUser { name: name.into(), ..NewUser::default() };
        ok(store.add_user(&new, &fx.cfg.users, None, T0));
    }
    for (user, backend) in [("frank", "local"), ("grace", "local"), ("frank", "ldap"), ("heidi", "local")] {
        enrolled(&fx, &mut store, user, backend);
        ok(SecondFactor::new(&mut store, &fx.cfg, &fx.clock).recovery_codes(user, backend));
    }
    ok(store.delete_user("frank"));
    let mut sf = SecondFactor::new(&mut store, &fx.cfg, &fx.clock);
    assert!(!ok(sf.is_enrolled("frank", "local")), "deleted user");
    assert!(ok(sf.is_enrolled("grace", "local")), "another local user keeps hers");
    assert_eq!(ok(sf.recovery_codes_left("frank", "local")), 0);
    assert_eq!(ok(sf.recovery_codes_left("grace", "local")), 10);
    assert!(ok(sf.is_enrolled("frank", "ldap")), "the LDAP account of that name is another's");
    assert!(ok(sf.reset("heidi", "local")));
    assert!(!ok(sf.is_enrolled("heidi", "local")));
    assert_eq!(ok(sf.recovery_codes_left("heidi", "local")), 0);
    assert!(!ok(sf.reset("heidi", "local")));
}

#[test]
fn a_copied_database_without_the_key_file_reveals_no_secret() {
    let fx = Fx::new();
    let mut store = fx.store();
    let secret = enrolled(&fx, &mut store, "ivan", "local");
    let b32 = otp::base32(&secret);
    let sealed = ok(store.get_totp("local", "ivan")).map(|r| r.secret_enc).unwrap_or_default();
    drop(store);
    // The database as a thief would copy it: the file and its WAL.
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = fx.cfg.store.path.clone().into_os_string();
        p.push(suffix);
        bytes.extend(std::fs::read(PathBuf::from(p)).unwrap_or_default());
    }
    assert!(bytes.len() > 4096, "the copy holds the database");
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(contains(&sealed), "the sealed form is what is stored");
    assert!(!contains(&secret), "raw secret in the database");
    assert!(!contains(b32.as_bytes()), "base32 secret in the database");
    assert!(!contains(b32.to_lowercase().as_bytes()), "base32 secret in the database");
    // Without the key file, another key opens nothing.
    let other = TotpKey::from_bytes([0x42; key::KEY_LEN]);
    assert!(other.open("local", "ivan", &sealed).is_err());
    // And with the key file, a sealed secret moved to another user's row does not open.
    let mut store = fx.store();
    let moved = TotpRecord {
        backend: "local".into(),
        user_name: "judy".into(),
        secret_enc: sealed,
        confirmed: true,
        last_step: -1,
        created_at: T0,
    };
    ok(store.put_totp(&moved));
    let mut sf = SecondFactor::new(&mut store, &fx.cfg, &fx.clock);
    assert!(sf.verify("judy", "local", &Fx::code(&secret, T0 + 30)).is_err());
    assert!(fx.dir.path().join("totp.key").exists());
}
