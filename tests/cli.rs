//! The `wicket` admin CLI, as a new user would try it.

use crate::support::{Env, bin, have, run, stderr};
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use wicket_core::auth::BackendAnswer;
use wicket_core::clock::SystemClock;
use wicket_core::config::Config;
use wicket_core::local::{LocalBackend, PasswordPolicy};
use wicket_core::secret::Secret;

#[test]
fn add_and_check_a_user() {
    let env = Env::new();
    env.add_user("alice", "s3cret-Plaintext");
    assert!(env.check("alice", "s3cret-Plaintext"));
    assert!(!env.check("alice", "wrong"));
    assert!(!env.check("bob", "s3cret-Plaintext"));
    let out = env.wicket(&["check", "alice", "--password-stdin"], "s3cret-Plaintext\n");
    assert!(String::from_utf8_lossy(&out.stdout).contains("backend local"));
    assert!(!env.store_holds("s3cret-Plaintext"));
    let hash = env.stored_hash("alice");
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(!hash.contains("s3cret-Plaintext"));
    assert!(env.store_holds(&hash), "the search for the password looks where the hash is");
}

/// The SQLite file the first command makes is private (0600). SQLite only: a PostgreSQL
/// database has no file of ours (tests/sqlite-only.txt).
#[test]
fn the_sqlite_file_is_made_private() {
    let env = Env::new();
    env.add_user("alice", "s3cret-Plaintext");
    let mode = std::fs::metadata(&env.db).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    assert_eq!(mode, 0o600, "the database must be private");
}

#[test]
fn show_and_list_as_json_never_reveal_hashes() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1");
    env.ok(&["group", "add", "admins"], "");
    env.ok(&["group", "add-member", "admins", "alice"], "");
    let show = env.ok(&["user", "show", "alice", "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&show).unwrap_or_default();
    assert_eq!(v["name"], "alice");
    assert_eq!(v["uid"], 200_000);
    assert_eq!(v["groups"][0], "admins");
    assert_eq!(v["password_scheme"], "argon2id");
    assert!(!show.contains("$argon2"));
    let list = env.ok(&["user", "list", "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&list).unwrap_or_default();
    assert_eq!(v.as_array().map(Vec::len), Some(1));
    let groups = env.ok(&["group", "list", "--json"], "");
    assert!(groups.contains("\"alice\""));
    assert!(env.ok(&["user", "list"], "").contains("alice"));
}

#[test]
fn htpasswd_imports_verify_and_upgrade() {
    if !have("htpasswd") {
        panic!("htpasswd (apache2-utils) is required; .ci/run installs it");
    }
    let env = Env::new();
    let file = env.dir.path().join("htpasswd");
    let ht = |flag: &str, user: &str, pw: &str| {
        let args = if flag.is_empty() { vec!["-nb", user, pw] } else { vec!["-nb", flag, user, pw] };
        let out = run(std::path::Path::new("htpasswd"), &args, "");
        assert!(out.status.success(), "htpasswd {flag}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let mut lines = vec![
        ht("-B", "bcrypt", "pw-bcrypt"),
        ht("-m", "apr", "pw-apr1"),
        ht("-2", "shatwo", "pw-sha256"),
        ht("-5", "shafive", "pw-sha512"),
        ht("-s", "shaone", "pw-sha1"),
        ht("-d", "descrypt", "pw-des"),
    ];
    lines.push("not a valid line".into());
    lines.push("# comment".into());
    std::fs::write(&file, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    let out = env.wicket(&["import", "htpasswd", file.to_str().unwrap_or_default()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "imported 5, skipped 2");
    let err = stderr(&out);
    assert!(err.contains(":6:") && err.contains("descrypt"), "{err}");
    assert!(err.contains(":7:"), "{err}");
    for (user, pw, scheme) in [
        ("bcrypt", "pw-bcrypt", "bcrypt"),
        ("apr", "pw-apr1", "apr1"),
        ("shatwo", "pw-sha256", "sha256-crypt"),
        ("shafive", "pw-sha512", "sha512-crypt"),
        ("shaone", "pw-sha1", "sha1"),
    ] {
        let show = || -> String {
            let v: serde_json::Value =
                serde_json::from_str(&env.ok(&["user", "show", user, "--json"], "")).unwrap_or_default();
            v["password_scheme"].as_str().unwrap_or_default().to_string()
        };
        assert_eq!(show(), scheme);
        assert!(!env.check(user, "wrong"), "{user} accepted a wrong password");
        assert_eq!(show(), scheme, "a failed check must not upgrade");
        assert!(env.check(user, pw), "{user} did not verify");
        assert_eq!(show(), "argon2id", "{user} was not upgraded");
        assert!(env.check(user, pw), "{user} did not verify after the upgrade");
    }
    // Importing again skips everyone, changes nothing, and says so.
    let before = env.stored_bytes();
    let again = env.wicket(&["import", "htpasswd", file.to_str().unwrap_or_default()], "");
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), "imported 0, skipped 7");
    assert!(!again.status.success());
    assert!(env.stored_bytes() == before, "importing again changed the store");
}

/// #15: a crafted htpasswd line whose argon2 hash asks for 182 GiB (or sha-crypt rounds that
/// would take minutes) is refused on import with its line number and without the hash; the
/// good lines still land, and a later check cannot take the process down.
#[test]
fn htpasswd_lines_over_the_cost_caps_are_refused() {
    let env = Env::new();
    let file = env.dir.path().join("htpasswd");
    let argon_salt = "c2FsdHNhbHRzYWx0";
    let sha_salt = "R9JRchT.jf6/9sbR";
    let lines = [
        "shaone:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=".to_string(),
        format!("huge:$argon2id$v=19$m=191000000,t=2,p=1${argon_salt}$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"),
        format!(
            "slow:$6$rounds=999999999${sha_salt}$vX/0JoR.XYvuiUABWBP8D9RWc7zcZIIZ0muBEmQHJh5LrbjCjfEqg3HBo8IsLolq7k3./h17UbsGSACmBNu2Z/"
        ),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    let out = env.wicket(&["import", "htpasswd", file.to_str().unwrap_or_default()], "");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "imported 1, skipped 2");
    assert!(err.contains(":2: user `huge`: password hash refused: argon2 memory cost above"), "{err}");
    assert!(err.contains(":3: user `slow`: password hash refused: sha-crypt rounds above"), "{err}");
    assert!(!err.contains(argon_salt) && !err.contains(sha_salt) && !err.contains("191000000"), "{err}");
    assert!(env.check("shaone", "pw"));
    for user in ["huge", "slow"] {
        let out = env.wicket(&["check", user, "--password-stdin"], "pw\n");
        assert_eq!(out.status.code(), Some(1), "{user}: {}", stderr(&out));
    }
}

fn backend(env: &Env) -> LocalBackend {
    let cfg = Config { store: env.store_config(), ..Config::default() };
    let policy = Arc::new(PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}")));
    LocalBackend::new(&cfg, policy, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn tokens_are_shown_once_stored_hashed_and_revocable() {
    let env = Env::new();
    env.add_user("alice", "pw-Secret-1");
    let out = env.wicket(&["token", "create", "alice", "--name", "ci", "--expires", "30d", "--scope", "read"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.starts_with("wkt_") && token.len() == 32, "{token}");
    assert!(!env.store_holds(&token));
    assert!(env.store_holds(&wicket_core::token::hash(token.as_bytes())), "stored as its hash");
    let list = env.ok(&["token", "list", "--json"], "");
    assert!(!list.contains(&token) && list.contains("\"ci\"") && list.contains("\"read\""), "{list}");
    let b = backend(&env);
    let ok = b.verify_token(&Secret::from(token.as_str())).0;
    assert!(
        matches!(&ok, BackendAnswer::Accepted(id) if id.name == "alice" && id.scopes == Some(vec!["read".into()])),
        "{ok:?}"
    );
    // A typo fails the checksum; nothing is looked up.
    let mut typo = token.clone().into_bytes();
    typo[8] = if typo[8] == b'x' { b'y' } else { b'x' };
    assert!(matches!(b.verify_token(&Secret::new(typo)).0, BackendAnswer::Rejected(_)));
    env.ok(&["token", "revoke", "alice", "ci"], "");
    assert!(matches!(b.verify_token(&Secret::from(token.as_str())).0, BackendAnswer::Rejected(_)));
    assert!(env.ok(&["token", "list"], "").contains("revoked"));
    // Locked owners' tokens stop working too.
    let out = env.ok(&["token", "create", "alice", "--name", "ci2"], "");
    let t2 = Secret::from(out.trim());
    assert!(matches!(b.verify_token(&t2).0, BackendAnswer::Accepted(_)));
    env.ok(&["user", "lock", "alice"], "");
    assert!(matches!(b.verify_token(&t2).0, BackendAnswer::Rejected(_)));
}

#[test]
fn locked_and_expired_users_never_verify() {
    let env = Env::new();
    env.add_user("alice", "pw-Secret-1");
    env.ok(&["user", "lock", "alice"], "");
    assert!(!env.check("alice", "pw-Secret-1"));
    env.ok(&["user", "unlock", "alice"], "");
    assert!(env.check("alice", "pw-Secret-1"));
    env.ok(&["user", "expire", "alice", "now"], "");
    assert!(!env.check("alice", "pw-Secret-1"));
    assert!(env.ok(&["user", "show", "alice"], "").contains("expired"));
    env.ok(&["user", "expire", "alice", "never"], "");
    assert!(env.check("alice", "pw-Secret-1"));
    env.ok(&["user", "add", "bob", "--password-stdin", "--expires", "2001-01-01"], "pw-Secret-1\n");
    assert!(!env.check("bob", "pw-Secret-1"));
    env.ok(&["user", "passwd", "alice", "--password-stdin"], "pw-Renewed-2\n");
    assert!(!env.check("alice", "pw-Secret-1"));
    assert!(env.check("alice", "pw-Renewed-2"));
}

#[test]
fn bad_input_is_one_clear_line_and_changes_nothing() {
    let env = Env::new();
    env.add_user("alice", "pw-Secret-1");
    env.ok(&["group", "add", "staff"], "");
    let cfg_unknown = env.dir.path().join("bad.toml");
    std::fs::write(&cfg_unknown, "[server]\nrealm = \"x\"\nbogus_key = 1\n").unwrap_or_else(|e| panic!("{e}"));
    let before = env.stored_bytes();
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["user", "add", "alice", "--password-stdin"], "pw-Secret-1\n", "already exists"),
        (vec!["user", "add", "Bad Name", "--password-stdin"], "pw-Secret-1\n", "invalid name"),
        (vec!["user", "add", "carol", "--password-stdin"], "\n", "empty password"),
        (vec!["user", "add", "carol", "--password-stdin", "--expires", "someday"], "pw-Secret-1\n", "invalid time"),
        (vec!["user", "add", "carol", "--password-stdin", "--uid", "0"], "pw-Secret-1\n", "belong to the system"),
        (vec!["group", "add", "wheel2", "--gid", "10"], "", "belong to the system"),
        (vec!["user", "passwd", "nobody", "--password-stdin"], "pw-Secret-1\n", "no such user"),
        (vec!["user", "del", "nobody"], "", "no such user"),
        (vec!["user", "lock", "nobody"], "", "no such user"),
        (vec!["group", "add-member", "nogroup", "alice"], "", "no such group"),
        (vec!["group", "add-member", "staff", "nobody"], "", "no such user"),
        (vec!["group", "add", "staff"], "", "already exists"),
        (vec!["group", "del", "nogroup"], "", "no such group"),
        (vec!["token", "create", "nobody", "--name", "x"], "", "no such user"),
        (vec!["token", "revoke", "alice", "nope"], "", "no token named"),
        (vec!["--config", "/nonexistent/wicket.toml", "user", "list"], "", "no such file"),
        (vec!["--config", cfg_unknown.to_str().unwrap_or_default(), "user", "list"], "", "bogus_key"),
    ];
    for (args, stdin, expect) in cases {
        let out = env.wicket(&args, stdin);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: expected `{expect}` in {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: more than one line: {err}");
        assert!(env.stored_bytes() == before, "{args:?} changed the database");
    }
    // A change that is made shows (the comparison above sees the store).
    env.ok(&["group", "add", "staff2"], "");
    assert!(env.stored_bytes() != before, "a group added did not change what the store holds");
    // Usage errors exit 2.
    assert_eq!(env.wicket(&["user", "frobnicate"], "").status.code(), Some(2));
    // Passwords are never taken from argv.
    assert_eq!(env.wicket(&["user", "add", "dave", "--password", "pw"], "").status.code(), Some(2));
}

#[test]
fn reading_a_missing_database_does_not_create_it() {
    let env = Env::new();
    for args in [&["user", "list"][..], &["group", "list"], &["token", "list"], &["user", "show", "x"]] {
        let out = env.wicket(args, "");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains("no database at"), "{}", stderr(&out));
    }
    assert!(!env.db.exists());
}

#[test]
fn corrupt_and_unreadable_databases_are_refused() {
    let env = Env::new();
    std::fs::write(&env.db, vec![7u8; 4096]).unwrap_or_else(|e| panic!("{e}"));
    let out = env.wicket(&["user", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not a database"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&env.db).unwrap_or_default(), vec![7u8; 4096]);
    let dir = Env::new();
    let out = run(&bin("wicket"), &["--db", "/proc/self/nope/x.db", "user", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).trim().lines().count(), 1);
    drop(dir);
}

/// The PostgreSQL side of the two tests above, on either store: a store that broke under
/// `wicket` (garbage over the file, the database closed) and a server that is not there are
/// each one line and exit 1; a URL's password is never shown.
#[test]
fn a_broken_or_unreachable_store_is_one_clear_line() {
    let env = Env::new();
    env.add_user("alice", "pw-Secret-1");
    env.break_store();
    for args in [&["user", "list"][..], &["user", "add", "bob", "--no-password"], &["token", "list"]] {
        let out = env.wicket(args, "");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
    let url = "postgresql://wicket:hunter2-Secret@127.0.0.1:1/nowhere";
    for args in [&["user", "list"][..], &["user", "add", "bob", "--no-password"]] {
        let mut full = vec!["--db", url];
        full.extend_from_slice(args);
        let out = run(&bin("wicket"), &full, "");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{full:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{full:?}: {err}");
        assert!(err.contains("127.0.0.1") && !err.contains("hunter2"), "{err}");
    }
}

/// #13: `--db` at a directory or at a file that is not SQLite: one plain line naming the
/// path, not SQLite's error three times.
#[test]
fn a_db_path_that_is_not_a_database_is_one_clear_line() {
    let env = Env::new();
    let junk = env.dir.path().join("notes.txt");
    std::fs::write(&junk, "shopping list: eggs, milk, and a great deal more text than a header\n".repeat(20))
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = env.dir.path().to_str().unwrap_or_default().to_string();
    let junk = junk.to_str().unwrap_or_default().to_string();
    for (path, why) in [(&dir, "is a directory"), (&junk, "file is not a database")] {
        for args in [&["user", "list"][..], &["user", "add", "carol", "--no-password"]] {
            let mut full = vec!["--db", path.as_str()];
            full.extend_from_slice(args);
            let out = run(&bin("wicket"), &full, "");
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{full:?}: {err}");
            assert_eq!(err.trim().lines().count(), 1, "{full:?}: {err}");
            assert_eq!(err.trim(), format!("wicket: {path}: not a Wicket database ({why})"), "{full:?}");
            assert_eq!(err.matches("not a database").count(), usize::from(why.contains("not a database")), "{err}");
        }
    }
    assert!(std::fs::read_to_string(&junk).unwrap_or_default().starts_with("shopping list"));
}

#[test]
fn parallel_adds_do_not_corrupt_the_store() {
    let env = Env::new();
    env.ok(&["group", "add", "seed"], "");
    let children: Vec<_> = (0..8)
        .map(|i| {
            let store = env.store_arg();
            std::thread::spawn(move || {
                let name = format!("user{i}");
                run(&bin("wicket"), &["--db", &store, "user", "add", &name, "--password-stdin"], "pw-Secret-1\n")
            })
        })
        .collect();
    let mut added = 0;
    for c in children {
        let out = c.join().unwrap_or_else(|_| panic!("thread panicked"));
        if out.status.success() {
            added += 1;
        } else {
            assert!(stderr(&out).contains("busy"), "{}", stderr(&out));
        }
    }
    let list: serde_json::Value = serde_json::from_str(&env.ok(&["user", "list", "--json"], "")).unwrap_or_default();
    assert_eq!(list.as_array().map(Vec::len), Some(added));
    assert_eq!(added, 8, "busy timeout should absorb 8 writers");
    let mut uids: Vec<u64> = list.as_array().into_iter().flatten().filter_map(|u| u["uid"].as_u64()).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), 8, "uids must be unique");
    assert!(!uids.contains(&200_000), "the group's gid is not reused as a uid");
    assert_eq!(env.open_store().integrity_check().ok().as_deref(), Some("ok"));
}
