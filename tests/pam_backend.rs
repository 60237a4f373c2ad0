//! The PAM backend: real PAM stacks, under pam_wrapper (no root needed) and with pam_unix
//! against a real system account (as root).

use crate::support::pam::PAM_WRAPPER;
use crate::support::servers::{Wicketd, curl};
use crate::support::{Env, bin, feed, is_root, require, run, stderr};
use std::path::Path;
use std::process::Command;

const PAM_MATRIX: &str = "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so";

/// A pam_wrapper setup: a service dir with `wicket` using pam_matrix over a passdb.
fn wrapper_env(env: &Env) -> Vec<(&'static str, String)> {
    assert!(Path::new(PAM_WRAPPER).exists(), "libpam-wrapper is required; .ci/run installs it");
    let services = env.dir.path().join("pam.d");
    std::fs::create_dir_all(&services).unwrap_or_else(|e| panic!("{e}"));
    let passdb = env.dir.path().join("passdb");
    std::fs::write(&passdb, "pamuser:pam-secret:wicket\n").unwrap_or_else(|e| panic!("{e}"));
    let stack = format!(
        "auth required {PAM_MATRIX} passdb={p}\naccount required {PAM_MATRIX} passdb={p}\n",
        p = passdb.display()
    );
    std::fs::write(services.join("wicket"), stack).unwrap_or_else(|e| panic!("{e}"));
    vec![
        ("LD_PRELOAD", PAM_WRAPPER.to_string()),
        ("PAM_WRAPPER", "1".to_string()),
        ("PAM_WRAPPER_SERVICE_DIR", services.display().to_string()),
    ]
}

fn check(config: &Path, vars: &[(&str, String)], user: &str, pw: &str) -> std::process::Output {
    let mut cmd = Command::new(bin("wicket"));
    cmd.arg("--config").arg(config).args(["check", user, "--password-stdin"]);
    cmd.envs(vars.iter().map(|(k, v)| (*k, v.as_str())));
    feed(&mut cmd, &format!("{pw}\n"))
}

#[test]
fn pam_backend_under_pam_wrapper() {
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    let vars = wrapper_env(&env);
    let config = env.dir.path().join("pam.toml");
    let text = format!(
        "[store]\n{}\n[[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"pam\"\nservice = \"wicket\"\n",
        env.store_toml()
    );
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
    let ok = check(&config, &vars, "pamuser", "pam-secret");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("backend pam"));
    let bad = check(&config, &vars, "pamuser", "wrong");
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("backend pam"), "{}", stderr(&bad));
    // The local user is decided by the local backend; PAM never sees it.
    let local = check(&config, &vars, "alice", "pw-alice");
    assert!(String::from_utf8_lossy(&local.stdout).contains("backend local"));
    // Over HTTP, the same chain.
    let w = Wicketd::start_with_env(&env, "[[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"pam\"\n", &vars);
    let r = curl(&["-u", "pamuser:pam-secret", &w.url("/whoami")]);
    assert_eq!(r.status, 200, "{}", w.log());
    assert!(r.body.contains("\"backend\": \"pam\""), "{}", r.body);
    assert_eq!(curl(&["-u", "pamuser:wrong", &w.url("/whoami")]).status, 401);
    assert_eq!(curl(&["-u", "alice:pw-alice", &w.url("/whoami")]).status, 200);
}

/// Removes the test account and PAM service even when the test fails.
struct SystemAccount {
    user: String,
    service: std::path::PathBuf,
}

impl Drop for SystemAccount {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg("-r").arg(&self.user).stderr(std::process::Stdio::null()).status();
        let _ = std::fs::remove_file(&self.service);
    }
}

#[test]
fn pam_backend_with_pam_unix_and_a_real_account() {
    if !require(is_root(), "needs root to create a system account") {
        return;
    }
    let env = Env::new();
    let user = format!("wkt{}", std::process::id() % 100_000);
    let service = format!("wicket-test-{}", std::process::id());
    let guard = SystemAccount { user: user.clone(), service: Path::new("/etc/pam.d").join(&service) };
    let made = Command::new("useradd").args(["-M", "-s", "/usr/sbin/nologin", &user]).status();
    assert!(made.map(|s| s.success()).unwrap_or(false), "useradd failed");
    let set = run(Path::new("chpasswd"), &[], &format!("{user}:sys-secret-1\n"));
    assert!(set.status.success(), "chpasswd: {}", stderr(&set));
    std::fs::write(&guard.service, "auth required pam_unix.so nodelay\naccount required pam_unix.so\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let config = env.dir.path().join("pam.toml");
    std::fs::write(&config, format!("[[backend]]\nkind = \"pam\"\nservice = \"{service}\"\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let ok = check(&config, &[], &user, "sys-secret-1");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("backend pam"));
    let bad = check(&config, &[], &user, "wrong");
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    let unknown = check(&config, &[], "no-such-user-xyz", "whatever");
    assert_eq!(unknown.status.code(), Some(1));
    drop(guard);
}
