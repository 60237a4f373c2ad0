//! Second factors: the sealed TOTP secret per (backend, user), its replay state, and the
//! hashed recovery codes. [`PgStore::advance_totp_step`] and
//! [`PgStore::consume_recovery_code`] are single conditional UPDATEs under the write lock:
//! of two requests carrying the same code only one can win, on any instance.

use super::PgStore;
use crate::error::Result;
use crate::store::TotpRecord;

impl PgStore {
    /// Stores (or replaces) an enrolment; a replaced one starts over without recovery codes.
    pub fn put_totp(&mut self, rec: &TotpRecord) -> Result<()> {
        self.write(|tx, e| {
            tx.execute(
                "DELETE FROM recovery_codes WHERE backend = $1 AND user_name = $2",
                &[&rec.backend, &rec.user_name],
            )
            .map_err(e)?;
            tx.execute(
                "INSERT INTO totp (backend, user_name, secret_enc, confirmed, last_step, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (backend, user_name) DO UPDATE SET \
                 secret_enc = EXCLUDED.secret_enc, confirmed = EXCLUDED.confirmed, \
                 last_step = EXCLUDED.last_step, created_at = EXCLUDED.created_at",
                &[&rec.backend, &rec.user_name, &rec.secret_enc, &rec.confirmed, &rec.last_step, &rec.created_at],
            )
            .map_err(e)?;
            Ok(())
        })
    }

    /// The enrolment of one account.
    pub fn get_totp(&self, backend: &str, user: &str) -> Result<Option<TotpRecord>> {
        self.read(|c, e| {
            let row = c
                .query_opt(
                    "SELECT backend, user_name, secret_enc, confirmed, last_step, created_at FROM totp \
                     WHERE backend = $1 AND user_name = $2",
                    &[&backend, &user],
                )
                .map_err(e)?;
            let Some(r) = row else { return Ok(None) };
            Ok(Some(TotpRecord {
                backend: r.try_get(0).map_err(e)?,
                user_name: r.try_get(1).map_err(e)?,
                secret_enc: r.try_get(2).map_err(e)?,
                confirmed: r.try_get(3).map_err(e)?,
                last_step: r.try_get(4).map_err(e)?,
                created_at: r.try_get(5).map_err(e)?,
            }))
        })
    }

    /// Marks an enrolment confirmed; false if there is none.
    pub fn confirm_totp(&mut self, backend: &str, user: &str) -> Result<bool> {
        self.write(|tx, e| {
            let n = tx
                .execute("UPDATE totp SET confirmed = TRUE WHERE backend = $1 AND user_name = $2", &[&backend, &user])
                .map_err(e)?;
            Ok(n > 0)
        })
    }

    /// Removes an enrolment and its recovery codes; false if there was none.
    pub fn delete_totp(&mut self, backend: &str, user: &str) -> Result<bool> {
        self.write(|tx, e| {
            tx.execute("DELETE FROM recovery_codes WHERE backend = $1 AND user_name = $2", &[&backend, &user])
                .map_err(e)?;
            let n =
                tx.execute("DELETE FROM totp WHERE backend = $1 AND user_name = $2", &[&backend, &user]).map_err(e)?;
            Ok(n > 0)
        })
    }

    /// Records `step` as accepted if later than the last; true only then.
    pub fn advance_totp_step(&mut self, backend: &str, user: &str, step: i64) -> Result<bool> {
        self.write(|tx, e| {
            let n = tx
                .execute(
                    "UPDATE totp SET last_step = $3 WHERE backend = $1 AND user_name = $2 AND last_step < $3",
                    &[&backend, &user, &step],
                )
                .map_err(e)?;
            Ok(n == 1)
        })
    }

    /// Replaces every recovery code of an account with `hashes` (all unused).
    pub fn replace_recovery_codes(&mut self, backend: &str, user: &str, hashes: &[String]) -> Result<()> {
        self.write(|tx, e| {
            tx.execute("DELETE FROM recovery_codes WHERE backend = $1 AND user_name = $2", &[&backend, &user])
                .map_err(e)?;
            let stmt = tx
                .prepare(
                    "INSERT INTO recovery_codes (backend, user_name, code_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .map_err(e)?;
            for h in hashes {
                tx.execute(&stmt, &[&backend, &user, h]).map_err(e)?;
            }
            Ok(())
        })
    }

    /// Marks the unused code with this hash used; true once per code.
    pub fn consume_recovery_code(&mut self, backend: &str, user: &str, hash: &str, now: i64) -> Result<bool> {
        self.write(|tx, e| {
            let n = tx
                .execute(
                    "UPDATE recovery_codes SET used_at = $4 \
                     WHERE backend = $1 AND user_name = $2 AND code_hash = $3 AND used_at IS NULL",
                    &[&backend, &user, &hash, &now],
                )
                .map_err(e)?;
            Ok(n == 1)
        })
    }

    /// How many of an account's recovery codes are still unused.
    pub fn unused_recovery_codes(&self, backend: &str, user: &str) -> Result<u64> {
        let n: i64 = self.read(|c, e| {
            c.query_one(
                "SELECT COUNT(*) FROM recovery_codes WHERE backend = $1 AND user_name = $2 AND used_at IS NULL",
                &[&backend, &user],
            )
            .and_then(|r| r.try_get(0))
            .map_err(e)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
