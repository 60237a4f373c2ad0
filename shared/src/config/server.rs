//! `[server]`: where wicketd listens and what it believes.

use super::de_duration;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// HTTP listening address.
    pub listen: SocketAddr,
    /// Local socket for PAM and NSS.
    pub socket: PathBuf,
    /// Proxies whose `X-Original-*` / `X-Forwarded-*` headers are believed (CIDR list).
    pub trusted_proxies: Vec<String>,
    /// Realm for Basic and Digest challenges (Digest HA1 values are bound to it).
    pub realm: String,
    /// Most HTTP connections open at once; at the cap the longest-idle connection is closed
    /// to make room (wicketd(8)). Lowered at start to leave descriptors for the local socket.
    pub max_connections: usize,
    /// A new HTTP connection that sends nothing for this long is closed.
    #[serde(deserialize_with = "de_duration")]
    pub first_byte_timeout: Duration,
    /// A kept-alive HTTP connection idle this long between requests is closed.
    #[serde(deserialize_with = "de_duration")]
    pub keepalive_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8089)),
            socket: PathBuf::from("/run/wicket/wicketd.sock"),
            trusted_proxies: vec!["127.0.0.1/32".into(), "::1/128".into()],
            realm: "wicket".into(),
            max_connections: 1024,
            first_byte_timeout: Duration::from_secs(5),
            // Longer than nginx's upstream `keepalive_timeout` (60 s): nginx closes first.
            keepalive_timeout: Duration::from_secs(75),
        }
    }
}
