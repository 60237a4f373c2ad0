//! `/account/two-factor`: enrolment from the account page, turning it off, CSRF, and a key
//! file wicketd cannot create.

use super::totp::{base32, code_now, enrol_alice, two_factor_portal, wrong_code};
use super::*;
use wicket_core::totp::SecondFactor;

const PATH: &str = "/account/two-factor";

async fn page_token(fx: &Fx, pair: &str) -> (String, String) {
    let r = call(fx, Method::GET, PATH, &[("cookie", pair.as_bytes())], String::new()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = body_text(r).await;
    (hidden(&html, "csrf"), html)
}

async fn post(fx: &Fx, pair: &str, form: &str) -> Response<Body> {
    let ct: &[u8] = b"application/x-www-form-urlencoded";
    call(fx, Method::POST, PATH, &[("cookie", pair.as_bytes()), ("content-type", ct)], form.to_string()).await
}

fn enrolled(fx: &Fx) -> bool {
    let mut store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    SecondFactor::new(&mut store, &fx.cfg, &fx.clock).is_enrolled("alice", "local").unwrap_or(false)
}

#[tokio::test]
async fn enrolment_from_the_account_page_shows_the_qr_code_and_the_recovery_codes_once() {
    let t = two_factor_portal(true);
    let (pair, _, _) = sign_in(&t.fx, "").await;
    let home =
        body_text(call(&t.fx, Method::GET, "/account", &[("cookie", pair.as_bytes())], String::new()).await).await;
    assert!(home.contains(&format!("href=\"{PATH}\"")));
    let (token, html) = page_token(&t.fx, &pair).await;
    assert!(html.contains("Set up two-factor sign-in"));
    let r = post(&t.fx, &pair, &format!("csrf={}&action=start", enc(&token))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = body_text(r).await;
    assert!(html.contains("<svg"), "an inline QR code");
    let start = html.find("<code class=\"key\">").map(|i| i + 18).unwrap_or_else(|| panic!("key: {html}"));
    let key: String = html[start..].split('<').next().unwrap_or_default().replace(' ', "");
    let secret = base32(&key);
    assert!(!enrolled(&t.fx), "not before the first code");
    let wrong = wrong_code(&t.fx, &secret, 0);
    let r = post(&t.fx, &pair, &format!("csrf={}&action=confirm&code={wrong}", enc(&token))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = post(&t.fx, &pair, &format!("csrf={}&action=confirm&code={}", enc(&token), code_now(&t.fx, &secret))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let fresh = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("the session is upgraded"));
    let html = body_text(r).await;
    assert_eq!(html.matches("<li><code>").count(), 10, "{html}");
    assert!(html.contains("shown only this once"));
    assert!(enrolled(&t.fx));
    let admin: [(&str, &[u8]); 4] = [
        ("cookie", fresh.as_bytes()),
        ("x-forwarded-proto", b"https"),
        ("x-forwarded-host", b"app.example.org"),
        ("x-original-uri", b"/admin/x"),
    ];
    assert_eq!(get(&t.fx, "/auth", &admin).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn turning_off_and_re_enrolling_need_a_current_code_and_the_token() {
    let t = two_factor_portal(true);
    let (pair, _, _) = sign_in(&t.fx, "").await;
    let (other, _, _) = sign_in(&t.fx, "").await;
    let (secret, _) = enrol_alice(&t.fx);
    let (token, html) = page_token(&t.fx, &pair).await;
    assert!(html.contains("Two-factor sign-in is on. 10 recovery codes left."), "{html}");
    for form in [format!("csrf={}&action=reset", enc(&token)), format!("csrf={}&action=start", enc(&token))] {
        assert_eq!(post(&t.fx, &pair, &form).await.status(), StatusCode::BAD_REQUEST, "no code");
    }
    let wrong = wrong_code(&t.fx, &secret, 0);
    let r = post(&t.fx, &pair, &format!("csrf={}&action=reset&code={wrong}", enc(&token))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let code = code_now(&t.fx, &secret);
    let r = post(&t.fx, &pair, &format!("csrf=forged&action=reset&code={code}")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (foreign, _) = page_token(&t.fx, &other).await;
    let r = post(&t.fx, &pair, &format!("csrf={}&action=reset&code={code}", enc(&foreign))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a token of another session");
    assert!(enrolled(&t.fx));
    let r = post(&t.fx, &pair, &format!("csrf={}&action=reset&code={code}", enc(&token))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body_text(r).await.contains("Two-factor sign-in is off."));
    assert!(!enrolled(&t.fx));
}

#[tokio::test]
async fn a_missing_key_file_is_a_plain_not_available_page() {
    let t = two_factor_portal(false);
    let (pair, _, _) = sign_in(&t.fx, "").await;
    let (token, _) = page_token(&t.fx, &pair).await;
    let r = post(&t.fx, &pair, &format!("csrf={}&action=start", enc(&token))).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = body_text(r).await;
    assert!(html.contains("ask your administrator"), "{html}");
    assert!(!html.contains("totp.key") && !html.contains("/missing"), "no details: {html}");
}

#[tokio::test]
async fn a_step_up_without_an_enrolment_leads_through_it() {
    let t = two_factor_portal(true);
    let (pair, _, _) = sign_in(&t.fx, "").await;
    let rd = enc("https://app.example.org/admin/x");
    let r = call(&t.fx, Method::GET, &format!("/login/step-up?rd={rd}"), &[("cookie", pair.as_bytes())], String::new())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = body_text(r).await;
    assert!(html.contains("Set it up now to continue") && html.contains("Set up two-factor sign-in"), "{html}");
    assert!(html.contains("name=\"rd\""), "rd travels through the enrolment");
}
