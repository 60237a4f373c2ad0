//! `/oidc/start` and `/oidc/callback` refusals that need no provider, in-process: an
//! unknown provider, a callback without its flow cookie or with a tampered, expired or
//! replayed one, a provider's `error=access_denied`, and a provider that is down. Each is a
//! portal page with a plain message and a way back to the sign-in form — no session, no
//! secret in the page.

use super::*;
use crate::portal::csrf::{self, Binding, Purpose};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const EXPIRED: &str = "This sign-in expired or was already used. Please sign in again.";

/// The portal with one provider, "Example ID", at a loopback address where nothing listens
/// (port 9). `client` keeps each test's provider state (used states) apart.
fn with_provider(client: &str) -> Fx {
    fixture_with(&format!(
        "{SESSION}[[oidc]]\nname = \"Example ID\"\nissuer = \"http://127.0.0.1:9\"\nclient_id = \"{client}\"\nclient_secret = \"s3cret-{client}\"\n"
    ))
}

/// A flow cookie as `/oidc/start` would have set it at `at`, for `state`.
fn flow_cookie(fx: &Fx, provider: &str, state: &str, at: i64) -> String {
    let flow = serde_json::json!({ "p": provider, "s": state, "n": "nonce-1", "v": "verifier-1", "r": "" });
    let payload = URL_SAFE_NO_PAD.encode(flow.to_string());
    let key = fx.app.csrf.as_ref().unwrap_or_else(|| panic!("no CSRF key"));
    let mac = csrf::issue(key, Purpose::OidcFlow, Binding::PreLogin(&payload), at).unwrap_or_else(|e| panic!("{e}"));
    format!("wicket_oidc={payload}.{mac}")
}

async fn callback(fx: &Fx, query: &str, cookie: &str) -> Response<Body> {
    let headers: Vec<(&str, &[u8])> = if cookie.is_empty() { vec![] } else { vec![("cookie", cookie.as_bytes())] };
    call(fx, Method::GET, &format!("/oidc/callback?{query}"), &headers, String::new()).await
}

/// A refusal page: `status`, `message`, a way back, no session, the flow cookie cleared.
async fn refused(r: Response<Body>, status: StatusCode, message: &str) -> String {
    assert_eq!(r.status(), status);
    assert_eq!(header(&r, "cache-control"), "no-store");
    assert!(r.headers().get("location").is_none());
    assert!(cookie_pair(&r, "wicket_session").is_none());
    assert!(set_cookies(&r).iter().any(|c| c.starts_with("wicket_oidc=;") && c.contains("Max-Age=0")), "{r:?}");
    let html = body_text(r).await;
    assert!(html.contains(message), "{html}");
    assert!(html.contains("href=\"/login\""), "{html}");
    assert!(!html.contains("s3cret") && !html.contains("verifier-1") && !html.contains("nonce-1"), "{html}");
    html
}

#[tokio::test]
async fn an_unknown_provider_is_a_clear_page() {
    let fx = with_provider("unknown");
    for query in ["provider=Nope", "provider=", "", "provider=example%20id"] {
        let r = call(&fx, Method::GET, &format!("/oidc/start?{query}"), &[], String::new()).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{query}");
        assert!(r.headers().get("location").is_none(), "{query}");
        assert!(cookie_pair(&r, "wicket_oidc").is_none(), "{query}");
        let html = body_text(r).await;
        assert!(html.contains("This sign-in method is not offered here."), "{query}: {html}");
    }
}

#[tokio::test]
async fn a_callback_without_its_flow_cookie_or_with_a_bad_one_is_the_same_400_page() {
    let fx = with_provider("cookies");
    let good = flow_cookie(&fx, "Example ID", "state-1", T0);
    let (name_value, mac) = good.rsplit_once('.').unwrap_or_else(|| panic!("{good}"));
    let flip = |s: &str| {
        let mut b = s.as_bytes().to_vec();
        let last = b.len() - 1;
        b[last] = if b[last] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap_or_default()
    };
    // The payload names another provider; the MAC was made for the original.
    let other = flow_cookie(&fx, "Other", "state-1", T0);
    let (other_payload, _) = other.rsplit_once('.').unwrap_or_else(|| panic!("{other}"));
    let cases = [
        String::new(),
        "wicket_oidc=".to_string(),
        "wicket_oidc=garbage".to_string(),
        format!("{name_value}.{}", flip(mac)),
        format!("{}.{mac}", flip(name_value)),
        format!("{other_payload}.{mac}"),
        // A genuine flow for a provider that is not configured.
        other.clone(),
    ];
    for cookie in &cases {
        let r = callback(&fx, "code=abc&state=state-1", cookie).await;
        refused(r, StatusCode::BAD_REQUEST, EXPIRED).await;
    }
    // The good cookie with another state.
    refused(callback(&fx, "code=abc&state=state-2", &good).await, StatusCode::BAD_REQUEST, EXPIRED).await;
    refused(callback(&fx, "code=abc", &good).await, StatusCode::BAD_REQUEST, EXPIRED).await;
}

#[tokio::test]
async fn an_expired_flow_cookie_is_the_same_400_page() {
    let fx = with_provider("expired");
    let cookie = flow_cookie(&fx, "Example ID", "state-old", T0);
    fx.clock.advance(601);
    let r = callback(&fx, "error=access_denied&state=state-old", &cookie).await;
    refused(r, StatusCode::BAD_REQUEST, EXPIRED).await;
}

#[tokio::test]
async fn access_denied_at_the_provider_is_a_clear_page_and_the_state_is_spent() {
    let fx = with_provider("denied");
    let cookie = flow_cookie(&fx, "Example ID", "state-denied", T0);
    let query = "error=access_denied&error_description=The+user+said+no&state=state-denied";
    let html =
        refused(callback(&fx, query, &cookie).await, StatusCode::UNAUTHORIZED, "Example ID did not sign you in.").await;
    assert!(html.contains("sign in another way"), "{html}");
    assert!(!html.contains("The user said no") && !html.contains("state-denied"), "{html}");
    // The same state again (a replayed redirect): spent.
    refused(callback(&fx, query, &cookie).await, StatusCode::BAD_REQUEST, EXPIRED).await;
    // Password sign-in still works.
    let (pair, _, _) = sign_in(&fx, "").await;
    assert!(pair.starts_with("wicket_session="));
}

#[tokio::test]
async fn a_provider_that_is_down_is_a_clear_page_at_the_start() {
    let fx = with_provider("down");
    let r = call(&fx, Method::GET, "/oidc/start?provider=Example%20ID", &[], String::new()).await;
    let html = refused(r, StatusCode::SERVICE_UNAVAILABLE, "Sign-in with Example ID is unavailable right now.").await;
    assert!(html.contains("sign in another way"), "{html}");
}
