use super::*;

const BRAND: Branding<'static> = Branding { title: "Example", logo: None };

fn login_page(error: Option<&str>, remember_me: bool) -> String {
    login(
        &BRAND,
        &LoginPage { error, username: "", rd: "https://app.example.org/x?a=1&b=2", csrf: "TOKEN", remember_me },
    )
}

/// No script, style element or attribute, event handler or outside reference.
fn assert_csp_clean(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in ["<script", "<style", "style=", "javascript:", "<iframe", "src=\"http", "href=\"http"] {
        assert!(!lower.contains(bad), "{bad} in {html}");
    }
    // An event handler is ` on…=` inside a tag.
    for (i, _) in lower.match_indices(" on") {
        let name: String = lower[i + 1..].chars().take_while(char::is_ascii_alphabetic).collect();
        assert!(!lower[i + 1 + name.len()..].starts_with('='), "handler {name} in {html}");
    }
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    assert!(html.contains(&format!("<link rel=\"stylesheet\" href=\"{CSS_PATH}\">")));
}

#[test]
fn escape_covers_the_five() {
    assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    assert_eq!(escape("plain é"), "plain é");
}

#[test]
fn login_form_has_the_named_fields() {
    let html = login_page(None, true);
    assert_csp_clean(&html);
    assert!(html.contains("<form method=\"post\" action=\"/login\">"), "{html}");
    assert!(html.contains("name=\"username\" type=\"text\" autocomplete=\"username\""), "{html}");
    assert!(html.contains("name=\"password\" type=\"password\" autocomplete=\"current-password\""), "{html}");
    assert!(html.contains("name=\"remember_me\" type=\"checkbox\""), "{html}");
    assert!(html.contains("<input type=\"hidden\" name=\"csrf\" value=\"TOKEN\">"), "{html}");
    assert!(
        html.contains("<input type=\"hidden\" name=\"rd\" value=\"https://app.example.org/x?a=1&amp;b=2\">"),
        "{html}"
    );
    assert!(html.contains("<label for=\"username\">") && html.contains("<label for=\"password\">"));
    assert!(html.contains("<div class=\"alert\" role=\"alert\"></div>"), "{html}");
    assert!(html.contains("required autofocus value=\"\">"), "an empty form starts at the name: {html}");
}

#[test]
fn login_without_remember_me_or_rd() {
    let html = login(&BRAND, &LoginPage { error: None, username: "", rd: "", csrf: "T", remember_me: false });
    assert!(!html.contains("remember_me"), "{html}");
    assert!(!html.contains("name=\"rd\""), "{html}");
}

#[test]
fn login_error_is_shown_and_escaped() {
    let html = login(
        &BRAND,
        &LoginPage {
            error: Some("Wrong <b>name</b> or password."),
            username: "\"><script>alert(1)</script>",
            rd: "",
            csrf: "T",
            remember_me: true,
        },
    );
    assert_csp_clean(&html);
    assert!(
        html.contains("<div class=\"alert\" role=\"alert\">Wrong &lt;b&gt;name&lt;/b&gt; or password.</div>"),
        "{html}"
    );
    assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""), "{html}");
    assert!(
        html.contains("autocomplete=\"current-password\" required autofocus>"),
        "a kept name sends the cursor to the password: {html}"
    );
}

#[test]
fn title_and_logo_are_escaped() {
    let brand = Branding { title: "<script>alert('t')</script>", logo: Some("/logo.svg\"onerror=\"x") };
    let html = error_page(&brand, "Oops <i>", "Something <script> went wrong");
    assert_csp_clean(&html);
    assert!(html.contains("<title>Oops &lt;i&gt; · &lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;</title>"), "{html}");
    assert!(html.contains("<img src=\"/logo.svg&quot;onerror=&quot;x\" alt=\"\">"), "{html}");
    assert!(html.contains("Something &lt;script&gt; went wrong"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
}

#[test]
fn signed_in_page_shows_user_groups_and_sign_out() {
    let groups = vec!["admins".to_string(), "<dev>".to_string()];
    let html = signed_in(
        &BRAND,
        &SignedInPage {
            user: "<script>alice</script>",
            display_name: None,
            groups: &groups,
            csrf: "LOGOUT",
            can_change_password: true,
        },
    );
    assert_csp_clean(&html);
    assert!(html.contains("<p class=\"name\">&lt;script&gt;alice&lt;/script&gt;</p>"), "{html}");
    assert!(html.contains("<li>admins</li>") && html.contains("<li>&lt;dev&gt;</li>"), "{html}");
    assert!(
        html.contains(
            "<form method=\"post\" action=\"/logout\">\n<input type=\"hidden\" name=\"csrf\" value=\"LOGOUT\">"
        ),
        "{html}"
    );
    assert!(html.contains("<a href=\"/account/password\">Change password</a>"), "{html}");
    assert!(!html.contains("<script>"), "{html}");

    let html = signed_in(
        &BRAND,
        &SignedInPage {
            user: "bob",
            display_name: Some("Bob Builder"),
            groups: &[],
            csrf: "L",
            can_change_password: false,
        },
    );
    assert!(
        html.contains("Bob Builder") && html.contains("<p class=\"user\">bob</p>") && html.contains("No groups."),
        "{html}"
    );
    assert!(!html.contains("/password"), "{html}");
}

#[test]
fn logout_confirm_is_a_post_form() {
    let html = logout_confirm(&BRAND, &LogoutPage { user: "a<b", csrf: "C", rd: "/x" });
    assert_csp_clean(&html);
    assert!(html.contains("<form method=\"post\" action=\"/logout\">"), "{html}");
    assert!(html.contains("name=\"csrf\" value=\"C\"") && html.contains("name=\"rd\" value=\"/x\""), "{html}");
    assert!(html.contains("You are signed in as a&lt;b."), "{html}");
}

#[test]
fn password_page_asks_old_and_new_twice() {
    let html = password_change(
        &BRAND,
        &PasswordPage { user: "alice", error: Some("The new passwords differ."), done: false, csrf: "P" },
    );
    assert_csp_clean(&html);
    assert!(html.contains("name=\"old_password\" type=\"password\" autocomplete=\"current-password\""), "{html}");
    assert!(html.contains("name=\"new_password\" type=\"password\" autocomplete=\"new-password\""), "{html}");
    assert!(html.contains("name=\"new_password_again\" type=\"password\" autocomplete=\"new-password\""), "{html}");
    assert!(html.contains("role=\"alert\">The new passwords differ.</div>"), "{html}");
    assert!(html.contains("<div class=\"notice\" role=\"status\"></div>"), "{html}");
    let done = password_change(&BRAND, &PasswordPage { user: "alice", error: None, done: true, csrf: "P" });
    assert!(done.contains("Your password was changed."), "{done}");
}

#[test]
fn headers_are_strict() {
    let h = security_headers(&RedirectPolicy::new(None, &[]));
    let get = |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
    assert_eq!(
        get("Content-Security-Policy"),
        Some(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
    );
    assert_eq!(get("Referrer-Policy"), Some("no-referrer"));
    assert_eq!(get("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(get("Cache-Control"), Some("no-store"));
}

#[test]
fn form_action_lists_the_redirect_origins() {
    let p = RedirectPolicy::new(Some("example.org"), &["wiki.partner.example".to_string()]);
    let csp = content_security_policy(&p);
    assert!(
        csp.contains(
            "form-action 'self' http://example.org:* https://example.org:* http://*.example.org:* https://*.example.org:* \
             http://wiki.partner.example:* https://wiki.partner.example:*;"
        ),
        "{csp}"
    );
}

#[test]
fn css_has_no_external_reference() {
    assert!(!CSS.contains("url(") && !CSS.contains("@import"), "the stylesheet must load nothing");
    assert!(CSS.contains(":focus-visible"));
}

/// Writes every page and the stylesheet into `$WICKET_PORTAL_SAMPLES` for
/// `tests/browser/screenshots.mjs`. Run with `--ignored`.
#[test]
#[ignore = "writes sample pages for screenshots"]
fn write_samples() {
    let Some(dir) = std::env::var_os("WICKET_PORTAL_SAMPLES") else { return };
    let dir = std::path::PathBuf::from(dir);
    let groups = vec!["admins".to_string(), "developers".to_string(), "vpn-users".to_string()];
    // A sample logo (a wicket: three stumps and a bail) as the data: URL a config may hold.
    let svg = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 48 48'>\
               <rect width='48' height='48' rx='12' fill='#1d4ed8'/><g fill='#fff'>\
               <rect x='12' y='11' width='24' height='4' rx='2'/><rect x='13' y='18' width='4' height='20' rx='2'/>\
               <rect x='22' y='18' width='4' height='20' rx='2'/><rect x='31' y='18' width='4' height='20' rx='2'/></g></svg>";
    use base64::Engine;
    let logo = format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg));
    let brand = Branding { title: "Example Corp", logo: Some(&logo) };
    let pages = [
        ("portal.css", CSS.to_string()),
        ("login.html", login(&brand, &LoginPage { error: None, username: "", rd: "", csrf: "T", remember_me: true })),
        (
            "login-error.html",
            login(
                &brand,
                &LoginPage {
                    error: Some("Wrong username or password."),
                    username: "alice",
                    rd: "",
                    csrf: "T",
                    remember_me: true,
                },
            ),
        ),
        (
            "signed-in.html",
            signed_in(
                &brand,
                &SignedInPage {
                    user: "alice",
                    display_name: Some("Alice Liddell"),
                    groups: &groups,
                    csrf: "T",
                    can_change_password: true,
                },
            ),
        ),
        ("logout.html", logout_confirm(&brand, &LogoutPage { user: "alice", csrf: "T", rd: "" })),
        (
            "password.html",
            password_change(&brand, &PasswordPage { user: "alice", error: None, done: false, csrf: "T" }),
        ),
        ("error.html", error_page(&brand, "Session expired", "Your session has ended. Please sign in again.")),
        (
            "invite.html",
            super::invite::choose_password(
                &brand,
                &super::invite::InvitePage { user: "carol", reset: false, error: None, csrf: "T" },
            ),
        ),
        ("invite-invalid.html", super::invite::invalid(&brand)),
    ];
    // The headers wicketd sends with each page, for the screenshot server to send too.
    let policy = crate::portal::redirect::RedirectPolicy::new(Some("example.org"), &[]);
    let headers: serde_json::Map<String, serde_json::Value> =
        security_headers(&policy).into_iter().map(|(k, v)| (k.to_string(), v.into())).collect();
    let headers = ("headers.json", serde_json::Value::Object(headers).to_string());
    let uri = "otpauth://totp/Example%20Corp:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example%20Corp";
    let qr = wicket_core::totp::qr::svg(uri).unwrap_or_else(|e| panic!("{e}"));
    let codes = [
        "k7xm-2pqr-9wdt",
        "b4nh-c8vz-3fyj",
        "r2tq-m6kx-p9wa",
        "h5dv-7jzn-c3eb",
        "w8fp-4gty-k2mr",
        "z3qa-n7bx-d5vh",
        "e9rk-2wfm-t6cy",
        "j4hx-p8nq-b3dz",
        "m6ty-c2va-k9fr",
        "q5bn-x7jw-h2pe",
    ];
    let totp_pages = [
        (
            "code.html",
            totp::code(
                &brand,
                &totp::CodePage {
                    action: totp::CODE_PATH,
                    error: None,
                    csrf: "T",
                    pending: "P",
                    rd: "",
                    user: "alice",
                },
            ),
        ),
        (
            "code-error.html",
            totp::code(
                &brand,
                &totp::CodePage {
                    action: totp::CODE_PATH,
                    error: Some("That code was already used. Wait for the next code and try again."),
                    csrf: "T",
                    pending: "P",
                    rd: "",
                    user: "alice",
                },
            ),
        ),
        (
            "two-factor-enrol.html",
            totp::enrol(
                &brand,
                &totp::EnrolPage {
                    qr_svg: &qr,
                    secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
                    error: None,
                    csrf: "T",
                    rd: "",
                },
            ),
        ),
        ("recovery-codes.html", totp::recovery_codes(&brand, &codes, totp::ACCOUNT_PATH)),
        (
            "two-factor-account.html",
            totp::account(
                &brand,
                &totp::AccountPage { enrolled: true, recovery_left: 9, error: None, notice: None, csrf: "T", rd: "" },
            ),
        ),
    ];
    for (name, text) in pages.into_iter().chain(totp_pages).chain([headers]) {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
