//! Envoy's HTTP `ext_authz` front: `/auth/envoy/<original path>`.
//!
//! Envoy's HTTP authorization service sends the original request to the server with
//! `path_prefix` (`/auth/envoy`) before its path and query, its method, its `Host`
//! (the original authority) and, of the client's headers, the credentials; the example
//! (`docs/examples/envoy.yaml`) adds `x-envoy-external-address`, the client Envoy saw.
//! Believed only from a trusted proxy: anyone else's request is its own target. Groups come
//! from `[[rule]]`s (the query belongs to the application). The answer is the proxy
//! front's: Envoy hands a 200's `Remote-*` to the application and any other answer,
//! challenges included, to the client. With `[session]` (and `cookie`, `accept` and
//! `x-forwarded-proto` among the example's `allowed_headers`), the session cookie counts and
//! a browser without one is redirected to the portal (302), a script gets the 401 with a
//! `Location` naming it.

use crate::app::App;
use crate::body::Body;
use crate::credentials;
use crate::handler::{check_browser, portal_answer, proxy_answer, wants_html};
use crate::rules::decide;
use crate::target::{Target, original};
use hyper::header::HOST;
use hyper::{Request, Response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use wicket_core::access::Requirements;
use wicket_core::access::net::any_contains;
use wicket_core::access::normalize_host;

/// The path prefix Envoy's `http_service` is configured with.
pub const PREFIX: &str = "/auth/envoy";

/// True for the paths this front serves.
pub fn serves(path: &str) -> bool {
    path == PREFIX || path.strip_prefix(PREFIX).is_some_and(|rest| rest.starts_with('/'))
}

/// The access check for one of Envoy's authorization requests.
pub async fn access_check<B>(app: &Arc<App>, peer: SocketAddr, req: &Request<B>) -> Response<Body> {
    let rt = app.runtime();
    let target = target(req, peer, &rt.trusted);
    let required = Requirements { rule: decide(&rt.rules, &target), ..Requirements::identity() };
    let presented = credentials::from_headers(req.headers());
    let tried = presented.scheme();
    let from_proxy = any_contains(&rt.trusted, &peer.ip());
    let original = || if from_proxy { original_url(req, &target) } else { String::new() };
    match check_browser(app, &rt, &target, presented, &required, req.headers(), original).await {
        (access, Some(login)) => portal_answer(&rt, tried, access, &login, wants_html(req.headers())),
        (access, None) => proxy_answer(&rt, tried, access),
    }
}

/// The URL the browser asked for: `x-forwarded-proto` (Envoy's, `https` unless it says
/// `http`), the original `Host` and path. Empty without a host.
fn original_url<B>(req: &Request<B>, target: &Target) -> String {
    let proto = match req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()).map(str::trim) {
        Some(p) if p.eq_ignore_ascii_case("http") => "http",
        _ => "https",
    };
    let host = req.headers().get(HOST).and_then(|v| v.to_str().ok()).map(str::trim).filter(|h| !h.is_empty());
    match host {
        Some(host) if target.uri.starts_with('/') && !host.contains(['/', '?', '#', '@']) => {
            format!("{proto}://{host}{}", target.uri)
        }
        _ => String::new(),
    }
}

/// The original request: method, the path and query after [`PREFIX`], `Host`, and the
/// client from `x-envoy-external-address`.
fn target<B>(req: &Request<B>, peer: SocketAddr, trusted: &[wicket_core::access::net::Cidr]) -> Target {
    if !any_contains(trusted, &peer.ip()) {
        return original(req.method(), req.uri(), req.headers(), peer, trusted);
    }
    let own = req.uri().path_and_query().map_or(req.uri().path(), |pq| pq.as_str());
    let rest = own.strip_prefix(PREFIX).unwrap_or(own);
    let uri = if rest.starts_with('/') { rest.to_string() } else { format!("/{rest}") };
    let text = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let host = text(HOST.as_str()).and_then(normalize_host);
    let client = text("x-envoy-external-address").and_then(|a| a.parse::<IpAddr>().ok()).unwrap_or(peer.ip());
    Target {
        method: req.method().as_str().to_string(),
        uri,
        host,
        client,
        client_is_proxy: any_contains(trusted, &client),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::access::net::Cidr;

    fn trusted() -> Vec<Cidr> {
        vec![Cidr::parse("127.0.0.1/32").unwrap_or_else(|e| panic!("{e}"))]
    }

    fn req(method: &str, uri: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn serves_the_prefix_and_what_is_below_it() {
        assert!(serves("/auth/envoy") && serves("/auth/envoy/") && serves("/auth/envoy/app/x"));
        assert!(!serves("/auth/envoyx") && !serves("/auth") && !serves("/auth/forward"));
    }

    #[test]
    fn a_trusted_envoy_names_the_original_request() {
        let r = req(
            "POST",
            "/auth/envoy/app/x?q=1",
            &[("host", "App.Example.org:8443"), ("x-envoy-external-address", "203.0.113.9")],
        );
        let t = target(&r, "127.0.0.1:5000".parse().unwrap_or_else(|e| panic!("{e}")), &trusted());
        assert_eq!((t.method.as_str(), t.uri.as_str()), ("POST", "/app/x?q=1"));
        assert_eq!(t.host.as_deref(), Some("app.example.org"));
        assert_eq!((t.client.to_string().as_str(), t.client_is_proxy), ("203.0.113.9", false));
        let r = req("GET", "/auth/envoy", &[]);
        let t = target(&r, "127.0.0.1:5000".parse().unwrap_or_else(|e| panic!("{e}")), &trusted());
        assert_eq!((t.uri.as_str(), t.host, t.client_is_proxy), ("/", None, true));
    }

    #[test]
    fn anyone_else_asks_about_its_own_request() {
        let r = req("GET", "/auth/envoy/public/x", &[("host", "h"), ("x-envoy-external-address", "10.9.9.9")]);
        let t = target(&r, "192.0.2.7:5000".parse().unwrap_or_else(|e| panic!("{e}")), &trusted());
        assert_eq!((t.uri.as_str(), t.client.to_string().as_str()), ("/auth/envoy/public/x", "192.0.2.7"));
    }
}
