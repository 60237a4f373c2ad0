//! The arithmetic: RFC 4226 HOTP and RFC 6238 TOTP (HMAC-SHA-1, dynamic truncation), the
//! base32 form of a secret and the `otpauth://` URI authenticator apps read. No storage, no
//! clock: the time step is an argument.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Digits of a code: what every authenticator app shows by default.
pub const DIGITS: u32 = 6;
/// Seconds per time step (RFC 6238's X): the apps' default.
pub const PERIOD: i64 = 30;
/// Bytes of a new secret: 160 bits, the HMAC-SHA-1 block the RFC recommends.
pub const SECRET_LEN: usize = 20;

/// RFC 4226 HOTP: HMAC-SHA-1 over the big-endian counter, dynamically truncated to a 31-bit
/// number, reduced to `digits` decimal digits (zero-padded).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC key"));
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    let modulus = 10u64.pow(digits);
    format!("{:0width$}", u64::from(bin) % modulus, width = digits as usize)
}

/// The RFC 6238 time step of `unix_time` (T = floor(time / period), T0 = 0); times before
/// the epoch are step 0.
pub fn time_step(unix_time: i64, period: i64) -> i64 {
    unix_time.max(0) / period.max(1)
}

/// The TOTP code for a time step.
pub fn totp_at_step(secret: &[u8], step: i64, digits: u32) -> String {
    hotp(secret, u64::try_from(step).unwrap_or(0), digits)
}

/// The steps within `window` of `current` for which `code` is right, searched through all
/// of them (no early exit) and compared in constant time. The latest matching step is
/// returned: the one that replay protection then records.
pub fn matching_step(secret: &[u8], code: &str, current: i64, window: u32) -> Option<i64> {
    let w = i64::from(window);
    let mut found = None;
    for step in (current - w).max(0)..=current + w {
        let expected = totp_at_step(secret, step, DIGITS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

/// A code as typed: digits with spaces or dashes between them (`123 456`) are accepted.
/// Anything else is not a TOTP code.
pub fn normalise_code(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A secret in RFC 4648 base32 without padding (what the `secret=` parameter carries).
pub fn base32(secret: &[u8]) -> String {
    BASE32_NOPAD.encode(secret)
}

/// Everything but RFC 3986's unreserved characters is percent-encoded in the label and the
/// issuer (a space becomes `%20`, which every app reads; `:` and `@` are encoded too).
const LABEL: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `otpauth://totp/ISSUER:USER?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(issuer: &str, user: &str, secret: &[u8]) -> String {
    let issuer = utf8_percent_encode(issuer, LABEL).to_string();
    let user = utf8_percent_encode(user, LABEL);
    format!(
        "otpauth://totp/{issuer}:{user}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        base32(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4226 Appendix D / RFC 6238 Appendix B: the ASCII secret "12345678901234567890".
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_appendix_d() {
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64, 6), *want, "counter {counter}");
        }
    }

    #[test]
    fn rfc6238_appendix_b_sha1() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (t, want) in vectors {
            assert_eq!(totp_at_step(RFC_SECRET, time_step(t, PERIOD), 8), want, "time {t}");
        }
    }

    #[test]
    fn the_window_is_one_step_either_side() {
        let now = time_step(1_234_567_890, PERIOD);
        for delta in [-1, 0, 1] {
            let code = totp_at_step(RFC_SECRET, now + delta, DIGITS);
            assert_eq!(matching_step(RFC_SECRET, &code, now, 1), Some(now + delta));
        }
        for delta in [-2, 2] {
            let code = totp_at_step(RFC_SECRET, now + delta, DIGITS);
            assert_eq!(matching_step(RFC_SECRET, &code, now, 1), None, "{delta} steps away");
        }
        assert_eq!(matching_step(RFC_SECRET, "12345", now, 1), None);
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalise_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalise_code("123-456").as_deref(), Some("123456"));
        assert_eq!(normalise_code("12345"), None);
        assert_eq!(normalise_code("１２３４５６"), None);
        assert_eq!(normalise_code("abcdef"), None);
    }

    #[test]
    fn base32_is_rfc4648_without_padding() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32(&[0u8; SECRET_LEN]).len(), 32);
    }

    #[test]
    fn the_uri_names_issuer_and_user_encoded() {
        let uri = otpauth_uri("ACME Co", "alice@example.org", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/ACME%20Co:alice%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
        );
        let tricky = otpauth_uri("a:b", "c&d=e?f#", RFC_SECRET);
        assert!(tricky.starts_with("otpauth://totp/a%3Ab:c%26d%3De%3Ff%23?secret="), "{tricky}");
    }
}
