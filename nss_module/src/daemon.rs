//! Asking wicketd: the [`Daemon`] trait the lookups go through, the real one over the local
//! socket, and the guard that keeps wicketd from asking itself.

use crate::status::Failure;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wicket_proto::client::{self, ClientError};
use wicket_proto::proto::{Op, Request, Response};

/// The config file that may name the socket (`[server] socket`). Fixed: the module never
/// reads the environment, so no caller can point a setuid program at another daemon.
pub const CONFIG: &str = "/etc/wicket/wicket.toml";

/// How long one lookup may wait for wicketd's answer (DESIGN: NSS 3 s).
pub const DEADLINE: Duration = Duration::from_secs(3);

/// The process name (`/proc/self/comm`) of the daemon.
pub const DAEMON_COMM: &str = "wicketd";

/// Something that answers protocol requests: wicketd over its socket, or a fake in tests.
pub trait Daemon {
    /// Sends one request and returns the answer.
    fn ask(&self, op: Op) -> Result<Response, ClientError>;
}

/// wicketd behind a Unix socket; one connection per question.
#[derive(Debug, Clone)]
pub struct SocketDaemon {
    socket: PathBuf,
    deadline: Duration,
}

impl SocketDaemon {
    /// A daemon at `socket`, waited on for at most `deadline`.
    pub fn new(socket: PathBuf, deadline: Duration) -> Self {
        Self { socket, deadline }
    }

    /// The socket this daemon is asked on.
    pub fn socket(&self) -> &Path {
        &self.socket
    }
}

impl Daemon for SocketDaemon {
    fn ask(&self, op: Op) -> Result<Response, ClientError> {
        client::call(&self.socket, &Request::new(op), self.deadline)
    }
}

/// The daemon this process asks: the socket from [`CONFIG`] (read on every lookup, so a
/// changed config needs no restart of anything) or the build default, with [`DEADLINE`].
/// Inside wicketd itself there is none: [`Failure::Recursion`].
pub fn system_daemon() -> Result<SocketDaemon, Failure> {
    if inside_wicketd() {
        return Err(Failure::Recursion);
    }
    Ok(SocketDaemon::new(client::socket_path(Path::new(CONFIG)), DEADLINE))
}

/// True when this process is wicketd. Read from `/proc/self/comm` on every call (no cache:
/// no statics, no thread-locals); a process without `/proc` is taken not to be wicketd.
pub fn inside_wicketd() -> bool {
    std::fs::read_to_string("/proc/self/comm").map(|comm| is_daemon_comm(&comm)).unwrap_or(false)
}

/// Does this `comm` (as read from procfs, with its newline) name the daemon?
pub fn is_daemon_comm(comm: &str) -> bool {
    comm.strip_suffix('\n').unwrap_or(comm) == DAEMON_COMM
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn the_daemon_is_recognised_by_its_exact_comm() {
        assert!(is_daemon_comm("wicketd\n"));
        assert!(is_daemon_comm("wicketd"));
        for other in ["wicket\n", "wicketd2\n", "xwicketd\n", "getent\n", "", "wicketd \n"] {
            assert!(!is_daemon_comm(other), "{other:?}");
        }
        // The test binary is not the daemon.
        assert!(!inside_wicketd());
        assert!(system_daemon().is_ok());
    }

    #[test]
    fn a_missing_socket_fails_at_once() {
        let dir = std::env::temp_dir().join(format!("nss-wicket-none-{}", std::process::id()));
        let d = SocketDaemon::new(dir.join("wicketd.sock"), DEADLINE);
        // A connect error: returned before the deadline is ever waited on.
        let r = d.ask(Op::GetPwNam { name: "alice".into() });
        assert!(matches!(r, Err(ClientError::Connect(_))), "{r:?}");
    }

    #[test]
    fn a_silent_daemon_is_given_up_on_after_the_deadline() {
        let dir = std::env::temp_dir().join(format!("nss-wicket-silent-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        // Listening but never accepting: the connection sits in the backlog, unanswered.
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let d = SocketDaemon::new(path.clone(), Duration::from_millis(300));
        // Connected, then given up on: an I/O error (the read timed out or the deadline
        // passed), not a connect error. The duration itself is the bench's to measure.
        let r = d.ask(Op::GetPwUid { uid: 200_000 });
        let Err(ClientError::Io(why)) = &r else { panic!("{r:?}") };
        assert!(why.contains("deadline passed") || why.contains("temporarily unavailable"), "{why}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
