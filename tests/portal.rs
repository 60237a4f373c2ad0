//! The sign-in portal end to end: real wicketd, real nginx configured from
//! docs/examples/nginx-portal.conf (only ports and paths substituted), trivial upstreams
//! that echo `Remote-User`, and headless Chromium driving the scripts in tests/browser/:
//! the whole flow (portal.mjs), single sign-on across two server names (sso.mjs), a session
//! ended by `wicket user lock` (revoked.mjs) and the throttle seen from the form
//! (throttled.mjs), two factors (totp.mjs) and an invitation link (invite.mjs). Plus the same
//! location from curl: scripts get 200/401, never a redirect.
use crate::support::servers::{Nginx, Wicketd, curl, reserve_port};
use crate::support::{Env, bin, have, require};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("..")).to_path_buf()
}

/// nginx with the documented portal config inside a minimal `http {}`, plus the echo upstreams.
/// The example's two sites proxy to the upstreams on `upstream` (app.example.org's, which
/// answers `user=… groups=…`) and `wiki` (wiki.example.org's, answering `wiki: user=…`).
pub(crate) fn portal_nginx(dir: &Path, port: u16, upstream: u16, wiki: u16, wicket: u16) -> Nginx {
    let prefix = dir.join("nginx-portal");
    std::fs::create_dir_all(prefix.join("logs")).unwrap_or_else(|e| panic!("{e}"));
    let example = std::fs::read_to_string(repo().join("docs/examples/nginx-portal.conf"))
        .unwrap_or_else(|e| panic!("docs/examples/nginx-portal.conf: {e}"));
    let servers = example
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
        .replace("127.0.0.1:8089", &format!("127.0.0.1:{wicket}"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"))
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{wiki}"));
    assert_ne!(servers, example, "the example's ports were substituted");
    let p = prefix.display();
    let conf = format!(
        "worker_processes 1;\nerror_log {p}/logs/error.log info;\npid {p}/nginx.pid;\n\
         events {{ worker_connections 256; }}\nhttp {{\naccess_log off;\n\
         client_body_temp_path {p}/client_body;\nproxy_temp_path {p}/proxy;\n\
         fastcgi_temp_path {p}/fastcgi;\nuwsgi_temp_path {p}/uwsgi;\nscgi_temp_path {p}/scgi;\n\
         {servers}\n\
         server {{\n    listen 127.0.0.1:{upstream};\n    default_type text/plain;\n\
             location / {{ return 200 \"user=$http_remote_user groups=$http_remote_groups\\n\"; }}\n}}\n\
         server {{\n    listen 127.0.0.1:{wiki};\n    default_type text/plain;\n\
             location / {{ return 200 \"wiki: user=$http_remote_user\\n\"; }}\n}}\n}}\n"
    );
    Nginx::run(prefix, &conf, port, upstream, "/")
}

pub(crate) fn browser_ready() -> bool {
    let chromium = std::env::var("WICKET_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    Path::new(&chromium).exists() && have("node") && repo().join("tests/browser/node_modules/playwright-core").exists()
}

/// Says whether the browser tests can run (nginx when `nginx`, chromium, node, playwright).
#[track_caller]
pub(crate) fn require_browser(nginx: bool) -> bool {
    let nginx_found = ["/usr/sbin/nginx", "/usr/bin/nginx"].iter().any(|p| Path::new(p).exists());
    if nginx && !require(nginx_found, "nginx is not installed") {
        return false;
    }
    require(browser_ready(), "chromium, node or tests/browser/node_modules missing (tests/browser/setup.sh)")
}

/// Runs `node tests/browser/SCRIPT` with `vars`; fails the test with what it said and
/// `logs()` unless it exits 0. Returns its output.
pub(crate) fn run_script(script: &str, vars: &[(&str, String)], logs: impl Fn() -> String) -> String {
    let out = Command::new("node")
        .arg(repo().join("tests/browser").join(script))
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed:\n{said}\n{}", logs());
    said
}

/// A logo as the data: URL a config may hold (a wicket: three stumps and a bail).
const LOGO: &str = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0naHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmcnIHZpZXdCb3g9JzAgMCA0OCA0OCc+PHJlY3Qgd2lkdGg9JzQ4JyBoZWlnaHQ9JzQ4JyByeD0nMTInIGZpbGw9JyMxZDRlZDgnLz48ZyBmaWxsPScjZmZmJz48cmVjdCB4PScxMicgeT0nMTEnIHdpZHRoPScyNCcgaGVpZ2h0PSc0JyByeD0nMicvPjxyZWN0IHg9JzEzJyB5PScxOCcgd2lkdGg9JzQnIGhlaWdodD0nMjAnIHJ4PScyJy8+PHJlY3QgeD0nMjInIHk9JzE4JyB3aWR0aD0nNCcgaGVpZ2h0PScyMCcgcng9JzInLz48cmVjdCB4PSczMScgeT0nMTgnIHdpZHRoPSc0JyBoZWlnaHQ9JzIwJyByeD0nMicvPjwvZz48L3N2Zz4=";

/// wicketd with `[session]` for example.org (plus `extra`; branded with a title and a logo)
/// and nginx with the example config: the portal on auth.example.org, the protected sites
/// app. and wiki.example.org. alice (Alice Liddell) is in the groups admins and developers.
struct Site {
    env: Env,
    wicketd: Wicketd,
    nginx: Nginx,
    port: u16,
    portal: String,
}

impl Site {
    fn start(extra: &str) -> Self {
        let env = Env::new();
        env.ok(&["user", "add", "alice", "--full-name", "Alice Liddell", "--password-stdin"], "pw-alice\n");
        for group in ["admins", "developers"] {
            env.ok(&["group", "add", group], "");
            env.ok(&["group", "add-member", group, "alice"], "");
        }
        let (port, upstream, wiki) = (reserve_port(), reserve_port(), reserve_port());
        let portal = format!("http://auth.example.org:{port}");
        let session = format!(
            "[session]\nsecure = false\ndomain = \"example.org\"\nportal_url = \"{portal}\"\nremember_me = \"30d\"\n\
             title = \"Example Corp\"\nlogo = \"{LOGO}\"\n{extra}"
        );
        let wicketd = Wicketd::start(&env, &session);
        let nginx = portal_nginx(env.dir.path(), port, upstream, wiki, wicketd.port);
        Self { env, wicketd, nginx, port, portal }
    }

    /// `http://NAME.example.org:PORT/PATH`.
    fn url(&self, name: &str, path: &str) -> String {
        format!("http://{name}.example.org:{}{path}", self.port)
    }

    /// Runs a browser script with the portal's URL and the resolver rules, plus `vars`.
    fn browse(&self, script: &str, vars: &[(&str, String)]) -> String {
        let mut all = vec![
            ("WICKET_PORTAL_URL", self.portal.clone()),
            ("WICKET_RESOLVE", "MAP *.example.org 127.0.0.1".to_string()),
        ];
        all.extend(vars.iter().cloned());
        run_script(script, &all, || format!("nginx:\n{}\nwicketd:\n{}", self.nginx.error_log(), self.wicketd.log()))
    }
}

#[test]
fn a_browser_signs_in_through_nginx_and_scripts_are_unaffected() {
    if !require_browser(true) {
        return;
    }
    let s = Site::start("");
    let (port, portal) = (s.port, &s.portal);
    let app = s.url("app", "/docs/page?x=1");
    let resolve = |host: &str| format!("{host}:{port}:127.0.0.1");

    // Scripts on the same location: credentials give 200/401, no redirect.
    let base = ["--resolve", &resolve("app.example.org")];
    let r = curl(&[base[0], base[1], "-u", "alice:pw-alice", &app]);
    assert_eq!(
        (r.status, r.body.trim()),
        (200, "user=alice groups=admins,developers"),
        "{}\n{}",
        s.nginx.error_log(),
        s.wicketd.log()
    );
    let r = curl(&[base[0], base[1], "-u", "alice:wrong", &app]);
    assert_eq!(r.status, 401, "{}", r.headers);
    assert!(!r.headers.to_ascii_lowercase().contains("location:"), "{}", r.headers);
    // Without credentials or session: to the portal.
    let r = curl(&[base[0], base[1], &app]);
    assert_eq!(r.status, 302, "{}\n{}", r.headers, s.nginx.error_log());
    // (The helper gives headers in lower case.)
    let want = format!("location: {portal}/login?rd=http%3a%2f%2fapp.example.org%3a{port}%2fdocs%2fpage%3fx%3d1");
    assert!(r.headers.contains(&want), "{}", r.headers);

    // WICKET_SCREENSHOTS=DIR (inherited) makes portal.mjs save the pages it passes through.
    let said = s.browse("portal.mjs", &[("WICKET_APP_URL", app.clone())]);
    assert!(said.contains("portal: 8 passed, 0 failed"), "{said}");
}

#[test]
fn one_sign_in_covers_two_server_names_under_the_cookie_domain() {
    if !require_browser(true) {
        return;
    }
    let s = Site::start("");
    let vars = [("WICKET_APP_URL", s.url("app", "/one")), ("WICKET_APP2_URL", s.url("wiki", "/two"))];
    let said = s.browse("sso.mjs", &vars);
    assert!(said.contains("sso: 5 passed, 0 failed"), "{said}");
}

#[test]
fn a_locked_account_is_sent_back_to_the_portal_on_the_next_request() {
    if !require_browser(true) {
        return;
    }
    let s = Site::start("");
    let vars = [
        ("WICKET_APP_URL", s.url("app", "/page")),
        ("WICKET_CLI", bin("wicket").display().to_string()),
        ("WICKET_DB", s.env.store_arg()),
    ];
    let said = s.browse("revoked.mjs", &vars);
    assert!(said.contains("revoked: 4 passed, 0 failed"), "{said}");
}

#[test]
fn wrong_passwords_in_the_form_are_throttled() {
    if !require_browser(true) {
        return;
    }
    let s = Site::start("[throttle]\nmax_failures = 3\ndelays = [\"0s\"]\n");
    let said = s.browse("throttled.mjs", &[("WICKET_APP_URL", s.url("app", "/page")), ("WICKET_FAILURES", "3".into())]);
    assert!(said.contains("throttled: 3 passed, 0 failed"), "{said}");
}

#[test]
fn two_factor_sign_in_step_up_and_recovery_codes_in_a_browser() {
    if !require_browser(true) {
        return;
    }
    let keys = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let extra = format!(
        "[totp]\nkey_file = \"{}\"\n[[rule]]\npath = \"^/admin/\"\npolicy = \"two_factor\"\n",
        keys.path().join("totp.key").display()
    );
    let s = Site::start(&extra);
    let vars = [("WICKET_APP_URL", s.url("app", "/page")), ("WICKET_ADMIN_URL", s.url("app", "/admin/x"))];
    let said = s.browse("totp.mjs", &vars);
    assert!(said.contains("totp: 6 passed, 0 failed"), "{said}");
}

#[test]
fn an_invitation_link_opened_in_a_browser_sets_a_password_and_signs_in() {
    if !require_browser(true) {
        return;
    }
    let s = Site::start("");
    let config = s.wicketd.config.display().to_string();
    let out = s.env.wicket(&["--config", &config, "user", "invite", "carol", "--groups", "developers"], "");
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    let link = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(link.starts_with(&format!("{}/invite?t=", s.portal)), "{link}");
    let state = |s: &Site| {
        let v: serde_json::Value =
            serde_json::from_str(&s.env.ok(&["user", "show", "carol", "--json"], "")).unwrap_or_default();
        v["state"].clone()
    };
    assert_eq!(state(&s), "pending");
    let vars =
        [("WICKET_INVITE_URL", link), ("WICKET_USER", "carol".to_string()), ("WICKET_APP_URL", s.url("app", "/page"))];
    let said = s.browse("invite.mjs", &vars);
    assert!(said.contains("invite: 5 passed, 0 failed"), "{said}");
    assert_eq!(state(&s), "active");
}

#[test]
fn passkey_registration_sign_in_and_step_up_in_a_browser() {
    if !require_browser(true) {
        return;
    }
    let s = Site::start("[webauthn]\npasswordless = true\n[[rule]]\npath = \"^/admin/\"\npolicy = \"two_factor\"\n");
    let vars = [("WICKET_APP_URL", s.url("app", "/page")), ("WICKET_ADMIN_URL", s.url("app", "/admin/x"))];
    let said = s.browse("passkey.mjs", &vars);
    assert!(said.contains("passkey: 6 passed, 0 failed"), "{said}");
}
