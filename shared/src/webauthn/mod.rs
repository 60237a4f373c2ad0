//! WebAuthn (Level 2) verification for passkeys, written against `ring`: registration
//! ([`verify_registration`]) and assertion ([`verify_assertion`]).
//!
//! What is checked, each failing on its own ([`WebauthnError`] says which):
//! - `clientDataJSON`: `type` (`webauthn.create` / `webauthn.get`), `challenge` (equal, in
//!   constant time, to the one the server issued — issuing it single-use and short-lived is
//!   the caller's job), `origin` (exactly the portal's origin), and no `crossOrigin: true`;
//! - authenticator data: the rpIdHash (SHA-256 of the relying party id), the UP flag, the UV
//!   flag when user verification is required, and on registration the attested credential
//!   data (AT flag, credential id, a COSE key of a supported algorithm);
//! - the assertion signature over `authData ‖ SHA-256(clientDataJSON)` with the stored key;
//! - the signature counter: when either the stored or the new count is non-zero, the new one
//!   must be greater, else [`WebauthnError::Counter`] (a cloned authenticator, or a replay).
//!
//! Attestation: only the `none` conveyance is asked for; a statement of another format is
//! accepted and ignored (treated as `none`): Wicket does not restrict authenticator models,
//! so it has no use for a trust path.

mod cbor;
mod cose;
#[cfg(test)]
mod tests;

pub use cose::{ALGORITHMS, EDDSA, ES256, RS256};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Flag bits of the authenticator data.
const FLAG_UP: u8 = 0x01;
const FLAG_UV: u8 = 0x04;
const FLAG_AT: u8 = 0x40;
/// Longest credential id accepted (the spec's limit).
pub const MAX_CREDENTIAL_ID: usize = 1023;

/// Why a registration or assertion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebauthnError {
    /// Undecodable input (names the part, never quotes it).
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// `clientDataJSON.type` is not the ceremony's.
    #[error("wrong ceremony type")]
    Type,
    /// Not the challenge this server issued.
    #[error("wrong challenge")]
    Challenge,
    /// Another origin (or a cross-origin frame).
    #[error("wrong origin")]
    Origin,
    /// The authenticator signed for another relying party id.
    #[error("wrong relying party")]
    RpId,
    /// The user was not present (UP flag clear).
    #[error("user not present")]
    UserPresence,
    /// User verification was required but not done (UV flag clear).
    #[error("user not verified")]
    UserVerification,
    /// An unsupported key type, curve or algorithm.
    #[error("unsupported key algorithm")]
    Algorithm,
    /// The signature does not verify.
    #[error("bad signature")]
    Signature,
    /// The signature counter did not move forward: possibly a cloned authenticator.
    #[error("signature counter went from {stored} to {received}: possibly a cloned authenticator")]
    Counter {
        /// The count stored from the last use.
        stored: u32,
        /// The count in this assertion.
        received: u32,
    },
}

/// What the relying party expects of every ceremony.
#[derive(Debug, Clone, Copy)]
pub struct RelyingParty<'a> {
    /// The rp id (a host name: the portal's, or a registrable suffix of it).
    pub id: &'a str,
    /// The portal's origin, `https://host[:port]`.
    pub origin: &'a str,
    /// Whether the UV flag is required.
    pub require_uv: bool,
}

/// A credential accepted at registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    /// The credential id.
    pub id: Vec<u8>,
    /// The public key, as the COSE bytes the authenticator sent.
    pub public_key: Vec<u8>,
    /// The initial signature counter.
    pub sign_count: u32,
}

/// An assertion as the browser returns it (decoded from base64url).
#[derive(Debug, Clone, Copy)]
pub struct Assertion<'a> {
    /// `response.clientDataJSON`.
    pub client_data_json: &'a [u8],
    /// `response.authenticatorData`.
    pub authenticator_data: &'a [u8],
    /// `response.signature`.
    pub signature: &'a [u8],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(default)]
    cross_origin: bool,
}

fn check_client_data(
    rp: &RelyingParty<'_>,
    kind: &str,
    challenge: &[u8],
    client_data_json: &[u8],
) -> Result<(), WebauthnError> {
    let cd: ClientData =
        serde_json::from_slice(client_data_json).map_err(|_| WebauthnError::Malformed("clientDataJSON"))?;
    if cd.kind != kind {
        return Err(WebauthnError::Type);
    }
    let got = URL_SAFE_NO_PAD.decode(cd.challenge.trim_end_matches('=')).map_err(|_| WebauthnError::Challenge)?;
    if challenge.is_empty() || !bool::from(got.ct_eq(challenge)) {
        return Err(WebauthnError::Challenge);
    }
    if cd.origin != rp.origin || cd.cross_origin {
        return Err(WebauthnError::Origin);
    }
    Ok(())
}

/// The fixed head of authenticator data: rpIdHash, flags, counter.
struct AuthData<'a> {
    flags: u8,
    sign_count: u32,
    rest: &'a [u8],
}

fn parse_auth_data<'a>(rp: &RelyingParty<'_>, data: &'a [u8]) -> Result<AuthData<'a>, WebauthnError> {
    if data.len() < 37 {
        return Err(WebauthnError::Malformed("authenticator data"));
    }
    let expected = Sha256::digest(rp.id.as_bytes());
    if !bool::from(data[..32].ct_eq(expected.as_slice())) {
        return Err(WebauthnError::RpId);
    }
    let flags = data[32];
    if flags & FLAG_UP == 0 {
        return Err(WebauthnError::UserPresence);
    }
    if rp.require_uv && flags & FLAG_UV == 0 {
        return Err(WebauthnError::UserVerification);
    }
    let sign_count = u32::from_be_bytes([data[33], data[34], data[35], data[36]]);
    Ok(AuthData { flags, sign_count, rest: &data[37..] })
}

/// Checks a registration (`navigator.credentials.create`) against the challenge the server
/// issued; the credential to store.
pub fn verify_registration(
    rp: &RelyingParty<'_>,
    challenge: &[u8],
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> Result<NewCredential, WebauthnError> {
    check_client_data(rp, "webauthn.create", challenge, client_data_json)?;
    let att = cbor::decode_all(attestation_object)?;
    // The format must be named; any statement is ignored (treated as `none`, see above).
    att.text_key("fmt").and_then(cbor::Value::as_text).ok_or(WebauthnError::Malformed("attestation format"))?;
    let auth_data = att
        .text_key("authData")
        .and_then(cbor::Value::as_bytes)
        .ok_or(WebauthnError::Malformed("attestation object"))?;
    let ad = parse_auth_data(rp, auth_data)?;
    if ad.flags & FLAG_AT == 0 || ad.rest.len() < 18 {
        return Err(WebauthnError::Malformed("attested credential data"));
    }
    let id_len = usize::from(u16::from_be_bytes([ad.rest[16], ad.rest[17]]));
    let after = &ad.rest[18..];
    if id_len == 0 || id_len > MAX_CREDENTIAL_ID || after.len() < id_len {
        return Err(WebauthnError::Malformed("credential id"));
    }
    let (id, key_and_ext) = after.split_at(id_len);
    let (key, used) = cbor::decode(key_and_ext)?;
    cose::PublicKey::from_cose(&key)?;
    Ok(NewCredential { id: id.to_vec(), public_key: key_and_ext[..used].to_vec(), sign_count: ad.sign_count })
}

/// Checks an assertion (`navigator.credentials.get`) made with the stored key
/// `public_key` (COSE) whose counter is `stored_count`; the new counter to store.
pub fn verify_assertion(
    rp: &RelyingParty<'_>,
    challenge: &[u8],
    public_key: &[u8],
    stored_count: u32,
    assertion: &Assertion<'_>,
) -> Result<u32, WebauthnError> {
    check_client_data(rp, "webauthn.get", challenge, assertion.client_data_json)?;
    let ad = parse_auth_data(rp, assertion.authenticator_data)?;
    let key = cose::PublicKey::from_bytes(public_key)?;
    let mut signed = assertion.authenticator_data.to_vec();
    signed.extend_from_slice(&Sha256::digest(assertion.client_data_json));
    key.verify(&signed, assertion.signature)?;
    if (stored_count != 0 || ad.sign_count != 0) && ad.sign_count <= stored_count {
        return Err(WebauthnError::Counter { stored: stored_count, received: ad.sign_count });
    }
    Ok(ad.sign_count)
}
