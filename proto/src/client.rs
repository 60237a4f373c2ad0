//! The blocking client the PAM and NSS modules use: one request per connection, a hard
//! deadline, no threads, no runtime. The socket path comes from `/etc/wicket/wicket.toml`
//! (`[server] socket`) when readable, else [`DEFAULT_SOCKET`]; never from the environment.

use crate::proto::{DEFAULT_SOCKET, Request, Response, encode, frame_len};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a call failed (the daemon is unreachable or answered garbage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// Could not connect (daemon down, no socket).
    Connect(String),
    /// Timed out or the connection broke.
    Io(String),
    /// The answer was not a valid frame.
    Protocol(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "cannot reach wicketd: {e}"),
            Self::Io(e) => write!(f, "wicketd connection: {e}"),
            Self::Protocol(e) => write!(f, "wicketd protocol: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// The socket path from a config file's text: `socket = "…"` in `[server]`. A tiny reader,
/// so the modules need no TOML parser.
pub fn socket_from_config_text(text: &str) -> Option<PathBuf> {
    let mut in_server = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_server = line == "[server]";
            continue;
        }
        if !in_server {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        if k.trim() != "socket" {
            continue;
        }
        let v = v.split('#').next().unwrap_or("").trim();
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        if v.starts_with('/') && !v.contains('\\') {
            return Some(PathBuf::from(v));
        }
        return None;
    }
    None
}

/// The socket path given a config file (unreadable or silent → the default).
pub fn socket_path(config: &Path) -> PathBuf {
    std::fs::read_to_string(config)
        .ok()
        .and_then(|t| socket_from_config_text(&t))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET))
}

/// Sends one request and waits at most `deadline` for the answer.
pub fn call(socket: &Path, request: &Request, deadline: Duration) -> Result<Response, ClientError> {
    let stream = UnixStream::connect(socket).map_err(|e| ClientError::Connect(e.to_string()))?;
    call_on(stream, request, deadline)
}

/// [`call`] on an already connected stream (tests, socket pairs). `deadline` bounds the
/// whole exchange, not each read.
pub fn call_on(mut stream: UnixStream, request: &Request, deadline: Duration) -> Result<Response, ClientError> {
    let until = Instant::now() + deadline;
    let mut frame = encode(request).map_err(ClientError::Protocol)?;
    let written = exchange(&mut stream, until, |s| s.write_all(&frame));
    zeroize::Zeroize::zeroize(&mut frame);
    written?;
    let mut prefix = [0u8; 4];
    read_full(&mut stream, &mut prefix, until)?;
    let n = frame_len(prefix).map_err(ClientError::Protocol)?;
    let mut body = vec![0u8; n];
    read_full(&mut stream, &mut body, until)?;
    serde_json::from_slice(&body).map_err(|e| ClientError::Protocol(e.to_string()))
}

fn remaining(until: Instant) -> Result<Duration, ClientError> {
    let left = until.saturating_duration_since(Instant::now());
    if left.is_zero() { Err(ClientError::Io("deadline passed".into())) } else { Ok(left) }
}

fn exchange(
    stream: &mut UnixStream,
    until: Instant,
    f: impl FnOnce(&mut UnixStream) -> std::io::Result<()>,
) -> Result<(), ClientError> {
    stream.set_write_timeout(Some(remaining(until)?)).map_err(|e| ClientError::Io(e.to_string()))?;
    f(stream).map_err(|e| ClientError::Io(e.to_string()))
}

/// Fills `buf`, giving each read only the time left until `until`.
fn read_full(stream: &mut UnixStream, buf: &mut [u8], until: Instant) -> Result<(), ClientError> {
    let mut filled = 0;
    while filled < buf.len() {
        stream.set_read_timeout(Some(remaining(until)?)).map_err(|e| ClientError::Io(e.to_string()))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return Err(ClientError::Io("connection closed".into())),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ClientError::Io(e.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Op, PROTOCOL_VERSION};

    #[test]
    fn reads_the_socket_from_the_server_section_only() {
        let t = "[store]\nsocket = \"/wrong\"\n[server]\nlisten = \"x\"\nsocket = \"/run/w.sock\" # comment\n";
        assert_eq!(socket_from_config_text(t), Some(PathBuf::from("/run/w.sock")));
        assert_eq!(socket_from_config_text("[server]\nsocket = \"relative\"\n"), None);
        assert_eq!(socket_from_config_text(""), None);
        assert_eq!(socket_path(Path::new("/nonexistent")), PathBuf::from(DEFAULT_SOCKET));
    }

    #[test]
    fn round_trip_over_a_socket_pair() {
        let (mut server, client) = UnixStream::pair().unwrap_or_else(|e| panic!("{e}"));
        let t = std::thread::spawn(move || {
            let mut prefix = [0u8; 4];
            server.read_exact(&mut prefix).unwrap_or_else(|e| panic!("{e}"));
            let n = frame_len(prefix).unwrap_or(0);
            let mut body = vec![0u8; n];
            server.read_exact(&mut body).unwrap_or_else(|e| panic!("{e}"));
            let req: Request = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(req.version, PROTOCOL_VERSION);
            let resp = encode(&Response::NotFound).unwrap_or_default();
            server.write_all(&resp).unwrap_or_else(|e| panic!("{e}"));
        });
        let r = call_on(client, &Request::new(Op::GetPwNam { name: "x".into() }), Duration::from_secs(2));
        assert_eq!(r, Ok(Response::NotFound));
        let _ = t.join();
    }

    #[test]
    fn malformed_answers_and_silence_are_errors() {
        let (mut server, client) = UnixStream::pair().unwrap_or_else(|e| panic!("{e}"));
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            let _ = server.read(&mut buf);
            let _ = server.write_all(&[0xff, 0xff, 0xff, 0xff]);
        });
        let r = call_on(client, &Request::new(Op::GetGrGid { gid: 1 }), Duration::from_secs(2));
        assert!(matches!(r, Err(ClientError::Protocol(_))), "{r:?}");
        let (_server, client) = UnixStream::pair().unwrap_or_else(|e| panic!("{e}"));
        let r = call_on(client, &Request::new(Op::GetGrGid { gid: 1 }), Duration::from_millis(200));
        assert!(matches!(r, Err(ClientError::Io(_))), "{r:?}");
        assert!(matches!(
            call(Path::new("/nonexistent/sock"), &Request::new(Op::GetGrGid { gid: 1 }), Duration::from_secs(1)),
            Err(ClientError::Connect(_))
        ));
    }
}
