//! The request being authorized. Behind a proxy, `/auth` is a subrequest: the real method,
//! URI, host and client come from `X-Original-*` (nginx) or `X-Forwarded-*` (Traefik, Caddy,
//! HAProxy) — believed only when the peer is a trusted proxy.

use crate::net::{Cidr, any_contains};
use hyper::header::{HOST, HeaderMap};
use hyper::{Method, Uri};
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

/// The original request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Request target as the client sent it (path and query), e.g. `/app/x?y=1`.
    pub uri: String,
    /// Host without port, lowercase; empty when unknown.
    pub host: String,
    /// The client's address.
    pub client: IpAddr,
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

/// A header as text. Bytes that are not UTF-8 (raw UTF-8 in a URI is fine, but control
/// bytes reach here as `0xFF`, see [`crate::conns::sanitize`]) become U+FFFD instead of
/// hiding the header: a path rule must still see `/admin/\u{FFFD}`, not fall back to
/// `/auth`'s own URI.
fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<Cow<'a, str>> {
    let text = String::from_utf8_lossy(h.get(name)?.as_bytes());
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    Some(match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.trim()),
        Cow::Owned(t) => Cow::Owned(t.trim().to_string()),
    })
}

/// Works out the original request from a request that reached wicketd.
pub fn original(method: &Method, uri: &Uri, headers: &HeaderMap, peer: SocketAddr, trusted: &[Cidr]) -> Target {
    let own_uri = uri.path_and_query().map_or_else(|| uri.path().to_string(), |pq| pq.as_str().to_string());
    let own_host = header(headers, HOST.as_str()).unwrap_or_default();
    if !any_contains(trusted, &peer.ip()) {
        return Target {
            method: method.as_str().to_string(),
            uri: own_uri,
            host: host_only(&own_host),
            client: peer.ip(),
        };
    }
    let method = header(headers, "x-original-method")
        .or_else(|| header(headers, "x-forwarded-method"))
        .map_or_else(|| method.as_str().to_string(), Cow::into_owned);
    let uri = header(headers, "x-original-uri")
        .or_else(|| header(headers, "x-forwarded-uri"))
        .map_or(own_uri, Cow::into_owned);
    let host = header(headers, "x-forwarded-host").or_else(|| header(headers, "x-original-host")).unwrap_or(own_host);
    let client = client_ip(headers, trusted).unwrap_or(peer.ip());
    Target { method, uri, host: host_only(&host), client }
}

/// `X-Real-IP`, else the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
fn client_ip(headers: &HeaderMap, trusted: &[Cidr]) -> Option<IpAddr> {
    if let Some(ip) = header(headers, "x-real-ip").and_then(|s| s.parse().ok()) {
        return Some(ip);
    }
    let xff = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    let hops: Vec<IpAddr> = xff.split(',').filter_map(|s| s.trim().parse().ok()).collect();
    hops.iter().rev().find(|ip| !any_contains(trusted, ip)).or(hops.first()).copied()
}

/// The host without port, lowercase, without the trailing dot of a fully qualified name
/// (`App.Example.org.:443` is `app.example.org`), so host rules see one spelling.
fn host_only(host: &str) -> String {
    let h = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
    };
    h.strip_suffix('.').unwrap_or(h).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn trusted() -> Vec<Cidr> {
        vec![Cidr::parse("127.0.0.1/32").unwrap_or_else(|e| panic!("{e}"))]
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn trusted_proxy_headers_are_used() {
        let h = headers(&[
            ("host", "127.0.0.1:8089"),
            ("x-original-uri", "/app/page?x=1"),
            ("x-original-method", "POST"),
            ("x-forwarded-host", "App.Example.org:443"),
            ("x-forwarded-for", "203.0.113.9, 127.0.0.1"),
        ]);
        let uri: Uri = "/auth".parse().unwrap_or_default();
        let t =
            original(&Method::GET, &uri, &h, "127.0.0.1:5000".parse().unwrap_or_else(|e| panic!("{e}")), &trusted());
        assert_eq!(t.method, "POST");
        assert_eq!(t.uri, "/app/page?x=1");
        assert_eq!(t.path(), "/app/page");
        assert_eq!(t.host, "app.example.org");
        assert_eq!(t.client, "203.0.113.9".parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0])));
    }

    #[test]
    fn untrusted_peers_cannot_spoof() {
        let h = headers(&[("host", "x"), ("x-original-uri", "/public"), ("x-real-ip", "10.0.0.1")]);
        let uri: Uri = "/auth?group=a".parse().unwrap_or_default();
        let t =
            original(&Method::GET, &uri, &h, "192.0.2.7:5000".parse().unwrap_or_else(|e| panic!("{e}")), &trusted());
        assert_eq!(t.uri, "/auth?group=a");
        assert_eq!(t.client.to_string(), "192.0.2.7");
    }

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
        assert_eq!(host_only("Example.org:8080"), "example.org");
        assert_eq!(host_only("[::1]:80"), "::1");
        assert_eq!(host_only("example.org"), "example.org");
    }

    #[test]
    fn hosts_lose_the_trailing_dot() {
        assert_eq!(host_only("App.Example.org."), "app.example.org");
        assert_eq!(host_only("app.example.org.:443"), "app.example.org");
        assert_eq!(host_only("app.example.org.."), "app.example.org.", "only one dot is the root");
        let h = headers(&[("host", "x"), ("x-forwarded-host", "ADMIN.example.org.")]);
        let uri: Uri = "/auth".parse().unwrap_or_default();
        let t =
            original(&Method::GET, &uri, &h, "127.0.0.1:5000".parse().unwrap_or_else(|e| panic!("{e}")), &trusted());
        assert_eq!(t.host, "admin.example.org");
    }

    #[test]
    fn unreadable_original_uris_are_kept_not_dropped() {
        // Raw UTF-8, and a control byte as the server hands it on (0xFF, see conns::sanitize).
        for (raw, want) in [(&b"/admin/\xc3\xa9"[..], "/admin/\u{e9}"), (&b"/admin/\xffx"[..], "/admin/\u{fffd}x")] {
            let mut h = headers(&[("host", "x")]);
            h.append("x-original-uri", HeaderValue::from_bytes(raw).unwrap_or_else(|e| panic!("{e}")));
            let uri: Uri = "/auth".parse().unwrap_or_default();
            let t = original(
                &Method::GET,
                &uri,
                &h,
                "127.0.0.1:5000".parse().unwrap_or_else(|e| panic!("{e}")),
                &trusted(),
            );
            assert_eq!(t.uri, want);
            assert!(t.normalized_path().starts_with("/admin/"));
        }
    }
}
