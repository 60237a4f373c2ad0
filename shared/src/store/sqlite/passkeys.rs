//! Passkeys per (backend, user): credential id (unique), COSE key, counter, name (unique per
//! account). The counter moves by a compare-and-set ([`SqliteStore::record_passkey_use`]),
//! so two concurrent assertions with the same counter cannot both pass. A local user's
//! passkeys go when it is deleted or renamed (triggers in migration 9), like its TOTP.

use super::{SqliteStore, map_err};
use crate::error::{Error, Result};
use crate::store::PasskeyRecord;
use crate::store::passkey_record::{TAKEN_ID, taken_name};
use rusqlite::{OptionalExtension, Row, params};

const SELECT: &str =
    "SELECT backend, user_name, credential_id, public_key, sign_count, name, created_at, last_used FROM passkeys";

fn from_row(r: &Row<'_>) -> rusqlite::Result<PasskeyRecord> {
    let count: i64 = r.get(4)?;
    Ok(PasskeyRecord {
        backend: r.get(0)?,
        user_name: r.get(1)?,
        credential_id: r.get(2)?,
        public_key: r.get(3)?,
        sign_count: u32::try_from(count).unwrap_or(u32::MAX),
        name: r.get(5)?,
        created_at: r.get(6)?,
        last_used: r.get(7)?,
    })
}

impl SqliteStore {
    /// Registers a passkey; a credential id already registered, or a name the account
    /// already uses, is [`Error::Invalid`].
    pub fn add_passkey(&mut self, p: &PasskeyRecord) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let id_taken: bool = tx
            .query_row("SELECT EXISTS (SELECT 1 FROM passkeys WHERE credential_id = ?1)", [&p.credential_id], |r| {
                r.get(0)
            })
            .map_err(e)?;
        if id_taken {
            return Err(Error::Invalid(TAKEN_ID.into()));
        }
        let name_taken: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM passkeys WHERE backend = ?1 AND user_name = ?2 AND name = ?3)",
                params![p.backend, p.user_name, p.name],
                |r| r.get(0),
            )
            .map_err(e)?;
        if name_taken {
            return Err(Error::Invalid(taken_name(&p.name)));
        }
        tx.execute(
            "INSERT INTO passkeys (backend, user_name, credential_id, public_key, sign_count, name, created_at, \
             last_used) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                p.backend,
                p.user_name,
                p.credential_id,
                p.public_key,
                i64::from(p.sign_count),
                p.name,
                p.created_at,
                p.last_used
            ],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// An account's passkeys, oldest first.
    pub fn list_passkeys(&self, backend: &str, user: &str) -> Result<Vec<PasskeyRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT} WHERE backend = ?1 AND user_name = ?2 ORDER BY created_at, name"))
            .map_err(self.err())?;
        let rows = stmt.query_map([backend, user], from_row).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err())
    }

    /// The passkey with this credential id.
    pub fn find_passkey(&self, credential_id: &[u8]) -> Result<Option<PasskeyRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!("{SELECT} WHERE credential_id = ?1")).map_err(self.err())?;
        stmt.query_row([credential_id], from_row).optional().map_err(self.err())
    }

    /// Records a use: the counter goes from `old` to `new` only while it is still `old`;
    /// true only then.
    pub fn record_passkey_use(&mut self, credential_id: &[u8], old: u32, new: u32, now: i64) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = tx
            .execute(
                "UPDATE passkeys SET sign_count = ?3, last_used = ?4 WHERE credential_id = ?1 AND sign_count = ?2",
                params![credential_id, i64::from(old), i64::from(new), now],
            )
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n > 0)
    }

    /// Removes an account's passkey by name; false if there was none.
    pub fn delete_passkey(&mut self, backend: &str, user: &str, name: &str) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = tx
            .execute("DELETE FROM passkeys WHERE backend = ?1 AND user_name = ?2 AND name = ?3", [backend, user, name])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n > 0)
    }
}
