//! The end of every sign-in: the session opened, the cookie set, the browser sent on.

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
