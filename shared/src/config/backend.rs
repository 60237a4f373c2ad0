//! `[[backend]]` blocks: `local`, `ldap` and `pam`.

use super::de_duration;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// One `[[backend]]` block.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BackendConfig {
    /// Wicket's own SQLite store.
    Local(LocalBackendConfig),
    /// An LDAP directory.
    Ldap(Box<LdapConfig>),
    /// The system's PAM stack.
    Pam(PamConfig),
}

/// `kind = "ldap"`: direct bind (`user_dn`) or search-then-bind (`base` + `user_filter`,
/// with `bind_dn` + `bind_password[_file]` or anonymously).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// One server URL (`ldap://` or `ldaps://`).
    pub url: Option<String>,
    /// Several, tried in order (failover).
    #[serde(default)]
    pub urls: Vec<String>,
    /// Upgrade `ldap://` with StartTLS (never falls back to plaintext).
    #[serde(default)]
    pub starttls: bool,
    /// PEM CA bundle to verify the server with (default: the system's roots).
    pub ca_file: Option<PathBuf>,
    /// Direct bind template, e.g. `uid={user},ou=people,dc=example,dc=org`.
    pub user_dn: Option<String>,
    /// Service account for search-then-bind.
    pub bind_dn: Option<String>,
    /// Its password (prefer `bind_password_file`); never printed.
    pub bind_password: Option<crate::secret::Secret>,
    /// File holding its password (first line).
    pub bind_password_file: Option<PathBuf>,
    /// Search base for users.
    pub base: Option<String>,
    /// User filter; `{user}` is replaced by the RFC 4515-escaped name.
    #[serde(default = "default_user_filter")]
    pub user_filter: String,
    /// Search base for groups; absent = use `memberOf` on the user entry.
    pub group_base: Option<String>,
    /// Group filter; `{dn}` (escaped user DN) and `{user}` are replaced.
    #[serde(default = "default_group_filter")]
    pub group_filter: String,
    /// Connect and operation timeout.
    #[serde(default = "default_ldap_timeout", deserialize_with = "de_duration")]
    pub timeout: Duration,
    /// TTL of the lookup cache (NSS lookups).
    #[serde(default = "default_ldap_cache_ttl", deserialize_with = "de_duration")]
    pub cache_ttl: Duration,
    /// Attribute names.
    #[serde(default)]
    pub attributes: LdapAttributes,
}

fn default_user_filter() -> String {
    "(uid={user})".into()
}
fn default_group_filter() -> String {
    "(&(objectClass=groupOfNames)(member={dn}))".into()
}
fn default_ldap_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_ldap_cache_ttl() -> Duration {
    Duration::from_secs(60)
}

/// `[backend.attributes]`: how LDAP attributes map onto an identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdapAttributes {
    /// Login name.
    pub name: String,
    /// Full name.
    pub display_name: String,
    /// E-mail.
    pub email: String,
    /// POSIX uid.
    pub uid_number: String,
    /// POSIX gid.
    pub gid_number: String,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
    /// Group DNs on the user entry.
    pub member_of: String,
    /// Group name attribute on group entries.
    pub group_name: String,
}

impl Default for LdapAttributes {
    fn default() -> Self {
        Self {
            name: "uid".into(),
            display_name: "cn".into(),
            email: "mail".into(),
            uid_number: "uidNumber".into(),
            gid_number: "gidNumber".into(),
            home: "homeDirectory".into(),
            shell: "loginShell".into(),
            member_of: "memberOf".into(),
            group_name: "cn".into(),
        }
    }
}

impl LdapConfig {
    /// The server URLs in failover order.
    pub fn server_urls(&self) -> Vec<String> {
        self.url.iter().cloned().chain(self.urls.iter().cloned()).collect()
    }

    pub(super) fn validate(&self) -> std::result::Result<(), String> {
        let urls = self.server_urls();
        if urls.is_empty() {
            return Err("ldap backend: set `url` or `urls`".into());
        }
        for u in &urls {
            let lower = u.to_ascii_lowercase();
            if !(lower.starts_with("ldap://") || lower.starts_with("ldaps://")) {
                // The URL is not echoed: a mistyped one may carry a password.
                return Err("ldap backend: every url must start with ldap:// or ldaps://".into());
            }
            if self.starttls && lower.starts_with("ldaps://") {
                return Err("ldap backend: starttls = true needs ldap:// URLs".into());
            }
        }
        match (&self.user_dn, &self.base) {
            (Some(t), _) if !t.contains("{user}") => Err("ldap backend: user_dn must contain {user}".into()),
            (None, None) => Err("ldap backend: set user_dn (direct bind) or base (search-then-bind)".into()),
            (None, Some(_)) if !self.user_filter.contains("{user}") => {
                Err("ldap backend: user_filter must contain {user}".into())
            }
            _ if self.bind_password.is_some() && self.bind_password_file.is_some() => {
                Err("ldap backend: set bind_password or bind_password_file, not both".into())
            }
            _ if self.bind_dn.is_none() && (self.bind_password.is_some() || self.bind_password_file.is_some()) => {
                Err("ldap backend: a bind password needs bind_dn".into())
            }
            _ if self.bind_dn.is_some() && self.bind_password.is_none() && self.bind_password_file.is_none() => {
                Err("ldap backend: bind_dn needs bind_password or bind_password_file".into())
            }
            _ if self.timeout.is_zero() => Err("ldap backend: timeout must be > 0".into()),
            _ => Ok(()),
        }
    }
}

/// `kind = "pam"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PamConfig {
    /// PAM service name (a file in /etc/pam.d).
    #[serde(default = "default_pam_service")]
    pub service: String,
}

fn default_pam_service() -> String {
    "wicket".into()
}

/// `kind = "local"` has no options of its own (the store is `[store]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalBackendConfig {}
