//! The second-factor pages: the code page after the password (and for a step-up), the
//! account's two-factor page, the enrolment page (QR code, the secret as text, a code to
//! confirm) and the recovery codes shown once.
//!
//! The code input is named `code`, `autocomplete="one-time-code"` and `inputmode="numeric"`
//! so phones offer the number pad and a code from a message; a recovery code goes in the
//! same input (a `<details>` says so; no script is needed).

use super::{Branding, HOME_PATH, alert, document, escape, field, hidden};

/// `POST`: the code of a pending sign-in.
pub const CODE_PATH: &str = "/login/code";
/// `GET`/`POST`: a signed-in browser proves its second factor (a `two_factor` rule).
pub const STEP_UP_PATH: &str = "/login/step-up";
/// `GET`/`POST`: the account's two-factor page (set up, turn off).
pub const ACCOUNT_PATH: &str = "/account/two-factor";

/// The code input's name.
pub const CODE: &str = "code";
/// The pending sign-in (who, remember me) carried by the code form.
pub const PENDING: &str = "pending";
/// What a POST to [`ACCOUNT_PATH`] asks: `start`, `confirm` or `reset`.
pub const ACTION: &str = "action";

/// True for the paths these pages are served at.
pub fn is_totp_path(path: &str) -> bool {
    matches!(path, CODE_PATH | STEP_UP_PATH | ACCOUNT_PATH)
}

/// The message when the key file (or the store) cannot be used.
pub const UNAVAILABLE: &str = "Two-factor sign-in is not available right now; ask your administrator.";

/// The code page: where it posts, and the hidden fields it carries.
#[derive(Debug, Clone, Copy)]
pub struct CodePage<'a> {
    /// [`CODE_PATH`] (sign-in) or [`STEP_UP_PATH`] (step-up).
    pub action: &'a str,
    /// What went wrong last time.
    pub error: Option<&'a str>,
    /// The CSRF token.
    pub csrf: &'a str,
    /// The pending sign-in ([`PENDING`]); empty for a step-up.
    pub pending: &'a str,
    /// The checked redirect target; empty = none.
    pub rd: &'a str,
    /// Who is signing in.
    pub user: &'a str,
}

/// The code page.
pub fn code(brand: &Branding<'_>, page: &CodePage<'_>) -> String {
    let mut body = alert(page.error);
    body.push_str(&format!("<form method=\"post\" action=\"{}\">\n", escape(page.action)));
    body.push_str(&hidden(field::CSRF, page.csrf));
    if !page.pending.is_empty() {
        body.push_str(&hidden(PENDING, page.pending));
    }
    if !page.rd.is_empty() {
        body.push_str(&hidden(field::RD, page.rd));
    }
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"code\">Verification code</label>\n\
         <input id=\"code\" name=\"{CODE}\" type=\"text\" autocomplete=\"one-time-code\" inputmode=\"numeric\" \
         autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"32\" required autofocus \
         aria-describedby=\"code_hint\">\n\
         <p class=\"hint\" id=\"code_hint\">6 digits; a new one every 30 seconds.</p>\n</div>\n\
         <button type=\"submit\">Verify</button>\n</form>\n\
         <details class=\"recovery\">\n<summary>Use a recovery code</summary>\n\
         <p class=\"hint\">Lost your phone? Type one of your recovery codes (like <code>abcd-efgh-jkmn</code>) \
         in the code field above. Each recovery code works once.</p>\n</details>\n"
    ));
    let lead = format!("{}, enter the code from your authenticator app to continue.", page.user);
    document(brand, "Two-factor sign-in", Some(&lead), &body)
}

/// The account's two-factor page.
#[derive(Debug, Clone, Copy)]
pub struct AccountPage<'a> {
    /// Whether a confirmed enrolment exists.
    pub enrolled: bool,
    /// Unused recovery codes left (when enrolled).
    pub recovery_left: u64,
    /// Why the last attempt failed.
    pub error: Option<&'a str>,
    /// A success message.
    pub notice: Option<&'a str>,
    /// The CSRF token.
    pub csrf: &'a str,
    /// A step-up that leads here: set up, then continue to this (checked) target.
    pub rd: &'a str,
}

fn code_field(id: &str, label: &str) -> String {
    format!(
        "<div class=\"field\">\n<label for=\"{id}\">{label}</label>\n\
         <input id=\"{id}\" name=\"{CODE}\" type=\"text\" autocomplete=\"one-time-code\" inputmode=\"numeric\" \
         autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"32\" required>\n</div>\n"
    )
}

/// The account's two-factor page: a "set up" button, or (enrolled) turn off / set up again,
/// each asking for a current code.
pub fn account(brand: &Branding<'_>, page: &AccountPage<'_>) -> String {
    let mut body = alert(page.error);
    body.push_str(&format!("<div class=\"notice\" role=\"status\">{}</div>\n", escape(page.notice.unwrap_or(""))));
    body.push_str(&format!("<form method=\"post\" action=\"{ACCOUNT_PATH}\">\n"));
    body.push_str(&hidden(field::CSRF, page.csrf));
    if !page.rd.is_empty() {
        body.push_str(&hidden(field::RD, page.rd));
    }
    let lead;
    if page.enrolled {
        lead = format!(
            "Two-factor sign-in is on. {} recovery code{} left.",
            page.recovery_left,
            if page.recovery_left == 1 { "" } else { "s" }
        );
        // One code for either change; the button pressed says which.
        body.push_str(&code_field("code", "Current code from your app"));
        body.push_str(&format!(
            "<div class=\"actions\">\n<button type=\"submit\" name=\"{ACTION}\" value=\"start\" class=\"secondary\">\
             New authenticator</button>\n<button type=\"submit\" name=\"{ACTION}\" value=\"reset\" \
             class=\"secondary\">Turn off</button>\n</div>\n</form>\n"
        ));
    } else {
        lead = "Protect your account with a code from an authenticator app on your phone.".to_string();
        body.push_str(&hidden(ACTION, "start"));
        body.push_str("<button type=\"submit\">Set up two-factor sign-in</button>\n</form>\n");
    }
    body.push_str(&format!("<p class=\"links\"><a href=\"{HOME_PATH}\">Back</a></p>\n"));
    document(brand, "Two-factor sign-in", Some(&lead), &body)
}

/// The enrolment page.
#[derive(Debug, Clone, Copy)]
pub struct EnrolPage<'a> {
    /// The QR code, an inline `<svg>` rendered by the core (trusted markup, not user text).
    pub qr_svg: &'a str,
    /// The secret in base32, for typing into an app by hand.
    pub secret: &'a str,
    /// Why the last code was refused.
    pub error: Option<&'a str>,
    /// The CSRF token.
    pub csrf: &'a str,
    /// The checked redirect target; empty = none.
    pub rd: &'a str,
}

/// The enrolment page: scan or type, then confirm with a first code.
pub fn enrol(brand: &Branding<'_>, page: &EnrolPage<'_>) -> String {
    let mut body = alert(page.error);
    if !page.secret.is_empty() {
        body.push_str(&format!(
            "<div class=\"qr\" role=\"img\" aria-label=\"QR code to scan with an authenticator app\">{}</div>\n",
            page.qr_svg
        ));
        // Groups of four, as apps show them; spaces are ignored when typed.
        let grouped: Vec<String> =
            page.secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        body.push_str(&format!(
            "<details class=\"secret\">\n<summary>Can't scan? Enter this key by hand</summary>\n\
             <p><code class=\"key\">{}</code></p>\n<p class=\"hint\">Time-based, 6 digits, 30 seconds.</p>\n\
             </details>\n",
            escape(&grouped.join(" "))
        ));
    }
    body.push_str(&format!("<form method=\"post\" action=\"{ACCOUNT_PATH}\">\n"));
    body.push_str(&hidden(field::CSRF, page.csrf));
    body.push_str(&hidden(ACTION, "confirm"));
    if !page.rd.is_empty() {
        body.push_str(&hidden(field::RD, page.rd));
    }
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"code\">Code from the app</label>\n\
         <input id=\"code\" name=\"{CODE}\" type=\"text\" autocomplete=\"one-time-code\" inputmode=\"numeric\" \
         autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"32\" required autofocus>\n</div>\n\
         <button type=\"submit\">Turn on</button>\n</form>\n"
    ));
    body.push_str(&format!("<p class=\"links\"><a href=\"{ACCOUNT_PATH}\">Cancel</a></p>\n"));
    let lead = if page.secret.is_empty() {
        "Type the code your authenticator app shows for this account."
    } else {
        "Scan the QR code with your authenticator app, then type the code it shows."
    };
    document(brand, "Set up your authenticator", Some(lead), &body)
}

/// The recovery codes, shown once after the enrolment is confirmed.
pub fn recovery_codes(brand: &Branding<'_>, codes: &[&str], next: &str) -> String {
    let mut body = String::from(
        "<div class=\"alert warning\" role=\"alert\">Store these recovery codes somewhere safe now (a password \
         manager, or printed). They are shown only this once. Each signs you in once if you lose your phone.</div>\n",
    );
    body.push_str("<ol class=\"codes\">\n");
    for c in codes {
        body.push_str(&format!("<li><code>{}</code></li>\n", escape(c)));
    }
    body.push_str("</ol>\n");
    body.push_str(&format!("<a class=\"button\" href=\"{}\">I have stored them — continue</a>\n", escape(next)));
    document(brand, "Two-factor sign-in is on", Some("Your recovery codes:"), &body)
}
