//! The Digest state several instances share (migration 11): one nonce key, and the nonce
//! counts verified responses used. Neither takes the write lock: the key is one
//! `INSERT … ON CONFLICT DO NOTHING` and a read, a count one insert that the primary key
//! makes atomic across instances (of two racing requests with the same count one inserts).

use super::PgStore;
use crate::error::Result;

impl PgStore {
    /// The stored nonce key; `fresh` becomes it if there is none yet.
    pub fn shared_nonce_key(&self, fresh: &[u8; 32]) -> Result<[u8; 32]> {
        let location = self.location.clone();
        let stored: Vec<u8> = self.read(|c, e| {
            c.execute(
                "INSERT INTO digest_nonce_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                &[&fresh.as_slice()],
            )
            .map_err(e)?;
            c.query_one("SELECT key FROM digest_nonce_key WHERE id = 1", &[]).map_err(e)?.try_get(0).map_err(e)
        })?;
        <[u8; 32]>::try_from(stored.as_slice()).map_err(|_| crate::error::Error::Store {
            location,
            message: "the stored Digest nonce key is not 32 bytes".into(),
        })
    }

    /// Records count `nc` of the nonce with SHA-256 `nonce_hash`: true the first time only.
    pub fn record_nonce_use(&self, nonce_hash: &[u8; 32], nc: u32, expires_at: i64) -> Result<bool> {
        let n = self.read(|c, e| {
            c.execute(
                "INSERT INTO digest_nonce_uses (nonce_hash, nc, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[&nonce_hash.as_slice(), &i64::from(nc), &expires_at],
            )
            .map_err(e)
        })?;
        Ok(n == 1)
    }

    /// Forgets the counts of nonces that expired before `before`; how many.
    pub fn purge_nonce_uses(&self, before: i64) -> Result<u64> {
        self.read(|c, e| c.execute("DELETE FROM digest_nonce_uses WHERE expires_at < $1", &[&before]).map_err(e))
    }
}
