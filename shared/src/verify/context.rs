//! What a front knows about the asker, and the throttle keys that follow from it.

use crate::throttle::{client_key, user_key};
use std::net::IpAddr;

/// Which front asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// wicketd's HTTP endpoints (`/auth`, `/whoami`).
    Http,
    /// The local socket: `pam_wicket.so` (and the NSS module's lookups).
    Pam,
    /// `wicket check`.
    Cli,
}

impl Front {
    /// The word in audit lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Pam => "pam",
            Self::Cli => "cli",
        }
    }

    /// Whether a success may be answered from the credential cache. Linux logins always run
    /// the real check: they are rare, and a password changed in LDAP or PAM must hold at once.
    pub fn uses_cache(self) -> bool {
        self == Self::Http
    }
}

/// Who is asking, as far as the front can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The front.
    pub front: Front,
    /// The real client address, when the front can vouch for it (never a trusted proxy's own
    /// address, never an address a non-root local caller merely claimed).
    pub client: Option<IpAddr>,
    /// The calling process's uid (local socket: `SO_PEERCRED`).
    pub peer_uid: Option<u32>,
    /// The PAM service (`sshd`, `su`, …).
    pub service: Option<String>,
    /// The request's method, for audit lines.
    pub method: Option<String>,
    /// The request's path without its query (query strings can carry secrets).
    pub path: Option<String>,
}

impl Context {
    /// An HTTP request. `client` is `None` when the only address known is a trusted proxy's
    /// own (it sent no `X-Real-IP`): every user behind it would share one key.
    pub fn http(client: Option<IpAddr>, method: &str, path: &str) -> Self {
        Self {
            front: Front::Http,
            client,
            peer_uid: None,
            service: None,
            method: Some(method.to_string()),
            path: Some(path.chars().take(256).collect()),
        }
    }

    /// A local-socket request from `uid`. PAM's `rhost` is believed only from root (sshd and
    /// login run as root): any other local user could name any address and lock it out of
    /// HTTP, so its attempts are counted under its uid instead.
    pub fn socket(uid: u32, service: &str, rhost: Option<&str>) -> Self {
        let client = if uid == 0 { rhost.and_then(|h| h.trim().parse::<IpAddr>().ok()) } else { None };
        Self {
            front: Front::Pam,
            client,
            peer_uid: Some(uid),
            service: Some(service.to_string()),
            method: None,
            path: None,
        }
    }

    /// `wicket check` on the command line.
    pub fn cli() -> Self {
        Self { front: Front::Cli, client: None, peer_uid: None, service: None, method: None, path: None }
    }

    /// The throttle keys for an attempt on `account` (any spelling; `None` for tokens): the
    /// account, and the origin — the client address when known; otherwise a non-root local
    /// caller's uid. Root callers without an address (su, sudo, login on a console) get no
    /// origin key: one per-root key would let anyone lock everyone out.
    pub fn throttle_keys(&self, account: Option<&str>) -> Vec<String> {
        let mut keys: Vec<String> = account.map(user_key).into_iter().collect();
        match (self.client, self.peer_uid) {
            (Some(ip), _) => keys.push(client_key(&ip)),
            (None, Some(uid)) if uid != 0 => keys.push(format!("p:{uid}")),
            _ => {}
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_root_caller_cannot_name_a_remote_address() {
        let ctx = Context::socket(1000, "login", Some("192.0.2.7"));
        assert_eq!(ctx.client, None);
        assert_eq!(ctx.throttle_keys(Some("alice")), vec!["u:alice".to_string(), "p:1000".to_string()]);
        let http = Context::http(Some("192.0.2.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))), "GET", "/");
        assert!(!ctx.throttle_keys(Some("alice")).iter().any(|k| http.throttle_keys(None).contains(k)));
    }

    #[test]
    fn root_callers_pass_the_remote_address_on() {
        let ctx = Context::socket(0, "sshd", Some("192.0.2.7"));
        assert_eq!(ctx.throttle_keys(Some("Alice ")), vec!["u:alice".to_string(), "c:192.0.2.7".to_string()]);
        assert_eq!(Context::socket(0, "su", None).throttle_keys(Some("alice")), vec!["u:alice".to_string()]);
        assert_eq!(Context::socket(0, "sshd", Some("host.example")).client, None);
    }
}
