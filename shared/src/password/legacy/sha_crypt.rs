//! sha256-crypt (`$5$`) and sha512-crypt (`$6$`), as written by `htpasswd -2`/`-5`,
//! `openssl passwd -5`/`-6` and libxcrypt.

use super::{LegacyError, MAX_PASSWORD_LEN, is_crypt_b64};
use subtle::ConstantTimeEq;

/// Lowest sha-crypt rounds value: `crypt(3)` refuses anything below (libxcrypt returns `*0`).
const MIN_SHA_CRYPT_ROUNDS: usize = 1_000;

/// Highest sha-crypt rounds value accepted: 200 times the default 5,000, about half a second
/// of sha512 on a current core, above anything `htpasswd -r` or a distribution's `login.defs`
/// uses in practice. The format allows 999,999,999 — minutes of CPU per login attempt, so one
/// crafted line would be a denial of service.
pub(super) const MAX_SHA_CRYPT_ROUNDS: usize = 1_000_000;

/// sha-crypt rounds when the hash has no `rounds=` field.
const DEFAULT_SHA_CRYPT_ROUNDS: usize = 5_000;

/// Longest sha-crypt salt; `crypt(3)` truncates longer ones, so they never verify.
const MAX_SHA_CRYPT_SALT_LEN: usize = 16;

/// The two sha-crypt variants.
#[derive(Debug, Clone, Copy)]
pub(super) enum ShaCrypt {
    /// `$5$`, 43 characters of digest.
    Sha256,
    /// `$6$`, 86 characters of digest.
    Sha512,
}

impl ShaCrypt {
    /// The prefix of hashes of this variant.
    fn magic(self) -> &'static str {
        match self {
            Self::Sha256 => "$5$",
            Self::Sha512 => "$6$",
        }
    }

    /// Length of the encoded digest.
    fn digest_len(self) -> usize {
        match self {
            Self::Sha256 => 43,
            Self::Sha512 => 86,
        }
    }

    /// The encoded digest of `password` with `salt` and `rounds` (already range-checked).
    fn compute(self, password: &[u8], salt: &[u8], rounds: usize) -> Result<String, sha_crypt::CryptError> {
        match self {
            Self::Sha256 => sha_crypt::sha256_crypt_b64(password, salt, &sha_crypt::Sha256Params::new(rounds)?),
            Self::Sha512 => sha_crypt::sha512_crypt_b64(password, salt, &sha_crypt::Sha512Params::new(rounds)?),
        }
    }
}

/// sha-crypt (`$5$`, `$6$`): magic + optional `rounds=N$` + salt (at most 16 characters) +
/// `$` + digest. Parsed here and hashed with `sha_crypt::sha*_crypt_b64`, whose output is
/// compared as a string like `crypt(3)` does. (The crate's `sha*_check` take the password as
/// `&str`, accept rounds up to 999,999,999, and `sha256_check` panics on a digest that is not
/// valid base64.)
pub(super) fn verify_sha_crypt(stored: &str, variant: ShaCrypt, password: &[u8]) -> Result<bool, LegacyError> {
    let rest = stored.strip_prefix(variant.magic()).ok_or(LegacyError::Malformed("missing sha-crypt prefix"))?;
    let (rounds, rest) = match rest.strip_prefix("rounds=") {
        Some(tail) => {
            let (rounds, rest) =
                tail.split_once('$').ok_or(LegacyError::Malformed("sha-crypt rounds field has no `$`"))?;
            (parse_sha_crypt_rounds(rounds)?, rest)
        }
        None => (DEFAULT_SHA_CRYPT_ROUNDS, rest),
    };
    let (salt, digest) =
        rest.split_once('$').ok_or(LegacyError::Malformed("sha-crypt hash has no `$` after the salt"))?;
    if salt.len() > MAX_SHA_CRYPT_SALT_LEN {
        return Err(LegacyError::Malformed("sha-crypt salt longer than 16 characters"));
    }
    if digest.len() != variant.digest_len() || !digest.bytes().all(is_crypt_b64) {
        return Err(LegacyError::Malformed("sha-crypt digest has the wrong length or characters"));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Ok(false);
    }
    let computed = variant
        .compute(password, salt.as_bytes(), rounds)
        .map_err(|_| LegacyError::Malformed("sha-crypt parameters refused"))?;
    Ok(computed.as_bytes().ct_eq(digest.as_bytes()).into())
}

/// The `N` of a sha-crypt `rounds=N` field, in the range `crypt(3)` would write and Wicket
/// will spend time on. Like libxcrypt, refuses signs, spaces and leading zeros.
fn parse_sha_crypt_rounds(field: &str) -> Result<usize, LegacyError> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) || field.starts_with('0') {
        return Err(LegacyError::Malformed("sha-crypt rounds must be a decimal number"));
    }
    // Overflow can only mean "too many": the field is all digits.
    let rounds = field.parse::<usize>().unwrap_or(usize::MAX);
    if rounds < MIN_SHA_CRYPT_ROUNDS {
        return Err(LegacyError::Malformed("sha-crypt rounds below 1000"));
    }
    if rounds > MAX_SHA_CRYPT_ROUNDS {
        return Err(LegacyError::Malformed("sha-crypt rounds above the 1,000,000 limit"));
    }
    Ok(rounds)
}
