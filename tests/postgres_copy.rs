//! `wicket store copy`: an SQLite store with a row in every table goes into PostgreSQL and
//! back into a new SQLite file without losing or changing anything; a target that already
//! holds data is refused; ids continue after the copied ones.

use crate::support::postgres::Postgres;
use crate::support::{Env, bin, require, run, stderr};
use std::path::Path;
use std::time::Duration;
use wicket_core::config::StoreUrl;
use wicket_core::store::SqliteStore;
use wicket_core::store::dump::{StoreDump, TABLES};
use wicket_core::store::postgres::PgStore;

fn copy(from: &str, to: &str) -> std::process::Output {
    run(&bin("wicket"), &["store", "copy", from, to], "")
}

fn sqlite_dump(path: &Path) -> StoreDump {
    let mut s = SqliteStore::open(path, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    s.dump().unwrap_or_else(|e| panic!("{e}"))
}

/// A store with rows in every table: through the CLI where it has a command, the rest in SQL.
fn fill(env: &Env) {
    env.add_user("alice", "correct horse battery");
    env.add_user("bob", "another good password");
    env.ok(&["user", "lock", "bob"], "");
    env.ok(&["group", "add", "ops"], "");
    env.ok(&["group", "add-member", "ops", "alice"], "");
    env.ok(&["token", "create", "alice", "--name", "ci", "--scope", "deploy"], "");
    env.ok(&["token", "create", "alice", "--name", "old"], "");
    env.ok(&["token", "revoke", "alice", "old"], "");
    let sql = rusqlite::Connection::open(&env.db).unwrap_or_else(|e| panic!("{e}"));
    sql.execute_batch(
        "INSERT INTO external_members (backend, user_name, group_id) SELECT 'ldap', 'carol', id FROM groups;
         INSERT INTO sessions (id_hash, user_name, backend, uid, gid, display_name, email, groups, created_at,
                               last_seen, expires_at, remember_me, factors)
             VALUES ('h1', 'alice', 'local', 1000, 1000, 'Alice', 'a@example.org', 'ops', 10, 20, 30, 1, 2),
                    ('h2', 'carol', 'ldap', NULL, NULL, NULL, NULL, '', 11, 21, 31, 0, 1);
         INSERT INTO totp (backend, user_name, secret_enc, confirmed, last_step, created_at)
             VALUES ('local', 'alice', X'00ff10203040', 1, 12345, 40);
         INSERT INTO recovery_codes (backend, user_name, code_hash, used_at)
             VALUES ('local', 'alice', 'c1', NULL), ('local', 'alice', 'c2', 50);
         INSERT INTO external_identities (provider, subject, backend, user_name, created_at, last_login)
             VALUES ('idp', 'sub-1', 'local', 'alice', 60, 70), ('idp', 'sub-2', 'oidc', 'dave', 61, NULL);
         INSERT INTO invites (user_id, hash, reset, created_at, expires_at, used_at)
             SELECT id, 'inv', 1, 80, 90, NULL FROM users WHERE name = 'bob';
         INSERT INTO passkeys (credential_id, backend, user_name, public_key, sign_count, name, created_at, last_used)
             VALUES (X'0102', 'local', 'alice', X'a50102', 7, 'laptop', 100, 110),
                    (X'0304', 'ldap', 'carol', X'a50103', 0, 'key', 101, NULL);",
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn store_copy_sqlite_to_postgres_and_back_keeps_every_row() {
    let Some(pg) =
        require(Postgres::installed(), "PostgreSQL 15 (Debian's postgresql) is not installed").then(Postgres::start)
    else {
        return;
    };
    let url = pg.create_db("copy");
    let env = Env::new();
    fill(&env);
    let before = sqlite_dump(&env.db);
    for (table, rows) in &before.tables {
        assert!(!rows.is_empty(), "the test fills every table: {table} is empty");
    }
    assert_eq!(before.tables.len(), TABLES.len());

    let db = env.db.to_str().unwrap_or_default();
    let out = copy(db, &url);
    assert!(out.status.success(), "copy into PostgreSQL: {}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["tokens", "2"]), "{printed}");
    let store_url = StoreUrl::parse(&url).unwrap_or_else(|e| panic!("{e}"));
    let pg_store = PgStore::open(&store_url, None, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pg_store.dump().unwrap_or_else(|e| panic!("{e}")), before, "PostgreSQL holds what SQLite held");

    // Into a store with data: refused, nothing written.
    let again = copy(db, &url);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));

    let back = env.dir.path().join("back.db");
    let back_s = back.to_str().unwrap_or_default();
    let out = copy(&url, back_s);
    assert!(out.status.success(), "copy back: {}", stderr(&out));
    assert_eq!(sqlite_dump(&back), before, "the round trip changed nothing");

    // Same store twice, and a missing source: clear refusals, no file made.
    let missing = env.dir.path().join("missing.db");
    let out = copy(missing.to_str().unwrap_or_default(), back_s);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no database"), "{}", stderr(&out));
    assert!(!missing.exists());

    // New rows in PostgreSQL get ids after the copied ones.
    let cfg = env.dir.path().join("pg.toml");
    std::fs::write(&cfg, format!("[store]\nurl = \"{url}\"\n")).unwrap_or_else(|e| panic!("{e}"));
    let cfg = cfg.to_str().unwrap_or_default();
    for args in [
        &["user", "add", "erin", "--no-password"][..],
        &["group", "add", "dev"],
        &["token", "create", "erin", "--name", "t"],
    ] {
        let mut full = vec!["--config", cfg];
        full.extend_from_slice(args);
        let out = run(&bin("wicket"), &full, "");
        assert!(out.status.success(), "{args:?} after the copy: {}", stderr(&out));
    }
}
