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
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
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
    login_with_providers(brand, page, &[])
}

/// Where a "Sign in with NAME" button leads (`?provider=NAME&rd=…`).
pub const OIDC_START_PATH: &str = "/oidc/start";

/// The sign-in form, followed by one "Sign in with NAME" button per `[[oidc]]` provider
/// (links to [`OIDC_START_PATH`], keeping `rd`).
pub fn login_with_providers(brand: &Branding<'_>, page: &LoginPage<'_>, providers: &[&str]) -> String {
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
    if !providers.is_empty() {
        body.push_str("<div class=\"providers\">\n<p class=\"or\">or</p>\n");
        for name in providers {
            let mut href = format!("{OIDC_START_PATH}?provider={}", query_value(name));
            if !page.rd.is_empty() {
                href.push_str(&format!("&{}={}", field::RD, query_value(page.rd)));
            }
            body.push_str(&format!(
                "<a class=\"button secondary\" href=\"{}\">Sign in with {}</a>\n",
                escape(&href),
                escape(name)
            ));
        }
        body.push_str("</div>\n");
    }
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
    body.push_str(&format!("<p class=\"links\"><a href=\"{}\">Two-factor sign-in</a></p>\n", totp::ACCOUNT_PATH));
    body.push_str(&format!("<p class=\"links\"><a href=\"{}\">Passkeys</a></p>\n", passkey::ACCOUNT_PATH));
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

/// `value` percent-encoded for a query string (RFC 3986 unreserved characters kept).
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
/// The invitation pages (`/invite`).
#[path = "pages_invite.rs"]
pub mod invite;
#[path = "pages_passkey.rs"]
pub mod passkey;
#[path = "pages_totp.rs"]
pub mod totp;

#[cfg(test)]
#[path = "pages_tests.rs"]
mod tests;
