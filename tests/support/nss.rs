//! The built `libnss_wicket.so` in front of a test wicketd.
//!
//! The module takes its socket from `/etc/wicket/wicket.toml` or the fixed default
//! `/run/wicket/wicketd.sock`, never from the environment, so a test cannot just point it at
//! its own daemon. Two ways around that, tried in order:
//!
//! 1. **A private mount namespace** (root with CAP_SYS_ADMIN, as in CI): every command runs
//!    under `unshare -m`, with a fresh tmpfs on `/run` holding
//!    `/run/wicket/wicketd.sock → <the test daemon's socket>`, an empty tmpfs over
//!    `/etc/wicket` if the machine has one, and, for real glibc NSS, a test `nsswitch.conf`
//!    bind-mounted over `/etc/nsswitch.conf` with the module found through
//!    `LD_LIBRARY_PATH`. Nothing outside the command's namespace changes, so tests run in
//!    parallel and a real wicketd on the machine is never touched.
//! 2. **The system path**, when namespaces are not allowed: under a process-wide lock, a
//!    symlink `/run/wicket/wicketd.sock → <the test daemon's socket>` that is removed again
//!    (with `/run/wicket` if the test made it). Skipped ([`super::require`]: a failure in CI)
//!    when `/etc/wicket/wicket.toml` exists or something already sits at the socket path. Real
//!    glibc NSS would need `/etc/nsswitch.conf` changed, so only nss_wrapper runs this way.

use super::{bin, require};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// nss_wrapper (Debian package `libnss-wrapper`).
pub const NSS_WRAPPER: &str = "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so";
/// Where the module looks for the daemon when no config says otherwise.
pub const SYSTEM_SOCKET: &str = "/run/wicket/wicketd.sock";
/// The config the module reads.
pub const SYSTEM_CONFIG: &str = "/etc/wicket/wicket.toml";

/// Serialises the tests that use [`SYSTEM_SOCKET`] on the real file system.
static SYSTEM_PATH: Mutex<()> = Mutex::new(());

/// The module as cargo built it (`target/<profile>/libnss_wicket.so`).
pub fn module() -> PathBuf {
    bin("libnss_wicket.so")
}

/// The socket a test wicketd listens on, from its config file.
pub fn daemon_socket(config: &Path) -> PathBuf {
    let text = std::fs::read_to_string(config).unwrap_or_else(|e| panic!("{}: {e}", config.display()));
    wicket_core::client::socket_from_config_text(&text)
        .unwrap_or_else(|| panic!("{} names no [server] socket", config.display()))
}

/// Can this process make private mount namespaces and mount in them? Asked once.
/// `WICKET_TEST_NO_NAMESPACE=1` says no, to exercise the system-path way.
pub fn namespaces_work() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        if std::env::var_os("WICKET_TEST_NO_NAMESPACE").is_some_and(|v| v == "1") {
            return false;
        }
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o size=64k wicket-nss-probe /run"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    })
}

/// Sets up the namespace, then runs "$@" (with any `VAR=value` words applied by `env`).
const NAMESPACE_SCRIPT: &str = r#"set -e
mount -t tmpfs -o mode=0755,size=1m wicket-nss-test /run
mkdir /run/wicket
ln -s "$WICKET_TEST_SOCKET" /run/wicket/wicketd.sock
if [ -d /etc/wicket ]; then mount -t tmpfs -o size=1m wicket-nss-test /etc/wicket; fi
if [ -n "$WICKET_TEST_NSSWITCH" ]; then mount --bind "$WICKET_TEST_NSSWITCH" /etc/nsswitch.conf; fi
exec env "$@""#;

enum Way {
    Namespace,
    SystemPath { _link: SystemLink },
}

/// The symlink at [`SYSTEM_SOCKET`], removed on drop.
struct SystemLink {
    _lock: MutexGuard<'static, ()>,
    target: PathBuf,
    made_dir: bool,
}

impl Drop for SystemLink {
    fn drop(&mut self) {
        let link = Path::new(SYSTEM_SOCKET);
        if std::fs::read_link(link).is_ok_and(|t| t == self.target) {
            let _ = std::fs::remove_file(link);
        }
        if self.made_dir {
            let _ = std::fs::remove_dir(Path::new(SYSTEM_SOCKET).parent().unwrap_or(Path::new("/nonexistent")));
        }
    }
}

/// Commands run with the module pointed at one test daemon.
pub struct NssSandbox {
    way: Way,
    target: PathBuf,
    passwd: PathBuf,
    group: PathBuf,
    nsswitch: PathBuf,
    libdir: PathBuf,
}

impl NssSandbox {
    /// Points the module at the daemon listening on `socket`, with small nss_wrapper files in
    /// `dir`. `None` when neither way is possible here: a skip, through [`require`] (in CI,
    /// a failure).
    pub fn new(dir: &Path, socket: &Path) -> Option<Self> {
        assert!(Path::new(NSS_WRAPPER).exists(), "{NSS_WRAPPER} missing: install libnss-wrapper");
        let way = if namespaces_work() {
            Way::Namespace
        } else {
            match system_link(socket) {
                Ok(link) => Way::SystemPath { _link: link },
                Err(why) => {
                    require(false, &format!("no mount namespace here, and {why}"));
                    return None;
                }
            }
        };
        let passwd = dir.join("nss-passwd");
        let group = dir.join("nss-group");
        let nsswitch = dir.join("nsswitch.conf");
        let libdir = dir.join("nss-lib");
        std::fs::write(&passwd, "root:x:0:0:root:/root:/bin/sh\nfilesonly:x:1500:1500::/home/filesonly:/bin/sh\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&group, "root:x:0:\nfilesonly:x:1500:\nfilesgroup:x:1600:alice\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&nsswitch, "passwd: files wicket\ngroup: files wicket\nshadow: files\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(&libdir).unwrap_or_else(|e| panic!("{e}"));
        symlink(module(), libdir.join("libnss_wicket.so.2")).unwrap_or_else(|e| panic!("{e}"));
        Some(Self { way, target: socket.to_path_buf(), passwd, group, nsswitch, libdir })
    }

    /// True when commands run in a private mount namespace (and [`NssSandbox::glibc`] works).
    pub fn namespaced(&self) -> bool {
        matches!(self.way, Way::Namespace)
    }

    /// The environment that loads the module through nss_wrapper, in front of the test
    /// passwd/group files.
    pub fn wrapper_vars(&self) -> Vec<(String, String)> {
        vec![
            ("LD_PRELOAD".into(), NSS_WRAPPER.into()),
            ("NSS_WRAPPER_PASSWD".into(), self.passwd.display().to_string()),
            ("NSS_WRAPPER_GROUP".into(), self.group.display().to_string()),
            ("NSS_WRAPPER_MODULE_SO_PATH".into(), module().display().to_string()),
            ("NSS_WRAPPER_MODULE_FN_PREFIX".into(), "wicket".into()),
        ]
    }

    /// Runs `program args` with the module loaded by nss_wrapper.
    pub fn nss_wrapper(&self, program: &str, args: &[&str]) -> Output {
        self.run(&self.wrapper_vars(), None, program, args)
    }

    /// Runs `program args` on the real glibc NSS with `passwd: files wicket` and
    /// `group: files wicket`; `None` when this machine allows no namespaces.
    pub fn glibc(&self, program: &str, args: &[&str]) -> Option<Output> {
        if !self.namespaced() {
            return None;
        }
        let vars = vec![("LD_LIBRARY_PATH".to_string(), self.libdir.display().to_string())];
        Some(self.run(&vars, Some(&self.nsswitch), program, args))
    }

    fn run(&self, vars: &[(String, String)], nsswitch: Option<&Path>, program: &str, args: &[&str]) -> Output {
        let mut cmd = match self.way {
            Way::Namespace => {
                let mut c = Command::new("unshare");
                c.args(["-m", "--propagation", "private", "sh", "-c", NAMESPACE_SCRIPT, "sh"]);
                c.args(vars.iter().map(|(k, v)| format!("{k}={v}")));
                c.arg(program).args(args);
                c.env("WICKET_TEST_SOCKET", &self.target);
                c.env("WICKET_TEST_NSSWITCH", nsswitch.map(|p| p.display().to_string()).unwrap_or_default());
                c
            }
            Way::SystemPath { .. } => {
                let mut c = Command::new(program);
                c.args(args).envs(vars.iter().map(|(k, v)| (k, v)));
                c
            }
        };
        cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("run {program}: {e}"))
    }
}

/// Takes the system socket path for this test, or says why not.
fn system_link(target: &Path) -> Result<SystemLink, String> {
    let lock = SYSTEM_PATH.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if Path::new(SYSTEM_CONFIG).exists() {
        return Err(format!(
            "{SYSTEM_CONFIG} exists on this machine: the NSS module would follow that config, \
             and the tests never change it"
        ));
    }
    let link = Path::new(SYSTEM_SOCKET);
    if link.symlink_metadata().is_ok() {
        return Err(format!("{SYSTEM_SOCKET} already exists (a wicketd running here?); the tests leave it alone"));
    }
    let dir = link.parent().unwrap_or(Path::new("/run/wicket"));
    let made_dir = !dir.exists();
    if made_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {} ({e}); the NSS tests need root", dir.display()))?;
    }
    if let Err(e) = symlink(target, link) {
        if made_dir {
            let _ = std::fs::remove_dir(dir);
        }
        return Err(format!("cannot create {SYSTEM_SOCKET} ({e}); the NSS tests need root"));
    }
    Ok(SystemLink { _lock: lock, target: target.to_path_buf(), made_dir })
}
