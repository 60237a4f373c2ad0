//! Verification of imported password hashes, as written by Apache `htpasswd`, `openssl passwd`,
//! glibc/libxcrypt `crypt(3)` and LDAP tools, so that imported users can log in once and be
//! upgraded to argon2id by the caller.
//!
//! Stored strings come from files Wicket did not write, so every parser here is strict and
//! cheap: a string that no real tool could have produced (wrong length, bad alphabet, rounds a
//! real `crypt(3)` would refuse, a salt it would have truncated) is `Malformed` before any
//! hashing starts, and the work factors are capped so that one bad line cannot stall a login.
//! All digest comparisons are constant-time. Errors never carry the hash or the password.
//!
//! The reference for "what would a real tool accept" is libxcrypt (Debian 12) and
//! `apr_password_validate`: a stored string verifies here exactly when `crypt(password, stored)`
//! would give back `stored`, except for the caps on cost and password length.

mod bcrypt;
mod md5_crypt;
mod sha1;
mod sha_crypt;
#[cfg(test)]
mod tests;

use self::bcrypt::verify_bcrypt;
use self::md5_crypt::verify_md5_crypt;
use self::sha_crypt::{ShaCrypt, verify_sha_crypt};
use self::sha1::{verify_sha1, verify_ssha};

/// Longest stored string looked at; the longest legitimate one (sha512-crypt with a rounds
/// field) is 121 characters, `{SSHA}` with a long salt a little more.
pub(super) const MAX_STORED_LEN: usize = 512;

/// Longest password tried. md5-crypt hashes the password about 1,500 times and sha-crypt's
/// setup is quadratic in its length, so a huge "password" would be a denial of service; no
/// import tool accepts one this long (`htpasswd` stops at 255 bytes). Longer is a mismatch.
pub(super) const MAX_PASSWORD_LEN: usize = 1024;

/// Which legacy format a stored hash string is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegacyFormat {
    /// bcrypt: `$2y$`, `$2b$` or `$2a$` (`htpasswd -B`).
    Bcrypt,
    /// Apache's md5-crypt variant: `$apr1$` (`htpasswd -m`, the default).
    Apr1,
    /// md5-crypt: `$1$`.
    Md5Crypt,
    /// sha256-crypt: `$5$` (`htpasswd -2`).
    Sha256Crypt,
    /// sha512-crypt: `$6$` (`htpasswd -5`).
    Sha512Crypt,
    /// Salted SHA-1: `{SSHA}` + base64(sha1(password ‖ salt) ‖ salt) (LDAP).
    Ssha,
    /// Unsalted SHA-1: `{SHA}` + base64(sha1(password)) (`htpasswd -s`, LDAP).
    Sha1,
}

/// Why a stored hash could not be checked. Never contains the hash or the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LegacyError {
    /// Not a format this module verifies (DES crypt, plaintext, argon2, …).
    #[error("unsupported password hash format")]
    Unsupported,
    /// A known format, but the string cannot be a hash of it; the text says which part is wrong.
    #[error("malformed password hash: {0}")]
    Malformed(&'static str),
}

/// Detects the format from the prefix: `$2y$`/`$2b$`/`$2a$` bcrypt, `$apr1$`, `$1$` md5-crypt,
/// `$5$` sha256-crypt, `$6$` sha512-crypt, `{SSHA}` (salted SHA-1, base64 of digest‖salt),
/// `{SHA}` (base64 SHA-1). The LDAP scheme names are matched ignoring ASCII case, as LDAP
/// servers do. Returns `None` for anything else (e.g. DES crypt from `htpasswd -d`, plaintext,
/// argon2).
pub(crate) fn detect(stored: &str) -> Option<LegacyFormat> {
    const PREFIXES: [(&str, LegacyFormat); 7] = [
        ("$2y$", LegacyFormat::Bcrypt),
        ("$2b$", LegacyFormat::Bcrypt),
        ("$2a$", LegacyFormat::Bcrypt),
        ("$apr1$", LegacyFormat::Apr1),
        ("$1$", LegacyFormat::Md5Crypt),
        ("$5$", LegacyFormat::Sha256Crypt),
        ("$6$", LegacyFormat::Sha512Crypt),
    ];
    if let Some(&(_, format)) = PREFIXES.iter().find(|(prefix, _)| stored.starts_with(prefix)) {
        return Some(format);
    }
    if strip_scheme(stored, "{SSHA}").is_some() {
        return Some(LegacyFormat::Ssha);
    }
    if strip_scheme(stored, "{SHA}").is_some() {
        return Some(LegacyFormat::Sha1);
    }
    None
}

/// Verifies `password` against `stored`. `Ok(true)` match, `Ok(false)` mismatch,
/// `Err(LegacyError)` when the hash is malformed or of an unsupported format. Never panics on
/// any input. Passwords are bytes: non-UTF-8 ones are hashed as they are, like `crypt(3)` does.
/// Passwords longer than 1024 bytes never match.
pub(crate) fn verify(stored: &str, password: &[u8]) -> Result<bool, LegacyError> {
    let format = detect(stored).ok_or(LegacyError::Unsupported)?;
    if stored.len() > MAX_STORED_LEN {
        return Err(LegacyError::Malformed("longer than any hash of its format"));
    }
    match format {
        LegacyFormat::Bcrypt => verify_bcrypt(stored, password),
        LegacyFormat::Apr1 => verify_md5_crypt(stored, "$apr1$", password),
        LegacyFormat::Md5Crypt => verify_md5_crypt(stored, "$1$", password),
        LegacyFormat::Sha256Crypt => verify_sha_crypt(stored, ShaCrypt::Sha256, password),
        LegacyFormat::Sha512Crypt => verify_sha_crypt(stored, ShaCrypt::Sha512, password),
        LegacyFormat::Ssha => verify_ssha(stored, password),
        LegacyFormat::Sha1 => verify_sha1(stored, password),
    }
}

/// Checks that `stored` is a well-formed hash of a supported format within the cost caps,
/// without hashing anything (for the importer). Every verifier checks the stored string's
/// shape and cost before it looks at the password, and answers a password over
/// [`MAX_PASSWORD_LEN`] with a mismatch without hashing it: so verifying such a password
/// is exactly the shape check.
pub(crate) fn check(stored: &str) -> Result<(), LegacyError> {
    const OVERLONG: [u8; MAX_PASSWORD_LEN + 1] = [0; MAX_PASSWORD_LEN + 1];
    verify(stored, &OVERLONG).map(|_| ())
}

/// `stored` without its LDAP `{SCHEME}` prefix, matched ignoring ASCII case.
pub(super) fn strip_scheme<'a>(stored: &'a str, scheme: &str) -> Option<&'a str> {
    let head = stored.get(..scheme.len())?;
    if head.eq_ignore_ascii_case(scheme) { stored.get(scheme.len()..) } else { None }
}

/// True for a character of crypt's base64 alphabet (`./0-9A-Za-z`).
pub(super) fn is_crypt_b64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'/'
}
