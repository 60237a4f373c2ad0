//! `[[oidc]]`: OpenID Connect providers the portal offers as "Sign in with NAME" (issue 16).
//! Each needs `[session]` with `portal_url`: the redirect URI registered at the provider is
//! `portal_url` + `/oidc/callback`.

use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// The path of the callback under `portal_url`.
pub const CALLBACK_PATH: &str = "/oidc/callback";

/// Which claim becomes the Wicket user name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsernameClaim {
    /// `preferred_username` (the default).
    PreferredUsername,
    /// `email`, only when `email_verified` is true.
    Email,
    /// `sub`, the provider's opaque identifier.
    Sub,
}

/// Who may sign in the first time a provider's subject is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provision {
    /// Only a name that is already a local Wicket user: the sign-in is that user's (the
    /// default). The subject is linked to the user on first sign-in.
    Existing,
    /// A name not known yet becomes an external user `oidc:NAME` on first sign-in.
    Create,
}

/// The client secret: never printed, wiped on drop.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub struct ClientSecret(Zeroizing<String>);

impl From<String> for ClientSecret {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl ClientSecret {
    /// Wraps a secret read from a file.
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The secret, for the token request only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// One `[[oidc]]` provider.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// Shown as "Sign in with NAME"; also how `/oidc/start?provider=` names it.
    pub name: String,
    /// The issuer URL; discovery is `issuer` + `/.well-known/openid-configuration`.
    pub issuer: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret, inline.
    #[serde(default)]
    pub client_secret: Option<ClientSecret>,
    /// Or a file holding it (mode 0600 or 0640), read when a code is exchanged.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// Scopes asked for; must include `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Which claim is the user name.
    #[serde(default = "default_username_claim")]
    pub username_claim: UsernameClaim,
    /// A claim carrying group names (a string or a list), if any.
    #[serde(default)]
    pub groups_claim: Option<String>,
    /// E-mail domains allowed (the verified `email` claim's, lower case); empty = any.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// Provider groups of which the user must have one; empty = any.
    #[serde(default)]
    pub allowed_groups: Vec<String>,
    /// First sign-in policy.
    #[serde(default = "default_provision")]
    pub provision: Provision,
    /// Also ask the userinfo endpoint (its claims join the ID token's; `sub` must match).
    #[serde(default)]
    pub userinfo: bool,
}

fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email"].map(String::from).to_vec()
}

fn default_username_claim() -> UsernameClaim {
    UsernameClaim::PreferredUsername
}

fn default_provision() -> Provision {
    Provision::Existing
}

/// Longest provider name.
pub const MAX_PROVIDER_NAME: usize = 40;

impl OidcConfig {
    /// Checks one provider (the relations with `[session]` and the other providers are
    /// [`validate_all`]'s).
    fn validate(&self) -> std::result::Result<(), String> {
        let n = &self.name;
        let name_ok = !n.trim().is_empty()
            && n.chars().count() <= MAX_PROVIDER_NAME
            && n.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'));
        if !name_ok {
            return Err(format!("oidc.name must be 1 to {MAX_PROVIDER_NAME} letters, digits, spaces, '-', '_' or '.'"));
        }
        if !crate::oidc::url_allowed(&self.issuer) {
            return Err(format!(
                "oidc \"{n}\": issuer must be an https:// URL (http:// only on a loopback address, for tests)"
            ));
        }
        if self.client_id.is_empty() || self.client_id.chars().any(char::is_control) {
            return Err(format!("oidc \"{n}\": client_id must be non-empty"));
        }
        match (&self.client_secret, &self.client_secret_file) {
            (Some(_), Some(_)) => {
                return Err(format!("oidc \"{n}\": give client_secret or client_secret_file, not both"));
            }
            (None, None) => return Err(format!("oidc \"{n}\": client_secret or client_secret_file is required")),
            (Some(s), None) if s.expose().is_empty() => {
                return Err(format!("oidc \"{n}\": client_secret must not be empty"));
            }
            _ => {}
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            return Err(format!("oidc \"{n}\": scopes must include openid"));
        }
        if self.scopes.iter().any(|s| s.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic() && b != b'"')) {
            return Err(format!("oidc \"{n}\": scopes must be printable words without spaces"));
        }
        if !self.allowed_groups.is_empty() && self.groups_claim.is_none() {
            return Err(format!("oidc \"{n}\": allowed_groups needs groups_claim"));
        }
        Ok(())
    }

    /// `allowed_domains` in lower case without a leading `@`.
    pub fn domains(&self) -> Vec<String> {
        self.allowed_domains.iter().map(|d| d.trim_start_matches('@').to_ascii_lowercase()).collect()
    }
}

/// Checks every provider and what they need: `[session]` with `portal_url`, unique names.
pub(super) fn validate_all(providers: &[OidcConfig], portal_url: Option<&str>) -> std::result::Result<(), String> {
    if providers.is_empty() {
        return Ok(());
    }
    if portal_url.is_none() {
        return Err("[[oidc]] needs [session] with portal_url (the redirect URI is portal_url + /oidc/callback)".into());
    }
    for (i, p) in providers.iter().enumerate() {
        p.validate()?;
        if providers[..i].iter().any(|q| q.name.to_lowercase() == p.name.to_lowercase()) {
            return Err(format!("oidc \"{}\" is named twice", p.name));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Provision, UsernameClaim};

    const SESSION: &str = "[session]\nportal_url = \"https://auth.example.org\"\n";

    fn parse(oidc: &str) -> crate::Result<Config> {
        Config::parse(&format!("{SESSION}[[oidc]]\n{oidc}"))
    }

    #[test]
    fn a_provider_with_defaults() {
        let cfg = parse("name = \"Example\"\nissuer = \"https://idp.example.org\"\nclient_id = \"wicket\"\nclient_secret = \"s3cret\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let p = &cfg.oidc[0];
        assert_eq!(p.scopes, ["openid", "profile", "email"]);
        assert_eq!(p.username_claim, UsernameClaim::PreferredUsername);
        assert_eq!(p.provision, Provision::Existing);
        assert!(!p.userinfo);
        assert!(!format!("{cfg:?}").contains("s3cret"), "the secret is not printed");
    }

    #[test]
    fn refusals_name_the_key() {
        let base = "name = \"Example\"\nclient_id = \"wicket\"\nclient_secret = \"s\"\n";
        let cases = [
            (format!("{base}issuer = \"http://idp.example.org\"\n"), "issuer"),
            (format!("{base}issuer = \"http://127.0.0.1:9/\"\nscopes = [\"email\"]\n"), "openid"),
            (format!("{base}issuer = \"https://i\"\nallowed_groups = [\"x\"]\n"), "groups_claim"),
            (format!("{base}issuer = \"https://i\"\nclient_secret_file = \"/x\"\n"), "not both"),
            (format!("{base}issuer = \"https://i\"\nprovision = \"always\"\n"), "provision"),
            (format!("{base}issuer = \"https://i\"\nusername_claim = \"nickname\"\n"), "username_claim"),
            ("name = \"x\"\nissuer = \"https://i\"\nclient_id = \"c\"\n".to_string(), "client_secret"),
            (
                "name = \"a<b\"\nissuer = \"https://i\"\nclient_id = \"c\"\nclient_secret = \"s\"\n".to_string(),
                "oidc.name",
            ),
        ];
        for (text, key) in cases {
            let err = parse(&text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(key), "{key}: {err}");
            assert!(!err.contains("\"s\""), "{err}");
        }
        let one = "name = \"X\"\nissuer = \"https://i\"\nclient_id = \"c\"\nclient_secret = \"s\"\n";
        let err = Config::parse(&format!("[[oidc]]\n{one}")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("portal_url"), "{err}");
        let err = Config::parse(&format!("{SESSION}[[oidc]]\n{one}[[oidc]]\n{}", one.replace("\"X\"", "\"x\"")))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("twice"), "{err}");
    }
}
