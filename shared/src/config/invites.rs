//! `[invites]`: one-time links made by `wicket user invite` (see [`crate::accounts`]).

use super::de_duration;
use serde::Deserialize;
use std::time::Duration;

/// The longest a link may live: it is a password in a URL until it is used.
pub const MAX_INVITE_EXPIRY: Duration = Duration::from_secs(30 * 86_400);

/// `[invites]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvitesConfig {
    /// How long a link works when `--expires` is not given.
    #[serde(deserialize_with = "de_duration")]
    pub expiry: Duration,
}

impl Default for InvitesConfig {
    fn default() -> Self {
        Self { expiry: Duration::from_secs(86_400) }
    }
}

impl InvitesConfig {
    pub(super) fn validate(&self) -> std::result::Result<(), String> {
        if self.expiry.is_zero() || self.expiry > MAX_INVITE_EXPIRY {
            return Err("invites.expiry must be between 1s and 30d".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::time::Duration;

    #[test]
    fn expiry_defaults_to_a_day_and_is_bounded() {
        let d = Config::parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.invites.expiry, Duration::from_secs(86_400));
        let c = Config::parse("[invites]\nexpiry = \"2h\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.invites.expiry, Duration::from_secs(7200));
        for bad in ["0s", "31d"] {
            let e = Config::parse(&format!("[invites]\nexpiry = \"{bad}\"\n")).err().map(|e| e.to_string());
            assert!(e.as_deref().unwrap_or_default().contains("invites.expiry"), "{e:?}");
        }
    }

    /// docs/wicket.toml.example claims to be the defaults, written out: it must parse, and
    /// say what an empty file says.
    #[test]
    fn the_example_file_parses_to_the_defaults() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/wicket.toml.example");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let c = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let d = Config::parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.invites.expiry, d.invites.expiry);
        assert_eq!(c.passwords.min_length, d.passwords.min_length);
        assert_eq!(c.tokens.revoke_on_password_change, d.tokens.revoke_on_password_change);
        assert_eq!(c.tokens.default_expiry, d.tokens.default_expiry);
        assert_eq!(c.events.retention, d.events.retention);
        assert_eq!((c.totp.window, &c.totp.key_file), (d.totp.window, &d.totp.key_file));
        assert!(c.grpc.is_none() && c.session.is_none());
    }
}
