//! Editing existing users: `user mod`, renaming, revoking all of a user's tokens.

use super::users::{load_user, user_id};
use super::{PgErr, PgStore, id32};
use crate::error::{Error, Result};
use crate::store::{User, UserChanges, split_external};
use postgres::Transaction;
use postgres::types::ToSql;

/// The row id, uid and gid of a user, inside a transaction.
fn ids_of(tx: &mut Transaction<'_>, e: PgErr<'_>, name: &str) -> Result<Option<(i64, u32, u32)>> {
    let row = tx.query_opt("SELECT id, uid, gid FROM users WHERE name = $1", &[&name]).map_err(e)?;
    row.map(|r| Ok((r.try_get(0).map_err(e)?, id32(r.try_get(1).map_err(e)?), id32(r.try_get(2).map_err(e)?))))
        .transpose()
}

/// Who else holds `uid` (as a uid or a private gid) or a group with it as gid.
fn uid_holder(tx: &mut Transaction<'_>, e: PgErr<'_>, uid: u32, me: i64) -> Result<Option<String>> {
    let uid = i64::from(uid);
    let user = tx
        .query_opt("SELECT name FROM users WHERE (uid = $1 OR gid = $1) AND id <> $2 LIMIT 1", &[&uid, &me])
        .map_err(e)?;
    if let Some(r) = user {
        return Ok(Some(format!("user `{}`", r.try_get::<_, String>(0).map_err(e)?)));
    }
    let group = tx.query_opt("SELECT name FROM groups WHERE gid = $1", &[&uid]).map_err(e)?;
    group.map(|r| Ok(format!("group `{}`", r.try_get::<_, String>(0).map_err(e)?))).transpose()
}

impl PgStore {
    /// Applies `changes` in one transaction; see [`crate::store::UserStore::update_user`].
    pub fn update_user(&mut self, name: &str, changes: &UserChanges, now: i64) -> Result<User> {
        self.write(|tx, e| {
            let (id, uid, gid) = ids_of(tx, e, name)?.ok_or_else(|| Error::NoSuchUser(name.to_string()))?;
            if let Some(new) = changes.uid.filter(|&n| n != uid) {
                if let Some(holder) = uid_holder(tx, e, new, id)? {
                    return Err(Error::Invalid(format!("uid {new} is already used by {holder}; nothing changed")));
                }
            }
            if let Some(new) = changes.gid.filter(|&n| n != gid) {
                let other = tx
                    .query_opt("SELECT name FROM users WHERE uid = $1 AND id <> $2", &[&i64::from(new), &id])
                    .map_err(e)?;
                if let Some(other) = other {
                    let other: String = other.try_get(0).map_err(e)?;
                    return Err(Error::Invalid(format!(
                        "gid {new} is the private group of user `{other}` (its uid); nothing changed"
                    )));
                }
            }
            let (new_uid, new_gid) = (changes.uid.map(i64::from), changes.gid.map(i64::from));
            let fields: [(&str, Option<&(dyn ToSql + Sync)>); 7] = [
                ("uid", new_uid.as_ref().map(|v| v as _)),
                ("gid", new_gid.as_ref().map(|v| v as _)),
                ("display_name", changes.display_name.as_ref().map(|v| v as _)),
                ("email", changes.email.as_ref().map(|v| v as _)),
                ("home", changes.home.as_ref().map(|v| v as _)),
                ("shell", changes.shell.as_ref().map(|v| v as _)),
                ("expires_at", changes.expires_at.as_ref().map(|v| v as _)),
            ];
            let mut sets: Vec<String> = Vec::new();
            let mut values: Vec<&(dyn ToSql + Sync)> = Vec::new();
            for (column, value) in fields {
                if let Some(v) = value {
                    // Column names come from the fixed list above; values are bound.
                    values.push(v);
                    sets.push(format!("{column} = ${}", values.len()));
                }
            }
            if !sets.is_empty() {
                let sql = format!(
                    "UPDATE users SET {}, updated_at = ${} WHERE id = ${}",
                    sets.join(", "),
                    values.len() + 1,
                    values.len() + 2
                );
                values.push(&now);
                values.push(&id);
                tx.execute(sql.as_str(), &values).map_err(e)?;
                // Names, e-mail, home and shell are in cached identities: move the counter.
                tx.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'", &[]).map_err(e)?;
                let ids_changed = changes.uid.is_some_and(|n| n != uid) || changes.gid.is_some_and(|n| n != gid);
                if ids_changed {
                    tx.execute("DELETE FROM sessions WHERE backend = 'local' AND user_name = $1", &[&name])
                        .map_err(e)?;
                }
            }
            load_user(tx, e, "id = $1", &id)?.ok_or_else(|| Error::NoSuchUser(name.to_string()))
        })
    }

    /// Renames a user; see [`crate::store::UserStore::rename_user`].
    pub fn rename_user(&mut self, old: &str, new: &str, now: i64) -> Result<()> {
        self.write(|tx, e| {
            let id = user_id(tx, e, old)?.ok_or_else(|| Error::NoSuchUser(old.to_string()))?;
            if user_id(tx, e, new)?.is_some() {
                return Err(Error::UserExists(new.to_string()));
            }
            // The trigger `users_sessions_renamed` ends the sessions under the old name.
            tx.execute("UPDATE users SET name = $1, updated_at = $2 WHERE id = $3", &[&new, &now, &id]).map_err(e)?;
            // HA1 = H(name:realm:password): the old values answer for a name that is gone.
            tx.execute("DELETE FROM digest_ha1 WHERE user_id = $1", &[&id]).map_err(e)?;
            Ok(())
        })
    }

    /// Revokes all of a user's tokens in one transaction; how many were still unrevoked.
    pub fn revoke_user_tokens(&mut self, name: &str, now: i64) -> Result<u64> {
        self.write(|tx, e| match split_external(name) {
            Some((backend, user)) => tx
                .execute(
                    "UPDATE tokens SET revoked_at = $1 \
                     WHERE owner_backend = $2 AND owner_name = $3 AND revoked_at IS NULL",
                    &[&now, &backend, &user],
                )
                .map_err(e),
            None => {
                let id = user_id(tx, e, name)?.ok_or_else(|| Error::NoSuchUser(name.to_string()))?;
                super::revoke_tokens_of(tx, e, id, now)
            }
        })
    }
}
