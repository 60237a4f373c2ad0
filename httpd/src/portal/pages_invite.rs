//! The invitation pages: "Choose your password" (a new account's first password, or a
//! reset) and the one answer for a link that is unknown, used or expired. Same card, same
//! stylesheet and the same rules as the other pages (labels, alert area, no script).

use super::{Branding, document, escape, field, hidden};

/// Where a link leads and the form posts.
pub const INVITE_PATH: &str = "/invite";
/// The query parameter that carries the token in the link (moved to a cookie at once).
pub const TOKEN_PARAM: &str = "t";

/// The "choose your password" page.
#[derive(Debug, Clone, Copy)]
pub struct InvitePage<'a> {
    /// The invited user (shown, and for password managers).
    pub user: &'a str,
    /// A reset of an existing account rather than a new one.
    pub reset: bool,
    /// Why the last attempt failed (a rule, a mismatch).
    pub error: Option<&'a str>,
    /// The CSRF token bound to the invitation cookie.
    pub csrf: &'a str,
}

/// The one heading and sentence for a link that cannot be used.
pub const INVALID_HEADING: &str = "Link not valid";
/// See [`INVALID_HEADING`].
pub const INVALID_MESSAGE: &str =
    "This link is no longer valid. Links work once and for a short time; ask your administrator for a new one.";

/// The form: the new password twice.
pub fn choose_password(brand: &Branding<'_>, page: &InvitePage<'_>) -> String {
    let mut body = super::alert(page.error);
    body.push_str(&format!("<form method=\"post\" action=\"{INVITE_PATH}\">\n"));
    body.push_str(&hidden(field::CSRF, page.csrf));
    // For password managers: which account this new password belongs to.
    body.push_str(&format!(
        "<input name=\"{}\" type=\"text\" autocomplete=\"username\" value=\"{}\" hidden readonly>\n",
        field::USERNAME,
        escape(page.user)
    ));
    for (id, label, hint, focus) in [
        (field::NEW_PASSWORD, "New password", Some("A long passphrase you use nowhere else."), " autofocus"),
        (field::NEW_PASSWORD_AGAIN, "New password again", None, ""),
    ] {
        let described = hint.map(|_| format!(" aria-describedby=\"{id}_hint\"")).unwrap_or_default();
        body.push_str(&format!(
            "<div class=\"field\">\n<label for=\"{id}\">{label}</label>\n\
             <input id=\"{id}\" name=\"{id}\" type=\"password\" autocomplete=\"new-password\" required{described}{focus}>\n"
        ));
        if let Some(hint) = hint {
            body.push_str(&format!("<p class=\"hint\" id=\"{id}_hint\">{hint}</p>\n"));
        }
        body.push_str("</div>\n");
    }
    let button = if page.reset { "Set password and sign in" } else { "Create password and sign in" };
    body.push_str(&format!("<button type=\"submit\">{button}</button>\n</form>\n"));
    let lead = if page.reset {
        format!("A new password for {}. Your other sessions will be signed out.", page.user)
    } else {
        format!("Welcome, {}. Choose a password to finish setting up your account.", page.user)
    };
    document(brand, "Choose your password", Some(&lead), &body)
}

/// The page for a link that is unknown, used or expired.
pub fn invalid(brand: &Branding<'_>) -> String {
    super::error_page(brand, INVALID_HEADING, INVALID_MESSAGE)
}
