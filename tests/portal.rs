//! The sign-in portal end to end: real wicketd, real nginx configured from
//! docs/examples/nginx-portal.conf (only ports and paths substituted), a trivial upstream
//! that echoes `Remote-User`, and headless Chromium driving tests/browser/portal.mjs.
//! Plus the same location from curl: scripts get 200/401, never a redirect.

use crate::support::servers::{Wicketd, curl, raw_status, reserve_port};
use crate::support::{Env, have, require, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("..")).to_path_buf()
}

/// nginx with the documented portal config inside a minimal `http {}`, plus the echo upstream.
struct PortalNginx {
    child: Child,
    prefix: PathBuf,
}

impl PortalNginx {
    fn start(dir: &Path, port: u16, upstream: u16, wicket: u16) -> Self {
        let prefix = dir.join("nginx-portal");
        std::fs::create_dir_all(prefix.join("logs")).unwrap_or_else(|e| panic!("{e}"));
        let example = std::fs::read_to_string(repo().join("docs/examples/nginx-portal.conf"))
            .unwrap_or_else(|e| panic!("docs/examples/nginx-portal.conf: {e}"));
        let servers = example
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
            .replace("127.0.0.1:8089", &format!("127.0.0.1:{wicket}"))
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"));
        assert_ne!(servers, example, "the example's ports were substituted");
        let p = prefix.display();
        let conf = format!(
            "worker_processes 1;\nerror_log {p}/logs/error.log info;\npid {p}/nginx.pid;\n\
             events {{ worker_connections 256; }}\nhttp {{\naccess_log off;\n\
             client_body_temp_path {p}/client_body;\nproxy_temp_path {p}/proxy;\n\
             fastcgi_temp_path {p}/fastcgi;\nuwsgi_temp_path {p}/uwsgi;\nscgi_temp_path {p}/scgi;\n\
             {servers}\n\
             server {{\n    listen 127.0.0.1:{upstream};\n    default_type text/plain;\n\
                 location / {{ return 200 \"user=$http_remote_user groups=$http_remote_groups\\n\"; }}\n}}\n}}\n"
        );
        let conf_path = prefix.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap_or_else(|e| panic!("{e}"));
        let nginx =
            ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| Path::new(p).exists()).unwrap_or("nginx");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn nginx: {e}"));
        let mut me = Self { child, prefix };
        wait_until(Duration::from_secs(20), "nginx to answer", || {
            if let Ok(Some(st)) = me.child.try_wait() {
                panic!("nginx exited ({st}): {}", me.error_log());
            }
            raw_status(upstream, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 200
        });
        me
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for PortalNginx {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-QUIT").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

fn browser_ready() -> bool {
    let chromium = std::env::var("WICKET_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    Path::new(&chromium).exists() && have("node") && repo().join("tests/browser/node_modules/playwright-core").exists()
}

#[test]
fn a_browser_signs_in_through_nginx_and_scripts_are_unaffected() {
    let nginx_found = ["/usr/sbin/nginx", "/usr/bin/nginx"].iter().any(|p| Path::new(p).exists());
    if !require(nginx_found, "nginx is not installed") {
        return;
    }
    if !require(browser_ready(), "chromium, node or tests/browser/node_modules missing (tests/browser/setup.sh)") {
        return;
    }
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    let (port, upstream) = (reserve_port(), reserve_port());
    let portal = format!("http://auth.example.org:{port}");
    let session = format!(
        "[session]\nsecure = false\ndomain = \"example.org\"\nportal_url = \"{portal}\"\nremember_me = \"30d\"\n"
    );
    let w = Wicketd::start(&env, &session);
    let n = PortalNginx::start(env.dir.path(), port, upstream, w.port);
    let app = format!("http://app.example.org:{port}/docs/page?x=1");
    let resolve = |host: &str| format!("{host}:{port}:127.0.0.1");

    // Scripts on the same location: credentials give 200/401, no redirect.
    let base = ["--resolve", &resolve("app.example.org")];
    let r = curl(&[base[0], base[1], "-u", "alice:pw-alice", &app]);
    assert_eq!((r.status, r.body.trim()), (200, "user=alice groups="), "{}\n{}", n.error_log(), w.log());
    let r = curl(&[base[0], base[1], "-u", "alice:wrong", &app]);
    assert_eq!(r.status, 401, "{}", r.headers);
    assert!(!r.headers.to_ascii_lowercase().contains("location:"), "{}", r.headers);
    // Without credentials or session: to the portal.
    let r = curl(&[base[0], base[1], &app]);
    assert_eq!(r.status, 302, "{}\n{}", r.headers, n.error_log());
    // (The helper gives headers in lower case.)
    let want = format!("location: {portal}/login?rd=http%3a%2f%2fapp.example.org%3a{port}%2fdocs%2fpage%3fx%3d1");
    assert!(r.headers.contains(&want), "{}", r.headers);

    let out = Command::new("node")
        .arg(repo().join("tests/browser/portal.mjs"))
        .env("WICKET_APP_URL", &app)
        .env("WICKET_PORTAL_URL", &portal)
        .env("WICKET_RESOLVE", "MAP *.example.org 127.0.0.1")
        .output()
        .unwrap_or_else(|e| panic!("node: {e}"));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "portal.mjs failed:\n{said}\nnginx:\n{}\nwicketd:\n{}", n.error_log(), w.log());
    assert!(said.contains("portal: 7 passed, 0 failed"), "{said}");
}
