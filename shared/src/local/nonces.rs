//! Digest state shared through the store: with PostgreSQL every instance signs nonces with
//! the key kept there and records nonce counts there, so a nonce from one instance is good
//! on all and a count is accepted once across them. SQLite answers "not shared", and the
//! verifier keeps today's per-process key and in-memory record.

use super::LocalBackend;
use crate::digest::{MAX_FUTURE_SKEW_SECS, NonceKey, SharedNonceRecord};
use crate::error::{Error, Result};
use rand::RngCore;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use zeroize::Zeroizing;

/// How often (clock seconds) one instance forgets the counts of expired nonces.
const PURGE_EVERY_SECS: i64 = 60;

impl LocalBackend {
    /// The store's shared nonce key and a replay record in the store, or `None` when the
    /// store is not shared (SQLite). The key is made here if the store has none yet.
    pub fn shared_digest(self: &Arc<Self>) -> Result<Option<(NonceKey, Arc<dyn SharedNonceRecord>)>> {
        let Some(key) = self.shared_key()? else { return Ok(None) };
        let record = StoreNonces { local: Arc::clone(self), next_purge: AtomicI64::new(i64::MIN) };
        Ok(Some((NonceKey::from_bytes(*key), Arc::new(record))))
    }

    /// A 32-byte secret every instance on a shared store derives alike (HMAC-SHA256 of the
    /// store's key over `label`, so no two purposes share a key); `None` when the store is
    /// not shared (SQLite). The store's key is made here if it has none yet.
    pub fn shared_secret(&self, label: &[u8]) -> Result<Option<Zeroizing<[u8; 32]>>> {
        use hmac::{Hmac, Mac};
        let Some(key) = self.shared_key()? else { return Ok(None) };
        let mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.as_ref())
            .map_err(|_| Error::Invalid("shared key".into()))?
            .chain_update(label)
            .finalize();
        Ok(Some(Zeroizing::new(mac.into_bytes().into())))
    }

    /// The key kept in a shared store (made from fresh random bytes by the first to ask);
    /// `None` when the store is not shared.
    fn shared_key(&self) -> Result<Option<Zeroizing<[u8; 32]>>> {
        let mut fresh = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.try_fill_bytes(fresh.as_mut()).map_err(|_| Error::Invalid("no random bytes".into()))?;
        Ok(self.with_store(|s| s.shared_nonce_key(&fresh))?.map(Zeroizing::new))
    }
}

/// Nonce counts recorded in the store: one insert per verified Digest response, and now and
/// then a delete of the expired ones.
#[derive(Debug)]
struct StoreNonces {
    local: Arc<LocalBackend>,
    next_purge: AtomicI64,
}

impl StoreNonces {
    /// True for one caller per [`PURGE_EVERY_SECS`].
    fn purge_due(&self, now: i64) -> bool {
        let next = self.next_purge.load(Ordering::Relaxed);
        now >= next
            && self
                .next_purge
                .compare_exchange(next, now.saturating_add(PURGE_EVERY_SECS), Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

impl SharedNonceRecord for StoreNonces {
    fn record(&self, nonce_hash: &[u8; 32], nc: u32, expires_at: i64, now: i64) -> std::result::Result<bool, String> {
        let recorded = self.local.with_store(|s| {
            let fresh = s.record_nonce_use(nonce_hash, nc, expires_at)?;
            if self.purge_due(now) {
                // Another instance's clock may run behind: keep a nonce until it is
                // expired there too.
                if let Err(e) = s.purge_nonce_uses(now.saturating_sub(MAX_FUTURE_SKEW_SECS)) {
                    tracing::warn!("could not forget expired Digest nonces: {e}");
                }
            }
            Ok(fresh)
        });
        match recorded {
            Ok(Some(fresh)) => Ok(fresh),
            Ok(None) => Err("the store does not share Digest nonce counts".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}
