//! The rendering of `wicket-core`'s access decision for each HTTP front; the routes are in
//! [`crate::router`].
//!
//! Every check runs the same way: read the original [`Target`] from the proxy's headers,
//! the credentials from `Authorization`, the requirements from the `[[rule]]`s and the
//! query; ask [`access::decide`]; render its [`Access`]. The proxy front (`/auth`,
//! `/auth/nginx` for nginx `auth_request`, `/auth/forward` for Traefik and Caddy
//! forward-auth, which read the same contract) answers 200 with `Remote-*` identity
//! headers, 401 with challenges, 403, or 503 — never a 400, which nginx would turn into a
//! 500. `/whoami` answers scripts with JSON.
//!
//! With `[session]`, the portal's pages are routes too ([`crate::portal::routes`]), the
//! session cookie is a credential when no `Authorization` header is sent, and a browser
//! without one is pointed at the portal: `/auth` answers 401 with a `Location` nginx can
//! turn into a redirect (`error_page 401 =302 $wicket_login`), `/auth/forward` answers 302
//! when the client asks for HTML. A request with an `Authorization` header (curl, scripts)
//! gets exactly the answers it got before.

use crate::app::{App, Runtime};
use crate::body::Body;
use crate::credentials::{self, Presented};
use crate::portal::cookie::{Cookies, Lookup};
use crate::portal::form::url_encode;
use crate::rules::decide;
use crate::target::{Target, original};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER,
    WWW_AUTHENTICATE,
};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use wicket_core::access::net::any_contains;
use wicket_core::access::{self, Access, BearerError, Offered, Refusal, Requirements, Tried};
use wicket_core::auth::Identity;
use wicket_core::config::{Scheme, SessionConfig};
use wicket_core::secret::Secret;
use wicket_core::verify::Credential;

pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `/auth`'s check (also answering [`crate::authelia`]'s aliases, translated).
pub(crate) async fn access_check<B>(app: &Arc<App>, peer: SocketAddr, req: &Request<B>) -> Response<Body> {
    let rt = app.runtime();
    let target = original(req.method(), req.uri(), req.headers(), peer, &rt.trusted);
    // `?users=&group=&all_groups=&scope=`: a requirement misspelt is a misconfiguration,
    // answered 500 so the proxy serves nothing (never a 400, and never ignored).
    let asked = match access::query::parse(req.uri().query()) {
        Ok(asked) => asked,
        Err(e) => {
            tracing::error!(
                "refused an access check: {e}; fix the URL the proxy calls (Caddy: end forward_auth's uri with '?', or it passes the visitor's query along)"
            );
            return text(StatusCode::INTERNAL_SERVER_ERROR, "misconfigured access check\n");
        }
    };
    let required = Requirements::asked(decide(&rt.rules, &target), asked);
    let presented = credentials::from_headers(req.headers());
    let tried = presented.scheme();
    let from_proxy = any_contains(&rt.trusted, &peer.ip());
    let original = || if from_proxy { original_url(req.headers()) } else { String::new() };
    match check_browser(app, &rt, &target, presented, &required, req.headers(), original).await {
        (access, Some(login)) => to_portal(&rt, req, tried, access, &login),
        (access, None) => proxy_answer(&rt, tried, access),
    }
}

/// The check of a proxy front that sees the browser's cookies (nginx `/auth`, forward auth,
/// Envoy over HTTP and gRPC). With `[session]` and no `Authorization`, the session cookie is
/// the credential; a browser without a live session (or with one older than the rule's
/// `max_age`) is to be sent to the portal: the second value is then the portal's sign-in URL,
/// with `rd` = `original()` (the URL asked for, or empty when unknown) and, for a session
/// too old, `prompt=login`.
pub(crate) async fn check_browser(
    app: &App,
    rt: &Runtime,
    target: &Target,
    presented: Presented,
    required: &Requirements,
    headers: &HeaderMap,
    original: impl FnOnce() -> String,
) -> (Access, Option<String>) {
    let browser = match (&presented, rt.cfg.session.as_ref()) {
        (Presented::None, Some(session)) => Some((session, session_cookie(headers, session))),
        _ => None,
    };
    let Some((session, cookie)) = browser else {
        return (check(app, rt, target, presented, required).await, None);
    };
    let offered = match cookie {
        Some(c) => Offered::Credential(Credential::Session(c)),
        None => Offered::Nothing,
    };
    let access = decide_and_log(app, rt, target, offered, required).await;
    let (fresh_login, step_up) = match access {
        Access::Challenge { fresh_login, .. } => (fresh_login, false),
        Access::SecondFactor { step_up } => (false, step_up),
        _ => return (access, None),
    };
    let original = original();
    let mut login = portal_login_url(session, &original);
    if fresh_login {
        // Signed in, but too long ago for this rule: the portal asks again instead of
        // sending the browser straight back.
        login.push_str(if original.is_empty() { "?prompt=login" } else { "&prompt=login" });
    }
    if step_up {
        // Signed in with a password only, on a `two_factor` rule: the portal asks for the
        // code and upgrades the session.
        login.push_str(if original.is_empty() { "?prompt=two_factor" } else { "&prompt=two_factor" });
    }
    (access, Some(login))
}

/// True when the request's `Accept` names HTML: a browser's navigation.
pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    headers.get_all(ACCEPT).iter().any(|v| v.as_bytes().windows(9).any(|w| w == b"text/html"))
}

/// The session cookie's value when the browser sent exactly one (two of one name — an old
/// host-only one beside a domain one, or one planted by a sibling — count as none).
fn session_cookie(headers: &HeaderMap, session: &SessionConfig) -> Option<Secret> {
    let cookies = Cookies::parse(headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes));
    match cookies.unique(&session.name) {
        Lookup::One(v) if !v.is_empty() => Some(Secret::from(v)),
        _ => None,
    }
}

/// A browser to be sent to the portal at `login`: `/auth/forward` redirects one that asks
/// for HTML; otherwise 401 with challenges and a `Location` naming the portal, which nginx
/// turns into a redirect with `auth_request_set` and `error_page 401 =302`.
fn to_portal<B>(rt: &Runtime, req: &Request<B>, tried: Tried, access: Access, login: &str) -> Response<Body> {
    let redirect = req.uri().path() == "/auth/forward" && wants_html(req.headers());
    portal_answer(rt, tried, access, login, redirect)
}

/// The portal's answer for a proxy: a 302 to `login` when `redirect`, else the proxy answer
/// (401 with challenges) with `Location: login`.
pub(crate) fn portal_answer(rt: &Runtime, tried: Tried, access: Access, login: &str, redirect: bool) -> Response<Body> {
    let mut r = if redirect { text(StatusCode::FOUND, "") } else { proxy_answer(rt, tried, access) };
    *r.body_mut() = Full::new(Bytes::new());
    if let Ok(v) = HeaderValue::from_str(login) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// The URL the browser asked for, from a trusted proxy's headers: `X-Forwarded-Proto`,
/// `X-Forwarded-Host` (or `X-Original-Host`), and the original URI. Empty when the host is
/// unknown. The portal checks it again before following it.
fn original_url(h: &HeaderMap) -> String {
    let value = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let proto = match value("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("http") => "http",
        _ => "https",
    };
    let host = value("x-forwarded-host").or_else(|| value("x-original-host"));
    let uri = value("x-original-uri").or_else(|| value("x-forwarded-uri")).unwrap_or("/");
    match host {
        Some(host) if uri.starts_with('/') => format!("{proto}://{host}{uri}"),
        _ => String::new(),
    }
}

/// `<portal_url>/login?rd=<original URL, percent-encoded>`.
fn portal_login_url(session: &SessionConfig, original: &str) -> String {
    let base = session.portal_url.as_deref().unwrap_or("").trim_end_matches('/');
    if original.is_empty() {
        return format!("{base}/login");
    }
    format!("{base}/login?rd={}", url_encode(original))
}

pub(crate) async fn whoami<B>(app: &Arc<App>, peer: SocketAddr, req: &Request<B>) -> Response<Body> {
    let rt = app.runtime();
    let target = original(req.method(), req.uri(), req.headers(), peer, &rt.trusted);
    let presented = credentials::from_headers(req.headers());
    let tried = presented.scheme();
    let access = check(app, &rt, &target, presented, &Requirements::identity()).await;
    whoami_answer(&rt, tried, access)
}

/// Translates the credentials, asks the core, writes its audit lines and metrics, and waits
/// the delay it asks for.
pub async fn check(app: &App, rt: &Runtime, target: &Target, presented: Presented, required: &Requirements) -> Access {
    decide_and_log(app, rt, target, offered(rt, target, presented), required).await
}

fn offered(rt: &Runtime, target: &Target, presented: Presented) -> Offered {
    match presented {
        Presented::None | Presented::OtherScheme => Offered::Nothing,
        Presented::Malformed { scheme, why } => Offered::Malformed { scheme, why },
        Presented::Basic { user, password } if rt.offers(Scheme::Basic) => {
            Offered::Credential(Credential::Password { user, secret: password })
        }
        Presented::Digest(response) if rt.offers(Scheme::Digest) => {
            Offered::Credential(Credential::Digest { response, method: target.method.clone(), uri: target.uri.clone() })
        }
        Presented::Bearer(token) if rt.offers(Scheme::Bearer) => Offered::Credential(Credential::Bearer(token)),
        Presented::Basic { .. } | Presented::Digest(_) | Presented::Bearer(_) => Offered::Nothing,
    }
}

async fn decide_and_log(app: &App, rt: &Runtime, target: &Target, offered: Offered, required: &Requirements) -> Access {
    let decided = access::decide(&rt.auth, target, offered, required).await;
    for e in &decided.events {
        app.audit(e);
    }
    if let Some((scheme, outcome)) = decided.counted {
        app.metrics.decision(scheme, outcome);
    }
    if !decided.delay.is_zero() {
        tokio::time::sleep(decided.delay).await;
    }
    decided.access
}

/// The proxy front's renderer (nginx `auth_request`, forward-auth). Its answers carry only a
/// status and headers: nginx reads nothing more from an auth subrequest, and a body it
/// leaves unread stalls the kept-alive upstream connection (measured: 40 ms delayed-ACK
/// stalls, a third of the throughput).
pub fn proxy_answer(rt: &Runtime, tried: Tried, access: Access) -> Response<Body> {
    let mut r = match access {
        Access::Bypass => text(StatusCode::OK, "ok\n"),
        Access::Allow(id) => identity_response(&id),
        Access::Challenge { stale, bearer_error, .. } => challenge(rt, tried, stale, bearer_error),
        Access::Forbidden { reason, insufficient_scope } => forbidden(rt, reason, insufficient_scope.as_deref()),
        Access::Unavailable => unavailable(),
        Access::SecondFactor { .. } => second_factor_required(),
    };
    *r.body_mut() = Full::new(Bytes::new());
    r
}

/// `/whoami`'s renderer: the identity as JSON, 400 for malformed credentials.
fn whoami_answer(rt: &Runtime, tried: Tried, access: Access) -> Response<Body> {
    match access {
        Access::Allow(id) => {
            let mut body = serde_json::to_vec_pretty(&id).unwrap_or_default();
            body.push(b'\n');
            let mut r = Response::new(Full::new(Bytes::from(body)));
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Access::Challenge { malformed: Some(why), bearer_error, .. } => {
            let mut r = text(StatusCode::BAD_REQUEST, "");
            *r.body_mut() = Full::new(Bytes::from(format!("malformed Authorization header: {why}\n")));
            if let Some(e) = bearer_error {
                let v = format!("Bearer realm=\"{}\", error=\"{}\"", rt.cfg.server.realm, e.as_str());
                if let Ok(v) = HeaderValue::from_str(&v) {
                    r.headers_mut().insert(WWW_AUTHENTICATE, v);
                }
            }
            r
        }
        // No rule applies here, so no bypass: anything but an identity needs credentials.
        Access::Bypass => challenge(rt, tried, false, None),
        Access::Challenge { stale, bearer_error, .. } => challenge(rt, tried, stale, bearer_error),
        Access::Forbidden { reason, insufficient_scope } => forbidden(rt, reason, insufficient_scope.as_deref()),
        Access::Unavailable => unavailable(),
        Access::SecondFactor { .. } => second_factor_required(),
    }
}

/// A `two_factor` rule and no second factor: 401 without a `WWW-Authenticate` challenge
/// (Basic or Digest could never pass), `X-Wicket-Reason: second_factor_required`, and a
/// body saying so; the proxy front adds the portal's `Location` for browsers.
fn second_factor_required() -> Response<Body> {
    let mut r = text(StatusCode::UNAUTHORIZED, "a second factor is required: sign in through the portal\n");
    r.headers_mut().insert("x-wicket-reason", HeaderValue::from_static("second_factor_required"));
    r
}

/// 403; for a missing scope with the RFC 6750 challenge naming it (the core only names
/// scope-tokens, which need no escaping; checked again here, as a value in quotes must be).
fn forbidden(rt: &Runtime, reason: Refusal, missing_scope: Option<&str>) -> Response<Body> {
    if reason != Refusal::Scope {
        return text(StatusCode::FORBIDDEN, "forbidden\n");
    }
    let mut r = text(StatusCode::FORBIDDEN, "insufficient scope\n");
    let mut v =
        format!("Bearer realm=\"{}\", error=\"{}\"", rt.cfg.server.realm, BearerError::InsufficientScope.as_str());
    if let Some(scope) = missing_scope.filter(|s| access::is_scope_token(s)) {
        v.push_str(&format!(", scope=\"{scope}\""));
    }
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    r
}

pub(crate) async fn healthz(app: &Arc<App>) -> Response<Body> {
    let rt = app.runtime();
    let Some(local) = rt.auth.chain().local.clone() else { return text(StatusCode::OK, "ok\n") };
    match tokio::task::spawn_blocking(move || local.generation()).await {
        Ok(Ok(_)) => text(StatusCode::OK, "ok\n"),
        _ => text(StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n"),
    }
}

pub(crate) fn metrics(app: &Arc<App>) -> Response<Body> {
    let rt = app.runtime();
    let nonces = rt.auth.digest().map_or(0, |d| d.tracked_nonces() as u64);
    let body = app.metrics.render(
        rt.auth.stats(),
        &[
            ("wicket_cache_entries", "Credential cache entries.", rt.auth.cache_entries() as u64),
            (
                "wicket_throttle_keys",
                "Users and clients tracked by the throttle.",
                rt.auth.throttle_keys_tracked() as u64,
            ),
            ("wicket_digest_nonces", "Digest nonces tracked for replay.", nonces),
        ],
    );
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn unavailable() -> Response<Body> {
    let mut r = text(StatusCode::SERVICE_UNAVAILABLE, "authentication backend unavailable\n");
    r.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

fn identity_response(id: &Identity) -> Response<Body> {
    let mut r = text(StatusCode::OK, "ok\n");
    let h = r.headers_mut();
    set(h, "remote-user", &id.name);
    set(h, "remote-groups", &id.groups.join(","));
    if let Some(n) = &id.display_name {
        set(h, "remote-name", n);
    }
    if let Some(e) = &id.email {
        set(h, "remote-email", e);
    }
    r
}

fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    // from_bytes refuses control characters; UTF-8 passes through as opaque octets.
    if let Ok(v) = HeaderValue::from_bytes(value.as_bytes()) {
        h.insert(HeaderName::from_static(name), v);
    }
}

/// 401 with one `WWW-Authenticate` per offered scheme. The scheme the client tried goes
/// first (nginx before 1.23 forwards only the first header), then config order.
fn challenge(rt: &Runtime, tried: Tried, stale: bool, bearer_error: Option<BearerError>) -> Response<Body> {
    let mut r = text(StatusCode::UNAUTHORIZED, "authentication required\n");
    let realm = &rt.cfg.server.realm;
    let mut order: Vec<Scheme> = rt.cfg.http.schemes.clone();
    if let Some(pos) = order.iter().position(|s| Some(*s) == tried.scheme()) {
        let s = order.remove(pos);
        order.insert(0, s);
    }
    for s in order {
        let values: Vec<String> = match s {
            Scheme::Basic => vec![format!("Basic realm=\"{realm}\", charset=\"UTF-8\"")],
            Scheme::Digest => rt.auth.digest().map(|d| d.challenges(stale)).unwrap_or_default(),
            Scheme::Bearer => vec![match bearer_error {
                Some(e) => format!("Bearer realm=\"{realm}\", error=\"{}\"", e.as_str()),
                None => format!("Bearer realm=\"{realm}\""),
            }],
        };
        for v in values {
            if let Ok(v) = HeaderValue::from_str(&v) {
                r.headers_mut().append(WWW_AUTHENTICATE, v);
            }
        }
    }
    r
}

#[cfg(test)]
#[path = "handler_tests/mod.rs"]
mod tests;
