//! The sign-in portal through Caddy's `forward_auth`, for real: Debian's caddy runs
//! docs/examples/Caddyfile-portal with only its ports changed and its sites served over
//! plain HTTP, the echo server stands in for the application, and headless Chromium drives
//! tests/browser/portal.mjs (protected page → portal → signed in with Remote-User at the
//! upstream, sign-out, remember me). Scripts on the same site get 200/401, never a redirect.

use crate::portal::{require_browser, run_script};
use crate::support::caddy::Caddy;
use crate::support::servers::{Wicketd, curl, reserve_port};
use crate::support::upstream::echo_server;
use crate::support::{Env, have, require};

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
    let c = Caddy::start(
        env.dir.path(),
        "Caddyfile-portal",
        port,
        w.port,
        upstream,
        &["auth.example.org", "app.example.org"],
    );
    let logs = || format!("{}\nwicketd:\n{}", c.log(), w.log());
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
