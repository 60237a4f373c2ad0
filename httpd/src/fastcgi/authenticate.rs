//! One password check for `mod_authnz_fcgi` as an authentication provider
//! (`AuthBasicProvider wicket` with `AuthnzFcgiDefineProvider authn wicket fcgi://…`).
//!
//! `mod_auth_basic` reads the client's Basic credentials and `mod_authnz_fcgi` asks wicketd
//! with `FCGI_ROLE=AUTHORIZER`, `FCGI_APACHE_ROLE=AUTHENTICATOR` (absent for a combined
//! `authnz` provider), `REMOTE_USER` (the name as the client typed it) and `REMOTE_PASSWD`.
//! The request's other CGI variables come too: `REMOTE_ADDR` is the client Apache saw,
//! believed — like the whole request — only from a trusted FastCGI peer (see
//! [`super::authorize`]), and used as the throttle's origin key unless it is itself a
//! trusted proxy. The password goes through the same decision as HTTP Basic (the core's
//! `verify` with a password credential, throttle, cache, delays).
//!
//! Apache reads the status only: 200 accepts (the `Variable-*` headers become environment
//! variables: `REMOTE_GROUPS`, `REMOTE_NAME`, `REMOTE_EMAIL`, and `REMOTE_USER`), 500 is an
//! error Apache answers with 500, anything else refuses and `mod_auth_basic` challenges the
//! client again. So:
//!
//! - an unavailable backend (the store unreadable, LDAP down) is answered 500, not 503,
//!   which Apache would take for a wrong password;
//! - a `[[rule]]` `bypass` never accepts a password (it would let anyone claim any name to
//!   Apache's `Require user`); `deny`, the rules' groups and `WICKET_GROUP`/`WICKET_SCOPE`
//!   apply as for the authorizer, so the same answers hold when this role is reached through
//!   `AuthnzFcgiCheckAuthnProvider` with `AuthType Basic`;
//! - Apache keeps the name the client typed as its user, so a password accepted for another
//!   spelling of the name (`Alice` for `alice`) is refused: Apache's `Require user`, its
//!   group files and the application would otherwise see a name that is not the account's.
//!
//! An empty password, a missing or empty name, a control character, or a value longer than
//! [`MAX_VALUE_LEN`] is refused before any backend is asked.

use super::authorize::{Peer, asked, believed, cgi, target};
use super::params::Params;
use crate::app::App;
use crate::credentials::Presented;
use crate::handler::{check, proxy_answer};
use crate::rules::{RuleMatch, decide};
use std::sync::Arc;
use wicket_core::access::{Access, Requirements, Tried};
use wicket_core::config::{Policy, Scheme};
use wicket_core::secret::Secret;

/// Longest `REMOTE_USER` or `REMOTE_PASSWD` considered, in bytes: the HTTP front's cap on a
/// whole `Authorization` header.
pub const MAX_VALUE_LEN: usize = 4096;

/// What `mod_authnz_fcgi` asks of this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Check `REMOTE_USER` and `REMOTE_PASSWD`: a Basic provider (`FCGI_APACHE_ROLE`
    /// `AUTHENTICATOR` or, for an `authnz` provider, absent, with `REMOTE_PASSWD` sent).
    Password,
    /// Decide the whole request from its CGI variables ([`super::authorize`]): the
    /// `AuthnzFcgiCheckAuthnProvider` hook (`AUTHENTICATOR` without a password), an `authz`
    /// provider (`AUTHORIZER`), or a plain FastCGI authorizer (no `FCGI_APACHE_ROLE`).
    Request,
}

/// Dispatches on `FCGI_APACHE_ROLE` and whether a password was sent. `mod_authnz_fcgi` sets
/// `REMOTE_PASSWD` only from the client's Basic credentials; a client header of that name
/// arrives as `HTTP_REMOTE_PASSWD`.
pub fn role(params: &Params) -> Role {
    let apache_role = params.get("FCGI_APACHE_ROLE");
    let password_sent = params.get("REMOTE_PASSWD").is_some();
    match apache_role {
        Some(b"AUTHENTICATOR") | None if password_sent => Role::Password,
        _ => Role::Request,
    }
}

/// `REMOTE_USER` and `REMOTE_PASSWD` as a Basic credential, checked as the HTTP front checks
/// a decoded `Authorization: Basic` value (ISO-8859-1 bytes that are not UTF-8 are read as
/// such, as browsers send them).
pub fn presented(params: &Params) -> Presented {
    let bad = |why| Presented::Malformed { scheme: Some(Scheme::Basic), why };
    let (Some(user), Some(password)) = (params.get("REMOTE_USER"), params.get("REMOTE_PASSWD")) else {
        return bad("no REMOTE_USER or REMOTE_PASSWD");
    };
    if user.is_empty() || password.is_empty() {
        return bad("empty user or password");
    }
    if user.len() > MAX_VALUE_LEN || password.len() > MAX_VALUE_LEN {
        return bad("REMOTE_USER or REMOTE_PASSWD too long");
    }
    let user = text(user);
    let password = Secret::from_string(text(password));
    let has_ctl = |s: &str| s.chars().any(char::is_control);
    if has_ctl(&user) || password.expose_str().is_none_or(has_ctl) {
        return bad("control character in REMOTE_USER or REMOTE_PASSWD");
    }
    Presented::Basic { user, password }
}

fn text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| char::from(c)).collect(),
    }
}

/// Checks one password; the CGI response (headers, blank line, no body).
pub async fn authenticate(app: &Arc<App>, params: &Params, peer: Peer) -> Vec<u8> {
    let rt = app.runtime();
    let status = |code: u16, line: &[u8]| {
        app.metrics.response("fastcgi", code);
        line.to_vec()
    };
    if !believed(peer, &rt.trusted) {
        tracing::warn!("fastcgi: refused a password check from {peer:?}, which is not in server.trusted_proxies");
        return status(403, b"Status: 403 Forbidden\r\n\r\n");
    }
    let Some(target) = target(params, peer, &rt.trusted) else {
        tracing::warn!("fastcgi: a password check without REQUEST_METHOD or REQUEST_URI");
        return status(500, b"Status: 500 Internal Server Error\r\n\r\n");
    };
    let rule = match decide(&rt.rules, &target) {
        // A public path still needs the password to be right before Apache calls it a user.
        RuleMatch::Matched { policy: Policy::Bypass, .. } => RuleMatch::Default,
        other => other,
    };
    let (groups, scopes) = asked(params);
    let required = Requirements { rule, groups, scopes, ..Requirements::identity() };
    let presented = presented(params);
    let typed = match &presented {
        Presented::Basic { user, .. } => user.clone(),
        _ => String::new(),
    };
    let tried = Tried::Scheme(Scheme::Basic);
    let access = match check(app, &rt, &target, presented, &required).await {
        Access::Allow(id) if id.name != typed => {
            tracing::warn!(
                "fastcgi: refused {typed:?}: the password is {:?}'s, and Apache would keep the name as typed",
                id.name
            );
            Access::Challenge { stale: false, bearer_error: None, malformed: None, fresh_login: false }
        }
        Access::Unavailable => {
            // mod_authnz_fcgi takes only 500 for an error; 503 would read as a wrong password.
            return status(500, b"Status: 500 Internal Server Error\r\n\r\n");
        }
        other => other,
    };
    let resp = proxy_answer(&rt, tried, access);
    app.metrics.response("fastcgi", resp.status().as_u16());
    cgi(&resp)
}
