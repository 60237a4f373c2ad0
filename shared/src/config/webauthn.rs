//! `[webauthn]`: passkeys in the portal (issue 14). Passkeys need `[session] portal_url`:
//! its origin is the one every ceremony must come from, and its host the default relying
//! party id.

use serde::Deserialize;

/// Whether the authenticator must verify the user (PIN, biometrics) — the UV flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UserVerification {
    /// Asked for; a passkey without it still counts (presence is always required).
    #[default]
    Preferred,
    /// Refused without the UV flag.
    Required,
    /// Not asked for.
    Discouraged,
}

impl UserVerification {
    /// The WebAuthn option value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preferred => "preferred",
            Self::Required => "required",
            Self::Discouraged => "discouraged",
        }
    }
}

/// `[webauthn]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebauthnConfig {
    /// Offer passkeys at all (with a `portal_url`).
    pub enabled: bool,
    /// The relying party id; `None` = the portal's host. Must be that host or a registrable
    /// suffix of it (`example.org` for `auth.example.org`).
    pub rp_id: Option<String>,
    /// `preferred`, `required` or `discouraged`.
    pub user_verification: UserVerification,
    /// Offer "Sign in with a passkey" on the sign-in page: a passkey with user
    /// verification alone signs a local user in (two factors).
    pub passwordless: bool,
}

impl Default for WebauthnConfig {
    fn default() -> Self {
        Self { enabled: true, rp_id: None, user_verification: UserVerification::default(), passwordless: false }
    }
}

/// The relying party as a ceremony needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingPartyConfig {
    /// The rp id.
    pub id: String,
    /// `scheme://host[:port]` of the portal.
    pub origin: String,
    /// UV required.
    pub require_uv: bool,
}

/// `scheme://host[:port]` and the lower-case host of a portal URL.
fn origin_and_host(portal_url: &str) -> Option<(String, String)> {
    let (scheme, rest) = portal_url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { authority });
    if host.is_empty() || host.starts_with('[') {
        return None;
    }
    Some((format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()), host.to_ascii_lowercase()))
}

impl WebauthnConfig {
    /// The relying party for a portal at `portal_url`; `None` when passkeys are off or
    /// there is no portal URL.
    pub fn relying_party(&self, portal_url: Option<&str>) -> Option<RelyingPartyConfig> {
        if !self.enabled {
            return None;
        }
        let (origin, host) = origin_and_host(portal_url?)?;
        let id = self.rp_id.clone().unwrap_or(host);
        Some(RelyingPartyConfig { id, origin, require_uv: self.user_verification == UserVerification::Required })
    }

    /// Checks what serde cannot.
    pub(super) fn validate(&self, portal_url: Option<&str>) -> std::result::Result<(), String> {
        let Some(rp_id) = &self.rp_id else { return Ok(()) };
        let ok_chars = !rp_id.is_empty()
            && rp_id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'))
            && !rp_id.starts_with('.')
            && !rp_id.ends_with('.');
        if !ok_chars {
            return Err("webauthn.rp_id must be a lower-case host name such as example.org".into());
        }
        let Some((_, host)) = portal_url.and_then(origin_and_host) else {
            return Err("webauthn.rp_id needs session.portal_url".into());
        };
        if host != *rp_id && !host.ends_with(&format!(".{rp_id}")) {
            return Err("webauthn.rp_id must be the portal's host or a parent domain of it".into());
        }
        if !rp_id.contains('.') {
            return Err("webauthn.rp_id must not be a top-level domain".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const SESSION: &str = "[session]\nportal_url = \"https://Auth.Example.org:8443/x\"\n";

    #[test]
    fn the_relying_party_defaults_to_the_portal_host() {
        let c = Config::parse(SESSION).unwrap_or_else(|e| panic!("{e}"));
        let url = c.session.as_ref().and_then(|s| s.portal_url.as_deref());
        let rp = c.webauthn.relying_party(url).unwrap_or_else(|| panic!("no rp"));
        assert_eq!(
            (rp.id.as_str(), rp.origin.as_str(), rp.require_uv),
            ("auth.example.org", "https://auth.example.org:8443", false)
        );
        let c =
            Config::parse(&format!("{SESSION}[webauthn]\nrp_id = \"example.org\"\nuser_verification = \"required\"\n"))
                .unwrap_or_else(|e| panic!("{e}"));
        let rp = c.webauthn.relying_party(url).unwrap_or_else(|| panic!("no rp"));
        assert_eq!((rp.id.as_str(), rp.require_uv), ("example.org", true));
        assert_eq!(c.webauthn.relying_party(None), None);
    }

    #[test]
    fn an_rp_id_outside_the_portal_host_is_refused() {
        for (text, why) in [
            (format!("{SESSION}[webauthn]\nrp_id = \"evil.org\"\n"), "parent domain"),
            (format!("{SESSION}[webauthn]\nrp_id = \"ample.org\"\n"), "parent domain"),
            (format!("{SESSION}[webauthn]\nrp_id = \"org\"\n"), "top-level"),
            ("[webauthn]\nrp_id = \"example.org\"\n".to_string(), "portal_url"),
            (format!("{SESSION}[webauthn]\nrp_id = \"Example.org\"\n"), "lower-case"),
            (format!("{SESSION}[webauthn]\nuser_verification = \"always\"\n"), "user_verification"),
        ] {
            let e = Config::parse(&text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
