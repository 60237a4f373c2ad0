//! The sign-in portal and the session cookie at the access check, in-process.

use super::*;
use crate::portal::cookie::Cookies;

const SESSION: &str = "[session]\nsecure = false\ndomain = \"example.org\"\nportal_url = \"http://auth.example.org\"\n";

fn portal() -> Fx {
    fixture_with(SESSION)
}

fn send(fx: &Fx, method: Method, path: &str, headers: &[(&str, &[u8])], body: String) -> Request<String> {
    let _ = fx;
    let mut b = Request::builder().method(method).uri(path).header("host", "auth.example.org");
    for (k, v) in headers {
        b = b.header(*k, HeaderValue::from_bytes(v).unwrap_or_else(|e| panic!("{e}")));
    }
    b.body(body).unwrap_or_else(|e| panic!("{e}"))
}

async fn call(fx: &Fx, method: Method, path: &str, headers: &[(&str, &[u8])], body: String) -> Response<Body> {
    handle(fx.app.clone(), peer(), send(fx, method, path, headers, body)).await
}

async fn body_text(r: Response<Body>) -> String {
    use http_body_util::BodyExt;
    let bytes = r.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn set_cookies(r: &Response<Body>) -> Vec<String> {
    r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
}

/// `name=value` of the cookie `name` set by `r`.
fn cookie_pair(r: &Response<Body>, name: &str) -> Option<String> {
    set_cookies(r)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or("").to_string())
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("no {name} in {html}"));
    html[start..].split('"').next().unwrap_or_default().to_string()
}

fn enc(s: &str) -> String {
    crate::portal::form::url_encode(s)
}

/// GET /login: the pre-login cookie pair and the form's token.
async fn login_form(fx: &Fx) -> (String, String) {
    let r = call(fx, Method::GET, "/login", &[], String::new()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let pre = cookie_pair(&r, "wicket_csrf").unwrap_or_else(|| panic!("pre-login cookie"));
    (pre, hidden(&body_text(r).await, "csrf"))
}

async fn post_login(fx: &Fx, cookie: &str, form: &str) -> Response<Body> {
    let ct: &[u8] = b"application/x-www-form-urlencoded";
    call(fx, Method::POST, "/login", &[("cookie", cookie.as_bytes()), ("content-type", ct)], form.to_string()).await
}

/// Signs alice in; the session cookie pair and the full `Set-Cookie`.
async fn sign_in(fx: &Fx, extra: &str) -> (String, String, Response<Body>) {
    let (pre, token) = login_form(fx).await;
    let form = format!("username=alice&password=pw-alice&csrf={}{extra}", enc(&token));
    let r = post_login(fx, &pre, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.headers());
    let pair = cookie_pair(&r, "wicket_session").unwrap_or_else(|| panic!("session cookie"));
    let full = set_cookies(&r).into_iter().find(|c| c.starts_with("wicket_session=")).unwrap_or_default();
    (pair, full, r)
}

async fn auth_with_cookie(fx: &Fx, path: &str, cookie: &str) -> Response<Body> {
    let h: [(&str, &[u8]); 4] = [
        ("cookie", cookie.as_bytes()),
        ("x-forwarded-proto", b"https"),
        ("x-forwarded-host", b"app.example.org"),
        ("x-original-uri", b"/docs/a b?x=1"),
    ];
    get(fx, path, &h).await
}

#[tokio::test]
async fn without_a_session_section_nothing_changes() {
    let fx = fixture();
    for path in ["/login", "/logout", "/", "/account", "/portal.css"] {
        assert_eq!(get(&fx, path, &[("host", b"w")]).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = auth_with_cookie(&fx, "/auth", "wicket_session=abc").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn the_login_page_sets_a_prelogin_cookie_and_security_headers() {
    let fx = portal();
    let r = call(&fx, Method::GET, "/login?rd=https%3A%2F%2Fapp.example.org%2F", &[], String::new()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, "content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(header(&r, "cache-control"), "no-store");
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    let pre = set_cookies(&r).into_iter().find(|c| c.starts_with("wicket_csrf=")).unwrap_or_default();
    assert!(pre.contains("HttpOnly") && !pre.contains("Max-Age"), "{pre}");
    let html = body_text(r).await;
    assert_eq!(hidden(&html, "rd"), "https://app.example.org/");
    assert_eq!(call(&fx, Method::GET, "/portal.css", &[], String::new()).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn signing_in_sets_a_session_cookie_that_opens_the_access_check() {
    let fx = portal();
    let (pre, token) = login_form(&fx).await;
    let rd = "https://app.example.org/docs/?x=1";
    let form = format!("username=alice&password=pw-alice&csrf={}&rd={}", enc(&token), enc(rd));
    let r = post_login(&fx, &pre, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&r, "location"), rd);
    let full = set_cookies(&r).into_iter().find(|c| c.starts_with("wicket_session=")).unwrap_or_default();
    assert!(
        full.contains("HttpOnly") && full.contains("Domain=example.org") && full.contains("SameSite=Lax"),
        "{full}"
    );
    assert!(!full.contains("Max-Age"), "no box: a browser-session cookie: {full}");
    let pair = cookie_pair(&r, "wicket_session").unwrap_or_default();
    let ok = auth_with_cookie(&fx, "/auth", &pair).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(header(&ok, "remote-user"), "alice");
    assert_eq!(header(&ok, "remote-groups"), "admins");
    // The signed-in page.
    let home = call(&fx, Method::GET, "/", &[("cookie", pair.as_bytes())], String::new()).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(body_text(home).await.contains("admins"));
}

#[tokio::test]
async fn remember_me_makes_a_persistent_cookie() {
    let fx = portal();
    let (_, full, _) = sign_in(&fx, "&remember_me=on").await;
    assert!(full.contains(&format!("Max-Age={}", 30 * 86_400)), "{full}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let fx = portal();
    let mut answers = Vec::new();
    for user in ["alice", "nobody"] {
        let (pre, token) = login_form(&fx).await;
        let r = post_login(&fx, &pre, &format!("username={user}&password=wrong&csrf={}", enc(&token))).await;
        assert!(cookie_pair(&r, "wicket_session").is_none());
        let status = r.status();
        let html = body_text(r).await;
        assert!(html.contains("The username or password is incorrect."), "{html}");
        answers.push((
            status,
            html.replace(&format!("value=\"{user}\""), "value=\"\"").split("name=\"csrf\"").next().map(str::to_string),
        ));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_open_redirect_rd_lands_on_the_portal() {
    let fx = portal();
    for rd in [
        "https://evil.example/",
        "//evil.example",
        "https:evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "https://app.example.org@evil.example/",
        "https://app.example.org.evil.example/",
    ] {
        let (_, _, r) = sign_in(&fx, &format!("&rd={}", enc(rd))).await;
        assert_eq!(header(&r, "location"), "/", "{rd}");
    }
}

#[tokio::test]
async fn a_login_post_without_the_csrf_token_is_refused() {
    let fx = portal();
    let (pre, token) = login_form(&fx).await;
    for (cookie, form) in [
        (pre.clone(), "username=alice&password=pw-alice".to_string()),
        (String::new(), format!("username=alice&password=pw-alice&csrf={}", enc(&token))),
        (
            "wicket_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string(),
            format!("username=alice&password=pw-alice&csrf={}", enc(&token)),
        ),
    ] {
        let r = post_login(&fx, &cookie, &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{cookie} {form}");
        assert!(cookie_pair(&r, "wicket_session").is_none());
    }
}

#[tokio::test]
async fn a_session_cookie_presented_before_login_is_not_adopted() {
    let fx = portal();
    let planted = "wicket_session=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";
    let (pre, token) = login_form(&fx).await;
    let cookies = format!("{pre}; {planted}");
    let r = post_login(&fx, &cookies, &format!("username=alice&password=pw-alice&csrf={}", enc(&token))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let issued = cookie_pair(&r, "wicket_session").unwrap_or_default();
    assert_ne!(issued, planted);
    assert_eq!(auth_with_cookie(&fx, "/auth", planted).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(auth_with_cookie(&fx, "/auth", &issued).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn tampered_and_expired_cookies_are_sent_to_the_portal() {
    let fx = portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    let mut tampered = pair.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap_or_default();
    let r = auth_with_cookie(&fx, "/auth", &tampered).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&r, "location"),
        format!("http://auth.example.org/login?rd={}", enc("https://app.example.org/docs/a b?x=1"))
    );
    assert_eq!(auth_with_cookie(&fx, "/auth", &pair).await.status(), StatusCode::OK);
    fx.clock.advance(3600);
    let r = auth_with_cookie(&fx, "/auth", &pair).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(header(&r, "location").starts_with("http://auth.example.org/login?rd="));
}

#[tokio::test]
async fn forward_auth_redirects_browsers_and_challenges_scripts() {
    let fx = portal();
    let browser: [(&str, &[u8]); 3] = [
        ("accept", b"text/html,application/xhtml+xml"),
        ("x-forwarded-host", b"app.example.org"),
        ("x-forwarded-uri", b"/"),
    ];
    let r = get(&fx, "/auth/forward", &browser).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert!(header(&r, "location").starts_with("http://auth.example.org/login?rd=https%3A%2F%2Fapp.example.org%2F"));
    let r = get(&fx, "/auth/forward", &browser[1..]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(!challenges(&r).is_empty());
    // Scripts with credentials: unchanged, no redirect.
    let wrong = basic("alice", "nope");
    let r = get(&fx, "/auth/forward", &[browser[0], ("authorization", &wrong)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("location").is_none());
    let right = basic("alice", "pw-alice");
    assert_eq!(get(&fx, "/auth", &[("authorization", &right)]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let fx = portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    let confirm = call(&fx, Method::GET, "/logout", &[("cookie", pair.as_bytes())], String::new()).await;
    assert_eq!(confirm.status(), StatusCode::OK);
    let token = hidden(&body_text(confirm).await, "csrf");
    // Without the token: refused, still signed in.
    let r = call(&fx, Method::POST, "/logout", &[("cookie", pair.as_bytes())], String::new()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(auth_with_cookie(&fx, "/auth", &pair).await.status(), StatusCode::OK);
    let r = call(&fx, Method::POST, "/logout", &[("cookie", pair.as_bytes())], format!("csrf={}", enc(&token))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(set_cookies(&r).iter().any(|c| c.starts_with("wicket_session=;") && c.contains("Max-Age=0")));
    assert_eq!(auth_with_cookie(&fx, "/auth", &pair).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn locking_the_account_ends_its_sessions_at_once() {
    let fx = portal();
    let (pair, _, _) = sign_in(&fx, "").await;
    assert_eq!(auth_with_cookie(&fx, "/auth", &pair).await.status(), StatusCode::OK);
    let mut store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    store.set_state("alice", AccountState::Locked, T0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(auth_with_cookie(&fx, "/auth", &pair).await.status(), StatusCode::UNAUTHORIZED);
    let _ = Cookies::default();
}

mod invite;
mod max_age;
mod oidc;
mod passkey;
mod password;
mod totp;
mod totp_account;
