//! The real [`Daemon`]: wicketd's local socket through `wicket_proto::client`.

use crate::logic::Daemon;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wicket_proto::client::{self, ClientError};
use wicket_proto::proto::{Request, Response};

/// How long the module waits for wicketd (DESIGN.md, "Local socket": PAM 15 s).
pub const DEADLINE: Duration = Duration::from_secs(15);

/// wicketd at the socket named by a config file (`[server] socket`, else the build default).
/// The file is read at the first request, so calls that never ask (setcred, session) never
/// touch it.
#[derive(Debug, Clone)]
pub struct SocketDaemon {
    config: PathBuf,
    socket: Option<PathBuf>,
    deadline: Duration,
}

impl SocketDaemon {
    /// The daemon named by `config` (an unreadable file means the default socket).
    pub fn from_config(config: &Path) -> Self {
        Self { config: config.to_path_buf(), socket: None, deadline: DEADLINE }
    }

    /// The socket this daemon is reached at.
    pub fn socket(&mut self) -> &Path {
        self.socket.get_or_insert_with(|| client::socket_path(&self.config))
    }
}

impl Daemon for SocketDaemon {
    fn call(&mut self, request: &Request) -> Result<Response, ClientError> {
        let deadline = self.deadline;
        client::call(self.socket(), request, deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_proto::proto::{DEFAULT_SOCKET, Op};

    #[test]
    fn the_socket_comes_from_the_config_file_or_the_default() {
        let dir = std::env::temp_dir().join(format!("pam_wicket-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let config = dir.join("w.toml");
        let _ = std::fs::write(&config, "[server]\nsocket = \"/run/elsewhere.sock\"\n");
        assert_eq!(SocketDaemon::from_config(&config).socket(), Path::new("/run/elsewhere.sock"));
        assert_eq!(SocketDaemon::from_config(&dir.join("missing.toml")).socket(), Path::new(DEFAULT_SOCKET));
        // Read once, at the first use.
        let mut d = SocketDaemon::from_config(&config);
        assert_eq!(d.socket(), Path::new("/run/elsewhere.sock"));
        let _ = std::fs::write(&config, "[server]\nsocket = \"/run/moved.sock\"\n");
        assert_eq!(d.socket(), Path::new("/run/elsewhere.sock"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_absent_daemon_is_a_connect_error_at_once() {
        let mut d = SocketDaemon {
            config: PathBuf::new(),
            socket: Some(PathBuf::from("/nonexistent/wicketd.sock")),
            deadline: DEADLINE,
        };
        // A connect error, which is returned before any deadline is waited on (how long it
        // takes is the bench's business).
        let r = d.call(&Request::new(Op::GetPwNam { name: "x".into() }));
        assert!(matches!(r, Err(ClientError::Connect(_))), "{r:?}");
    }
}
