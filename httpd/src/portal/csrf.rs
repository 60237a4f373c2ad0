//! CSRF tokens for every portal form.
//!
//! A token is `base64url(issued_at ‖ HMAC-SHA256(key, purpose, binding, issued_at))`: 8 bytes
//! of issue time (seconds, big-endian) and 32 of MAC, 54 characters. The key is a random
//! [`CsrfKey`] made when the process starts, so a restart invalidates open forms (the page
//! is simply shown again). Nothing is stored server-side.
//!
//! The binding ties a token to one browser:
//! - after sign-in, to the session ([`Binding::Session`], the hash of the session id the
//!   store keeps), so a token taken from one session is worthless in another;
//! - before sign-in there is no session, so the login form uses a double-submit: a separate
//!   random cookie ([`prelogin_cookie_name`], `__Host-` prefixed when `Secure`) is set with the
//!   form, and the hidden field holds a token bound to that cookie's value
//!   ([`Binding::PreLogin`]). A cross-site attacker can neither read the cookie nor mint a
//!   token for it; a sibling subdomain that overwrites the cookie still cannot mint one.
//!
//! The purpose (login, logout, password change) is under the MAC, so a token for one form
//! does not work on another. Time is an input: [`issue`] and [`verify`] take `now`; nothing
//! here reads a clock. The MAC is compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fmt;
use std::time::Duration;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

const TIME_LEN: usize = 8;
const MAC_LEN: usize = 32;
/// Length of a token in characters.
pub const TOKEN_LEN: usize = (TIME_LEN + MAC_LEN).div_ceil(3) * 4 - 2;
/// How far in the future an issue time may be (wall clocks step back a little).
const CLOCK_SKEW_SECS: i64 = 60;
/// Random bytes in the pre-login cookie value.
const PRELOGIN_BYTES: usize = 32;

/// The process key: 32 random bytes, wiped on drop, never printed.
pub struct CsrfKey(Zeroizing<[u8; 32]>);

impl CsrfKey {
    /// A fresh key from the operating system's generator.
    pub fn generate() -> Result<Self, CsrfError> {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.try_fill_bytes(key.as_mut()).map_err(|_| CsrfError::Random)?;
        Ok(Self(key))
    }

    /// A key from known bytes (tests; a key shared between processes).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    fn mac(&self, purpose: Purpose, binding: &Binding<'_>, issued_at: i64) -> [u8; MAC_LEN] {
        // HMAC accepts a key of any length; 32 bytes cannot fail.
        let mut m = <HmacSha256 as Mac>::new_from_slice(self.0.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC key of any length"));
        let (kind, bytes) = match binding {
            Binding::Session(h) => (b"session".as_slice(), *h),
            Binding::PreLogin(v) => (b"prelogin".as_slice(), v.as_bytes()),
        };
        // Every variable-length field is length-prefixed so no two inputs run together.
        for field in [b"wicket-csrf-v1".as_slice(), purpose.as_str().as_bytes(), kind, bytes] {
            m.update(&(field.len() as u64).to_be_bytes());
            m.update(field);
        }
        m.update(&issued_at.to_be_bytes());
        m.finalize().into_bytes().into()
    }
}

impl fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfKey(***)")
    }
}

/// Which form a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `POST /login`.
    Login,
    /// `POST /logout`.
    Logout,
    /// `POST /password`.
    PasswordChange,
    /// The OpenID Connect flow cookie (`/oidc/start` to `/oidc/callback`), bound to its own
    /// payload.
    OidcFlow,
    /// `POST /login/code`: the code of a pending sign-in (bound to the pre-login cookie and
    /// the pending sign-in itself).
    SecondFactor,
    /// `POST /login/step-up`.
    StepUp,
    /// `POST /account/two-factor`.
    TwoFactorAccount,
    /// `POST /invite` (bound to the invitation cookie, the pre-login way).
    Invite,
    /// `POST /account/passkeys`.
    PasskeyAccount,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Logout => "logout",
            Self::PasswordChange => "password",
            Self::OidcFlow => "oidc-flow",
            Self::SecondFactor => "second_factor",
            Self::StepUp => "step_up",
            Self::TwoFactorAccount => "two_factor_account",
            Self::Invite => "invite",
            Self::PasskeyAccount => "passkey_account",
        }
    }
}

/// What a token is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding<'a> {
    /// The hash of the session id, as the store keeps it.
    Session(&'a [u8]),
    /// The value of the pre-login cookie.
    PreLogin(&'a str),
}

impl Binding<'_> {
    fn is_empty(&self) -> bool {
        match self {
            Self::Session(h) => h.is_empty(),
            Self::PreLogin(v) => v.is_empty(),
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsrfError {
    /// No token, or not one this code writes (length, alphabet).
    Malformed,
    /// Nothing to bind to: no session and no pre-login cookie (or an empty one).
    Unbound,
    /// Older than the maximum age, or issued in the future.
    Expired,
    /// The MAC does not match: another session, form, key, or a tampered token.
    Mismatch,
    /// The operating system's random generator failed.
    Random,
}

impl fmt::Display for CsrfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "missing or malformed CSRF token",
            Self::Unbound => "CSRF token without a session or pre-login cookie",
            Self::Expired => "expired CSRF token",
            Self::Mismatch => "CSRF token does not match",
            Self::Random => "random generator failed",
        })
    }
}

impl std::error::Error for CsrfError {}

/// A token for `purpose` bound to `binding`, issued at `now` (seconds since the epoch).
pub fn issue(key: &CsrfKey, purpose: Purpose, binding: Binding<'_>, now: i64) -> Result<String, CsrfError> {
    if binding.is_empty() {
        return Err(CsrfError::Unbound);
    }
    let mut raw = [0u8; TIME_LEN + MAC_LEN];
    raw[..TIME_LEN].copy_from_slice(&now.to_be_bytes());
    raw[TIME_LEN..].copy_from_slice(&key.mac(purpose, &binding, now));
    Ok(URL_SAFE_NO_PAD.encode(raw))
}

/// Checks `token` for `purpose` and `binding` at `now`; valid for `max_age` after issue.
pub fn verify(
    key: &CsrfKey,
    purpose: Purpose,
    binding: Binding<'_>,
    token: &str,
    now: i64,
    max_age: Duration,
) -> Result<(), CsrfError> {
    if binding.is_empty() {
        return Err(CsrfError::Unbound);
    }
    if token.len() != TOKEN_LEN {
        return Err(CsrfError::Malformed);
    }
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| CsrfError::Malformed)?;
    let (time, mac) = raw.split_at_checked(TIME_LEN).ok_or(CsrfError::Malformed)?;
    let issued_at = i64::from_be_bytes(time.try_into().map_err(|_| CsrfError::Malformed)?);
    let expected = key.mac(purpose, &binding, issued_at);
    if !bool::from(expected.as_slice().ct_eq(mac)) {
        return Err(CsrfError::Mismatch);
    }
    // Checked after the MAC: the issue time is only believed once it is known to be ours.
    let max_age = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
    let age = now.saturating_sub(issued_at);
    if age > max_age || age < -CLOCK_SKEW_SECS {
        return Err(CsrfError::Expired);
    }
    Ok(())
}

/// A fresh value for the pre-login cookie: 256 random bits, base64url.
pub fn new_prelogin_value() -> Result<String, CsrfError> {
    let mut bytes = Zeroizing::new([0u8; PRELOGIN_BYTES]);
    rand::rngs::OsRng.try_fill_bytes(bytes.as_mut()).map_err(|_| CsrfError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// The pre-login cookie's name. With `Secure` it carries the `__Host-` prefix, which
/// browsers accept only host-only, `Path=/` and `Secure`, so a sibling subdomain cannot
/// plant one; browsers refuse the prefix without `Secure`, so plain-HTTP test setups get
/// the bare name.
pub fn prelogin_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-wicket_csrf" } else { "wicket_csrf" }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const HOUR: Duration = Duration::from_secs(3600);

    fn key() -> CsrfKey {
        CsrfKey::from_bytes([7; 32])
    }

    fn token(purpose: Purpose, binding: Binding<'_>) -> String {
        issue(&key(), purpose, binding, NOW).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn good_token_passes() {
        let t = token(Purpose::Logout, Binding::Session(b"hash-a"));
        assert_eq!(t.len(), TOKEN_LEN);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{t}");
        assert_eq!(verify(&key(), Purpose::Logout, Binding::Session(b"hash-a"), &t, NOW, HOUR), Ok(()));
        assert_eq!(verify(&key(), Purpose::Logout, Binding::Session(b"hash-a"), &t, NOW + 3600, HOUR), Ok(()));
    }

    #[test]
    fn other_session_form_or_key_is_refused() {
        let t = token(Purpose::Logout, Binding::Session(b"hash-a"));
        let v = |k: &CsrfKey, p, b| verify(k, p, b, &t, NOW, HOUR);
        assert_eq!(v(&key(), Purpose::Logout, Binding::Session(b"hash-b")), Err(CsrfError::Mismatch));
        assert_eq!(v(&key(), Purpose::PasswordChange, Binding::Session(b"hash-a")), Err(CsrfError::Mismatch));
        assert_eq!(v(&key(), Purpose::Logout, Binding::PreLogin("hash-a")), Err(CsrfError::Mismatch));
        assert_eq!(
            v(&CsrfKey::from_bytes([8; 32]), Purpose::Logout, Binding::Session(b"hash-a")),
            Err(CsrfError::Mismatch)
        );
    }

    #[test]
    fn login_double_submit() {
        let cookie = new_prelogin_value().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cookie.len(), 43);
        assert_ne!(cookie, new_prelogin_value().unwrap_or_default());
        let t = token(Purpose::Login, Binding::PreLogin(&cookie));
        assert_eq!(verify(&key(), Purpose::Login, Binding::PreLogin(&cookie), &t, NOW, HOUR), Ok(()));
        // The attacker's own cookie (planted or not) does not go with the victim's field.
        let other = new_prelogin_value().unwrap_or_default();
        assert_eq!(verify(&key(), Purpose::Login, Binding::PreLogin(&other), &t, NOW, HOUR), Err(CsrfError::Mismatch));
    }

    #[test]
    fn expired_and_future_are_refused() {
        let t = token(Purpose::Login, Binding::PreLogin("c"));
        let at = |now| verify(&key(), Purpose::Login, Binding::PreLogin("c"), &t, now, HOUR);
        assert_eq!(at(NOW + 3601), Err(CsrfError::Expired));
        assert_eq!(at(NOW - CLOCK_SKEW_SECS), Ok(()));
        assert_eq!(at(NOW - CLOCK_SKEW_SECS - 1), Err(CsrfError::Expired));
        assert_eq!(at(i64::MIN), Err(CsrfError::Expired));
        let old = issue(&key(), Purpose::Login, Binding::PreLogin("c"), i64::MIN).unwrap_or_default();
        assert_eq!(
            verify(&key(), Purpose::Login, Binding::PreLogin("c"), &old, i64::MAX, HOUR),
            Err(CsrfError::Expired)
        );
    }

    #[test]
    fn tampered_is_refused() {
        let t = token(Purpose::Logout, Binding::Session(b"h"));
        let v = |t: &str| verify(&key(), Purpose::Logout, Binding::Session(b"h"), t, NOW, HOUR);
        // Flip each character in turn: the time, the MAC, and the last (partly padding) one.
        for i in 0..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(b).unwrap_or_default();
            assert!(v(&tampered).is_err(), "position {i}: {tampered}");
        }
        // A later issue time with the old MAC.
        let mut raw = URL_SAFE_NO_PAD.decode(&t).unwrap_or_default();
        raw[..TIME_LEN].copy_from_slice(&(NOW + 10).to_be_bytes());
        assert_eq!(v(&URL_SAFE_NO_PAD.encode(&raw)), Err(CsrfError::Mismatch));
        assert_eq!(v(&format!("{t}A")), Err(CsrfError::Malformed));
        assert_eq!(v(&t[1..]), Err(CsrfError::Malformed));
        assert_eq!(v(&t.replace(|_| true, "+")), Err(CsrfError::Malformed));
    }

    #[test]
    fn empty_token_or_binding_is_refused() {
        let t = token(Purpose::Login, Binding::PreLogin("c"));
        assert_eq!(verify(&key(), Purpose::Login, Binding::PreLogin("c"), "", NOW, HOUR), Err(CsrfError::Malformed));
        assert_eq!(verify(&key(), Purpose::Login, Binding::PreLogin(""), &t, NOW, HOUR), Err(CsrfError::Unbound));
        assert_eq!(verify(&key(), Purpose::Logout, Binding::Session(b""), &t, NOW, HOUR), Err(CsrfError::Unbound));
        assert_eq!(issue(&key(), Purpose::Login, Binding::PreLogin(""), NOW), Err(CsrfError::Unbound));
    }

    #[test]
    fn key_is_not_printed() {
        assert_eq!(format!("{:?}", key()), "CsrfKey(***)");
        let a = CsrfKey::generate().unwrap_or_else(|e| panic!("{e}"));
        let b = CsrfKey::generate().unwrap_or_else(|e| panic!("{e}"));
        let ta = issue(&a, Purpose::Login, Binding::PreLogin("c"), NOW).unwrap_or_default();
        assert_eq!(verify(&b, Purpose::Login, Binding::PreLogin("c"), &ta, NOW, HOUR), Err(CsrfError::Mismatch));
    }

    #[test]
    fn prelogin_cookie_name_follows_secure() {
        assert_eq!(prelogin_cookie_name(true), "__Host-wicket_csrf");
        assert_eq!(prelogin_cookie_name(false), "wicket_csrf");
    }
}
