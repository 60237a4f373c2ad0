//! The provider's discovery document (OpenID Connect Discovery 1.0), checked: its `issuer`
//! is the configured one exactly, every endpoint Wicket calls is https (or http on
//! loopback, see [`super::url_allowed`]), the code flow and S256 are offered.

use super::{OidcError, Result, url_allowed};
use serde::Deserialize;

/// The well-known path appended to the issuer.
pub const WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// How the client proves itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with the client id and secret (the default of the spec).
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Post,
}

/// What Wicket uses of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// The issuer (equal to the configured one).
    pub issuer: String,
    /// Where the browser is sent.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// The key set.
    pub jwks_uri: String,
    /// The userinfo endpoint, if any.
    pub userinfo_endpoint: Option<String>,
    /// Which client authentication to use.
    pub client_auth: ClientAuth,
}

#[derive(Deserialize)]
struct Raw {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    userinfo_endpoint: Option<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    response_types_supported: Vec<String>,
}

/// The discovery URL of `issuer`.
pub fn discovery_url(issuer: &str) -> String {
    format!("{}{WELL_KNOWN}", issuer.trim_end_matches('/'))
}

/// Parses and checks a discovery document for `issuer`.
pub fn parse(body: &[u8], issuer: &str) -> Result<Discovery> {
    let raw: Raw = serde_json::from_slice(body).map_err(|_| OidcError::Malformed("discovery document"))?;
    if raw.issuer != issuer {
        return Err(OidcError::IssuerMismatch);
    }
    for url in [&raw.authorization_endpoint, &raw.token_endpoint, &raw.jwks_uri] {
        if !url_allowed(url) {
            return Err(OidcError::InsecureUrl);
        }
    }
    if raw.userinfo_endpoint.as_deref().is_some_and(|u| !url_allowed(u)) {
        return Err(OidcError::InsecureUrl);
    }
    if !raw.response_types_supported.is_empty() && !raw.response_types_supported.iter().any(|r| r == "code") {
        return Err(OidcError::Malformed("provider does not offer the code flow"));
    }
    // Absent means unknown: PKCE is sent anyway (a provider that ignores it still works).
    if raw.code_challenge_methods_supported.as_ref().is_some_and(|m| !m.iter().any(|m| m == "S256")) {
        return Err(OidcError::Malformed("provider does not offer PKCE with S256"));
    }
    let client_auth = match raw.token_endpoint_auth_methods_supported.as_deref() {
        None => ClientAuth::Basic,
        Some(m) if m.iter().any(|m| m == "client_secret_basic") => ClientAuth::Basic,
        Some(m) if m.iter().any(|m| m == "client_secret_post") => ClientAuth::Post,
        Some(_) => return Err(OidcError::Malformed("token endpoint takes neither client_secret_basic nor _post")),
    };
    Ok(Discovery {
        issuer: raw.issuer,
        authorization_endpoint: raw.authorization_endpoint,
        token_endpoint: raw.token_endpoint,
        jwks_uri: raw.jwks_uri,
        userinfo_endpoint: raw.userinfo_endpoint,
        client_auth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://idp.example.org";

    fn doc() -> serde_json::Value {
        json!({
            "issuer": ISS,
            "authorization_endpoint": "https://idp.example.org/auth",
            "token_endpoint": "https://idp.example.org/token",
            "jwks_uri": "https://idp.example.org/jwks",
            "userinfo_endpoint": "https://idp.example.org/me",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"]
        })
    }

    fn parsed(v: &serde_json::Value) -> Result<Discovery> {
        parse(v.to_string().as_bytes(), ISS)
    }

    #[test]
    fn a_good_document() {
        let d = parsed(&doc()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.client_auth, ClientAuth::Post);
        assert_eq!(d.userinfo_endpoint.as_deref(), Some("https://idp.example.org/me"));
        let mut v = doc();
        v.as_object_mut().map(|o| o.remove("token_endpoint_auth_methods_supported"));
        assert_eq!(parsed(&v).map(|d| d.client_auth), Ok(ClientAuth::Basic));
        assert_eq!(discovery_url("https://idp.example.org/realms/x/"), format!("{ISS}/realms/x{WELL_KNOWN}"));
    }

    #[test]
    fn refusals() {
        let change = |k: &str, val: serde_json::Value| {
            let mut v = doc();
            v[k] = val;
            parsed(&v)
        };
        assert_eq!(change("issuer", json!("https://evil.example")).err(), Some(OidcError::IssuerMismatch));
        assert_eq!(change("token_endpoint", json!("http://idp.example.org/token")).err(), Some(OidcError::InsecureUrl));
        assert_eq!(change("userinfo_endpoint", json!("http://evil.example/me")).err(), Some(OidcError::InsecureUrl));
        assert!(change("code_challenge_methods_supported", json!(["plain"])).is_err());
        assert!(change("response_types_supported", json!(["token"])).is_err());
        assert!(change("token_endpoint_auth_methods_supported", json!(["private_key_jwt"])).is_err());
        assert!(parse(b"<html>", ISS).is_err());
    }
}
