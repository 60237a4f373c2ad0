//! Users: rows, creation (with uid allocation), passwords, state, expiry.

use super::digest::insert_ha1;
use super::{PgErr, PgStore, id32};
use crate::config::UsersConfig;
use crate::error::{Error, Result};
use crate::store::{AccountState, NewUser, PasswordRecord, User};
use postgres::types::ToSql;
use postgres::{GenericClient, Row, Transaction};

pub(super) const USER_COLUMNS: &str = "id, name, uid, gid, display_name, email, home, shell, state, expires_at, \
     password_hash, password_changed_at, created_at, updated_at";

pub(super) fn user_from_row(r: &Row) -> std::result::Result<User, postgres::Error> {
    let state: String = r.try_get(8)?;
    Ok(User {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        uid: id32(r.try_get(2)?),
        gid: id32(r.try_get(3)?),
        display_name: r.try_get(4)?,
        email: r.try_get(5)?,
        home: r.try_get(6)?,
        shell: r.try_get(7)?,
        state: AccountState::from_db(&state),
        expires_at: r.try_get(9)?,
        password_hash: r.try_get(10)?,
        password_changed_at: r.try_get(11)?,
        created_at: r.try_get(12)?,
        updated_at: r.try_get(13)?,
        groups: Vec::new(),
    })
}

/// A user with its groups, by a `WHERE` on `users` with one parameter.
pub(super) fn load_user(
    c: &mut impl GenericClient,
    e: PgErr<'_>,
    filter: &str,
    value: &(dyn ToSql + Sync),
) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {filter}");
    let Some(row) = c.query_opt(sql.as_str(), &[value]).map_err(e)? else { return Ok(None) };
    let mut user = user_from_row(&row).map_err(e)?;
    user.groups = groups_of(c, e, user.id)?;
    Ok(Some(user))
}

fn groups_of(c: &mut impl GenericClient, e: PgErr<'_>, user_id: i64) -> Result<Vec<String>> {
    let rows = c
        .query(
            "SELECT g.name FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1 ORDER BY g.name",
            &[&user_id],
        )
        .map_err(e)?;
    rows.iter().map(|r| r.try_get(0).map_err(e)).collect()
}

/// The row id of a user, inside a transaction.
pub(super) fn user_id(tx: &mut Transaction<'_>, e: PgErr<'_>, name: &str) -> Result<Option<i64>> {
    let row = tx.query_opt("SELECT id FROM users WHERE name = $1", &[&name]).map_err(e)?;
    row.map(|r| r.try_get(0).map_err(e)).transpose()
}

impl PgStore {
    /// Creates a user (and its Digest values) in one transaction.
    pub fn add_user(
        &mut self,
        new: &NewUser,
        defaults: &UsersConfig,
        password: Option<&PasswordRecord>,
        now: i64,
    ) -> Result<User> {
        self.write(|tx, e| {
            insert_user(tx, e, new, defaults, password, now)?;
            load_user(tx, e, "name = $1", &new.name)?.ok_or_else(|| Error::NoSuchUser(new.name.clone()))
        })
    }

    /// Creates many users in one transaction: all or nothing.
    pub fn add_users(
        &mut self,
        users: &[(NewUser, Option<PasswordRecord>)],
        defaults: &UsersConfig,
        now: i64,
    ) -> Result<()> {
        self.write(|tx, e| {
            for (new, password) in users {
                insert_user(tx, e, new, defaults, password.as_ref(), now)?;
            }
            Ok(())
        })
    }

    /// True when a user by that name exists.
    pub fn user_exists(&self, name: &str) -> Result<bool> {
        self.read(|c, e| {
            c.query_one("SELECT EXISTS (SELECT 1 FROM users WHERE name = $1)", &[&name])
                .and_then(|r| r.try_get(0))
                .map_err(e)
        })
    }

    /// Replaces a user's password, its Digest values and (optionally) revokes its tokens.
    pub(super) fn write_password(&self, name: &str, record: &PasswordRecord, now: i64, revoke: bool) -> Result<u64> {
        self.write(|tx, e| {
            let id = user_id(tx, e, name)?.ok_or_else(|| Error::NoSuchUser(name.to_string()))?;
            tx.execute(
                "UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3",
                &[&record.hash, &now, &id],
            )
            .map_err(e)?;
            tx.execute("DELETE FROM digest_ha1 WHERE user_id = $1", &[&id]).map_err(e)?;
            insert_ha1(tx, e, id, &record.ha1)?;
            if revoke { super::revoke_tokens_of(tx, e, id, now) } else { Ok(0) }
        })
    }

    /// Replaces the hash only while it is still `old_hash`; whether it did.
    pub fn upgrade_password(&mut self, name: &str, old_hash: &str, record: &PasswordRecord) -> Result<bool> {
        self.write(|tx, e| {
            let row = tx
                .query_opt("SELECT id FROM users WHERE name = $1 AND password_hash = $2", &[&name, &old_hash])
                .map_err(e)?;
            let Some(row) = row else { return Ok(false) };
            let id: i64 = row.try_get(0).map_err(e)?;
            tx.execute("UPDATE users SET password_hash = $1 WHERE id = $2", &[&record.hash, &id]).map_err(e)?;
            tx.execute("DELETE FROM digest_ha1 WHERE user_id = $1", &[&id]).map_err(e)?;
            insert_ha1(tx, e, id, &record.ha1)?;
            Ok(true)
        })
    }

    /// Deletes a user (memberships, tokens and Digest values go with it).
    pub fn delete_user(&mut self, name: &str) -> Result<()> {
        self.write(|tx, e| match tx.execute("DELETE FROM users WHERE name = $1", &[&name]).map_err(e)? {
            0 => Err(Error::NoSuchUser(name.to_string())),
            _ => Ok(()),
        })
    }

    /// Sets active/locked/disabled.
    pub fn set_state(&mut self, name: &str, state: AccountState, now: i64) -> Result<()> {
        self.update_field(name, "UPDATE users SET state = $1, updated_at = $2 WHERE name = $3", &state.as_str(), now)
    }

    /// Sets or clears the expiry.
    pub fn set_expiry(&mut self, name: &str, expires_at: Option<i64>, now: i64) -> Result<()> {
        self.update_field(name, "UPDATE users SET expires_at = $1, updated_at = $2 WHERE name = $3", &expires_at, now)
    }

    fn update_field(&self, name: &str, sql: &str, value: &(dyn ToSql + Sync), now: i64) -> Result<()> {
        self.write(|tx, e| match tx.execute(sql, &[value, &now, &name]).map_err(e)? {
            0 => Err(Error::NoSuchUser(name.to_string())),
            _ => Ok(()),
        })
    }

    /// A user by name, with groups.
    pub fn get_user(&self, name: &str) -> Result<Option<User>> {
        self.read(|c, e| load_user(c, e, "name = $1", &name))
    }

    /// A user by uid, with groups.
    pub fn get_user_by_uid(&self, uid: u32) -> Result<Option<User>> {
        self.read(|c, e| load_user(c, e, "uid = $1", &i64::from(uid)))
    }

    /// Every user, sorted by name, with groups.
    pub fn list_users(&self) -> Result<Vec<User>> {
        self.read(|c, e| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
            let rows = c.query(sql.as_str(), &[]).map_err(e)?;
            let mut users = rows.iter().map(|r| user_from_row(r).map_err(e)).collect::<Result<Vec<_>>>()?;
            for u in &mut users {
                u.groups = groups_of(c, e, u.id)?;
            }
            Ok(users)
        })
    }
}

fn insert_user(
    tx: &mut Transaction<'_>,
    e: PgErr<'_>,
    new: &NewUser,
    defaults: &UsersConfig,
    password: Option<&PasswordRecord>,
    now: i64,
) -> Result<()> {
    if user_id(tx, e, &new.name)?.is_some() {
        return Err(Error::UserExists(new.name.clone()));
    }
    let uid = match new.uid {
        Some(uid) => {
            let used: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM users WHERE uid = $1) OR EXISTS (SELECT 1 FROM groups WHERE gid = $1)",
                    &[&i64::from(uid)],
                )
                .and_then(|r| r.try_get(0))
                .map_err(e)?;
            if used {
                return Err(Error::IdInUse(uid));
            }
            uid
        }
        None => allocate_id(tx, e, defaults.uid_min, defaults.uid_max)?,
    };
    let gid = new.gid.unwrap_or(uid);
    let home = new.home.clone().unwrap_or_else(|| defaults.home.replace("{user}", &new.name));
    let shell = new.shell.clone().unwrap_or_else(|| defaults.shell.clone());
    let row = tx
        .query_one(
            "INSERT INTO users (name, uid, gid, display_name, email, home, shell, state, expires_at, \
             password_hash, password_changed_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $11) RETURNING id",
            &[
                &new.name,
                &i64::from(uid),
                &i64::from(gid),
                &new.display_name,
                &new.email,
                &home,
                &shell,
                &new.expires_at,
                &password.map(|p| p.hash.as_str()),
                &password.map(|_| now),
                &now,
            ],
        )
        .map_err(e)?;
    if let Some(p) = password {
        let id: i64 = row.try_get(0).map_err(e)?;
        insert_ha1(tx, e, id, &p.ha1)?;
    }
    Ok(())
}

/// Lowest id in `min..=max` used by no user (uid or gid) and no group (under the write lock).
pub(super) fn allocate_id(tx: &mut Transaction<'_>, e: PgErr<'_>, min: u32, max: u32) -> Result<u32> {
    let rows = tx
        .query(
            "SELECT id FROM (SELECT uid AS id FROM users UNION SELECT gid FROM users UNION SELECT gid FROM groups) AS used \
             WHERE id BETWEEN $1 AND $2 ORDER BY id",
            &[&i64::from(min), &i64::from(max)],
        )
        .map_err(e)?;
    let full = || Error::NoFreeId { min, max };
    let mut candidate = min;
    for r in rows {
        let id = id32(r.try_get(0).map_err(e)?);
        if id > candidate {
            break;
        }
        if id == candidate {
            candidate = candidate.checked_add(1).ok_or_else(full)?;
        }
    }
    if candidate > max { Err(full()) } else { Ok(candidate) }
}
