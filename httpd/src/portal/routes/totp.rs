//! The second factor at sign-in: after a right password, an account with a confirmed TOTP
//! enrolment gets the code page instead of a session; and the step-up of a signed-in
//! one-factor session that met a `two_factor` rule.
//!
//! The pending sign-in travels in the code form, not on the server: [`PENDING`] holds who
//! signed in (name, backend, ids, groups — what the session will hold; never the password)
//! and "remember me", base64url JSON, and the form's CSRF token is bound to the pre-login
//! cookie *and* that value ([`Purpose::SecondFactor`]) and good for [`PENDING_MAX_AGE`]. So
//! the page cannot be replayed from another browser, edited to another user, or used after
//! five minutes; the token is not re-issued after a wrong code, so the five minutes count
//! from the password. Codes go through [`Authenticator::verify_code`](wicket_core::verify::Authenticator::verify_code): wrong and
//! replayed codes are throttled like passwords.
//!
//! Step-up rotates the session id ([`wicket_core::verify::Authenticator::step_up_session`]):
//! the browser keeps its sign-in (time, expiry, "remember me") under a fresh id with two
//! factors, so an id that leaked before the step-up is not worth more after it.

use super::second_factor::{check_code, is_enrolled, refusal, upgrade};
use super::*;
use crate::portal::form::url_encode;
use crate::portal::pages::totp::{self as tp, CODE, CodePage, PENDING, UNAVAILABLE};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// How long the code page of a pending sign-in stays good.
pub(super) const PENDING_MAX_AGE: Duration = Duration::from_secs(300);
/// Longest pending value read back (a user in very many groups still fits).
const MAX_PENDING: usize = 16 * 1024;

/// Who signed in with a password and waits for the code (no secret in it).
#[derive(Serialize, Deserialize)]
pub(super) struct Pending {
    name: String,
    backend: String,
    uid: Option<u32>,
    gid: Option<u32>,
    display_name: Option<String>,
    email: Option<String>,
    groups: Vec<String>,
    remember_me: bool,
}

impl Pending {
    pub(super) fn encode(id: &Identity, remember_me: bool) -> String {
        let p = Pending {
            name: id.name.clone(),
            backend: id.backend.clone(),
            uid: id.uid,
            gid: id.gid,
            display_name: id.display_name.clone(),
            email: id.email.clone(),
            groups: id.groups.clone(),
            remember_me,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&p).unwrap_or_default())
    }

    pub(super) fn decode(s: &str) -> Option<(Identity, bool)> {
        if s.len() > MAX_PENDING {
            return None;
        }
        let p: Pending = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let id = Identity {
            name: p.name,
            uid: p.uid,
            gid: p.gid,
            display_name: p.display_name,
            email: p.email,
            groups: p.groups,
            backend: p.backend,
            scopes: None,
        };
        Some((id, p.remember_me))
    }
}

/// What the pending sign-in's token is bound to: the pre-login cookie and the pending
/// value, length-prefixed so no two pairs run together.
pub(super) fn pending_binding(prelogin: &str, pending: &str) -> String {
    format!("{}:{prelogin}{pending}", prelogin.len())
}

/// After a right password: the code page when the account has a second factor, `None`
/// when it has none (a session opens as before). A store that cannot tell fails closed.
pub(super) async fn code_needed(
    portal: &Portal<'_>,
    prelogin: &str,
    id: &Identity,
    remember_me: bool,
    rd: &str,
) -> Option<Response<Body>> {
    portal.rt.auth.chain().local.as_ref()?;
    match is_enrolled(portal, id).await {
        Ok(false) => None,
        Ok(true) => {
            let pending = Pending::encode(id, remember_me);
            let binding = pending_binding(prelogin, &pending);
            let Ok(token) = csrf::issue(portal.key, Purpose::SecondFactor, Binding::PreLogin(&binding), portal.now)
            else {
                return Some(text_unavailable());
            };
            Some(code_page(portal, StatusCode::OK, tp::CODE_PATH, &token, &pending, rd, &id.name, None))
        }
        Err(e) => {
            tracing::warn!("portal: second factor unreadable: {e}");
            Some(portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn code_page(
    portal: &Portal<'_>,
    status: StatusCode,
    action: &str,
    csrf: &str,
    pending: &str,
    rd: &str,
    user: &str,
    error: Option<&str>,
) -> Response<Body> {
    let rd = redirect_target(Some(rd), &portal.policy, "");
    let page = CodePage { action, error, csrf, pending, rd, user };
    portal.page(status, tp::code(&portal.brand(), &page))
}

/// A posted second-factor form of a pending sign-in (`POST /login/code`, `/login/passkey`),
/// checked against this browser's pre-login cookie.
pub(super) struct PendingPost {
    pub form: Form,
    pub rd: String,
    pub pending: String,
    pub token: String,
    /// What the form's token is bound to (the pre-login cookie and the pending sign-in).
    pub binding: String,
    pub id: Identity,
    pub remember_me: bool,
}

/// Reads and checks a pending sign-in's form; an unreadable form, or a pending sign-in that
/// expired, was forged or comes from another browser, gets its answer as `Err`.
pub(super) async fn read_pending<B: FormBody>(
    portal: &Portal<'_>,
    cookies: &Cookies,
    body: B,
) -> Result<PendingPost, Response<Body>> {
    let Some(form) = read_form(body).await else {
        return Err(portal.error(StatusCode::PAYLOAD_TOO_LARGE, "Form not accepted", "The form could not be read."));
    };
    let rd = form.get(field::RD).unwrap_or_default();
    let pending = form.get(PENDING).unwrap_or_default();
    let prelogin = cookies.first(csrf::prelogin_cookie_name(portal.cfg.secure)).unwrap_or("").to_string();
    let token = form.get(field::CSRF).unwrap_or_default();
    let binding = pending_binding(&prelogin, &pending);
    let checked = csrf::verify(
        portal.key,
        Purpose::SecondFactor,
        Binding::PreLogin(&binding),
        &token,
        portal.now,
        PENDING_MAX_AGE,
    );
    let (Ok(()), Some((id, remember_me))) = (checked, Pending::decode(&pending)) else {
        return Err(expired_sign_in(portal, &rd));
    };
    Ok(PendingPost { form, rd, pending, token, binding, id, remember_me })
}

/// The sign-in form again, for a pending sign-in that can no longer be finished.
pub(super) fn expired_sign_in(portal: &Portal<'_>, rd: &str) -> Response<Body> {
    let Ok(fresh) = csrf::new_prelogin_value() else { return text_unavailable() };
    let msg = "The sign-in expired or was not sent from this page. Please sign in again.";
    portal.login_page(StatusCode::FORBIDDEN, &fresh, Some(msg), "", rd)
}

/// `POST /login/code`.
pub(super) async fn post_code<B: FormBody>(
    app: &App,
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    body: B,
) -> Response<Body> {
    let p = match read_pending(portal, cookies, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let PendingPost { form, rd, pending, token, id, remember_me, .. } = p;
    let code = form.get(CODE).unwrap_or_default();
    let again =
        |status, msg: &str| code_page(portal, status, tp::CODE_PATH, &token, &pending, &rd, &id.name, Some(msg));
    if code.trim().is_empty() {
        return again(StatusCode::BAD_REQUEST, "Enter the code from your authenticator app.");
    }
    let outcome = check_code(portal, &id, &code, ctx).await;
    if outcome.accepted() {
        return finish_sign_in(app, portal, cookies, ctx, &id, remember_me, &rd, 2).await;
    }
    let (status, msg, retry) = refusal(&outcome);
    let mut r = again(status, msg);
    if let Some(secs) = retry {
        append(&mut r, RETRY_AFTER, &secs.to_string());
    }
    r
}

/// `GET /login?prompt=two_factor&rd=…` (from `/auth` on a `two_factor` rule): the step-up page.
pub(super) fn to_step_up(portal: &Portal<'_>, rd: &str) -> Response<Body> {
    let rd = redirect_target(Some(rd), &portal.policy, "");
    if rd.is_empty() {
        return portal.see_other(tp::STEP_UP_PATH);
    }
    portal.see_other(&format!("{}?rd={}", tp::STEP_UP_PATH, url_encode(rd)))
}

/// `GET /login/step-up`: the code page for a signed-in browser, or (no enrolment yet) the
/// account's two-factor page that leads through enrolment and back to `rd`.
pub(super) async fn step_up_page(portal: &Portal<'_>, cookies: &Cookies, ctx: &Context, rd: &str) -> Response<Body> {
    let Some((id, hash)) = portal.signed_in(cookies, ctx).await else {
        let rd = redirect_target(Some(rd), &portal.policy, "");
        let login = if rd.is_empty() { "/login".to_string() } else { format!("/login?rd={}", url_encode(rd)) };
        return portal.see_other(&login);
    };
    match is_enrolled(portal, &id).await {
        Ok(true) => {
            let Ok(token) = csrf::issue(portal.key, Purpose::StepUp, Binding::Session(hash.as_bytes()), portal.now)
            else {
                return text_unavailable();
            };
            code_page(portal, StatusCode::OK, tp::STEP_UP_PATH, &token, "", rd, &id.name, None)
        }
        Ok(false) => {
            let notice = "This page needs two-factor sign-in. Set it up now to continue.";
            super::totp_account::render(portal, StatusCode::OK, &id, &hash, None, Some(notice), rd).await
        }
        Err(e) => {
            tracing::warn!("portal: second factor unreadable: {e}");
            portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE)
        }
    }
}

/// A step-up form, read and checked.
pub(super) struct StepUpPost {
    pub form: Form,
    pub rd: String,
    pub token: String,
    pub id: Identity,
    /// The session's hash, which the form's token is bound to.
    pub hash: String,
}

/// Reads a step-up form from a signed-in browser and checks its token against the session;
/// an unreadable form, no session (to the sign-in page) or a token that does not hold gets
/// its answer as `Err`.
pub(super) async fn read_step_up<B: FormBody>(
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    body: B,
) -> Result<StepUpPost, Response<Body>> {
    let Some(form) = read_form(body).await else {
        return Err(portal.error(StatusCode::PAYLOAD_TOO_LARGE, "Form not accepted", "The form could not be read."));
    };
    let rd = form.get(field::RD).unwrap_or_default();
    let Some((id, hash)) = portal.signed_in(cookies, ctx).await else {
        return Err(portal.see_other("/login"));
    };
    let token = form.get(field::CSRF).unwrap_or_default();
    let checked =
        csrf::verify(portal.key, Purpose::StepUp, Binding::Session(hash.as_bytes()), &token, portal.now, FORM_MAX_AGE);
    if let Err(e) = checked {
        tracing::debug!("portal: step-up form refused: {e}");
        return Err(step_up_expired(portal));
    }
    Ok(StepUpPost { form, rd, token, id, hash })
}

/// The answer to a step-up form whose token does not hold.
pub(super) fn step_up_expired(portal: &Portal<'_>) -> Response<Body> {
    portal.error(StatusCode::FORBIDDEN, "Not verified", "The form expired. Please go back and try again.")
}

/// `POST /login/step-up`: a right code turns the session into a two-factor one under a
/// fresh id, and the browser goes on to `rd`.
pub(super) async fn post_step_up<B: FormBody>(
    _app: &App,
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    body: B,
) -> Response<Body> {
    let StepUpPost { form, rd, token, id, .. } = match read_step_up(portal, cookies, ctx, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let code = form.get(CODE).unwrap_or_default();
    let again = |status, msg: &str| code_page(portal, status, tp::STEP_UP_PATH, &token, "", &rd, &id.name, Some(msg));
    if code.trim().is_empty() {
        return again(StatusCode::BAD_REQUEST, "Enter the code from your authenticator app.");
    }
    let outcome = check_code(portal, &id, &code, ctx).await;
    if !outcome.accepted() {
        let (status, msg, retry) = refusal(&outcome);
        let mut r = again(status, msg);
        if let Some(secs) = retry {
            append(&mut r, RETRY_AFTER, &secs.to_string());
        }
        return r;
    }
    let next = redirect_target(Some(&rd), &portal.policy, pages::HOME_PATH).to_string();
    upgrade(portal, cookies, ctx, &id, portal.see_other(&next)).await
}
