//! The request being authorized. Behind a proxy, `/auth` is a subrequest: the real method,
//! URI, host and client come from `X-Original-*` (nginx) or `X-Forwarded-*` (Traefik, Caddy,
//! HAProxy) — believed only when the peer is a trusted proxy.

use hyper::header::{HOST, HeaderMap};
use hyper::{Method, Uri};
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
pub use wicket_core::access::Target;
use wicket_core::access::net::{Cidr, any_contains};
use wicket_core::access::normalize_host;

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
///
/// From an untrusted peer the request is its own target, host from its own `Host`. From a
/// trusted proxy the host comes from `X-Forwarded-Host` or `X-Original-Host` only: the
/// proxy's `Host` names its upstream (nginx sends `wicket` for `proxy_pass http://wicket`),
/// not the client's site, so without either header the host is unknown and host rules
/// refuse (see `wicket_core::access::rules`).
pub fn original(method: &Method, uri: &Uri, headers: &HeaderMap, peer: SocketAddr, trusted: &[Cidr]) -> Target {
    let own_uri = uri.path_and_query().map_or_else(|| uri.path().to_string(), |pq| pq.as_str().to_string());
    if !any_contains(trusted, &peer.ip()) {
        return Target {
            method: method.as_str().to_string(),
            uri: own_uri,
            host: header(headers, HOST.as_str()).and_then(|h| normalize_host(&h)),
            client: peer.ip(),
            client_is_proxy: false,
        };
    }
    let method = header(headers, "x-original-method")
        .or_else(|| header(headers, "x-forwarded-method"))
        .map_or_else(|| method.as_str().to_string(), Cow::into_owned);
    let uri = header(headers, "x-original-uri")
        .or_else(|| header(headers, "x-forwarded-uri"))
        .map_or(own_uri, Cow::into_owned);
    let host = header(headers, "x-forwarded-host").or_else(|| header(headers, "x-original-host"));
    let client = client_ip(headers, trusted).unwrap_or(peer.ip());
    Target {
        method,
        uri,
        host: host.and_then(|h| normalize_host(&h)),
        client,
        client_is_proxy: any_contains(trusted, &client),
    }
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
        assert_eq!(t.host.as_deref(), Some("app.example.org"));
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
    fn a_proxys_own_host_header_is_not_the_clients_host() {
        let uri: Uri = "/auth".parse().unwrap_or_default();
        let proxy: SocketAddr = "127.0.0.1:5000".parse().unwrap_or_else(|e| panic!("{e}"));
        let t = original(&Method::GET, &uri, &headers(&[("host", "wicket")]), proxy, &trusted());
        assert_eq!((t.host, t.client_is_proxy), (None, true));
        let h = headers(&[("host", "wicket"), ("x-original-host", "App.example.org"), ("x-real-ip", "203.0.113.9")]);
        let t = original(&Method::GET, &uri, &h, proxy, &trusted());
        assert_eq!((t.host.as_deref(), t.client_is_proxy), (Some("app.example.org"), false));
        let h = headers(&[("host", "wicket"), ("x-forwarded-host", ":443")]);
        assert_eq!(original(&Method::GET, &uri, &h, proxy, &trusted()).host, None, "nothing left is unknown");
        // A direct client's own Host is its target's host.
        let direct: SocketAddr = "192.0.2.7:5000".parse().unwrap_or_else(|e| panic!("{e}"));
        let t = original(&Method::GET, &uri, &headers(&[("host", "Wicket.example.org:8089")]), direct, &trusted());
        assert_eq!((t.host.as_deref(), t.client_is_proxy), (Some("wicket.example.org"), false));
        assert_eq!(original(&Method::GET, &uri, &HeaderMap::new(), direct, &trusted()).host, None);
    }

    #[test]
    fn hosts_lose_the_trailing_dot() {
        let h = headers(&[("host", "x"), ("x-forwarded-host", "ADMIN.example.org.")]);
        let uri: Uri = "/auth".parse().unwrap_or_default();
        let t =
            original(&Method::GET, &uri, &h, "127.0.0.1:5000".parse().unwrap_or_else(|e| panic!("{e}")), &trusted());
        assert_eq!(t.host.as_deref(), Some("admin.example.org"));
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
