//! Signing in with the password form, the end of every sign-in (the session opened, the
//! cookie set, the browser sent on), and signing out.

use super::*;

/// The end of a sign-in (after the password, and the code when there is one): a fresh
/// session with `factors`, the browser's previous session ended, the cookie set, and a
/// redirect to `rd`. Errors go back to the sign-in form.
#[allow(clippy::too_many_arguments)]
pub(super) async fn finish_sign_in(
    app: &App,
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    id: &Identity,
    remember_me: bool,
    rd: &str,
    factors: u8,
) -> Response<Body> {
    let name = csrf::prelogin_cookie_name(portal.cfg.secure);
    let prelogin = cookies.first(name).unwrap_or("").to_string();
    let username = id.name.clone();
    // A fresh session, whatever cookie the browser brought (no fixation).
    let opened = {
        let (id, rt) = (id.clone(), portal.rt.clone());
        tokio::task::spawn_blocking(move || rt.auth.open_session_with(&id, remember_me, factors)).await
    };
    let session = match opened {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::warn!("portal: could not open a session: {e}");
            let msg = "Sign-in is unavailable right now. Please try again later.";
            return portal.login_page(StatusCode::SERVICE_UNAVAILABLE, &prelogin, Some(msg), &username, rd);
        }
        Err(_) => return text_unavailable(),
    };
    // The session this browser brought (signing in again after a rule's `max_age`, or as
    // someone else) ends: its cookie is about to be replaced, and a session nobody holds
    // must not stay usable until it expires.
    if let Some(old) = portal.session_cookie(cookies) {
        let rt = portal.rt.clone();
        match tokio::task::spawn_blocking(move || rt.auth.close_session(&old)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("portal: could not end the replaced session: {e}"),
            Err(_) => tracing::warn!("portal: could not end the replaced session"),
        }
    }
    let lifetime = if session.persistent {
        Lifetime::Persistent(Duration::from_secs(
            u64::try_from(session.expires_at.saturating_sub(portal.now)).unwrap_or(1).max(1),
        ))
    } else {
        Lifetime::BrowserSession
    };
    let value = session.cookie.expose_str().unwrap_or_default();
    let mut r = portal.see_other(redirect_target(Some(rd), &portal.policy, pages::HOME_PATH));
    match set_cookie(&portal.cfg.name, value, &portal.cookie_options(), lifetime) {
        Ok(c) => append(&mut r, SET_COOKIE, &c),
        Err(e) => {
            tracing::warn!("portal: session cookie: {e}");
            return text_unavailable();
        }
    }
    if let Ok(c) = delete_cookie(name, &portal.prelogin_options()) {
        append(&mut r, SET_COOKIE, &c);
    }
    app.audit(&portal_event(ctx, &id.name, "session_opened", &id.backend));
    r
}

/// `POST /login`.
pub(super) async fn login(
    app: &App,
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    form: &Form,
) -> Response<Body> {
    let username = form.get(field::USERNAME).unwrap_or_default();
    let rd = form.get(field::RD).unwrap_or_default();
    let name = csrf::prelogin_cookie_name(portal.cfg.secure);
    let prelogin = cookies.first(name).unwrap_or("").to_string();
    let token = form.get(field::CSRF).unwrap_or_default();
    let checked =
        csrf::verify(portal.key, Purpose::Login, Binding::PreLogin(&prelogin), &token, portal.now, FORM_MAX_AGE);
    if let Err(e) = checked {
        tracing::debug!("portal: sign-in form refused: {e}");
        let fresh = match csrf::new_prelogin_value() {
            Ok(v) => v,
            Err(_) => return text_unavailable(),
        };
        let msg = "The form expired or was not sent from this page. Please sign in again.";
        return portal.login_page(StatusCode::FORBIDDEN, &fresh, Some(msg), &username, &rd);
    }
    let password = form.get(field::PASSWORD).unwrap_or_default();
    if username.trim().is_empty() || password.is_empty() {
        return portal.login_page(StatusCode::UNAUTHORIZED, &prelogin, Some(SIGN_IN_FAILED), &username, &rd);
    }
    let remember_me = form.get(field::REMEMBER_ME).is_some_and(|v| !v.is_empty());
    let credential = Credential::Password { user: username.clone(), secret: Secret::from_string(password) };
    let outcome = portal.rt.auth.verify(credential, ctx).await;
    app.audit(&outcome.event);
    app.metrics.decision("portal", outcome.event.outcome);
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    let id = match outcome.decision {
        Decision::Accepted(id) => id,
        Decision::Throttled(left) => {
            let msg = "Too many attempts. Please wait a moment and try again.";
            let mut r = portal.login_page(StatusCode::TOO_MANY_REQUESTS, &prelogin, Some(msg), &username, &rd);
            append(&mut r, RETRY_AFTER, &left.as_secs().max(1).to_string());
            return r;
        }
        Decision::Unavailable(_) => {
            let msg = "Sign-in is unavailable right now. Please try again later.";
            return portal.login_page(StatusCode::SERVICE_UNAVAILABLE, &prelogin, Some(msg), &username, &rd);
        }
        Decision::Rejected(_) | Decision::Unknown | Decision::Stale => {
            return portal.login_page(StatusCode::UNAUTHORIZED, &prelogin, Some(SIGN_IN_FAILED), &username, &rd);
        }
    };
    // An account with a passkey or a confirmed TOTP enrolment proves it first.
    if let Some(r) = passkey::sign_in_needed(portal, &prelogin, &id, remember_me, &rd).await {
        return r;
    }
    if let Some(r) = totp::code_needed(portal, &prelogin, &id, remember_me, &rd).await {
        return r;
    }
    finish_sign_in(app, portal, cookies, ctx, &id, remember_me, &rd, 1).await
}

/// `POST /logout`: with a token bound to this session, the session ends and the cookie is
/// deleted. Without a live session there is nothing to end: the cookie is deleted anyway.
pub(super) async fn logout(portal: &Portal<'_>, cookies: &Cookies, ctx: &Context, form: &Form) -> Response<Body> {
    let rd = form.get(field::RD).unwrap_or_default();
    let next = redirect_target(Some(&rd), &portal.policy, "/login");
    let delete = |mut r: Response<Body>| {
        if let Ok(c) = delete_cookie(&portal.cfg.name, &portal.cookie_options()) {
            append(&mut r, SET_COOKIE, &c);
        }
        r
    };
    let Some((id, hash)) = portal.signed_in(cookies, ctx).await else {
        return delete(portal.see_other(next));
    };
    let token = form.get(field::CSRF).unwrap_or_default();
    let checked =
        csrf::verify(portal.key, Purpose::Logout, Binding::Session(hash.as_bytes()), &token, portal.now, FORM_MAX_AGE);
    if let Err(e) = checked {
        tracing::debug!("portal: sign-out form refused: {e}");
        return portal.error(
            StatusCode::FORBIDDEN,
            "Not signed out",
            "The form expired. Please go back and try again.",
        );
    }
    let Some(cookie) = portal.session_cookie(cookies) else { return delete(portal.see_other(next)) };
    let rt = portal.rt.clone();
    match tokio::task::spawn_blocking(move || rt.auth.close_session(&cookie)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::warn!("portal: could not end a session: {e}");
            return text_unavailable();
        }
        Err(_) => return text_unavailable(),
    }
    portal.app.audit(&portal_event(ctx, &id.name, "session_closed", &id.backend));
    delete(portal.see_other(next))
}
