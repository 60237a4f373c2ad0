//! Routes and the access decision. The service is a function of [`App`]: tests drive
//! [`handle`] in-process, the server feeds it real connections.
//!
//! `/auth` (also `/auth/nginx`, `/auth/forward`) answers reverse proxies: 200 with
//! `Remote-*` identity headers, 401 with challenges, 403, or 503 — never a redirect or a
//! 400, which nginx would turn into a 500. `/whoami` answers scripts with JSON.

use crate::app::{App, Runtime};
use crate::credentials::{self, Presented};
use crate::rules::decide;
use crate::target::{Target, original};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Request, Response, StatusCode};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use wicket_core::auth::Identity;
use wicket_core::config::{Policy, Scheme};
use wicket_core::verify::{Context, Credential, Decision};

/// The response body type.
pub type Body = Full<Bytes>;

/// How authentication ended, in HTTP terms.
#[derive(Debug)]
enum Answer {
    Accepted(Identity),
    /// 401 with challenges; `stale` for Digest, `bearer_error` per RFC 6750.
    Denied {
        stale: bool,
        bearer_error: Option<&'static str>,
    },
    /// The request's credentials were unusable (400 on `/whoami`, 401 on `/auth`).
    Malformed {
        why: &'static str,
        bearer: bool,
    },
    /// Every backend that could decide is down.
    Unavailable,
}

/// Entry point for every request.
pub async fn handle<B>(app: Arc<App>, peer: SocketAddr, req: Request<B>) -> Response<Body> {
    let path = req.uri().path();
    let (endpoint, resp) = match path {
        "/auth" | "/auth/nginx" | "/auth/forward" => ("auth", without_body(access_check(&app, peer, &req).await)),
        "/whoami" => ("whoami", whoami(&app, peer, &req).await),
        "/healthz" => ("healthz", healthz(&app).await),
        "/metrics" => ("metrics", metrics(&app)),
        _ => ("other", text(StatusCode::NOT_FOUND, "not found\n")),
    };
    app.metrics.response(endpoint, resp.status().as_u16());
    resp
}

/// Access-check answers carry only a status and headers. nginx reads nothing more from an
/// auth subrequest; a body it leaves unread stalls the kept-alive upstream connection
/// (measured: 40 ms delayed-ACK stalls, a third of the throughput).
fn without_body(mut r: Response<Body>) -> Response<Body> {
    *r.body_mut() = Full::new(Bytes::new());
    r
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `?group=a&group=b&scope=s` from the `/auth` request's own query.
fn requirements(query: Option<&str>) -> (Vec<String>, Vec<String>) {
    let mut groups = Vec::new();
    let mut scopes = Vec::new();
    for pair in query.unwrap_or("").split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        match k {
            "group" => groups.extend(v.split(',').map(str::to_string)),
            "scope" => scopes.push(v.to_string()),
            _ => {}
        }
    }
    (groups, scopes)
}

async fn access_check<B>(app: &Arc<App>, peer: SocketAddr, req: &Request<B>) -> Response<Body> {
    let rt = app.runtime();
    let target = original(req.method(), req.uri(), req.headers(), peer, &rt.trusted);
    let decision = decide(&rt.rules, &target);
    match decision.policy {
        Policy::Bypass => return text(StatusCode::OK, "ok\n"),
        Policy::Deny => {
            audit(&target, "-", "none", "denied_by_rule", "-");
            return text(StatusCode::FORBIDDEN, "forbidden\n");
        }
        Policy::Authenticated => {}
    }
    let (groups_q, scopes_q) = requirements(req.uri().query());
    let presented = credentials::from_headers(req.headers());
    let scheme = presented.scheme();
    match authenticate(app, &rt, presented, &target).await {
        Answer::Accepted(id) => {
            let group_sets = [&decision.groups, &groups_q];
            let in_groups = group_sets.iter().all(|req| req.is_empty() || req.iter().any(|g| id.groups.contains(g)));
            if !in_groups {
                audit(&target, &id.name, scheme, "forbidden_group", &id.backend);
                return text(StatusCode::FORBIDDEN, "forbidden\n");
            }
            if let Some(have) = &id.scopes {
                if let Some(missing) = scopes_q.iter().find(|s| !have.contains(s)) {
                    audit(&target, &id.name, scheme, "insufficient_scope", &id.backend);
                    let mut r = text(StatusCode::FORBIDDEN, "insufficient scope\n");
                    let v = format!(
                        "Bearer realm=\"{}\", error=\"insufficient_scope\", scope=\"{missing}\"",
                        rt.cfg.server.realm
                    );
                    if let Ok(v) = HeaderValue::from_str(&v) {
                        r.headers_mut().insert(WWW_AUTHENTICATE, v);
                    }
                    return r;
                }
            }
            identity_response(&id)
        }
        Answer::Denied { stale, bearer_error } => challenge(&rt, scheme, stale, bearer_error),
        Answer::Malformed { bearer, .. } => challenge(&rt, scheme, false, bearer.then_some("invalid_request")),
        Answer::Unavailable => unavailable(),
    }
}

async fn whoami<B>(app: &Arc<App>, peer: SocketAddr, req: &Request<B>) -> Response<Body> {
    let rt = app.runtime();
    let target = original(req.method(), req.uri(), req.headers(), peer, &rt.trusted);
    let presented = credentials::from_headers(req.headers());
    let scheme = presented.scheme();
    match authenticate(app, &rt, presented, &target).await {
        Answer::Accepted(id) => {
            let mut body = serde_json::to_vec_pretty(&id).unwrap_or_default();
            body.push(b'\n');
            let mut r = Response::new(Full::new(Bytes::from(body)));
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Answer::Denied { stale, bearer_error } => challenge(&rt, scheme, stale, bearer_error),
        Answer::Malformed { why, bearer } => {
            let mut r = text(StatusCode::BAD_REQUEST, "");
            *r.body_mut() = Full::new(Bytes::from(format!("malformed Authorization header: {why}\n")));
            if bearer {
                let v = format!("Bearer realm=\"{}\", error=\"invalid_request\"", rt.cfg.server.realm);
                if let Ok(v) = HeaderValue::from_str(&v) {
                    r.headers_mut().insert(WWW_AUTHENTICATE, v);
                }
            }
            r
        }
        Answer::Unavailable => unavailable(),
    }
}

async fn healthz(app: &Arc<App>) -> Response<Body> {
    let rt = app.runtime();
    let Some(local) = rt.auth.chain().local.clone() else { return text(StatusCode::OK, "ok\n") };
    match tokio::task::spawn_blocking(move || local.generation()).await {
        Ok(Ok(_)) => text(StatusCode::OK, "ok\n"),
        _ => text(StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n"),
    }
}

fn metrics(app: &Arc<App>) -> Response<Body> {
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
fn challenge(rt: &Runtime, tried: &str, stale: bool, bearer_error: Option<&'static str>) -> Response<Body> {
    let mut r = text(StatusCode::UNAUTHORIZED, "authentication required\n");
    let realm = &rt.cfg.server.realm;
    let mut order: Vec<Scheme> = rt.cfg.http.schemes.clone();
    if let Some(pos) = order.iter().position(|s| scheme_word(*s) == tried) {
        let s = order.remove(pos);
        order.insert(0, s);
    }
    for s in order {
        let values: Vec<String> = match s {
            Scheme::Basic => vec![format!("Basic realm=\"{realm}\", charset=\"UTF-8\"")],
            Scheme::Digest => rt.auth.digest().map(|d| d.challenges(stale)).unwrap_or_default(),
            Scheme::Bearer => vec![match bearer_error {
                Some(e) => format!("Bearer realm=\"{realm}\", error=\"{e}\""),
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

fn scheme_word(s: Scheme) -> &'static str {
    match s {
        Scheme::Basic => "basic",
        Scheme::Digest => "digest",
        Scheme::Bearer => "bearer",
    }
}

/// One structured audit line per decision. Never a secret.
fn audit(t: &Target, user: &str, scheme: &str, outcome: &str, backend: &str) {
    tracing::info!(
        target: "wicket::audit",
        front = "http",
        user = %user.escape_debug(),
        client = %t.client,
        method = %t.method.escape_debug(),
        // The path only: query strings can carry secrets.
        path = %t.path().chars().take(256).collect::<String>().escape_debug(),
        scheme,
        outcome,
        backend,
        "auth"
    );
}

async fn authenticate(app: &Arc<App>, rt: &Arc<Runtime>, presented: Presented, target: &Target) -> Answer {
    let denied = Answer::Denied { stale: false, bearer_error: None };
    let credential = match presented {
        Presented::None | Presented::OtherScheme => return denied,
        Presented::Malformed { scheme, why } => {
            audit(target, "-", scheme.unwrap_or("malformed"), "malformed", "-");
            tracing::debug!("malformed credentials: {why}");
            app.metrics.decision("malformed", "malformed");
            return Answer::Malformed { why, bearer: scheme == Some("bearer") };
        }
        Presented::Basic { user, password } if rt.offers(Scheme::Basic) => {
            Credential::Password { user, secret: password }
        }
        Presented::Digest(response) if rt.offers(Scheme::Digest) => {
            Credential::Digest { response, method: target.method.clone(), uri: target.uri.clone() }
        }
        Presented::Bearer(token) if rt.offers(Scheme::Bearer) => Credential::Bearer(token),
        _ => return denied,
    };
    let bearer_error = (credential.scheme() == Scheme::Bearer).then_some("invalid_token");
    let ctx = Context::http(real_client(rt, target), &target.method, target.path());
    let outcome = rt.auth.verify(credential, &ctx).await;
    outcome.event.log();
    app.metrics.decision(outcome.event.scheme, outcome.event.outcome);
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    match outcome.decision {
        Decision::Accepted(id) => Answer::Accepted(id),
        Decision::Stale => Answer::Denied { stale: true, bearer_error: None },
        Decision::Unavailable(_) => Answer::Unavailable,
        Decision::Rejected(_) | Decision::Unknown | Decision::Throttled(_) => {
            Answer::Denied { stale: false, bearer_error }
        }
    }
}

/// The client address to count failures under, unless the "client" is a trusted proxy
/// itself (nginx sent no X-Real-IP / X-Forwarded-For): then every user behind it would share
/// one key, and five wrong passwords from anyone would lock everyone out. Per-account
/// throttling still applies.
fn real_client(rt: &Runtime, t: &Target) -> Option<IpAddr> {
    (!crate::net::any_contains(&rt.trusted, &t.client)).then_some(t.client)
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
