//! Invitations: one-time links (kept as SHA-256) for a local user to choose a password.
//! [`PgStore::redeem_invite`] marks the link used and sets the password in one transaction,
//! with a conditional UPDATE under the write lock: of two requests with one link only one
//! wins, on any instance.

use super::PgStore;
use super::digest::insert_ha1;
use super::revoke_tokens_of;
use crate::error::{Error, Result};
use crate::store::{InviteInfo, PasswordRecord};
use postgres::Row;

const SELECT: &str =
    "SELECT u.name, i.reset, i.created_at, i.expires_at, i.used_at FROM invites i JOIN users u ON u.id = i.user_id";

/// Open: unused, not expired, and (for a new account's link) no password set meanwhile.
const OPEN: &str = "i.used_at IS NULL AND i.expires_at > $1 AND (i.reset OR u.password_hash IS NULL)";

fn from_row(r: &Row) -> std::result::Result<InviteInfo, postgres::Error> {
    Ok(InviteInfo {
        user: r.try_get(0)?,
        reset: r.try_get(1)?,
        created_at: r.try_get(2)?,
        expires_at: r.try_get(3)?,
        used_at: r.try_get(4)?,
    })
}

impl PgStore {
    /// Stores a link for `user`, replacing an earlier one.
    pub fn add_invite(&mut self, user: &str, hash: &str, reset: bool, now: i64, expires_at: i64) -> Result<InviteInfo> {
        self.write(|tx, e| {
            let row = tx.query_opt("SELECT id FROM users WHERE name = $1", &[&user]).map_err(e)?;
            let id: i64 = row.ok_or_else(|| Error::NoSuchUser(user.to_string()))?.try_get(0).map_err(e)?;
            tx.execute("DELETE FROM invites WHERE user_id = $1", &[&id]).map_err(e)?;
            tx.execute(
                "INSERT INTO invites (user_id, hash, reset, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                &[&id, &hash, &reset, &now, &expires_at],
            )
            .map_err(e)?;
            Ok(InviteInfo { user: user.to_string(), reset, created_at: now, expires_at, used_at: None })
        })
    }

    /// The open link with this hash.
    pub fn find_invite(&self, hash: &str, now: i64) -> Result<Option<InviteInfo>> {
        self.read(|c, e| {
            let row = c.query_opt(&format!("{SELECT} WHERE {OPEN} AND i.hash = $2"), &[&now, &hash]).map_err(e)?;
            row.map(|r| from_row(&r)).transpose().map_err(e)
        })
    }

    /// Every open link, by user name.
    pub fn list_invites(&self, now: i64) -> Result<Vec<InviteInfo>> {
        self.read(|c, e| {
            let rows = c.query(&format!("{SELECT} WHERE {OPEN} ORDER BY u.name"), &[&now]).map_err(e)?;
            rows.iter().map(from_row).collect::<std::result::Result<Vec<_>, _>>().map_err(e)
        })
    }

    /// Uses `user`'s open link with this hash and sets the password; false, changing
    /// nothing, when the link is unknown, used, expired or someone else's.
    pub fn redeem_invite(
        &mut self,
        hash: &str,
        user: &str,
        record: &PasswordRecord,
        revoke_tokens: bool,
        now: i64,
    ) -> Result<bool> {
        self.write(|tx, e| {
            let row = tx
                .query_opt(
                    "UPDATE invites AS i SET used_at = $3 FROM users u WHERE u.id = i.user_id AND i.hash = $1 \
                     AND u.name = $2 AND i.used_at IS NULL AND i.expires_at > $3 \
                     AND (i.reset OR u.password_hash IS NULL) RETURNING i.user_id",
                    &[&hash, &user, &now],
                )
                .map_err(e)?;
            let Some(row) = row else { return Ok(false) };
            let id: i64 = row.try_get(0).map_err(e)?;
            tx.execute(
                "UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3",
                &[&record.hash, &now, &id],
            )
            .map_err(e)?;
            tx.execute("DELETE FROM digest_ha1 WHERE user_id = $1", &[&id]).map_err(e)?;
            insert_ha1(tx, e, id, &record.ha1)?;
            if revoke_tokens {
                revoke_tokens_of(tx, e, id, now)?;
            }
            Ok(true)
        })
    }
}
