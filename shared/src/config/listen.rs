//! Where a side listener binds (`[fastcgi] listen`, `[grpc] listen`): a TCP address or an
//! absolute Unix socket path.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A side listener's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// A TCP address, e.g. `127.0.0.1:8090`.
    Tcp(SocketAddr),
    /// A Unix socket path (absolute).
    Unix(PathBuf),
}

impl std::fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(a) => write!(f, "{a}"),
            Self::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

impl ListenAddr {
    /// Reads `text` as the setting `key`; the error names the key and `example`.
    pub fn parse(text: String, key: &str, example: &str) -> Result<Self, String> {
        if text.starts_with('/') {
            return Ok(Self::Unix(PathBuf::from(text)));
        }
        text.parse()
            .map(Self::Tcp)
            .map_err(|_| format!("{key} must be ADDRESS:PORT (e.g. {example}) or an absolute socket path"))
    }
}
