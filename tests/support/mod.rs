//! Shared helpers: find the built binaries, run them, make temporary stores, wait with a
//! deadline, and skip honestly.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod caddy;
pub mod envoy;
pub mod nss;
pub mod pam;
pub mod pgdb;
pub mod postgres;
pub mod proxied;
pub mod servers;
pub mod slapd;
pub mod upstream;

/// Path of a workspace binary next to this test executable (`target/<profile>/NAME`).
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    // target/<profile>/deps/tests-HASH → target/<profile>/NAME
    let dir = exe.parent().and_then(Path::parent).unwrap_or_else(|| panic!("odd test path {}", exe.display()));
    let p = dir.join(name);
    assert!(p.exists(), "{} not built: run `cargo build --workspace` first", p.display());
    p
}

/// A throwaway directory and the store of one test: an SQLite file in that directory or,
/// when the suite runs on PostgreSQL ([`pg_mode`]), a database of its own.
pub struct Env {
    pub dir: tempfile::TempDir,
    /// The SQLite file (absent in a PostgreSQL run).
    pub db: PathBuf,
    /// This test's PostgreSQL database in a PostgreSQL run.
    pub pg: Option<pgdb::PgDb>,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let db = dir.path().join("wicket.db");
        Self { dir, db, pg: pgdb::PgDb::for_run() }
    }

    /// What `wicket --db` takes: the file, or the database's URL.
    pub fn store_arg(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => self.db.display().to_string(),
        }
    }

    /// The `[store]` table's line naming the store: `path = "…"` or `url = "…"`.
    pub fn store_toml(&self) -> String {
        match &self.pg {
            Some(pg) => format!("url = \"{}\"", pg.url),
            None => format!("path = \"{}\"", self.db.display()),
        }
    }

    /// Makes the store unusable for the wicketd reading it: garbage over the SQLite file,
    /// or the PostgreSQL database closed to connections and its sessions ended.
    pub fn break_store(&self) {
        match &self.pg {
            Some(pg) => pg.close(),
            None => upstream::corrupt_store(&self.db),
        }
    }

    /// What `probe` answers once the store's loss has reached wicketd after
    /// [`Env::break_store`]: at once with SQLite (every check reads the file); with
    /// PostgreSQL once wicketd's listening connection has seen its end (wicketd trusts its
    /// last word for at most 1.5 s), polled for `want` up to [`servers::STARTUP`].
    pub fn once_broken<T: PartialEq>(&self, want: &T, mut probe: impl FnMut() -> T) -> T {
        if self.pg.is_some() {
            poll(servers::STARTUP, || Some(probe()).filter(|got| got == want));
        }
        probe()
    }

    /// Runs `wicket --db STORE ARGS` with `stdin` piped in.
    pub fn wicket(&self, args: &[&str], stdin: &str) -> Output {
        let store = self.store_arg();
        let mut full: Vec<&str> = vec!["--db", &store];
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

    /// A read-only SQLite connection to the store (to look at it without Wicket). SQLite
    /// only: a test using it does not run on PostgreSQL (`scripts/test.sh` skips it there).
    pub fn sql(&self) -> rusqlite::Connection {
        assert!(self.pg.is_none(), "an SQLite-only test in the PostgreSQL run: skip it there (scripts/test.sh)");
        rusqlite::Connection::open_with_flags(&self.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("{}: {e}", self.db.display()))
    }

    /// The password hash column of `user`'s row.
    pub fn stored_hash(&self, user: &str) -> String {
        const Q: &str = "SELECT password_hash FROM users WHERE name = $1";
        match &self.pg {
            Some(pg) => pg.query_one(Q, user, |r| r.get(0)),
            None => self.sql().query_row(Q, [user], |r| r.get::<_, String>(0)).map_err(|e| e.to_string()),
        }
        .unwrap_or_else(|e| panic!("the hash of {user}: {e}"))
    }

    /// How many Digest HA1 values the store holds for `user`.
    pub fn ha1_rows(&self, user: &str) -> i64 {
        const Q: &str =
            "SELECT COUNT(*) FROM digest_ha1 JOIN users ON users.id = digest_ha1.user_id WHERE users.name = $1";
        match &self.pg {
            Some(pg) => pg.query_one(Q, user, |r| r.get(0)),
            None => self.sql().query_row(Q, [user], |r| r.get(0)).map_err(|e| e.to_string()),
        }
        .unwrap_or_else(|e| panic!("the HA1 rows of {user}: {e}"))
    }

    /// The names of the stored users, sorted.
    pub fn user_names(&self) -> Vec<String> {
        if self.pg.is_none() && !self.db.exists() {
            return Vec::new();
        }
        self.query_texts("SELECT name FROM users ORDER BY name")
    }

    /// The `[store]` section naming this test's store (its other keys at their defaults).
    pub fn store_config(&self) -> wicket_core::config::StoreConfig {
        let mut cfg = wicket_core::config::StoreConfig::default();
        match &self.pg {
            Some(pg) => {
                cfg.url = Some(wicket_core::config::StoreUrl::parse(&pg.url).unwrap_or_else(|e| panic!("{e}")));
            }
            None => cfg.path = self.db.clone(),
        }
        cfg
    }

    /// The store opened in-process, wherever it is (to write what only wicketd writes, or
    /// to check it through the store's own reading).
    pub fn open_store(&self) -> Box<dyn wicket_core::store::UserStore> {
        wicket_core::store::open_store(&self.store_config()).unwrap_or_else(|e| panic!("{}: {e}", self.store_arg()))
    }

    /// The first column of every row of `sql`, which must give text on both stores (and use
    /// only SQL both speak: `||`, `CASE`, `COUNT(*)` cast with `CAST(… AS TEXT)`).
    pub fn query_texts(&self, sql: &str) -> Vec<String> {
        if let Some(pg) = &self.pg {
            return pg.query_all(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let db = self.sql();
        let mut stmt = db.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        stmt.query_map([], |r| r.get(0)).and_then(Iterator::collect).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// What the store holds, to compare before and after a command: the SQLite file's bytes
    /// (with its `-wal` and `-journal` files), or every row of the PostgreSQL database as
    /// text ([`pgdb::PgDb::snapshot`]).
    pub fn stored_bytes(&self) -> Vec<u8> {
        if let Some(pg) = &self.pg {
            return pg.snapshot().unwrap_or_else(|e| panic!("the rows of the store: {e}")).into_bytes();
        }
        let mut all = std::fs::read(&self.db).unwrap_or_default();
        for ext in ["-wal", "-journal"] {
            let mut p = self.db.clone().into_os_string();
            p.push(ext);
            all.extend(std::fs::read(p).unwrap_or_default());
        }
        all
    }

    /// True when `secret` is anywhere in the store: in the SQLite files' bytes, or in any
    /// column of any row of the PostgreSQL database (as text, or as bytes shown in hex).
    pub fn store_holds(&self, secret: &str) -> bool {
        let held = self.stored_bytes();
        let has = |needle: &[u8]| !needle.is_empty() && held.windows(needle.len()).any(|w| w == needle);
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        has(secret.as_bytes()) || (self.pg.is_some() && has(hex.as_bytes()))
    }

    /// `wicket check` as a bool.
    pub fn check(&self, name: &str, password: &str) -> bool {
        self.wicket(&["check", name, "--password-stdin"], &format!("{password}\n")).status.success()
    }
}

/// Runs a program with stdin, capturing output.
pub fn run(program: &Path, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args);
    feed(&mut cmd, stdin)
}

/// Spawns `cmd` with stdout and stderr captured, writes `stdin` to it, and waits.
pub fn feed(cmd: &mut Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {:?}: {e}", cmd.get_program()));
    if let Some(mut s) = child.stdin.take() {
        let _ = s.write_all(stdin.as_bytes());
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("wait: {e}"))
}

/// True when the tests run in CI (`CI=true`), where a missing environment is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Where skips are recorded, one line each: `$WICKET_SKIP_LOG`, or `target/skipped.txt`
/// next to the test executable's profile directory.
pub fn skip_log() -> PathBuf {
    if let Some(p) = std::env::var_os("WICKET_SKIP_LOG") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
    // target/<profile>/deps/tests-HASH → target
    exe.ancestors().nth(3).unwrap_or(Path::new(".")).join("skipped.txt")
}

/// Says whether a test can go on. When `cond` holds: true. Otherwise, in CI, the test fails
/// with `why`; outside CI it prints `skipped: <why>`, records the skip in [`skip_log`] and
/// returns false, and the test returns at once:
/// `if !require(is_root(), "needs root") { return; }`.
#[track_caller]
pub fn require(cond: bool, why: &str) -> bool {
    if cond {
        return true;
    }
    let at = std::panic::Location::caller();
    assert!(!in_ci(), "missing test environment in CI (CI=true): {why} ({at})");
    eprintln!("skipped: {why}");
    let line = format!("{}: {at}: {why}\n", std::thread::current().name().unwrap_or("test"));
    let log = skip_log();
    let written =
        std::fs::OpenOptions::new().create(true).append(true).open(&log).and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!("(could not record the skip in {}: {e})", log.display());
    }
    false
}

/// Polls `probe` every 20 ms until it returns `Some`, for at most `limit`; `None` after that.
pub fn poll<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Like [`poll`], and fails the test, naming `what`, when the deadline passes.
#[track_caller]
pub fn wait_for<T>(limit: Duration, what: &str, probe: impl FnMut() -> Option<T>) -> T {
    poll(limit, probe).unwrap_or_else(|| panic!("gave up after {limit:?} waiting for {what}"))
}

/// Waits until `cond` holds; fails the test, naming `what`, when `limit` passes first.
#[track_caller]
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    wait_for(limit, what, || cond().then_some(()));
}

/// True when the tests run as root.
pub fn is_root() -> bool {
    String::from_utf8_lossy(&run(Path::new("id"), &["-u"], "").stdout).trim() == "0"
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
