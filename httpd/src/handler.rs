//! Routes and the access decision. The service is a function of [`App`]: tests drive
//! [`handle`] in-process, the server feeds it real connections.
//!
//! `/auth` (also `/auth/nginx`, `/auth/forward`) answers reverse proxies: 200 with
//! `Remote-*` identity headers, 401 with challenges, 403, or 503 — never a redirect or a
//! 400, which nginx would turn into a 500. `/whoami` answers scripts with JSON.

use crate::app::{App, Runtime};
use crate::credentials::{self, Presented};
use crate::digest::{DigestOutcome, DigestResponse, UserRef};
use crate::rules::decide;
use crate::target::{Target, original};
use crate::verify::Checked;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use wicket_core::auth::{BackendAnswer, Identity};
use wicket_core::config::{Policy, Scheme};
use wicket_core::local::{account_refusal, identity};
use wicket_core::secret::Secret;
use wicket_core::throttle::{client_key, user_key};

/// The response body type.
pub type Body = Full<Bytes>;

/// How authentication ended.
#[derive(Debug)]
enum Outcome {
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
        Outcome::Accepted(id) => {
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
        Outcome::Denied { stale, bearer_error } => challenge(&rt, scheme, stale, bearer_error),
        Outcome::Malformed { bearer, .. } => challenge(&rt, scheme, false, bearer.then_some("invalid_request")),
        Outcome::Unavailable => unavailable(),
    }
}

async fn whoami<B>(app: &Arc<App>, peer: SocketAddr, req: &Request<B>) -> Response<Body> {
    let rt = app.runtime();
    let target = original(req.method(), req.uri(), req.headers(), peer, &rt.trusted);
    let presented = credentials::from_headers(req.headers());
    let scheme = presented.scheme();
    match authenticate(app, &rt, presented, &target).await {
        Outcome::Accepted(id) => {
            let mut body = serde_json::to_vec_pretty(&id).unwrap_or_default();
            body.push(b'\n');
            let mut r = Response::new(Full::new(Bytes::from(body)));
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Outcome::Denied { stale, bearer_error } => challenge(&rt, scheme, stale, bearer_error),
        Outcome::Malformed { why, bearer } => {
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
        Outcome::Unavailable => unavailable(),
    }
}

async fn healthz(app: &Arc<App>) -> Response<Body> {
    let rt = app.runtime();
    let Some(local) = rt.chain.local.clone() else { return text(StatusCode::OK, "ok\n") };
    match tokio::task::spawn_blocking(move || local.generation()).await {
        Ok(Ok(_)) => text(StatusCode::OK, "ok\n"),
        _ => text(StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n"),
    }
}

fn metrics(app: &Arc<App>) -> Response<Body> {
    let rt = app.runtime();
    let nonces = rt.digest.as_ref().map_or(0, |d| d.tracked_nonces() as u64);
    let body = app.metrics.render(&[
        ("wicket_cache_entries", "Credential cache entries.", rt.cache.len() as u64),
        ("wicket_throttle_keys", "Users and clients tracked by the throttle.", rt.throttle.tracked() as u64),
        ("wicket_digest_nonces", "Digest nonces tracked for replay.", nonces),
    ]);
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
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
            Scheme::Digest => rt.digest.as_ref().map(|d| d.challenges(stale)).unwrap_or_default(),
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

async fn authenticate(app: &Arc<App>, rt: &Arc<Runtime>, presented: Presented, target: &Target) -> Outcome {
    let denied = Outcome::Denied { stale: false, bearer_error: None };
    match presented {
        Presented::None | Presented::OtherScheme => denied,
        Presented::Malformed { scheme, why } => {
            audit(target, "-", scheme.unwrap_or("malformed"), "malformed", "-");
            tracing::debug!("malformed credentials: {why}");
            app.metrics.decision("malformed", "malformed");
            Outcome::Malformed { why, bearer: scheme == Some("bearer") }
        }
        Presented::Basic { user, password } if rt.offers(Scheme::Basic) => basic(app, rt, user, password, target).await,
        Presented::Digest(resp) if rt.offers(Scheme::Digest) => digest(app, rt, *resp, target).await,
        Presented::Bearer(token) if rt.offers(Scheme::Bearer) => bearer(app, rt, token, target).await,
        _ => denied,
    }
}

/// Who tried, with what: the fields of a failure's audit line.
struct Attempt<'a> {
    target: &'a Target,
    user: &'a str,
    scheme: &'static str,
}

/// The per-client throttle key, unless the "client" is a trusted proxy itself (nginx sent no
/// X-Real-IP / X-Forwarded-For): then every user behind it would share one key, and five
/// wrong passwords from anyone would lock everyone out. Per-user throttling still applies.
fn client_throttle_key(rt: &Runtime, t: &Target) -> Option<String> {
    if crate::net::any_contains(&rt.trusted, &t.client) {
        return None;
    }
    Some(client_key(&t.client))
}

/// Failure bookkeeping shared by every scheme: count, log, then wait the throttle's delay.
async fn fail(
    app: &Arc<App>,
    rt: &Arc<Runtime>,
    keys: &[String],
    who: Attempt<'_>,
    outcome: &'static str,
    backend: &str,
) {
    audit(who.target, who.user, who.scheme, outcome, backend);
    app.metrics.decision(who.scheme, outcome);
    crate::verify::failed(rt, keys).await;
}

fn throttled(app: &Arc<App>, rt: &Arc<Runtime>, keys: &[String], t: &Target, user: &str, scheme: &'static str) -> bool {
    if crate::verify::locked(app, rt, keys, scheme).is_none() {
        return false;
    }
    audit(t, user, scheme, "throttled", "-");
    true
}

async fn basic(app: &Arc<App>, rt: &Arc<Runtime>, user: String, password: Secret, t: &Target) -> Outcome {
    let mut keys = vec![user_key(&user)];
    keys.extend(client_throttle_key(rt, t));
    let denied = Outcome::Denied { stale: false, bearer_error: None };
    match crate::verify::password(app, rt, &user, password, &keys, "basic", true).await {
        Checked::Accepted(id) => {
            audit(t, &id.name, "basic", "accepted", &id.backend);
            Outcome::Accepted(id)
        }
        Checked::Rejected { reason, backend } => {
            audit(t, &user, "basic", reason.as_str(), &backend);
            denied
        }
        Checked::Unknown => {
            audit(t, &user, "basic", "unknown_user", "-");
            denied
        }
        Checked::Throttled(_) => {
            audit(t, &user, "basic", "throttled", "-");
            denied
        }
        Checked::Unavailable(_) => {
            audit(t, &user, "basic", "unavailable", "-");
            Outcome::Unavailable
        }
    }
}

async fn digest(app: &Arc<App>, rt: &Arc<Runtime>, resp: DigestResponse, t: &Target) -> Outcome {
    let (Some(verifier), Some(local)) = (rt.digest.clone(), rt.chain.local.clone()) else {
        return Outcome::Denied { stale: false, bearer_error: None };
    };
    let claimed = if resp.userhash { "(userhash)".to_string() } else { resp.username.clone() };
    let mut keys: Vec<String> = client_throttle_key(rt, t).into_iter().collect();
    if !resp.userhash {
        keys.push(user_key(&resp.username));
    }
    if throttled(app, rt, &keys, t, &claimed, "digest") {
        return Outcome::Denied { stale: false, bearer_error: None };
    }
    let (method, uri) = (t.method.clone(), t.uri.clone());
    let now_fn = app.clock.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut db_down = false;
        let outcome = verifier.verify(&resp, &method, &uri, |who, alg| {
            let (text, by_hash) = match who {
                UserRef::Name(n) => (n.as_str(), false),
                UserRef::UserHash(h) => (h.as_str(), true),
            };
            match local.digest_ha1(text, by_hash, alg.into()) {
                Ok(found) => found,
                Err(_) => {
                    db_down = true;
                    None
                }
            }
        });
        let user = match &outcome {
            DigestOutcome::Ok { user } => local.user(user).map_err(|_| ()),
            _ => Ok(None),
        };
        (outcome, user, db_down)
    })
    .await;
    let Ok((outcome, user, db_down)) = result else { return Outcome::Unavailable };
    if db_down {
        audit(t, &claimed, "digest", "unavailable", "local");
        return Outcome::Unavailable;
    }
    match outcome {
        DigestOutcome::Ok { user: name } => {
            let Ok(user) = user else { return Outcome::Unavailable };
            let Some(user) = user else {
                fail(app, rt, &keys, Attempt { target: t, user: &name, scheme: "digest" }, "unknown_user", "local")
                    .await;
                return Outcome::Denied { stale: false, bearer_error: None };
            };
            if let Some(r) = account_refusal(&user, now_fn.now()) {
                fail(app, rt, &keys, Attempt { target: t, user: &name, scheme: "digest" }, r.as_str(), "local").await;
                return Outcome::Denied { stale: false, bearer_error: None };
            }
            rt.throttle.record_success(&user_key(&name));
            app.metrics.decision("digest", "accepted");
            audit(t, &name, "digest", "accepted", "local");
            Outcome::Accepted(identity(&user))
        }
        DigestOutcome::Stale { reason } => {
            tracing::debug!("digest stale: {reason}");
            app.metrics.decision("digest", "stale");
            Outcome::Denied { stale: true, bearer_error: None }
        }
        // A nonce this process cannot vouch for — most often one issued before a restart —
        // is not a guess at a password: answer with a fresh nonce and stale=true so the
        // client retries without asking its user again, and count no failure.
        DigestOutcome::Invalid("nonce invalid") => {
            tracing::debug!("digest: unknown nonce, asking for a retry");
            app.metrics.decision("digest", "stale");
            Outcome::Denied { stale: true, bearer_error: None }
        }
        DigestOutcome::Invalid(reason) => {
            tracing::debug!("digest refused: {reason}");
            fail(app, rt, &keys, Attempt { target: t, user: &claimed, scheme: "digest" }, "bad_credentials", "local")
                .await;
            Outcome::Denied { stale: false, bearer_error: None }
        }
        DigestOutcome::UnknownUser => {
            fail(app, rt, &keys, Attempt { target: t, user: &claimed, scheme: "digest" }, "unknown_user", "-").await;
            Outcome::Denied { stale: false, bearer_error: None }
        }
    }
}

async fn bearer(app: &Arc<App>, rt: &Arc<Runtime>, token: Secret, t: &Target) -> Outcome {
    let invalid = Outcome::Denied { stale: false, bearer_error: Some("invalid_token") };
    let Some(local) = rt.chain.local.as_ref() else { return invalid };
    let keys: Vec<String> = client_throttle_key(rt, t).into_iter().collect();
    if throttled(app, rt, &keys, t, "-", "bearer") {
        return invalid;
    }
    let generation = crate::verify::generation(rt).await;
    let cache_key = rt.cache.key_for(&[b"bearer", token.expose()]);
    let cached = generation.and_then(|g| rt.cache.get_tagged(&cache_key, g));
    // Inline, like the generation read: a SHA-256 and three indexed SELECTs on a pooled WAL
    // connection (readers never wait for writers).
    let (answer, token_use) = match cached {
        Some((id, tag)) => {
            app.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
            (BackendAnswer::Accepted(id), tag.map(|id| wicket_core::local::TokenUse { id, valid_until: None }))
        }
        None => {
            let (answer, token_use) = local.verify_token(&token);
            if let (BackendAnswer::Accepted(id), Some(u), Some(g)) = (&answer, token_use, generation) {
                rt.cache.put_until(cache_key, id.clone(), g, u.valid_until, Some(u.id));
            }
            (answer, token_use)
        }
    };
    match answer {
        BackendAnswer::Accepted(id) => {
            if let Some(u) = token_use {
                app.token_uses.lock().unwrap_or_else(|e| e.into_inner()).insert(u.id, app.clock.now());
            }
            app.metrics.decision("bearer", "accepted");
            audit(t, &id.name, "bearer", "accepted", "local");
            Outcome::Accepted(id)
        }
        BackendAnswer::Rejected(r) => {
            fail(app, rt, &keys, Attempt { target: t, user: "-", scheme: "bearer" }, r.as_str(), "local").await;
            invalid
        }
        BackendAnswer::Unknown => {
            fail(app, rt, &keys, Attempt { target: t, user: "-", scheme: "bearer" }, "unknown_token", "local").await;
            invalid
        }
        BackendAnswer::Unavailable(why) => {
            tracing::warn!("token store unavailable: {why}");
            Outcome::Unavailable
        }
    }
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
