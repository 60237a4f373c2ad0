//! Promises the docs make about the running daemon, each checked against the real wicketd:
//! HA1 after an imported user's first login, the throttle surviving a reload, query strings
//! kept out of the log, `/healthz` on a broken store, `--check-config`, and the local
//! socket's mode and `SO_PEERCRED` rule with a real unprivileged caller.

use crate::support::servers::{STARTUP, Wicketd, curl};
use crate::support::{Env, bin, have, is_root, require, run, stderr, wait_until};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// `{SHA}` of "pw" (`htpasswd -nbs carol pw`): a legacy hash that is upgraded on login.
const SHA_OF_PW: &str = "{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=";

/// Imports `lines` as an htpasswd file into `env`'s store.
fn import(env: &Env, lines: &str) {
    let file = env.dir.path().join("htpasswd");
    std::fs::write(&file, lines).unwrap_or_else(|e| panic!("{e}"));
    env.ok(&["import", "htpasswd", file.to_str().unwrap_or_default()], "");
}

/// wicketd(8) and wicket(1): an imported user has no HA1 until one successful password
/// login; after it, Digest works.
#[test]
fn an_imported_legacy_user_gets_digest_after_one_basic_login() {
    let env = Env::new();
    import(&env, &format!("carol:{SHA_OF_PW}\n"));
    assert_eq!(env.ha1_rows("carol"), 0, "import stores no HA1");
    let w = Wicketd::start(&env, "");
    let digest = || curl(&["--digest", "-u", "carol:pw", &w.url("/whoami")]).status;
    assert_eq!(digest(), 401, "no HA1 yet, so Digest cannot succeed");
    assert_eq!(curl(&["--basic", "-u", "carol:pw", &w.url("/whoami")]).status, 200, "{}", w.log());
    assert!(env.ha1_rows("carol") > 0, "the first Basic login stores HA1");
    assert_eq!(digest(), 200, "{}", w.log());
}

/// The same promise for an imported hash that needs no upgrade (argon2id with the current
/// parameters): nothing forces a rehash, so only a "refresh a missing HA1" step stores HA1.
#[test]
fn an_imported_current_argon2_user_gets_digest_after_one_basic_login() {
    let source = Env::new();
    source.add_user("dave", "pw-dave-1");
    let hash = source.stored_hash("dave");
    let env = Env::new();
    import(&env, &format!("dave:{hash}\n"));
    let w = Wicketd::start(&env, "");
    assert_eq!(curl(&["--basic", "-u", "dave:pw-dave-1", &w.url("/whoami")]).status, 200, "{}", w.log());
    assert!(env.ha1_rows("dave") > 0, "the first Basic login stores HA1");
    assert_eq!(curl(&["--digest", "-u", "dave:pw-dave-1", &w.url("/whoami")]).status, 200, "{}", w.log());
}

/// wicketd(8): a reload with the same `[throttle]` keeps the failure counts (and lockouts),
/// so SIGHUP is no way to reset them.
#[test]
fn a_reload_keeps_the_throttle() {
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    let throttle = "[throttle]\ndelays = [\"0s\"]\nmax_failures = 3\n";
    let w = Wicketd::start_full(&env, "realm = \"first\"\n", throttle, &[]);
    let basic = |pw: &str| curl(&["--basic", "-u", &format!("alice:{pw}"), &w.url("/auth")]).status;
    assert_eq!(basic("wrong-1"), 401);
    assert_eq!(basic("wrong-2"), 401);
    // A different realm tells the new config apart; the throttle settings are the same.
    let second = Wicketd::config_text(&env, "realm = \"second\"\n", throttle);
    std::fs::write(&w.config, second).unwrap_or_else(|e| panic!("{e}"));
    w.signal("HUP");
    wait_until(STARTUP, "the reload", || curl(&[&w.url("/auth")]).headers.contains("realm=\"second\""));
    assert_eq!(basic("wrong-3"), 401);
    // The third failure locked the account out: the right password is refused now.
    assert_eq!(basic("pw-alice"), 401, "the lockout was forgotten across the reload:\n{}", w.log());
    assert!(w.log().contains("outcome=\"throttled\""), "{}", w.log());
}

/// wicketd(8): the audit line carries the path only; query strings can carry secrets and
/// are never logged (checked at debug level, where the most is logged).
#[test]
fn query_strings_are_never_logged() {
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    let w = Wicketd::start(&env, "");
    let target = "X-Original-URI: /x/page?token=SECRET123";
    for user in ["alice:pw-alice", "alice:wrong", "nobody-here:pw"] {
        curl(&["--basic", "-u", user, "-H", target, &w.url("/auth")]);
    }
    assert_eq!(curl(&["-H", target, &w.url("/auth")]).status, 401);
    // Digest answers for the request's own URI, query included.
    assert_eq!(curl(&["--digest", "-u", "alice:pw-alice", &w.url("/whoami?token=SECRET123")]).status, 200);
    assert_eq!(curl(&["--digest", "-u", "alice:wrong", &w.url("/whoami?token=SECRET123")]).status, 401);
    let log = w.log();
    assert!(!log.contains("SECRET123"), "a query string reached the log:\n{log}");
    // The requests were logged, under their paths.
    assert!(log.contains("path=/x/page ") && log.contains("path=/whoami "), "{log}");
}

/// wicketd(8): `/healthz` answers 503 when the store cannot be read (an SQLite file
/// overwritten in place, a PostgreSQL database closed to connections).
#[test]
fn healthz_is_503_when_the_store_is_unreadable() {
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    let w = Wicketd::start(&env, "");
    assert_eq!(w.get("/healthz"), 200);
    env.break_store();
    assert_eq!(env.once_broken(&503, || w.get("/healthz")), 503, "{}", w.log());
    assert_eq!(curl(&["--basic", "-u", "alice:pw-alice", &w.url("/auth")]).status, 503);
}

/// wicketd(8): `--check-config` exits 0 and says "ok" for a good config; a bad one exits
/// non-zero naming the key and the file, and never quotes a secret from it.
#[test]
fn check_config_says_ok_or_names_the_key() {
    let env = Env::new();
    let good = env.dir.path().join("good.toml");
    std::fs::write(&good, Wicketd::config_text(&env, "", "")).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&bin("wicketd"), &["--check-config", "--config", good.to_str().unwrap_or_default()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"), "{out:?}");
    // --check-config does not serve: no socket was bound.
    assert!(!env.dir.path().join("w.sock").exists());

    let bad = env.dir.path().join("bad.toml");
    let text = Wicketd::config_text(&env, "no_such_key = \"Sekrit-In-Config-1\"\n", "");
    std::fs::write(&bad, text).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&bin("wicketd"), &["--check-config", "--config", bad.to_str().unwrap_or_default()], "");
    let err = stderr(&out);
    assert!(!out.status.success(), "a bad config passed the check: {err}");
    assert!(err.contains("no_such_key"), "the key is not named: {err}");
    assert!(err.contains("bad.toml"), "the file is not named: {err}");
    assert!(!err.contains("Sekrit-In-Config-1"), "a config value was echoed: {err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("ok"), "{out:?}");
}

/// A small Python client for the local socket: one request frame, one answer frame,
/// the answer's JSON printed.
const SOCKET_CLIENT: &str = r#"
import json, socket, struct, sys
req = {"version": 1, "op": "authenticate", "user": sys.argv[2], "password": sys.argv[3],
       "service": "test", "rhost": None}
body = json.dumps(req).encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(struct.pack(">I", len(body)) + body)
def read(n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise SystemExit("short answer")
        out += chunk
    return out
(n,) = struct.unpack(">I", read(4))
print(json.loads(read(n))["status"])
"#;

/// wicketd(8): the socket is mode 0666 and the caller is told apart by `SO_PEERCRED`: an
/// unprivileged caller may authenticate only the account with its own uid. The caller is a
/// real process running as `nobody`.
#[test]
fn an_unprivileged_caller_may_only_authenticate_itself() {
    if !require(is_root(), "needs root to run a client as nobody") {
        return;
    }
    assert!(have("setpriv"), "setpriv (util-linux) is required");
    let python = ["/usr/bin/python3", "/bin/python3"].into_iter().find(|p| Path::new(p).exists());
    let python = python.unwrap_or_else(|| panic!("a system python3 is required (nobody cannot run a user's shim)"));
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    // A store user whose uid is nobody's.
    env.ok(&["user", "add", "nob", "--uid", "65534", "--password-stdin"], "pw-nob-1\n");
    // nobody must reach the socket inside the test's private directory.
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
    let w = Wicketd::start(&env, "");
    let sock = env.dir.path().join("w.sock");
    let mode = std::fs::metadata(&sock).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    assert_eq!(mode, 0o666, "socket mode");
    let client = env.dir.path().join("client.py");
    std::fs::write(&client, SOCKET_CLIENT).unwrap_or_else(|e| panic!("{e}"));
    let ask_as_nobody = |user: &str, pw: &str| {
        let out = run(
            Path::new("setpriv"),
            &[
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                python,
                client.to_str().unwrap_or_default(),
                sock.to_str().unwrap_or_default(),
                user,
                pw,
            ],
            "",
        );
        assert!(out.status.success(), "client as nobody: {}\n{}", stderr(&out), w.log());
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    // Someone else's account, with the right password: not allowed.
    assert_eq!(ask_as_nobody("alice", "pw-alice"), "not_allowed");
    assert!(w.log().contains("not_allowed"), "{}", w.log());
    // Its own account: verified (right and wrong password told apart).
    assert_eq!(ask_as_nobody("nob", "pw-nob-1"), "ok");
    assert_eq!(ask_as_nobody("nob", "wrong"), "auth_error");
}

/// Issue 9 #14: argon2id's working memory goes back to the system after each login (glibc
/// would keep it: 292 MB after a burst of 72 failed logins). wicketd runs with the allocator
/// settings that make it so, whoever started it; the bench measures the memory itself.
#[test]
fn wicketd_runs_with_allocator_settings_that_return_kdf_memory() {
    let env = Env::new();
    let w = Wicketd::start(&env, "");
    let environ = std::fs::read(format!("/proc/{}/environ", w.pid())).unwrap_or_default();
    let vars: Vec<&[u8]> = environ.split(|&b| b == 0).collect();
    assert!(vars.contains(&&b"MALLOC_MMAP_THRESHOLD_=131072"[..]), "{}", String::from_utf8_lossy(&environ));
    assert!(vars.contains(&&b"MALLOC_ARENA_MAX=2"[..]));
    assert_eq!(w.get("/healthz"), 200);
}

/// Issue 9 #10: `/metrics` (like every answer about credentials) is never cached by a proxy.
#[test]
fn metrics_are_never_cached() {
    let env = Env::new();
    let w = Wicketd::start(&env, "");
    let m = curl(&[&w.url("/metrics")]);
    assert_eq!(m.status, 200);
    assert!(m.headers.to_ascii_lowercase().contains("cache-control: no-store"), "{}", m.headers);
    assert!(m.body.contains("wicket_slow_verifications_total"), "{}", m.body);
}
