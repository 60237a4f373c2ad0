//! Apache httpd 2.4 in front of wicketd through `mod_authnz_fcgi`, for real: Debian's
//! apache2 runs `docs/examples/apache.conf` with only its ports and paths changed, a small
//! Python server behind it echoes the request headers it receives, and curl is the client.

use crate::support::servers::{STARTUP, Wicketd, curl, raw_status, reserve_port};
use crate::support::upstream::{Proc, echo_server};
use crate::support::{Env, require, wait_for, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub(crate) const APACHE: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";

/// Apache on its own port, with its own ServerRoot, pid file and logs in `dir`.
pub(crate) struct Apache {
    _proc: Proc,
    port: u16,
    dir: PathBuf,
}

impl Apache {
    /// Runs `docs/examples/<example>` with only its ports and paths changed.
    pub(crate) fn start(dir: &Path, example: &str, fastcgi_port: u16, upstream_port: u16) -> Self {
        let port = reserve_port();
        let dir = dir.join(format!("apache-{port}"));
        let www = dir.join("www");
        std::fs::create_dir_all(&www).unwrap_or_else(|e| panic!("{e}"));
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples").join(example);
        let text = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        // Only ports and paths change.
        let site = text
            .replace("127.0.0.1:8090", &format!("127.0.0.1:{fastcgi_port}"))
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream_port}"))
            .replace("<VirtualHost *:80>", &format!("<VirtualHost *:{port}>"))
            .replace("/var/www/html", &www.display().to_string());
        std::fs::write(dir.join("site.conf"), site).unwrap_or_else(|e| panic!("{e}"));
        let modules = [
            ("mpm_event", "mpm_event"),
            ("authn_core", "authn_core"),
            ("auth_basic", "auth_basic"),
            ("authz_core", "authz_core"),
            ("authz_user", "authz_user"),
            ("authnz_fcgi", "authnz_fcgi"),
            ("setenvif", "setenvif"),
            ("headers", "headers"),
            ("proxy", "proxy"),
            ("proxy_http", "proxy_http"),
        ]
        .iter()
        .map(|(m, f)| format!("LoadModule {m}_module {MODULES}/mod_{f}.so\n"))
        .collect::<String>();
        let d = dir.display();
        let conf = format!(
            "ServerRoot {d}\nDefaultRuntimeDir {d}\nPidFile {d}/httpd.pid\nErrorLog {d}/error.log\n\
             LogLevel warn authnz_fcgi:debug\nListen 127.0.0.1:{port}\nServerName localhost\n{modules}\
             Include {d}/site.conf\n"
        );
        let conf_path = dir.join("httpd.conf");
        std::fs::write(&conf_path, conf).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(APACHE)
            .arg("-X")
            .arg("-f")
            .arg(&conf_path)
            .args(["-DFOREGROUND"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{APACHE}: {e}"));
        let mut me = Self { _proc: Proc(child), port, dir };
        wait_until(STARTUP, "apache to answer", || {
            if let Ok(Some(st)) = me._proc.0.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = me._proc.0.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                panic!("apache exited ({st}): {err}{}", me.error_log());
            }
            raw_status(port, b"GET /app/ HTTP/1.0\r\n\r\n") != 0
        });
        me
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

/// The port in wicketd's `fastcgi authorizer on ADDR` log line.
pub(crate) fn fastcgi_port(w: &Wicketd) -> u16 {
    wait_for(STARTUP, "wicketd's FastCGI port", || {
        w.log()
            .lines()
            .find_map(|l| l.split("fastcgi authorizer on ").nth(1))
            .and_then(|a| a.trim().rsplit_once(':'))
            .and_then(|(_, p)| p.parse().ok())
    })
}

#[test]
fn apache_mod_authnz_fcgi_guards_locations() {
    if !require(Path::new(APACHE).exists(), "apache2 is not installed (scripts/test.sh installs it)") {
        return;
    }
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    env.add_user("bob", "pw-bob-1");
    env.ok(&["group", "add", "admins"], "");
    env.ok(&["group", "add-member", "admins", "alice"], "");
    let tok = env.ok(&["token", "create", "bob", "--name", "t"], "").trim().to_string();
    let w = Wicketd::start(
        &env,
        "[fastcgi]\nlisten = \"127.0.0.1:0\"\n[[rule]]\npath = \"^/app/closed/\"\npolicy = \"deny\"\n",
    );
    let (_echo, upstream) = echo_server();
    let a = Apache::start(env.dir.path(), "apache.conf", fastcgi_port(&w), upstream);
    let logs = || format!("apache:\n{}\nwicketd:\n{}", a.error_log(), w.log());

    // No credentials: 401 with wicketd's challenges (Apache joins them into one header).
    let r = curl(&[&a.url("/app/x")]);
    assert_eq!(r.status, 401, "{}", logs());
    for scheme in ["basic realm=\"wicket\"", "digest realm=\"wicket\"", "bearer realm=\"wicket\""] {
        assert!(r.headers.contains(scheme), "{scheme} missing: {}", r.headers);
    }
    assert_eq!(curl(&["-u", "alice:wrong", &a.url("/app/x")]).status, 401);

    // Basic, Digest, Bearer: the identity reaches the application, the client's own
    // identity headers and its credentials do not.
    let r = curl(&["-u", "alice:pw-alice", "-H", "Remote-User: mallory", &a.url("/app/x")]);
    assert_eq!(r.status, 200, "{}", logs());
    assert!(r.body.contains("remote-user: alice\n") && r.body.contains("remote-groups: admins\n"), "{}", r.body);
    assert!(!r.body.contains("mallory") && !r.body.contains("authorization"), "{}", r.body);
    let r = curl(&["--digest", "-u", "alice:pw-alice", &a.url("/app/x?q=1")]);
    assert_eq!(r.status, 200, "{}", logs());
    assert!(r.body.contains("remote-user: alice\n"), "{}", r.body);
    let r = curl(&["--oauth2-bearer", &tok, &a.url("/app/x")]);
    assert_eq!(r.status, 200, "{}", logs());
    assert!(r.body.contains("remote-user: bob\n"), "{}", r.body);

    // Groups per <Location>: /admin/ asks for admins.
    assert_eq!(curl(&["-u", "alice:pw-alice", &a.url("/admin/")]).status, 200);
    assert_eq!(curl(&["-u", "bob:pw-bob-1", &a.url("/admin/")]).status, 403);
    assert_eq!(curl(&[&a.url("/admin/")]).status, 401);

    // Forwarding headers from the client change nothing: wicketd reads Apache's own
    // variables, never the client's X-Forwarded-* / X-Original-*.
    let spoof = [
        "-H",
        "X-Original-URI: /app/x",
        "-H",
        "X-Forwarded-Uri: /app/x",
        "-H",
        "X-Original-Method: GET",
        "-H",
        "X-Forwarded-For: 10.9.9.9",
        "-H",
        "X-Real-IP: 10.9.9.9",
        "-H",
        "X-Forwarded-Host: elsewhere.example",
        "-H",
        "Wicket-Group: nobody",
    ];
    let with = |extra: &[&str], url: &str| {
        let mut args: Vec<&str> = spoof.to_vec();
        args.extend_from_slice(extra);
        args.push(url);
        curl(&args).status
    };
    assert_eq!(with(&["-u", "bob:pw-bob-1"], &a.url("/admin/")), 403);
    assert_eq!(with(&["-u", "alice:pw-alice"], &a.url("/app/closed/x")), 403, "{}", logs());
    assert_eq!(with(&[], &a.url("/app/x")), 401);

    let log = w.log();
    assert!(!log.contains("pw-alice") && !log.contains(&tok), "a secret reached the log");
    assert!(!log.contains("panicked"), "{log}");

    // The store becomes unreadable: 503 reaches the client.
    env.break_store();
    let status = env.once_broken(&503, || curl(&["-u", "alice:pw-alice", &a.url("/app/x")]).status);
    let r = curl(&["-u", "alice:pw-alice", &a.url("/app/x")]);
    assert_eq!((status, r.status), (503, 503), "{}", logs());
    assert!(r.headers.contains("retry-after: 5"), "{}", r.headers);
}
