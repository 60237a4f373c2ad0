//! Sign-in through an OpenID Connect provider (issue 16): everything that decides, none of
//! the network.
//!
//! The portal (wicketd) runs the authorization code flow and fetches documents; this module
//! judges what comes back, each part a pure function of its inputs (time passed in):
//!
//! - [`pkce`]: the flow's random values — `state`, `nonce`, the PKCE verifier and its S256
//!   challenge — and the authorization URL;
//! - [`discovery`]: the provider's `/.well-known/openid-configuration`, checked (its issuer
//!   is the configured one, every endpoint https or loopback http), and which client
//!   authentication the token endpoint takes;
//! - [`jose`]: JSON Web Keys and the compact JWS of an ID token, its signature checked with
//!   `ring` (RS256/384/512, PS256/384/512, ES256/384, EdDSA; never `none` or HMAC);
//! - [`keys`]: the provider's key set as cached, refetched on an unknown `kid` (key rotation)
//!   at most once per [`keys::REFETCH_INTERVAL`];
//! - [`id_token`]: the ID token's claims checked — `iss`, `aud`, `azp`, `exp`, `iat`
//!   (at most [`id_token::MAX_SKEW_SECS`] ahead), `nonce`;
//! - [`claims`]: who that is in Wicket — the user name (an e-mail only when verified,
//!   canonicalised), the groups, `allowed_domains` and `allowed_groups`.
//!
//! Why `ring` and no JOSE crate: `ring` is already linked (rustls uses it), and the JOSE
//! crates that verify RSA and ECDSA pull either a C crypto library or an RSA crate with an
//! open timing advisory; what an ID token needs from JOSE (split, decode, pick the key, one
//! verify call) is short and tested here against keys made in the tests.

pub mod claims;
pub mod discovery;
pub mod id_token;
pub mod jose;
pub mod keys;
pub mod pkce;

use std::fmt;

/// Why a sign-in through a provider was refused. Never holds a token, a code or a secret;
/// the portal logs it and shows the user a generic page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OidcError {
    /// A document from the provider (discovery, keys, token response, userinfo) is not
    /// what the protocol says; what is wrong, never its content.
    Malformed(&'static str),
    /// An endpoint URL that is neither https nor http on a loopback address.
    InsecureUrl,
    /// The discovery document names another issuer than the configured one.
    IssuerMismatch,
    /// The ID token's algorithm is not one Wicket accepts (`none`, HMAC, unknown).
    Algorithm,
    /// No key of the provider's key set has the token's `kid` (after a refetch, if allowed).
    UnknownKey,
    /// The signature does not verify with the provider's key.
    Signature,
    /// `iss` is not the provider's issuer.
    Issuer,
    /// `aud` does not contain the client id, or `azp` is not the client id.
    Audience,
    /// `exp` has passed.
    Expired,
    /// `iat` is too far in the future.
    IssuedInFuture,
    /// `nonce` is missing or not the one this browser's flow sent.
    Nonce,
    /// The userinfo `sub` is not the ID token's.
    SubjectMismatch,
    /// The claim chosen as the user name is missing or empty, or an e-mail not verified.
    NoUsername(&'static str),
    /// The e-mail's domain is not in `allowed_domains`.
    DomainNotAllowed,
    /// None of the user's groups is in `allowed_groups`.
    GroupNotAllowed,
    /// The provider could not be reached or answered with an error status.
    Unreachable(String),
}

impl fmt::Display for OidcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "malformed answer from the provider: {what}"),
            Self::InsecureUrl => f.write_str("provider URL is neither https nor http on loopback"),
            Self::IssuerMismatch => f.write_str("discovery document names another issuer"),
            Self::Algorithm => f.write_str("ID token algorithm not accepted"),
            Self::UnknownKey => f.write_str("ID token signed with a key the provider does not publish"),
            Self::Signature => f.write_str("ID token signature does not verify"),
            Self::Issuer => f.write_str("ID token issuer is not the provider"),
            Self::Audience => f.write_str("ID token is not for this client"),
            Self::Expired => f.write_str("ID token expired"),
            Self::IssuedInFuture => f.write_str("ID token issued in the future"),
            Self::Nonce => f.write_str("ID token nonce does not match the sign-in"),
            Self::SubjectMismatch => f.write_str("userinfo subject differs from the ID token's"),
            Self::NoUsername(why) => write!(f, "no user name: {why}"),
            Self::DomainNotAllowed => f.write_str("e-mail domain not allowed"),
            Self::GroupNotAllowed => f.write_str("no allowed group"),
            Self::Unreachable(why) => write!(f, "provider unreachable: {why}"),
        }
    }
}

impl std::error::Error for OidcError {}

/// This module's result.
pub type Result<T> = std::result::Result<T, OidcError>;

/// Whether `url` may be used to talk to a provider: `https://`, or `http://` to a loopback
/// address (`127.0.0.0/8`, `[::1]`, `localhost`) — tests and a provider on the same host.
pub fn url_allowed(url: &str) -> bool {
    if url.starts_with("https://") {
        return url.len() > "https://".len();
    }
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.contains('@') {
        return false;
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::url_allowed;

    #[test]
    fn https_or_loopback_http_only() {
        for ok in [
            "https://idp.example.org",
            "https://idp.example.org/realms/x",
            "http://127.0.0.1:9000/",
            "http://127.1.2.3",
            "http://[::1]:80/x",
            "http://localhost:8080",
        ] {
            assert!(url_allowed(ok), "{ok}");
        }
        for bad in [
            "http://idp.example.org",
            "http://127.0.0.1.evil.example/",
            "http://127.0.0.1@evil.example/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "https://",
            "HTTP://127.0.0.1",
            "javascript:alert(1)",
        ] {
            assert!(!url_allowed(bad), "{bad}");
        }
    }
}
