//! The PostgreSQL store against a real server (a throwaway cluster per test): the store's
//! conformance suite, the CLI and wicketd with `[store] url`, and wicketd's answer while the
//! database is down and after it is back.

use crate::support::postgres::Postgres;
use crate::support::servers::{STARTUP, Wicketd, curl};
use crate::support::{Env, bin, require, run, wait_until};
use std::time::Duration;
use wicket_core::config::StoreUrl;
use wicket_core::store::postgres::PgStore;
use wicket_core::store::{UserStore, conformance};

fn cluster() -> Option<Postgres> {
    require(Postgres::installed(), "PostgreSQL 15 (Debian's postgresql) is not installed").then(Postgres::start)
}

#[test]
fn the_postgres_store_keeps_every_promise() {
    let Some(pg) = cluster() else { return };
    let url = StoreUrl::parse(&pg.create_db("conformance")).unwrap_or_else(|e| panic!("{e}"));
    let open = || -> Box<dyn UserStore> {
        Box::new(PgStore::open(&url, None, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}")))
    };
    conformance::run(&open);
    // Opening again finds the schema in place (the migrations ran once).
    assert_eq!(open().integrity_check().unwrap_or_else(|e| panic!("{e}")), "ok");
}

/// wicketd opens connections as requests need them, on its async worker threads: the
/// PostgreSQL client starts a runtime of its own to connect, which panics on such a thread
/// (the request failed) unless the store moves off it first.
#[test]
fn the_store_opens_on_an_async_worker_thread() {
    let Some(pg) = cluster() else { return };
    let url = StoreUrl::parse(&pg.create_db("worker")).unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap_or_else(|e| panic!("a runtime: {e}"));
    let opened = rt.block_on(async move {
        tokio::spawn(async move {
            let store = PgStore::open(&url, None, Duration::from_secs(5)).map_err(|e| e.to_string())?;
            store.generation().map_err(|e| e.to_string())
        })
        .await
    });
    assert!(matches!(opened, Ok(Ok(_))), "{opened:?}");
}

/// `wicket --config CFG ARGS` (no `--db`: the config's `[store] url` decides); asserts success.
fn wicket(cfg: &str, args: &[&str], stdin: &str) -> String {
    let mut full = vec!["--config", cfg];
    full.extend_from_slice(args);
    let out = run(&bin("wicket"), &full, stdin);
    assert!(out.status.success(), "wicket {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn wicketd_and_the_cli_on_postgres_and_503_while_it_is_down() {
    let Some(pg) = cluster() else { return };
    pg.create_db("wicket");
    let env = Env::new();
    let text = Wicketd::config_text(&env, "", "")
        .replace(&format!("path = \"{}\"", env.db.display()), &format!("url = \"{}\"", pg.socket_url("wicket")));
    assert!(text.contains("url = \"postgresql://"), "{text}");
    let config = env.dir.path().join("wicketd.toml");
    std::fs::write(&config, &text).unwrap_or_else(|e| panic!("{e}"));
    let cfg = config.to_str().unwrap_or_default();
    wicket(cfg, &["user", "add", "alice", "--password-stdin"], "correct horse battery\n");
    wicket(cfg, &["user", "add", "bob", "--password-stdin"], "another good password\n");
    let out = wicket(cfg, &["token", "add", "alice", "--name", "ci"], "");
    let token = out.split_whitespace().find(|w| w.starts_with("wkt_")).unwrap_or_else(|| panic!("no token in {out}"));
    assert!(!env.db.exists(), "nothing went to the SQLite file");
    assert!(wicket(cfg, &["user", "list"], "").contains("bob"));

    let wicketd = Wicketd::spawn(&env, config.clone(), &[]);
    let auth = wicketd.url("/auth");
    let basic = |user: &str, pw: &str| curl(&["-u", &format!("{user}:{pw}"), &auth]).status;
    let bearer = |t: &str| curl(&["-H", &format!("Authorization: Bearer {t}"), &auth]).status;
    assert_eq!(basic("alice", "correct horse battery"), 200, "{}", wicketd.log());
    assert_eq!(basic("alice", "wrong password here"), 401);
    assert_eq!(bearer(token), 200, "{}", wicketd.log());
    // A lock through the CLI holds on the next request.
    wicket(cfg, &["user", "lock", "bob"], "");
    assert_eq!(basic("bob", "another good password"), 401);
    wicket(cfg, &["user", "unlock", "bob"], "");

    pg.stop_server();
    // Bob's password was never cached: checking it needs the database.
    assert_eq!(basic("bob", "another good password"), 503, "{}", wicketd.log());
    pg.start_server();
    wait_until(STARTUP, "wicketd to use the database again", || basic("bob", "another good password") == 200);
    assert_eq!(bearer(token), 200);
    let log = wicketd.log();
    assert!(!log.contains("password="), "no connection secret in the log");
    // wicketd runs with WICKET_LOG=debug here: the client's statement lines (with their
    // parameters: hashes, keys) stay out all the same.
    assert!(log.contains("DEBUG") && !log.contains("parameters"), "{log}");
}

/// Booting with the database (or its host restarting): wicketd started while PostgreSQL is
/// down waits for it (it exited at once, and systemd gave up after five quick restarts) and
/// serves as soon as it is up.
#[test]
fn wicketd_started_before_postgres_waits_for_it() {
    let Some(pg) = cluster() else { return };
    pg.create_db("late");
    let env = Env::new();
    let text = Wicketd::config_text(&env, "", "").replace(&env.store_toml(), &format!("url = \"{}\"", pg.url("late")));
    let config = env.dir.path().join("wicketd.toml");
    std::fs::write(&config, &text).unwrap_or_else(|e| panic!("{e}"));
    wicket(
        config.to_str().unwrap_or_default(),
        &["user", "add", "alice", "--password-stdin"],
        "correct horse battery\n",
    );
    pg.stop_server();
    let log = env.dir.path().join("wicketd.log");
    let starter = std::thread::spawn(move || {
        wait_until(STARTUP, "wicketd to wait for the database", || {
            std::fs::read_to_string(&log).unwrap_or_default().contains("trying again")
        });
        pg.start_server();
        pg
    });
    let w = Wicketd::spawn(&env, config, &[]);
    let _pg = starter.join().unwrap_or_else(|_| panic!("the thread starting PostgreSQL failed"));
    assert_eq!(curl(&["-u", "alice:correct horse battery", &w.url("/auth")]).status, 200, "{}", w.log());
}
