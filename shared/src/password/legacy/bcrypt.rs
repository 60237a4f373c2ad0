//! bcrypt (`$2y$`, `$2b$`, `$2a$`), as written by `htpasswd -B` and libxcrypt.

use super::{LegacyError, MAX_PASSWORD_LEN, is_crypt_b64};

/// Highest bcrypt cost accepted. Each step doubles the work: cost 10 takes about 70 ms on a
/// current core, 17 about 9 s — slow, but one login, not an outage — and 17 is the most
/// `htpasswd -C` writes, so every file Apache's own tool made still imports. The format allows
/// 31 (days per attempt); above the cap a stored hash is refused on import and never hashed.
pub(super) const MAX_BCRYPT_COST: u32 = 17;

/// bcrypt: `$2?$NN$` + 22 characters of salt + 31 of digest, checked by the `bcrypt` crate
/// after a strict shape check (the crate's own parser is lenient and its errors quote the hash).
pub(super) fn verify_bcrypt(stored: &str, password: &[u8]) -> Result<bool, LegacyError> {
    let [b'$', b'2', b'a' | b'b' | b'y', b'$', tens, units, b'$', rest @ ..] = stored.as_bytes() else {
        return Err(LegacyError::Malformed("bcrypt hash must start with `$2y$NN$`"));
    };
    if !tens.is_ascii_digit() || !units.is_ascii_digit() {
        return Err(LegacyError::Malformed("bcrypt cost must be two digits"));
    }
    let cost = u32::from(tens - b'0') * 10 + u32::from(units - b'0');
    if !(4..=MAX_BCRYPT_COST).contains(&cost) {
        return Err(LegacyError::Malformed("bcrypt cost outside 4..=17"));
    }
    if rest.len() != 53 || !rest.iter().all(|&b| is_crypt_b64(b)) {
        return Err(LegacyError::Malformed("bcrypt salt and digest must be 53 characters of ./0-9A-Za-z"));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Ok(false);
    }
    // Like crypt(3), the crate uses the first 72 bytes of the password (NUL included).
    // Its remaining errors are non-canonical base64 (unused low bits set), which crypt(3)
    // would re-encode differently, so such a string can never have verified anywhere.
    bcrypt::verify(password, stored).map_err(|_| LegacyError::Malformed("bcrypt salt or digest is not canonical"))
}
