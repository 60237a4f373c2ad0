//! The portal's routes: `GET/POST /login`, `GET/POST /logout`, the signed-in page at `/`
//! (and `/account`), and `/portal.css`. Reached only with `[session]` in the config.
//!
//! A front like the others: the sign-in form becomes a `Credential::Password` with the
//! request's `Context` (same chain, throttle and delays as Basic), a cookie becomes a
//! `Credential::Session`; the core decides, this file renders. Every page carries the
//! security headers ([`pages::security_headers`]); every POST is checked against a CSRF
//! token ([`csrf`]); `rd` is followed only when [`redirect::checked_redirect`] allows it.
//! Messages after a failed sign-in never say whether the account exists.
//!
//! Bodies: a form is read up to [`MAX_FORM_BYTES`](super::form::MAX_FORM_BYTES). The connection wrapper
//! (`crate::conns::Watched`) turns control bytes into `0xFF` in bytes that arrive with a
//! request head, which can include the start of a body; a form body
//! (`application/x-www-form-urlencoded`) holds only printable ASCII, so a real form is never
//! changed, and one carrying raw control bytes fails UTF-8 decoding and is refused.

mod invite;
mod oidc;
mod oidc_account;
mod oidc_http;
mod passkey;
mod passkey_account;
mod passkey_ceremony;
mod passkey_only;
mod password;
mod second_factor;
mod sign_in;
mod totp;
mod totp_account;

use super::cookie::{CookieOptions, Cookies, Lifetime, Lookup, delete_cookie, set_cookie};
use super::csrf::{self, Binding, CsrfKey, Purpose};
use super::form::{Form, query_param, read_form};
use super::pages::{self, Branding, LoginPage, LogoutPage, PasswordPage, SignedInPage, field};
use super::redirect::{RedirectPolicy, redirect_target};
use crate::app::{App, Runtime};
use crate::body::{Body, FormBody};
use crate::events::portal_event;
use crate::target::original;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{COOKIE, HeaderName, HeaderValue, LOCATION, RETRY_AFTER, SET_COOKIE};
use hyper::{Method, Request, Response, StatusCode};
use password::change_password;
use sign_in::{finish_sign_in, login, logout};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use wicket_core::auth::Identity;
use wicket_core::config::SessionConfig;
use wicket_core::secret::Secret;
use wicket_core::verify::{Context, Credential, Decision, session_hash};

/// How long a form's CSRF token stays good.
const FORM_MAX_AGE: Duration = Duration::from_secs(3600);
/// The one message after any failed sign-in: no hint whether the name exists.
const SIGN_IN_FAILED: &str = "The username or password is incorrect.";

/// True for the paths the portal answers.
pub fn is_portal_path(path: &str) -> bool {
    matches!(path, "/login" | "/logout" | "/" | "/account" | pages::PASSWORD_PATH | pages::CSS_PATH)
        || matches!(path, pages::OIDC_START_PATH | wicket_core::config::CALLBACK_PATH)
        || pages::totp::is_totp_path(path)
        || path == pages::invite::INVITE_PATH
        || pages::passkey::is_passkey_path(path)
}

/// Everything a portal request needs from the current config.
struct Portal<'a> {
    app: &'a App,
    rt: &'a Arc<Runtime>,
    cfg: &'a SessionConfig,
    key: &'a CsrfKey,
    policy: RedirectPolicy,
    now: i64,
}

impl Portal<'_> {
    fn brand(&self) -> Branding<'_> {
        Branding { title: &self.cfg.title, logo: self.cfg.logo.as_deref() }
    }

    fn cookie_options(&self) -> CookieOptions {
        CookieOptions { domain: self.cfg.domain.clone(), secure: self.cfg.secure, same_site: self.cfg.same_site }
    }

    /// The pre-login cookie is host-only (its `__Host-` name demands it with `Secure`).
    fn prelogin_options(&self) -> CookieOptions {
        CookieOptions { domain: None, ..self.cookie_options() }
    }

    fn page(&self, status: StatusCode, html: String) -> Response<Body> {
        let mut r = Response::new(Full::new(Bytes::from(html)));
        *r.status_mut() = status;
        let h = r.headers_mut();
        h.insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static(pages::HTML_CONTENT_TYPE));
        for (name, value) in pages::security_headers(&self.policy) {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(HeaderName::from_static(static_lower(name)), v);
            }
        }
        r
    }

    fn error(&self, status: StatusCode, heading: &str, message: &str) -> Response<Body> {
        self.page(status, pages::error_page(&self.brand(), heading, message))
    }

    /// 303 to `location` (already checked), with the security headers.
    fn see_other(&self, location: &str) -> Response<Body> {
        let mut r = self.page(StatusCode::SEE_OTHER, String::new());
        if let Ok(v) = HeaderValue::from_str(location) {
            r.headers_mut().insert(LOCATION, v);
        }
        r
    }

    /// The session cookie's value when the browser sent exactly one.
    fn session_cookie(&self, cookies: &Cookies) -> Option<Secret> {
        match cookies.unique(&self.cfg.name) {
            Lookup::One(v) if !v.is_empty() => Some(Secret::from(v)),
            _ => None,
        }
    }

    /// The signed-in identity and the session's hash, if the cookie holds a live session.
    async fn signed_in(&self, cookies: &Cookies, ctx: &Context) -> Option<(Identity, String)> {
        let cookie = self.session_cookie(cookies)?;
        let hash = session_hash(&cookie);
        let outcome = self.rt.auth.verify(Credential::Session(cookie), ctx).await;
        self.app.audit(&outcome.event);
        match outcome.decision {
            Decision::Accepted(id) => Some((id, hash)),
            _ => None,
        }
    }

    fn login_page(
        &self,
        status: StatusCode,
        prelogin: &str,
        error: Option<&str>,
        username: &str,
        rd: &str,
    ) -> Response<Body> {
        let token = match csrf::issue(self.key, Purpose::Login, Binding::PreLogin(prelogin), self.now) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("portal: {e}");
                return self.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", "Please try again later.");
            }
        };
        // Keep `rd` in the form only when it would be followed.
        let rd = redirect_target(Some(rd), &self.policy, "");
        let page = LoginPage { error, username, rd, csrf: &token, remember_me: self.cfg.remember_me_enabled() };
        let providers: Vec<&str> = self.rt.cfg.oidc.iter().map(|p| p.name.as_str()).collect();
        let html = pages::login_with_providers(&self.brand(), &page, &providers);
        let html = passkey::with_passwordless(self, prelogin, &token, rd, html);
        let mut r = self.page(status, html);
        let name = csrf::prelogin_cookie_name(self.cfg.secure);
        match set_cookie(name, prelogin, &self.prelogin_options(), Lifetime::BrowserSession) {
            Ok(c) => append(&mut r, SET_COOKIE, &c),
            Err(e) => tracing::warn!("portal: pre-login cookie: {e}"),
        }
        r
    }
}

impl Portal<'_> {
    /// The password change form (or, for a user whose password lives in LDAP or PAM, a page
    /// saying so), its token bound to the session.
    fn password_page(
        &self,
        status: StatusCode,
        id: &Identity,
        hash: &str,
        error: Option<&str>,
        done: bool,
    ) -> Response<Body> {
        if id.backend != "local" {
            return self.page(
                StatusCode::OK,
                pages::error_page(
                    &self.brand(),
                    "Password managed elsewhere",
                    "Your password is not kept by this sign-in service. Change it where your account is managed \
                     (ask your administrator).",
                ),
            );
        }
        let Ok(token) = csrf::issue(self.key, Purpose::PasswordChange, Binding::Session(hash.as_bytes()), self.now)
        else {
            return text_unavailable();
        };
        let page = PasswordPage { user: &id.name, error, done, csrf: &token };
        self.page(status, pages::password_change(&self.brand(), &page))
    }
}

/// The header names [`pages::security_headers`] uses, lower-cased for `HeaderName`.
fn static_lower(name: &'static str) -> &'static str {
    match name {
        "Content-Security-Policy" => "content-security-policy",
        "Referrer-Policy" => "referrer-policy",
        "X-Content-Type-Options" => "x-content-type-options",
        "Cache-Control" => "cache-control",
        _ => "x-portal-header",
    }
}

fn append(r: &mut Response<Body>, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(name, v);
    }
}

/// Answers a portal path (see [`is_portal_path`]) under `cfg`.
pub async fn serve<B: FormBody>(
    app: &Arc<App>,
    rt: &Arc<Runtime>,
    cfg: &SessionConfig,
    peer: SocketAddr,
    req: Request<B>,
) -> Response<Body> {
    let policy = RedirectPolicy::new(cfg.domain.as_deref(), &cfg.allowed_redirect_hosts);
    let Some(key) = app.csrf.as_ref() else {
        return text_unavailable();
    };
    let portal = Portal { app, rt, cfg, key, policy, now: app.clock.now() };
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let target = original(req.method(), req.uri(), req.headers(), peer, &rt.trusted);
    let ctx = target.context();
    let cookies = Cookies::parse(req.headers().get_all(COOKIE).iter().map(HeaderValue::as_bytes));
    let query_rd = query_param(req.uri().query().unwrap_or(""), field::RD).unwrap_or_default();
    match (method, path.as_str()) {
        (Method::GET | Method::HEAD, pages::CSS_PATH) => css(),
        (m, p) if pages::passkey::takes(&m, p) => passkey::serve(app, &portal, &cookies, &ctx, &m, p, req).await,
        (Method::GET, pages::OIDC_START_PATH) => oidc::start(&portal, &ctx, req.uri().query().unwrap_or("")).await,
        (Method::GET, wicket_core::config::CALLBACK_PATH) => {
            oidc::callback(&portal, &cookies, &ctx, req.uri().query().unwrap_or("")).await
        }
        (Method::GET | Method::HEAD, "/login") => {
            // `prompt=login` (a rule's `max_age`): the form even for a signed-in browser.
            let prompt_param = query_param(req.uri().query().unwrap_or(""), "prompt");
            if prompt_param.as_deref() == Some("two_factor") {
                return totp::to_step_up(&portal, &query_rd);
            }
            let prompt = prompt_param.is_some_and(|p| p == "login");
            if !prompt && portal.signed_in(&cookies, &ctx).await.is_some() {
                return portal.see_other(redirect_target(Some(&query_rd), &portal.policy, pages::HOME_PATH));
            }
            let prelogin = match prelogin_value(&cookies, cfg) {
                Some(v) => v,
                None => match csrf::new_prelogin_value() {
                    Ok(v) => v,
                    Err(_) => return text_unavailable(),
                },
            };
            portal.login_page(StatusCode::OK, &prelogin, None, "", &query_rd)
        }
        (Method::POST, "/login") => {
            let Some(form) = read_form(req.into_body()).await else {
                return portal.error(StatusCode::PAYLOAD_TOO_LARGE, "Form not accepted", "The form could not be read.");
            };
            login(app, &portal, &cookies, &ctx, &form).await
        }
        (Method::GET | Method::HEAD, "/logout") => match portal.signed_in(&cookies, &ctx).await {
            Some((id, hash)) => {
                let Ok(token) = csrf::issue(key, Purpose::Logout, Binding::Session(hash.as_bytes()), portal.now) else {
                    return text_unavailable();
                };
                let rd = redirect_target(Some(&query_rd), &portal.policy, "");
                let page = LogoutPage { user: &id.name, csrf: &token, rd };
                portal.page(StatusCode::OK, pages::logout_confirm(&portal.brand(), &page))
            }
            None => portal.see_other("/login"),
        },
        (Method::POST, "/logout") => {
            let Some(form) = read_form(req.into_body()).await else {
                return portal.error(StatusCode::PAYLOAD_TOO_LARGE, "Form not accepted", "The form could not be read.");
            };
            logout(&portal, &cookies, &ctx, &form).await
        }
        (Method::GET | Method::HEAD, "/" | "/account") => match portal.signed_in(&cookies, &ctx).await {
            Some((id, hash)) => {
                let Ok(token) = csrf::issue(key, Purpose::Logout, Binding::Session(hash.as_bytes()), portal.now) else {
                    return text_unavailable();
                };
                let page = SignedInPage {
                    user: &id.name,
                    display_name: id.display_name.as_deref(),
                    groups: &id.groups,
                    csrf: &token,
                    can_change_password: id.backend == "local",
                };
                portal.page(StatusCode::OK, pages::signed_in(&portal.brand(), &page))
            }
            None => portal.see_other("/login"),
        },
        (Method::GET | Method::HEAD, pages::PASSWORD_PATH) => match portal.signed_in(&cookies, &ctx).await {
            Some((id, hash)) => portal.password_page(StatusCode::OK, &id, &hash, None, false),
            None => portal.see_other("/login"),
        },
        (Method::POST, pages::totp::CODE_PATH) => totp::post_code(app, &portal, &cookies, &ctx, req.into_body()).await,
        (Method::GET | Method::HEAD, pages::totp::STEP_UP_PATH) => {
            passkey::step_up_page(&portal, &cookies, &ctx, &query_rd).await
        }
        (Method::POST, pages::totp::STEP_UP_PATH) => {
            totp::post_step_up(app, &portal, &cookies, &ctx, req.into_body()).await
        }
        (Method::GET | Method::HEAD, pages::totp::ACCOUNT_PATH) => totp_account::page(&portal, &cookies, &ctx).await,
        (Method::POST, pages::totp::ACCOUNT_PATH) => {
            totp_account::post(app, &portal, &cookies, &ctx, req.into_body()).await
        }
        (Method::POST, pages::PASSWORD_PATH) => {
            let Some(form) = read_form(req.into_body()).await else {
                return portal.error(StatusCode::PAYLOAD_TOO_LARGE, "Form not accepted", "The form could not be read.");
            };
            change_password(app, &portal, &cookies, &ctx, &form).await
        }
        (Method::GET | Method::HEAD, pages::invite::INVITE_PATH) => {
            invite::show(&portal, req.uri().query().unwrap_or(""), &cookies, &ctx).await
        }
        (Method::POST, pages::invite::INVITE_PATH) => {
            let Some(form) = read_form(req.into_body()).await else {
                return portal.error(StatusCode::PAYLOAD_TOO_LARGE, "Form not accepted", "The form could not be read.");
            };
            invite::choose(app, &portal, &cookies, &ctx, &form).await
        }
        _ => {
            let mut r = portal.error(StatusCode::METHOD_NOT_ALLOWED, "Not allowed", "This page does not take that.");
            let allow =
                if matches!(path.as_str(), "/login" | "/logout" | pages::PASSWORD_PATH | pages::invite::INVITE_PATH)
                    || pages::totp::is_totp_path(&path)
                    || (pages::passkey::is_passkey_path(&path) && path != pages::passkey::JS_PATH)
                {
                    "GET, HEAD, POST"
                } else {
                    "GET, HEAD"
                };
            r.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
            r
        }
    }
}

/// A pre-login cookie the browser already has, if it looks like one this portal wrote
/// (kept, so two open sign-in tabs both work).
fn prelogin_value(cookies: &Cookies, cfg: &SessionConfig) -> Option<String> {
    let v = cookies.first(csrf::prelogin_cookie_name(cfg.secure))?;
    let ok = (32..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    ok.then(|| v.to_string())
}

fn css() -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(pages::CSS.as_bytes())));
    for (name, value) in pages::css_headers() {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name.to_ascii_lowercase()), HeaderValue::from_str(value)) {
            r.headers_mut().insert(n, v);
        }
    }
    r
}

fn text_unavailable() -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(b"portal unavailable\n")));
    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    r.headers_mut().insert(hyper::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
