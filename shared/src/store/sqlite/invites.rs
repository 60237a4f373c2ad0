//! Invitations: one-time links for a local user to choose a password. Stored by the
//! SHA-256 of the link's token; one row per user; used once, in the transaction that sets
//! the password (a compare-and-set on `used_at`, so two browsers racing with one link
//! cannot both succeed).

use super::digest::insert_ha1;
use super::{SqliteStore, map_err};
use crate::error::{Error, Result};
use crate::store::{InviteInfo, PasswordRecord};
use rusqlite::{OptionalExtension, Row, params};

const INVITE_SELECT: &str =
    "SELECT u.name, i.reset, i.created_at, i.expires_at, i.used_at FROM invites i JOIN users u ON u.id = i.user_id";

/// An invitation is open while unused and unexpired (`?2` is now); a new account's link
/// also only while the account has no password (one set meanwhile with `wicket user passwd`
/// closes it: it must not overwrite that password).
const OPEN: &str = "i.used_at IS NULL AND i.expires_at > ?2 AND (i.reset = 1 OR u.password_hash IS NULL)";

fn invite_from_row(r: &Row<'_>) -> rusqlite::Result<InviteInfo> {
    Ok(InviteInfo {
        user: r.get(0)?,
        reset: r.get(1)?,
        created_at: r.get(2)?,
        expires_at: r.get(3)?,
        used_at: r.get(4)?,
    })
}

impl SqliteStore {
    /// Stores an invitation for `user`, replacing the user's earlier one (used or not).
    /// Does not move the generation: an invitation accepts no credential by itself.
    pub fn add_invite(&mut self, user: &str, hash: &str, reset: bool, now: i64, expires_at: i64) -> Result<InviteInfo> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let id: Option<i64> =
            tx.query_row("SELECT id FROM users WHERE name = ?1", [user], |r| r.get(0)).optional().map_err(e)?;
        let id = id.ok_or_else(|| Error::NoSuchUser(user.to_string()))?;
        tx.execute("DELETE FROM invites WHERE user_id = ?1", [id]).map_err(e)?;
        tx.execute(
            "INSERT INTO invites (user_id, hash, reset, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, hash, reset, now, expires_at],
        )
        .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(InviteInfo { user: user.to_string(), reset, created_at: now, expires_at, used_at: None })
    }

    /// The invitation with this hash, if it is unused and unexpired at `now`.
    pub fn find_invite(&self, hash: &str, now: i64) -> Result<Option<InviteInfo>> {
        let sql = format!("{INVITE_SELECT} WHERE i.hash = ?1 AND {OPEN}");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err())?;
        stmt.query_row(params![hash, now], invite_from_row).optional().map_err(self.err())
    }

    /// Invitations open at `now`, by user name.
    pub fn list_invites(&self, now: i64) -> Result<Vec<InviteInfo>> {
        let sql = format!("{INVITE_SELECT} WHERE ?1 IS NULL AND {OPEN} ORDER BY u.name");
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = stmt.query_map(params![None::<String>, now], invite_from_row).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err())
    }

    /// Marks `user`'s open invitation with this hash used and sets the password, in one
    /// transaction; false (nothing changed) when there is no such open invitation.
    pub fn redeem_invite(
        &mut self,
        hash: &str,
        user: &str,
        record: &PasswordRecord,
        revoke_tokens: bool,
        now: i64,
    ) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let id: Option<i64> = tx
            .query_row(
                "UPDATE invites AS i SET used_at = ?3 WHERE hash = ?1 AND used_at IS NULL AND expires_at > ?3 \
                 AND (reset = 1 OR (SELECT password_hash FROM users WHERE id = i.user_id) IS NULL) \
                 AND user_id = (SELECT id FROM users WHERE name = ?2) RETURNING user_id",
                params![hash, user, now],
                |r| r.get(0),
            )
            .optional()
            .map_err(e)?;
        let Some(id) = id else { return Ok(false) };
        // `password_changed_at` fires the trigger that ends the user's sessions.
        tx.execute(
            "UPDATE users SET password_hash = ?1, password_changed_at = ?2, updated_at = ?2 WHERE id = ?3",
            params![record.hash, now, id],
        )
        .map_err(e)?;
        tx.execute("DELETE FROM digest_ha1 WHERE user_id = ?1", [id]).map_err(e)?;
        insert_ha1(&tx, id, &record.ha1).map_err(e)?;
        if revoke_tokens {
            super::edit::revoke_tokens_of(&tx, id, now).map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(true)
    }
}

#[cfg(test)]
#[path = "invites_tests.rs"]
mod tests;
