//! `[[rule]] max_age`: a session signed in too long ago goes back to the portal for the
//! password, and the portal asks for it although the browser is signed in.

use super::*;

/// `/admin/` needs a sign-in at most 10 minutes old; sessions have no inactivity limit, so
/// only the sign-in time matters.
fn fresh_admin() -> Fx {
    fixture_with(&format!(
        "{SESSION}inactivity = \"0s\"\n[[rule]]\npath = \"^/admin/\"\npolicy = \"authenticated\"\nmax_age = \"10m\"\n"
    ))
}

/// `/auth` (or `/auth/forward`) for `uri` on app.example.org, with `extra` headers.
async fn check(fx: &Fx, path: &str, uri: &str, extra: &[(&str, &[u8])]) -> Response<Body> {
    let mut h: Vec<(&str, &[u8])> = vec![
        ("x-forwarded-proto", b"https"),
        ("x-forwarded-host", b"app.example.org"),
        ("x-original-uri", uri.as_bytes()),
    ];
    if path == "/auth/forward" {
        h.push(("x-forwarded-uri", uri.as_bytes()));
    }
    h.extend_from_slice(extra);
    get(fx, path, &h).await
}

#[tokio::test]
async fn a_session_older_than_max_age_is_sent_to_the_portal_to_sign_in_again() {
    let fx = fresh_admin();
    let (pair, _, _) = sign_in(&fx, "").await;
    let cookie: (&str, &[u8]) = ("cookie", pair.as_bytes());
    assert_eq!(check(&fx, "/auth", "/admin/x", &[cookie]).await.status(), StatusCode::OK, "just signed in");

    fx.clock.advance(11 * 60);
    let r = check(&fx, "/auth", "/admin/x", &[cookie]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "signed in 11 min ago, max_age 10 min");
    let again = format!("http://auth.example.org/login?rd={}&prompt=login", enc("https://app.example.org/admin/x"));
    assert_eq!(header(&r, "location"), again);
    let html: (&str, &[u8]) = ("accept", b"text/html");
    let r = check(&fx, "/auth/forward", "/admin/x", &[cookie, html]).await;
    assert_eq!((r.status(), header(&r, "location")), (StatusCode::FOUND, again.clone()));
    // Elsewhere the session still counts, and a password sent along is always fresh.
    assert_eq!(check(&fx, "/auth", "/docs/", &[cookie]).await.status(), StatusCode::OK);
    let right = basic("alice", "pw-alice");
    assert_eq!(check(&fx, "/auth", "/admin/x", &[("authorization", &right)]).await.status(), StatusCode::OK);

    // The portal shows the form to the signed-in browser instead of sending it straight back.
    let path = again.trim_start_matches("http://auth.example.org");
    let r = call(&fx, Method::GET, path, &[cookie], String::new()).await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.headers());
    let without_prompt = path.trim_end_matches("&prompt=login");
    let r = call(&fx, Method::GET, without_prompt, &[cookie], String::new()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no prompt: signed in, straight back");

    // Signing in again opens a fresh session that passes.
    let (fresh, _, _) = sign_in(&fx, "").await;
    assert_eq!(check(&fx, "/auth", "/admin/x", &[("cookie", fresh.as_bytes())]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn signing_in_again_ends_the_session_the_browser_brought() {
    let fx = fresh_admin();
    let (old, _, _) = sign_in(&fx, "").await;
    fx.clock.advance(11 * 60);
    // The browser comes back to the form (prompt=login) with its old cookie and signs in.
    let (pre, token) = login_form(&fx).await;
    let form = format!("username=alice&password=pw-alice&csrf={}", enc(&token));
    let both = format!("{pre}; {old}");
    let r = post_login(&fx, &both, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.headers());
    let fresh = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("session cookie"));
    assert_ne!(fresh, old, "a new id at sign-in");
    let ok = check(&fx, "/auth", "/docs/", &[("cookie", fresh.as_bytes())]).await;
    assert_eq!(ok.status(), StatusCode::OK);
    // The replaced session is over: its cookie no longer opens anything, and one row is left.
    let gone = check(&fx, "/auth", "/docs/", &[("cookie", old.as_bytes())]).await;
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED, "the old session still counts");
    let store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let left = store.list_sessions(Some("alice")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(left.len(), 1, "only the fresh session is stored");
}
