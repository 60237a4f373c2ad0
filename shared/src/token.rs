//! Bearer tokens: `wkt_` + 22 base62 characters of randomness (≥128 bits) + a 6-character
//! base62 checksum. The checksum lets Wicket (and secret scanners) refuse a mistyped or
//! truncated token without touching the database. Only the SHA-256 of a token is stored.

use crate::secret::Secret;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "wkt_";
const RANDOM_LEN: usize = 22;
const CHECK_LEN: usize = 6;
/// Total length of a token.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + RANDOM_LEN + CHECK_LEN;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Makes a fresh token from the OS random generator.
pub fn generate() -> Secret {
    let mut random = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let body = base62_fixed(u128::from_be_bytes(random), RANDOM_LEN);
    let mut s = String::with_capacity(TOKEN_LEN);
    s.push_str(TOKEN_PREFIX);
    s.push_str(&body);
    s.push_str(&checksum(&body));
    Secret::from_string(s)
}

/// True when `token` has the right shape and checksum. Cheap; runs before any lookup.
pub fn is_well_formed(token: &[u8]) -> bool {
    if token.len() != TOKEN_LEN || !token.starts_with(TOKEN_PREFIX.as_bytes()) {
        return false;
    }
    let rest = &token[TOKEN_PREFIX.len()..];
    if !rest.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (body, check) = rest.split_at(RANDOM_LEN);
    // Both halves are ASCII alphanumerics, so this is valid UTF-8.
    match std::str::from_utf8(body) {
        Ok(body) => checksum(body).as_bytes() == check,
        Err(_) => false,
    }
}

/// SHA-256 of the token as stored in the database (lowercase hex).
pub fn hash(token: &[u8]) -> String {
    hex(&Sha256::digest(token))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn checksum(body: &str) -> String {
    let d = Sha256::digest(body.as_bytes());
    let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    base62_fixed(u128::from(n), CHECK_LEN)
}

fn base62_fixed(mut n: u128, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_well_formed_and_distinct() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(a.expose().starts_with(b"wkt_"));
        assert!(is_well_formed(a.expose()));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn checksum_catches_a_typo() {
        let t = generate();
        let mut bytes = t.expose().to_vec();
        let i = 10;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        assert!(!is_well_formed(&bytes));
        assert!(!is_well_formed(&t.expose()[..TOKEN_LEN - 1]));
        assert!(!is_well_formed(b""));
        assert!(!is_well_formed("wkt_ééééééééééééééééééééééééééé".as_bytes()));
    }

    #[test]
    fn known_checksum_vector() {
        // 22 zeros encode u128 0; the checksum is a fixed function of the body.
        let body = "0".repeat(22);
        let tok = format!("wkt_{body}{}", checksum(&body));
        assert!(is_well_formed(tok.as_bytes()));
        assert_eq!(hash(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn max_random_fits_width() {
        assert_eq!(base62_fixed(u128::MAX, RANDOM_LEN).len(), RANDOM_LEN);
        assert_ne!(base62_fixed(u128::MAX, RANDOM_LEN), "0".repeat(22));
    }
}
