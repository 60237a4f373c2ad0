//! The password change page (`/account/password`), in-process.

use super::*;

const PATH: &str = "/account/password";

/// GET the page with `pair`; its CSRF token.
async fn form_token(fx: &Fx, pair: &str) -> String {
    let r = call(fx, Method::GET, PATH, &[("cookie", pair.as_bytes())], String::new()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "cache-control"), "no-store");
    hidden(&body_text(r).await, "csrf")
}

async fn post(fx: &Fx, pair: &str, form: &str) -> Response<Body> {
    let ct: &[u8] = b"application/x-www-form-urlencoded";
    call(fx, Method::POST, PATH, &[("cookie", pair.as_bytes()), ("content-type", ct)], form.to_string()).await
}

fn change(token: &str, old: &str, new: &str, again: &str) -> String {
    format!("csrf={}&old_password={}&new_password={}&new_password_again={}", enc(token), enc(old), enc(new), enc(again))
}

fn password_works(fx: &Fx, pw: &str) -> bool {
    let rt = fx.app.runtime();
    let Some(local) = rt.auth.chain().local.as_ref() else { return false };
    let stored = local.user("alice").ok().flatten().and_then(|u| u.password_hash).unwrap_or_default();
    let check = local.policy().hasher().verify(&stored, &Secret::from(pw));
    matches!(check, wicket_core::password::PasswordCheck::Match { .. })
}

#[tokio::test]
async fn the_page_needs_a_session() {
    let fx = portal();
    let r = call(&fx, Method::GET, PATH, &[], String::new()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&r, "location"), "/login");
    let (pair, _, _) = sign_in(&fx, "").await;
    let home = call(&fx, Method::GET, "/", &[("cookie", pair.as_bytes())], String::new()).await;
    assert!(body_text(home).await.contains(&format!("href=\"{PATH}\"")), "local users get the link");
}

#[tokio::test]
async fn a_password_change_updates_the_password_and_ends_the_other_sessions() {
    let fx = portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    let (other, _, _) = sign_in(&fx, "").await;
    let token = form_token(&fx, &pair).await;
    let r = post(&fx, &pair, &change(&token, "pw-alice", "new-pw-1", "new-pw-1")).await;
    assert_eq!(r.status(), StatusCode::OK);
    // The current session goes on under a fresh cookie; the old cookie and the other session end.
    let fresh = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("rotated cookie"));
    assert_ne!(fresh, pair);
    assert!(body_text(r).await.contains("Your password was changed"));
    assert_eq!(auth_with_cookie(&fx, "/auth", &fresh).await.status(), StatusCode::OK);
    assert_eq!(auth_with_cookie(&fx, "/auth", &other).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(auth_with_cookie(&fx, "/auth", &pair).await.status(), StatusCode::UNAUTHORIZED);
    // The new password is the password, for Basic and Digest (HA1) alike.
    assert_eq!(get(&fx, "/auth", &[("authorization", &basic("alice", "new-pw-1"))]).await.status(), StatusCode::OK);
    assert_eq!(
        get(&fx, "/auth", &[("authorization", &basic("alice", "pw-alice"))]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let want = ha1(Algorithm::Sha256, "alice", &fx.cfg.server.realm, b"new-pw-1");
    let got = store.get_ha1("alice", &fx.cfg.server.realm, wicket_core::config::DigestAlgorithm::Sha256);
    assert_eq!(got.ok().flatten().as_deref().map(str::as_bytes), Some(want.expose()));
}

#[tokio::test]
async fn a_wrong_old_password_changes_nothing() {
    let fx = portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    let token = form_token(&fx, &pair).await;
    let r = post(&fx, &pair, &change(&token, "wrong", "new-pw-1", "new-pw-1")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(body_text(r).await.contains("The current password is incorrect."));
    assert!(password_works(&fx, "pw-alice") && !password_works(&fx, "new-pw-1"));
    assert_eq!(auth_with_cookie(&fx, "/auth", &pair).await.status(), StatusCode::OK, "still signed in");
}

#[tokio::test]
async fn new_passwords_that_differ_or_are_empty_are_refused() {
    let fx = portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    let token = form_token(&fx, &pair).await;
    let r = post(&fx, &pair, &change(&token, "pw-alice", "new-pw-1", "new-pw-2")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body_text(r).await.contains("The new passwords do not match."));
    let r = post(&fx, &pair, &change(&token, "pw-alice", "", "")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body_text(r).await.contains("Enter a new password."));
    assert!(password_works(&fx, "pw-alice"));
}

#[tokio::test]
async fn a_change_without_the_csrf_token_is_refused() {
    let fx = portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    for token in ["", "forged"] {
        let r = post(&fx, &pair, &change(token, "pw-alice", "new-pw-1", "new-pw-1")).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    // A token bound to another session does not do either.
    let (other, _, _) = sign_in(&fx, "").await;
    let foreign = form_token(&fx, &other).await;
    let r = post(&fx, &pair, &change(&foreign, "pw-alice", "new-pw-1", "new-pw-1")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(password_works(&fx, "pw-alice"));
}

/// Issue 13: the page shows which password rule failed, and nothing changes.
#[tokio::test]
async fn a_weak_new_password_is_refused_with_the_rule() {
    let fx = portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    let token = form_token(&fx, &pair).await;
    let r = post(&fx, &pair, &change(&token, "pw-alice", "short", "short")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = body_text(r).await;
    assert!(page.contains("Password refused: shorter than 8 characters"), "{page}");
    assert!(password_works(&fx, "pw-alice") && !password_works(&fx, "short"));
    assert_eq!(auth_with_cookie(&fx, "/auth", &pair).await.status(), StatusCode::OK, "still signed in");
}
