//! md5-crypt (`$1$`) and Apache's `$apr1$` variant (`htpasswd -m`, the default).

use super::{LegacyError, MAX_PASSWORD_LEN, is_crypt_b64};
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// The alphabet of crypt's base64, in value order (not the MIME one).
const CRYPT_B64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Longest md5-crypt salt; `crypt(3)` truncates longer ones, so they never verify.
const MAX_MD5_CRYPT_SALT_LEN: usize = 8;

/// Length of an encoded md5-crypt digest (16 bytes in 22 characters).
pub(super) const MD5_CRYPT_DIGEST_LEN: usize = 22;

/// Which bytes of the final md5-crypt digest go into each 4-character group, high byte first.
const MD5_CRYPT_GROUPS: [[usize; 3]; 5] = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]];

/// The byte of the final md5-crypt digest encoded alone in the last two characters.
const MD5_CRYPT_LAST: usize = 11;

/// md5-crypt (`$1$`) and Apache's `$apr1$`, which differ only in the magic string:
/// magic + salt (at most 8 characters) + `$` + 22 characters of digest.
pub(super) fn verify_md5_crypt(stored: &str, magic: &str, password: &[u8]) -> Result<bool, LegacyError> {
    let rest = stored.strip_prefix(magic).ok_or(LegacyError::Malformed("missing md5-crypt prefix"))?;
    let (salt, digest) =
        rest.split_once('$').ok_or(LegacyError::Malformed("md5-crypt hash has no `$` after the salt"))?;
    if salt.len() > MAX_MD5_CRYPT_SALT_LEN {
        return Err(LegacyError::Malformed("md5-crypt salt longer than 8 characters"));
    }
    if digest.len() != MD5_CRYPT_DIGEST_LEN || !digest.bytes().all(is_crypt_b64) {
        return Err(LegacyError::Malformed("md5-crypt digest must be 22 characters of ./0-9A-Za-z"));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Ok(false);
    }
    let computed = md5_crypt(password, magic.as_bytes(), salt.as_bytes());
    Ok(computed.ct_eq(digest.as_bytes()).into())
}

/// The md5-crypt digest (Poul-Henning Kamp's algorithm, as in FreeBSD and `apr_md5_encode`),
/// encoded in crypt's base64: the 22 characters after the salt's `$`.
pub(super) fn md5_crypt(password: &[u8], magic: &[u8], salt: &[u8]) -> [u8; MD5_CRYPT_DIGEST_LEN] {
    let alternate = Md5::new().chain_update(password).chain_update(salt).chain_update(password).finalize();

    let mut ctx = Md5::new().chain_update(password).chain_update(magic).chain_update(salt);
    // One byte of the alternate digest per password byte, 16 at a time.
    for chunk in password.chunks(alternate.len()) {
        ctx.update(&alternate[..chunk.len()]);
    }
    // For each bit of the length, low first: a NUL byte when set, the first password byte
    // when clear (the original's "weird" step, kept for compatibility).
    let first = password.first().copied().unwrap_or(0);
    let mut bits = password.len();
    while bits != 0 {
        ctx.update([if bits & 1 == 1 { 0 } else { first }]);
        bits >>= 1;
    }
    let mut digest = ctx.finalize();

    for round in 0..1000 {
        let mut ctx = Md5::new();
        if round % 2 == 1 {
            ctx.update(password);
        } else {
            ctx.update(digest);
        }
        if round % 3 != 0 {
            ctx.update(salt);
        }
        if round % 7 != 0 {
            ctx.update(password);
        }
        if round % 2 == 1 {
            ctx.update(digest);
        } else {
            ctx.update(password);
        }
        digest = ctx.finalize();
    }

    let mut out = [0u8; MD5_CRYPT_DIGEST_LEN];
    let (groups, last) = out.split_at_mut(MD5_CRYPT_GROUPS.len() * 4);
    for (chars, &[high, mid, low]) in groups.chunks_exact_mut(4).zip(MD5_CRYPT_GROUPS.iter()) {
        encode_crypt_b64(
            chars,
            (u32::from(digest[high]) << 16) | (u32::from(digest[mid]) << 8) | u32::from(digest[low]),
        );
    }
    encode_crypt_b64(last, u32::from(digest[MD5_CRYPT_LAST]));
    out
}

/// Writes `out.len()` characters of crypt's base64 for `value`, lowest 6 bits first.
fn encode_crypt_b64(out: &mut [u8], mut value: u32) {
    for slot in out {
        *slot = CRYPT_B64[(value & 0x3f) as usize];
        value >>= 6;
    }
}
