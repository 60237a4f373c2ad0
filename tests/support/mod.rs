//! Shared helpers: find the built binaries, run them, make temporary stores.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod nss;
pub mod pam;
pub mod servers;
pub mod slapd;

/// Path of a workspace binary next to this test executable (`target/<profile>/NAME`).
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    // target/<profile>/deps/tests-HASH → target/<profile>/NAME
    let dir = exe.parent().and_then(Path::parent).unwrap_or_else(|| panic!("odd test path {}", exe.display()));
    let p = dir.join(name);
    assert!(p.exists(), "{} not built: run `cargo build --workspace` first", p.display());
    p
}

/// A throwaway directory holding a database path.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let db = dir.path().join("wicket.db");
        Self { dir, db }
    }

    /// Runs `wicket --db DB ARGS` with `stdin` piped in.
    pub fn wicket(&self, args: &[&str], stdin: &str) -> Output {
        let mut full: Vec<&str> = vec!["--db", self.db.to_str().unwrap_or_default()];
        full.extend_from_slice(args);
        run(&bin("wicket"), &full, stdin)
    }

    /// Like [`Env::wicket`] and asserts success.
    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.wicket(args, stdin);
        assert!(out.status.success(), "wicket {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Adds a user with a password.
    pub fn add_user(&self, name: &str, password: &str) {
        self.ok(&["user", "add", name, "--password-stdin"], &format!("{password}\n"));
    }

    /// `wicket check` as a bool.
    pub fn check(&self, name: &str, password: &str) -> bool {
        self.wicket(&["check", name, "--password-stdin"], &format!("{password}\n")).status.success()
    }
}

/// Runs a program with stdin, capturing output.
pub fn run(program: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    if let Some(mut s) = child.stdin.take() {
        let _ = s.write_all(stdin.as_bytes());
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("wait: {e}"))
}

/// True when `program` is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
