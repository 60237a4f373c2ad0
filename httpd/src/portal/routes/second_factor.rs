//! What the two second factors (TOTP codes and passkeys) share at the portal: whether an
//! account has one, checking a code, the page's answer to a refused one, and the step-up of
//! the browser's session to two factors under a fresh id.

use super::*;
use crate::portal::pages::totp::UNAVAILABLE;
use wicket_core::totp::{SecondFactor, Verified};
use wicket_core::verify::{CodeDecision, CodeOutcome, NewSession};

/// Whether `id`'s account has a confirmed enrolment. Blocking work off the reactor.
pub(super) async fn is_enrolled(portal: &Portal<'_>, id: &Identity) -> wicket_core::error::Result<bool> {
    let (rt, name, backend) = (portal.rt.clone(), id.name.clone(), id.backend.clone());
    let clock = portal.app.clock.clone();
    tokio::task::spawn_blocking(move || {
        let local = rt
            .auth
            .chain()
            .local
            .clone()
            .ok_or_else(|| wicket_core::error::Error::Invalid("second factors need the local store".into()))?;
        local.with_store(|s| SecondFactor::new(s, &rt.cfg, clock.as_ref()).is_enrolled(&name, &backend))
    })
    .await
    .unwrap_or_else(|_| Err(wicket_core::error::Error::Invalid("task failed".into())))
}

/// Checks a code off the reactor, writes its audit line, waits its delay.
pub(super) async fn check_code(portal: &Portal<'_>, id: &Identity, code: &str, ctx: &Context) -> CodeOutcome {
    let (rt, name, backend, code, ctx2) =
        (portal.rt.clone(), id.name.clone(), id.backend.clone(), code.to_string(), ctx.clone());
    let outcome = match tokio::task::spawn_blocking(move || rt.auth.verify_code(&name, &backend, &code, &ctx2)).await {
        Ok(o) => o,
        Err(_) => {
            let event = portal_event(ctx, &id.name, "unavailable", "-");
            CodeOutcome { decision: CodeDecision::Unavailable("task failed".into()), delay: Duration::ZERO, event }
        }
    };
    portal.app.audit(&outcome.event);
    portal.app.metrics.decision("portal", outcome.event.outcome);
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    outcome
}

/// A refused code: the status, the message, and `Retry-After` when throttled.
pub(super) fn refusal(outcome: &CodeOutcome) -> (StatusCode, &'static str, Option<u64>) {
    match &outcome.decision {
        CodeDecision::Checked(Verified::Reused) => {
            (StatusCode::UNAUTHORIZED, "That code was already used. Wait for the next code and try again.", None)
        }
        CodeDecision::Checked(Verified::NotEnrolled) => {
            (StatusCode::UNAUTHORIZED, "Two-factor sign-in is not set up for this account.", None)
        }
        CodeDecision::Checked(_) => (StatusCode::UNAUTHORIZED, "That code is not right. Try again.", None),
        CodeDecision::Throttled(left) => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts. Please wait a moment and try again.",
            Some(left.as_secs().max(1)),
        ),
        CodeDecision::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE, None),
    }
}

/// The browser's session becomes a two-factor one under a fresh id; the new cookie goes on
/// `r`.
pub(super) async fn upgrade(
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    id: &Identity,
    mut r: Response<Body>,
) -> Response<Body> {
    let Some(cookie) = portal.session_cookie(cookies) else { return portal.see_other("/login") };
    let rt = portal.rt.clone();
    let session = match tokio::task::spawn_blocking(move || rt.auth.step_up_session(&cookie)).await {
        Ok(Ok(Some(s))) => s,
        Ok(Ok(None)) => return portal.see_other("/login"),
        Ok(Err(e)) => {
            tracing::warn!("portal: could not step up a session: {e}");
            return portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", UNAVAILABLE);
        }
        Err(_) => return text_unavailable(),
    };
    match session_set_cookie(portal, &session) {
        Some(c) => append(&mut r, SET_COOKIE, &c),
        None => return text_unavailable(),
    }
    portal.app.audit(&portal_event(ctx, &id.name, "session_stepped_up", &id.backend));
    r
}

/// The `Set-Cookie` value of a session.
fn session_set_cookie(portal: &Portal<'_>, session: &NewSession) -> Option<String> {
    let lifetime = if session.persistent {
        Lifetime::Persistent(Duration::from_secs(
            u64::try_from(session.expires_at.saturating_sub(portal.now)).unwrap_or(1).max(1),
        ))
    } else {
        Lifetime::BrowserSession
    };
    let value = session.cookie.expose_str().unwrap_or_default();
    set_cookie(&portal.cfg.name, value, &portal.cookie_options(), lifetime)
        .map_err(|e| tracing::warn!("portal: session cookie: {e}"))
        .ok()
}
