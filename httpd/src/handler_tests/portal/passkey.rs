//! Passkeys in-process, with an authenticator made here from a P-256 key (`ring`): a
//! registration from the account page, then password + passkey; a challenge is good once;
//! a counter that does not move forward is refused; removal needs a two-factor or fresh
//! session.

use super::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "http://auth.example.org";
const RP_ID: &str = "auth.example.org";
const CT: &[u8] = b"application/x-www-form-urlencoded";

fn passkey_portal() -> Fx {
    fixture_with(&format!(
        "{SESSION}inactivity = \"1h\"\nexpiry = \"2h\"\n[[rule]]\npath = \"^/admin/\"\npolicy = \"two_factor\"\n"
    ))
}

struct Authenticator {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    id: Vec<u8>,
}

fn authenticator() -> Authenticator {
    let rng = SystemRandom::new();
    let pk8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap_or_else(|e| panic!("{e}"));
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pk8.as_ref(), &rng).unwrap_or_else(|e| panic!("{e}"));
    Authenticator { key, rng, id: b"test-credential-1".to_vec() }
}

fn client_data(kind: &str, challenge: &str) -> Vec<u8> {
    format!("{{\"type\":\"{kind}\",\"challenge\":\"{challenge}\",\"origin\":\"{ORIGIN}\"}}").into_bytes()
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// The value of the `data-NAME` attribute in `html`.
fn data(html: &str, name: &str) -> String {
    let marker = format!("data-{name}=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("no data-{name} in {html}"));
    html[start..].split('"').next().unwrap_or_default().to_string()
}

impl Authenticator {
    fn auth_data(&self, flags: u8, count: u32, attested: bool) -> Vec<u8> {
        let mut d = Sha256::digest(RP_ID.as_bytes()).to_vec();
        d.push(flags);
        d.extend(count.to_be_bytes());
        if attested {
            let p = self.key.public_key().as_ref();
            d.extend([0u8; 16]);
            d.extend((self.id.len() as u16).to_be_bytes());
            d.extend(&self.id);
            // COSE: {1: 2, 3: -7, -1: 1, -2: x, -3: y}
            d.extend([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
            d.extend(&p[1..33]);
            d.extend([0x22, 0x58, 0x20]);
            d.extend(&p[33..65]);
        }
        d
    }

    /// The form fields of a registration for `challenge`.
    fn register(&self, challenge: &str) -> String {
        let ad = self.auth_data(0x45, 0, true);
        let mut att = vec![0xa3, 0x63];
        att.extend(b"fmt");
        att.push(0x64);
        att.extend(b"none");
        att.push(0x67);
        att.extend(b"attStmt");
        att.push(0xa0);
        att.push(0x68);
        att.extend(b"authData");
        att.push(0x59);
        att.extend((ad.len() as u16).to_be_bytes());
        att.extend(ad);
        format!(
            "credential_id={}&client_data={}&attestation_object={}",
            b64(&self.id),
            b64(&client_data("webauthn.create", challenge)),
            b64(&att)
        )
    }

    /// The form fields of an assertion for `challenge` with counter `count`.
    fn assert(&self, challenge: &str, count: u32) -> String {
        self.assert_flags(challenge, count, 0x05)
    }

    fn assert_flags(&self, challenge: &str, count: u32, flags: u8) -> String {
        let ad = self.auth_data(flags, count, false);
        let cd = client_data("webauthn.get", challenge);
        let mut msg = ad.clone();
        msg.extend(Sha256::digest(&cd));
        let sig = self.key.sign(&self.rng, &msg).unwrap_or_else(|e| panic!("{e}"));
        format!(
            "credential_id={}&client_data={}&authenticator_data={}&signature={}",
            b64(&self.id),
            b64(&cd),
            b64(&ad),
            b64(sig.as_ref())
        )
    }
}

async fn account(fx: &Fx, pair: &str) -> String {
    let r = call(fx, Method::GET, "/account/passkeys", &[("cookie", pair.as_bytes())], String::new()).await;
    assert_eq!(r.status(), StatusCode::OK);
    body_text(r).await
}

async fn post(fx: &Fx, path: &str, cookie: &str, form: String) -> Response<Body> {
    call(fx, Method::POST, path, &[("cookie", cookie.as_bytes()), ("content-type", CT)], form).await
}

/// Registers `a` for alice through the account page of the session `pair`.
async fn register(fx: &Fx, pair: &str, a: &Authenticator) -> Response<Body> {
    let html = account(fx, pair).await;
    let (token, challenge) = (hidden(&html, "csrf"), data(&html, "challenge"));
    let form =
        format!("csrf={}&action=register&name=laptop&challenge={challenge}&{}", enc(&token), a.register(&challenge));
    post(fx, "/account/passkeys", pair, form).await
}

/// Password for alice: the pre-login cookie and the passkey page.
async fn password(fx: &Fx) -> (String, String) {
    let (pre, token) = login_form(fx).await;
    let r = post_login(fx, &pre, &format!("username=alice&password=pw-alice&csrf={}", enc(&token))).await;
    assert_eq!(r.status(), StatusCode::OK, "the passkey page, not a session");
    assert!(cookie_pair(&r, "wicket_session").is_none());
    (pre, body_text(r).await)
}

fn assertion_form(html: &str, challenge: &str, fields: &str) -> String {
    format!(
        "csrf={}&pending={}&challenge={challenge}&{fields}",
        enc(&hidden(html, "csrf")),
        enc(&hidden(html, "pending"))
    )
}

#[tokio::test]
async fn register_then_sign_in_with_password_and_passkey_each_challenge_once() {
    let fx = passkey_portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    let a = authenticator();
    let r = register(&fx, &pair, &a).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body_text(r).await.contains("The passkey &#39;laptop&#39; was added."));

    // A forged origin at registration is refused.
    let html = account(&fx, &pair).await;
    let (token, challenge) = (hidden(&html, "csrf"), data(&html, "challenge"));
    let forged = a.register(&challenge).replace(
        &b64(&client_data("webauthn.create", &challenge)),
        &b64(format!(
            "{{\"type\":\"webauthn.create\",\"challenge\":\"{challenge}\",\"origin\":\"http://evil.example\"}}"
        )
        .as_bytes()),
    );
    let r = post(
        &fx,
        "/account/passkeys",
        &pair,
        format!("csrf={}&action=register&name=x&challenge={challenge}&{forged}", enc(&token)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Password, then the passkey: a session with two factors.
    let (pre, html) = password(&fx).await;
    assert!(html.contains("Use a passkey"));
    let challenge = data(&html, "challenge");
    let form = assertion_form(&html, &challenge, &a.assert(&challenge, 1));
    let r = post(&fx, "/login/passkey", &pre, form.clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body_text(r).await);
    let session = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("a session"));
    let admin: [(&str, &[u8]); 4] = [
        ("cookie", session.as_bytes()),
        ("x-forwarded-proto", b"https"),
        ("x-forwarded-host", b"app.example.org"),
        ("x-original-uri", b"/admin/x"),
    ];
    assert_eq!(get(&fx, "/auth", &admin).await.status(), StatusCode::OK, "two factors");

    // The same challenge again (even with a higher counter) is refused: single use.
    let replay = assertion_form(&html, &challenge, &a.assert(&challenge, 2));
    let r = post(&fx, "/login/passkey", &pre, replay).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_pair(&r, "wicket_session").is_none());
    assert!(body_text(r).await.contains("expired"));

    // A fresh challenge with a counter that did not move forward: refused (clone warning).
    let (pre, html) = password(&fx).await;
    let challenge = data(&html, "challenge");
    let r = post(&fx, "/login/passkey", &pre, assertion_form(&html, &challenge, &a.assert(&challenge, 1))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_pair(&r, "wicket_session").is_none());
    // Another browser's pre-login cookie cannot use this page's challenge.
    let (other_pre, _) = login_form(&fx).await;
    let (_, html) = password(&fx).await;
    let challenge = data(&html, "challenge");
    let r = post(&fx, "/login/passkey", &other_pre, assertion_form(&html, &challenge, &a.assert(&challenge, 5))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn removal_needs_a_two_factor_or_fresh_session() {
    let fx = passkey_portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    let a = authenticator();
    assert_eq!(register(&fx, &pair, &a).await.status(), StatusCode::OK);
    fx.clock.advance(600);
    let html = account(&fx, &pair).await;
    let form = format!("csrf={}&action=remove&name=laptop", enc(&hidden(&html, "csrf")));
    let r = post(&fx, "/account/passkeys", &pair, form.clone()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a one-factor session ten minutes old");
    assert!(body_text(r).await.contains("sign in again"));
    // Without the token: refused too.
    let r = post(&fx, "/account/passkeys", &pair, "action=remove&name=laptop".into()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(account(&fx, &pair).await.contains("laptop"));
    // A fresh sign-in (password + passkey) may.
    let (pre, html) = password(&fx).await;
    let challenge = data(&html, "challenge");
    let r = post(&fx, "/login/passkey", &pre, assertion_form(&html, &challenge, &a.assert(&challenge, 1))).await;
    let strong = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("a session"));
    let html = account(&fx, &strong).await;
    let form = format!("csrf={}&action=remove&name=laptop", enc(&hidden(&html, "csrf")));
    let r = post(&fx, "/account/passkeys", &strong, form).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!account(&fx, &strong).await.contains("class=\"passkey-name\""));
}

#[tokio::test]
async fn with_totp_too_the_code_is_offered_beside_the_passkey() {
    use super::totp::{code_now, enrol_alice, two_factor_portal};
    let t = two_factor_portal(true);
    let (pair, _, _) = sign_in(&t.fx, "").await;
    assert_eq!(register(&t.fx, &pair, &authenticator()).await.status(), StatusCode::OK);
    let (secret, _) = enrol_alice(&t.fx);
    let (pre, html) = password(&t.fx).await;
    assert!(html.contains("Use a passkey") && html.contains("action=\"/login/code\""), "{html}");
    let form = format!(
        "csrf={}&pending={}&code={}",
        enc(&hidden(&html, "csrf")),
        enc(&hidden(&html, "pending")),
        code_now(&t.fx, &secret)
    );
    let r = post(&t.fx, "/login/code", &pre, form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(cookie_pair(&r, "wicket_session").is_some(), "the code alone signs in too");
}

#[tokio::test]
async fn passwordless_sign_in_needs_user_verification_and_the_setting() {
    let fx = fixture_with(&format!("{SESSION}inactivity = \"1h\"\nexpiry = \"2h\"\n[webauthn]\npasswordless = true\n"));
    let (pair, _, _) = sign_in(&fx, "").await;
    let a = authenticator();
    assert_eq!(register(&fx, &pair, &a).await.status(), StatusCode::OK);
    let (pre, html) = login(&fx).await;
    assert!(html.contains("Sign in with a passkey") && html.contains("data-uv=\"required\""), "{html}");
    let challenge = data(&html, "challenge");
    let form =
        |html: &str, fields: String| format!("csrf={}&challenge={challenge}&{fields}", enc(&hidden(html, "csrf")));
    // Without the UV flag: refused.
    let r = post(&fx, "/login/passkey-only", &pre, form(&html, a.assert_flags(&challenge, 1, 0x01))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_pair(&r, "wicket_session").is_none());
    // With it, on a fresh page: a two-factor session.
    let (pre, html) = login(&fx).await;
    let challenge = data(&html, "challenge");
    let fields = a.assert(&challenge, 1);
    let r = post(
        &fx,
        "/login/passkey-only",
        &pre,
        format!("csrf={}&challenge={challenge}&{fields}", enc(&hidden(&html, "csrf"))),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("a session"));
    let admin: [(&str, &[u8]); 4] = [
        ("cookie", session.as_bytes()),
        ("x-forwarded-proto", b"https"),
        ("x-forwarded-host", b"app.example.org"),
        ("x-original-uri", b"/docs"),
    ];
    assert_eq!(get(&fx, "/auth", &admin).await.status(), StatusCode::OK);
    // Without the setting the button is not there and the path refuses.
    let off = passkey_portal();
    let r = call(&off, Method::GET, "/login/passkey-only", &[], String::new()).await;
    assert_eq!((r.status(), header(&r, "allow")), (StatusCode::METHOD_NOT_ALLOWED, "GET, HEAD, POST".to_string()));
    let r = call(&off, Method::GET, "/passkey.js", &[], String::new()).await;
    assert!(header(&r, "content-type").starts_with("text/javascript"));
    let (pre, html) = login(&off).await;
    assert!(!html.contains("Sign in with a passkey"));
    let r = post(&off, "/login/passkey-only", &pre, format!("csrf={}&challenge=x", enc(&hidden(&html, "csrf")))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// GET /login: the pre-login cookie pair and the page.
async fn login(fx: &Fx) -> (String, String) {
    let r = call(fx, Method::GET, "/login", &[], String::new()).await;
    let pre = cookie_pair(&r, "wicket_csrf").unwrap_or_else(|| panic!("pre-login cookie"));
    (pre, body_text(r).await)
}

#[tokio::test]
async fn refused_passkeys_are_throttled_like_codes() {
    let fx = passkey_portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    let a = authenticator();
    assert_eq!(register(&fx, &pair, &a).await.status(), StatusCode::OK);
    // Another key under the same credential id: every signature is wrong.
    let forger = Authenticator { id: a.id.clone(), ..authenticator() };
    let forged = |html: &str, n: u32| {
        let challenge = data(html, "challenge");
        assertion_form(html, &challenge, &forger.assert(&challenge, n))
    };
    for n in 1..=4 {
        let (pre, html) = password(&fx).await;
        let r = post(&fx, "/login/passkey", &pre, forged(&html, n)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    // Two pages open; the fifth refusal on one locks the other out.
    let (pre, html) = password(&fx).await;
    let (pre2, html2) = password(&fx).await;
    assert_eq!(post(&fx, "/login/passkey", &pre, forged(&html, 5)).await.status(), StatusCode::UNAUTHORIZED);
    let challenge = data(&html2, "challenge");
    let r = post(&fx, "/login/passkey", &pre2, assertion_form(&html2, &challenge, &a.assert(&challenge, 1))).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(cookie_pair(&r, "wicket_session").is_none());
    assert!(body_text(r).await.contains("Too many attempts"));
    // Like wrong codes, they lock the account's password too.
    let (pre, token) = login_form(&fx).await;
    let r = post_login(&fx, &pre, &format!("username=alice&password=pw-alice&csrf={}", enc(&token))).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // After the lockout it signs in.
    fx.clock.advance(3600);
    let (pre, html) = password(&fx).await;
    let challenge = data(&html, "challenge");
    let r = post(&fx, "/login/passkey", &pre, assertion_form(&html, &challenge, &a.assert(&challenge, 1))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn refused_passwordless_passkeys_are_throttled() {
    let fx = fixture_with(&format!("{SESSION}inactivity = \"1h\"\nexpiry = \"2h\"\n[webauthn]\npasswordless = true\n"));
    let (pair, _, _) = sign_in(&fx, "").await;
    let a = authenticator();
    assert_eq!(register(&fx, &pair, &a).await.status(), StatusCode::OK);
    let forger = Authenticator { id: a.id.clone(), ..authenticator() };
    let attempt = |html: &str, who: &Authenticator, n: u32| {
        let challenge = data(html, "challenge");
        format!("csrf={}&challenge={challenge}&{}", enc(&hidden(html, "csrf")), who.assert(&challenge, n))
    };
    for n in 1..=5 {
        let (pre, html) = login(&fx).await;
        let r = post(&fx, "/login/passkey-only", &pre, attempt(&html, &forger, n)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let (pre, html) = login(&fx).await;
    let r = post(&fx, "/login/passkey-only", &pre, attempt(&html, &a, 1)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(cookie_pair(&r, "wicket_session").is_none());
    fx.clock.advance(3600);
    let (pre, html) = login(&fx).await;
    let r = post(&fx, "/login/passkey-only", &pre, attempt(&html, &a, 2)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
