//! `/account/passkeys`: a signed-in user lists, adds and removes passkeys.
//!
//! Every POST carries a token bound to the session ([`Purpose::PasskeyAccount`]) and an
//! `action`: `register` (the result of `navigator.credentials.create` for the challenge the
//! page carried, checked by [`wicket_core::webauthn::verify_registration`]) or `remove`
//! (by name). Removing a passkey — and adding one to an account that already has a second
//! factor — needs a two-factor session or one opened in the last [`FRESH_SECS`]: a browser
//! left signed in must not be enough to change how the account is protected.

use super::passkey_ceremony::{issue_challenge, passkeys_of, relying_party, take_challenge, with_store};
use super::second_factor::is_enrolled;
use super::*;
use crate::portal::pages::passkey::{self as pk, AccountPage, Listed, fields};
use crate::portal::pages::totp::UNAVAILABLE;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use wicket_core::store::PasskeyRecord;
use wicket_core::webauthn::{self, RelyingParty};

/// A session this young counts as fresh (seconds).
const FRESH_SECS: i64 = 300;
/// Longest passkey name (characters).
const MAX_NAME: usize = 64;

fn date(t: i64) -> String {
    // Days since the epoch to a civil date (UTC), without a time zone database.
    let days = t.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The WebAuthn user handle: a hash of the account (no name or e-mail in it).
fn user_handle(id: &Identity) -> String {
    let digest = Sha256::digest(format!("{}\0{}", id.backend, id.name).as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// The account's passkey page, its token bound to the session.
pub(super) async fn render(
    portal: &Portal<'_>,
    status: StatusCode,
    id: &Identity,
    hash: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response<Body> {
    let Some(rp) = relying_party(portal) else {
        let msg = "Passkeys are not set up on this sign-in service (it needs session.portal_url).";
        return portal.error(StatusCode::NOT_FOUND, "Passkeys not available", msg);
    };
    let passkeys = match passkeys_of(portal, id).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("portal: passkeys unreadable: {e}");
            return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE);
        }
    };
    let Ok(token) = csrf::issue(portal.key, Purpose::PasskeyAccount, Binding::Session(hash.as_bytes()), portal.now)
    else {
        return text_unavailable();
    };
    let Some(challenge) = issue_challenge("register", hash, portal.now) else {
        return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE);
    };
    let listed: Vec<Listed> = passkeys
        .iter()
        .map(|p| Listed { name: p.name.clone(), created: date(p.created_at), last_used: p.last_used.map(date) })
        .collect();
    let credentials: Vec<String> = passkeys.iter().map(|p| URL_SAFE_NO_PAD.encode(&p.credential_id)).collect();
    let page = AccountPage {
        passkeys: &listed,
        csrf: &token,
        challenge: &challenge,
        rp_id: &rp.id,
        rp_name: &portal.cfg.title,
        user_id: &user_handle(id),
        user: &id.name,
        display_name: id.display_name.as_deref().unwrap_or(&id.name),
        user_verification: portal.rt.cfg.webauthn.user_verification.as_str(),
        credentials: &credentials.join(","),
        error,
        notice,
    };
    portal.page(status, pk::account(&portal.brand(), &page))
}

/// `GET /account/passkeys`.
pub(super) async fn page(portal: &Portal<'_>, cookies: &Cookies, ctx: &Context) -> Response<Body> {
    match portal.signed_in(cookies, ctx).await {
        Some((id, hash)) => render(portal, StatusCode::OK, &id, &hash, None, None).await,
        None => portal.see_other("/login"),
    }
}

/// Whether this session may change the account's second factors: two factors, or fresh.
async fn strong_session(portal: &Portal<'_>, hash: &str) -> wicket_core::error::Result<bool> {
    let (hash, now) = (hash.to_string(), portal.now);
    let record = with_store(portal, move |s| s.find_session(&hash)).await?;
    Ok(record.is_some_and(|r| r.factors >= 2 || now.saturating_sub(r.created_at) <= FRESH_SECS))
}

/// `POST /account/passkeys`.
pub(super) async fn post<B: FormBody>(
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    body: B,
) -> Response<Body> {
    let Some(form) = read_form(body).await else {
        return portal.error(StatusCode::PAYLOAD_TOO_LARGE, "Form not accepted", "The form could not be read.");
    };
    let Some((id, hash)) = portal.signed_in(cookies, ctx).await else {
        return portal.see_other("/login");
    };
    let token = form.get(field::CSRF).unwrap_or_default();
    let checked = csrf::verify(
        portal.key,
        Purpose::PasskeyAccount,
        Binding::Session(hash.as_bytes()),
        &token,
        portal.now,
        FORM_MAX_AGE,
    );
    if let Err(e) = checked {
        tracing::debug!("portal: passkey form refused: {e}");
        let msg = "The form expired or was not sent from this page. Please try again.";
        return render(portal, StatusCode::FORBIDDEN, &id, &hash, Some(msg), None).await;
    }
    let Some(rp) = relying_party(portal) else {
        return portal.error(StatusCode::NOT_FOUND, "Passkeys not available", UNAVAILABLE);
    };
    let name = form.get(fields::NAME).unwrap_or_default().trim().to_string();
    let action = form.get(fields::ACTION).unwrap_or_default();
    let has_factor = match (passkeys_of(portal, &id).await, is_enrolled(portal, &id).await) {
        (Ok(p), Ok(totp)) => !p.is_empty() || totp,
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!("portal: second factors unreadable: {e}");
            return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE);
        }
    };
    if action == "remove" || (action == "register" && has_factor) {
        match strong_session(portal, &hash).await {
            Ok(true) => {}
            Ok(false) => {
                let msg = "To change your passkeys, sign in again (or with your second factor) first.";
                return render(portal, StatusCode::FORBIDDEN, &id, &hash, Some(msg), None).await;
            }
            Err(e) => {
                tracing::warn!("portal: session unreadable: {e}");
                return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE);
            }
        }
    }
    match action.as_str() {
        "register" => register(portal, ctx, &id, &hash, &rp, &name, &form).await,
        "remove" => {
            let (user, backend, n) = (id.name.clone(), id.backend.clone(), name.clone());
            match with_store(portal, move |s| s.delete_passkey(&backend, &user, &n)).await {
                Ok(true) => {
                    portal.app.audit(&portal_event(ctx, &id.name, "passkey_removed", &id.backend));
                    let notice = format!("The passkey '{name}' was removed.");
                    render(portal, StatusCode::OK, &id, &hash, None, Some(&notice)).await
                }
                Ok(false) => render(portal, StatusCode::NOT_FOUND, &id, &hash, Some("No such passkey."), None).await,
                Err(e) => {
                    tracing::warn!("portal: cannot remove a passkey: {e}");
                    portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE)
                }
            }
        }
        _ => render(portal, StatusCode::BAD_REQUEST, &id, &hash, Some("Please try again."), None).await,
    }
}

/// A registration: checked against the page's challenge, stored under its name.
async fn register(
    portal: &Portal<'_>,
    ctx: &Context,
    id: &Identity,
    hash: &str,
    rp: &wicket_core::config::RelyingPartyConfig,
    name: &str,
    form: &Form,
) -> Response<Body> {
    // The challenge goes first, so a refused attempt cannot be retried with it.
    let challenge = take_challenge(&form.get(fields::CHALLENGE).unwrap_or_default(), "register", hash, portal.now);
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        let msg = "Give the passkey a name of at most 64 characters.";
        return render(portal, StatusCode::BAD_REQUEST, id, hash, Some(msg), None).await;
    }
    let Some(challenge) = challenge else {
        let msg = "The passkey request expired. Please try again.";
        return render(portal, StatusCode::BAD_REQUEST, id, hash, Some(msg), None).await;
    };
    let field = |n| form.get(n).and_then(|v| URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).ok());
    let (Some(client_data), Some(attestation)) = (field(fields::CLIENT_DATA), field(fields::ATTESTATION)) else {
        return render(portal, StatusCode::BAD_REQUEST, id, hash, Some("Please try again."), None).await;
    };
    let party = RelyingParty { id: &rp.id, origin: &rp.origin, require_uv: rp.require_uv };
    let cred = match webauthn::verify_registration(&party, &challenge, &client_data, &attestation) {
        Ok(c) => c,
        Err(e) => {
            tracing::info!("portal: passkey registration of {} refused: {e}", id.name);
            let msg = "The passkey could not be added. Please try again.";
            return render(portal, StatusCode::BAD_REQUEST, id, hash, Some(msg), None).await;
        }
    };
    let record = PasskeyRecord {
        backend: id.backend.clone(),
        user_name: id.name.clone(),
        credential_id: cred.id,
        public_key: cred.public_key,
        sign_count: cred.sign_count,
        name: name.to_string(),
        created_at: portal.now,
        last_used: None,
    };
    match with_store(portal, move |s| s.add_passkey(&record)).await {
        Ok(()) => {
            portal.app.audit(&portal_event(ctx, &id.name, "passkey_added", &id.backend));
            let notice = format!("The passkey '{name}' was added.");
            render(portal, StatusCode::OK, id, hash, None, Some(&notice)).await
        }
        Err(wicket_core::error::Error::Invalid(msg)) => {
            render(portal, StatusCode::CONFLICT, id, hash, Some(&format!("{msg}.")), None).await
        }
        Err(e) => {
            tracing::warn!("portal: cannot store a passkey: {e}");
            portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(951_782_400), "2000-02-29");
        assert_eq!(super::date(1_796_083_200), "2026-12-01");
    }
}
