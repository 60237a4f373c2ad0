//! wicketd over a real socket, with real clients: curl, python requests, and nginx
//! `auth_request` in front.

use crate::support::servers::{Nginx, STARTUP, Wicketd, curl, raw_status};
use crate::support::{Env, have, run, wait_until};

fn env_with_users() -> Env {
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    env.add_user("bob", "pw-bob-1");
    env.ok(&["group", "add", "admins"], "");
    env.ok(&["group", "add-member", "admins", "alice"], "");
    env
}

fn token(env: &Env, user: &str) -> String {
    env.ok(&["token", "create", user, "--name", "t"], "").trim().to_string()
}

#[test]
fn curl_speaks_basic_digest_and_bearer() {
    let env = env_with_users();
    let tok = token(&env, "alice");
    let w = Wicketd::start(&env, "");
    let none = curl(&[&w.url("/auth")]);
    assert_eq!(none.status, 401);
    assert_eq!(none.headers.matches("www-authenticate:").count(), 3, "{}", none.headers);
    let who = curl(&["--basic", "-u", "alice:pw-alice", &w.url("/whoami")]);
    assert_eq!(who.status, 200, "{who:?}");
    let v: serde_json::Value = serde_json::from_str(&who.body).unwrap_or_default();
    assert_eq!(v["name"], "alice");
    assert_eq!(v["groups"][0], "admins");
    assert_eq!(curl(&["--basic", "-u", "alice:nope", &w.url("/whoami")]).status, 401);
    assert_eq!(curl(&["--basic", "-u", "zed:pw-alice", &w.url("/whoami")]).status, 401);
    let d = curl(&["--digest", "-u", "alice:pw-alice", &w.url("/whoami?x=1")]);
    assert_eq!(d.status, 200, "{d:?}\n{}", w.log());
    assert_eq!(curl(&["--digest", "-u", "alice:nope", &w.url("/whoami")]).status, 401);
    let b = curl(&["--oauth2-bearer", &tok, &w.url("/whoami")]);
    assert_eq!(b.status, 200, "{b:?}");
    let bad = curl(&["--oauth2-bearer", "wkt_nope", &w.url("/auth")]);
    assert_eq!(bad.status, 401);
    assert!(bad.headers.contains("error=\"invalid_token\""), "{}", bad.headers);
    let log = w.log();
    assert!(!log.contains("pw-alice") && !log.contains(&tok), "a secret reached the log");
    assert!(log.contains("outcome=\"accepted\""), "{log}");
}

#[test]
fn python_requests_basic_and_digest() {
    assert!(have("python3"), "python3 is required");
    let env = env_with_users();
    env.add_user("carol", "pässword");
    let w = Wicketd::start(&env, "");
    let script = format!(
        r#"
import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth
u = "{url}"
s = requests.Session()
print(requests.get(u, auth=HTTPBasicAuth("alice", "pw-alice")).status_code)
print(requests.get(u, auth=HTTPBasicAuth("alice", "wrong")).status_code)
print(s.get(u, auth=HTTPDigestAuth("alice", "pw-alice")).status_code)
print(s.get(u + "?again=1", auth=HTTPDigestAuth("alice", "pw-alice")).status_code)
print(requests.get(u, auth=HTTPDigestAuth("alice", "wrong")).status_code)
# requests sends non-ASCII Basic credentials as Latin-1; wicketd falls back to it.
print(requests.get(u, auth=HTTPBasicAuth("carol", "pässword")).status_code)
print(requests.get(u, auth=HTTPBasicAuth("carol", "pässword".encode("utf-8"))).status_code)
"#,
        url = w.url("/whoami")
    );
    let out = run(std::path::Path::new("python3"), &["-c", &script], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    let codes: Vec<&str> = text.lines().collect();
    assert_eq!(codes, ["200", "401", "200", "200", "401", "200", "200"], "{}", w.log());
}

#[test]
fn nginx_auth_request_protects_a_location() {
    let env = env_with_users();
    let tok = token(&env, "bob");
    // Digest first: nginx 1.22 forwards only the first WWW-Authenticate to the browser.
    let w = Wicketd::start(&env, "[http]\nschemes = [\"digest\", \"basic\", \"bearer\"]\n");
    let n = Nginx::start(env.dir.path(), "nginx-auth.conf", w.port);
    let r = curl(&[&n.url("/private/page")]);
    assert_eq!(r.status, 401, "{}", n.error_log());
    assert!(r.headers.contains("www-authenticate: digest"), "{}", r.headers);
    let r = curl(&["-u", "alice:pw-alice", &n.url("/private/page")]);
    assert_eq!((r.status, r.body.trim()), (200, "user=alice groups=admins"), "{}", n.error_log());
    assert_eq!(curl(&["-u", "alice:wrong", &n.url("/private/page")]).status, 401);
    let r = curl(&["--digest", "-u", "alice:pw-alice", &n.url("/private/page?q=1&r=2")]);
    assert_eq!((r.status, r.body.trim()), (200, "user=alice groups=admins"), "{}\n{}", n.error_log(), w.log());
    let r = curl(&["--oauth2-bearer", &tok, &n.url("/private/x")]);
    assert_eq!((r.status, r.body.trim()), (200, "user=bob groups="));
    // ?group=admins: alice is in it, bob is not.
    assert_eq!(curl(&["-u", "alice:pw-alice", &n.url("/admin/")]).status, 200);
    assert_eq!(curl(&["-u", "bob:pw-bob-1", &n.url("/admin/")]).status, 403);
    assert_eq!(curl(&[&n.url("/admin/")]).status, 401);
    // Digest's uri must be the original target: curl answers for the URL's path while
    // sending another request target, so nginx's X-Original-URI differs and it is refused.
    let r = curl(&["--digest", "-u", "alice:pw-alice", "--request-target", "/private/other", &n.url("/private/page")]);
    assert_eq!(r.status, 401);
    assert!(w.log().contains("uri does not match the request target"), "{}", w.log());
}

#[test]
fn hostile_requests_do_not_hurt_the_service() {
    let env = env_with_users();
    let w = Wicketd::start(&env, "");
    let big = format!("GET /auth HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(80 * 1024));
    assert_eq!(raw_status(w.port, big.as_bytes()), 431);
    let dup = b"GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6cHctYWxpY2U=\r\nAuthorization: Basic YWxpY2U6cHctYWxpY2U=\r\nConnection: close\r\n\r\n";
    assert_eq!(raw_status(w.port, dup), 401);
    let nonutf8 = b"GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \xff\xfe\xfd\r\nConnection: close\r\n\r\n";
    assert_eq!(raw_status(w.port, nonutf8), 401, "/auth never answers 400 (wicketd(8))");
    let garbage = b"GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Digest ,,,=\"\\\r\nConnection: close\r\n\r\n";
    assert_eq!(raw_status(w.port, garbage), 401);
    assert_eq!(raw_status(w.port, b"NOT HTTP AT ALL\r\n\r\n"), 400);
    assert_eq!(raw_status(w.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 200);
    assert_eq!(curl(&["-u", "alice:pw-alice", &w.url("/auth")]).status, 200);
    assert!(!w.log().contains("panicked"));
}

#[test]
fn sighup_reloads_and_a_bad_config_keeps_the_old_one() {
    let env = env_with_users();
    // Neither the first config nor the defaults: a kept config is told apart from both.
    let mut w = Wicketd::start_full(&env, "realm = \"first\"\n", "", &[]);
    let challenge = || curl(&[&w.url("/auth")]).headers;
    let first = challenge();
    assert!(first.contains("realm=\"first\"") && first.contains("www-authenticate: digest"), "{first}");
    let second = Wicketd::config_text(&env, "realm = \"second\"\n", "[http]\nschemes = [\"bearer\", \"basic\"]\n");
    std::fs::write(&w.config, second).unwrap_or_else(|e| panic!("{e}"));
    w.signal("HUP");
    wait_until(STARTUP, "the reloaded config (realm second, no digest)", || {
        let h = challenge();
        h.contains("realm=\"second\"") && !h.contains("digest")
    });
    assert!(challenge().contains("www-authenticate: bearer"));
    std::fs::write(&w.config, "[server]\nno_such_key = 1\n").unwrap_or_else(|e| panic!("{e}"));
    w.signal("HUP");
    wait_until(STARTUP, "wicketd to refuse the bad config", || w.log().contains("new configuration refused"));
    // The second config, not the first and not the defaults (realm "wicket", digest first).
    let kept = challenge();
    assert!(kept.contains("realm=\"second\"") && !kept.contains("digest"), "{kept}");
    assert!(kept.contains("www-authenticate: bearer"), "{kept}");
    assert_eq!(curl(&["-u", "alice:pw-alice", &w.url("/auth")]).status, 200);
    w.signal("TERM");
    assert_eq!(w.wait(), Some(0), "SIGTERM is a clean shutdown");
}
