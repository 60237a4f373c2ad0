//! TOTP as a second factor (RFC 6238 over RFC 4226), for every front: the portal, the CLI
//! and PAM all go through [`SecondFactor`], over one store connection.
//!
//! How it fits together:
//! - [`otp`]: the code arithmetic (HMAC-SHA-1, 6 digits, 30 s: what every authenticator app
//!   reads by default), the base32 secret and the `otpauth://` URI.
//! - [`key`]: the key file that seals secrets at rest (XChaCha20-Poly1305, the account as
//!   associated data), so a copy of the database alone reveals no secret.
//! - [`recovery`]: ten one-time recovery codes, stored hashed.
//! - [`qr`]: the URI as a QR code for a terminal or a web page.
//! - The store keeps the sealed secret, whether the enrolment is confirmed, and the latest
//!   accepted time step. Accepting a code moves that step forward in one compare-and-set
//!   ([`crate::store::UserStore::advance_totp_step`]), so each code is good once, even with
//!   two requests racing, and a code from an earlier step of the window is refused after a
//!   later one was used.
//!
//! Throttling is not here: a wrong code must cost like a wrong password, so fronts check
//! codes through [`crate::verify::Authenticator::verify_code`], which applies the password
//! throttle's keys around [`SecondFactor::verify`].

pub mod key;
pub mod otp;
pub mod qr;
pub mod recovery;
#[cfg(test)]
mod tests;

pub use key::TotpKey;

use crate::clock::Clock;
use crate::config::{Config, TotpConfig};
use crate::error::{Error, Result};
use crate::store::{TotpRecord, UserStore};
use rand::RngCore;
use std::fmt;
use zeroize::Zeroizing;

/// A new enrolment, shown to the user once: the URI for a QR code, and the secret in
/// base32 for typing into an app by hand. Both are secrets: `Debug` hides them.
pub struct Enrollment {
    /// `otpauth://totp/ISSUER:USER?secret=…`.
    pub uri: Zeroizing<String>,
    /// The secret, RFC 4648 base32 without padding.
    pub secret_b32: Zeroizing<String>,
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Enrollment(***)")
    }
}

/// What a presented code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// A right TOTP code, now used up.
    Code,
    /// A right recovery code, now used up; this many are left.
    RecoveryCode {
        /// Unused recovery codes left.
        remaining: u64,
    },
    /// Not a right code (nor an unused recovery code).
    Wrong,
    /// A right TOTP code whose time step was already used (replay).
    Reused,
    /// The account has no confirmed enrolment (for `confirm`: no enrolment at all).
    NotEnrolled,
}

impl Verified {
    /// True for an accepted code.
    pub fn accepted(self) -> bool {
        matches!(self, Self::Code | Self::RecoveryCode { .. })
    }
}

/// The second-factor service over one store connection. Accounts are `(user, backend)`:
/// an LDAP or PAM user enrols as well as a local one.
pub struct SecondFactor<'a> {
    store: &'a mut dyn UserStore,
    cfg: &'a TotpConfig,
    issuer: &'a str,
    clock: &'a dyn Clock,
}

impl fmt::Debug for SecondFactor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecondFactor").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl<'a> SecondFactor<'a> {
    /// The service with `config`'s `[totp]` settings (the issuer falls back to the realm).
    pub fn new(store: &'a mut dyn UserStore, config: &'a Config, clock: &'a dyn Clock) -> Self {
        Self { store, cfg: &config.totp, issuer: config.totp.issuer_or(&config.server.realm), clock }
    }

    fn step_now(&self) -> i64 {
        otp::time_step(self.clock.now(), otp::PERIOD)
    }

    /// Starts (or restarts) an enrolment with a fresh secret: unconfirmed until
    /// [`confirm`](Self::confirm) sees a first right code. Creates the key file if missing.
    /// Restarting drops a previous enrolment and its recovery codes.
    pub fn enroll(&mut self, user: &str, backend: &str) -> Result<Enrollment> {
        if user.is_empty() || backend.is_empty() || user.chars().any(char::is_control) {
            return Err(Error::Invalid("TOTP: a user and a backend are needed".into()));
        }
        let key = TotpKey::load_or_create(&self.cfg.key_file)?;
        let mut secret = Zeroizing::new([0u8; otp::SECRET_LEN]);
        rand::rngs::OsRng.try_fill_bytes(secret.as_mut()).map_err(|_| Error::Invalid("no randomness".into()))?;
        let record = TotpRecord {
            backend: backend.to_string(),
            user_name: user.to_string(),
            secret_enc: key.seal(backend, user, secret.as_ref())?,
            confirmed: false,
            last_step: -1,
            created_at: self.clock.now(),
        };
        self.store.put_totp(&record)?;
        Ok(Enrollment {
            uri: Zeroizing::new(otp::otpauth_uri(self.issuer, user, secret.as_ref())),
            secret_b32: Zeroizing::new(otp::base32(secret.as_ref())),
        })
    }

    /// Confirms a pending enrolment with a first right TOTP code (recovery codes do not
    /// count). On an already confirmed enrolment it is [`verify`](Self::verify) for TOTP codes.
    pub fn confirm(&mut self, user: &str, backend: &str, code: &str) -> Result<Verified> {
        let Some(record) = self.store.get_totp(backend, user)? else { return Ok(Verified::NotEnrolled) };
        let answer = self.check_totp(&record, code)?;
        if answer == Verified::Code && !record.confirmed {
            self.store.confirm_totp(backend, user)?;
        }
        Ok(answer)
    }

    /// Checks a code typed at sign-in: a TOTP code, or else one of the recovery codes. An
    /// accepted code is used up. Not throttled here (see the module docs).
    pub fn verify(&mut self, user: &str, backend: &str, code: &str) -> Result<Verified> {
        let record = match self.store.get_totp(backend, user)? {
            Some(r) if r.confirmed => r,
            _ => return Ok(Verified::NotEnrolled),
        };
        if otp::normalise_code(code).is_some() {
            return self.check_totp(&record, code);
        }
        let Some(typed) = recovery::normalise(code) else { return Ok(Verified::Wrong) };
        let now = self.clock.now();
        if self.store.consume_recovery_code(backend, user, &recovery::hash(&typed), now)? {
            let remaining = self.store.unused_recovery_codes(backend, user)?;
            return Ok(Verified::RecoveryCode { remaining });
        }
        Ok(Verified::Wrong)
    }

    /// The TOTP check proper: the code against every step of the window, then the step
    /// moved forward (or the code refused as a replay).
    fn check_totp(&mut self, record: &TotpRecord, code: &str) -> Result<Verified> {
        let Some(code) = otp::normalise_code(code) else { return Ok(Verified::Wrong) };
        let key = TotpKey::load(&self.cfg.key_file)?;
        let secret = key.open(&record.backend, &record.user_name, &record.secret_enc)?;
        let Some(step) = otp::matching_step(&secret, &code, self.step_now(), self.cfg.window) else {
            return Ok(Verified::Wrong);
        };
        if self.store.advance_totp_step(&record.backend, &record.user_name, step)? {
            Ok(Verified::Code)
        } else {
            Ok(Verified::Reused)
        }
    }

    /// Removes the account's second factor (TOTP and recovery codes); false if it had none.
    pub fn reset(&mut self, user: &str, backend: &str) -> Result<bool> {
        self.store.delete_totp(backend, user)
    }

    /// Issues ten new recovery codes, replacing all earlier ones, for an account with an
    /// enrolment (confirmed or pending). Shown once: only their hashes are kept.
    pub fn recovery_codes(&mut self, user: &str, backend: &str) -> Result<Vec<Zeroizing<String>>> {
        if self.store.get_totp(backend, user)?.is_none() {
            return Err(Error::Invalid(format!("`{user}` has no TOTP enrolment")));
        }
        let codes = recovery::generate();
        let hashes: Vec<String> =
            codes.iter().filter_map(|c| recovery::normalise(c)).map(|n| recovery::hash(&n)).collect();
        self.store.replace_recovery_codes(backend, user, &hashes)?;
        Ok(codes)
    }

    /// Unused recovery codes left.
    pub fn recovery_codes_left(&self, user: &str, backend: &str) -> Result<u64> {
        self.store.unused_recovery_codes(backend, user)
    }

    /// True when the account has a confirmed enrolment.
    pub fn is_enrolled(&self, user: &str, backend: &str) -> Result<bool> {
        Ok(self.store.get_totp(backend, user)?.is_some_and(|r| r.confirmed))
    }
}
