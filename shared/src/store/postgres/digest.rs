//! Digest values: HA1 per user, realm and algorithm, and the `userhash` index.

use super::{PgErr, PgStore};
use crate::config::DigestAlgorithm;
use crate::error::Result;
use crate::store::Ha1Entry;
use postgres::Transaction;

impl PgStore {
    /// The HA1 for a user, realm and algorithm.
    pub fn get_ha1(&self, name: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        self.read(|c, e| {
            let row = c
                .query_opt(
                    "SELECT d.ha1 FROM digest_ha1 d JOIN users u ON u.id = d.user_id \
                     WHERE u.name = $1 AND d.realm = $2 AND d.algorithm = $3",
                    &[&name, &realm, &algorithm.as_str()],
                )
                .map_err(e)?;
            row.map(|r| r.try_get(0).map_err(e)).transpose()
        })
    }

    /// The user whose `H(user:realm)` is `userhash`.
    pub fn user_by_userhash(&self, userhash: &str, realm: &str, algorithm: DigestAlgorithm) -> Result<Option<String>> {
        self.read(|c, e| {
            let row = c
                .query_opt(
                    "SELECT u.name FROM digest_ha1 d JOIN users u ON u.id = d.user_id \
                     WHERE d.userhash = $1 AND d.realm = $2 AND d.algorithm = $3 LIMIT 1",
                    &[&userhash, &realm, &algorithm.as_str()],
                )
                .map_err(e)?;
            row.map(|r| r.try_get(0).map_err(e)).transpose()
        })
    }

    /// Adds Digest values while the stored hash is still `current_hash`; whether it wrote.
    pub fn refresh_ha1(&mut self, name: &str, current_hash: &str, entries: &[Ha1Entry]) -> Result<bool> {
        if entries.is_empty() {
            return Ok(false);
        }
        self.write(|tx, e| {
            let row = tx
                .query_opt("SELECT id FROM users WHERE name = $1 AND password_hash = $2", &[&name, &current_hash])
                .map_err(e)?;
            let Some(row) = row else { return Ok(false) };
            insert_ha1(tx, e, row.try_get(0).map_err(e)?, entries)?;
            Ok(true)
        })
    }

    /// The algorithms `name` has an HA1 for in `realm`, in the order of `among`.
    pub fn ha1_algorithms(&self, name: &str, realm: &str, among: &[DigestAlgorithm]) -> Result<Vec<DigestAlgorithm>> {
        let stored: Vec<String> = self.read(|c, e| {
            let rows = c
                .query(
                    "SELECT d.algorithm FROM digest_ha1 d JOIN users u ON u.id = d.user_id \
                     WHERE u.name = $1 AND d.realm = $2",
                    &[&name, &realm],
                )
                .map_err(e)?;
            rows.iter().map(|r| r.try_get(0).map_err(e)).collect()
        })?;
        Ok(among.iter().copied().filter(|a| stored.iter().any(|s| s == a.as_str())).collect())
    }

    /// How many users with a password lack an HA1 in `realm` for one of `algorithms`.
    pub fn users_without_ha1(&self, realm: &str, algorithms: &[DigestAlgorithm]) -> Result<u64> {
        if algorithms.is_empty() {
            return Ok(0);
        }
        let wanted: Vec<&str> = algorithms.iter().map(|a| a.as_str()).collect();
        let n: i64 = self.read(|c, e| {
            c.query_one(
                "SELECT COUNT(*) FROM users u WHERE u.password_hash IS NOT NULL AND \
                 (SELECT COUNT(DISTINCT d.algorithm) FROM digest_ha1 d WHERE d.user_id = u.id AND d.realm = $1 \
                  AND d.algorithm = ANY($2)) < $3",
                &[&realm, &wanted, &(wanted.len() as i64)],
            )
            .and_then(|r| r.try_get(0))
            .map_err(e)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// Inserts (or replaces) HA1 values of user `user_id`.
pub(super) fn insert_ha1(tx: &mut Transaction<'_>, e: PgErr<'_>, user_id: i64, entries: &[Ha1Entry]) -> Result<()> {
    for h in entries {
        tx.execute(
            "INSERT INTO digest_ha1 (user_id, realm, algorithm, ha1, userhash) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id, realm, algorithm) DO UPDATE SET ha1 = EXCLUDED.ha1, userhash = EXCLUDED.userhash",
            &[&user_id, &h.realm, &h.algorithm.as_str(), &h.ha1, &h.userhash],
        )
        .map_err(e)?;
    }
    Ok(())
}
