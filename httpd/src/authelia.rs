//! Authelia's endpoints as aliases, so a proxy configured for Authelia only needs its
//! upstream address changed.
//!
//! | Path | Proxy style | The original request from |
//! |---|---|---|
//! | `/api/authz/forward-auth` | Traefik, Caddy | `X-Forwarded-Method`, `-Proto`, `-Host`, `-Uri`, `-For` |
//! | `/api/authz/auth-request` | nginx, HAProxy | `X-Original-Method`, `X-Original-URL` (the whole URL), `X-Forwarded-For`, `X-Real-IP` |
//! | `/api/authz/ext-authz/<path>` | Envoy | the method, path and query after the prefix, `Host`, `X-Forwarded-Proto`, `x-envoy-external-address` or `X-Forwarded-For` |
//! | `/api/verify` (legacy) | any | whatever `/auth` reads, plus `X-Original-URL` |
//!
//! Each family's headers are believed only from `trusted_proxies`, and only that family's:
//! a client's `X-Original-URI` passed through Traefik does not move a `forward-auth` target.
//! The alias is translated into the `/auth` request that says the same (`X-Original-*`,
//! `X-Forwarded-Host`/`-Proto`, `X-Real-IP`/`X-Forwarded-For`) and answered by `/auth`
//! (`forward-auth` and `ext-authz` by `/auth/forward`, which redirects a browser to the
//! portal): 200 with `Remote-User`, `Remote-Groups`, `Remote-Name`, `Remote-Email` — the
//! names Authelia sends — 401 with challenges, 403, 503. From anyone else the request is its
//! own target, as at `/auth`.

use crate::app::App;
use crate::body::Body;
use crate::handler::access_check as auth;
use hyper::header::{HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use wicket_core::access::net::any_contains;

const FORWARD_AUTH: &str = "/api/authz/forward-auth";
const AUTH_REQUEST: &str = "/api/authz/auth-request";
const EXT_AUTHZ: &str = "/api/authz/ext-authz";
const VERIFY: &str = "/api/verify";

/// Every header a proxy may use to name the original request; dropped before one family's
/// are translated, so no other family's can slip in.
const FORWARDED: [&str; 11] = [
    "x-original-method",
    "x-original-uri",
    "x-original-url",
    "x-original-host",
    "x-forwarded-method",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-uri",
    "x-forwarded-for",
    "x-real-ip",
    "x-envoy-external-address",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    ForwardAuth,
    AuthRequest,
    ExtAuthz,
    Verify,
}

fn family(path: &str) -> Option<Family> {
    match path {
        FORWARD_AUTH => Some(Family::ForwardAuth),
        AUTH_REQUEST => Some(Family::AuthRequest),
        VERIFY => Some(Family::Verify),
        p if p == EXT_AUTHZ || p.strip_prefix(EXT_AUTHZ).is_some_and(|r| r.starts_with('/')) => Some(Family::ExtAuthz),
        _ => None,
    }
}

/// True for the paths this front serves.
pub fn serves(path: &str) -> bool {
    family(path).is_some()
}

/// The access check for one of the aliases: translated, then answered as `/auth` would.
pub async fn access_check<B>(app: &Arc<App>, peer: SocketAddr, req: &Request<B>) -> Response<Body> {
    let trusted = any_contains(&app.runtime().trusted, &peer.ip());
    let alias = translate(req, trusted);
    auth(app, peer, &alias).await
}

/// The `/auth` request saying what `req` says. An untrusted peer's request goes on as it
/// came: `/auth` ignores its forwarded headers and takes the request itself as the target.
fn translate<B>(req: &Request<B>, trusted: bool) -> Request<()> {
    let fam = family(req.uri().path()).unwrap_or(Family::Verify);
    let mut b = Request::builder().method(req.method().clone());
    if !trusted {
        b = b.uri(req.uri().clone());
        let mut r = b.body(()).unwrap_or_default();
        *r.headers_mut() = req.headers().clone();
        return r;
    }
    let src = req.headers();
    let mut h = src.clone();
    let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    let path = match fam {
        Family::ForwardAuth => {
            strip(&mut h);
            for (from, to) in [
                ("x-forwarded-method", "x-original-method"),
                ("x-forwarded-uri", "x-original-uri"),
                ("x-forwarded-host", "x-forwarded-host"),
                ("x-forwarded-proto", "x-forwarded-proto"),
            ] {
                copy(src, &mut h, from, to);
            }
            copy_all(src, &mut h, "x-forwarded-for");
            // Caddy's `forward_auth` with a bare `uri` (as Authelia's examples have it) passes
            // the client's own query along: like Authelia, take only its own keys from it.
            format!("/auth/forward{}", own_keys(req.uri().query()))
        }
        Family::AuthRequest => {
            strip(&mut h);
            copy(src, &mut h, "x-original-method", "x-original-method");
            if let Some(url) = text(src, "x-original-url") {
                set_url(&mut h, &url);
            }
            copy(src, &mut h, "x-real-ip", "x-real-ip");
            copy_all(src, &mut h, "x-forwarded-for");
            format!("/auth{query}")
        }
        Family::ExtAuthz => {
            strip(&mut h);
            let own = req.uri().path_and_query().map_or(req.uri().path(), |pq| pq.as_str());
            let rest = own.strip_prefix(EXT_AUTHZ).unwrap_or(own);
            // Authelia's Envoy example has `path_prefix: /api/authz/ext-authz/`, so the
            // original path arrives after a second slash.
            let uri = format!("/{}", rest.trim_start_matches('/'));
            put(&mut h, "x-original-method", req.method().as_str());
            put(&mut h, "x-original-uri", &uri);
            copy(src, &mut h, HOST.as_str(), "x-forwarded-host");
            copy(src, &mut h, "x-forwarded-proto", "x-forwarded-proto");
            if src.contains_key("x-envoy-external-address") {
                copy(src, &mut h, "x-envoy-external-address", "x-real-ip");
            } else {
                copy_all(src, &mut h, "x-forwarded-for");
            }
            // The query belongs to the application: groups come from `[[rule]]`s.
            "/auth/forward".to_string()
        }
        Family::Verify => {
            if let Some(url) = text(src, "x-original-url").filter(|_| !src.contains_key("x-original-uri")) {
                let mut extra = HeaderMap::new();
                set_url(&mut extra, &url);
                for (k, v) in &extra {
                    if !h.contains_key(k) {
                        h.insert(k.clone(), v.clone());
                    }
                }
            }
            format!("/auth{query}")
        }
    };
    b = b.uri(path.as_str());
    let mut r = b.body(()).unwrap_or_default();
    *r.headers_mut() = h;
    r
}

fn strip(h: &mut HeaderMap) {
    for name in FORWARDED {
        h.remove(name);
    }
}

/// A header's value as text, lossily (see `crate::target`), trimmed; `None` when empty.
fn text(h: &HeaderMap, name: &str) -> Option<String> {
    let v = String::from_utf8_lossy(h.get(name)?.as_bytes()).trim().to_string();
    (!v.is_empty()).then_some(v)
}

fn put(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_bytes(value.as_bytes()) {
        h.insert(HeaderName::from_static(name), v);
    }
}

fn copy(src: &HeaderMap, h: &mut HeaderMap, from: &str, to: &'static str) {
    if let Some(v) = src.get(from) {
        h.insert(HeaderName::from_static(to), v.clone());
    }
}

fn copy_all(src: &HeaderMap, h: &mut HeaderMap, name: &'static str) {
    for v in src.get_all(name) {
        h.append(HeaderName::from_static(name), v.clone());
    }
}

/// `X-Original-URL: https://app.example.org:8443/path?q` as `X-Forwarded-Proto`,
/// `X-Forwarded-Host` and `X-Original-URI`. Without a scheme and host nothing is set, so
/// the host is unknown (host rules refuse) and the URI is `/auth`'s.
fn set_url(h: &mut HeaderMap, url: &str) {
    let Some((scheme, rest)) = url.split_once("://") else { return };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return;
    }
    let tail = tail.split('#').next().unwrap_or("");
    let uri = if tail.starts_with('/') { tail.to_string() } else { format!("/{tail}") };
    put(h, "x-forwarded-proto", &scheme.to_ascii_lowercase());
    put(h, "x-forwarded-host", host);
    put(h, "x-original-uri", &uri);
}

/// Of a forward-auth query, only Authelia's own keys (`rd`, `authelia_url`), as `?…` or empty.
fn own_keys(query: Option<&str>) -> String {
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| matches!(p.split_once('=').map_or(*p, |(k, _)| k), "rd" | "authelia_url"))
        .collect();
    if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(h: &HeaderMap, name: &str) -> Option<String> {
        h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }

    #[test]
    fn the_paths_served() {
        for p in [FORWARD_AUTH, AUTH_REQUEST, VERIFY, EXT_AUTHZ, "/api/authz/ext-authz/", "/api/authz/ext-authz//a"] {
            assert!(serves(p), "{p}");
        }
        for p in ["/api/authz/ext-authzx", "/api/authz/forward-auth/", "/api/authz", "/api/verify/x", "/auth"] {
            assert!(!serves(p), "{p}");
        }
    }

    #[test]
    fn an_original_url_is_split() {
        let mut h = HeaderMap::new();
        set_url(&mut h, "HTTPS://user@App.example.org:8443/a/b?q=1#frag");
        assert_eq!(header(&h, "x-forwarded-proto").as_deref(), Some("https"));
        assert_eq!(header(&h, "x-forwarded-host").as_deref(), Some("App.example.org:8443"));
        assert_eq!(header(&h, "x-original-uri").as_deref(), Some("/a/b?q=1"));
        let mut h = HeaderMap::new();
        set_url(&mut h, "http://h.example?x");
        assert_eq!(header(&h, "x-original-uri").as_deref(), Some("/?x"));
        for bad in ["/relative/only", "https:///nohost", "ht tp://h/x"] {
            let mut h = HeaderMap::new();
            set_url(&mut h, bad);
            assert!(h.is_empty(), "{bad}");
        }
    }
}
