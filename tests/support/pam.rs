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
