//! Digest values: HA1 per user, realm and algorithm, and the `userhash` index.

use super::{SqliteStore, map_err};
use crate::config::DigestAlgorithm;
use crate::error::Result;
use crate::store::Ha1Entry;
use rusqlite::{OptionalExtension, Transaction, params};

impl SqliteStore {
    /// The HA1 for a user, realm and algorithm.
    pub fn get_ha1(&self, name: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT d.ha1 FROM digest_ha1 d JOIN users u ON u.id = d.user_id \
                 WHERE u.name = ?1 AND d.realm = ?2 AND d.algorithm = ?3",
                params![name, realm, algorithm.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())
    }

    /// The user whose `H(user:realm)` is `userhash`, for Digest `userhash=true`.
    pub fn user_by_userhash(&self, userhash: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT u.name FROM digest_ha1 d JOIN users u ON u.id = d.user_id \
                 WHERE d.userhash = ?1 AND d.realm = ?2 AND d.algorithm = ?3",
                params![userhash, realm, algorithm.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())
    }

    /// Adds Digest values derived from a password just verified against `current_hash`, only
    /// while that is still the stored hash (a password changed meanwhile must not get values
    /// of the old one). Existing values of other realms stay. Returns whether it wrote.
    pub fn refresh_ha1(&mut self, name: &str, current_hash: &str, entries: &[Ha1Entry]) -> Result<bool> {
        if entries.is_empty() {
            return Ok(false);
        }
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let id: Option<i64> = tx
            .query_row("SELECT id FROM users WHERE name = ?1 AND password_hash = ?2", [name, current_hash], |r| {
                r.get(0)
            })
            .optional()
            .map_err(e)?;
        let Some(id) = id else { return Ok(false) };
        insert_ha1(&tx, id, entries).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(true)
    }

    /// The algorithms `name` has an HA1 for in `realm`, in the order given by `among`.
    pub fn ha1_algorithms(&self, name: &str, realm: &str, among: &[DigestAlgorithm]) -> Result<Vec<DigestAlgorithm>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT d.algorithm FROM digest_ha1 d JOIN users u ON u.id = d.user_id \
                 WHERE u.name = ?1 AND d.realm = ?2",
            )
            .map_err(self.err())?;
        let rows = stmt.query_map([name, realm], |r| r.get::<_, String>(0)).map_err(self.err())?;
        let stored = rows.collect::<rusqlite::Result<Vec<String>>>().map_err(self.err())?;
        Ok(among.iter().copied().filter(|a| stored.iter().any(|s| s == a.as_str())).collect())
    }

    /// How many users with a password lack an HA1 in `realm` for at least one of `algorithms`
    /// (they cannot use Digest there until their password is set or verified once).
    pub fn users_without_ha1(&self, realm: &str, algorithms: &[DigestAlgorithm]) -> Result<u64> {
        if algorithms.is_empty() {
            return Ok(0);
        }
        // The wanted algorithms as one space-separated parameter (no SQL is built from data).
        let wanted = format!(" {} ", algorithms.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" "));
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM users u WHERE u.password_hash IS NOT NULL AND \
                 (SELECT COUNT(DISTINCT d.algorithm) FROM digest_ha1 d WHERE d.user_id = u.id AND d.realm = ?1 \
                  AND instr(?2, ' ' || d.algorithm || ' ') > 0) < ?3",
                params![realm, wanted, algorithms.len() as i64],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

pub(super) fn insert_ha1(tx: &Transaction<'_>, user_id: i64, entries: &[Ha1Entry]) -> rusqlite::Result<()> {
    for h in entries {
        tx.execute(
            "INSERT OR REPLACE INTO digest_ha1 (user_id, realm, algorithm, ha1, userhash) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_id, h.realm, h.algorithm.as_str(), h.ha1, h.userhash],
        )?;
    }
    Ok(())
}
