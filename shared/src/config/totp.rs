//! `[totp]`: time-based one-time codes (RFC 6238) as a second factor. The codes themselves
//! are fixed to what every authenticator app reads (SHA-1, 6 digits, 30 s); what is
//! configurable is the name the apps show, where the sealing key lives, and the tolerance for
//! clock drift.

use serde::Deserialize;
use std::path::PathBuf;

/// Where the key that seals TOTP secrets lives when `key_file` is not given.
pub const DEFAULT_TOTP_KEY_FILE: &str = "/etc/wicket/totp.key";
/// The widest window allowed: each step either side is another code an attacker may hit.
pub const MAX_TOTP_WINDOW: u32 = 10;

/// `[totp]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TotpConfig {
    /// The name authenticator apps show next to the account; `None` = `server.realm`.
    pub issuer: Option<String>,
    /// The 32-byte key that seals secrets in the database (mode 0640 at most).
    pub key_file: PathBuf,
    /// Time steps accepted either side of the current one (clock drift, slow typing).
    pub window: u32,
}

impl Default for TotpConfig {
    fn default() -> Self {
        Self { issuer: None, key_file: PathBuf::from(DEFAULT_TOTP_KEY_FILE), window: 1 }
    }
}

impl TotpConfig {
    /// The issuer shown by the apps: the setting, or the realm.
    pub fn issuer_or<'a>(&'a self, realm: &'a str) -> &'a str {
        self.issuer.as_deref().unwrap_or(realm)
    }

    /// Checks what serde cannot.
    pub(super) fn validate(&self) -> std::result::Result<(), String> {
        if let Some(issuer) = &self.issuer {
            if issuer.trim().is_empty() || issuer.contains(':') || issuer.chars().any(char::is_control) {
                return Err("totp.issuer must be non-empty, without ':' or control characters".into());
            }
        }
        if self.window > MAX_TOTP_WINDOW {
            return Err(format!("totp.window must be at most {MAX_TOTP_WINDOW} steps"));
        }
        if self.key_file.as_os_str().is_empty() {
            return Err("totp.key_file must not be empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn defaults_and_settings() {
        let c = Config::parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.totp.window, 1);
        assert_eq!(c.totp.key_file, Path::new("/etc/wicket/totp.key"));
        assert_eq!(c.totp.issuer_or(&c.server.realm), "wicket");
        let c = Config::parse("[totp]\nissuer = \"ACME Co\"\nkey_file = \"/srv/k\"\nwindow = 2\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.totp.issuer_or(&c.server.realm), "ACME Co");
        assert_eq!(c.totp.key_file, Path::new("/srv/k"));
        assert_eq!(c.totp.window, 2);
    }

    #[test]
    fn bad_settings_are_refused_by_name() {
        for (text, key) in [
            ("[totp]\nissuer = \"a:b\"\n", "totp.issuer"),
            ("[totp]\nissuer = \" \"\n", "totp.issuer"),
            ("[totp]\nwindow = 11\n", "totp.window"),
            ("[totp]\nkey_file = \"\"\n", "totp.key_file"),
            ("[totp]\ndigits = 8\n", "digits"),
        ] {
            let e = Config::parse(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(key), "{text}: {e}");
        }
    }
}
