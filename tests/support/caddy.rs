//! Debian's caddy, run by the tests from an example Caddyfile with only its ports changed:
//! the sites are served over plain HTTP on the test's own port, with no admin endpoint, no
//! automatic HTTPS, and its state in a directory of the test's.

use crate::support::servers::{STARTUP, raw_status};
use crate::support::upstream::Proc;
use crate::support::wait_until;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running caddy.
pub struct Caddy {
    _proc: Proc,
    /// Where it listens.
    pub port: u16,
    log: PathBuf,
}

impl Caddy {
    /// Starts caddy on `port` from `docs/examples/<example>`, with wicketd's and the
    /// upstream's ports put in and each of `sites` (`app.example.org`, …) served over HTTP.
    pub fn start(dir: &Path, example: &str, port: u16, wicketd: u16, upstream: u16, sites: &[&str]) -> Self {
        let dir = dir.join(format!("caddy-{port}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples").join(example);
        let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        text = text
            .replace("127.0.0.1:8089", &format!("127.0.0.1:{wicketd}"))
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"));
        for site in sites {
            let served = format!("\nhttp://{site}:{port} {{");
            text = text.replace(&format!("\n{site} {{"), &served);
            assert!(text.contains(&served), "{example}: no site {site}: the example changed shape");
        }
        let config = dir.join("Caddyfile");
        std::fs::write(&config, format!("{{\n\tadmin off\n\tauto_https off\n}}\n{text}"))
            .unwrap_or_else(|e| panic!("{e}"));
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
        let mut me = Self { _proc: Proc(child), port, log };
        let probe = format!("GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", sites[0]);
        wait_until(STARTUP, "caddy to answer", || {
            if let Ok(Some(st)) = me._proc.0.try_wait() {
                panic!("caddy exited ({st}): {}", me.log());
            }
            raw_status(port, probe.as_bytes()) != 0
        });
        me
    }

    /// Its log.
    pub fn log(&self) -> String {
        format!("caddy:\n{}", std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}
