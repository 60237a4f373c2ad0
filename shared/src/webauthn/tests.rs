//! The verifier against registrations and assertions built here with a P-256 key from
//! `ring`, each check failing on its own.

use super::cbor::Value;
use super::cbor::encode::encode;
use super::*;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};

const ORIGIN: &str = "https://auth.example.org";
const RP: RelyingParty<'static> = RelyingParty { id: "example.org", origin: ORIGIN, require_uv: false };
const CHALLENGE: &[u8] = b"0123456789abcdef0123";
const CRED_ID: &[u8] = b"credential-one";

struct Authenticator {
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

fn authenticator() -> Authenticator {
    let rng = SystemRandom::new();
    let pk8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap_or_else(|e| panic!("{e}"));
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pk8.as_ref(), &rng).unwrap_or_else(|e| panic!("{e}"));
    Authenticator { key, rng }
}

fn client_data(kind: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
    serde_json::json!({"type": kind, "challenge": URL_SAFE_NO_PAD.encode(challenge), "origin": origin})
        .to_string()
        .into_bytes()
}

fn auth_data(rp_id: &str, flags: u8, count: u32, attested: Option<&[u8]>) -> Vec<u8> {
    let mut d = Sha256::digest(rp_id.as_bytes()).to_vec();
    d.push(flags);
    d.extend(count.to_be_bytes());
    if let Some(key) = attested {
        d.extend([0u8; 16]);
        d.extend((CRED_ID.len() as u16).to_be_bytes());
        d.extend(CRED_ID);
        d.extend(key);
    }
    d
}

impl Authenticator {
    fn cose(&self) -> Vec<u8> {
        let p = self.key.public_key().as_ref();
        encode(&Value::Map(vec![
            (Value::Int(1), Value::Int(2)),
            (Value::Int(3), Value::Int(-7)),
            (Value::Int(-1), Value::Int(1)),
            (Value::Int(-2), Value::Bytes(p[1..33].to_vec())),
            (Value::Int(-3), Value::Bytes(p[33..65].to_vec())),
        ]))
    }

    fn attestation(&self, rp_id: &str, flags: u8) -> Vec<u8> {
        let ad = auth_data(rp_id, flags, 0, Some(&self.cose()));
        encode(&Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (Value::Text("attStmt".into()), Value::Map(vec![])),
            (Value::Text("authData".into()), Value::Bytes(ad)),
        ]))
    }

    fn sign(&self, ad: &[u8], cd: &[u8]) -> Vec<u8> {
        let mut msg = ad.to_vec();
        msg.extend(Sha256::digest(cd));
        self.key.sign(&self.rng, &msg).unwrap_or_else(|e| panic!("{e}")).as_ref().to_vec()
    }
}

fn register(a: &Authenticator) -> NewCredential {
    let cd = client_data("webauthn.create", CHALLENGE, ORIGIN);
    verify_registration(&RP, CHALLENGE, &cd, &a.attestation("example.org", 0x45)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_registration_is_accepted_and_each_check_refuses_on_its_own() {
    let a = authenticator();
    let cred = register(&a);
    assert_eq!(cred.id, CRED_ID);
    assert_eq!(cred.public_key, a.cose());
    let good_att = a.attestation("example.org", 0x41);
    let cases: [(&str, Vec<u8>, Vec<u8>, WebauthnError); 5] = [
        ("type", client_data("webauthn.get", CHALLENGE, ORIGIN), good_att.clone(), WebauthnError::Type),
        (
            "challenge",
            client_data("webauthn.create", b"another challenge!!", ORIGIN),
            good_att.clone(),
            WebauthnError::Challenge,
        ),
        (
            "origin",
            client_data("webauthn.create", CHALLENGE, "https://evil.example"),
            good_att.clone(),
            WebauthnError::Origin,
        ),
        (
            "rp id",
            client_data("webauthn.create", CHALLENGE, ORIGIN),
            a.attestation("evil.example", 0x41),
            WebauthnError::RpId,
        ),
        (
            "UP",
            client_data("webauthn.create", CHALLENGE, ORIGIN),
            a.attestation("example.org", 0x40),
            WebauthnError::UserPresence,
        ),
    ];
    for (what, cd, att, want) in cases {
        assert_eq!(verify_registration(&RP, CHALLENGE, &cd, &att), Err(want), "{what}");
    }
    // UV only when required; a missing credential (AT clear) and garbage are malformed.
    let cd = client_data("webauthn.create", CHALLENGE, ORIGIN);
    let strict = RelyingParty { require_uv: true, ..RP };
    assert_eq!(verify_registration(&strict, CHALLENGE, &cd, &good_att), Err(WebauthnError::UserVerification));
    assert!(verify_registration(&strict, CHALLENGE, &cd, &a.attestation("example.org", 0x45)).is_ok());
    let no_cred = encode(&Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text("none".into())),
        (Value::Text("authData".into()), Value::Bytes(auth_data("example.org", 0x01, 0, None))),
    ]));
    assert!(matches!(verify_registration(&RP, CHALLENGE, &cd, &no_cred), Err(WebauthnError::Malformed(_))));
    assert!(matches!(verify_registration(&RP, CHALLENGE, b"{", &good_att), Err(WebauthnError::Malformed(_))));
    assert!(matches!(verify_registration(&RP, CHALLENGE, &cd, &[0xa1]), Err(WebauthnError::Malformed(_))));
    // Cross-origin frames are refused even with the right origin.
    let framed = serde_json::json!({"type": "webauthn.create", "challenge": URL_SAFE_NO_PAD.encode(CHALLENGE),
        "origin": ORIGIN, "crossOrigin": true})
    .to_string();
    assert_eq!(verify_registration(&RP, CHALLENGE, framed.as_bytes(), &good_att), Err(WebauthnError::Origin));
}

#[test]
fn another_attestation_format_is_treated_as_none() {
    let a = authenticator();
    let ad = auth_data("example.org", 0x41, 0, Some(&a.cose()));
    let att = encode(&Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text("packed".into())),
        (Value::Text("attStmt".into()), Value::Map(vec![(Value::Text("alg".into()), Value::Int(-7))])),
        (Value::Text("authData".into()), Value::Bytes(ad)),
    ]));
    let cd = client_data("webauthn.create", CHALLENGE, ORIGIN);
    assert!(verify_registration(&RP, CHALLENGE, &cd, &att).is_ok());
}

#[test]
fn an_assertion_is_accepted_and_each_check_refuses_on_its_own() {
    let a = authenticator();
    let cred = register(&a);
    let assert_with = |rp_id: &str, flags: u8, count: u32, cd: Vec<u8>, stored: u32| {
        let ad = auth_data(rp_id, flags, count, None);
        let sig = a.sign(&ad, &cd);
        let assertion = Assertion { client_data_json: &cd, authenticator_data: &ad, signature: &sig };
        verify_assertion(&RP, CHALLENGE, &cred.public_key, stored, &assertion)
    };
    let get = |c: &[u8], o: &str| client_data("webauthn.get", c, o);
    assert_eq!(assert_with("example.org", 0x05, 7, get(CHALLENGE, ORIGIN), 6), Ok(7));
    // Authenticators without a counter (always 0) are fine.
    assert_eq!(assert_with("example.org", 0x01, 0, get(CHALLENGE, ORIGIN), 0), Ok(0));
    assert_eq!(
        assert_with("example.org", 0x01, 3, client_data("webauthn.create", CHALLENGE, ORIGIN), 0),
        Err(WebauthnError::Type)
    );
    assert_eq!(
        assert_with("example.org", 0x01, 3, get(b"not the challenge!!", ORIGIN), 0),
        Err(WebauthnError::Challenge)
    );
    assert_eq!(
        assert_with("example.org", 0x01, 3, get(CHALLENGE, "http://auth.example.org"), 0),
        Err(WebauthnError::Origin)
    );
    assert_eq!(assert_with("auth.example.org", 0x01, 3, get(CHALLENGE, ORIGIN), 0), Err(WebauthnError::RpId));
    assert_eq!(assert_with("example.org", 0x04, 3, get(CHALLENGE, ORIGIN), 0), Err(WebauthnError::UserPresence));
    // Counter regression (and standing still) is refused: a clone warning.
    assert_eq!(
        assert_with("example.org", 0x01, 5, get(CHALLENGE, ORIGIN), 9),
        Err(WebauthnError::Counter { stored: 9, received: 5 })
    );
    assert_eq!(
        assert_with("example.org", 0x01, 0, get(CHALLENGE, ORIGIN), 9),
        Err(WebauthnError::Counter { stored: 9, received: 0 })
    );
    // A signature by another key, and one over other data.
    let other = authenticator();
    let cd = get(CHALLENGE, ORIGIN);
    let ad = auth_data("example.org", 0x01, 1, None);
    let bad = [other.sign(&ad, &cd), a.sign(&ad, b"other client data"), vec![0x30, 0x00]];
    for sig in bad {
        let assertion = Assertion { client_data_json: &cd, authenticator_data: &ad, signature: &sig };
        assert_eq!(verify_assertion(&RP, CHALLENGE, &cred.public_key, 0, &assertion), Err(WebauthnError::Signature));
    }
    // UV required and missing.
    let sig = a.sign(&ad, &cd);
    let assertion = Assertion { client_data_json: &cd, authenticator_data: &ad, signature: &sig };
    let strict = RelyingParty { require_uv: true, ..RP };
    assert_eq!(
        verify_assertion(&strict, CHALLENGE, &cred.public_key, 0, &assertion),
        Err(WebauthnError::UserVerification)
    );
}

#[test]
fn ed25519_keys_verify_and_unsupported_keys_are_refused() {
    let rng = SystemRandom::new();
    let pk8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap_or_else(|e| panic!("{e}"));
    let key = Ed25519KeyPair::from_pkcs8(pk8.as_ref()).unwrap_or_else(|e| panic!("{e}"));
    let cose = encode(&Value::Map(vec![
        (Value::Int(1), Value::Int(1)),
        (Value::Int(3), Value::Int(-8)),
        (Value::Int(-1), Value::Int(6)),
        (Value::Int(-2), Value::Bytes(key.public_key().as_ref().to_vec())),
    ]));
    let cd = client_data("webauthn.get", CHALLENGE, ORIGIN);
    let ad = auth_data("example.org", 0x01, 1, None);
    let mut msg = ad.clone();
    msg.extend(Sha256::digest(&cd));
    let sig = key.sign(&msg);
    let assertion = Assertion { client_data_json: &cd, authenticator_data: &ad, signature: sig.as_ref() };
    assert_eq!(verify_assertion(&RP, CHALLENGE, &cose, 0, &assertion), Ok(1));
    // ES384 (alg -35) is not offered, so not accepted.
    let es384 = encode(&Value::Map(vec![(Value::Int(1), Value::Int(2)), (Value::Int(3), Value::Int(-35))]));
    assert_eq!(verify_assertion(&RP, CHALLENGE, &es384, 0, &assertion), Err(WebauthnError::Algorithm));
}
