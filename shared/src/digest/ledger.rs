//! Where a verifier records the nonce counts of verified responses: this process's memory
//! ([`NcTracker`]), or a record every instance on one store shares ([`SharedNonceRecord`]:
//! with the PostgreSQL store, so a count accepted by one instance is refused by all).

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::replay::{NcTracker, NcVerdict};

/// A replay record shared by several instances (one store). Each `(nonce, nc)` is accepted
/// once, whichever instance sees it; the record forgets a nonce after `expires_at`.
pub trait SharedNonceRecord: Send + Sync + fmt::Debug {
    /// Records count `nc` of the nonce whose SHA-256 is `nonce_hash`, usable until
    /// `expires_at`, at `now`: `Ok(true)` on its first use only, `Ok(false)` for a replay,
    /// `Err(why)` when the record cannot be reached (the request is then unavailable, never
    /// accepted). `why` names no secret.
    fn record(&self, nonce_hash: &[u8; 32], nc: u32, expires_at: i64, now: i64) -> Result<bool, String>;
}

/// The replay record a verifier uses.
#[derive(Debug)]
pub(super) enum Replay {
    /// In memory: one process decides (SQLite, or no store shared).
    Memory(NcTracker),
    /// Shared through the store.
    Shared(Arc<dyn SharedNonceRecord>),
}

impl Replay {
    /// Records count `nc` of `nonce`, issued at `issued_at` and valid for `lifetime_secs`.
    pub(super) fn check_and_record(
        &self,
        nonce: &str,
        issued_at: i64,
        lifetime_secs: i64,
        nc: u32,
        now: i64,
    ) -> Result<NcVerdict, String> {
        match self {
            Self::Memory(tracker) => Ok(tracker.check_and_record(nonce, issued_at, nc, now)),
            Self::Shared(_) if nc == 0 => Ok(NcVerdict::Replayed), // counts start at 1
            Self::Shared(record) => {
                let hash: [u8; 32] = Sha256::digest(nonce.as_bytes()).into();
                let fresh = record.record(&hash, nc, issued_at.saturating_add(lifetime_secs), now)?;
                Ok(if fresh { NcVerdict::Fresh } else { NcVerdict::Replayed })
            }
        }
    }

    /// Nonces remembered in memory (0 when the record is shared).
    pub(super) fn len(&self) -> usize {
        match self {
            Self::Memory(tracker) => tracker.len(),
            Self::Shared(_) => 0,
        }
    }

    /// True when the record is shared.
    pub(super) fn is_shared(&self) -> bool {
        matches!(self, Self::Shared(_))
    }
}
