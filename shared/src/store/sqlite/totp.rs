//! Second factors: the sealed TOTP secret per (backend, user), its replay state, and the
//! hashed recovery codes. The two writes that decide whether a code is accepted —
//! [`SqliteStore::advance_totp_step`] and [`SqliteStore::consume_recovery_code`] — are single
//! conditional UPDATEs, so of two requests carrying the same code only one can win.

use super::{SqliteStore, map_err};
use crate::error::Result;
use crate::store::TotpRecord;
use rusqlite::{OptionalExtension, params};

impl SqliteStore {
    /// Stores (or replaces) an enrolment; a replaced one starts over: unconfirmed, no step
    /// accepted, and its recovery codes gone.
    pub fn put_totp(&mut self, rec: &TotpRecord) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        tx.execute(
            "DELETE FROM recovery_codes WHERE backend = ?1 AND user_name = ?2",
            params![rec.backend, rec.user_name],
        )
        .map_err(e)?;
        tx.execute(
            "INSERT OR REPLACE INTO totp (backend, user_name, secret_enc, confirmed, last_step, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![rec.backend, rec.user_name, rec.secret_enc, rec.confirmed, rec.last_step, rec.created_at],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// The enrolment of one account.
    pub fn get_totp(&self, backend: &str, user: &str) -> Result<Option<TotpRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT backend, user_name, secret_enc, confirmed, last_step, created_at FROM totp \
                 WHERE backend = ?1 AND user_name = ?2",
            )
            .map_err(self.err())?;
        stmt.query_row([backend, user], |r| {
            Ok(TotpRecord {
                backend: r.get(0)?,
                user_name: r.get(1)?,
                secret_enc: r.get(2)?,
                confirmed: r.get(3)?,
                last_step: r.get(4)?,
                created_at: r.get(5)?,
            })
        })
        .optional()
        .map_err(self.err())
    }

    /// Marks an enrolment confirmed; false if there is none.
    pub fn confirm_totp(&mut self, backend: &str, user: &str) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = tx
            .execute("UPDATE totp SET confirmed = 1 WHERE backend = ?1 AND user_name = ?2", [backend, user])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n > 0)
    }

    /// Removes an enrolment and its recovery codes; false if there was none.
    pub fn delete_totp(&mut self, backend: &str, user: &str) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        tx.execute("DELETE FROM recovery_codes WHERE backend = ?1 AND user_name = ?2", [backend, user]).map_err(e)?;
        let n = tx.execute("DELETE FROM totp WHERE backend = ?1 AND user_name = ?2", [backend, user]).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n > 0)
    }

    /// Records `step` as the latest accepted one if it is later than the last; true only
    /// then (one compare-and-set: of two concurrent uses of a code, one gets true).
    pub fn advance_totp_step(&mut self, backend: &str, user: &str, step: i64) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = tx
            .execute(
                "UPDATE totp SET last_step = ?3 WHERE backend = ?1 AND user_name = ?2 AND last_step < ?3",
                params![backend, user, step],
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n == 1)
    }

    /// Replaces every recovery code of an account with `hashes` (all unused).
    pub fn replace_recovery_codes(&mut self, backend: &str, user: &str, hashes: &[String]) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        tx.execute("DELETE FROM recovery_codes WHERE backend = ?1 AND user_name = ?2", [backend, user]).map_err(e)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO recovery_codes (backend, user_name, code_hash) VALUES (?1, ?2, ?3)",
                )
                .map_err(e)?;
            for h in hashes {
                stmt.execute([backend, user, h]).map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// Marks the unused code with this hash used; true once per code.
    pub fn consume_recovery_code(&mut self, backend: &str, user: &str, hash: &str, now: i64) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = tx
            .execute(
                "UPDATE recovery_codes SET used_at = ?4 \
                 WHERE backend = ?1 AND user_name = ?2 AND code_hash = ?3 AND used_at IS NULL",
                params![backend, user, hash, now],
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n == 1)
    }

    /// How many of an account's recovery codes are still unused.
    pub fn unused_recovery_codes(&self, backend: &str, user: &str) -> Result<u64> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM recovery_codes WHERE backend = ?1 AND user_name = ?2 AND used_at IS NULL",
            )
            .map_err(self.err())?;
        stmt.query_row([backend, user], |r| r.get(0)).map_err(self.err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::UsersConfig;
    use crate::store::NewUser;

    fn record(user: &str, backend: &str) -> TotpRecord {
        TotpRecord {
            backend: backend.into(),
            user_name: user.into(),
            secret_enc: vec![1, 2, 3],
            confirmed: false,
            last_step: -1,
            created_at: 1,
        }
    }

    #[test]
    fn steps_only_move_forward_and_codes_are_consumed_once() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut s = SqliteStore::open(&dir.path().join("w.db"), std::time::Duration::from_secs(1))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.advance_totp_step("local", "amy", 5).unwrap_or(true), "no enrolment");
        s.put_totp(&record("amy", "local")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.advance_totp_step("local", "amy", 5).ok(), Some(true));
        assert_eq!(s.advance_totp_step("local", "amy", 5).ok(), Some(false));
        assert_eq!(s.advance_totp_step("local", "amy", 4).ok(), Some(false));
        assert_eq!(s.advance_totp_step("local", "amy", 6).ok(), Some(true));
        s.replace_recovery_codes("local", "amy", &["h1".into(), "h2".into()]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.consume_recovery_code("local", "amy", "h1", 9).ok(), Some(true));
        assert_eq!(s.consume_recovery_code("local", "amy", "h1", 9).ok(), Some(false));
        assert_eq!(s.consume_recovery_code("ldap", "amy", "h2", 9).ok(), Some(false));
        assert_eq!(s.unused_recovery_codes("local", "amy").ok(), Some(1));
        // Enrolling again starts over.
        s.put_totp(&record("amy", "local")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.get_totp("local", "amy").ok().flatten().map(|r| r.last_step), Some(-1));
        assert_eq!(s.unused_recovery_codes("local", "amy").ok(), Some(0));
        assert!(!format!("{:?}", record("amy", "local")).contains("[1, 2, 3]"));
    }

    #[test]
    fn a_renamed_local_user_loses_the_second_factor() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut s = SqliteStore::open(&dir.path().join("w.db"), std::time::Duration::from_secs(1))
            .unwrap_or_else(|e| panic!("{e}"));
        let new = NewUser { name: "ann".into(), ..NewUser::default() };
        s.add_user(&new, &UsersConfig::default(), None, 1).unwrap_or_else(|e| panic!("{e}"));
        for backend in ["local", "ldap"] {
            s.put_totp(&record("ann", backend)).unwrap_or_else(|e| panic!("{e}"));
            s.replace_recovery_codes(backend, "ann", &["h".into()]).unwrap_or_else(|e| panic!("{e}"));
        }
        s.conn.execute("UPDATE users SET name = 'ann2' WHERE name = 'ann'", []).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.get_totp("local", "ann").ok().flatten().is_none());
        assert!(s.get_totp("local", "ann2").ok().flatten().is_none());
        assert_eq!(s.unused_recovery_codes("local", "ann").ok(), Some(0));
        assert!(s.get_totp("ldap", "ann").ok().flatten().is_some(), "not the LDAP account's");
        assert_eq!(s.unused_recovery_codes("ldap", "ann").ok(), Some(1));
    }
}
