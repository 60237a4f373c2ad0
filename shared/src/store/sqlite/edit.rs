//! Editing existing users: `user mod` (ids, names, paths, expiry), renaming, and revoking
//! all of a user's tokens. Each method is one transaction.

use super::{SqliteStore, map_err};
use crate::error::{Error, Result};
use crate::store::{User, UserChanges};
use rusqlite::types::ToSql;
use rusqlite::{OptionalExtension, Transaction, params};

/// The row id, uid and gid of a user, inside a transaction.
fn ids_of(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<Option<(i64, u32, u32)>> {
    tx.query_row("SELECT id, uid, gid FROM users WHERE name = ?1", [name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
}

/// Revokes the unrevoked tokens of user `id` at `now`; how many.
pub(super) fn revoke_tokens_of(tx: &Transaction<'_>, id: i64, now: i64) -> rusqlite::Result<u64> {
    let n =
        tx.execute("UPDATE tokens SET revoked_at = ?1 WHERE owner_id = ?2 AND revoked_at IS NULL", params![now, id])?;
    Ok(n as u64)
}

/// Who else holds `uid` (as a uid or a private gid) or a group with it as gid; `None` if free.
fn uid_holder(tx: &Transaction<'_>, uid: u32, me: i64) -> rusqlite::Result<Option<String>> {
    let user: Option<String> = tx
        .query_row("SELECT name FROM users WHERE (uid = ?1 OR gid = ?1) AND id != ?2 LIMIT 1", params![uid, me], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(u) = user {
        return Ok(Some(format!("user `{u}`")));
    }
    let group: Option<String> =
        tx.query_row("SELECT name FROM groups WHERE gid = ?1", [uid], |r| r.get(0)).optional()?;
    Ok(group.map(|g| format!("group `{g}`")))
}

impl SqliteStore {
    /// Applies `changes` in one transaction; see [`crate::store::UserStore::update_user`].
    pub fn update_user(&mut self, name: &str, changes: &UserChanges, now: i64) -> Result<User> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let (id, uid, gid) = ids_of(&tx, name).map_err(e)?.ok_or_else(|| Error::NoSuchUser(name.to_string()))?;
        if let Some(new) = changes.uid.filter(|&n| n != uid) {
            if let Some(holder) = uid_holder(&tx, new, id).map_err(e)? {
                return Err(Error::Invalid(format!("uid {new} is already used by {holder}; nothing changed")));
            }
        }
        if let Some(new) = changes.gid.filter(|&n| n != gid) {
            let other: Option<String> = tx
                .query_row("SELECT name FROM users WHERE uid = ?1 AND id != ?2", params![new, id], |r| r.get(0))
                .optional()
                .map_err(e)?;
            if let Some(other) = other {
                return Err(Error::Invalid(format!(
                    "gid {new} is the private group of user `{other}` (its uid); nothing changed"
                )));
            }
        }
        let mut sets: Vec<&str> = Vec::new();
        let mut values: Vec<&dyn ToSql> = Vec::new();
        let fields: [(&str, Option<&dyn ToSql>); 7] = [
            ("uid", changes.uid.as_ref().map(|v| v as &dyn ToSql)),
            ("gid", changes.gid.as_ref().map(|v| v as &dyn ToSql)),
            ("display_name", changes.display_name.as_ref().map(|v| v as &dyn ToSql)),
            ("email", changes.email.as_ref().map(|v| v as &dyn ToSql)),
            ("home", changes.home.as_ref().map(|v| v as &dyn ToSql)),
            ("shell", changes.shell.as_ref().map(|v| v as &dyn ToSql)),
            ("expires_at", changes.expires_at.as_ref().map(|v| v as &dyn ToSql)),
        ];
        for (column, value) in fields {
            if let Some(v) = value {
                // Column names come from the fixed list above; values are bound.
                sets.push(column);
                values.push(v);
            }
        }
        if !sets.is_empty() {
            let assignments: Vec<String> = sets.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
            let sql = format!(
                "UPDATE users SET {}, updated_at = ?{} WHERE id = ?{}",
                assignments.join(", "),
                values.len() + 1,
                values.len() + 2
            );
            values.push(&now);
            values.push(&id);
            tx.execute(&sql, values.as_slice()).map_err(e)?;
            // Names, e-mail, home and shell are in cached identities and NSS answers; the
            // schema's trigger covers ids, state and expiry only, so move the counter here.
            tx.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'", []).map_err(e)?;
            let ids_changed = changes.uid.is_some_and(|n| n != uid) || changes.gid.is_some_and(|n| n != gid);
            if ids_changed {
                tx.execute("DELETE FROM sessions WHERE backend = 'local' AND user_name = ?1", [name]).map_err(e)?;
            }
        }
        tx.commit().map_err(e)?;
        self.get_user(name)?.ok_or_else(|| Error::NoSuchUser(name.to_string()))
    }

    /// Renames a user; see [`crate::store::UserStore::rename_user`].
    pub fn rename_user(&mut self, old: &str, new: &str, now: i64) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let (id, _, _) = ids_of(&tx, old).map_err(e)?.ok_or_else(|| Error::NoSuchUser(old.to_string()))?;
        if ids_of(&tx, new).map_err(e)?.is_some() {
            return Err(Error::UserExists(new.to_string()));
        }
        // The trigger `users_sessions_renamed` ends the sessions under the old name.
        tx.execute("UPDATE users SET name = ?1, updated_at = ?2 WHERE id = ?3", params![new, now, id]).map_err(e)?;
        // HA1 = H(name:realm:password): the old values answer for a name that is gone.
        tx.execute("DELETE FROM digest_ha1 WHERE user_id = ?1", [id]).map_err(e)?;
        tx.commit().map_err(e)
    }

    /// Revokes all of a user's tokens in one transaction; how many were still unrevoked.
    pub fn revoke_user_tokens(&mut self, name: &str, now: i64) -> Result<u64> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = match crate::store::split_external(name) {
            // A user of another backend (`ldap:carol`): tokens are theirs by backend and name.
            Some((backend, user)) => tx
                .execute(
                    "UPDATE tokens SET revoked_at = ?1 \
                     WHERE owner_backend = ?2 AND owner_name = ?3 AND revoked_at IS NULL",
                    params![now, backend, user],
                )
                .map(|n| n as u64)
                .map_err(e)?,
            None => {
                let (id, _, _) = ids_of(&tx, name).map_err(e)?.ok_or_else(|| Error::NoSuchUser(name.to_string()))?;
                revoke_tokens_of(&tx, id, now).map_err(e)?
            }
        };
        tx.commit().map_err(e)?;
        Ok(n)
    }
}
