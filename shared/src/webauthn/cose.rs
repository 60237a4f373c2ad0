//! COSE public keys (RFC 9052/9053) as authenticators send them, and the signature check
//! with `ring`. Accepted: ES256 (EC2 on P-256, alg -7), RS256 (RSA PKCS#1 v1.5 with
//! SHA-256, alg -257, 2048 to 8192 bits) and EdDSA (Ed25519, alg -8). A key is used only for
//! the algorithm it names.

use super::WebauthnError;
use super::cbor::{self, Value};
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};

/// COSE algorithm identifiers this module verifies, in the order the portal offers them.
pub const ALGORITHMS: [i64; 3] = [ES256, EDDSA, RS256];
/// ECDSA with SHA-256 on P-256.
pub const ES256: i64 = -7;
/// Ed25519.
pub const EDDSA: i64 = -8;
/// RSASSA-PKCS1-v1_5 with SHA-256.
pub const RS256: i64 = -257;

/// A parsed public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    /// The uncompressed point `04 ‖ x ‖ y`.
    Es256(Vec<u8>),
    Rs256 {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

fn bad(what: &'static str) -> WebauthnError {
    WebauthnError::Malformed(what)
}

impl PublicKey {
    /// Reads a COSE key; an unsupported type, curve or algorithm is refused.
    pub(crate) fn from_cose(key: &Value) -> Result<Self, WebauthnError> {
        let int = |k| key.int_key(k).and_then(Value::as_int);
        let bytes = |k| key.int_key(k).and_then(Value::as_bytes);
        let (kty, alg) = (int(1).ok_or(bad("COSE key type"))?, int(3).ok_or(bad("COSE algorithm"))?);
        match (kty, alg) {
            (2, a) if a == i128::from(ES256) => {
                let (x, y) = (bytes(-2).ok_or(bad("COSE x"))?, bytes(-3).ok_or(bad("COSE y"))?);
                if int(-1) != Some(1) || x.len() != 32 || y.len() != 32 {
                    return Err(WebauthnError::Algorithm);
                }
                let mut point = vec![4];
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                Ok(Self::Es256(point))
            }
            (3, a) if a == i128::from(RS256) => {
                let (n, e) = (bytes(-1).ok_or(bad("COSE n"))?, bytes(-2).ok_or(bad("COSE e"))?);
                Ok(Self::Rs256 { n: n.to_vec(), e: e.to_vec() })
            }
            (1, a) if a == i128::from(EDDSA) => {
                let x = bytes(-2).ok_or(bad("COSE x"))?;
                if int(-1) != Some(6) || x.len() != 32 {
                    return Err(WebauthnError::Algorithm);
                }
                Ok(Self::Ed25519(x.to_vec()))
            }
            _ => Err(WebauthnError::Algorithm),
        }
    }

    /// Reads a stored COSE key.
    pub(crate) fn from_bytes(cose: &[u8]) -> Result<Self, WebauthnError> {
        Self::from_cose(&cbor::decode_all(cose)?)
    }

    /// Checks `sig` over `message`.
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> Result<(), WebauthnError> {
        let ok = match self {
            Self::Es256(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point).verify(message, sig).is_ok()
            }
            Self::Rs256 { n, e } => {
                RsaPublicKeyComponents { n, e }.verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig).is_ok()
            }
            Self::Ed25519(x) => UnparsedPublicKey::new(&signature::ED25519, x).verify(message, sig).is_ok(),
        };
        if ok { Ok(()) } else { Err(WebauthnError::Signature) }
    }
}
