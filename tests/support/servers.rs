//! Real servers for the tests: wicketd and nginx on free loopback ports, stopped on drop.

use super::{Env, bin};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"))
}

/// One raw HTTP/1.1 GET; returns the status code (0 when the connection failed).
pub fn raw_status(port: u16, request: &[u8]) -> u16 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return 0 };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(request).is_err() {
        return 0;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not come up");
}

/// A running wicketd.
pub struct Wicketd {
    child: Child,
    pub port: u16,
    pub config: PathBuf,
    log: PathBuf,
}

impl Wicketd {
    /// Writes a config (store = the env's db, throttle without delays unless `extra`
    /// says otherwise) and starts wicketd on it.
    pub fn start(env: &Env, extra: &str) -> Self {
        Self::start_with_env(env, extra, &[])
    }

    /// Like [`Wicketd::start`] with extra environment variables (e.g. pam_wrapper's).
    pub fn start_with_env(env: &Env, extra: &str, vars: &[(&str, String)]) -> Self {
        let port = free_port();
        let config = env.dir.path().join(format!("wicketd-{port}.toml"));
        let has_throttle = extra.contains("[throttle]");
        let throttle = if has_throttle { "" } else { "[throttle]\ndelays = [\"0s\"]\n" };
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nsocket = \"{}/w.sock\"\n[store]\npath = \"{}\"\n{throttle}{extra}",
            env.dir.path().display(),
            env.db.display()
        );
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
        Self::spawn(env, config, port, vars)
    }

    fn spawn(env: &Env, config: PathBuf, port: u16, vars: &[(&str, String)]) -> Self {
        let log = env.dir.path().join(format!("wicketd-{port}.log"));
        let logf = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(bin("wicketd"))
            .arg("--config")
            .arg(&config)
            .env("WICKET_LOG", "debug")
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(logf)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn wicketd: {e}"));
        let me = Self { child, port, config, log };
        wait_until("wicketd", || {
            raw_status(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 200
        });
        me
    }

    /// Base URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends a signal (by name, e.g. "HUP").
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status();
        assert!(ok.map(|s| s.success()).unwrap_or(false), "kill -{sig} failed");
    }

    /// What wicketd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the process to exit; returns its exit code.
    pub fn wait(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Wicketd {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill").arg(self.child.id().to_string()).stderr(Stdio::null()).status();
        if self.wait().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A running nginx with a config from `tests/fixtures/`.
pub struct Nginx {
    child: Child,
    pub port: u16,
    prefix: PathBuf,
}

impl Nginx {
    /// Starts `nginx` from a template in which `@PORT@`, `@WICKET@` (wicketd's port) and
    /// `@PREFIX@` are substituted.
    pub fn start(dir: &Path, template: &str, wicket_port: u16) -> Self {
        let port = free_port();
        let prefix = dir.join(format!("nginx-{port}"));
        std::fs::create_dir_all(prefix.join("logs")).unwrap_or_else(|e| panic!("{e}"));
        let tpl = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(template);
        let text = std::fs::read_to_string(&tpl).unwrap_or_else(|e| panic!("{}: {e}", tpl.display()));
        let conf = text
            .replace("@PORT@", &port.to_string())
            .replace("@WICKET@", &wicket_port.to_string())
            .replace("@PREFIX@", &prefix.display().to_string());
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
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn nginx ({nginx}): {e}; .ci/run installs nginx-light"));
        let me = Self { child, port, prefix };
        wait_until("nginx", || raw_status(port, b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") == 200);
        me
    }

    /// Base URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// nginx's error log.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-QUIT").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Result of one curl call.
#[derive(Debug)]
pub struct Curl {
    pub status: u16,
    pub body: String,
    pub headers: String,
}

/// Runs `curl -s` with `args`, capturing status, final headers and body.
pub fn curl(args: &[&str]) -> Curl {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let hdr = dir.path().join("h");
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "20", "-D"])
        .arg(&hdr)
        .args(["-w", "\n%{http_code}"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("curl: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    Curl {
        status: code.trim().parse().unwrap_or(0),
        body: body.to_string(),
        headers: std::fs::read_to_string(&hdr).unwrap_or_default().to_ascii_lowercase(),
    }
}
