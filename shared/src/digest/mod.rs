//! RFC 7616 Digest authentication, server side: pure and transport-independent.
//!
//! The HTTP layer hands this module the bytes after `Digest ` and the request target; it never
//! sees hashes, nonces or counts itself. Data flows:
//!
//! 1. **Challenge.** [`DigestVerifier::challenges`] issues a stateless nonce
//!    ([`nonce`]: timestamp, random bytes and an HMAC tag under a key made at startup, or
//!    kept in a shared store for all instances) and formats one `WWW-Authenticate` value per
//!    offered algorithm, preferred first.
//! 2. **Parse.** [`parse_digest`] (or [`parse_authorization`] for the whole header value)
//!    turns untrusted bytes into a [`DigestResponse`] or a [`DigestError`]; it is total and
//!    bounded, and is the fuzzing entry point.
//! 3. **Verify.** [`DigestVerifier::verify`] checks, in this order: realm; algorithm was
//!    offered (so a client cannot fall back to MD5 unless MD5 is configured); `qop=auth`;
//!    `opaque`; `uri` equals the request target; then asks the caller for the user's HA1
//!    ([`compute`]: the server stores HA1 per realm and algorithm, never the password) and
//!    compares the response in constant time; only a right response learns whether its nonce
//!    is usable (expired or unknown → `Stale`, so `stale=true` never invites a retry of a
//!    wrong password), and only then is the nonce count recorded ([`replay`] in memory, or
//!    a [`SharedNonceRecord`] every instance on one store shares), so unauthenticated
//!    requests cannot burn counts. A shared record that cannot be reached makes the answer
//!    `Unavailable`, never an acceptance.
//!
//! Outcomes carry static reasons for the audit log; no secret (HA1, response, password) is
//! ever formatted. Time is read from the injected [`Clock`].

pub mod algorithm;
pub mod challenge;
pub mod compute;
pub mod error;
mod ledger;
pub mod nonce;
pub mod parse;
pub mod replay;

use std::sync::Arc;

use crate::clock::Clock;
use crate::secret::Secret;
use ledger::Replay;

pub use algorithm::Algorithm;
pub use challenge::challenge;
pub use compute::{ResponseParams, expected_response, ha1, ha2, responses_match, userhash, verify_response};
pub use error::DigestError;
pub use ledger::SharedNonceRecord;
pub use nonce::{MAX_FUTURE_SKEW_SECS, NonceCheck, NonceKey};
pub use parse::{
    DigestResponse, MAX_CREDENTIALS_LEN, MAX_PARAMETERS, NonceCount, QopAuth, parse_authorization, parse_digest,
};
pub use replay::{NcTracker, NcVerdict};

/// A sensible bound for [`DigestSettings::max_tracked_nonces`]: about 10 MiB at most.
pub const DEFAULT_MAX_TRACKED_NONCES: usize = 65_536;

/// What a [`DigestVerifier`] offers and enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSettings {
    /// The realm (HA1 values are bound to it). No control characters.
    pub realm: String,
    /// Offered algorithms, preferred first (`[Sha256]`, or `[Sha256, Md5]` for old clients).
    pub algorithms: Vec<Algorithm>,
    /// How long a nonce is accepted after issue; older ones get `stale=true`.
    pub nonce_lifetime_secs: i64,
    /// How many nonces the replay tracker remembers (see [`NcTracker`]).
    pub max_tracked_nonces: usize,
}

/// Who a response claims to be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// A user name, as sent (`username` or decoded `username*`).
    Name(String),
    /// `userhash=true`: H(user ":" realm) in lowercase hex for the response's algorithm; the
    /// caller maps it to a user (the store keeps it next to HA1).
    UserHash(String),
}

/// The verdict on a Digest response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestOutcome<U> {
    /// Authenticated as `user` (whatever the lookup returned with the HA1).
    Ok {
        /// The caller's handle for the user.
        user: U,
    },
    /// Nothing wrong with the password, but the nonce cannot be used: answer 401 with a fresh
    /// challenge carrying `stale=true`, and the client retries without prompting.
    Stale {
        /// Why, for logs: `"nonce expired"`, `"nonce count replayed"`, `"nonce forgotten"`.
        reason: &'static str,
    },
    /// The shared replay record could not be reached: answer *unavailable* (503), since the
    /// count cannot be known to be fresh. The text names the store, never a secret.
    Unavailable(String),
    /// Refused; the reason is static text for logs, never a secret. Answer 401 with a fresh
    /// challenge (without `stale`).
    Invalid(&'static str),
    /// The lookup knew no such user (or it has no HA1 for this realm and algorithm). The
    /// caller should spend the same time as a wrong response and answer like `Invalid`.
    UnknownUser,
}

/// Verifies Digest responses for one realm: the nonce key, the replay tracker, the offered
/// algorithms and the clock, bundled.
#[derive(Debug)]
pub struct DigestVerifier {
    realm: String,
    algorithms: Vec<Algorithm>,
    lifetime_secs: i64,
    key: NonceKey,
    replay: Replay,
    clock: Arc<dyn Clock>,
}

impl DigestVerifier {
    /// A verifier with a fresh random nonce key.
    pub fn new(settings: DigestSettings, clock: Arc<dyn Clock>) -> Result<Self, DigestError> {
        Self::with_key(settings, NonceKey::generate()?, clock)
    }

    /// A verifier with a given nonce key and counts remembered in memory (tests).
    pub fn with_key(settings: DigestSettings, key: NonceKey, clock: Arc<dyn Clock>) -> Result<Self, DigestError> {
        let tracker = NcTracker::new(settings.max_tracked_nonces, settings.nonce_lifetime_secs);
        Self::build(settings, key, Replay::Memory(tracker), clock)
    }

    /// A verifier for one of several instances on one store: `key` is the key they all
    /// sign with, `record` the replay record they share.
    pub fn shared(
        settings: DigestSettings,
        key: NonceKey,
        record: Arc<dyn SharedNonceRecord>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DigestError> {
        Self::build(settings, key, Replay::Shared(record), clock)
    }

    fn build(
        settings: DigestSettings,
        key: NonceKey,
        replay: Replay,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DigestError> {
        let DigestSettings { realm, algorithms, nonce_lifetime_secs, max_tracked_nonces } = settings;
        if realm.chars().any(char::is_control) {
            return Err(DigestError::Config("realm contains a control character"));
        }
        let mut offered: Vec<Algorithm> = Vec::with_capacity(algorithms.len());
        for alg in algorithms {
            if !offered.contains(&alg) {
                offered.push(alg);
            }
        }
        if offered.is_empty() {
            return Err(DigestError::Config("no digest algorithm offered"));
        }
        if nonce_lifetime_secs <= 0 {
            return Err(DigestError::Config("nonce lifetime must be positive"));
        }
        if max_tracked_nonces == 0 {
            return Err(DigestError::Config("max tracked nonces must be positive"));
        }
        Ok(Self { realm, algorithms: offered, lifetime_secs: nonce_lifetime_secs, key, replay, clock })
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The offered algorithms, preferred first.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// How many nonces the replay tracker remembers in memory now (for metrics; 0 when the
    /// record is shared).
    pub fn tracked_nonces(&self) -> usize {
        self.replay.len()
    }

    /// True when nonces are signed with a shared key and counts recorded in a shared store.
    pub fn is_shared(&self) -> bool {
        self.replay.is_shared()
    }

    /// Fresh `WWW-Authenticate` values, one per offered algorithm, preferred first, sharing one
    /// new nonce. Send them in this order (nginx forwards only the first header).
    pub fn challenges(&self, stale: bool) -> Vec<String> {
        let nonce = self.key.issue(&self.realm, self.clock.as_ref());
        self.algorithms.iter().map(|&alg| challenge(&self.realm, alg, &nonce, self.key.opaque(), stale)).collect()
    }

    /// Verifies a parsed response to a request with `method` and `request_target` (the
    /// original target: `X-Original-URI` behind nginx).
    ///
    /// `lookup` is called at most once, only after the cheap checks passed (a stale or unknown
    /// nonce is answered `Stale` only for a right response, so the HA1 is needed for it too),
    /// with who the response claims to be and its algorithm; it returns the caller's handle
    /// for the user and the HA1 (lowercase hex) stored for this realm and algorithm, or
    /// `None` if there is no such user or HA1.
    pub fn verify<U>(
        &self,
        resp: &DigestResponse,
        method: &str,
        request_target: &str,
        lookup: impl FnOnce(&UserRef, Algorithm) -> Option<(U, Secret)>,
    ) -> DigestOutcome<U> {
        if resp.realm != self.realm {
            return DigestOutcome::Invalid("realm mismatch");
        }
        if !self.algorithms.contains(&resp.algorithm) {
            return DigestOutcome::Invalid("algorithm not offered");
        }
        let Some(qop) = &resp.qop else {
            return DigestOutcome::Invalid("qop=auth required");
        };
        match &resp.opaque {
            Some(opaque) if self.key.check_opaque(opaque) => {}
            _ => return DigestOutcome::Invalid("opaque mismatch"),
        }
        if resp.uri != request_target {
            return DigestOutcome::Invalid("uri does not match the request target");
        }
        let nonce = self.key.check(&resp.nonce, &self.realm, self.clock.as_ref(), self.lifetime_secs);
        let who =
            if resp.userhash { UserRef::UserHash(resp.username.clone()) } else { UserRef::Name(resp.username.clone()) };
        let Some((user, ha1_hex)) = lookup(&who, resp.algorithm) else {
            return DigestOutcome::UnknownUser;
        };
        // The response is checked even when the nonce cannot be used: `stale=true` tells a
        // client to retry *without asking its user again*, so it is only for a right password.
        if !verify_response(&ha1_hex, resp, method) {
            return DigestOutcome::Invalid("wrong response");
        }
        let issued_at = match nonce {
            NonceCheck::Valid { issued_at } => issued_at,
            NonceCheck::Stale => return DigestOutcome::Stale { reason: "nonce expired" },
            // Most often a nonce issued before a restart: the client knows the password.
            NonceCheck::Invalid => return DigestOutcome::Stale { reason: "nonce unknown" },
        };
        let recorded =
            self.replay.check_and_record(&resp.nonce, issued_at, self.lifetime_secs, qop.nc.value(), self.clock.now());
        match recorded {
            Ok(NcVerdict::Fresh) => DigestOutcome::Ok { user },
            Ok(NcVerdict::Replayed) => DigestOutcome::Stale { reason: "nonce count replayed" },
            Ok(NcVerdict::Forgotten) => DigestOutcome::Stale { reason: "nonce forgotten" },
            Err(why) => DigestOutcome::Unavailable(why),
        }
    }
}

#[cfg(test)]
mod tests;
