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
    /// TCP only with TLS (a certificate for `localhost` from [`Postgres::ca_file`]).
    tls: bool,
}

impl Postgres {
    /// True when the server's programs are installed.
    pub fn installed() -> bool {
        Path::new(BIN).join("initdb").exists()
    }

    /// Makes and starts a cluster.
    pub fn start() -> Self {
        Self::make(false)
    }

    /// A cluster that takes TCP connections only over TLS, with a certificate for
    /// `localhost` signed by a CA of its own ([`Postgres::ca_file`]); the Unix socket stays
    /// open without TLS for the tests' own use.
    pub fn start_tls() -> Self {
        Self::make(true)
    }

    fn make(tls: bool) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let me = Self { dir, port: reserve_port(), tls };
        if tls {
            me.certificates();
        }
        if is_root() {
            let out = run(Path::new("chown"), &["-R", "postgres:", path(me.dir.path())], "");
            assert!(out.status.success(), "chown: {}", String::from_utf8_lossy(&out.stderr));
        }
        let data = me.data();
        let data = data.to_str().unwrap_or_default();
        me.ok("initdb", &["-D", data, "-U", "wicket", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"]);
        if tls {
            let hba = "local all all trust\nhostssl all all 127.0.0.1/32 trust\n";
            std::fs::write(me.data().join("pg_hba.conf"), hba).unwrap_or_else(|e| panic!("{e}"));
        }
        me.start_server();
        me
    }

    /// The CA that signed a TLS cluster's certificate (PEM).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The directory of the Unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A CA and a server certificate for `localhost` (P-256), with the openssl command.
    fn certificates(&self) {
        let d = self.dir.path().display();
        let ext = "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
        std::fs::write(self.dir.path().join("server.ext"), ext).unwrap_or_else(|e| panic!("{e}"));
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        // The temporary directory's path has no spaces: each command splits on them.
        for cmd in [
            format!(
                "req -x509 {key} -days 2 -subj /CN=wicket-test-ca -addext basicConstraints=critical,CA:TRUE \
                 -addext keyUsage=critical,keyCertSign -keyout {d}/ca.key -out {d}/ca.pem"
            ),
            format!("req {key} -subj /CN=localhost -keyout {d}/server.key -out {d}/server.csr"),
            format!(
                "x509 -req -days 2 -CAcreateserial -in {d}/server.csr -CA {d}/ca.pem -CAkey {d}/ca.key \
                 -out {d}/server.pem -extfile {d}/server.ext"
            ),
        ] {
            let args: Vec<&str> = cmd.split_whitespace().collect();
            let out = run(Path::new("openssl"), &args, "");
            assert!(out.status.success(), "openssl {cmd}: {}", String::from_utf8_lossy(&out.stderr));
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.dir.path().join("server.key"), std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("{e}"));
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
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        if self.tls {
            let d = self.dir.path().display();
            options.push_str(&format!(" -c ssl=on -c ssl_cert_file={d}/server.pem -c ssl_key_file={d}/server.key"));
        }
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
