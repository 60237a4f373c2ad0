//! Caddy's `forward_auth` in front of wicketd, for real: Debian's caddy runs
//! `docs/examples/Caddyfile` with only its ports changed and its sites served over plain
//! HTTP, and the scenario of `support::proxied` drives it with curl.

use crate::support::proxied::{Backends, Proxy, assert_guarded};
use crate::support::servers::{STARTUP, raw_status, reserve_port};
use crate::support::upstream::Proc;
use crate::support::{have, require, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Caddy on its own port, no admin endpoint, no automatic HTTPS, its state in `dir`.
struct Caddy {
    proc: Proc,
    port: u16,
    log: PathBuf,
}

impl Caddy {
    fn start(dir: &Path, wicketd: u16, upstream: u16) -> Self {
        let port = reserve_port();
        let dir = dir.join(format!("caddy-{port}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/Caddyfile");
        let text = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        // Only ports change, and the sites are served over HTTP on the test's port.
        let sites = text
            .replace("127.0.0.1:8089", &format!("127.0.0.1:{wicketd}"))
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"))
            .replace("\napp.example.org {", &format!("\nhttp://app.example.org:{port} {{"))
            .replace("\nadmin.example.org {", &format!("\nhttp://admin.example.org:{port} {{"));
        assert!(sites.contains(&format!("http://admin.example.org:{port} {{")), "the example changed shape");
        let config = dir.join("Caddyfile");
        let global = "{\n\tadmin off\n\tauto_https off\n}\n";
        std::fs::write(&config, format!("{global}{sites}")).unwrap_or_else(|e| panic!("{e}"));
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
        let mut me = Self { proc: Proc(child), port, log };
        wait_until(STARTUP, "caddy to answer", || {
            if let Ok(Some(st)) = me.proc.0.try_wait() {
                panic!("caddy exited ({st}): {}", me.log());
            }
            raw_status(port, b"GET / HTTP/1.1\r\nHost: app.example.org\r\nConnection: close\r\n\r\n") != 0
        });
        me
    }

    fn log(&self) -> String {
        format!("caddy:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

#[test]
fn caddy_forward_auth_guards_sites() {
    if !require(have("caddy"), "caddy is not installed (scripts/test.sh installs it)") {
        return;
    }
    let b = Backends::start("");
    let c = Caddy::start(b.env.dir.path(), b.wicketd.port, b.upstream);
    let logs = || c.log();
    assert_guarded(&b, &Proxy { port: c.port, digest: true, retry_after: true, logs: &logs });
}
