//! The event trail with a real wicketd: failed logins in `wicket events`, `--follow`, admin
//! changes with the invoking user, no secret in the store, and the counters in `/metrics`.

use crate::support::servers::{Wicketd, curl};
use crate::support::{Env, bin, stderr, wait_for};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Events reach the store within about a second (batched); a generous deadline avoids flakes.
const DEADLINE: Duration = Duration::from_secs(10);

fn events_json(env: &Env, args: &[&str]) -> Vec<serde_json::Value> {
    let mut full = vec!["events", "--json"];
    full.extend_from_slice(args);
    let out = env.ok(&full, "");
    serde_json::from_str::<Vec<serde_json::Value>>(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn is(e: &serde_json::Value, user: &str, outcome: &str) -> bool {
    e["user"] == user && e["outcome"] == outcome
}

#[test]
fn a_failed_login_shows_up_in_events_and_metrics_and_no_password_is_stored() {
    let env = Env::new();
    env.add_user("alice", "pw-alice-secret");
    let w = Wicketd::start(&env, "");
    assert_eq!(curl(&["-u", "alice:wrong-guess-4711", &w.url("/whoami")]).status, 401);
    assert_eq!(curl(&["-u", "alice:pw-alice-secret", &w.url("/whoami")]).status, 200);
    let found = wait_for(DEADLINE, "the failed and the good login in `wicket events`", || {
        let all = events_json(&env, &["--user", "alice", "--kind", "auth"]);
        (all.len() >= 2).then_some(all)
    });
    assert!(is(&found[0], "alice", "bad_credentials"), "{found:?}");
    assert_eq!(found[0]["front"], "http");
    assert_eq!(found[0]["scheme"], "basic");
    assert_eq!(found[0]["method"], "GET");
    assert_eq!(found[0]["path"], "/whoami");
    assert!(is(&found[1], "alice", "accepted"), "{found:?}");
    // Filters: only the failure; nothing from the future.
    let failed = events_json(&env, &["--outcome", "fail"]);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(events_json(&env, &["--since", "2999-01-01"]).is_empty());

    let metrics = curl(&[&w.url("/metrics")]).body;
    let line = r#"wicket_audit_events_total{front="http",scheme="basic",outcome="bad_credentials",backend="local"} 1"#;
    assert!(metrics.contains(line), "{metrics}");
    assert!(metrics.contains("wicket_events_dropped_total 0"), "{metrics}");

    // No password anywhere in the database files, trail included.
    for suffix in ["", "-wal"].iter().filter(|_| env.pg.is_none()) {
        let path = format!("{}{suffix}", env.db.display());
        let bytes = std::fs::read(&path).unwrap_or_default();
        for secret in ["wrong-guess-4711", "pw-alice-secret"] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} in {path}");
        }
    }
}

#[test]
fn follow_shows_a_failed_login_made_afterwards() {
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    let w = Wicketd::start(&env, "");
    let mut child = Command::new(bin("wicket"))
        .args(["--db", &env.store_arg(), "events", "--follow", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The `user add` before it is already in the trail; following starts after it.
    let first = rx.recv_timeout(DEADLINE).unwrap_or_else(|e| panic!("no first line: {e}"));
    assert!(first.contains(r#""kind":"admin""#), "{first}");
    assert_eq!(curl(&["-u", "alice:wrong", &w.url("/whoami")]).status, 401);
    assert_eq!(curl(&["-u", "mallory:wrong", &w.url("/whoami")]).status, 401);
    let mut seen = Vec::new();
    wait_for(DEADLINE, "both failed logins in `wicket events --follow`", || {
        while let Ok(l) = rx.try_recv() {
            seen.push(serde_json::from_str::<serde_json::Value>(&l).unwrap_or_else(|e| panic!("{e}: {l}")));
        }
        (seen.len() >= 2).then_some(())
    });
    assert!(is(&seen[0], "alice", "bad_credentials"), "{seen:?}");
    assert!(is(&seen[1], "mallory", "unknown_user"), "{seen:?}");
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
}

#[test]
fn an_admin_change_under_sudo_names_the_invoking_user() {
    let env = Env::new();
    let out = Command::new(bin("wicket"))
        .args(["--db", &env.store_arg(), "user", "add", "carol", "--no-password"])
        .args(["--email", "carol@example.org"])
        .env("SUDO_USER", "bob")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", stderr(&out));
    env.ok(&["group", "add", "ops"], "");
    // A refused change leaves no event.
    assert_eq!(env.wicket(&["user", "del", "nobody"], "").status.code(), Some(1));
    let admin = events_json(&env, &["--kind", "admin"]);
    assert_eq!(admin.len(), 2, "{admin:?}");
    assert_eq!(admin[0]["actor"], "bob");
    assert_eq!(admin[0]["user"], "carol");
    assert_eq!(admin[0]["detail"], "user add carol: no-password, email");
    assert_eq!(admin[0]["actor_uid"], u64::from(rustix_uid()));
    assert_eq!(admin[1]["detail"], "group add ops");
    assert!(!admin.iter().any(|e| e.to_string().contains("carol@example.org")), "{admin:?}");
    let text = env.ok(&["events", "--user", "carol"], "");
    assert!(text.contains("admin ok user=carol") && text.contains("actor=bob"), "{text}");
}

fn rustix_uid() -> u32 {
    String::from_utf8_lossy(&crate::support::run(std::path::Path::new("id"), &["-u"], "").stdout)
        .trim()
        .parse()
        .unwrap_or(u32::MAX)
}
