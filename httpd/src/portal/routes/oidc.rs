//! `/oidc/start` and `/oidc/callback`: sign-in through an `[[oidc]]` provider (issue 16).
//!
//! `GET /oidc/start?provider=NAME&rd=…` fetches the provider's discovery document (cached),
//! makes fresh `state`, `nonce` and PKCE verifier ([`FlowSecrets`]), keeps them with `rd`
//! in a short-lived flow cookie (HttpOnly, `SameSite=Lax` so it comes back with the
//! provider's redirect, MAC'd with the portal's CSRF key under its own purpose), and sends
//! the browser to the provider. `GET /oidc/callback?code&state` checks the cookie's MAC and
//! age, the `state` (constant-time; each state is accepted once, kept in memory until it
//! expires), exchanges the code (with the verifier and the client secret), verifies the ID
//! token ([`wicket_core::oidc::id_token`], refetching the key set on an unknown `kid`),
//! optionally asks userinfo, maps the claims, resolves the Wicket user through the store's
//! external identities, and opens a session exactly like `POST /login`.
//!
//! Every refusal is a portal page with a generic message; the reason is logged (never a
//! code, token or secret) and the attempt written to the audit trail (`scheme = oidc`).
//! The provider state (discovery, keys, used states) lives in a process-wide table keyed
//! by issuer and client id, so a reload keeps it and a changed provider starts afresh.

use super::oidc_account::{AccountRefusal, resolve};
use super::oidc_http::{Call, send};
use super::*;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use subtle::ConstantTimeEq;
use wicket_core::config::{CALLBACK_PATH, OidcConfig};
use wicket_core::oidc::OidcError;
use wicket_core::oidc::claims::map;
use wicket_core::oidc::discovery::{self, ClientAuth, Discovery};
use wicket_core::oidc::id_token::{self, Expected, IdToken, Verified};
use wicket_core::oidc::jose::parse_jwks;
use wicket_core::oidc::keys::KeyCache;
use wicket_core::oidc::pkce::{FlowSecrets, authorization_url, encode};

/// How long a started sign-in may take at the provider.
const FLOW_MAX_AGE: Duration = Duration::from_secs(600);
/// How long a discovery document is used before it is fetched again.
const DISCOVERY_MAX_AGE: i64 = 3600;
/// Longest `rd` kept in the flow cookie (the cookie must stay under 4 KiB).
const MAX_RD: usize = 2048;

/// What one provider's sign-ins share: its discovery document, keys and used states.
#[derive(Default)]
struct ProviderState {
    discovery: Option<(Discovery, i64)>,
    keys: KeyCache,
    used_states: HashMap<String, i64>,
}

static PROVIDERS: LazyLock<Mutex<HashMap<(String, String), ProviderState>>> = LazyLock::new(Default::default);

fn with_state<T>(p: &OidcConfig, f: impl FnOnce(&mut ProviderState) -> T) -> T {
    let mut all = PROVIDERS.lock().unwrap_or_else(|e| e.into_inner());
    f(all.entry((p.issuer.clone(), p.client_id.clone())).or_default())
}

/// What the flow cookie carries.
#[derive(Serialize, Deserialize)]
struct Flow {
    p: String,
    s: String,
    n: String,
    v: String,
    r: String,
}

fn flow_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-wicket_oidc" } else { "wicket_oidc" }
}

/// The discovery document, cached for an hour.
async fn discover(p: &OidcConfig, now: i64) -> Result<Discovery, OidcError> {
    if let Some(d) = with_state(p, |s| s.discovery.clone()) {
        if now.saturating_sub(d.1) < DISCOVERY_MAX_AGE && now >= d.1 {
            return Ok(d.0);
        }
    }
    let url = discovery::discovery_url(&p.issuer);
    let body = send(Call { method: Method::GET, url: &url, authorization: None, form: None }).await?;
    let d = discovery::parse(&body, &p.issuer)?;
    with_state(p, |s| s.discovery = Some((d.clone(), now)));
    Ok(d)
}

fn provider<'a>(portal: &'a Portal<'_>, name: &str) -> Option<&'a OidcConfig> {
    portal.rt.cfg.oidc.iter().find(|p| p.name == name)
}

fn redirect_uri(portal: &Portal<'_>) -> String {
    format!("{}{CALLBACK_PATH}", portal.cfg.portal_url.as_deref().unwrap_or("").trim_end_matches('/'))
}

impl Portal<'_> {
    /// A refusal page (with a link back to the sign-in form, where the other ways still work).
    fn oidc_refused(&self, ctx: &Context, user: &str, status: StatusCode, message: &str) -> Response<Body> {
        let event = crate::events::portal_event(ctx, user, "rejected", "oidc");
        self.app.audit(&wicket_core::verify::AuditEvent { scheme: "oidc", ..event });
        let mut r = self.error(status, "Not signed in", message);
        if let Ok(c) = delete_cookie(flow_cookie_name(self.cfg.secure), &self.flow_options()) {
            append(&mut r, SET_COOKIE, &c);
        }
        r
    }

    fn flow_options(&self) -> CookieOptions {
        CookieOptions { same_site: wicket_core::config::SameSite::Lax, ..self.prelogin_options() }
    }
}

/// `GET /oidc/start?provider=NAME&rd=…`.
pub(super) async fn start(portal: &Portal<'_>, ctx: &Context, query: &str) -> Response<Body> {
    let name = query_param(query, "provider").unwrap_or_default();
    let Some(p) = provider(portal, &name) else {
        return portal.error(StatusCode::NOT_FOUND, "Not signed in", "This sign-in method is not offered here.");
    };
    let d = match discover(p, portal.now).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("oidc {}: discovery: {e}", p.name);
            let msg = format!(
                "Sign-in with {} is unavailable right now. Please try again later or sign in another way.",
                p.name
            );
            return portal.oidc_refused(ctx, "-", StatusCode::SERVICE_UNAVAILABLE, &msg);
        }
    };
    let Ok(secrets) = FlowSecrets::generate() else { return text_unavailable() };
    let rd = query_param(query, field::RD).unwrap_or_default();
    let rd = redirect_target(Some(&rd), &portal.policy, "");
    let flow = Flow {
        p: p.name.clone(),
        s: secrets.state.clone(),
        n: secrets.nonce.clone(),
        v: secrets.verifier.clone(),
        r: if rd.len() <= MAX_RD { rd.to_string() } else { String::new() },
    };
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&flow).unwrap_or_default());
    let Ok(mac) = csrf::issue(portal.key, Purpose::OidcFlow, Binding::PreLogin(&payload), portal.now) else {
        return text_unavailable();
    };
    let url = authorization_url(&d.authorization_endpoint, &p.client_id, &redirect_uri(portal), &p.scopes, &secrets);
    let mut r = portal.see_other(&url);
    match set_cookie(
        flow_cookie_name(portal.cfg.secure),
        &format!("{payload}.{mac}"),
        &portal.flow_options(),
        Lifetime::Persistent(FLOW_MAX_AGE),
    ) {
        Ok(c) => append(&mut r, SET_COOKIE, &c),
        Err(e) => {
            tracing::warn!("oidc: flow cookie: {e}");
            return text_unavailable();
        }
    }
    r
}

/// The flow cookie, checked (MAC, age).
fn read_flow(portal: &Portal<'_>, cookies: &Cookies) -> Option<Flow> {
    let value = cookies.first(flow_cookie_name(portal.cfg.secure))?;
    let (payload, mac) = value.split_once('.')?;
    csrf::verify(portal.key, Purpose::OidcFlow, Binding::PreLogin(payload), mac, portal.now, FLOW_MAX_AGE).ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    access_token: Option<String>,
}

/// Code → ID token (verified) and, when asked, userinfo's claims merged in.
async fn redeem(
    p: &OidcConfig,
    d: &Discovery,
    flow: &Flow,
    code: &str,
    redirect: &str,
    now: i64,
) -> Result<IdToken, OidcError> {
    let secret = client_secret(p)?;
    let mut form = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
        encode(code),
        encode(redirect),
        encode(&flow.v)
    );
    let authorization = match d.client_auth {
        ClientAuth::Basic => {
            let pair = format!("{}:{}", encode(&p.client_id), encode(secret.expose()));
            Some(format!("Basic {}", STANDARD.encode(pair)))
        }
        ClientAuth::Post => {
            form.push_str(&format!("&client_id={}&client_secret={}", encode(&p.client_id), encode(secret.expose())));
            None
        }
    };
    let body = send(Call { method: Method::POST, url: &d.token_endpoint, authorization, form: Some(form) }).await?;
    let tokens: TokenResponse = serde_json::from_slice(&body).map_err(|_| OidcError::Malformed("token response"))?;
    let raw = tokens.id_token.ok_or(OidcError::Malformed("token response without id_token"))?;
    let want = Expected { issuer: &p.issuer, client_id: &p.client_id, nonce: &flow.n, now };
    let mut token = match with_state(p, |s| id_token::verify(&raw, &s.keys, &want))? {
        Verified::Good(t) => t,
        Verified::NeedKeys => {
            if !with_state(p, |s| s.keys.may_fetch(now)) {
                return Err(OidcError::UnknownKey);
            }
            let body = send(Call { method: Method::GET, url: &d.jwks_uri, authorization: None, form: None }).await?;
            let keys = parse_jwks(&body)?;
            match with_state(p, |s| {
                s.keys.replace(keys, now);
                id_token::verify(&raw, &s.keys, &want)
            })? {
                Verified::Good(t) => t,
                Verified::NeedKeys => return Err(OidcError::UnknownKey),
            }
        }
    };
    if p.userinfo {
        let (Some(endpoint), Some(access)) = (d.userinfo_endpoint.as_deref(), tokens.access_token.as_deref()) else {
            return Err(OidcError::Malformed("userinfo asked for but not offered"));
        };
        let body = send(Call {
            method: Method::GET,
            url: endpoint,
            authorization: Some(format!("Bearer {access}")),
            form: None,
        })
        .await?;
        let info: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&body).map_err(|_| OidcError::Malformed("userinfo"))?;
        if info.get("sub").and_then(|s| s.as_str()) != Some(token.sub.as_str()) {
            return Err(OidcError::SubjectMismatch);
        }
        for (k, v) in info {
            token.claims.entry(k).or_insert(v);
        }
    }
    Ok(token)
}

/// The client secret: inline, or read from its file (mode 0600 or 0640 at most).
fn client_secret(p: &OidcConfig) -> Result<wicket_core::config::ClientSecret, OidcError> {
    if let Some(s) = &p.client_secret {
        return Ok(s.clone());
    }
    let path = p.client_secret_file.as_ref().ok_or(OidcError::Malformed("no client secret configured"))?;
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(|_| OidcError::Unreachable("client_secret_file unreadable".into()))?;
    if meta.mode() & 0o037 != 0 {
        return Err(OidcError::Unreachable("client_secret_file must be mode 0600 or 0640".into()));
    }
    let text =
        std::fs::read_to_string(path).map_err(|_| OidcError::Unreachable("client_secret_file unreadable".into()))?;
    Ok(wicket_core::config::ClientSecret::new(text.trim_end_matches(['\r', '\n']).to_string()))
}

/// `GET /oidc/callback?code=…&state=…`.
pub(super) async fn callback(portal: &Portal<'_>, cookies: &Cookies, ctx: &Context, query: &str) -> Response<Body> {
    let expired = "This sign-in expired or was already used. Please sign in again.";
    let Some(flow) = read_flow(portal, cookies) else {
        return portal.oidc_refused(ctx, "-", StatusCode::BAD_REQUEST, expired);
    };
    let Some(p) = provider(portal, &flow.p).cloned() else {
        return portal.oidc_refused(ctx, "-", StatusCode::BAD_REQUEST, expired);
    };
    let state = query_param(query, "state").unwrap_or_default();
    if state.is_empty() || !bool::from(state.as_bytes().ct_eq(flow.s.as_bytes())) {
        tracing::info!("oidc {}: state does not match the browser's sign-in", p.name);
        return portal.oidc_refused(ctx, "-", StatusCode::BAD_REQUEST, expired);
    }
    let now = portal.now;
    let fresh = with_state(&p, |s| {
        let limit = i64::try_from(FLOW_MAX_AGE.as_secs()).unwrap_or(600);
        s.used_states.retain(|_, at| now.saturating_sub(*at) <= limit);
        s.used_states.insert(flow.s.clone(), now).is_none()
    });
    if !fresh {
        tracing::info!("oidc {}: a state came back twice", p.name);
        return portal.oidc_refused(ctx, "-", StatusCode::BAD_REQUEST, expired);
    }
    if query_param(query, "error").is_some() {
        let msg = format!("{} did not sign you in. You can try again or sign in another way.", p.name);
        return portal.oidc_refused(ctx, "-", StatusCode::UNAUTHORIZED, &msg);
    }
    let code = query_param(query, "code").unwrap_or_default();
    let unavailable =
        format!("Sign-in with {} is unavailable right now. Please try again later or sign in another way.", p.name);
    let d = match discover(&p, now).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("oidc {}: discovery: {e}", p.name);
            return portal.oidc_refused(ctx, "-", StatusCode::SERVICE_UNAVAILABLE, &unavailable);
        }
    };
    let token = match redeem(&p, &d, &flow, &code, &redirect_uri(portal), now).await {
        Ok(t) => t,
        Err(e @ OidcError::Unreachable(_)) => {
            tracing::warn!("oidc {}: {e}", p.name);
            return portal.oidc_refused(ctx, "-", StatusCode::SERVICE_UNAVAILABLE, &unavailable);
        }
        Err(e) => {
            tracing::warn!("oidc {}: sign-in refused: {e}", p.name);
            let msg = format!("The answer from {} could not be trusted. Please sign in again.", p.name);
            return portal.oidc_refused(ctx, "-", StatusCode::UNAUTHORIZED, &msg);
        }
    };
    let mapped = match map(&p, &token.claims) {
        Ok(m) => m,
        Err(e) => {
            tracing::info!("oidc {}: sign-in refused: {e}", p.name);
            let msg = match e {
                OidcError::DomainNotAllowed | OidcError::GroupNotAllowed => {
                    "Your account is not allowed to sign in here. Ask your administrator.".to_string()
                }
                _ => format!(
                    "{} did not tell us who you are (a user name or a verified e-mail). Ask your administrator.",
                    p.name
                ),
            };
            return portal.oidc_refused(ctx, "-", StatusCode::FORBIDDEN, &msg);
        }
    };
    let resolved = {
        let (rt, sub, m, p) = (portal.rt.clone(), token.sub.clone(), mapped.clone(), p.clone());
        tokio::task::spawn_blocking(move || resolve(&rt, now, &p, &sub, &m)).await
    };
    let id = match resolved {
        Ok(Ok(id)) => id,
        Ok(Err(AccountRefusal::NotKnown)) => {
            let msg = "There is no account here for you. Ask your administrator.";
            return portal.oidc_refused(ctx, &mapped.name, StatusCode::FORBIDDEN, msg);
        }
        Ok(Err(AccountRefusal::Taken)) => {
            let msg = "This name already belongs to another account here. Ask your administrator.";
            return portal.oidc_refused(ctx, &mapped.name, StatusCode::FORBIDDEN, msg);
        }
        Ok(Err(AccountRefusal::Disabled)) => {
            let msg = "Your account here is locked, disabled or expired. Ask your administrator.";
            return portal.oidc_refused(ctx, &mapped.name, StatusCode::FORBIDDEN, msg);
        }
        Ok(Err(AccountRefusal::Store(e))) => {
            tracing::warn!("oidc {}: store: {e}", p.name);
            return portal.oidc_refused(ctx, &mapped.name, StatusCode::SERVICE_UNAVAILABLE, &unavailable);
        }
        Err(_) => return text_unavailable(),
    };
    let mut r = match portal.open_session_response(cookies, &id, &flow.r).await {
        Some(r) => r,
        None => return portal.oidc_refused(ctx, &id.name, StatusCode::SERVICE_UNAVAILABLE, &unavailable),
    };
    if let Ok(c) = delete_cookie(flow_cookie_name(portal.cfg.secure), &portal.flow_options()) {
        append(&mut r, SET_COOKIE, &c);
    }
    let event = crate::events::portal_event(ctx, &id.name, "session_opened", &id.backend);
    portal.app.audit(&wicket_core::verify::AuditEvent { scheme: "oidc", ..event });
    r
}

impl Portal<'_> {
    /// Like `POST /login` after the password was accepted: a fresh session for `id` (the
    /// browser's previous one ends), its cookie, and a 303 to `rd` if allowed. `None` when
    /// the session could not be opened (logged).
    async fn open_session_response(&self, cookies: &Cookies, id: &Identity, rd: &str) -> Option<Response<Body>> {
        let opened = {
            let (id, rt) = (id.clone(), self.rt.clone());
            tokio::task::spawn_blocking(move || rt.auth.open_session(&id, false)).await
        };
        let session = match opened {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::warn!("oidc: could not open a session: {e}");
                return None;
            }
            Err(_) => return None,
        };
        if let Some(old) = self.session_cookie(cookies) {
            let rt = self.rt.clone();
            if !matches!(tokio::task::spawn_blocking(move || rt.auth.close_session(&old)).await, Ok(Ok(_))) {
                tracing::warn!("oidc: could not end the replaced session");
            }
        }
        let value = session.cookie.expose_str().unwrap_or_default();
        let mut r = self.see_other(redirect_target(Some(rd), &self.policy, pages::HOME_PATH));
        match set_cookie(&self.cfg.name, value, &self.cookie_options(), Lifetime::BrowserSession) {
            Ok(c) => append(&mut r, SET_COOKIE, &c),
            Err(e) => {
                tracing::warn!("oidc: session cookie: {e}");
                return None;
            }
        }
        Some(r)
    }
}
