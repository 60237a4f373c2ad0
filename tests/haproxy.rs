//! HAProxy in front of wicketd, for real: Debian's haproxy runs `docs/examples/haproxy.cfg`
//! with `docs/examples/wicket.lua`, only the ports and the script's path changed, and the
//! scenario of `support::proxied` drives it with curl.

use crate::support::proxied::{Backends, Proxy, assert_guarded};
use crate::support::servers::{STARTUP, raw_status, reserve_port};
use crate::support::upstream::Proc;
use crate::support::{have, require, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Haproxy {
    proc: Proc,
    port: u16,
    log: PathBuf,
}

impl Haproxy {
    fn start(dir: &Path, wicketd: u16, upstream: u16) -> Self {
        let port = reserve_port();
        let dir = dir.join(format!("haproxy-{port}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples");
        let read = |name: &str| {
            let p = examples.join(name);
            std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        let script = dir.join("wicket.lua");
        std::fs::write(&script, read("wicket.lua")).unwrap_or_else(|e| panic!("{e}"));
        let text = read("haproxy.cfg")
            .replace("/etc/haproxy/wicket.lua", &script.display().to_string())
            .replace("127.0.0.1:8089", &format!("127.0.0.1:{wicketd}"))
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"))
            .replace("bind :80\n", &format!("bind 127.0.0.1:{port}\n"));
        assert!(text.contains(&format!("bind 127.0.0.1:{port}\n")), "the example changed shape");
        let config = dir.join("haproxy.cfg");
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
        let log = dir.join("haproxy.log");
        let logf = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
        // -db: in the foreground, not as a daemon.
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().unwrap_or_else(|e| panic!("{e}")))
            .stderr(logf)
            .spawn()
            .unwrap_or_else(|e| panic!("haproxy: {e}"));
        let mut me = Self { proc: Proc(child), port, log };
        wait_until(STARTUP, "haproxy to answer", || {
            if let Ok(Some(st)) = me.proc.0.try_wait() {
                panic!("haproxy exited ({st}): {}", me.log());
            }
            raw_status(port, b"GET /x HTTP/1.1\r\nHost: app.example.org\r\nConnection: close\r\n\r\n") != 0
        });
        me
    }

    fn log(&self) -> String {
        format!("haproxy:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

#[test]
fn haproxy_lua_auth_request_guards_sites() {
    if !require(have("haproxy"), "haproxy is not installed (scripts/test.sh installs it)") {
        return;
    }
    let b = Backends::start("");
    let h = Haproxy::start(b.env.dir.path(), b.wicketd.port, b.upstream);
    let logs = || h.log();
    assert_guarded(&b, &Proxy { port: h.port, digest: true, retry_after: true, logs: &logs });
}
