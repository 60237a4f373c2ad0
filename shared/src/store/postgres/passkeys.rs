//! Passkeys per (backend, user), as in the SQLite store (`../sqlite/passkeys.rs`): the
//! counter moves by a compare-and-set under the write lock, on any instance.

use super::PgStore;
use crate::error::{Error, Result};
use crate::store::PasskeyRecord;
use crate::store::passkey_record::{TAKEN_ID, taken_name};
use postgres::Row;

const SELECT: &str =
    "SELECT backend, user_name, credential_id, public_key, sign_count, name, created_at, last_used FROM passkeys";

fn from_row(r: &Row) -> std::result::Result<PasskeyRecord, postgres::Error> {
    let count: i64 = r.try_get(4)?;
    Ok(PasskeyRecord {
        backend: r.try_get(0)?,
        user_name: r.try_get(1)?,
        credential_id: r.try_get(2)?,
        public_key: r.try_get(3)?,
        sign_count: u32::try_from(count).unwrap_or(u32::MAX),
        name: r.try_get(5)?,
        created_at: r.try_get(6)?,
        last_used: r.try_get(7)?,
    })
}

impl PgStore {
    /// Registers a passkey; a taken credential id or name is [`Error::Invalid`].
    pub fn add_passkey(&mut self, p: &PasskeyRecord) -> Result<()> {
        self.write(|tx, e| {
            let id_taken: bool = tx
                .query_one("SELECT EXISTS (SELECT 1 FROM passkeys WHERE credential_id = $1)", &[&p.credential_id])
                .map_err(e)?
                .try_get(0)
                .map_err(e)?;
            if id_taken {
                return Err(Error::Invalid(TAKEN_ID.into()));
            }
            let name_taken: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM passkeys WHERE backend = $1 AND user_name = $2 AND name = $3)",
                    &[&p.backend, &p.user_name, &p.name],
                )
                .map_err(e)?
                .try_get(0)
                .map_err(e)?;
            if name_taken {
                return Err(Error::Invalid(taken_name(&p.name)));
            }
            tx.execute(
                "INSERT INTO passkeys (backend, user_name, credential_id, public_key, sign_count, name, created_at, \
                 last_used) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &p.backend,
                    &p.user_name,
                    &p.credential_id,
                    &p.public_key,
                    &i64::from(p.sign_count),
                    &p.name,
                    &p.created_at,
                    &p.last_used,
                ],
            )
            .map_err(e)?;
            Ok(())
        })
    }

    /// An account's passkeys, oldest first.
    pub fn list_passkeys(&self, backend: &str, user: &str) -> Result<Vec<PasskeyRecord>> {
        self.read(|c, e| {
            let rows = c
                .query(
                    &format!("{SELECT} WHERE backend = $1 AND user_name = $2 ORDER BY created_at, name"),
                    &[&backend, &user],
                )
                .map_err(e)?;
            rows.iter().map(|r| from_row(r).map_err(e)).collect()
        })
    }

    /// The passkey with this credential id.
    pub fn find_passkey(&self, credential_id: &[u8]) -> Result<Option<PasskeyRecord>> {
        self.read(|c, e| {
            let row = c.query_opt(&format!("{SELECT} WHERE credential_id = $1"), &[&credential_id]).map_err(e)?;
            row.map(|r| from_row(&r)).transpose().map_err(e)
        })
    }

    /// Records a use while the counter is still `old`; true only then.
    pub fn record_passkey_use(&mut self, credential_id: &[u8], old: u32, new: u32, now: i64) -> Result<bool> {
        self.write(|tx, e| {
            let n = tx
                .execute(
                    "UPDATE passkeys SET sign_count = $3, last_used = $4 WHERE credential_id = $1 AND sign_count = $2",
                    &[&credential_id, &i64::from(old), &i64::from(new), &now],
                )
                .map_err(e)?;
            Ok(n > 0)
        })
    }

    /// Removes an account's passkey by name; false if there was none.
    pub fn delete_passkey(&mut self, backend: &str, user: &str, name: &str) -> Result<bool> {
        self.write(|tx, e| {
            let n = tx
                .execute(
                    "DELETE FROM passkeys WHERE backend = $1 AND user_name = $2 AND name = $3",
                    &[&backend, &user, &name],
                )
                .map_err(e)?;
            Ok(n > 0)
        })
    }
}
