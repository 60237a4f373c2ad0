//! The PostgreSQL store over TLS: a cluster that takes TCP connections only with TLS, its
//! certificate for `localhost` signed by a CA of its own. The URL names that CA the way libpq
//! does (`sslrootcert=`, `sslmode=verify-full`); without it, or under another name for the
//! server, or without TLS, nothing connects.

use crate::support::postgres::Postgres;
use crate::support::servers::{Wicketd, curl};
use crate::support::{Env, bin, require, run, stderr};
use std::process::Output;

fn wicket(store: &str, args: &[&str], stdin: &str) -> Output {
    let mut full = vec!["--db", store];
    full.extend_from_slice(args);
    run(&bin("wicket"), &full, stdin)
}

#[test]
fn the_store_over_tls_verifies_the_server() {
    let Some(pg) = require(Postgres::installed(), "PostgreSQL 15 (Debian's postgresql) is not installed")
        .then(Postgres::start_tls)
    else {
        return;
    };
    pg.create_db("tls");
    let ca = pg.ca_file();
    let url = |host: &str, query: &str| format!("postgresql://wicket@{host}:{}/tls?{query}", pg.port);
    let good = url("localhost", &format!("sslmode=verify-full&sslrootcert={}", ca.display()));

    // The CLI and wicketd work over it.
    let out = wicket(&good, &["user", "add", "alice", "--password-stdin"], "correct horse battery\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let env = Env::new();
    let text = Wicketd::config_text(&env, "", "").replace(&env.store_toml(), &format!("url = \"{good}\""));
    assert!(text.contains("sslrootcert"), "{text}");
    let config = env.dir.path().join("wicketd.toml");
    std::fs::write(&config, &text).unwrap_or_else(|e| panic!("{e}"));
    let w = Wicketd::spawn(&env, config, &[]);
    assert_eq!(curl(&["-u", "alice:correct horse battery", &w.url("/auth")]).status, 200, "{}", w.log());

    // And it is TLS: the server says so of every connection named `wicket`.
    let admin = format!("host={} port={} user=wicket dbname=tls", pg.socket_dir().display(), pg.port);
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap_or_else(|e| panic!("{e}"));
    let row = c
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a \
             JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'wicket'",
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let (all, tls): (i64, i64) = (row.get(0), row.get(1));
    assert!(all >= 1 && tls == all, "{tls} of wicketd's {all} connections use TLS");

    // Without the CA (the system's roots do not know it), under a name the certificate does
    // not carry, or without TLS: one clear line, exit 1, nothing changed.
    for (store, says) in [
        (url("localhost", "sslmode=verify-full"), "certificate"),
        (url("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={}", ca.display())), "certificate"),
        (url("localhost", "sslmode=disable"), "pg_hba.conf"),
    ] {
        let out = wicket(&store, &["user", "add", "mallory", "--password-stdin"], "correct horse battery\n");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{store}: {err}");
        assert!(err.to_lowercase().contains(says), "{store}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let names = wicket(&good, &["user", "list"], "");
    let names = String::from_utf8_lossy(&names.stdout);
    assert!(names.contains("alice") && !names.contains("mallory"), "{names}");
}
