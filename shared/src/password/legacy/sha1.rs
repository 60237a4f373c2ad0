//! The LDAP schemes `{SSHA}` (salted SHA-1) and `{SHA}` (`htpasswd -s`).

use super::{LegacyError, MAX_PASSWORD_LEN, strip_scheme};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// Length of a SHA-1 digest in bytes.
const SHA1_LEN: usize = 20;

/// `{SSHA}` + base64(sha1(password ‖ salt) ‖ salt), with a salt of at least one byte.
pub(super) fn verify_ssha(stored: &str, password: &[u8]) -> Result<bool, LegacyError> {
    let encoded = strip_scheme(stored, "{SSHA}").ok_or(LegacyError::Malformed("missing {SSHA} prefix"))?;
    let decoded = STANDARD.decode(encoded).map_err(|_| LegacyError::Malformed("{SSHA} value is not base64"))?;
    if decoded.len() <= SHA1_LEN {
        return Err(LegacyError::Malformed("{SSHA} value too short for a digest and a salt"));
    }
    let (digest, salt) = decoded.split_at(SHA1_LEN);
    if password.len() > MAX_PASSWORD_LEN {
        return Ok(false);
    }
    let computed = Sha1::new().chain_update(password).chain_update(salt).finalize();
    Ok(computed.as_slice().ct_eq(digest).into())
}

/// `{SHA}` + base64(sha1(password)).
pub(super) fn verify_sha1(stored: &str, password: &[u8]) -> Result<bool, LegacyError> {
    let encoded = strip_scheme(stored, "{SHA}").ok_or(LegacyError::Malformed("missing {SHA} prefix"))?;
    let decoded = STANDARD.decode(encoded).map_err(|_| LegacyError::Malformed("{SHA} value is not base64"))?;
    if decoded.len() != SHA1_LEN {
        return Err(LegacyError::Malformed("{SHA} value is not a 20-byte digest"));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Ok(false);
    }
    let computed = Sha1::digest(password);
    Ok(computed.as_slice().ct_eq(&decoded).into())
}
