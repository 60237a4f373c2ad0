//! Real servers for the tests: wicketd (on port 0, reading back the port it bound) and
//! nginx (on a port from this process's own range), stopped on drop.

use super::{Env, bin, poll, wait_for};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

/// How long a server may take to come up or go down before the test fails.
pub const STARTUP: Duration = Duration::from_secs(15);

/// A loopback port for a server that cannot bind port 0 and report it (nginx, slapd).
///
/// Ports come from a range of 100 below the kernel's ephemeral range (32768+, where port-0
/// binds and outgoing connections land), chosen by this process's id, and are handed out
/// once each: two tests of this process never get the same port, and a port something else
/// is bound to is passed over. Another process on the machine could still take one between
/// this check and the server's bind; the server then fails to start, loudly.
pub fn reserve_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 127) as u16 * 100;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(n < 100, "this test process used up its 100 ports");
        let port = base + n;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// One raw HTTP/1.1 request; returns the status code (0 when the connection failed).
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

/// Waits up to `limit` for `child` to exit; its exit code (`None` if killed by a signal),
/// or `Err(())` when it is still running.
fn wait_exit(child: &mut Child, limit: Duration) -> Result<Option<i32>, ()> {
    poll(limit, || child.try_wait().ok().flatten()).map(|st| st.code()).ok_or(())
}

/// Stops `child`: `kill -SIG`, then SIGKILL if it is still there after `limit`.
pub(super) fn stop(child: &mut Child, sig: &str, limit: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill").arg(format!("-{sig}")).arg(child.id().to_string()).stderr(Stdio::null()).status();
    if wait_exit(child, limit).is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The port in wicketd's `listening on http://ADDR` log line, once it is there.
pub fn reported_port(log: &str) -> Option<u16> {
    log.lines()
        .find_map(|l| l.split("listening on http://").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.rsplit_once(':'))
        .and_then(|(_, port)| port.parse().ok())
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
        Self::start_full(env, "", extra, vars)
    }

    /// The general case: `server` holds extra `[server]` keys (e.g. `realm = "x"\n`).
    pub fn start_full(env: &Env, server: &str, extra: &str, vars: &[(&str, String)]) -> Self {
        let config = env.dir.path().join("wicketd.toml");
        let text = Self::config_text(env, server, extra);
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
        Self::spawn(env, config, vars)
    }

    /// The config [`Wicketd::start_full`] writes: port 0 (wicketd reports the port it bound),
    /// the socket `w.sock` and the store in the env's directory, and a throttle without delays
    /// unless `extra` has a `[throttle]` table.
    pub fn config_text(env: &Env, server: &str, extra: &str) -> String {
        let throttle = if extra.contains("[throttle]") { "" } else { "[throttle]\ndelays = [\"0s\"]\n" };
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nsocket = \"{}/w.sock\"\n{server}[store]\n{}\n{throttle}{extra}",
            env.dir.path().display(),
            env.store_toml()
        )
    }

    pub fn spawn(env: &Env, config: PathBuf, vars: &[(&str, String)]) -> Self {
        let log = env.dir.path().join("wicketd.log");
        assert!(!log.exists(), "one wicketd per Env");
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
        let mut me = Self { child, port: 0, config, log };
        // main.rs logs `listening on http://ADDR` with the address it bound, after binding
        // the local socket too.
        me.port = wait_for(STARTUP, "wicketd to report its port", || {
            if let Ok(Some(st)) = me.child.try_wait() {
                panic!("wicketd exited ({st}): {}", me.log());
            }
            reported_port(&me.log())
        });
        assert_eq!(me.get("/healthz"), 200, "{}", me.log());
        me
    }

    /// Status of a plain `GET path` (0 when the connection failed).
    pub fn get(&self, path: &str) -> u16 {
        raw_status(self.port, format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
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
    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the process to exit; returns its exit code.
    /// Waits for the process to exit and returns its exit code; fails the test when it is
    /// still running after [`STARTUP`].
    pub fn wait(&mut self) -> Option<i32> {
        wait_exit(&mut self.child, STARTUP).unwrap_or_else(|()| panic!("wicketd still running: {}", self.log()))
    }
}

impl Drop for Wicketd {
    fn drop(&mut self) {
        stop(&mut self.child, "TERM", STARTUP);
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
        let port = reserve_port();
        let prefix = dir.join(format!("nginx-{port}"));
        std::fs::create_dir_all(prefix.join("logs")).unwrap_or_else(|e| panic!("{e}"));
        let tpl = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(template);
        let text = std::fs::read_to_string(&tpl).unwrap_or_else(|e| panic!("{}: {e}", tpl.display()));
        let conf = text
            .replace("@PORT@", &port.to_string())
            .replace("@WICKET@", &wicket_port.to_string())
            .replace("@PREFIX@", &prefix.display().to_string());
        Self::run(prefix, &conf, port, port, "/ping")
    }

    /// Runs nginx with `conf` under `prefix` (which has a `logs/` directory), listening on
    /// `port`, and waits until `GET probe` on `probe_port` answers 200.
    pub fn run(prefix: PathBuf, conf: &str, port: u16, probe_port: u16, probe: &str) -> Self {
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
        let mut me = Self { child, port, prefix };
        let request = format!("GET {probe} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        super::wait_until(STARTUP, "nginx to answer", || {
            if let Ok(Some(st)) = me.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = me.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("nginx exited ({st}): {err}{}", me.error_log());
            }
            raw_status(probe_port, request.as_bytes()) == 200
        });
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
        stop(&mut self.child, "QUIT", Duration::from_secs(5));
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
