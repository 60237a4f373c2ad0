//! Invitation links (`/invite`), in-process: link → cookie → form → password → signed in,
//! and the refusals (expired, used, unknown, weak password, CSRF, guessing).

use super::*;
use wicket_core::accounts::Accounts;

const FORM: &str = "application/x-www-form-urlencoded";

/// `wicket user invite NAME` (or `--reset`) against the fixture's store: the link's token.
fn invite(fx: &Fx, name: &str, reset: bool) -> String {
    let mut store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let policy = PasswordPolicy::from_config(&fx.cfg).unwrap_or_else(|e| panic!("{e}"));
    let mut acc = Accounts::new(&mut store, &policy, &fx.cfg.users);
    let token = if reset {
        acc.reset_link(name, T0 + 3600, T0).unwrap_or_else(|e| panic!("{e}")).0
    } else {
        let new = NewUser { name: name.into(), ..NewUser::default() };
        acc.invite_user(&new, &["admins".to_string()], T0 + 3600, T0).unwrap_or_else(|e| panic!("{e}")).token
    };
    token.expose_str().unwrap_or_default().to_string()
}

/// GET the link: the redirect that moves the token into the cookie; the cookie pair.
async fn open_link(fx: &Fx, token: &str) -> String {
    let r = call(fx, Method::GET, &format!("/invite?t={token}"), &[], String::new()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&r, "location"), "/invite", "the token leaves the address bar");
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    let full = set_cookies(&r).into_iter().find(|c| c.starts_with("wicket_invite=")).unwrap_or_default();
    assert!(full.contains("HttpOnly") && full.contains("Max-Age=3600") && !full.contains("Domain"), "{full}");
    cookie_pair(&r, "wicket_invite").unwrap_or_else(|| panic!("invite cookie"))
}

/// GET /invite with the cookie: the status and the page.
async fn page(fx: &Fx, cookie: &str) -> (StatusCode, String) {
    let r = call(fx, Method::GET, "/invite", &[("cookie", cookie.as_bytes())], String::new()).await;
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    assert_eq!(header(&r, "cache-control"), "no-store");
    (r.status(), body_text(r).await)
}

async fn post(fx: &Fx, cookie: &str, csrf: &str, new: &str, again: &str) -> Response<Body> {
    let form = format!("csrf={}&new_password={}&new_password_again={}", enc(csrf), enc(new), enc(again));
    call(fx, Method::POST, "/invite", &[("cookie", cookie.as_bytes()), ("content-type", FORM.as_bytes())], form).await
}

fn password_of(fx: &Fx, user: &str) -> Option<String> {
    let store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    store.get_user(user).ok().flatten().and_then(|u| u.password_hash)
}

const INVALID: &str = "This link is no longer valid.";
const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn a_link_leads_to_a_password_and_a_session_and_then_dies() {
    let fx = portal();
    let token = invite(&fx, "carol", false);
    let cookie = open_link(&fx, &token).await;
    let (status, html) = page(&fx, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Choose your password") && html.contains("Welcome, carol."), "{html}");
    assert_eq!(html.matches("autocomplete=\"new-password\"").count(), 2, "{html}");
    assert!(html.contains("<label for=\"new_password\">") && html.contains("<label for=\"new_password_again\">"));
    assert!(!html.contains(&token), "the token is not in the page");
    let r = post(&fx, &cookie, &hidden(&html, "csrf"), PASSWORD, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.headers());
    assert_eq!(header(&r, "location"), "/");
    assert!(set_cookies(&r).iter().any(|c| c.starts_with("wicket_invite=;") && c.contains("Max-Age=0")));
    let session = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("signed in"));
    let home = call(&fx, Method::GET, "/", &[("cookie", session.as_bytes())], String::new()).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(body_text(home).await.contains("carol"));
    assert_eq!(get(&fx, "/auth", &[("authorization", &basic("carol", PASSWORD))]).await.status(), StatusCode::OK);
    // The link is dead: opened again, or its form posted again.
    let hash = password_of(&fx, "carol");
    let again = open_link(&fx, &token).await;
    let (status, html) = page(&fx, &again).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains(INVALID), "{html}");
    let r = post(&fx, &cookie, "anything", "another passphrase 2", "another passphrase 2").await;
    assert!(matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::GONE), "{}", r.status());
    assert_eq!(password_of(&fx, "carol"), hash);
    // The trail: the link used (an `ok` outcome), the session opened, the dead link refused.
    fx.app.events.flush();
    let store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let ok = wicket_core::store::OutcomeFilter::parse("ok");
    let query = wicket_core::store::EventQuery { outcome: Some(ok), ..Default::default() };
    let events = store.list_events(&query).unwrap_or_else(|e| panic!("{e}"));
    let seen: Vec<(&str, &str, &str)> =
        events.iter().map(|e| (e.scheme.as_str(), e.user.as_str(), e.outcome.as_str())).collect();
    assert!(seen.contains(&("invite", "carol", "invite_used")), "{seen:?}");
    assert!(seen.contains(&("session", "carol", "session_opened")), "{seen:?}");
    let all = store.list_events(&Default::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(all.iter().any(|e| e.outcome == "invalid_invite" && e.path.as_deref() == Some("/invite")));
    assert!(all.iter().all(|e| !e.path.as_deref().unwrap_or("").contains(&token)));
}

#[tokio::test]
async fn a_reset_link_ends_the_users_other_sessions() {
    let fx = portal();
    let (old_session, _, _) = sign_in(&fx, "").await;
    let token = invite(&fx, "alice", true);
    let cookie = open_link(&fx, &token).await;
    let (status, html) = page(&fx, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Your other sessions will be signed out"), "{html}");
    let r = post(&fx, &cookie, &hidden(&html, "csrf"), PASSWORD, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fresh = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("signed in"));
    assert_eq!(auth_with_cookie(&fx, "/auth", &fresh).await.status(), StatusCode::OK);
    assert_eq!(auth_with_cookie(&fx, "/auth", &old_session).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&fx, "/auth", &[("authorization", &basic("alice", "pw-alice"))]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn expired_used_and_unknown_links_get_the_same_page() {
    let fx = portal();
    let token = invite(&fx, "dave", false);
    let cookie = open_link(&fx, &token).await;
    let (_, form) = page(&fx, &cookie).await;
    fx.clock.advance(3600);
    let (status, expired) = page(&fx, &cookie).await;
    assert_eq!(status, StatusCode::GONE);
    let r = post(&fx, &cookie, &hidden(&form, "csrf"), PASSWORD, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(password_of(&fx, "dave"), None);
    let unknown = open_link(&fx, &"A".repeat(43)).await;
    let (status, unknown) = page(&fx, &unknown).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(expired, unknown);
    assert!(expired.contains(INVALID));
    // Not even a token: no cookie is written, and the page is the same.
    let r = call(&fx, Method::GET, "/invite?t=%3Cscript%3E", &[], String::new()).await;
    assert!(set_cookies(&r).iter().all(|c| c.contains("Max-Age=0")), "{:?}", set_cookies(&r));
    let (_, nothing) = page(&fx, "").await;
    assert_eq!(nothing, unknown);
}

#[tokio::test]
async fn a_weak_or_mismatched_password_is_refused_and_the_link_stays_open() {
    let fx = portal();
    let token = invite(&fx, "erin", false);
    let cookie = open_link(&fx, &token).await;
    let (_, html) = page(&fx, &cookie).await;
    let csrf = hidden(&html, "csrf");
    let r = post(&fx, &cookie, &csrf, "short", "short").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = body_text(r).await;
    assert!(html.contains("Password refused: shorter than 8 characters"), "{html}");
    let r = post(&fx, &cookie, &csrf, "erin", "erin").await;
    assert!(body_text(r).await.contains("Password refused"));
    let r = post(&fx, &cookie, &csrf, PASSWORD, "something else entirely").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body_text(r).await.contains("The passwords do not match."));
    assert_eq!(password_of(&fx, "erin"), None);
    let r = post(&fx, &cookie, &csrf, PASSWORD, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the link still works");
}

#[tokio::test]
async fn a_post_without_a_token_bound_to_the_link_is_refused() {
    let fx = portal();
    let token = invite(&fx, "fred", false);
    let cookie = open_link(&fx, &token).await;
    for csrf in ["", "forged"] {
        let r = post(&fx, &cookie, csrf, PASSWORD, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(body_text(r).await.contains("The form expired or was not sent from this page."));
    }
    // A token from another link's page does not fit this one.
    let other = open_link(&fx, &invite(&fx, "gina", false)).await;
    let (_, html) = page(&fx, &other).await;
    let r = post(&fx, &cookie, &hidden(&html, "csrf"), PASSWORD, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nor a sign-in form's token.
    let (pre, login_token) = login_form(&fx).await;
    let r = post(&fx, &format!("{cookie}; {pre}"), &login_token, PASSWORD, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(password_of(&fx, "fred"), None);
}

#[tokio::test]
async fn guessing_links_meets_the_throttle_per_client() {
    let fx = portal();
    let token = invite(&fx, "hank", false);
    let from = |ip: &'static str, cookie: String| {
        let headers: Vec<(&str, Vec<u8>)> =
            vec![("cookie", cookie.into_bytes()), ("x-real-ip", ip.as_bytes().to_vec())];
        headers
    };
    let wrong = open_link(&fx, &"B".repeat(43)).await;
    for _ in 0..5 {
        let h = from("192.0.2.9", wrong.clone());
        let h: Vec<(&str, &[u8])> = h.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        assert_eq!(call(&fx, Method::GET, "/invite", &h, String::new()).await.status(), StatusCode::GONE);
    }
    let right = open_link(&fx, &token).await;
    let h = from("192.0.2.9", right.clone());
    let h: Vec<(&str, &[u8])> = h.iter().map(|(k, v)| (*k, v.as_slice())).collect();
    let r = call(&fx, Method::GET, "/invite", &h, String::new()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!header(&r, "retry-after").is_empty());
    // Another client is not locked out by them.
    let h = from("192.0.2.10", right);
    let h: Vec<(&str, &[u8])> = h.iter().map(|(k, v)| (*k, v.as_slice())).collect();
    assert_eq!(call(&fx, Method::GET, "/invite", &h, String::new()).await.status(), StatusCode::OK);
}
