//! The bearer token format against vectors computed outside Wicket (SHA-256 from Python's
//! hashlib, base62 written out by hand), so the checksum is not checked against itself.

use wicket_core::token::{TOKEN_LEN, hash, is_well_formed};

#[test]
fn known_checksum_vectors() {
    // body "0"×22: SHA-256 e4bfa392…, first four bytes 3837764498 in base62, six digits.
    for token in ["wkt_00000000000000000000004BirrO", "wkt_AbCdEfGhIjKlMnOpQrStUv2Yw4YZ"] {
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(is_well_formed(token.as_bytes()), "{token}");
    }
    // One checksum digit off, or a body digit off: refused.
    assert!(!is_well_formed(b"wkt_00000000000000000000004BirrP"));
    assert!(!is_well_formed(b"wkt_00000000000000000000014BirrO"));
    // The stored form is the plain SHA-256 of the token (FIPS 180-2's "abc" vector).
    assert_eq!(hash(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
