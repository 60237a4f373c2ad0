//! `/account/two-factor`: a signed-in user sets up, replaces or turns off TOTP.
//!
//! Every POST carries a token bound to the session ([`Purpose::TwoFactorAccount`]) and an
//! `action`: `start` (a fresh secret: the QR code, the key as text, a code input; an
//! account already enrolled must give a current code first), `confirm` (the first right
//! code turns the enrolment on; the ten recovery codes are shown once, and the session,
//! which just proved the code, becomes a two-factor one), `reset` (turn off: a current code
//! first). A key file wicketd cannot read or create gives a plain "not available" page.

use super::second_factor::{check_code, is_enrolled, refusal, upgrade};
use super::*;
use crate::portal::pages::totp::{self as tp, AccountPage, CODE, EnrolPage, UNAVAILABLE};
use wicket_core::totp::{SecondFactor, Verified, qr};

/// The account's two-factor page, its token bound to the session.
pub(super) async fn render(
    portal: &Portal<'_>,
    status: StatusCode,
    id: &Identity,
    hash: &str,
    error: Option<&str>,
    notice: Option<&str>,
    rd: &str,
) -> Response<Body> {
    let read =
        {
            let (rt, name, backend, clock) =
                (portal.rt.clone(), id.name.clone(), id.backend.clone(), portal.app.clock.clone());
            tokio::task::spawn_blocking(move || {
                let local =
                    rt.auth.chain().local.clone().ok_or_else(|| {
                        wicket_core::error::Error::Invalid("second factors need the local store".into())
                    })?;
                local.with_store(|s| {
                    let sf = SecondFactor::new(s, &rt.cfg, clock.as_ref());
                    let enrolled = sf.is_enrolled(&name, &backend)?;
                    let left = if enrolled { sf.recovery_codes_left(&name, &backend)? } else { 0 };
                    Ok((enrolled, left))
                })
            })
            .await
        };
    let (enrolled, recovery_left) = match read {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            tracing::warn!("portal: second factor unreadable: {e}");
            return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE);
        }
        Err(_) => return text_unavailable(),
    };
    let Ok(token) = csrf::issue(portal.key, Purpose::TwoFactorAccount, Binding::Session(hash.as_bytes()), portal.now)
    else {
        return text_unavailable();
    };
    let rd = redirect_target(Some(rd), &portal.policy, "");
    let page = AccountPage { enrolled, recovery_left, error, notice, csrf: &token, rd };
    portal.page(status, tp::account(&portal.brand(), &page))
}

/// `GET /account/two-factor`.
pub(super) async fn page(portal: &Portal<'_>, cookies: &Cookies, ctx: &Context) -> Response<Body> {
    match portal.signed_in(cookies, ctx).await {
        Some((id, hash)) => render(portal, StatusCode::OK, &id, &hash, None, None, "").await,
        None => portal.see_other("/login"),
    }
}

/// `POST /account/two-factor`.
pub(super) async fn post<B: FormBody>(
    _app: &App,
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
    let rd = form.get(field::RD).unwrap_or_default();
    let token = form.get(field::CSRF).unwrap_or_default();
    let checked = csrf::verify(
        portal.key,
        Purpose::TwoFactorAccount,
        Binding::Session(hash.as_bytes()),
        &token,
        portal.now,
        FORM_MAX_AGE,
    );
    if let Err(e) = checked {
        tracing::debug!("portal: two-factor form refused: {e}");
        let msg = "The form expired or was not sent from this page. Please try again.";
        return render(portal, StatusCode::FORBIDDEN, &id, &hash, Some(msg), None, &rd).await;
    }
    let code = form.get(CODE).unwrap_or_default();
    let action = form.get(tp::ACTION).unwrap_or_default();
    let enrolled = match is_enrolled(portal, &id).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("portal: second factor unreadable: {e}");
            return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE);
        }
    };
    // Replacing or removing a second factor takes a current code: a browser left signed in
    // must not be enough.
    if enrolled && matches!(action.as_str(), "start" | "reset") {
        if code.trim().is_empty() {
            let msg = "Enter a current code from your authenticator app.";
            return render(portal, StatusCode::BAD_REQUEST, &id, &hash, Some(msg), None, &rd).await;
        }
        let outcome = check_code(portal, &id, &code, ctx).await;
        if !outcome.accepted() {
            let (status, msg, retry) = refusal(&outcome);
            let mut r = render(portal, status, &id, &hash, Some(msg), None, &rd).await;
            if let Some(secs) = retry {
                append(&mut r, RETRY_AFTER, &secs.to_string());
            }
            return r;
        }
    }
    match action.as_str() {
        "start" => start(portal, &id, &token, &rd).await,
        "confirm" => confirm(portal, cookies, ctx, &id, &hash, &token, &code, &rd).await,
        "reset" if enrolled => {
            let (rt, name, backend, clock) =
                (portal.rt.clone(), id.name.clone(), id.backend.clone(), portal.app.clock.clone());
            let done = tokio::task::spawn_blocking(move || {
                let local =
                    rt.auth.chain().local.clone().ok_or_else(|| {
                        wicket_core::error::Error::Invalid("second factors need the local store".into())
                    })?;
                local.with_store(|s| SecondFactor::new(s, &rt.cfg, clock.as_ref()).reset(&name, &backend))
            })
            .await;
            if !matches!(done, Ok(Ok(_))) {
                return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE);
            }
            portal.app.audit(&portal_event(ctx, &id.name, "totp_reset", &id.backend));
            let notice = "Two-factor sign-in is off.";
            render(portal, StatusCode::OK, &id, &hash, None, Some(notice), "").await
        }
        _ => render(portal, StatusCode::BAD_REQUEST, &id, &hash, Some("Please try again."), None, &rd).await,
    }
}

/// A fresh secret: the enrolment page with the QR code.
async fn start(portal: &Portal<'_>, id: &Identity, token: &str, rd: &str) -> Response<Body> {
    let (rt, name, backend, clock) = (portal.rt.clone(), id.name.clone(), id.backend.clone(), portal.app.clock.clone());
    let enrolled = tokio::task::spawn_blocking(move || {
        let local = rt
            .auth
            .chain()
            .local
            .clone()
            .ok_or_else(|| wicket_core::error::Error::Invalid("second factors need the local store".into()))?;
        let e = local.with_store(|s| SecondFactor::new(s, &rt.cfg, clock.as_ref()).enroll(&name, &backend))?;
        let svg = qr::svg(&e.uri)?;
        Ok::<_, wicket_core::error::Error>((svg, e.secret_b32))
    })
    .await;
    let (svg, secret) = match enrolled {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            // Typically the key file: wicketd may not create /etc/wicket/totp.key.
            tracing::warn!("portal: cannot enrol a second factor: {e}");
            return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Not available", UNAVAILABLE);
        }
        Err(_) => return text_unavailable(),
    };
    let rd = redirect_target(Some(rd), &portal.policy, "");
    let page = EnrolPage { qr_svg: &svg, secret: &secret, error: None, csrf: token, rd };
    portal.page(StatusCode::OK, tp::enrol(&portal.brand(), &page))
}

/// The first code: the enrolment is on, the recovery codes are shown once, the session
/// becomes a two-factor one.
#[allow(clippy::too_many_arguments)]
async fn confirm(
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    id: &Identity,
    hash: &str,
    token: &str,
    code: &str,
    rd: &str,
) -> Response<Body> {
    let checked_rd = redirect_target(Some(rd), &portal.policy, "").to_string();
    let again = |status, msg: &str| {
        let page = EnrolPage { qr_svg: "", secret: "", error: Some(msg), csrf: token, rd: &checked_rd };
        portal.page(status, tp::enrol(&portal.brand(), &page))
    };
    if code.trim().is_empty() {
        return again(StatusCode::BAD_REQUEST, "Enter the code your app shows.");
    }
    let (rt, name, backend, clock, code) =
        (portal.rt.clone(), id.name.clone(), id.backend.clone(), portal.app.clock.clone(), code.to_string());
    let result = tokio::task::spawn_blocking(move || {
        let local = rt
            .auth
            .chain()
            .local
            .clone()
            .ok_or_else(|| wicket_core::error::Error::Invalid("second factors need the local store".into()))?;
        local.with_store(|s| {
            let mut sf = SecondFactor::new(s, &rt.cfg, clock.as_ref());
            match sf.confirm(&name, &backend, &code)? {
                Verified::Code => Ok(Ok(sf.recovery_codes(&name, &backend)?)),
                other => Ok(Err(other)),
            }
        })
    })
    .await;
    let codes = match result {
        Ok(Ok(Ok(codes))) => codes,
        Ok(Ok(Err(Verified::NotEnrolled))) => {
            return render(portal, StatusCode::BAD_REQUEST, id, hash, Some("Please start again."), None, rd).await;
        }
        Ok(Ok(Err(Verified::Reused))) => {
            return again(StatusCode::UNAUTHORIZED, "That code was already used. Wait for the next one.");
        }
        Ok(Ok(Err(_))) => {
            return again(StatusCode::UNAUTHORIZED, "That code is not right. Check the app and try again.");
        }
        Ok(Err(e)) => {
            tracing::warn!("portal: cannot confirm a second factor: {e}");
            return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Not available", UNAVAILABLE);
        }
        Err(_) => return text_unavailable(),
    };
    portal.app.audit(&portal_event(ctx, &id.name, "totp_enrolled", &id.backend));
    let next = if checked_rd.is_empty() { tp::ACCOUNT_PATH.to_string() } else { checked_rd.clone() };
    let shown: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
    let r = portal.page(StatusCode::OK, tp::recovery_codes(&portal.brand(), &shown, &next));
    upgrade(portal, cookies, ctx, id, r).await
}
