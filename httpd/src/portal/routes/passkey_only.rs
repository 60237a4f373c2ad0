//! `POST /login/passkey-only`: passwordless sign-in (`[webauthn] passwordless = true`). A
//! discoverable passkey used with user verification is both factors — something held and
//! something known or been — so the session opens with two. Only local accounts: their
//! state (locked, disabled, expired) and groups are read from the store here; an LDAP or
//! PAM account signs in with its password first.
//!
//! The form carries the sign-in form's token (bound to the pre-login cookie) and the
//! challenge issued with that page (bound to the same cookie, single use).

use super::passkey_ceremony::{THROTTLED, relying_party, take_challenge, with_store};
use super::*;
use crate::portal::pages::passkey::fields;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use wicket_core::webauthn::{self, Assertion, RelyingParty};

const REFUSED: &str = "That passkey was not accepted. Sign in with your password, or try again.";

/// `POST /login/passkey-only`.
pub(super) async fn post<B: FormBody>(
    app: &App,
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    body: B,
) -> Response<Body> {
    let Some(form) = read_form(body).await else {
        return portal.error(StatusCode::PAYLOAD_TOO_LARGE, "Form not accepted", "The form could not be read.");
    };
    let rd = form.get(field::RD).unwrap_or_default();
    let prelogin = cookies.first(csrf::prelogin_cookie_name(portal.cfg.secure)).unwrap_or("").to_string();
    let token = form.get(field::CSRF).unwrap_or_default();
    let checked =
        csrf::verify(portal.key, Purpose::Login, Binding::PreLogin(&prelogin), &token, portal.now, FORM_MAX_AGE);
    let rp = relying_party(portal).filter(|_| portal.rt.cfg.webauthn.passwordless);
    let (Ok(()), Some(rp)) = (checked, rp) else {
        let Ok(fresh) = csrf::new_prelogin_value() else { return text_unavailable() };
        let msg = "The form expired or was not sent from this page. Please sign in again.";
        return portal.login_page(StatusCode::FORBIDDEN, &fresh, Some(msg), "", &rd);
    };
    let again = |status, msg: &str| portal.login_page(status, &prelogin, Some(msg), "", &rd);
    // Under the throttle a password meets: the origin first (the account is not known yet).
    let auth = &portal.rt.auth;
    if auth.factor_locked(None, ctx).is_some() {
        app.audit(&portal_event(ctx, "-", "throttled", "local"));
        return again(StatusCode::TOO_MANY_REQUESTS, THROTTLED);
    }
    let challenge = form.get(fields::CHALLENGE).unwrap_or_default();
    let Some(challenge) = take_challenge(&challenge, "passwordless", &prelogin, portal.now) else {
        return again(StatusCode::BAD_REQUEST, "The passkey request expired. Please try again.");
    };
    let field = |name| form.get(name).and_then(|v| URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).ok());
    let (Some(cred_id), Some(client_data), Some(auth_data), Some(signature)) = (
        field(fields::CREDENTIAL_ID),
        field(fields::CLIENT_DATA),
        field(fields::AUTHENTICATOR_DATA),
        field(fields::SIGNATURE),
    ) else {
        tokio::time::sleep(auth.factor_failed(None, ctx)).await;
        return again(StatusCode::BAD_REQUEST, REFUSED);
    };
    let now = portal.now;
    let checked = with_store(portal, move |s| {
        let Some(stored) = s.find_passkey(&cred_id)? else { return Ok(Err(("-".to_string(), "unknown credential"))) };
        let who = stored.user_name.clone();
        if stored.backend != "local" {
            return Ok(Err((who, "not a local account")));
        }
        // Passwordless: user verification is required whatever `user_verification` says.
        let party = RelyingParty { id: &rp.id, origin: &rp.origin, require_uv: true };
        let assertion =
            Assertion { client_data_json: &client_data, authenticator_data: &auth_data, signature: &signature };
        let count =
            match webauthn::verify_assertion(&party, &challenge, &stored.public_key, stored.sign_count, &assertion) {
                Ok(c) => c,
                Err(webauthn::WebauthnError::Counter { .. }) => return Ok(Err((who, "counter did not move forward"))),
                Err(_) => return Ok(Err((who, "assertion refused"))),
            };
        if !s.record_passkey_use(&cred_id, stored.sign_count, count, now)? {
            return Ok(Err((who, "counter did not move forward")));
        }
        let Some(user) = s.get_user(&stored.user_name)? else { return Ok(Err((who, "no such user"))) };
        if wicket_core::local::account_refusal(&user, now).is_some() {
            return Ok(Err((who, "account not active")));
        }
        Ok(Ok(wicket_core::local::identity(&user)))
    })
    .await;
    let id = match checked {
        Ok(Ok(id)) => id,
        Ok(Err((who, why))) => {
            let outcome = if why.starts_with("counter") { "passkey_clone_warning" } else { "passkey_refused" };
            if outcome == "passkey_clone_warning" {
                tracing::warn!(
                    "portal: passwordless passkey of {who} refused: {why} (possibly a cloned authenticator)"
                );
            } else {
                tracing::info!("portal: passwordless passkey refused: {why}");
            }
            app.audit(&portal_event(ctx, &who, outcome, "local"));
            tokio::time::sleep(auth.factor_failed(Some(who.as_str()).filter(|w| *w != "-"), ctx)).await;
            return again(StatusCode::UNAUTHORIZED, REFUSED);
        }
        Err(e) => {
            tracing::warn!("portal: passkeys unreadable: {e}");
            return again(StatusCode::SERVICE_UNAVAILABLE, "Sign-in is unavailable right now. Please try again later.");
        }
    };
    // The account's own count (a password guessed at, codes refused) holds here too.
    if auth.factor_locked(Some(&id.name), ctx).is_some() {
        app.audit(&portal_event(ctx, &id.name, "throttled", "local"));
        return again(StatusCode::TOO_MANY_REQUESTS, THROTTLED);
    }
    auth.factor_accepted(&id.name);
    finish_sign_in(app, portal, cookies, ctx, &id, false, &rd, 2).await
}
