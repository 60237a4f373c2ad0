//! The JOSE an ID token needs: a JSON Web Key set (RFC 7517) and a compact JWS (RFC 7515)
//! whose signature is checked with `ring`.
//!
//! Accepted: RS256/384/512 and PS256/384/512 (RSA, 2048 to 8192 bits), ES256 and ES384
//! (P-256, P-384), EdDSA (Ed25519). Refused: `none`, the HMAC algorithms (a client secret is
//! not a key for identity), anything else, and a header with `crit` or `jku`/`x5u` (keys come
//! only from the provider's published set). A key is used only for the algorithm its type and
//! curve allow, and not when its `use` is other than `sig`.

use super::{OidcError, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde::Deserialize;

/// Longest ID token considered (the portal reads at most this from a response anyway).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// One public key of the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// `kid`, if the provider names its keys.
    pub kid: Option<String>,
    /// `alg` when the key pins one.
    pub alg: Option<String>,
    material: KeyMaterial,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyMaterial {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The uncompressed point `04 ‖ x ‖ y`.
    Ec {
        curve: Curve,
        point: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawKey {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

fn b64(field: Option<&String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(field?.trim_end_matches('=')).ok().filter(|v| !v.is_empty())
}

/// The signing keys of a JWKS document. Keys of other types, for encryption, or malformed
/// are skipped (a provider may publish some Wicket cannot use); a document that is not a
/// key set is an error.
pub fn parse_jwks(body: &[u8]) -> Result<Vec<Jwk>> {
    let set: RawSet = serde_json::from_slice(body).map_err(|_| OidcError::Malformed("JWKS is not a key set"))?;
    Ok(set.keys.into_iter().filter_map(|v| serde_json::from_value::<RawKey>(v).ok()).filter_map(key_of).collect())
}

fn key_of(raw: RawKey) -> Option<Jwk> {
    if raw.use_.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    let material = match (raw.kty.as_str(), raw.crv.as_deref()) {
        ("RSA", _) => KeyMaterial::Rsa { n: b64(raw.n.as_ref())?, e: b64(raw.e.as_ref())? },
        ("EC", Some(crv @ ("P-256" | "P-384"))) => {
            let (curve, len) = if crv == "P-256" { (Curve::P256, 32) } else { (Curve::P384, 48) };
            let (x, y) = (b64(raw.x.as_ref())?, b64(raw.y.as_ref())?);
            if x.len() != len || y.len() != len {
                return None;
            }
            let mut point = vec![0x04];
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            KeyMaterial::Ec { curve, point }
        }
        ("OKP", Some("Ed25519")) => KeyMaterial::Ed25519(b64(raw.x.as_ref())?),
        _ => return None,
    };
    Some(Jwk { kid: raw.kid, alg: raw.alg, material })
}

/// The protected header of a JWS, as far as Wicket reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Header {
    /// The signature algorithm.
    pub alg: String,
    /// Which of the provider's keys signed it.
    pub kid: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
    #[serde(default)]
    jku: Option<serde_json::Value>,
    #[serde(default)]
    x5u: Option<serde_json::Value>,
}

/// A compact JWS split and decoded, not yet verified.
#[derive(Debug, Clone)]
pub struct Jws {
    /// The header.
    pub header: Header,
    signing_input: String,
    signature: Vec<u8>,
    payload: Vec<u8>,
}

impl Jws {
    /// Splits `token` (`header.payload.signature`, base64url each).
    pub fn parse(token: &str) -> Result<Self> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(OidcError::Malformed("ID token too long"));
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(OidcError::Malformed("ID token is not a compact JWS"));
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| OidcError::Malformed("ID token encoding"));
        let header: Header =
            serde_json::from_slice(&decode(h)?).map_err(|_| OidcError::Malformed("ID token header"))?;
        if header.crit.is_some() || header.jku.is_some() || header.x5u.is_some() {
            return Err(OidcError::Algorithm);
        }
        Ok(Self { header, signing_input: format!("{h}.{p}"), signature: decode(s)?, payload: decode(p)? })
    }

    /// The payload, once [`verify`](Self::verify) said the signature is good.
    pub fn verify(&self, key: &Jwk) -> Result<&[u8]> {
        let alg = verification_algorithm(&self.header.alg, key)?;
        let msg = self.signing_input.as_bytes();
        let ok = match &key.material {
            KeyMaterial::Rsa { n, e } => {
                let params = rsa_params(&self.header.alg).ok_or(OidcError::Algorithm)?;
                signature::RsaPublicKeyComponents { n, e }.verify(params, msg, &self.signature).is_ok()
            }
            KeyMaterial::Ec { point, .. } => UnparsedPublicKey::new(alg, point).verify(msg, &self.signature).is_ok(),
            KeyMaterial::Ed25519(x) => UnparsedPublicKey::new(alg, x).verify(msg, &self.signature).is_ok(),
        };
        if ok { Ok(&self.payload) } else { Err(OidcError::Signature) }
    }
}

/// Whether `key` may verify `alg`: the algorithm is one Wicket accepts, of the key's type
/// (and curve), and the key does not pin another.
fn verification_algorithm(alg: &str, key: &Jwk) -> Result<&'static dyn VerificationAlgorithm> {
    if key.alg.as_deref().is_some_and(|a| a != alg) {
        return Err(OidcError::Algorithm);
    }
    let chosen: &'static dyn VerificationAlgorithm = match (&key.material, alg) {
        (KeyMaterial::Rsa { .. }, "RS256") => &signature::RSA_PKCS1_2048_8192_SHA256,
        (KeyMaterial::Rsa { .. }, "RS384") => &signature::RSA_PKCS1_2048_8192_SHA384,
        (KeyMaterial::Rsa { .. }, "RS512") => &signature::RSA_PKCS1_2048_8192_SHA512,
        (KeyMaterial::Rsa { .. }, "PS256") => &signature::RSA_PSS_2048_8192_SHA256,
        (KeyMaterial::Rsa { .. }, "PS384") => &signature::RSA_PSS_2048_8192_SHA384,
        (KeyMaterial::Rsa { .. }, "PS512") => &signature::RSA_PSS_2048_8192_SHA512,
        (KeyMaterial::Ec { curve: Curve::P256, .. }, "ES256") => &signature::ECDSA_P256_SHA256_FIXED,
        (KeyMaterial::Ec { curve: Curve::P384, .. }, "ES384") => &signature::ECDSA_P384_SHA384_FIXED,
        (KeyMaterial::Ed25519(_), "EdDSA") => &signature::ED25519,
        _ => return Err(OidcError::Algorithm),
    };
    Ok(chosen)
}

fn rsa_params(alg: &str) -> Option<&'static signature::RsaParameters> {
    Some(match alg {
        "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
        "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
        "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
        "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
        "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
        "PS512" => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// Whether `alg` is one this module verifies (for the discovery document's list).
pub fn algorithm_supported(alg: &str) -> bool {
    matches!(alg, "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "EdDSA")
}

#[cfg(test)]
pub(crate) mod test_keys {
    //! Keys and token signing for the tests of this module and [`super::super::id_token`].
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ring::rand::SystemRandom;
    use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};

    /// A test signer: an RSA key (testdata/rsa_*.der, PKCS#1 DER made with `openssl genpkey`, test-only) or a fresh P-256 key.
    pub enum Signer {
        Rsa(RsaKeyPair, &'static str),
        Ec(EcdsaKeyPair, &'static str),
    }

    pub fn rsa(which: char, kid: &'static str) -> Signer {
        let der: &[u8] =
            if which == 'a' { include_bytes!("testdata/rsa_a.der") } else { include_bytes!("testdata/rsa_b.der") };
        Signer::Rsa(RsaKeyPair::from_der(der).unwrap_or_else(|e| panic!("{e}")), kid)
    }

    pub fn ec(kid: &'static str) -> Signer {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pk8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap_or_else(|e| panic!("{e}"));
        Signer::Ec(EcdsaKeyPair::from_pkcs8(alg, pk8.as_ref(), &rng).unwrap_or_else(|e| panic!("{e}")), kid)
    }

    impl Signer {
        pub fn kid(&self) -> &'static str {
            match self {
                Self::Rsa(_, k) | Self::Ec(_, k) => k,
            }
        }

        /// The public key as a JWK (JSON).
        pub fn jwk(&self) -> serde_json::Value {
            let enc = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
            match self {
                Self::Rsa(k, kid) => {
                    let c = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(k.public());
                    serde_json::json!({"kty": "RSA", "kid": kid, "use": "sig", "n": enc(&c.n), "e": enc(&c.e)})
                }
                Self::Ec(k, kid) => {
                    let p = k.public_key().as_ref();
                    serde_json::json!({"kty": "EC", "kid": kid, "crv": "P-256", "x": enc(&p[1..33]), "y": enc(&p[33..65])})
                }
            }
        }

        /// A compact JWS of `claims` with header `alg`/`kid`.
        pub fn sign_with(&self, alg: &str, kid: &str, claims: &serde_json::Value) -> String {
            let header = serde_json::json!({"alg": alg, "kid": kid, "typ": "JWT"});
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let rng = SystemRandom::new();
            let sig = match self {
                Self::Rsa(k, _) => {
                    let mut sig = vec![0; k.public().modulus_len()];
                    k.sign(&signature::RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig)
                        .unwrap_or_else(|e| panic!("{e}"));
                    sig
                }
                Self::Ec(k, _) => k.sign(&rng, input.as_bytes()).unwrap_or_else(|e| panic!("{e}")).as_ref().to_vec(),
            };
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
        }

        pub fn sign(&self, claims: &serde_json::Value) -> String {
            let alg = if matches!(self, Self::Rsa(..)) { "RS256" } else { "ES256" };
            self.sign_with(alg, self.kid(), claims)
        }
    }

    pub fn jwks(signers: &[&Signer]) -> Vec<u8> {
        serde_json::json!({"keys": signers.iter().map(|s| s.jwk()).collect::<Vec<_>>()}).to_string().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::test_keys::{ec, jwks, rsa};
    use super::*;
    use serde_json::json;

    fn key(set: &[u8], kid: &str) -> Jwk {
        parse_jwks(set)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .find(|k| k.kid.as_deref() == Some(kid))
            .unwrap_or_else(|| panic!("no key {kid}"))
    }

    #[test]
    fn rs256_and_es256_verify() {
        for signer in [rsa('a', "r1"), ec("e1")] {
            let set = jwks(&[&signer]);
            let token = signer.sign(&json!({"sub": "x"}));
            let jws = Jws::parse(&token).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(jws.header.kid.as_deref(), Some(signer.kid()));
            let payload = jws.verify(&key(&set, signer.kid())).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(payload, br#"{"sub":"x"}"#);
        }
    }

    #[test]
    fn another_key_or_a_tampered_token_fails() {
        let (a, b) = (rsa('a', "r1"), rsa('b', "r1"));
        let token = a.sign(&json!({"sub": "x"}));
        let jws = Jws::parse(&token).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(jws.verify(&key(&jwks(&[&b]), "r1")).err(), Some(OidcError::Signature));
        // The payload swapped for another, the signature kept.
        let other = a.sign(&json!({"sub": "admin"}));
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = other.split('.').nth(1).unwrap_or_default();
        let forged = Jws::parse(&parts.join(".")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(forged.verify(&key(&jwks(&[&a]), "r1")).err(), Some(OidcError::Signature));
    }

    #[test]
    fn none_hmac_and_cross_type_algorithms_are_refused() {
        let a = rsa('a', "r1");
        let e = ec("e1");
        let set = jwks(&[&a, &e]);
        for (alg, kid) in [("none", "r1"), ("HS256", "r1"), ("ES256", "r1"), ("RS256", "e1"), ("ES384", "e1")] {
            let token = a.sign_with(alg, kid, &json!({"sub": "x"}));
            let jws = Jws::parse(&token).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(jws.verify(&key(&set, kid)).err(), Some(OidcError::Algorithm), "{alg} with {kid}");
        }
    }

    #[test]
    fn headers_pointing_elsewhere_are_refused() {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","jku":"https://evil.example/keys"}"#);
        assert_eq!(Jws::parse(&format!("{h}.e30.AAAA")).err(), Some(OidcError::Algorithm));
        for bad in ["", "a.b", "a.b.c.d", "!!.e30.AA", &"a".repeat(MAX_TOKEN_LEN + 1)] {
            assert!(matches!(Jws::parse(bad), Err(OidcError::Malformed(_))), "{bad:.20}");
        }
    }

    #[test]
    fn jwks_skips_what_it_cannot_use() {
        let set = json!({"keys": [
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "short", "crv": "P-256", "x": "AQAB", "y": "AQAB"},
            {"kty": "RSA", "kid": "ok", "n": "AQAB", "e": "AQAB"},
            "junk"
        ]});
        let keys = parse_jwks(set.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(keys.iter().map(|k| k.kid.as_deref()).collect::<Vec<_>>(), vec![Some("ok")]);
        assert!(parse_jwks(b"{}").is_err());
        assert!(parse_jwks(b"not json").is_err());
    }
}
