//! `[server]`: where wicketd listens and what it believes.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8089)),
            socket: PathBuf::from("/run/wicket/wicketd.sock"),
            trusted_proxies: vec!["127.0.0.1/32".into(), "::1/128".into()],
            realm: "wicket".into(),
        }
    }
}
