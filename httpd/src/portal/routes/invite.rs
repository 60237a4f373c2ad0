//! `/invite`: a person opens the one-time link `wicket user invite` (or `reset-link`)
//! printed, chooses a password, and is signed in.
//!
//! The token must not linger: `GET /invite?t=TOKEN` answers at once with a redirect to
//! `/invite`, moving the token into a short-lived host-only `HttpOnly` cookie, so it leaves
//! the address bar and the history after one hop (every portal page also sends
//! `Referrer-Policy: no-referrer`, and wicketd logs paths, never query strings). The form's
//! CSRF token is bound to that cookie, the pre-login way. The core decides
//! ([`Authenticator::check_invite`](wicket_core::verify::Authenticator::check_invite),
//! `redeem_invite`): an unknown, used or expired link is one page for all three and counts
//! against the client in the throttle like a failed sign-in.

use super::*;
use crate::portal::pages::invite::{self as invite_page, INVITE_PATH, InvitePage, TOKEN_PARAM};
use wicket_core::verify::{InviteDecision, InviteOutcome};

/// How long the token sits in its cookie: the time to fill in the form.
const COOKIE_MAX_AGE: Duration = FORM_MAX_AGE;

/// The invitation cookie's name (`__Host-` prefixed with `Secure`, like the pre-login one).
fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-wicket_invite" } else { "wicket_invite" }
}

/// `GET /invite?t=…`: the token moves to the cookie. `GET /invite`: the form, or the page
/// for a link that cannot be used.
pub(super) async fn show(portal: &Portal<'_>, query: &str, cookies: &Cookies, ctx: &Context) -> Response<Body> {
    if let Some(token) = query_param(query, TOKEN_PARAM) {
        // Only a value that could be a token goes into a cookie; the rest is checked (and
        // counted) like any other wrong link.
        let token = if wicket_core::accounts::invite_hash(token.as_bytes()).is_some() { token } else { String::new() };
        let mut r = portal.see_other(INVITE_PATH);
        let written = if token.is_empty() {
            delete_cookie(cookie_name(portal.cfg.secure), &portal.prelogin_options())
        } else {
            set_cookie(
                cookie_name(portal.cfg.secure),
                &token,
                &portal.prelogin_options(),
                Lifetime::Persistent(COOKIE_MAX_AGE),
            )
        };
        match written {
            Ok(c) => append(&mut r, SET_COOKIE, &c),
            Err(e) => {
                tracing::warn!("portal: invitation cookie: {e}");
                return text_unavailable();
            }
        }
        return r;
    }
    form(portal, cookies, ctx, StatusCode::OK, None).await
}

/// The form for the link in the cookie, with `error` in the alert area.
async fn form(
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    status: StatusCode,
    error: Option<&str>,
) -> Response<Body> {
    let token = link_cookie(portal, cookies);
    let outcome = {
        let (rt, token, ctx) = (portal.rt.clone(), token.clone(), ctx.clone());
        tokio::task::spawn_blocking(move || rt.auth.check_invite(&Secret::from(token.as_str()), &ctx)).await
    };
    let Ok(outcome) = outcome else { return text_unavailable() };
    let outcome = settle(portal, outcome).await;
    match outcome.decision {
        InviteDecision::Open(info) => {
            let Ok(csrf) = csrf::issue(portal.key, Purpose::Invite, Binding::PreLogin(&token), portal.now) else {
                return text_unavailable();
            };
            let page = InvitePage { user: &info.user, reset: info.reset, error, csrf: &csrf };
            portal.page(status, invite_page::choose_password(&portal.brand(), &page))
        }
        other => refused(portal, other),
    }
}

/// `POST /invite`: a token bound to the invitation cookie, two equal new passwords; the
/// core sets the password and uses the link in one transaction (ending the user's other
/// sessions); then a sign-in with the new password opens a session, as `POST /login` does.
pub(super) async fn choose(
    app: &App,
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    form_in: &Form,
) -> Response<Body> {
    let token = link_cookie(portal, cookies);
    let csrf_token = form_in.get(field::CSRF).unwrap_or_default();
    let checked =
        csrf::verify(portal.key, Purpose::Invite, Binding::PreLogin(&token), &csrf_token, portal.now, FORM_MAX_AGE);
    if let Err(e) = checked {
        tracing::debug!("portal: invitation form refused: {e}");
        let msg = "The form expired or was not sent from this page. Please try again.";
        return form(portal, cookies, ctx, StatusCode::FORBIDDEN, Some(msg)).await;
    }
    let new = form_in.get(field::NEW_PASSWORD).unwrap_or_default();
    let again = form_in.get(field::NEW_PASSWORD_AGAIN).unwrap_or_default();
    if new.is_empty() {
        return form(portal, cookies, ctx, StatusCode::BAD_REQUEST, Some("Enter a new password.")).await;
    }
    // Both are typed by the same person; a mismatch is a typo, not a secret to guard.
    if new != again {
        return form(portal, cookies, ctx, StatusCode::BAD_REQUEST, Some("The passwords do not match.")).await;
    }
    let outcome = {
        let (rt, ctx, token, pw) = (portal.rt.clone(), ctx.clone(), token.clone(), Secret::from_string(new.clone()));
        tokio::task::spawn_blocking(move || rt.auth.redeem_invite(&Secret::from(token.as_str()), &pw, &ctx)).await
    };
    let Ok(outcome) = outcome else { return text_unavailable() };
    let outcome = settle(portal, outcome).await;
    let user = match outcome.decision {
        InviteDecision::Redeemed(user) => user,
        InviteDecision::Refused(e) => {
            // Names the rule, never the password; nothing was changed and the link stays open.
            let msg = format!("{}.", password::capitalise(&e.to_string()));
            return form(portal, cookies, ctx, StatusCode::BAD_REQUEST, Some(&msg)).await;
        }
        other => return refused(portal, other),
    };
    sign_in(app, portal, cookies, ctx, &user, Secret::from_string(new)).await
}

/// After the password is set: the same sign-in as `POST /login`, so the account's state
/// and expiry are checked by the one decision; a fresh session, the link's cookie gone.
async fn sign_in(
    app: &App,
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    user: &str,
    password: Secret,
) -> Response<Body> {
    let outcome = portal.rt.auth.verify(Credential::Password { user: user.to_string(), secret: password }, ctx).await;
    app.audit(&outcome.event);
    app.metrics.decision("portal", outcome.event.outcome);
    let forget = |mut r: Response<Body>| {
        if let Ok(c) = delete_cookie(cookie_name(portal.cfg.secure), &portal.prelogin_options()) {
            append(&mut r, SET_COOKIE, &c);
        }
        r
    };
    let Decision::Accepted(id) = outcome.decision else {
        // The password is set; the account cannot sign in now (locked, expired…).
        return forget(portal.see_other(pages::LOGIN_PATH));
    };
    let opened = {
        let (id, rt) = (id.clone(), portal.rt.clone());
        tokio::task::spawn_blocking(move || rt.auth.open_session(&id, false)).await
    };
    let session = match opened {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::warn!("portal: could not open a session after an invitation: {e}");
            return forget(portal.see_other(pages::LOGIN_PATH));
        }
        Err(_) => return text_unavailable(),
    };
    // A session this browser already held (someone else's, or the user's own) ends.
    if let Some(old) = portal.session_cookie(cookies) {
        let rt = portal.rt.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || rt.auth.close_session(&old)).await {
            tracing::warn!("portal: could not end the replaced session: {e}");
        }
    }
    let mut r = forget(portal.see_other(pages::HOME_PATH));
    let value = session.cookie.expose_str().unwrap_or_default();
    match set_cookie(&portal.cfg.name, value, &portal.cookie_options(), Lifetime::BrowserSession) {
        Ok(c) => append(&mut r, SET_COOKIE, &c),
        Err(e) => {
            tracing::warn!("portal: session cookie: {e}");
            return text_unavailable();
        }
    }
    app.audit(&portal_event(ctx, &id.name, "session_opened", &id.backend));
    r
}

/// Writes the event (not for a mere look at an open link) and waits the throttle's delay.
async fn settle(portal: &Portal<'_>, outcome: InviteOutcome) -> InviteOutcome {
    if outcome.event.outcome != "invite_open" {
        portal.app.audit(&outcome.event);
    }
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    outcome
}

/// The answer to a link that cannot be used now; the cookie goes with an invalid link.
fn refused(portal: &Portal<'_>, decision: InviteDecision) -> Response<Body> {
    match decision {
        InviteDecision::Throttled(left) => {
            let mut r = portal.error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "Too many attempts. Please wait a moment and try again.",
            );
            append(&mut r, RETRY_AFTER, &left.as_secs().max(1).to_string());
            r
        }
        InviteDecision::Unavailable(_) => {
            portal.error(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", "Please try again later.")
        }
        _ => {
            let mut r = portal.page(StatusCode::GONE, invite_page::invalid(&portal.brand()));
            if let Ok(c) = delete_cookie(cookie_name(portal.cfg.secure), &portal.prelogin_options()) {
                append(&mut r, SET_COOKIE, &c);
            }
            r
        }
    }
}

/// The token from the invitation cookie ("" when absent: checked, and counted, as a wrong link).
fn link_cookie(portal: &Portal<'_>, cookies: &Cookies) -> String {
    match cookies.unique(cookie_name(portal.cfg.secure)) {
        Lookup::One(v) => v.to_string(),
        _ => String::new(),
    }
}
