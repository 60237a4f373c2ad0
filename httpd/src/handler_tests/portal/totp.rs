//! The second factor at sign-in and at a `two_factor` rule, in-process. Codes are computed
//! from the secret at the fixture's fixed time.

use super::*;
use wicket_core::clock::Clock;
use wicket_core::totp::{SecondFactor, otp};

/// RFC 4648 base32 without padding (what the enrolment shows), decoded.
pub(super) fn base32(text: &str) -> Vec<u8> {
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {text}"),
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// A portal whose `/admin/` needs two factors, with the TOTP key in its own directory.
pub(super) struct Tfx {
    pub(super) fx: Fx,
    _keys: tempfile::TempDir,
}

pub(super) fn two_factor_portal(key_dir_exists: bool) -> Tfx {
    let keys = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = if key_dir_exists { keys.path().to_path_buf() } else { keys.path().join("missing") };
    let fx = fixture_with(&format!(
        "{SESSION}inactivity = \"0s\"\n[totp]\nkey_file = \"{}\"\n[[rule]]\npath = \"^/admin/\"\npolicy = \"two_factor\"\n",
        dir.join("totp.key").display()
    ));
    Tfx { fx, _keys: keys }
}

/// Enrols and confirms alice directly in the store (a code of the previous step, so the
/// current one is still fresh); the secret and her recovery codes.
pub(super) fn enrol_alice(fx: &Fx) -> (Vec<u8>, Vec<String>) {
    let mut store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let mut sf = SecondFactor::new(&mut store, &fx.cfg, &fx.clock);
    let e = sf.enroll("alice", "local").unwrap_or_else(|e| panic!("{e}"));
    let secret = base32(&e.secret_b32);
    let first = otp::totp_at_step(&secret, otp::time_step(fx.clock.now(), 30) - 1, 6);
    assert!(sf.confirm("alice", "local", &first).is_ok_and(|v| v.accepted()));
    let codes = sf.recovery_codes("alice", "local").unwrap_or_else(|e| panic!("{e}"));
    (secret, codes.iter().map(|c| c.to_string()).collect())
}

pub(super) fn code_now(fx: &Fx, secret: &[u8]) -> String {
    otp::totp_at_step(secret, otp::time_step(fx.clock.now(), 30), 6)
}

/// A code wrong for every step of the window.
pub(super) fn wrong_code(fx: &Fx, secret: &[u8], from: u32) -> String {
    let step = otp::time_step(fx.clock.now(), 30);
    (from..1_000_000)
        .map(|c| format!("{c:06}"))
        .find(|c| otp::matching_step(secret, c, step, 1).is_none())
        .unwrap_or_default()
}

/// Password right: the code page; its pre-login cookie, pending value and token.
async fn password_step(fx: &Fx, rd: &str) -> (String, String, String) {
    let (pre, token) = login_form(fx).await;
    let form = format!("username=alice&password=pw-alice&csrf={}&rd={}", enc(&token), enc(rd));
    let r = post_login(fx, &pre, &form).await;
    assert_eq!(r.status(), StatusCode::OK, "the code page, not a session");
    assert!(cookie_pair(&r, "wicket_session").is_none());
    let html = body_text(r).await;
    for want in ["name=\"code\"", "autocomplete=\"one-time-code\"", "inputmode=\"numeric\"", "Use a recovery code"] {
        assert!(html.contains(want), "{want}: {html}");
    }
    assert!(!html.contains("pw-alice"), "never the password");
    (pre, hidden(&html, "pending"), hidden(&html, "csrf"))
}

async fn post_code(fx: &Fx, pre: &str, pending: &str, token: &str, code: &str, rd: &str) -> Response<Body> {
    let ct: &[u8] = b"application/x-www-form-urlencoded";
    let form = format!("pending={}&csrf={}&code={}&rd={}", enc(pending), enc(token), enc(code), enc(rd));
    call(fx, Method::POST, "/login/code", &[("cookie", pre.as_bytes()), ("content-type", ct)], form).await
}

async fn admin(fx: &Fx, extra: &[(&str, &[u8])]) -> Response<Body> {
    let mut h: Vec<(&str, &[u8])> = vec![
        ("x-forwarded-proto", b"https"),
        ("x-forwarded-host", b"app.example.org"),
        ("x-original-uri", b"/admin/x"),
    ];
    h.extend_from_slice(extra);
    get(fx, "/auth", &h).await
}

const RD: &str = "https://app.example.org/admin/x";

#[tokio::test]
async fn password_and_code_open_a_two_factor_session() {
    let t = two_factor_portal(true);
    let (secret, _) = enrol_alice(&t.fx);
    let (pre, pending, token) = password_step(&t.fx, RD).await;
    let r = post_code(&t.fx, &pre, &pending, &token, &code_now(&t.fx, &secret), RD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&r, "location"), RD, "rd travels through the code page");
    let pair = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("session cookie"));
    assert_eq!(admin(&t.fx, &[("cookie", pair.as_bytes())]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_and_reused_codes_are_refused() {
    let t = two_factor_portal(true);
    let (secret, _) = enrol_alice(&t.fx);
    let (pre, pending, token) = password_step(&t.fx, "").await;
    let r = post_code(&t.fx, &pre, &pending, &token, &wrong_code(&t.fx, &secret, 0), "").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_pair(&r, "wicket_session").is_none());
    assert!(body_text(r).await.contains("That code is not right"));
    let code = code_now(&t.fx, &secret);
    assert_eq!(post_code(&t.fx, &pre, &pending, &token, &code, "").await.status(), StatusCode::SEE_OTHER);
    let (pre, pending, token) = password_step(&t.fx, "").await;
    let r = post_code(&t.fx, &pre, &pending, &token, &code, "").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_pair(&r, "wicket_session").is_none());
    assert!(body_text(r).await.contains("already used"));
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let t = two_factor_portal(true);
    let (_, codes) = enrol_alice(&t.fx);
    let (pre, pending, token) = password_step(&t.fx, "").await;
    let r = post_code(&t.fx, &pre, &pending, &token, &codes[3], "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let pair = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("session cookie"));
    assert_eq!(admin(&t.fx, &[("cookie", pair.as_bytes())]).await.status(), StatusCode::OK);
    let (pre, pending, token) = password_step(&t.fx, "").await;
    assert_eq!(post_code(&t.fx, &pre, &pending, &token, &codes[3], "").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_codes_are_throttled_with_retry_after() {
    let t = two_factor_portal(true);
    let (secret, _) = enrol_alice(&t.fx);
    let (pre, pending, token) = password_step(&t.fx, "").await;
    let mut last = StatusCode::OK;
    for n in 0..6u32 {
        let r = post_code(&t.fx, &pre, &pending, &token, &wrong_code(&t.fx, &secret, n * 1000), "").await;
        last = r.status();
        if last == StatusCode::TOO_MANY_REQUESTS {
            assert!(header(&r, "retry-after").parse::<u64>().is_ok_and(|s| s >= 1), "{:?}", r.headers());
            break;
        }
        assert_eq!(last, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "max_failures = 5");
    // Even the right code waits out the lockout.
    let r = post_code(&t.fx, &pre, &pending, &token, &code_now(&t.fx, &secret), "").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_code_form_is_bound_to_the_browser_and_expires() {
    let t = two_factor_portal(true);
    let (secret, _) = enrol_alice(&t.fx);
    let (pre, pending, token) = password_step(&t.fx, "").await;
    let (other_pre, _) = login_form(&t.fx).await;
    let code = code_now(&t.fx, &secret);
    assert_eq!(post_code(&t.fx, &other_pre, &pending, &token, &code, "").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(post_code(&t.fx, &pre, &pending, "", &code, "").await.status(), StatusCode::FORBIDDEN);
    // An edited pending value (another user, other groups) with the token.
    let forged = format!("{pending}A");
    assert_eq!(post_code(&t.fx, &pre, &forged, &token, &code, "").await.status(), StatusCode::FORBIDDEN);
    t.fx.clock.advance(301);
    let code = code_now(&t.fx, &secret);
    assert_eq!(post_code(&t.fx, &pre, &pending, &token, &code, "").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_one_factor_session_steps_up_and_keeps_its_sign_in() {
    let t = two_factor_portal(true);
    let (pair, _, _) = sign_in(&t.fx, "").await; // before the enrolment: one factor
    let (secret, _) = enrol_alice(&t.fx);
    let cookie: (&str, &[u8]) = ("cookie", pair.as_bytes());
    let r = admin(&t.fx, &[cookie]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&r, "location"), format!("http://auth.example.org/login?rd={}&prompt=two_factor", enc(RD)));
    let r =
        call(&t.fx, Method::GET, &format!("/login?rd={}&prompt=two_factor", enc(RD)), &[cookie], String::new()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let step_up = header(&r, "location");
    assert_eq!(step_up, format!("/login/step-up?rd={}", enc(RD)));
    let r = call(&t.fx, Method::GET, &step_up, &[cookie], String::new()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = hidden(&body_text(r).await, "csrf");
    let ct: &[u8] = b"application/x-www-form-urlencoded";
    let h = [cookie, ("content-type", ct)];
    let form = |token: &str, code: &str| format!("csrf={}&code={}&rd={}", enc(token), enc(code), enc(RD));
    let r = call(&t.fx, Method::POST, "/login/step-up", &h, form("", &code_now(&t.fx, &secret))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "CSRF");
    let r = call(&t.fx, Method::POST, "/login/step-up", &h, form(&token, &code_now(&t.fx, &secret))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&r, "location"), RD);
    let fresh = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("rotated cookie"));
    assert_ne!(fresh, pair, "a fresh id for the upgraded session");
    assert_eq!(admin(&t.fx, &[("cookie", fresh.as_bytes())]).await.status(), StatusCode::OK);
    let home = call(&t.fx, Method::GET, "/", &[("cookie", fresh.as_bytes())], String::new()).await;
    assert_eq!(home.status(), StatusCode::OK, "still signed in, no password asked");
    assert_eq!(admin(&t.fx, &[cookie]).await.status(), StatusCode::UNAUTHORIZED, "the old id ended");
}

#[tokio::test]
async fn basic_is_refused_on_a_two_factor_rule_without_a_challenge() {
    let t = two_factor_portal(true);
    let r = admin(&t.fx, &[("authorization", &basic("alice", "pw-alice"))]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(challenges(&r).is_empty(), "{:?}", r.headers());
    assert_eq!(header(&r, "x-wicket-reason"), "second_factor_required");
    // Elsewhere Basic works as before.
    let h: [(&str, &[u8]); 1] = [("authorization", &basic("alice", "pw-alice"))];
    assert_eq!(get(&t.fx, "/auth", &h).await.status(), StatusCode::OK);
}
