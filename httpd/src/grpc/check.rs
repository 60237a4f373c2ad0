//! One `Check`: the `CheckRequest` becomes a [`Target`], a credential and the rules'
//! requirements; the handler's proxy check decides and renders, as for `/auth/envoy/…`;
//! the proxy answer becomes a `CheckResponse`.
//!
//! - Method, path (with the query), host and the client (`source.address`) are Envoy's
//!   description of the request, believed only from a gRPC peer in `trusted_proxies` (or
//!   on the Unix socket); any other peer is denied 403. The client's `X-Forwarded-*`,
//!   `X-Original-*`, `X-Real-IP` and `X-Envoy-External-Address` are never read, as
//!   `/auth/envoy/…` never reads them: the source address is what Envoy saw.
//! - `authorization` among the request headers is the credential.
//! - Groups come from the `[[rule]]`s.
//!
//! 200 → `ok_response` setting `Remote-User`, `Remote-Groups` (and `Remote-Name`,
//! `Remote-Email` when known), replacing what the client sent, and removing the client's
//! copies of the ones not set. Any other answer → `denied_response` with wicketd's status
//! and headers: 401 with one `WWW-Authenticate` per scheme (gRPC status UNAUTHENTICATED),
//! 403 (PERMISSION_DENIED), and 503 with `Retry-After` when the store is unreadable
//! (UNAVAILABLE). The 503 is a denial, not a gRPC error: Envoy would turn an error into
//! its `status_on_error` (403 by default) and, with `failure_mode_allow: true`, let the
//! request through — wicketd fails closed whatever Envoy is told.

use super::message::{ADD, CheckRequest, CheckResponse, Header, OVERWRITE, code};
use crate::app::App;
use crate::credentials;
use crate::handler::{check_browser, portal_answer, proxy_answer, wants_html};
use crate::rules::decide;
use hyper::Response;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use wicket_core::access::net::{Cidr, any_contains};
use wicket_core::access::{Requirements, Target, normalize_host};

pub use crate::listener::{Peer, believed};

/// The request as Envoy described it; `None` without a method.
pub fn target(req: &CheckRequest, peer: Peer, trusted: &[Cidr]) -> Option<Target> {
    if req.method.is_empty() {
        return None;
    }
    let uri = if req.path.starts_with('/') { req.path.clone() } else { format!("/{}", req.path) };
    let source = req.source.as_deref().and_then(|a| a.parse::<IpAddr>().ok());
    let client = match (source, peer) {
        (Some(ip), _) => ip,
        // No client named (a pipe or internal address): Envoy's own address, not a client's.
        (None, Peer::Tcp(ip)) => ip,
        (None, Peer::Unix) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    Some(Target {
        method: req.method.clone(),
        uri,
        host: normalize_host(&req.host),
        client,
        client_is_proxy: source.is_none() || any_contains(trusted, &client),
    })
}

/// The request headers Envoy passed, as a header map (pseudo-headers and names or values
/// HTTP cannot carry are left out).
pub fn headers(req: &CheckRequest) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in &req.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value)) {
            map.append(n, v);
        }
    }
    map
}

/// Decides one request.
pub async fn check_request(app: &Arc<App>, req: &CheckRequest, peer: Peer) -> CheckResponse {
    let rt = app.runtime();
    if !believed(peer, &rt.trusted) {
        tracing::warn!("grpc: refused a check from {peer:?}, which is not in server.trusted_proxies");
        app.metrics.response("grpc", 403);
        return CheckResponse::Denied {
            grpc: code::PERMISSION_DENIED,
            http: 403,
            headers: Vec::new(),
            body: String::new(),
        };
    }
    let Some(target) = target(req, peer, &rt.trusted) else {
        tracing::warn!("grpc: a CheckRequest without a method");
        app.metrics.response("grpc", 400);
        return CheckResponse::Denied {
            grpc: code::INVALID_ARGUMENT,
            http: 403,
            headers: Vec::new(),
            body: String::new(),
        };
    };
    let required = Requirements { rule: decide(&rt.rules, &target), ..Requirements::identity() };
    let hdrs = headers(req);
    let presented = credentials::from_headers(&hdrs);
    let tried = presented.scheme();
    // With `[session]`: the session cookie counts, and a browser without one is sent to the
    // portal (302 for a navigation, else 401 with `Location`), as on the HTTP fronts.
    let resp = match check_browser(app, &rt, &target, presented, &required, &hdrs, || original_url(req)).await {
        (access, Some(login)) => portal_answer(&rt, tried, access, &login, wants_html(&hdrs)),
        (access, None) => proxy_answer(&rt, tried, access),
    };
    app.metrics.response("grpc", resp.status().as_u16());
    render(&resp)
}

/// The URL the browser asked for (`scheme://host/path`), empty when Envoy named no usable
/// host; the portal checks it against its allow-list again before following it.
fn original_url(req: &CheckRequest) -> String {
    let scheme = if req.scheme.eq_ignore_ascii_case("http") { "http" } else { "https" };
    let host = req.host.trim();
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) || !req.path.starts_with('/') {
        return String::new();
    }
    format!("{scheme}://{host}{}", req.path)
}

/// The identity headers of a grant.
const IDENTITY: [&str; 4] = ["remote-user", "remote-groups", "remote-name", "remote-email"];

fn value(v: &HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

/// A proxy answer as a `CheckResponse`.
pub fn render<B>(resp: &Response<B>) -> CheckResponse {
    let status = resp.status().as_u16();
    let h = resp.headers();
    if status == 200 {
        let headers = IDENTITY
            .iter()
            .filter_map(|name| h.get(*name).map(|v| (name, v)))
            .map(|(name, v)| Header { name: (*name).into(), value: value(v), append_action: OVERWRITE })
            .collect();
        let remove = IDENTITY.iter().filter(|name| !h.contains_key(**name)).map(|name| (*name).to_string()).collect();
        return CheckResponse::Ok { headers, remove };
    }
    let grpc = match status {
        401 => code::UNAUTHENTICATED,
        503 => code::UNAVAILABLE,
        _ => code::PERMISSION_DENIED,
    };
    let headers = h
        .iter()
        .filter(|(name, _)| **name != CONTENT_TYPE && **name != CONTENT_LENGTH)
        .map(|(name, v)| Header { name: name.as_str().into(), value: value(v), append_action: ADD })
        .collect();
    CheckResponse::Denied { grpc, http: status, headers, body: String::new() }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
