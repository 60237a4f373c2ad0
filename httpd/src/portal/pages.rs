//! The portal's HTML pages, rendered on the server: sign-in, signed-in, sign-out confirm,
//! password change and error.
//!
//! The pages work without JavaScript and load nothing from elsewhere: the one stylesheet is
//! [`CSS`], served at [`CSS_PATH`] from the portal's own origin, and there is no inline
//! script, `style` attribute or event handler, so the strict [`security_headers`] policy
//! holds. Every piece of text and every attribute value goes through [`escape`]; the page
//! functions take plain values and never HTML.
//!
//! Accessibility: each input has a `<label>`, the error area is `role="alert"` (announced
//! when the page comes back with an error), the natural tab order is the visual order, the
//! focus outline is always visible, and `meta viewport` plus a fluid card make it usable on
//! a phone.

use super::redirect::RedirectPolicy;

/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/portal.css";
/// Sign-in form target (and page).
pub const LOGIN_PATH: &str = "/login";
/// Sign-out form target (a GET shows the confirm page).
pub const LOGOUT_PATH: &str = "/logout";
/// Password change form target (and page).
pub const PASSWORD_PATH: &str = "/account/password";
/// The signed-in page.
pub const HOME_PATH: &str = "/";

/// Form field names, shared with the handler that reads the POST.
pub mod field {
    /// The user name.
    pub const USERNAME: &str = "username";
    /// The password on the sign-in form.
    pub const PASSWORD: &str = "password";
    /// The "remember me" checkbox (`on` when ticked).
    pub const REMEMBER_ME: &str = "remember_me";
    /// The redirect target, carried through the form.
    pub const RD: &str = "rd";
    /// The CSRF token.
    pub const CSRF: &str = "csrf";
    /// The current password on the change form.
    pub const OLD_PASSWORD: &str = "old_password";
    /// The new password on the change form.
    pub const NEW_PASSWORD: &str = "new_password";
    /// The new password again.
    pub const NEW_PASSWORD_AGAIN: &str = "new_password_again";
}

/// The portal's stylesheet.
pub const CSS: &str = include_str!("portal.css");

/// `s` with `& < > " '` replaced by entities: safe as element text and inside a quoted
/// attribute value. The one escape function of the portal.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `Content-Security-Policy` of every portal page. `form-action` also lists the origins
/// `rd` may lead to: browsers apply `form-action` to the redirects that follow a form POST,
/// so with `'self'` alone the redirect after sign-in to another host would be blocked
/// (Chromium does; checked in tests/browser).
pub fn content_security_policy(redirect: &RedirectPolicy) -> String {
    let mut form_action = String::from("'self'");
    for source in redirect.csp_sources() {
        form_action.push(' ');
        form_action.push_str(&source);
    }
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The headers every portal page is sent with (besides `Content-Type`, [`HTML_CONTENT_TYPE`]).
pub fn security_headers(redirect: &RedirectPolicy) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Security-Policy", content_security_policy(redirect)),
        ("Referrer-Policy", "no-referrer".into()),
        ("X-Content-Type-Options", "nosniff".into()),
        ("Cache-Control", "no-store".into()),
    ]
}

/// `Content-Type` of the pages.
pub const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// The headers of the stylesheet response: it is the same for everyone and may be cached.
pub fn css_headers() -> [(&'static str, &'static str); 3] {
    [
        ("Content-Type", "text/css; charset=utf-8"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "public, max-age=3600"),
    ]
}

/// What every page shows at the top, from `[session]`.
#[derive(Debug, Clone, Copy)]
pub struct Branding<'a> {
    /// The site's name (`title`).
    pub title: &'a str,
    /// A logo URL on the portal's origin or a `data:image/` URL (`logo`).
    pub logo: Option<&'a str>,
}

/// The sign-in page.
#[derive(Debug, Clone, Copy)]
pub struct LoginPage<'a> {
    /// What went wrong on the last attempt, shown in the alert area (never says whether the
    /// user exists).
    pub error: Option<&'a str>,
    /// The user name typed last time, kept after a failure.
    pub username: &'a str,
    /// The checked redirect target to carry through the form; empty = none.
    pub rd: &'a str,
    /// The CSRF token bound to the pre-login cookie.
    pub csrf: &'a str,
    /// Whether "remember me" is offered (`remember_me` > 0).
    pub remember_me: bool,
}

/// The signed-in page.
#[derive(Debug, Clone, Copy)]
pub struct SignedInPage<'a> {
    /// The canonical user name.
    pub user: &'a str,
    /// A display name, when the backend has one.
    pub display_name: Option<&'a str>,
    /// The user's groups.
    pub groups: &'a [String],
    /// The CSRF token for the sign-out form.
    pub csrf: &'a str,
    /// Whether the password can be changed here (local users).
    pub can_change_password: bool,
}

/// The sign-out confirm page (`GET /logout`).
#[derive(Debug, Clone, Copy)]
pub struct LogoutPage<'a> {
    /// The signed-in user.
    pub user: &'a str,
    /// The CSRF token for the sign-out form.
    pub csrf: &'a str,
    /// The checked redirect target after sign-out; empty = none.
    pub rd: &'a str,
}

/// The password change page.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPage<'a> {
    /// The signed-in user (for password managers and for the reader).
    pub user: &'a str,
    /// Why the last attempt failed.
    pub error: Option<&'a str>,
    /// Whether the password was just changed.
    pub done: bool,
    /// The CSRF token for the form.
    pub csrf: &'a str,
}

/// The sign-in page.
pub fn login(brand: &Branding<'_>, page: &LoginPage<'_>) -> String {
    let mut body = String::new();
    body.push_str(&alert(page.error));
    body.push_str(&format!("<form method=\"post\" action=\"{LOGIN_PATH}\">\n"));
    body.push_str(&hidden(field::CSRF, page.csrf));
    if !page.rd.is_empty() {
        body.push_str(&hidden(field::RD, page.rd));
    }
    // The cursor starts where typing is needed: the password when the name is kept.
    let (name_focus, password_focus) = if page.username.is_empty() { (" autofocus", "") } else { ("", " autofocus") };
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"username\">Username</label>\n\
         <input id=\"username\" name=\"{}\" type=\"text\" autocomplete=\"username\" autocapitalize=\"none\" \
         spellcheck=\"false\" required{name_focus} value=\"{}\">\n</div>\n",
        field::USERNAME,
        escape(page.username),
    ));
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"password\">Password</label>\n\
         <input id=\"password\" name=\"{}\" type=\"password\" autocomplete=\"current-password\" required{password_focus}>\n</div>\n",
        field::PASSWORD,
    ));
    if page.remember_me {
        body.push_str(&format!(
            "<div class=\"check\">\n<input id=\"remember_me\" name=\"{}\" type=\"checkbox\" value=\"on\">\n\
             <label for=\"remember_me\">Remember me</label>\n</div>\n",
            field::REMEMBER_ME,
        ));
    }
    body.push_str("<button type=\"submit\">Sign in</button>\n</form>\n");
    document(brand, "Sign in", Some("Sign in to continue."), &body)
}

/// The signed-in page.
pub fn signed_in(brand: &Branding<'_>, page: &SignedInPage<'_>) -> String {
    let shown = page.display_name.filter(|d| !d.trim().is_empty()).unwrap_or(page.user);
    let initial = shown.chars().next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    let mut body = format!(
        "<div class=\"who\">\n<div class=\"avatar\" aria-hidden=\"true\">{}</div>\n<div>\n<p class=\"name\">{}</p>\n",
        escape(&initial),
        escape(shown),
    );
    if page.display_name.is_some_and(|d| d != page.user) {
        body.push_str(&format!("<p class=\"user\">{}</p>\n", escape(page.user)));
    }
    body.push_str(
        "</div>\n</div>\n<section class=\"groups\" aria-labelledby=\"groups\">\n<h2 id=\"groups\">Groups</h2>\n",
    );
    if page.groups.is_empty() {
        body.push_str("<p class=\"none\">No groups.</p>\n");
    } else {
        body.push_str("<ul>\n");
        for g in page.groups {
            body.push_str(&format!("<li>{}</li>\n", escape(g)));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</section>\n<div class=\"actions\">\n");
    body.push_str(&format!("<form method=\"post\" action=\"{LOGOUT_PATH}\">\n"));
    body.push_str(&hidden(field::CSRF, page.csrf));
    body.push_str("<button type=\"submit\">Sign out</button>\n</form>\n</div>\n");
    if page.can_change_password {
        body.push_str(&format!("<p class=\"links\"><a href=\"{PASSWORD_PATH}\">Change password</a></p>\n"));
    }
    document(brand, "You are signed in", None, &body)
}

/// The sign-out confirm page.
pub fn logout_confirm(brand: &Branding<'_>, page: &LogoutPage<'_>) -> String {
    let mut body = format!("<form method=\"post\" action=\"{LOGOUT_PATH}\">\n");
    body.push_str(&hidden(field::CSRF, page.csrf));
    if !page.rd.is_empty() {
        body.push_str(&hidden(field::RD, page.rd));
    }
    body.push_str(&format!(
        "<div class=\"actions\">\n<a class=\"button secondary\" href=\"{HOME_PATH}\">Cancel</a>\n\
         <button type=\"submit\" autofocus>Sign out</button>\n</div>\n</form>\n"
    ));
    let lead = format!("You are signed in as {}.", page.user);
    document(brand, "Sign out?", Some(&lead), &body)
}

/// The password change page.
pub fn password_change(brand: &Branding<'_>, page: &PasswordPage<'_>) -> String {
    let mut body = alert(page.error);
    body.push_str(&format!(
        "<div class=\"notice\" role=\"status\">{}</div>\n",
        if page.done { "Your password was changed. Your other sessions were signed out." } else { "" }
    ));
    body.push_str(&format!("<form method=\"post\" action=\"{PASSWORD_PATH}\">\n"));
    body.push_str(&hidden(field::CSRF, page.csrf));
    // For password managers: which account this new password belongs to.
    body.push_str(&format!(
        "<input name=\"{}\" type=\"text\" autocomplete=\"username\" value=\"{}\" hidden readonly>\n",
        field::USERNAME,
        escape(page.user)
    ));
    for (id, label, autocomplete, hint) in [
        (field::OLD_PASSWORD, "Current password", "current-password", None),
        (field::NEW_PASSWORD, "New password", "new-password", Some("A long passphrase you use nowhere else.")),
        (field::NEW_PASSWORD_AGAIN, "New password again", "new-password", None),
    ] {
        let described = hint.map(|_| format!(" aria-describedby=\"{id}_hint\"")).unwrap_or_default();
        body.push_str(&format!(
            "<div class=\"field\">\n<label for=\"{id}\">{label}</label>\n\
             <input id=\"{id}\" name=\"{id}\" type=\"password\" autocomplete=\"{autocomplete}\" required{described}>\n"
        ));
        if let Some(hint) = hint {
            body.push_str(&format!("<p class=\"hint\" id=\"{id}_hint\">{hint}</p>\n"));
        }
        body.push_str("</div>\n");
    }
    body.push_str("<button type=\"submit\">Change password</button>\n</form>\n");
    body.push_str(&format!("<p class=\"links\"><a href=\"{HOME_PATH}\">Back</a></p>\n"));
    let lead = format!("Signed in as {}.", page.user);
    document(brand, "Change password", Some(&lead), &body)
}

/// A small error page: a heading, one sentence and a way back.
pub fn error_page(brand: &Branding<'_>, heading: &str, message: &str) -> String {
    let mut body = alert(Some(message));
    body.push_str(&format!("<a class=\"button secondary\" href=\"{LOGIN_PATH}\">Back to sign-in</a>\n"));
    document(brand, heading, None, &body)
}

/// The alert area: always present (empty and hidden by CSS when there is nothing to say).
fn alert(message: Option<&str>) -> String {
    format!("<div class=\"alert\" role=\"alert\">{}</div>\n", escape(message.unwrap_or("")))
}

fn hidden(name: &str, value: &str) -> String {
    format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">\n", escape(name), escape(value))
}

/// The page around `body` (already HTML). `heading` and `lead` are text.
fn document(brand: &Branding<'_>, heading: &str, lead: Option<&str>, body: &str) -> String {
    let logo = brand.logo.map(|src| format!("<img src=\"{}\" alt=\"\">\n", escape(src))).unwrap_or_default();
    let lead = lead.map(|l| format!("<p class=\"lead\">{}</p>\n", escape(l))).unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{heading} · {title}</title>\n\
         <link rel=\"stylesheet\" href=\"{CSS_PATH}\">\n</head>\n<body>\n<main>\n<div class=\"card\">\n\
         <header class=\"brand\">\n{logo}<p class=\"site\">{title}</p>\n<h1>{heading}</h1>\n{lead}</header>\n\
         {body}</div>\n</main>\n</body>\n</html>\n",
        heading = escape(heading),
        title = escape(brand.title),
    )
}

#[cfg(test)]
mod tests {
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
        assert!(
            html.contains("<title>Oops &lt;i&gt; · &lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;</title>"),
            "{html}"
        );
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
                "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
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
            (
                "login.html",
                login(&brand, &LoginPage { error: None, username: "", rd: "", csrf: "T", remember_me: true }),
            ),
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
        ];
        // The headers wicketd sends with each page, for the screenshot server to send too.
        let policy = crate::portal::redirect::RedirectPolicy::new(Some("example.org"), &[]);
        let headers: serde_json::Map<String, serde_json::Value> =
            security_headers(&policy).into_iter().map(|(k, v)| (k.to_string(), v.into())).collect();
        let headers = ("headers.json", serde_json::Value::Object(headers).to_string());
        for (name, text) in pages.into_iter().chain([headers]) {
            std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
