//! A throwaway PostgreSQL cluster (Debian's `postgresql` package): `initdb` in a temporary
//! directory owned by the `postgres` system user (PostgreSQL refuses to run as root), a
//! server on a reserved loopback port and a Unix socket in that directory, `fsync=off`,
//! trust authentication for the superuser `wicket`. Stopped and removed on drop.

use super::servers::reserve_port;
use super::{is_root, run};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Where Debian 12 installs the server's programs.
const BIN: &str = "/usr/lib/postgresql/15/bin";

/// One running cluster.
pub struct Postgres {
    dir: tempfile::TempDir,
    pub port: u16,
}

impl Postgres {
    /// True when the server's programs are installed.
    pub fn installed() -> bool {
        Path::new(BIN).join("initdb").exists()
    }

    /// Makes and starts a cluster.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        if is_root() {
            let out = run(Path::new("chown"), &["postgres:", dir.path().to_str().unwrap_or_default()], "");
            assert!(out.status.success(), "chown: {}", String::from_utf8_lossy(&out.stderr));
        }
        let me = Self { dir, port: reserve_port() };
        let data = me.data();
        let data = data.to_str().unwrap_or_default();
        me.ok("initdb", &["-D", data, "-U", "wicket", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"]);
        me.start_server();
        me
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of the server's programs as the `postgres` user (when root) and asserts success.
    fn ok(&self, program: &str, args: &[&str]) -> Output {
        let exe = format!("{BIN}/{program}");
        let out = if is_root() {
            let mut full = vec!["-u", "postgres", "--", exe.as_str()];
            full.extend_from_slice(args);
            run(Path::new("runuser"), &full, "")
        } else {
            run(Path::new(&exe), args, "")
        };
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn start_server(&self) {
        let data = self.data();
        let log = self.dir.path().join("server.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        self.ok("pg_ctl", &["-D", path(&data), "-l", path(&log), "-o", &options, "-w", "-t", "30", "start"]);
    }

    /// Stops the server at once (connections are cut).
    pub fn stop_server(&self) {
        self.ok("pg_ctl", &["-D", path(&self.data()), "-m", "fast", "-w", "stop"]);
    }

    /// Creates a database; returns its TCP URL.
    pub fn create_db(&self, name: &str) -> String {
        let port = self.port.to_string();
        self.ok("createdb", &["-h", path(self.dir.path()), "-p", &port, "-U", "wicket", name]);
        self.url(name)
    }

    /// `postgresql://` over TCP on loopback.
    pub fn url(&self, db: &str) -> String {
        format!("postgresql://wicket@127.0.0.1:{}/{db}?sslmode=disable", self.port)
    }

    /// The Unix-socket form of the URL.
    pub fn socket_url(&self, db: &str) -> String {
        format!("postgresql://wicket@/{db}?host={}&port={}", self.dir.path().display(), self.port)
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let args = ["-D", path(&data), "-m", "immediate", "-w", "stop"];
        let exe = format!("{BIN}/pg_ctl");
        // Best effort: already stopped is fine.
        let _ = if is_root() {
            let mut full = vec!["-u", "postgres", "--", exe.as_str()];
            full.extend_from_slice(&args);
            run(Path::new("runuser"), &full, "")
        } else {
            run(Path::new(&exe), &args, "")
        };
    }
}
