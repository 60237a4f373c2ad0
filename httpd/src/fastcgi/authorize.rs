//! One AUTHORIZER request: the CGI parameters become a [`Target`], a credential and
//! [`Requirements`]; the handler's proxy check decides and renders; the answer becomes a
//! CGI response for `mod_authnz_fcgi`.
//!
//! - `REQUEST_METHOD`, `REQUEST_URI` (path and query as the client sent them) and
//!   `HTTP_HOST` are the target and `REMOTE_ADDR` the client — believed only from a FastCGI
//!   peer in `trusted_proxies` (or on the Unix socket); any other peer is answered 403, as
//!   there is no request of its own to judge instead. `HTTP_X_FORWARDED_*` and `HTTP_X_ORIGINAL_*` are the client's own headers here and are
//!   never read.
//! - `HTTP_AUTHORIZATION` is the credential (Apache passes it with `CGIPassAuth On`).
//! - `WICKET_GROUP` (any of, comma-separated) and `WICKET_SCOPE` (all of, comma- or
//!   space-separated) are the `<Location>`'s requirements, like `/auth?group=&scope=`. They
//!   are environment variables the Apache config sets (`SetEnvIfExpr`); a client's headers
//!   arrive as `HTTP_*` and cannot name them.
//!
//! 200 carries only `Variable-REMOTE_USER`, `Variable-REMOTE_GROUPS`, `Variable-REMOTE_NAME`
//! and `Variable-REMOTE_EMAIL` (Apache copies any other header of a 200 to the client);
//! every other status goes to the client with its headers: 401 with the challenges, 403,
//! 503 with `Retry-After`.

use super::params::Params;
use crate::app::App;
use crate::credentials::{self, Presented};
use crate::handler::{check, proxy_answer};
use crate::rules::decide;
use hyper::Response;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use wicket_core::access::net::{Cidr, any_contains};
use wicket_core::access::{Requirements, Target, normalize_host};

pub use crate::listener::{Peer, believed};

/// The request as a believed web server described it; `None` without a method or URI.
pub fn target(params: &Params, peer: Peer, trusted: &[Cidr]) -> Option<Target> {
    let method = params.text("REQUEST_METHOD")?;
    let uri = params.text("REQUEST_URI")?;
    let host = params.text("HTTP_HOST").and_then(|h| normalize_host(&h));
    let remote = params.text("REMOTE_ADDR").and_then(|a| a.parse::<IpAddr>().ok());
    let (client, client_is_proxy) = match (remote, peer) {
        (Some(ip), _) => (ip, any_contains(trusted, &ip)),
        // A web server that named no client: its own address, not a client's.
        (None, Peer::Tcp(ip)) => (ip, true),
        (None, Peer::Unix) => (IpAddr::V4(Ipv4Addr::UNSPECIFIED), true),
    };
    Some(Target { method, uri, host, client, client_is_proxy })
}

/// `WICKET_GROUP` and `WICKET_SCOPE`.
pub fn asked(params: &Params) -> (Vec<String>, Vec<String>) {
    let list = |name: &str, seps: &[char]| -> Vec<String> {
        params
            .text(name)
            .map(|v| v.split(seps).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    };
    (list("WICKET_GROUP", &[',']), list("WICKET_SCOPE", &[',', ' ']))
}

/// Decides one request; the CGI response (headers, blank line, no body).
pub async fn authorize(app: &Arc<App>, params: &Params, peer: Peer) -> Vec<u8> {
    let rt = app.runtime();
    if !believed(peer, &rt.trusted) {
        tracing::warn!("fastcgi: refused a request from {peer:?}, which is not in server.trusted_proxies");
        app.metrics.response("fastcgi", 403);
        return b"Status: 403 Forbidden\r\n\r\n".to_vec();
    }
    let Some(target) = target(params, peer, &rt.trusted) else {
        tracing::warn!("fastcgi: a request without REQUEST_METHOD or REQUEST_URI");
        app.metrics.response("fastcgi", 500);
        return b"Status: 500 Internal Server Error\r\n\r\n".to_vec();
    };
    let (groups, scopes) = asked(params);
    let required = Requirements { rule: decide(&rt.rules, &target), groups, scopes, ..Requirements::identity() };
    let presented = params.get("HTTP_AUTHORIZATION").map_or(Presented::None, credentials::parse);
    let tried = presented.scheme();
    let access = check(app, &rt, &target, presented, &required).await;
    let resp = proxy_answer(&rt, tried, access);
    app.metrics.response("fastcgi", resp.status().as_u16());
    cgi(&resp)
}

/// The identity headers of the proxy answer and the variables they become.
const VARIABLES: [(&str, &str); 4] = [
    ("remote-user", "REMOTE_USER"),
    ("remote-groups", "REMOTE_GROUPS"),
    ("remote-name", "REMOTE_NAME"),
    ("remote-email", "REMOTE_EMAIL"),
];

/// A proxy answer as a CGI response. Header values cannot hold CR or LF (`HeaderValue`
/// refuses them), so no line can be split.
pub fn cgi<B>(resp: &Response<B>) -> Vec<u8> {
    let status = resp.status().as_u16();
    // With its reason phrase: Apache otherwise tells the client "401 Unknown Reason".
    let reason = resp.status().canonical_reason().unwrap_or("");
    let mut out = format!("Status: {status} {reason}\r\n").into_bytes();
    let mut line = |name: &str, value: &[u8]| {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    };
    if status == 200 {
        for (header, var) in VARIABLES {
            if let Some(v) = resp.headers().get(header) {
                line(&format!("Variable-{var}"), v.as_bytes());
            }
        }
    } else {
        for (name, value) in resp.headers() {
            if name != CONTENT_TYPE && name != CONTENT_LENGTH {
                line(name.as_str(), value.as_bytes());
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastcgi::params::{decode, encode};
    use hyper::StatusCode;
    use hyper::header::HeaderValue;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut b = Vec::new();
        for (k, v) in pairs {
            encode(&mut b, k.as_bytes(), v.as_bytes());
        }
        decode(&b).unwrap_or_default()
    }

    fn trusted() -> Vec<Cidr> {
        vec![Cidr::parse("127.0.0.1/32").unwrap_or_else(|e| panic!("{e}"))]
    }

    const APACHE: Peer = Peer::Tcp(IpAddr::V4(Ipv4Addr::LOCALHOST));

    #[test]
    fn the_target_comes_from_cgi_variables_never_from_forwarded_headers() {
        let p = params(&[
            ("REQUEST_METHOD", "POST"),
            ("REQUEST_URI", "/admin/x?y=1"),
            ("HTTP_HOST", "App.Example.org:8443"),
            ("REMOTE_ADDR", "203.0.113.9"),
            ("HTTP_X_FORWARDED_HOST", "public.example.org"),
            ("HTTP_X_ORIGINAL_URI", "/public/"),
            ("HTTP_X_REAL_IP", "10.0.0.1"),
            ("HTTP_X_FORWARDED_FOR", "10.0.0.1"),
        ]);
        let t = target(&p, APACHE, &trusted()).unwrap_or_else(|| panic!("no target"));
        assert_eq!((t.method.as_str(), t.uri.as_str()), ("POST", "/admin/x?y=1"));
        assert_eq!(t.host.as_deref(), Some("app.example.org"));
        assert_eq!((t.client, t.client_is_proxy), (IpAddr::from([203, 0, 113, 9]), false));
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        assert!(believed(APACHE, &trusted()));
        assert!(believed(Peer::Unix, &[]));
        assert!(!believed(Peer::Tcp(IpAddr::from([192, 0, 2, 7])), &trusted()));
        // A web server that names no client: its own address, not a client's.
        let p = params(&[("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/")]);
        let t = target(&p, APACHE, &trusted()).unwrap_or_else(|| panic!("no target"));
        assert!(t.client_is_proxy);
        let t = target(&p, Peer::Unix, &[]).unwrap_or_else(|| panic!("no target"));
        assert!(t.client_is_proxy);
    }

    #[test]
    fn no_method_or_uri_is_no_target() {
        assert_eq!(target(&params(&[("REQUEST_URI", "/")]), APACHE, &trusted()), None);
        assert_eq!(target(&params(&[("REQUEST_METHOD", "GET")]), APACHE, &trusted()), None);
    }

    #[test]
    fn location_requirements() {
        let p = params(&[("WICKET_GROUP", "admins, ops,"), ("WICKET_SCOPE", "read write,deploy")]);
        let (g, s) = asked(&p);
        assert_eq!(
            (g, s),
            (vec!["admins".to_string(), "ops".into()], vec!["read".into(), "write".into(), "deploy".into()])
        );
        // The client's own header of that name is HTTP_WICKET_GROUP, and means nothing.
        assert_eq!(asked(&params(&[("HTTP_WICKET_GROUP", "x")])), (vec![], vec![]));
    }

    #[test]
    fn a_grant_carries_only_variables_and_a_refusal_its_headers() {
        let mut ok = Response::new(());
        ok.headers_mut().insert("remote-user", HeaderValue::from_static("alice"));
        ok.headers_mut().insert("remote-groups", HeaderValue::from_static("admins,ops"));
        ok.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
        let text = String::from_utf8(cgi(&ok)).unwrap_or_default();
        assert_eq!(text, "Status: 200 OK\r\nVariable-REMOTE_USER: alice\r\nVariable-REMOTE_GROUPS: admins,ops\r\n\r\n");
        let mut no = Response::new(());
        *no.status_mut() = StatusCode::UNAUTHORIZED;
        no.headers_mut().append("www-authenticate", HeaderValue::from_static("Basic realm=\"w\""));
        no.headers_mut().append("www-authenticate", HeaderValue::from_static("Bearer realm=\"w\""));
        no.headers_mut().insert("content-type", HeaderValue::from_static("text/plain"));
        let text = String::from_utf8(cgi(&no)).unwrap_or_default();
        assert_eq!(
            text,
            "Status: 401 Unauthorized\r\nwww-authenticate: Basic realm=\"w\"\r\nwww-authenticate: Bearer realm=\"w\"\r\n\r\n"
        );
    }
}
