//! The passkey pages: the second-factor page after the password (and for a step-up) with a
//! "Use a passkey" button beside the TOTP code form when both exist, and the account's
//! passkey list (add, remove).
//!
//! The passkey forms are `hidden` and carry what the ceremony needs in `data-` attributes
//! (challenge, relying party, the account's credential ids); [`JS`] (served at [`JS_PATH`],
//! same origin, allowed by the pages' `script-src 'self'`) shows them, calls
//! `navigator.credentials.create/get`, puts the result in hidden inputs (base64url) and
//! submits the form. Without script the forms stay hidden and everything else works.

use super::totp::{CODE, PENDING};
use super::{Branding, HOME_PATH, alert, document, escape, field, hidden};

/// `POST`: a passkey assertion for a pending sign-in.
pub const SIGN_IN_PATH: &str = "/login/passkey";
/// `POST`: a passkey assertion for a step-up.
pub const STEP_UP_PATH: &str = "/login/step-up/passkey";
/// `POST`: a passkey alone (passwordless, `[webauthn] passwordless = true`).
pub const PASSWORDLESS_PATH: &str = "/login/passkey-only";
/// `GET`/`POST`: the account's passkeys.
pub const ACCOUNT_PATH: &str = "/account/passkeys";
/// The script.
pub const JS_PATH: &str = "/passkey.js";
/// The script's text.
pub const JS: &str = include_str!("passkey.js");

/// Form fields.
pub mod fields {
    /// The server's challenge (base64url), echoed back.
    pub const CHALLENGE: &str = "challenge";
    /// `register` or `remove` on the account page.
    pub const ACTION: &str = "action";
    /// The passkey's name.
    pub const NAME: &str = "name";
    /// base64url of the credential id.
    pub const CREDENTIAL_ID: &str = "credential_id";
    /// base64url of `clientDataJSON`.
    pub const CLIENT_DATA: &str = "client_data";
    /// base64url of the attestation object (registration).
    pub const ATTESTATION: &str = "attestation_object";
    /// base64url of the authenticator data (assertion).
    pub const AUTHENTICATOR_DATA: &str = "authenticator_data";
    /// base64url of the signature (assertion).
    pub const SIGNATURE: &str = "signature";
}

/// True for the paths these pages are served at.
pub fn is_passkey_path(path: &str) -> bool {
    matches!(path, SIGN_IN_PATH | STEP_UP_PATH | ACCOUNT_PATH | JS_PATH | PASSWORDLESS_PATH)
}

/// True for a method and path the passkey routes answer (GET/HEAD of the script and the
/// account page, POST of the forms).
pub fn takes(method: &hyper::Method, path: &str) -> bool {
    let get = matches!(*method, hyper::Method::GET | hyper::Method::HEAD);
    match path {
        JS_PATH => get,
        ACCOUNT_PATH => get || *method == hyper::Method::POST,
        SIGN_IN_PATH | STEP_UP_PATH | PASSWORDLESS_PATH => *method == hyper::Method::POST,
        _ => false,
    }
}

/// The headers of the script response.
pub fn js_headers() -> [(&'static str, &'static str); 3] {
    [
        ("Content-Type", "text/javascript; charset=utf-8"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "public, max-age=3600"),
    ]
}

/// What a `navigator.credentials.get` needs.
#[derive(Debug, Clone, Copy)]
pub struct GetOptions<'a> {
    /// Where the assertion is posted.
    pub action: &'a str,
    /// The CSRF token.
    pub csrf: &'a str,
    /// The pending sign-in (empty for a step-up).
    pub pending: &'a str,
    /// The checked redirect target.
    pub rd: &'a str,
    /// base64url challenge.
    pub challenge: &'a str,
    /// The rp id.
    pub rp_id: &'a str,
    /// `preferred`, `required`, `discouraged`.
    pub user_verification: &'a str,
    /// The account's credential ids, base64url, comma-separated.
    pub credentials: &'a str,
}

/// The second-factor page with a passkey.
#[derive(Debug, Clone, Copy)]
pub struct SecondFactorPage<'a> {
    /// Who is signing in.
    pub user: &'a str,
    /// The passkey ceremony.
    pub get: GetOptions<'a>,
    /// Where the TOTP code form posts, when the account has TOTP too.
    pub code_action: Option<&'a str>,
    /// What went wrong last time.
    pub error: Option<&'a str>,
}

fn hidden_common(csrf: &str, pending: &str, rd: &str) -> String {
    let mut s = hidden(field::CSRF, csrf);
    if !pending.is_empty() {
        s.push_str(&hidden(PENDING, pending));
    }
    if !rd.is_empty() {
        s.push_str(&hidden(field::RD, rd));
    }
    s
}

fn result_inputs(names: &[&str]) -> String {
    names.iter().map(|n| format!("<input type=\"hidden\" name=\"{n}\" value=\"\">\n")).collect()
}

fn script() -> String {
    format!("<script src=\"{JS_PATH}\" defer></script>\n")
}

/// The second-factor page: "Use a passkey" (with script), and the code form if the
/// account has TOTP.
pub fn second_factor(brand: &Branding<'_>, page: &SecondFactorPage<'_>) -> String {
    let g = &page.get;
    let mut body = alert(page.error);
    body.push_str(&format!(
        "<form id=\"passkey-form\" method=\"post\" action=\"{}\" data-mode=\"get\" data-challenge=\"{}\" \
         data-rp-id=\"{}\" data-uv=\"{}\" data-credentials=\"{}\" hidden>\n",
        escape(g.action),
        escape(g.challenge),
        escape(g.rp_id),
        escape(g.user_verification),
        escape(g.credentials)
    ));
    body.push_str(&hidden_common(g.csrf, g.pending, g.rd));
    body.push_str(&hidden(fields::CHALLENGE, g.challenge));
    body.push_str(&result_inputs(&[
        fields::CREDENTIAL_ID,
        fields::CLIENT_DATA,
        fields::AUTHENTICATOR_DATA,
        fields::SIGNATURE,
    ]));
    body.push_str(
        "<p class=\"alert\" id=\"passkey-error\" role=\"alert\"></p>\n\
         <button type=\"submit\" id=\"passkey-button\">Use a passkey</button>\n</form>\n",
    );
    if let Some(action) = page.code_action {
        body.push_str(&format!("<form method=\"post\" action=\"{}\">\n", escape(action)));
        body.push_str(&hidden_common(g.csrf, g.pending, g.rd));
        body.push_str(&format!(
            "<div class=\"field\">\n<label for=\"code\">Or a code from your authenticator app</label>\n\
             <input id=\"code\" name=\"{CODE}\" type=\"text\" autocomplete=\"one-time-code\" inputmode=\"numeric\" \
             autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"32\" required>\n</div>\n\
             <button type=\"submit\" class=\"secondary\">Verify code</button>\n</form>\n"
        ));
    } else {
        body.push_str("<noscript><p class=\"hint\">Signing in with a passkey needs JavaScript.</p></noscript>\n");
    }
    body.push_str(&script());
    let lead = format!("{}, confirm it is you with your passkey.", page.user);
    document(brand, "Two-factor sign-in", Some(&lead), &body)
}

/// One passkey as the account page lists it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its name.
    pub name: String,
    /// Registered (a date, UTC).
    pub created: String,
    /// Last used (a date, UTC), if ever.
    pub last_used: Option<String>,
}

/// The account's passkey page.
#[derive(Debug, Clone, Copy)]
pub struct AccountPage<'a> {
    /// The passkeys.
    pub passkeys: &'a [Listed],
    /// The CSRF token.
    pub csrf: &'a str,
    /// The registration challenge (base64url).
    pub challenge: &'a str,
    /// The rp id.
    pub rp_id: &'a str,
    /// The site's name for the authenticator.
    pub rp_name: &'a str,
    /// The WebAuthn user handle (base64url).
    pub user_id: &'a str,
    /// The account name.
    pub user: &'a str,
    /// The display name.
    pub display_name: &'a str,
    /// `preferred`, `required`, `discouraged`.
    pub user_verification: &'a str,
    /// The registered credential ids (excluded), base64url, comma-separated.
    pub credentials: &'a str,
    /// Why the last attempt failed.
    pub error: Option<&'a str>,
    /// A success message.
    pub notice: Option<&'a str>,
}

/// The account's passkeys: the list with a remove button each, and "Add a passkey".
pub fn account(brand: &Branding<'_>, page: &AccountPage<'_>) -> String {
    let mut body = alert(page.error);
    body.push_str(&format!("<div class=\"notice\" role=\"status\">{}</div>\n", escape(page.notice.unwrap_or(""))));
    if page.passkeys.is_empty() {
        body.push_str("<p class=\"hint\" id=\"no-passkeys\">No passkeys yet.</p>\n");
    } else {
        body.push_str("<ul class=\"passkeys\">\n");
        for p in page.passkeys {
            let used = p.last_used.as_deref().map_or("never used".to_string(), |d| format!("last used {d}"));
            body.push_str(&format!(
                "<li><span class=\"passkey-name\">{}</span> <span class=\"hint\">added {}, {}</span>\n\
                 <form method=\"post\" action=\"{ACCOUNT_PATH}\">\n{}{}{}\
                 <button type=\"submit\" class=\"secondary\" aria-label=\"Remove {}\">Remove</button>\n</form></li>\n",
                escape(&p.name),
                escape(&p.created),
                escape(&used),
                hidden(field::CSRF, page.csrf),
                hidden(fields::ACTION, "remove"),
                hidden(fields::NAME, &p.name),
                escape(&p.name),
            ));
        }
        body.push_str("</ul>\n");
    }
    body.push_str(&format!(
        "<form id=\"passkey-form\" method=\"post\" action=\"{ACCOUNT_PATH}\" data-mode=\"create\" \
         data-challenge=\"{}\" data-rp-id=\"{}\" data-rp-name=\"{}\" data-user-id=\"{}\" data-user-name=\"{}\" \
         data-display-name=\"{}\" data-uv=\"{}\" data-credentials=\"{}\" hidden>\n",
        escape(page.challenge),
        escape(page.rp_id),
        escape(page.rp_name),
        escape(page.user_id),
        escape(page.user),
        escape(page.display_name),
        escape(page.user_verification),
        escape(page.credentials),
    ));
    body.push_str(&hidden(field::CSRF, page.csrf));
    body.push_str(&hidden(fields::ACTION, "register"));
    body.push_str(&hidden(fields::CHALLENGE, page.challenge));
    body.push_str(&result_inputs(&[fields::CREDENTIAL_ID, fields::CLIENT_DATA, fields::ATTESTATION]));
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"passkey-name\">Name of the new passkey</label>\n\
         <input id=\"passkey-name\" name=\"{}\" type=\"text\" maxlength=\"64\" required \
         placeholder=\"e.g. work laptop\">\n</div>\n\
         <p class=\"alert\" id=\"passkey-error\" role=\"alert\"></p>\n\
         <button type=\"submit\" id=\"passkey-button\">Add a passkey</button>\n</form>\n\
         <noscript><p class=\"hint\">Adding a passkey needs JavaScript.</p></noscript>\n",
        fields::NAME
    ));
    body.push_str(&script());
    body.push_str(&format!("<p class=\"links\"><a href=\"{HOME_PATH}\">Back</a></p>\n"));
    let lead = "Sign in with your fingerprint, face, screen lock or a security key as the second step.";
    document(brand, "Passkeys", Some(lead), &body)
}

/// The sign-in page with "Sign in with a passkey" after the password form: a discoverable
/// credential, user verification required, posting to [`PASSWORDLESS_PATH`] with the
/// sign-in form's own token.
pub fn with_passwordless(login_html: &str, csrf: &str, rd: &str, challenge: &str, rp_id: &str) -> String {
    let mut form = format!(
        "<form id=\"passkey-form\" method=\"post\" action=\"{PASSWORDLESS_PATH}\" data-mode=\"get\" \
         data-challenge=\"{}\" data-rp-id=\"{}\" data-uv=\"required\" data-credentials=\"\" class=\"providers\" hidden>\n\
         <p class=\"or\">or</p>\n",
        escape(challenge),
        escape(rp_id)
    );
    form.push_str(&hidden_common(csrf, "", rd));
    form.push_str(&hidden(fields::CHALLENGE, challenge));
    form.push_str(&result_inputs(&[
        fields::CREDENTIAL_ID,
        fields::CLIENT_DATA,
        fields::AUTHENTICATOR_DATA,
        fields::SIGNATURE,
    ]));
    form.push_str(
        "<p class=\"alert\" id=\"passkey-error\" role=\"alert\"></p>\n\
         <button type=\"submit\" id=\"passkey-button\" class=\"secondary\">Sign in with a passkey</button>\n</form>\n",
    );
    form.push_str(&script());
    login_html.replacen("</form>\n", &format!("</form>\n{form}"), 1)
}
