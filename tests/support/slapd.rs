//! A real OpenLDAP `slapd` for the LDAP tests: its own config (tests/fixtures/ldap/slapd.conf),
//! an mdb database in a temp dir loaded with tests/fixtures/ldap/people.ldif by `slapadd`, a
//! CA and server certificate made with the `openssl` CLI, `ldap://` (with StartTLS) and
//! `ldaps://` listeners on free loopback ports. Stopped on drop; `stop`/`start` for outages.
//! Never touches the system's slapd instance. Needs the Debian packages `slapd`, `ldap-utils`
//! and `openssl`.
//!
//! Every fixture password is `pw-NAME` (`pw-alice`, `pw-reader`, …).

use super::servers::{STARTUP, reserve_port, stop};
use std::collections::HashMap;
use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// The fixture's naming context and well-known DNs.
pub const PEOPLE: &str = "ou=people,dc=example,dc=org";
pub const GROUPS: &str = "ou=groups,dc=example,dc=org";
pub const READER_DN: &str = "cn=reader,dc=example,dc=org";

/// How to configure the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `allow bind_anon_dn`: a DN with an empty password binds (unauthenticated bind).
    pub allow_bind_anon_dn: bool,
    /// No TLS at all (no ldaps:// listener, StartTLS refused).
    pub no_tls: bool,
}

/// A running (or stopped) slapd.
pub struct Slapd {
    dir: tempfile::TempDir,
    /// `ldap://` port (StartTLS available unless `no_tls`).
    pub port: u16,
    /// `ldaps://` port (unused with `no_tls`).
    pub tls_port: u16,
    child: Option<Child>,
    no_tls: bool,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ldap").join(name)
}

fn sbin(name: &str) -> PathBuf {
    ["/usr/sbin", "/usr/bin", "/sbin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} not found: apt-get install slapd ldap-utils"))
}

fn must(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `slappasswd` hashes, made once per test process (each costs a process start).
fn hash(password: &str) -> String {
    static HASHES: OnceLock<std::sync::Mutex<HashMap<String, String>>> = OnceLock::new();
    let map = HASHES.get_or_init(Default::default);
    if let Some(h) = map.lock().unwrap_or_else(|e| e.into_inner()).get(password) {
        return h.clone();
    }
    let h =
        must(Command::new(sbin("slappasswd")).args(["-h", "{SSHA}", "-s", password]), "slappasswd").trim().to_string();
    map.lock().unwrap_or_else(|e| e.into_inner()).insert(password.to_string(), h.clone());
    h
}

/// Makes a CA (`NAME.pem`, `NAME.key`) in `dir`.
pub fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let pem = dir.join(format!("{name}.pem"));
    must(
        Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
            .arg("-keyout")
            .arg(dir.join(format!("{name}.key")))
            .arg("-out")
            .arg(&pem)
            .args(["-subj", &format!("/CN=Wicket test {name}")])
            .args(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]),
        "openssl req (CA)",
    );
    pem
}

/// A server certificate for 127.0.0.1 and localhost, signed by the CA `ca` in `dir`.
fn make_server_cert(dir: &Path, ca: &str) {
    must(
        Command::new("openssl")
            .args(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost"])
            .arg("-keyout")
            .arg(dir.join("server.key"))
            .arg("-out")
            .arg(dir.join("server.csr")),
        "openssl req (server)",
    );
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    must(
        Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
            .arg("-in")
            .arg(dir.join("server.csr"))
            .arg("-CA")
            .arg(dir.join(format!("{ca}.pem")))
            .arg("-CAkey")
            .arg(dir.join(format!("{ca}.key")))
            .arg("-out")
            .arg(dir.join("server.pem"))
            .arg("-extfile")
            .arg(&ext),
        "openssl x509 (sign)",
    );
}

impl Slapd {
    /// The default server: TLS on, unauthenticated binds refused (slapd's default).
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    /// Configures, loads and starts a server.
    pub fn start_with(opts: Options) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let d = dir.path();
        std::fs::create_dir(d.join("db")).unwrap_or_else(|e| panic!("{e}"));
        let tls = if opts.no_tls {
            String::new()
        } else {
            make_ca(d, "ca");
            make_server_cert(d, "ca");
            format!(
                "TLSCACertificateFile {0}/ca.pem\nTLSCertificateFile {0}/server.pem\nTLSCertificateKeyFile {0}/server.key\n",
                d.display()
            )
        };
        let extra = if opts.allow_bind_anon_dn { "allow bind_anon_dn" } else { "" };
        let conf = std::fs::read_to_string(fixture("slapd.conf"))
            .unwrap_or_else(|e| panic!("{e}"))
            .replace("@DIR@", &d.display().to_string())
            .replace("@TLS@", &tls)
            .replace("@EXTRA@", extra)
            .replace("@ROOTPW@", &hash("pw-admin"));
        std::fs::write(d.join("slapd.conf"), conf).unwrap_or_else(|e| panic!("{e}"));
        let mut ldif = std::fs::read_to_string(fixture("people.ldif")).unwrap_or_else(|e| panic!("{e}"));
        while let Some(start) = ldif.find("@PW:") {
            let end = ldif[start + 4..].find('@').map(|i| start + 4 + i).unwrap_or_else(|| panic!("bad @PW:@"));
            let name = ldif[start + 4..end].to_string();
            ldif.replace_range(start..=end, &hash(&format!("pw-{name}")));
        }
        std::fs::write(d.join("people.ldif"), ldif).unwrap_or_else(|e| panic!("{e}"));
        must(
            Command::new(sbin("slapadd"))
                .arg("-q")
                .arg("-f")
                .arg(d.join("slapd.conf"))
                .arg("-l")
                .arg(d.join("people.ldif")),
            "slapadd",
        );
        let port = reserve_port();
        let tls_port = reserve_port();
        let mut me = Self { dir, port, tls_port, child: None, no_tls: opts.no_tls };
        me.start_again();
        me
    }

    /// (Re)starts the stopped server on the same ports and database.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "slapd is already running");
        let d = self.dir.path();
        let mut urls = format!("ldap://127.0.0.1:{}/", self.port);
        if !self.no_tls {
            urls.push_str(&format!(" ldaps://127.0.0.1:{}/", self.tls_port));
        }
        let log = std::fs::File::create(d.join("slapd.log")).unwrap_or_else(|e| panic!("{e}"));
        // -d 0 keeps slapd in the foreground (our child, killed on drop) and logs nothing.
        // As root it keeps running as root: no -u/-g, the temp dir is ours.
        let mut child = Command::new(sbin("slapd"))
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .args(["-h", &urls, "-d", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn slapd: {e}"));
        let up = super::poll(STARTUP, || {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(Err(format!("slapd exited ({st})")));
            }
            let listening = TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && (self.no_tls || TcpStream::connect(("127.0.0.1", self.tls_port)).is_ok());
            listening.then_some(Ok(()))
        });
        if let Some(Ok(())) = up {
            self.child = Some(child);
            return;
        }
        stop(&mut child, "KILL", STARTUP);
        let why = up.and_then(Result::err).unwrap_or_else(|| format!("slapd did not listen within {STARTUP:?}"));
        panic!("{why}: {}", self.log());
    }

    /// Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "TERM", Duration::from_secs(5));
        }
    }

    /// `ldap://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// `ldaps://127.0.0.1:PORT`.
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.tls_port)
    }

    /// The CA that signed the server certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The temp dir (configs, secrets, extra CAs may go here).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A file holding the service account's password (`pw-reader`).
    pub fn reader_secret(&self) -> PathBuf {
        let p = self.dir.path().join("reader.secret");
        std::fs::write(&p, "pw-reader\n").unwrap_or_else(|e| panic!("{e}"));
        p
    }

    /// What slapd wrote to stderr.
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.path().join("slapd.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// Runs `ldapwhoami -x -D DN -w PASSWORD` against the plain listener; true on success.
    pub fn whoami(&self, dn: &str, password: &str) -> bool {
        Command::new("ldapwhoami")
            .args(["-x", "-H", &self.url(), "-D", dn, "-w", password])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}
