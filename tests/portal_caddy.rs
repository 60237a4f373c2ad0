//! The sign-in portal through Caddy's `forward_auth`, for real: Debian's caddy runs
//! docs/examples/Caddyfile-portal with only its ports changed and its sites served over
//! plain HTTP, the echo server stands in for the application, and headless Chromium drives
//! tests/browser/portal.mjs (protected page → portal → signed in with Remote-User at the
//! upstream, sign-out, remember me). Scripts on the same site get 200/401, never a redirect.

use crate::portal::{require_browser, run_script};
use crate::support::servers::{STARTUP, Wicketd, curl, raw_status, reserve_port};
use crate::support::upstream::{Proc, echo_server};
use crate::support::{Env, have, require, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Caddy on `port` with the example, no admin endpoint, no automatic HTTPS, state in `dir`.
struct Caddy {
    _proc: Proc,
    log: PathBuf,
}

impl Caddy {
    fn start(dir: &Path, port: u16, wicketd: u16, upstream: u16) -> Self {
        let dir = dir.join("caddy-portal");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/Caddyfile-portal");
        let text = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        let sites = text
            .replace("127.0.0.1:8089", &format!("127.0.0.1:{wicketd}"))
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"))
            .replace("\nauth.example.org {", &format!("\nhttp://auth.example.org:{port} {{"))
            .replace("\napp.example.org {", &format!("\nhttp://app.example.org:{port} {{"));
        assert!(
            sites.contains(&format!("http://auth.example.org:{port} {{"))
                && sites.contains(&format!("http://app.example.org:{port} {{")),
            "the example changed shape"
        );
        let config = dir.join("Caddyfile");
        std::fs::write(&config, format!("{{\n\tadmin off\n\tauto_https off\n}}\n{sites}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let log = dir.join("caddy.log");
        let logf = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&config)
            // Caddy keeps its certificates and autosave under $HOME and $XDG_*.
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", &dir)
            .env("XDG_CONFIG_HOME", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(logf)
            .spawn()
            .unwrap_or_else(|e| panic!("caddy: {e}"));
        let mut me = Self { _proc: Proc(child), log };
        wait_until(STARTUP, "caddy to answer", || {
            if let Ok(Some(st)) = me._proc.0.try_wait() {
                panic!("caddy exited ({st}): {}", me.log());
            }
            raw_status(port, b"GET / HTTP/1.1\r\nHost: auth.example.org\r\nConnection: close\r\n\r\n") != 0
        });
        me
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

#[test]
fn a_browser_signs_in_through_caddy_forward_auth_and_scripts_are_unaffected() {
    if !require(have("caddy"), "caddy is not installed (scripts/test.sh installs it)") || !require_browser(false) {
        return;
    }
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    env.ok(&["group", "add", "admins"], "");
    env.ok(&["group", "add-member", "admins", "alice"], "");
    let port = reserve_port();
    let portal = format!("http://auth.example.org:{port}");
    let session = format!(
        "[session]\nsecure = false\ndomain = \"example.org\"\nportal_url = \"{portal}\"\nremember_me = \"30d\"\n"
    );
    let w = Wicketd::start(&env, &session);
    let (_echo, upstream) = echo_server();
    let c = Caddy::start(env.dir.path(), port, w.port, upstream);
    let logs = || format!("caddy:\n{}\nwicketd:\n{}", c.log(), w.log());
    let app = format!("http://app.example.org:{port}/docs/page?x=1");
    let resolve = format!("app.example.org:{port}:127.0.0.1");
    let html = "Accept: text/html,application/xhtml+xml";

    // Scripts: Basic gets 200 with Remote-User at the application, and the password stays
    // at the proxy; a wrong password gets 401 with a challenge and no Location, also when the
    // client accepts HTML; no credentials at all gets 401 with a challenge, not a redirect.
    // (That 401 names the portal in Location, as /auth's does for nginx; no client follows a
    // Location on a 401.)
    let r = curl(&["--resolve", &resolve, "-u", "alice:pw-alice", &app]);
    assert_eq!(r.status, 200, "{}\n{}", r.headers, logs());
    assert!(r.body.contains("\nremote-user: alice\n") && r.body.contains("\nremote-groups: admins\n"), "{}", r.body);
    assert!(!r.body.contains("\nauthorization:"), "{}", r.body);
    for args in [vec!["-u", "alice:wrong"], vec!["-u", "alice:wrong", "-H", html], vec![]] {
        let mut all = vec!["--resolve", resolve.as_str()];
        all.extend(args.iter().copied());
        all.push(&app);
        let r = curl(&all);
        assert_eq!(r.status, 401, "{args:?}: {}\n{}", r.headers, logs());
        assert!(r.headers.contains("www-authenticate: basic"), "{args:?}: {}", r.headers);
        if !args.is_empty() {
            assert!(!r.headers.contains("location:"), "{args:?}: {}", r.headers);
        }
    }
    // A browser without a session: 302 to the portal with rd = the URL asked for.
    let r = curl(&["--resolve", &resolve, "-H", html, &app]);
    assert_eq!(r.status, 302, "{}\n{}", r.headers, logs());
    let want = format!("location: {portal}/login?rd=http%3a%2f%2fapp.example.org%3a{port}%2fdocs%2fpage%3fx%3d1");
    assert!(r.headers.contains(&want), "{}", r.headers);

    let vars = [
        ("WICKET_APP_URL", app.clone()),
        ("WICKET_PORTAL_URL", portal.clone()),
        ("WICKET_RESOLVE", "MAP *.example.org 127.0.0.1".to_string()),
    ];
    let said = run_script("portal.mjs", &vars, logs);
    assert!(said.contains("portal: 8 passed, 0 failed"), "{said}");
}
