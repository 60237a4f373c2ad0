//! Stateless Digest nonces and the `opaque` value.
//!
//! A nonce is `base64url(issued_at ‖ random ‖ tag)` without padding, where `issued_at` is the
//! issue time (8 bytes, big-endian Unix seconds), `random` 16 fresh random bytes and `tag` the
//! first 16 bytes of HMAC-SHA256(key, label ‖ issued_at ‖ random ‖ len(realm) ‖ realm ‖
//! opaque). The server keeps no state per nonce: the tag proves it issued the nonce for this
//! realm, the timestamp says how old it is. Replays within the lifetime are caught by
//! [`NcTracker`](super::NcTracker).
//!
//! With the SQLite store the key lives only in memory and is made at startup, so a restart
//! invalidates all nonces (clients are challenged again). Instances sharing a PostgreSQL
//! store sign with one key kept there, so a nonce from one is good on all (their replay
//! record is shared too: [`SharedNonceRecord`](super::SharedNonceRecord)).

use std::fmt;

use crate::clock::Clock;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::error::DigestError;

type HmacSha256 = Hmac<Sha256>;

const TS_LEN: usize = 8;
const RANDOM_LEN: usize = 16;
const TAG_LEN: usize = 16;
const RAW_LEN: usize = TS_LEN + RANDOM_LEN + TAG_LEN;
/// Length of an encoded nonce: base64 of 40 bytes without padding.
const NONCE_LEN: usize = (RAW_LEN * 4).div_ceil(3);

const NONCE_LABEL: &[u8] = b"wicket digest nonce v1\0";
const OPAQUE_LABEL: &[u8] = b"wicket digest opaque v1\0";

/// How far in the future a nonce's timestamp may be (clock steps, several instances sharing
/// a key) before it is refused as invalid.
pub const MAX_FUTURE_SKEW_SECS: i64 = 30;

/// The secret that signs nonces: 32 random bytes, made once at startup (or once per shared
/// store).
///
/// `Debug` prints `NonceKey(***)`.
#[derive(Clone)]
pub struct NonceKey {
    mac: HmacSha256,
    opaque: String,
}

/// What [`NonceKey::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// Issued by us for this realm, within its lifetime.
    Valid {
        /// When it was issued (Unix seconds).
        issued_at: i64,
    },
    /// Issued by us but older than the lifetime: answer with `stale=true`.
    Stale,
    /// Not ours, garbled, for another realm, or dated in the future.
    Invalid,
}

impl NonceKey {
    /// A fresh key from the operating system's random generator.
    pub fn generate() -> Result<Self, DigestError> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.try_fill_bytes(&mut bytes).map_err(|_| DigestError::Random)?;
        let key = Self::from_bytes(bytes);
        bytes.fill(0);
        Ok(key)
    }

    /// A key from known bytes (tests, or a key shared by several instances).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        // HMAC pads a short key with zeros to the block size; doing it here keeps the
        // constructor infallible.
        let mut block = hmac::digest::Key::<HmacSha256>::default();
        for (dst, src) in block.iter_mut().zip(bytes) {
            *dst = src;
        }
        let mac = <HmacSha256 as KeyInit>::new(&block);
        block.fill(0);
        let mut m = mac.clone();
        m.update(OPAQUE_LABEL);
        let tag = m.finalize().into_bytes();
        let opaque = URL_SAFE_NO_PAD.encode(tag.get(..TAG_LEN).unwrap_or_default());
        Self { mac, opaque }
    }

    /// The `opaque` value to send in challenges: stable for this key, reveals nothing.
    pub fn opaque(&self) -> &str {
        &self.opaque
    }

    /// Whether `given` is our `opaque` value (constant time).
    pub fn check_opaque(&self, given: &str) -> bool {
        bool::from(self.opaque.as_bytes().ct_eq(given.as_bytes()))
    }

    fn tag(&self, ts: &[u8], random: &[u8], realm: &str) -> [u8; TAG_LEN] {
        let mut m = self.mac.clone();
        m.update(NONCE_LABEL);
        m.update(ts);
        m.update(random);
        m.update(&(realm.len() as u64).to_be_bytes());
        m.update(realm.as_bytes());
        m.update(self.opaque.as_bytes());
        let full = m.finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        for (dst, src) in tag.iter_mut().zip(full.iter()) {
            *dst = *src;
        }
        tag
    }

    /// Issues a nonce for `realm`, dated now.
    pub fn issue(&self, realm: &str, clock: &dyn Clock) -> String {
        let mut random = [0u8; RANDOM_LEN];
        rand::thread_rng().fill_bytes(&mut random);
        self.issue_with(realm, clock.now(), random)
    }

    fn issue_with(&self, realm: &str, issued_at: i64, random: [u8; RANDOM_LEN]) -> String {
        let ts = issued_at.to_be_bytes();
        let tag = self.tag(&ts, &random, realm);
        let mut raw = [0u8; RAW_LEN];
        for (dst, src) in raw.iter_mut().zip(ts.iter().chain(&random).chain(&tag)) {
            *dst = *src;
        }
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Checks a nonce a client sent back for `realm`: ours and unaltered (tag compared in
    /// constant time), not from the future beyond [`MAX_FUTURE_SKEW_SECS`], and not older
    /// than `lifetime_secs`.
    pub fn check(&self, nonce: &str, realm: &str, clock: &dyn Clock, lifetime_secs: i64) -> NonceCheck {
        if nonce.len() != NONCE_LEN {
            return NonceCheck::Invalid;
        }
        let mut raw = [0u8; RAW_LEN];
        // The engine refuses padding and non-zero trailing bits, so each nonce has exactly one
        // spelling: the replay tracker may key on the string.
        match URL_SAFE_NO_PAD.decode_slice(nonce, &mut raw) {
            Ok(RAW_LEN) => {}
            _ => return NonceCheck::Invalid,
        }
        let (ts, rest) = raw.split_at(TS_LEN);
        let (random, tag) = rest.split_at(RANDOM_LEN);
        let expected = self.tag(ts, random, realm);
        if !bool::from(expected.ct_eq(tag)) {
            return NonceCheck::Invalid;
        }
        let mut ts_bytes = [0u8; TS_LEN];
        for (dst, src) in ts_bytes.iter_mut().zip(ts) {
            *dst = *src;
        }
        let issued_at = i64::from_be_bytes(ts_bytes);
        let now = clock.now();
        if issued_at > now.saturating_add(MAX_FUTURE_SKEW_SECS) {
            return NonceCheck::Invalid;
        }
        if now.saturating_sub(issued_at) > lifetime_secs {
            return NonceCheck::Stale;
        }
        NonceCheck::Valid { issued_at }
    }
}

impl fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NonceKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    const REALM: &str = "wicket";
    const T0: i64 = 1_700_000_000;

    fn key() -> NonceKey {
        NonceKey::from_bytes([7; 32])
    }

    #[test]
    fn valid_nonce() {
        let k = key();
        let clock = ManualClock::new(T0);
        let n = k.issue(REALM, &clock);
        assert_eq!(n.len(), NONCE_LEN);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(k.check(&n, REALM, &clock, 300), NonceCheck::Valid { issued_at: T0 });
        clock.advance(300);
        assert_eq!(k.check(&n, REALM, &clock, 300), NonceCheck::Valid { issued_at: T0 });
    }

    #[test]
    fn nonces_are_unique() {
        let k = key();
        let clock = ManualClock::new(T0);
        assert_ne!(k.issue(REALM, &clock), k.issue(REALM, &clock));
    }

    #[test]
    fn generated_keys_differ() {
        let a = NonceKey::generate().expect("os rng");
        let b = NonceKey::generate().expect("os rng");
        assert_ne!(a.opaque(), b.opaque());
        let clock = ManualClock::new(T0);
        assert_eq!(b.check(&a.issue(REALM, &clock), REALM, &clock, 300), NonceCheck::Invalid);
    }

    #[test]
    fn stale_after_lifetime() {
        let k = key();
        let clock = ManualClock::new(T0);
        let n = k.issue(REALM, &clock);
        clock.advance(301);
        assert_eq!(k.check(&n, REALM, &clock, 300), NonceCheck::Stale);
    }

    #[test]
    fn forged_nonces_are_invalid() {
        let k = key();
        let clock = ManualClock::new(T0);
        let n = k.issue(REALM, &clock);
        // Flip every character in turn: never valid.
        for i in 0..n.len() {
            let mut bytes = n.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(bytes).expect("ascii");
            assert_eq!(k.check(&forged, REALM, &clock, 300), NonceCheck::Invalid, "at {i}");
        }
        // Another realm, another key, garbage, padding, wrong lengths.
        assert_eq!(k.check(&n, "other", &clock, 300), NonceCheck::Invalid);
        assert_eq!(NonceKey::from_bytes([8; 32]).check(&n, REALM, &clock, 300), NonceCheck::Invalid);
        for bad in ["", "x", "!!!", &format!("{n}="), &format!("{n}A"), &n[1..], &"A".repeat(NONCE_LEN)] {
            assert_eq!(k.check(bad, REALM, &clock, 300), NonceCheck::Invalid, "{bad}");
        }
    }

    #[test]
    fn only_the_canonical_spelling_is_accepted() {
        // 40 bytes = 320 bits in 54 characters (324 bits): the last character carries 4 unused
        // bits that must be zero. A second spelling would dodge the replay tracker.
        let k = key();
        let clock = ManualClock::new(T0);
        let n = k.issue(REALM, &clock);
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = n.as_bytes()[NONCE_LEN - 1];
        let pos = ALPHABET.iter().position(|&c| c == last).expect("base64url");
        assert_eq!(pos & 0x0f, 0, "canonical encoding has zero trailing bits");
        for low in 1..16 {
            let mut other = n.clone().into_bytes();
            other[NONCE_LEN - 1] = ALPHABET[pos | low];
            let other = String::from_utf8(other).expect("ascii");
            assert_eq!(k.check(&other, REALM, &clock, 300), NonceCheck::Invalid);
        }
    }

    #[test]
    fn future_timestamps_are_invalid() {
        let k = key();
        let clock = ManualClock::new(T0);
        let far = k.issue_with(REALM, T0 + MAX_FUTURE_SKEW_SECS + 1, [1; RANDOM_LEN]);
        assert_eq!(k.check(&far, REALM, &clock, 300), NonceCheck::Invalid);
        let near = k.issue_with(REALM, T0 + MAX_FUTURE_SKEW_SECS, [1; RANDOM_LEN]);
        assert_eq!(k.check(&near, REALM, &clock, 300), NonceCheck::Valid { issued_at: T0 + MAX_FUTURE_SKEW_SECS });
        let extreme = k.issue_with(REALM, i64::MAX, [1; RANDOM_LEN]);
        assert_eq!(k.check(&extreme, REALM, &clock, 300), NonceCheck::Invalid);
        let ancient = k.issue_with(REALM, i64::MIN, [1; RANDOM_LEN]);
        assert_eq!(k.check(&ancient, REALM, &clock, 300), NonceCheck::Stale);
    }

    #[test]
    fn opaque_is_stable_and_checked() {
        let k = key();
        assert_eq!(k.opaque(), key().opaque());
        assert_ne!(k.opaque(), NonceKey::from_bytes([8; 32]).opaque());
        assert!(k.check_opaque(k.opaque()));
        assert!(!k.check_opaque(""));
        assert!(!k.check_opaque(&format!("{}x", k.opaque())));
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(format!("{:?}", key()), "NonceKey(***)");
    }
}
