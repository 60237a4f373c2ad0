//! # wicket-syspam
//!
//! The PAM backend of Wicket's chain: verifies a user's password against the system's PAM
//! stack (service `wicket` by default, i.e. `/etc/pam.d/wicket`). It lives outside
//! `wicket-core` because it needs FFI; all of it is in [`ffi`], fenced.
//!
//! What the daemon needs: `pam_unix` reads `/etc/shadow`, so wicketd must run as root or in
//! group `shadow` (`SupplementaryGroups=shadow` in the unit) for system accounts to verify.
//! Without it, PAM answers "insufficient credentials", which Wicket reports as
//! *unavailable* rather than "wrong password". Identity (uid, gid, groups) comes from
//! `/etc/passwd` and `/etc/group` directly, never through NSS, so wicketd never asks
//! itself through its own NSS module.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod ffi;
mod files;

use std::sync::Arc;
use wicket_core::auth::{Backend, BackendAnswer, Identity, Rejection};
use wicket_core::config::PamConfig;
use wicket_core::secret::Secret;

/// `kind = "pam"`.
#[derive(Debug)]
pub struct PamBackend {
    service: String,
}

impl PamBackend {
    /// A backend for the configured service.
    pub fn new(cfg: &PamConfig) -> Self {
        Self { service: cfg.service.clone() }
    }

    /// The constructor `wicket_core::chain::build` takes.
    pub fn factory(cfg: &PamConfig) -> Arc<dyn Backend> {
        Arc::new(Self::new(cfg))
    }
}

/// Maps PAM's answer onto the chain's vocabulary.
fn answer(user: &str, outcome: ffi::Outcome) -> BackendAnswer {
    use ffi::*;
    match (outcome.auth, outcome.account) {
        (PAM_SUCCESS, Some(PAM_SUCCESS)) => BackendAnswer::Accepted(identity(user)),
        (PAM_SUCCESS, Some(PAM_ACCT_EXPIRED)) => BackendAnswer::Rejected(Rejection::Expired),
        // An expired password must be changed on a terminal first.
        (PAM_SUCCESS, Some(PAM_NEW_AUTHTOK_REQD)) => BackendAnswer::Rejected(Rejection::Expired),
        (PAM_SUCCESS, Some(PAM_PERM_DENIED)) => BackendAnswer::Rejected(Rejection::Locked),
        (PAM_SUCCESS, Some(PAM_USER_UNKNOWN)) => BackendAnswer::Unknown,
        (PAM_SUCCESS, Some(code)) => BackendAnswer::Unavailable(format!("pam account check failed ({code})")),
        (PAM_USER_UNKNOWN, _) => BackendAnswer::Unknown,
        (PAM_AUTH_ERR | PAM_MAXTRIES | PAM_PERM_DENIED, _) => BackendAnswer::Rejected(Rejection::BadCredentials),
        (PAM_CRED_INSUFFICIENT, _) => BackendAnswer::Unavailable(
            "pam: insufficient credentials (wicketd needs root or group shadow to check system passwords)".into(),
        ),
        (PAM_AUTHINFO_UNAVAIL, _) => BackendAnswer::Unavailable("pam: authentication information unavailable".into()),
        (code, _) => BackendAnswer::Unavailable(format!("pam error {code}")),
    }
}

fn identity(user: &str) -> Identity {
    let pw = files::passwd_entry(user);
    Identity {
        name: user.to_string(),
        uid: pw.as_ref().map(|p| p.uid),
        gid: pw.as_ref().map(|p| p.gid),
        display_name: pw.as_ref().map(|p| p.gecos.clone()).filter(|g| !g.is_empty()),
        email: None,
        groups: files::groups_of(user, pw.as_ref().map(|p| p.gid)),
        backend: "pam".into(),
        scopes: None,
    }
}

impl Backend for PamBackend {
    fn name(&self) -> &str {
        "pam"
    }

    fn verify_password(&self, user: &str, password: &Secret) -> BackendAnswer {
        if password.is_empty() {
            return BackendAnswer::Rejected(Rejection::BadCredentials);
        }
        if user.is_empty() || user.len() > 256 || user.chars().any(|c| c.is_control()) {
            return BackendAnswer::Unknown;
        }
        match ffi::authenticate(&self.service, user, password.expose(), None) {
            Some(o) => answer(user, o),
            None => BackendAnswer::Rejected(Rejection::BadCredentials),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffi::*;

    #[test]
    fn pam_codes_map_onto_the_chain() {
        let o = |auth, account| ffi::Outcome { auth, account };
        assert!(matches!(answer("root", o(PAM_SUCCESS, Some(PAM_SUCCESS))), BackendAnswer::Accepted(_)));
        assert_eq!(answer("x", o(PAM_AUTH_ERR, None)), BackendAnswer::Rejected(Rejection::BadCredentials));
        assert_eq!(answer("x", o(PAM_USER_UNKNOWN, None)), BackendAnswer::Unknown);
        assert_eq!(answer("x", o(PAM_SUCCESS, Some(PAM_ACCT_EXPIRED))), BackendAnswer::Rejected(Rejection::Expired));
        assert!(matches!(answer("x", o(PAM_CRED_INSUFFICIENT, None)), BackendAnswer::Unavailable(_)));
        assert!(matches!(answer("x", o(PAM_AUTHINFO_UNAVAIL, None)), BackendAnswer::Unavailable(_)));
    }

    #[test]
    fn empty_passwords_and_odd_names_never_reach_pam() {
        let b = PamBackend::new(&PamConfig { service: "wicket-does-not-exist".into() });
        assert_eq!(b.verify_password("root", &Secret::from("")), BackendAnswer::Rejected(Rejection::BadCredentials));
        assert_eq!(b.verify_password("a\nb", &Secret::from("x")), BackendAnswer::Unknown);
        assert_eq!(b.verify_password("a\0b", &Secret::from("x")), BackendAnswer::Unknown);
    }
}
