//! The RFC 7616 hash arithmetic: H(A1), the userhash, H(A2), the expected `response`, and the
//! constant-time comparison with what the client sent.
//!
//! The server keeps only H(A1) ("HA1", per realm and algorithm), never the password: every
//! function that verifies works from HA1. HA1 is password-equivalent for Digest, so it travels
//! as a [`Secret`].

use crate::secret::Secret;
use md5::Md5;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::algorithm::Algorithm;
use super::parse::DigestResponse;

/// The inputs of the `qop=auth` response besides HA1 (RFC 7616 §3.4.1), exactly as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseParams<'a> {
    /// The server nonce.
    pub nonce: &'a str,
    /// The nonce count as sent (8 hex digits; its spelling matters for the hash).
    pub nc: &'a str,
    /// The client nonce.
    pub cnonce: &'a str,
    /// The quality of protection; this server only supports `auth`.
    pub qop: &'a str,
    /// The request method (`GET`…).
    pub method: &'a str,
    /// The `uri` parameter (which the verifier has checked equals the request target).
    pub uri: &'a str,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// H(part₀ ":" part₁ ":" …) as lowercase hex, fed piecewise so no joined copy is made.
fn hash_hex(alg: Algorithm, parts: &[&[u8]]) -> Vec<u8> {
    fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut h = D::new();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                h.update(b":");
            }
            h.update(part);
        }
        let digest = h.finalize();
        let mut out = Vec::with_capacity(digest.len() * 2);
        for b in digest.iter() {
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0x0f)]);
        }
        out
    }
    match alg {
        Algorithm::Md5 => run::<Md5>(parts),
        Algorithm::Sha256 => run::<Sha256>(parts),
    }
}

/// Hex digits are ASCII, so this never fails; kept total to avoid an `unwrap`.
fn hex_string(hex: Vec<u8>) -> String {
    String::from_utf8(hex).unwrap_or_default()
}

/// HA1 = H(username ":" realm ":" password) as lowercase hex, wrapped as a [`Secret`]
/// because it is password-equivalent. Store it per realm and algorithm.
///
/// The same formula wicket-core uses when it stores HA1 values
/// ([`crate::password::digest_ha1`]); this is that function for raw password bytes.
pub fn ha1(alg: Algorithm, username: &str, realm: &str, password: &[u8]) -> Secret {
    let password = Secret::new(password.to_vec());
    Secret::from_string(crate::password::digest_ha1(alg, username, realm, &password))
}

/// The `userhash` form of a username: H(username ":" realm) as lowercase hex. Store it next
/// to HA1 so a `userhash=true` response can be mapped back to the user.
pub fn userhash(alg: Algorithm, username: &str, realm: &str) -> String {
    crate::password::digest_userhash(alg, username, realm)
}

/// HA2 = H(method ":" uri) for `qop=auth`, as lowercase hex.
pub fn ha2(alg: Algorithm, method: &str, uri: &str) -> String {
    hex_string(hash_hex(alg, &[method.as_bytes(), uri.as_bytes()]))
}

/// The `response` a client knowing HA1 sends for `qop=auth`:
/// H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2), lowercase hex.
///
/// `ha1_hex` must be lowercase hex as produced by [`ha1`] (uppercase is folded here).
pub fn expected_response(alg: Algorithm, ha1_hex: &[u8], params: &ResponseParams<'_>) -> String {
    let ha1 = Secret::new(ha1_hex.to_ascii_lowercase());
    let ha2 = ha2(alg, params.method, params.uri);
    hex_string(hash_hex(
        alg,
        &[
            ha1.expose(),
            params.nonce.as_bytes(),
            params.nc.as_bytes(),
            params.cnonce.as_bytes(),
            params.qop.as_bytes(),
            ha2.as_bytes(),
        ],
    ))
}

/// Compares two hex responses in constant time (lengths are public: both are fixed by the
/// algorithm). Case-insensitive callers must fold case first; the parser already does.
pub fn responses_match(expected: &str, given: &str) -> bool {
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Checks a parsed `qop=auth` response against HA1 for `method`.
///
/// `false` when the response has no `qop` (RFC 2069 style is not accepted), when HA1 has
/// the wrong length for the response's algorithm, or when the response is wrong. Does not look
/// at realm, uri, nonce validity or nonce counts: [`DigestVerifier`](super::DigestVerifier)
/// does that.
pub fn verify_response(ha1_hex: &Secret, resp: &DigestResponse, method: &str) -> bool {
    let Some(qop) = &resp.qop else {
        return false;
    };
    if ha1_hex.len() != resp.algorithm.hex_len() {
        return false;
    }
    let expected = expected_response(
        resp.algorithm,
        ha1_hex.expose(),
        &ResponseParams {
            nonce: &resp.nonce,
            nc: qop.nc.as_str(),
            cnonce: &qop.cnonce,
            qop: "auth",
            method,
            uri: &resp.uri,
        },
    );
    responses_match(&expected, &resp.response)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7616 §3.9.1.
    const USER: &str = "Mufasa";
    const PASSWORD: &[u8] = b"Circle of Life";
    const REALM: &str = "http-auth@example.org";
    const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

    fn rfc_params() -> ResponseParams<'static> {
        ResponseParams {
            nonce: NONCE,
            nc: "00000001",
            cnonce: CNONCE,
            qop: "auth",
            method: "GET",
            uri: "/dir/index.html",
        }
    }

    #[test]
    fn rfc7616_md5_vector() {
        let ha1 = ha1(Algorithm::Md5, USER, REALM, PASSWORD);
        assert_eq!(expected_response(Algorithm::Md5, ha1.expose(), &rfc_params()), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn rfc7616_sha256_vector() {
        let ha1 = ha1(Algorithm::Sha256, USER, REALM, PASSWORD);
        assert_eq!(ha1.len(), 64);
        assert_eq!(
            expected_response(Algorithm::Sha256, ha1.expose(), &rfc_params()),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn uppercase_ha1_is_folded() {
        let ha1 = ha1(Algorithm::Md5, USER, REALM, PASSWORD);
        let upper = ha1.expose().to_ascii_uppercase();
        assert_eq!(expected_response(Algorithm::Md5, &upper, &rfc_params()), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn userhash_matches_the_definition() {
        // RFC 7616 §3.4.4: userhash = H(unq(username) ":" unq(realm)).
        let sha = Sha256::digest(b"Mufasa:http-auth@example.org");
        let expected: String = sha.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(userhash(Algorithm::Sha256, USER, REALM), expected);
        assert_eq!(userhash(Algorithm::Md5, USER, REALM).len(), 32);
    }

    #[test]
    fn response_comparison() {
        assert!(responses_match("abcd", "abcd"));
        assert!(!responses_match("abcd", "abce"));
        assert!(!responses_match("abcd", "abc"));
    }

    #[test]
    fn algorithm_tokens() {
        assert_eq!(Algorithm::from_token("md5"), Some(Algorithm::Md5));
        assert_eq!(Algorithm::from_token("SHA-256"), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::from_token("sha-256"), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::from_token("MD5-sess"), None);
        assert_eq!(Algorithm::from_token("SHA-256-sess"), None);
        assert_eq!(Algorithm::from_token("SHA-512-256"), None);
        assert_eq!((Algorithm::Sha256.as_str(), Algorithm::Md5.as_str()), ("SHA-256", "MD5"));
    }
}
