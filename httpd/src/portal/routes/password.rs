//! `/account/password`: a signed-in local user changes their password.

use super::*;

/// `POST /account/password`: a token bound to this session, the current password proven
/// through `verify` (same chain, throttle and delays as a sign-in), two equal non-empty new
/// passwords. The store's password change ends every session of the user; the browser
/// that made the change gets a fresh one (like a sign-in), the others stay signed out.
pub(super) async fn change_password(
    app: &App,
    portal: &Portal<'_>,
    cookies: &Cookies,
    ctx: &Context,
    form: &Form,
) -> Response<Body> {
    let Some((id, hash)) = portal.signed_in(cookies, ctx).await else {
        return portal.see_other("/login");
    };
    let token = form.get(field::CSRF).unwrap_or_default();
    let checked = csrf::verify(
        portal.key,
        Purpose::PasswordChange,
        Binding::Session(hash.as_bytes()),
        &token,
        portal.now,
        FORM_MAX_AGE,
    );
    if let Err(e) = checked {
        tracing::debug!("portal: password form refused: {e}");
        let msg = "The form expired or was not sent from this page. Please try again.";
        return portal.password_page(StatusCode::FORBIDDEN, &id, &hash, Some(msg), false);
    }
    if id.backend != "local" {
        return portal.password_page(StatusCode::OK, &id, &hash, None, false);
    }
    let old = form.get(field::OLD_PASSWORD).unwrap_or_default();
    let new = form.get(field::NEW_PASSWORD).unwrap_or_default();
    let again = form.get(field::NEW_PASSWORD_AGAIN).unwrap_or_default();
    let refuse = |status, msg| portal.password_page(status, &id, &hash, Some(msg), false);
    if new.is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "Enter a new password.");
    }
    // Both are typed by the same person; a mismatch is a typo, not a secret to guard.
    if new != again {
        return refuse(StatusCode::BAD_REQUEST, "The new passwords do not match.");
    }
    let credential = Credential::Password { user: id.name.clone(), secret: Secret::from_string(old) };
    let outcome = portal.rt.auth.verify(credential, ctx).await;
    app.audit(&outcome.event);
    app.metrics.decision("portal", outcome.event.outcome);
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    match outcome.decision {
        Decision::Accepted(proven) if proven.name == id.name && proven.backend == "local" => {}
        Decision::Throttled(left) => {
            let mut r = refuse(StatusCode::TOO_MANY_REQUESTS, "Too many attempts. Please wait a moment and try again.");
            append(&mut r, RETRY_AFTER, &left.as_secs().max(1).to_string());
            return r;
        }
        Decision::Unavailable(_) => {
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "Unavailable right now. Please try again later.");
        }
        _ => return refuse(StatusCode::UNAUTHORIZED, "The current password is incorrect."),
    }
    let Some(local) = portal.rt.auth.chain().local.clone() else {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "Unavailable right now. Please try again later.");
    };
    let (name, now, new) = (id.name.clone(), portal.now, Secret::from_string(new));
    let (rt, current) = (portal.rt.clone(), hash.clone());
    let done = tokio::task::spawn_blocking(move || {
        let remember_me = local.with_store(|s| s.find_session(&current))?.is_some_and(|s| s.remember_me);
        // Ends every session of the user (the store's trigger), this one too.
        local.with_accounts(|a| a.set_password(&name, &new, now))?;
        // The replacement session carries the account as stored now.
        let user = local.user(&name)?.ok_or_else(|| wicket_core::Error::NoSuchUser(name.clone()))?;
        rt.auth.open_session(&wicket_core::local::identity(&user), remember_me)
    })
    .await;
    let session = match done {
        Ok(Ok(s)) => s,
        Ok(Err(wicket_core::Error::EmptyPassword)) => return refuse(StatusCode::BAD_REQUEST, "Enter a new password."),
        Ok(Err(e @ wicket_core::Error::WeakPassword(_))) => {
            // Names the rule, never the password; Accounts made no change.
            let msg = format!("{}.", capitalise(&e.to_string()));
            return refuse(StatusCode::BAD_REQUEST, &msg);
        }
        Ok(Err(e)) => {
            tracing::warn!("portal: password change failed: {e}");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "The password could not be changed. Please try again later.",
            );
        }
        Err(_) => return text_unavailable(),
    };
    app.audit(&crate::events::portal_event(ctx, &id.name, "password_changed", "local"));
    let new_hash = session_hash(&session.cookie);
    let mut r = portal.password_page(StatusCode::OK, &id, &new_hash, None, true);
    let lifetime = if session.persistent {
        Lifetime::Persistent(Duration::from_secs(
            u64::try_from(session.expires_at.saturating_sub(portal.now)).unwrap_or(1).max(1),
        ))
    } else {
        Lifetime::BrowserSession
    };
    let value = session.cookie.expose_str().unwrap_or_default();
    match set_cookie(&portal.cfg.name, value, &portal.cookie_options(), lifetime) {
        Ok(c) => append(&mut r, SET_COOKIE, &c),
        Err(e) => {
            tracing::warn!("portal: session cookie: {e}");
            return text_unavailable();
        }
    }
    r
}

/// `password refused: …` → `Password refused: …`, for the page.
pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
