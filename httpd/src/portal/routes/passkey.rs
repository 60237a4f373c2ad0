//! Passkeys as the second factor: at sign-in after the password (beside the TOTP code when
//! the account has both) and for the step-up of a `two_factor` rule.
//!
//! Challenges: 32 random bytes, kept in this process for [`CHALLENGE_TTL`](super::passkey_ceremony::CHALLENGE_TTL) with what they
//! were issued for (the ceremony and the browser: the pending sign-in's binding, or the
//! session's hash) and removed at first use, right or wrong — single use, short-lived and
//! bound to the browser like the portal's forms. A restart forgets them (the page is simply
//! loaded again). Several wicketd instances behind one name need sticky sessions for
//! passkeys until challenges move to the store.
//!
//! The assertion is checked by [`wicket_core::webauthn`]; the credential must belong to the
//! account signing in; the counter moves by a compare-and-set in the store. A counter that
//! did not move forward is refused and logged as a possible cloned authenticator.

use super::passkey_ceremony::{THROTTLED, issue_challenge, passkeys_of, relying_party, take_challenge, with_store};
use super::second_factor::{is_enrolled, upgrade};
use super::totp::{
    Pending, PendingPost, StepUpPost, expired_sign_in, pending_binding, read_pending, read_step_up, step_up_expired,
};
use super::*;
use crate::portal::pages::passkey::{self as pk, GetOptions, SecondFactorPage, fields};
use crate::portal::pages::totp::{self as tp, UNAVAILABLE};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use wicket_core::config::RelyingPartyConfig;
use wicket_core::store::PasskeyRecord;
use wicket_core::webauthn::{self, Assertion, RelyingParty, WebauthnError};

fn credential_list(passkeys: &[PasskeyRecord]) -> String {
    passkeys.iter().map(|p| URL_SAFE_NO_PAD.encode(&p.credential_id)).collect::<Vec<_>>().join(",")
}

/// After a right password: the passkey page when the account has a passkey (with the code
/// form too when it has TOTP); `None` when it has none or passkeys are off.
pub(super) async fn sign_in_needed(
    portal: &Portal<'_>,
    prelogin: &str,
    id: &Identity,
    remember_me: bool,
    rd: &str,
) -> Option<Response<Body>> {
    let rp = relying_party(portal)?;
    portal.rt.auth.chain().local.as_ref()?;
    let passkeys = match passkeys_of(portal, id).await {
        Ok(p) if p.is_empty() => return None,
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("portal: passkeys unreadable: {e}");
            return Some(portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE));
        }
    };
    let pending = Pending::encode(id, remember_me);
    let binding = pending_binding(prelogin, &pending);
    let Ok(token) = csrf::issue(portal.key, Purpose::SecondFactor, Binding::PreLogin(&binding), portal.now) else {
        return Some(text_unavailable());
    };
    let totp = is_enrolled(portal, id).await.unwrap_or(false);
    let code_action = totp.then_some(tp::CODE_PATH);
    Some(second_factor_page(portal, &rp, &passkeys, id, &token, &pending, &binding, rd, code_action, None))
}

#[allow(clippy::too_many_arguments)]
fn second_factor_page(
    portal: &Portal<'_>,
    rp: &RelyingPartyConfig,
    passkeys: &[PasskeyRecord],
    id: &Identity,
    token: &str,
    pending: &str,
    binding: &str,
    rd: &str,
    code_action: Option<&str>,
    error: Option<&str>,
) -> Response<Body> {
    let ceremony = if pending.is_empty() { "step_up" } else { "sign_in" };
    let Some(challenge) = issue_challenge(ceremony, binding, portal.now) else {
        return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE);
    };
    let rd = redirect_target(Some(rd), &portal.policy, "");
    let credentials = credential_list(passkeys);
    let action = if pending.is_empty() { pk::STEP_UP_PATH } else { pk::SIGN_IN_PATH };
    let uv = portal.rt.cfg.webauthn.user_verification.as_str();
    let get = GetOptions {
        action,
        csrf: token,
        pending,
        rd,
        challenge: &challenge,
        rp_id: &rp.id,
        user_verification: uv,
        credentials: &credentials,
    };
    let page = SecondFactorPage { user: &id.name, get, code_action, error };
    let status = match error {
        None => StatusCode::OK,
        Some(THROTTLED) => StatusCode::TOO_MANY_REQUESTS,
        Some(_) => StatusCode::UNAUTHORIZED,
    };
    portal.page(status, pk::second_factor(&portal.brand(), &page))
}

/// Checks the assertion in `form` for `id`'s account against the challenge issued for
/// `ceremony` and `binding`; the message to show when refused.
pub(super) async fn check_assertion(
    portal: &Portal<'_>,
    ctx: &Context,
    id: &Identity,
    ceremony: &str,
    binding: &str,
    form: &Form,
) -> Result<(), &'static str> {
    const EXPIRED: &str = "The passkey request expired. Please try again.";
    const REFUSED: &str = "That passkey was not accepted. Try again or use another one.";
    let rp = relying_party(portal).ok_or(UNAVAILABLE)?;
    // Under the throttle a code meets: the account, the origin, the second factor.
    let auth = &portal.rt.auth;
    if auth.factor_locked(Some(&id.name), ctx).is_some() {
        portal.app.audit(&portal_event(ctx, &id.name, "throttled", &id.backend));
        return Err(THROTTLED);
    }
    let challenge = form.get(fields::CHALLENGE).unwrap_or_default();
    let challenge = take_challenge(&challenge, ceremony, binding, portal.now).ok_or(EXPIRED)?;
    let field = |name| form.get(name).and_then(|v| URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).ok());
    let (Some(cred_id), Some(client_data), Some(auth_data), Some(signature)) = (
        field(fields::CREDENTIAL_ID),
        field(fields::CLIENT_DATA),
        field(fields::AUTHENTICATOR_DATA),
        field(fields::SIGNATURE),
    ) else {
        tokio::time::sleep(auth.factor_failed(Some(&id.name), ctx)).await;
        return Err(REFUSED);
    };
    let (name, backend, now) = (id.name.clone(), id.backend.clone(), portal.now);
    let checked = with_store(portal, move |s| {
        let Some(stored) = s.find_passkey(&cred_id)? else { return Ok(Err(None)) };
        if stored.backend != backend || stored.user_name != name {
            return Ok(Err(None));
        }
        let rp = RelyingParty { id: &rp.id, origin: &rp.origin, require_uv: rp.require_uv };
        let assertion =
            Assertion { client_data_json: &client_data, authenticator_data: &auth_data, signature: &signature };
        match webauthn::verify_assertion(&rp, &challenge, &stored.public_key, stored.sign_count, &assertion) {
            Ok(count) if s.record_passkey_use(&cred_id, stored.sign_count, count, now)? => Ok(Ok(stored.name)),
            Ok(_) => Ok(Err(Some(WebauthnError::Counter { stored: stored.sign_count, received: stored.sign_count }))),
            Err(e) => Ok(Err(Some(e))),
        }
    })
    .await;
    match checked {
        Ok(Ok(passkey)) => {
            tracing::debug!("portal: passkey '{passkey}' of {} accepted", id.name);
            auth.factor_accepted(&id.name);
            Ok(())
        }
        Ok(Err(why)) => {
            let outcome = if matches!(why, Some(WebauthnError::Counter { .. })) {
                tracing::warn!(
                    "portal: passkey of {} refused: {} (possibly a cloned authenticator)",
                    id.name,
                    why.as_ref().map_or_else(String::new, ToString::to_string)
                );
                "passkey_clone_warning"
            } else {
                let why = why.map_or_else(|| "unknown credential".to_string(), |e| e.to_string());
                tracing::info!("portal: passkey of {} refused: {why}", id.name);
                "passkey_refused"
            };
            portal.app.audit(&portal_event(ctx, &id.name, outcome, &id.backend));
            tokio::time::sleep(auth.factor_failed(Some(&id.name), ctx)).await;
            Err(REFUSED)
        }
        Err(e) => {
            tracing::warn!("portal: passkeys unreadable: {e}");
            Err(UNAVAILABLE)
        }
    }
}

/// `POST /login/passkey`: the passkey of a pending sign-in.
pub(super) async fn post_sign_in<B: FormBody>(
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
    let PendingPost { form, rd, pending, token, binding, id, remember_me } = p;
    let Some(rp) = relying_party(portal) else { return expired_sign_in(portal, &rd) };
    match check_assertion(portal, ctx, &id, "sign_in", &binding, &form).await {
        Ok(()) => finish_sign_in(app, portal, cookies, ctx, &id, remember_me, &rd, 2).await,
        Err(msg) => {
            let passkeys = passkeys_of(portal, &id).await.unwrap_or_default();
            let totp = is_enrolled(portal, &id).await.unwrap_or(false);
            let code_action = totp.then_some(tp::CODE_PATH);
            second_factor_page(portal, &rp, &passkeys, &id, &token, &pending, &binding, &rd, code_action, Some(msg))
        }
    }
}

/// `GET /login/step-up`: the passkey page for an account with a passkey (the code form
/// beside it with TOTP); otherwise the code page of [`super::totp::step_up_page`].
pub(super) async fn step_up_page(portal: &Portal<'_>, cookies: &Cookies, ctx: &Context, rd: &str) -> Response<Body> {
    if let (Some(rp), Some((id, hash))) = (relying_party(portal), portal.signed_in(cookies, ctx).await) {
        if let Ok(passkeys) = passkeys_of(portal, &id).await {
            if !passkeys.is_empty() {
                return step_up_with(portal, &rp, &passkeys, &id, &hash, rd, None).await;
            }
        }
    }
    super::totp::step_up_page(portal, cookies, ctx, rd).await
}

async fn step_up_with(
    portal: &Portal<'_>,
    rp: &RelyingPartyConfig,
    passkeys: &[PasskeyRecord],
    id: &Identity,
    hash: &str,
    rd: &str,
    error: Option<&str>,
) -> Response<Body> {
    let Ok(token) = csrf::issue(portal.key, Purpose::StepUp, Binding::Session(hash.as_bytes()), portal.now) else {
        return text_unavailable();
    };
    let totp = is_enrolled(portal, id).await.unwrap_or(false);
    let code_action = totp.then_some(tp::STEP_UP_PATH);
    second_factor_page(portal, rp, passkeys, id, &token, "", hash, rd, code_action, error)
}

/// `POST /login/step-up/passkey`: a passkey turns the session into a two-factor one.
pub(super) async fn post_step_up<B: FormBody>(
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    body: B,
) -> Response<Body> {
    let StepUpPost { form, rd, id, hash, .. } = match read_step_up(portal, cookies, ctx, body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(rp) = relying_party(portal) else { return step_up_expired(portal) };
    if let Err(msg) = check_assertion(portal, ctx, &id, "step_up", &hash, &form).await {
        let passkeys = passkeys_of(portal, &id).await.unwrap_or_default();
        return step_up_with(portal, &rp, &passkeys, &id, &hash, &rd, Some(msg)).await;
    }
    let next = redirect_target(Some(&rd), &portal.policy, pages::HOME_PATH).to_string();
    upgrade(portal, cookies, ctx, &id, portal.see_other(&next)).await
}

/// `GET /passkey.js`.
pub(super) fn js() -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(pk::JS.as_bytes())));
    for (name, value) in pk::js_headers() {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name.to_ascii_lowercase()), HeaderValue::from_str(value)) {
            r.headers_mut().insert(n, v);
        }
    }
    r
}

/// The sign-in page `html` with "Sign in with a passkey" when `[webauthn] passwordless` is
/// on; its challenge is bound to the pre-login cookie, and it posts the form's own token.
pub(super) fn with_passwordless(portal: &Portal<'_>, prelogin: &str, token: &str, rd: &str, html: String) -> String {
    let Some(rp) = relying_party(portal).filter(|_| portal.rt.cfg.webauthn.passwordless) else { return html };
    if portal.rt.auth.chain().local.is_none() {
        return html;
    }
    let Some(challenge) = issue_challenge("passwordless", prelogin, portal.now) else { return html };
    let rd = redirect_target(Some(rd), &portal.policy, "");
    pk::with_passwordless(&html, token, rd, &challenge, &rp.id)
}

/// The passkey routes (see [`pk::takes`]).
pub(super) async fn serve<B: FormBody>(
    app: &App,
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    method: &Method,
    path: &str,
    req: Request<B>,
) -> Response<Body> {
    match (path, *method == Method::POST) {
        (pk::JS_PATH, _) => js(),
        (pk::ACCOUNT_PATH, false) => super::passkey_account::page(portal, cookies, ctx).await,
        (pk::ACCOUNT_PATH, true) => super::passkey_account::post(portal, cookies, ctx, req.into_body()).await,
        (pk::SIGN_IN_PATH, _) => post_sign_in(app, portal, cookies, ctx, req.into_body()).await,
        (pk::STEP_UP_PATH, _) => post_step_up(portal, cookies, ctx, req.into_body()).await,
        _ => super::passkey_only::post(app, portal, cookies, ctx, req.into_body()).await,
    }
}
