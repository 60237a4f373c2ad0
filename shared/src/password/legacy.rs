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

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Longest stored string looked at; the longest legitimate one (sha512-crypt with a rounds
/// field) is 121 characters, `{SSHA}` with a long salt a little more.
const MAX_STORED_LEN: usize = 512;

/// Longest password tried. md5-crypt hashes the password about 1,500 times and sha-crypt's
/// setup is quadratic in its length, so a huge "password" would be a denial of service; no
/// import tool accepts one this long (`htpasswd` stops at 255 bytes). Longer is a mismatch.
const MAX_PASSWORD_LEN: usize = 1024;

/// Highest bcrypt cost accepted: `htpasswd -C` allows 4 to 17. Cost 31 would run for days.
const MAX_BCRYPT_COST: u32 = 17;

/// Lowest sha-crypt rounds value: `crypt(3)` refuses anything below (libxcrypt returns `*0`).
const MIN_SHA_CRYPT_ROUNDS: usize = 1_000;

/// Highest sha-crypt rounds value accepted (the format allows 999,999,999, which would hang a
/// login for minutes).
const MAX_SHA_CRYPT_ROUNDS: usize = 1_000_000;

/// sha-crypt rounds when the hash has no `rounds=` field.
const DEFAULT_SHA_CRYPT_ROUNDS: usize = 5_000;

/// Longest sha-crypt salt; `crypt(3)` truncates longer ones, so they never verify.
const MAX_SHA_CRYPT_SALT_LEN: usize = 16;

/// Longest md5-crypt salt; `crypt(3)` truncates longer ones, so they never verify.
const MAX_MD5_CRYPT_SALT_LEN: usize = 8;

/// Length of an encoded md5-crypt digest (16 bytes in 22 characters).
const MD5_CRYPT_DIGEST_LEN: usize = 22;

/// Length of a SHA-1 digest in bytes.
const SHA1_LEN: usize = 20;

/// The alphabet of crypt's base64, in value order (not the MIME one).
const CRYPT_B64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Which bytes of the final md5-crypt digest go into each 4-character group, high byte first.
const MD5_CRYPT_GROUPS: [[usize; 3]; 5] = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]];

/// The byte of the final md5-crypt digest encoded alone in the last two characters.
const MD5_CRYPT_LAST: usize = 11;

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

/// `stored` without its LDAP `{SCHEME}` prefix, matched ignoring ASCII case.
fn strip_scheme<'a>(stored: &'a str, scheme: &str) -> Option<&'a str> {
    let head = stored.get(..scheme.len())?;
    if head.eq_ignore_ascii_case(scheme) { stored.get(scheme.len()..) } else { None }
}

/// True for a character of crypt's base64 alphabet (`./0-9A-Za-z`).
fn is_crypt_b64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'/'
}

/// bcrypt: `$2?$NN$` + 22 characters of salt + 31 of digest, checked by the `bcrypt` crate
/// after a strict shape check (the crate's own parser is lenient and its errors quote the hash).
fn verify_bcrypt(stored: &str, password: &[u8]) -> Result<bool, LegacyError> {
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

/// md5-crypt (`$1$`) and Apache's `$apr1$`, which differ only in the magic string:
/// magic + salt (at most 8 characters) + `$` + 22 characters of digest.
fn verify_md5_crypt(stored: &str, magic: &str, password: &[u8]) -> Result<bool, LegacyError> {
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
fn md5_crypt(password: &[u8], magic: &[u8], salt: &[u8]) -> [u8; MD5_CRYPT_DIGEST_LEN] {
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

/// The two sha-crypt variants.
#[derive(Debug, Clone, Copy)]
enum ShaCrypt {
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
fn verify_sha_crypt(stored: &str, variant: ShaCrypt, password: &[u8]) -> Result<bool, LegacyError> {
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

/// `{SSHA}` + base64(sha1(password ‖ salt) ‖ salt), with a salt of at least one byte.
fn verify_ssha(stored: &str, password: &[u8]) -> Result<bool, LegacyError> {
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
fn verify_sha1(stored: &str, password: &[u8]) -> Result<bool, LegacyError> {
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

/// Known vectors from real tools, and hostile inputs.
#[cfg(test)]
mod tests {
    use super::*;

    /// Real hashes and the password each was made from, with the command that made it.
    /// All were cross-checked on Debian 12: with `htpasswd -v`, with libxcrypt's `crypt(3)` for
    /// the crypt formats, and `{SSHA}` with python3's hashlib.
    const VECTORS: &[(&str, &[u8], LegacyFormat)] = &[
        // htpasswd -nbB user 'correct horse'
        ("$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO", b"correct horse", LegacyFormat::Bcrypt),
        // htpasswd -nbB -C 4 alice 'Tr0ub4dor&3'
        ("$2y$04$9ZizhjNQvJq6YvoHksm2VOo4P5uWZ2IOGMGpvHR.vS/3oLVRXzJ4.", b"Tr0ub4dor&3", LegacyFormat::Bcrypt),
        // python3 crypt.crypt('correct horse', '$2b$04$abcdefghijklmnopqrstuu') (libxcrypt)
        ("$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", b"correct horse", LegacyFormat::Bcrypt),
        // python3 crypt.crypt('correct horse', '$2a$04$ABCDEFGHIJKLMNOPQRSTUu') (libxcrypt)
        ("$2a$04$ABCDEFGHIJKLMNOPQRSTUu6C6jEMz4jEJoFRTrM10b9xHpc.SH9E6", b"correct horse", LegacyFormat::Bcrypt),
        // htpasswd -nbB user $'caf\xe9' (Latin-1, not UTF-8)
        ("$2y$05$uPEeGHwaqdV.zs6ZZ05WGuxQ4CNf2Acuzhtkuk/5if5.cpLYpOdRe", b"caf\xe9", LegacyFormat::Bcrypt),
        // libxcrypt crypt(b'caf\xe9', '$2a$04$ABCDEFGHIJKLMNOPQRSTUu') (ctypes)
        ("$2a$04$ABCDEFGHIJKLMNOPQRSTUuAXmRDpqkW80So6OxxdIQ.FM3zG8NEbO", b"caf\xe9", LegacyFormat::Bcrypt),
        // libxcrypt crypt(b'\xff\xa3\x34\xff', '$2a$04$ABCDEFGHIJKLMNOPQRSTUu') (ctypes)
        ("$2a$04$ABCDEFGHIJKLMNOPQRSTUu8pmY8ikoZUolLH2JJp/jyzQU33lEFju", b"\xff\xa34\xff", LegacyFormat::Bcrypt),
        // htpasswd -nbm user 'correct horse'
        ("$apr1$6C3aC6WG$h9zhKitD4xB8Z4EKby.eW0", b"correct horse", LegacyFormat::Apr1),
        // openssl passwd -apr1 -salt saltstri 'correct horse'
        ("$apr1$saltstri$3M7Faf5EXu1biGL6p4ueM1", b"correct horse", LegacyFormat::Apr1),
        // openssl passwd -apr1 -salt ab '' (empty password)
        ("$apr1$ab$S8K6Sgp3W8c9Jb6LxgywZ.", b"", LegacyFormat::Apr1),
        // openssl passwd -1 -salt saltstri 'correct horse'
        ("$1$saltstri$CVtlMpOHug1.jDUbVpFvB1", b"correct horse", LegacyFormat::Md5Crypt),
        // openssl passwd -1 -salt '' 'correct horse' (empty salt)
        ("$1$$IfI/mw4YSCwcQoW.D.DSu1", b"correct horse", LegacyFormat::Md5Crypt),
        // openssl passwd -1 -salt xy 'a password longer than sixteen bytes for the alt loop!!'
        (
            "$1$xy$ydLB4geZLEFuRX78aZZsy.",
            b"a password longer than sixteen bytes for the alt loop!!",
            LegacyFormat::Md5Crypt,
        ),
        // openssl passwd -1 -salt l1 $'caf\xe9' (Latin-1, not UTF-8)
        ("$1$l1$KW3Zxzfv1TneSVw.hR0zy0", b"caf\xe9", LegacyFormat::Md5Crypt),
        // htpasswd -nb2 user 'correct horse'
        (
            "$5$XYD4mcOCRtNCjucw$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            b"correct horse",
            LegacyFormat::Sha256Crypt,
        ),
        // htpasswd -nb2 -r 1000 user 'correct horse'
        (
            "$5$rounds=1000$8..W96CTCLTXk41u$CJrrB8hBvkMIHj0fz5DhjjOZ5cK.6vc1AwhURqboRu9",
            b"correct horse",
            LegacyFormat::Sha256Crypt,
        ),
        // openssl passwd -5 -salt saltstringsaltst 'correct horse'
        (
            "$5$saltstringsaltst$jLZQheM22MPm6SnLJWD3VQoX3IEoDyQRzGwNm7I7TtC",
            b"correct horse",
            LegacyFormat::Sha256Crypt,
        ),
        // openssl passwd -5 -salt 'rounds=1000$short' 'correct horse'
        (
            "$5$rounds=1000$short$cMPBGnEsf0Llc7/9de4cHWjS1ZlySiS3pL6RjBpcUa4",
            b"correct horse",
            LegacyFormat::Sha256Crypt,
        ),
        // python3 crypt.crypt('correct horse', '$5$$') (libxcrypt, empty salt)
        ("$5$$SCAp760RlvU0CgD9TQAY9wchWGPvPJ8P8S7gF/3F/S0", b"correct horse", LegacyFormat::Sha256Crypt),
        // libxcrypt crypt(b'caf\xe9', '$5$latin1$') (ctypes)
        ("$5$latin1$RcCKvmxnua6W4rSOEbNgFV7uPTUcCfdI2rLo8wTbgjA", b"caf\xe9", LegacyFormat::Sha256Crypt),
        // htpasswd -nb5 user 'correct horse'
        (
            "$6$jFdPqteFwmF1HfQK$tRbCaKgB.YHNZ.5sw9OdZyTaXUCGfkULuCgeFqh9cUnAcMaTjAuElDdA1aV9F.VBUYkgxHED01u3RGDcL2U3Z1",
            b"correct horse",
            LegacyFormat::Sha512Crypt,
        ),
        // htpasswd -nb5 -r 10000 user 'correct horse'
        (
            "$6$rounds=10000$R9JRchT.jf6/9sbR$vX/0JoR.XYvuiUABWBP8D9RWc7zcZIIZ0muBEmQHJh5LrbjCjfEqg3HBo8IsLolq7k3./h17UbsGSACmBNu2Z/",
            b"correct horse",
            LegacyFormat::Sha512Crypt,
        ),
        // openssl passwd -6 -salt saltstringsaltst 'correct horse'
        (
            "$6$saltstringsaltst$bCw7Luzu/QuQ7MeikTUrtG/H3qEhWE0qeSa7fQ7Q.KB7rHffvy6nWAiqxozGGanThe/hZPI9w1X/Yv09XRqnt1",
            b"correct horse",
            LegacyFormat::Sha512Crypt,
        ),
        // openssl passwd -6 -salt latin1 $'caf\xe9' (Latin-1, not UTF-8)
        (
            "$6$latin1$4QhEOpNB0m7hpxFSI.fx3j2ovBcTI7s7yi70jlllLuwR1A8kWSPZBXUUVRVa1Ks68F3vB1AvZm5Y4aIC7JEwE/",
            b"caf\xe9",
            LegacyFormat::Sha512Crypt,
        ),
        // python3: '{SSHA}' + b64encode(sha1(b'correct horse' + salt).digest() + salt), salt a1b2c3d4
        ("{SSHA}msgbtEzyJ6ryPbEGLts6RIeTtBqhssPU", b"correct horse", LegacyFormat::Ssha),
        // python3: as above with the password b'pw' and the salt b'\x00\xffsalt\x10\x20\x30'
        ("{SSHA}JnaimXjHmN+NwD03vWuGfdl8D1gA/3NhbHQQIDA=", b"pw", LegacyFormat::Ssha),
        // htpasswd -nbs user 'correct horse'
        ("{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=", b"correct horse", LegacyFormat::Sha1),
        // htpasswd -nbs user pw
        ("{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=", b"pw", LegacyFormat::Sha1),
    ];

    /// A bcrypt hash of 72 `x` (libxcrypt), for the truncation and length-cap tests.
    const BCRYPT_72_X: &str = "$2b$04$abcdefghijklmnopqrstuubzadhGtS2zEF.gu0yd0opP6cVzb.e0i";

    /// Each vector is detected as its format, verifies with its password and not with others.
    #[test]
    fn known_vectors_verify() {
        for &(stored, password, format) in VECTORS {
            assert_eq!(detect(stored), Some(format), "{stored}");
            assert_eq!(verify(stored, password), Ok(true), "{stored}");
            assert_eq!(verify(stored, b"wrong password"), Ok(false), "{stored}");
            let mut one_off = password.to_vec();
            one_off.push(b'!');
            assert_eq!(verify(stored, &one_off), Ok(false), "{stored}");
        }
    }

    /// The empty password matches only the vector made from it.
    #[test]
    fn empty_password_only_matches_its_own_hash() {
        for &(stored, password, _) in VECTORS {
            assert_eq!(verify(stored, b""), Ok(password.is_empty()), "{stored}");
        }
    }

    /// Non-UTF-8 passwords are hashed as bytes: a wrong one is a plain mismatch.
    #[test]
    fn non_utf8_password_is_a_mismatch() {
        for &(stored, _, _) in VECTORS {
            assert_eq!(verify(stored, b"\xff\xfe\x80not utf-8"), Ok(false), "{stored}");
            assert_eq!(verify(stored, b"caf\xe8"), Ok(false), "{stored}");
        }
    }

    /// `{SSHA}` and `{SHA}` scheme names are case-insensitive, as in LDAP.
    #[test]
    fn ldap_scheme_ignores_case() {
        assert_eq!(detect("{ssha}msgbtEzyJ6ryPbEGLts6RIeTtBqhssPU"), Some(LegacyFormat::Ssha));
        assert_eq!(verify("{sha}GpHWL3ymc5liWkNopqtdSjuqYHM=", b"pw"), Ok(true));
        assert_eq!(verify("{Sha}GpHWL3ymc5liWkNopqtdSjuqYHM=", b"pw"), Ok(true));
    }

    /// Other formats are not detected and verify as `Unsupported`.
    #[test]
    fn other_formats_are_unsupported() {
        for stored in [
            // htpasswd -nbd user secret (DES crypt)
            "/iewZkYO9RJw.",
            // htpasswd -nbp user secret (plaintext)
            "secret",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGg",
            "$2x$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
            "$y$j9T$salt$hash",
            "{CRYPT}$1$saltstri$CVtlMpOHug1.jDUbVpFvB1",
            "{SHA256}L55TUjtiq8FBorTWAZ0jy6g129A=",
            "{SMD5}aGFzaA==",
            "_J9..CCCCXBrJUJV154M",
            "",
            "$",
            "{",
            "{SHA",
            "é",
            "\0",
        ] {
            assert_eq!(detect(stored), None, "{stored}");
            assert_eq!(verify(stored, b"secret"), Err(LegacyError::Unsupported), "{stored}");
        }
    }

    /// Strings with a known prefix that no tool could have written are `Malformed`, quickly.
    #[test]
    fn malformed_hashes_are_refused() {
        let long_salt = format!("$1${}$CVtlMpOHug1.jDUbVpFvB1", "s".repeat(9));
        let huge = format!("{{SSHA}}{}", "A".repeat(MAX_STORED_LEN));
        let cases: &[&str] = &[
            // bcrypt
            "$2y$",
            "$2y$05$",
            "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqg",
            "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgOO",
            "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqg!",
            "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgé",
            "$2y$5$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgOx",
            "$2y$x5$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
            "$2y$03$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
            "$2y$18$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
            "$2y$31$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
            "$2y$99$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
            "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO$",
            // Unused low bits set in the salt's last character: crypt(3) re-encodes it as `u`.
            "$2b$04$abcdefghijklmnopqrstuvjydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
            // md5-crypt and apr1
            "$1$",
            "$1$saltstri",
            "$1$saltstri$",
            "$1$saltstri$CVtlMpOHug1.jDUbVpFvB",
            "$1$saltstri$CVtlMpOHug1.jDUbVpFvB12",
            "$1$saltstri$CVtlMpOHug1.jDUbVpFvB!",
            "$1$saltstri$CVtlMpOHug1.jDUbVpFvB1$",
            "$1$saltstri$CVtlMpOHug1.jDUbVpFvé",
            &long_salt,
            "$1$ééééé$CVtlMpOHug1.jDUbVpFvB1",
            "$apr1$",
            "$apr1$saltstri$",
            "$apr1$saltstri$3M7Faf5EXu1biGL6p4ueM1\n",
            // sha-crypt
            "$5$",
            "$5$salt",
            "$5$salt$",
            "$5$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng",
            "$5$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng77",
            // A digest that is not base64 makes sha_crypt::sha256_check panic.
            "$5$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng!",
            "$5$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7$",
            "$5$saltstringsaltstr$jLZQheM22MPm6SnLJWD3VQoX3IEoDyQRzGwNm7I7TtC",
            "$5$rounds=",
            "$5$rounds=5000",
            "$5$rounds=$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds=abc$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds=+5000$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds=-5000$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds= 5000$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds=05000$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds=999$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds=0$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds=1000001$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds=999999999$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$5$rounds=99999999999999999999999999$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            "$6$",
            "$6$rounds=999999999$R9JRchT.jf6/9sbR$vX/0JoR.XYvuiUABWBP8D9RWc7zcZIIZ0muBEmQHJh5LrbjCjfEqg3HBo8IsLolq7k3./h17UbsGSACmBNu2Z/",
            "$6$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
            // {SSHA} and {SHA}
            "{SSHA}",
            "{SSHA}!!!!",
            "{SSHA}msgbtEzyJ6ryPbEGLts6RIeTtBqhssPU=",
            "{SSHA}msgbtEzyJ6ryPbEGLts6RIeTtBqhssP",
            // Exactly a digest, no salt.
            "{SSHA}L55TUjtiq8FBorTWAZ0jy6g129A=",
            &huge,
            "{SHA}",
            "{SHA}AAAA",
            "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A",
            "{SHA}L55TUjtiq8FBorTWAZ0jy6g129AA",
            "{SHA}L55TUjtiq8FBorTWAZ0jy6g129B=",
            "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A= ",
            "{SHA}msgbtEzyJ6ryPbEGLts6RIeTtBqhssPU",
        ];
        for stored in cases {
            assert!(detect(stored).is_some(), "{stored}");
            assert!(matches!(verify(stored, b"correct horse"), Err(LegacyError::Malformed(_))), "{stored}");
        }
    }

    /// Every prefix of every vector, and every vector with one character replaced, gives an
    /// answer without panicking, and never a match.
    #[test]
    fn truncated_and_mutated_hashes_never_panic_or_match() {
        for &(stored, password, _) in VECTORS {
            for end in (0..stored.len()).filter(|&i| stored.is_char_boundary(i)) {
                assert_ne!(verify(&stored[..end], password), Ok(true), "{stored} cut at {end}");
            }
            for (at, original) in stored.char_indices() {
                for replacement in ['$', '!', '.', 'é', '\0'] {
                    if replacement == original {
                        continue;
                    }
                    let mut mutated = stored.to_owned();
                    mutated.replace_range(at..at + original.len_utf8(), replacement.encode_utf8(&mut [0; 4]));
                    assert_ne!(verify(&mutated, password), Ok(true), "{mutated}");
                }
            }
        }
    }

    /// Like crypt(3), bcrypt uses only the first 72 bytes of the password.
    #[test]
    fn bcrypt_uses_the_first_72_bytes() {
        assert_eq!(verify(BCRYPT_72_X, &[b'x'; 72]), Ok(true));
        assert_eq!(verify(BCRYPT_72_X, &[b'x'; 80]), Ok(true));
        assert_eq!(verify(BCRYPT_72_X, &[b'x'; 71]), Ok(false));
    }

    /// Passwords over the length cap never match, whatever the format would say.
    #[test]
    fn overlong_password_is_a_mismatch() {
        assert_eq!(verify(BCRYPT_72_X, &[b'x'; MAX_PASSWORD_LEN]), Ok(true));
        assert_eq!(verify(BCRYPT_72_X, &[b'x'; MAX_PASSWORD_LEN + 1]), Ok(false));
        let huge = vec![b'a'; 1 << 20];
        for &(stored, _, _) in VECTORS {
            assert_eq!(verify(stored, &huge), Ok(false), "{stored}");
        }
    }

    /// The md5-crypt core alone, against the `openssl passwd -1` / `-apr1` vectors.
    #[test]
    fn md5_crypt_digest_matches_openssl() {
        assert_eq!(&md5_crypt(b"correct horse", b"$1$", b"saltstri"), b"CVtlMpOHug1.jDUbVpFvB1");
        assert_eq!(&md5_crypt(b"correct horse", b"$apr1$", b"saltstri"), b"3M7Faf5EXu1biGL6p4ueM1");
    }

    /// Error messages say what is wrong and never quote the input.
    #[test]
    fn errors_do_not_leak_the_hash() {
        let stored = "$5$rounds=999999999$secretsalt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7";
        let message = verify(stored, b"hunter2").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(message, "malformed password hash: sha-crypt rounds above the 1,000,000 limit");
        assert_eq!(LegacyError::Unsupported.to_string(), "unsupported password hash format");
    }
}
