//! The random values of one sign-in (RFC 6749 `state`, OpenID `nonce`, RFC 7636 PKCE) and
//! the authorization URL that carries them.

use super::{OidcError, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Characters left as they are in a query value: RFC 3986 unreserved.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `state`, `nonce` and the PKCE verifier of one flow: 256 random bits each, base64url
/// (43 characters, within RFC 7636's 43 to 128 for the verifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSecrets {
    /// Returned by the provider with the code; must equal what this browser was given.
    pub state: String,
    /// Put in the ID token by the provider; must equal what this browser was given.
    pub nonce: String,
    /// Sent with the code to the token endpoint; only its hash went to the browser's URL.
    pub verifier: String,
}

fn random() -> Result<String> {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut b).map_err(|_| OidcError::Unreachable("random generator".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

impl FlowSecrets {
    /// Fresh values from the operating system's generator.
    pub fn generate() -> Result<Self> {
        Ok(Self { state: random()?, nonce: random()?, verifier: random()? })
    }

    /// The S256 challenge: `base64url(SHA-256(verifier))`.
    pub fn challenge(&self) -> String {
        challenge(&self.verifier)
    }
}

/// The S256 challenge of `verifier`.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `value` percent-encoded for a query string or form body.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

/// The authorization request: `endpoint?response_type=code&client_id=…&redirect_uri=…&
/// scope=…&state=…&nonce=…&code_challenge=…&code_challenge_method=S256`.
pub fn authorization_url(
    endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[String],
    secrets: &FlowSecrets,
) -> String {
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    let pairs = [
        ("response_type", "code".to_string()),
        ("client_id", client_id.to_string()),
        ("redirect_uri", redirect_uri.to_string()),
        ("scope", scopes.join(" ")),
        ("state", secrets.state.clone()),
        ("nonce", secrets.nonce.clone()),
        ("code_challenge", secrets.challenge()),
        ("code_challenge_method", "S256".to_string()),
    ];
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("{endpoint}{sep}{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_is_base64url_sha256_of_the_verifier() {
        // Expected value computed independently: base64.urlsafe_b64encode(hashlib.sha256(v)) in Python.
        assert_eq!(
            challenge("dBjftJeZ4CVP-1mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "kN9h2rnhp5C27t8fWCnWyWru7TP49F1mKPMp27QMhv0"
        );
    }

    #[test]
    fn secrets_are_fresh_and_long_enough() {
        let (a, b) = (FlowSecrets::generate(), FlowSecrets::generate());
        let (a, b) = (a.unwrap_or_else(|e| panic!("{e}")), b.unwrap_or_else(|e| panic!("{e}")));
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, a.state);
        assert_eq!(a.verifier.len(), 43);
        assert_ne!(a.challenge(), a.verifier);
    }

    #[test]
    fn authorization_url_carries_everything_encoded() {
        let s = FlowSecrets { state: "st".into(), nonce: "no".into(), verifier: "v".repeat(43) };
        let url = authorization_url(
            "https://idp.example.org/auth?tenant=x",
            "wicket app",
            "https://auth.example.org/oidc/callback",
            &["openid".into(), "email".into()],
            &s,
        );
        assert!(url.starts_with("https://idp.example.org/auth?tenant=x&response_type=code&client_id=wicket%20app&"));
        assert!(url.contains("&redirect_uri=https%3A%2F%2Fauth.example.org%2Foidc%2Fcallback&"));
        assert!(url.contains("&scope=openid%20email&state=st&nonce=no&code_challenge="));
        assert!(url.ends_with("&code_challenge_method=S256"));
        assert!(!url.contains(&s.verifier), "the verifier itself never goes to the browser");
    }
}
