//! The request being decided about, in one spelling: the path as a proxy routes it, the host
//! without port, case or trailing dot. Fronts fill it from their protocol (wicketd reads
//! `X-Original-*` / `X-Forwarded-*` from trusted proxies); nothing here knows HTTP types.

use crate::verify::Context;
use std::net::IpAddr;

/// The original request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Request target as the client sent it (path and query), e.g. `/app/x?y=1`.
    pub uri: String,
    /// The host the client asked for, normalised by [`normalize_host`]; `None` when unknown
    /// — a trusted proxy that sent no forwarded host, whose own `Host` names only its
    /// upstream. Host rules then cannot match *or* fail to match (see [`super::rules`]).
    pub host: Option<String>,
    /// The client's address (a trusted proxy's own when it named no client).
    pub client: IpAddr,
    /// True when `client` is a trusted proxy's own address, not a real client's.
    pub client_is_proxy: bool,
}

impl Target {
    /// The path part of `uri`, as sent.
    pub fn path(&self) -> &str {
        self.uri.split(['?', '#']).next().unwrap_or("")
    }

    /// The path as a proxy routes it: percent-escapes decoded, `//` merged, `.` and `..`
    /// resolved — what nginx's `location` matching sees. Rules match this, so `/%61dmin/`
    /// or `//admin/` cannot slip past a rule for `^/admin/`.
    pub fn normalized_path(&self) -> String {
        normalize_path(self.path())
    }

    /// The verification context of this request: the client address only when it is a real
    /// client's. Behind a proxy that named no client every user would share the proxy's
    /// key, and five wrong passwords from anyone would lock everyone out; per-account
    /// throttling still applies.
    pub fn context(&self) -> Context {
        let client = (!self.client_is_proxy).then_some(self.client);
        Context::http(client, &self.method, self.path())
    }
}

/// See [`Target::normalized_path`].
pub fn normalize_path(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                decoded.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    let text = String::from_utf8_lossy(&decoded);
    let mut out: Vec<&str> = Vec::new();
    for seg in text.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut path = String::from("/");
    path.push_str(&out.join("/"));
    let dir_like = text.ends_with('/') || text.ends_with("/.") || text.ends_with("/..");
    if dir_like && path.len() > 1 {
        path.push('/');
    }
    path
}

/// The host without port, lowercase, without the trailing dot of a fully qualified name
/// (`App.Example.org.:443` is `app.example.org`), so host rules see one spelling. `None`
/// when nothing is left.
pub fn normalize_host(host: &str) -> Option<String> {
    let host = host.trim();
    let h = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
    };
    let h = h.strip_suffix('.').unwrap_or(h).to_ascii_lowercase();
    (!h.is_empty()).then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_like_a_proxy_routes_them() {
        for (raw, want) in [
            ("/admin/x", "/admin/x"),
            ("/%61dmin/", "/admin/"),
            ("//admin//x", "/admin/x"),
            ("/public/../admin/", "/admin/"),
            ("/./admin", "/admin"),
            ("/../../admin", "/admin"),
            ("/a%2Fb", "/a/b"),
            ("/bad%zz", "/bad%zz"),
            ("/trail%", "/trail%"),
            ("/x/..", "/"),
            ("", "/"),
        ] {
            assert_eq!(normalize_path(raw), want, "{raw}");
        }
    }

    #[test]
    fn hosts_lose_ports() {
        assert_eq!(normalize_host("Example.org:8080").as_deref(), Some("example.org"));
        assert_eq!(normalize_host("[::1]:80").as_deref(), Some("::1"));
        assert_eq!(normalize_host("example.org").as_deref(), Some("example.org"));
    }

    #[test]
    fn hosts_lose_the_trailing_dot() {
        assert_eq!(normalize_host("App.Example.org.").as_deref(), Some("app.example.org"));
        assert_eq!(normalize_host("app.example.org.:443").as_deref(), Some("app.example.org"));
        assert_eq!(
            normalize_host("app.example.org..").as_deref(),
            Some("app.example.org."),
            "only one dot is the root"
        );
    }

    #[test]
    fn an_empty_host_is_unknown() {
        for raw in ["", " ", ":443", ".", "[]:80"] {
            assert_eq!(normalize_host(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn a_proxys_own_address_is_not_a_client() {
        let mut t = Target {
            method: "GET".into(),
            uri: "/x?secret=1".into(),
            host: None,
            client: IpAddr::from([127, 0, 0, 1]),
            client_is_proxy: true,
        };
        assert_eq!((t.context().client, t.context().path.as_deref()), (None, Some("/x")));
        t.client_is_proxy = false;
        assert_eq!(t.context().client, Some(IpAddr::from([127, 0, 0, 1])));
    }
}
