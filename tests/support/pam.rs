//! `pamtester` under `pam_wrapper` with the built `libpam_wicket.so`: service files written
//! per test, no change to the system's /etc/pam.d.

use super::{Env, bin, feed};
use std::path::{Path, PathBuf};
use std::process::Command;

/// pam_wrapper's preload library (package `libpam-wrapper`).
pub const PAM_WRAPPER: &str = "/usr/lib/x86_64-linux-gnu/libpam_wrapper.so";
/// A system module to stack after pam_wicket (`PAM_IGNORE` falls through to it).
pub const PAM_PERMIT: &str = "/usr/lib/x86_64-linux-gnu/security/pam_permit.so";

/// The module under test: `target/<profile>/libpam_wicket.so`.
pub fn module() -> PathBuf {
    bin("libpam_wicket.so")
}

/// A directory of PAM service files for `PAM_WRAPPER_SERVICE_DIR`.
pub struct Services {
    pub dir: PathBuf,
}

impl Services {
    /// `<env>/pam.d`, with the `other` file pam_wrapper looks for.
    pub fn new(env: &Env) -> Self {
        assert!(Path::new(PAM_WRAPPER).exists(), "libpam-wrapper is required (apt-get install libpam-wrapper)");
        let dir = env.dir.path().join("pam.d");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("other"), "").unwrap_or_else(|e| panic!("{e}"));
        Self { dir }
    }

    /// Writes service `name`: `@MODULE@` in `stack` becomes the built module's path.
    pub fn add(&self, name: &str, stack: &str) {
        let text = stack.replace("@MODULE@", &module().display().to_string());
        std::fs::write(self.dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Writes service `name` with pam_wicket alone in all four stacks, `args` on each line.
    pub fn wicket_only(&self, name: &str, args: &str) {
        let stack: String = ["auth", "account", "password", "session"]
            .iter()
            .map(|kind| format!("{kind} required @MODULE@ {args}\n"))
            .collect();
        self.add(name, &stack);
    }
}

/// What one pamtester run did.
#[derive(Debug)]
pub struct PamRun {
    pub success: bool,
    pub stdout: String,
    /// pamtester's messages and pam_wrapper's copy of the module's syslog lines.
    pub stderr: String,
}

impl PamRun {
    /// True when pamtester printed `message` (e.g. pam_strerror's text for a code).
    pub fn says(&self, message: &str) -> bool {
        self.stdout.contains(message) || self.stderr.contains(message)
    }
}

/// The environment that runs a program under pam_wrapper with `services`.
pub fn wrapper_env(services: &Services) -> Vec<(&'static str, String)> {
    vec![
        ("LD_PRELOAD", PAM_WRAPPER.to_string()),
        ("PAM_WRAPPER", "1".to_string()),
        ("PAM_WRAPPER_SERVICE_DIR", services.dir.display().to_string()),
        ("PAM_WRAPPER_DEBUGLEVEL", "2".to_string()),
    ]
}

/// Runs `pamtester SERVICE USER OPS…` under pam_wrapper, feeding `stdin` to the prompts;
/// as `as_user` (via `setpriv`) when given. The module's log lines (up to LOG_DEBUG) come
/// back in stderr; pam_wrapper's own trace level, which prints items, stays off.
pub fn pamtester(
    services: &Services,
    service: &str,
    user: &str,
    ops: &[&str],
    stdin: &str,
    as_user: Option<&str>,
) -> PamRun {
    let wrapper = wrapper_env(services);
    let mut cmd = match as_user {
        // pam_wrapper must not be preloaded into setpriv itself: its temporary directory
        // would outlive the exec. `env` sets it for pamtester only.
        Some(who) => {
            let mut c = Command::new("setpriv");
            c.args([&format!("--reuid={who}"), "--regid=nogroup", "--clear-groups", "env"]);
            c.args(wrapper.iter().map(|(k, v)| format!("{k}={v}")));
            c.arg("pamtester");
            c
        }
        None => {
            let mut c = Command::new("pamtester");
            c.envs(wrapper.iter().map(|(k, v)| (*k, v.as_str())));
            c
        }
    };
    cmd.arg(service).arg(user).args(ops);
    let out = feed(&mut cmd, stdin);
    PamRun {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// RFC 4648 base32 without padding, decoded (the `secret:` line of `wicket user totp enroll`).
pub fn base32_decode(text: &str) -> Vec<u8> {
    let (mut bits, mut acc, mut out) = (0u32, 0u64, Vec::new());
    for c in text.trim().bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {text:?}"),
        };
        acc = (acc << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// The TOTP code of `secret` now, by the real clock. Computed right before it is sent: the
/// server accepts ±1 step, so a step boundary in between does not matter.
pub fn code_now(secret: &[u8]) -> String {
    use wicket_core::totp::otp;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    otp::totp_at_step(secret, otp::time_step(i64::try_from(now).unwrap_or(0), otp::PERIOD), otp::DIGITS)
}

/// The code of the next time step: still inside the ±1 window, and unused after an
/// enrolment confirmed a moment ago with [`code_now`] (each step's code counts once).
pub fn next_code(secret: &[u8]) -> String {
    use wicket_core::totp::otp;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    otp::totp_at_step(secret, otp::time_step(i64::try_from(now).unwrap_or(0), otp::PERIOD) + 1, otp::DIGITS)
}

/// A code that is wrong for every step of the window around now.
pub fn wrong_code(secret: &[u8]) -> String {
    use wicket_core::totp::otp;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let step = otp::time_step(i64::try_from(now).unwrap_or(0), otp::PERIOD);
    (0..1_000_000)
        .map(|c| format!("{c:06}"))
        .find(|c| otp::matching_step(secret, c, step, 2).is_none())
        .unwrap_or_default()
}

/// `wicket --config CONFIG user totp enroll USER`, confirmed with a code computed from the
/// secret it prints (the way a user types the app's first code); returns the secret.
pub fn enroll(config: &Path, user: &str) -> Vec<u8> {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let mut child = Command::new(bin("wicket"))
        .args(["--config", &config.display().to_string(), "user", "totp", "enroll", user])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("wicket: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut secret = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap_or_else(|e| panic!("{e}"));
        if let Some(s) = line.strip_prefix("secret: ") {
            secret = Some(base32_decode(s));
            break;
        }
    }
    let secret = secret.unwrap_or_else(|| panic!("enroll printed no secret"));
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    writeln!(stdin, "{}", code_now(&secret)).unwrap_or_else(|e| panic!("{e}"));
    drop(stdin);
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "enroll {user}: {}", String::from_utf8_lossy(&out.stderr));
    secret
}
