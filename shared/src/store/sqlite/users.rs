//! Users: rows, creation (with uid allocation), passwords, state, expiry.

use super::digest::insert_ha1;
use super::{SqliteStore, map_err};
use crate::config::UsersConfig;
use crate::error::{Error, Result};
use crate::store::{AccountState, NewUser, PasswordRecord, User};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use std::path::Path;

pub(super) const USER_COLUMNS: &str = "id, name, uid, gid, display_name, email, home, shell, state, expires_at, \
     password_hash, password_changed_at, created_at, updated_at";

pub(super) fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let state: String = r.get(8)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        uid: r.get(2)?,
        gid: r.get(3)?,
        display_name: r.get(4)?,
        email: r.get(5)?,
        home: r.get(6)?,
        shell: r.get(7)?,
        state: AccountState::from_db(&state),
        expires_at: r.get(9)?,
        password_hash: r.get(10)?,
        password_changed_at: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
        groups: Vec::new(),
    })
}

impl SqliteStore {
    /// Creates a user (and its Digest values) in one transaction.
    pub fn add_user(
        &mut self,
        new: &NewUser,
        defaults: &UsersConfig,
        password: Option<&PasswordRecord>,
        now: i64,
    ) -> Result<User> {
        let (tx, path) = self.write_tx()?;
        insert_user(&tx, &path, new, defaults, password, now)?;
        tx.commit().map_err(|e| map_err(&path, e))?;
        self.get_user(&new.name)?.ok_or_else(|| Error::NoSuchUser(new.name.clone()))
    }

    /// Creates many users in one transaction (imports): all or nothing.
    pub fn add_users(
        &mut self,
        users: &[(NewUser, Option<PasswordRecord>)],
        defaults: &UsersConfig,
        now: i64,
    ) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        for (new, password) in users {
            insert_user(&tx, &path, new, defaults, password.as_ref(), now)?;
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    /// True when a user by that name exists.
    pub fn user_exists(&self, name: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)", [name], |r| r.get(0))
            .map_err(self.err())
    }

    /// Replaces a user's password and Digest values.
    pub fn set_password(&mut self, name: &str, record: &PasswordRecord, now: i64) -> Result<()> {
        self.write_password(name, record, now, false).map(|_| ())
    }

    /// Replaces a user's password and Digest values and revokes its tokens, in one
    /// transaction; how many tokens it revoked.
    pub fn set_password_revoking_tokens(&mut self, name: &str, record: &PasswordRecord, now: i64) -> Result<u64> {
        self.write_password(name, record, now, true)
    }

    fn write_password(&mut self, name: &str, record: &PasswordRecord, now: i64, revoke_tokens: bool) -> Result<u64> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let id: Option<i64> =
            tx.query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0)).optional().map_err(e)?;
        let id = id.ok_or_else(|| Error::NoSuchUser(name.to_string()))?;
        tx.execute(
            "UPDATE users SET password_hash = ?1, password_changed_at = ?2, updated_at = ?2 WHERE id = ?3",
            params![record.hash, now, id],
        )
        .map_err(e)?;
        tx.execute("DELETE FROM digest_ha1 WHERE user_id = ?1", [id]).map_err(e)?;
        insert_ha1(&tx, id, &record.ha1).map_err(e)?;
        let revoked = if revoke_tokens { super::edit::revoke_tokens_of(&tx, id, now).map_err(e)? } else { 0 };
        tx.commit().map_err(e)?;
        Ok(revoked)
    }

    /// Replaces the hash only if it is still `old_hash` (an upgrade after login must not undo
    /// a password change made meanwhile). Returns whether it was replaced.
    pub fn upgrade_password(&mut self, name: &str, old_hash: &str, record: &PasswordRecord) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let id: Option<i64> = tx
            .query_row("SELECT id FROM users WHERE name = ?1 AND password_hash = ?2", [name, old_hash], |r| r.get(0))
            .optional()
            .map_err(e)?;
        let Some(id) = id else { return Ok(false) };
        tx.execute("UPDATE users SET password_hash = ?1 WHERE id = ?2", params![record.hash, id]).map_err(e)?;
        tx.execute("DELETE FROM digest_ha1 WHERE user_id = ?1", [id]).map_err(e)?;
        insert_ha1(&tx, id, &record.ha1).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(true)
    }

    /// Deletes a user (memberships, tokens and Digest values go with it).
    pub fn delete_user(&mut self, name: &str) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let n = tx.execute("DELETE FROM users WHERE name = ?1", [name]).map_err(|e| map_err(&path, e))?;
        if n == 0 {
            return Err(Error::NoSuchUser(name.to_string()));
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    /// Sets active/locked/disabled.
    pub fn set_state(&mut self, name: &str, state: AccountState, now: i64) -> Result<()> {
        self.update_user_field(
            name,
            "UPDATE users SET state = ?1, updated_at = ?2 WHERE name = ?3",
            &state.as_str(),
            now,
        )
    }

    /// Sets or clears the expiry.
    pub fn set_expiry(&mut self, name: &str, expires_at: Option<i64>, now: i64) -> Result<()> {
        self.update_user_field(
            name,
            "UPDATE users SET expires_at = ?1, updated_at = ?2 WHERE name = ?3",
            &expires_at,
            now,
        )
    }

    fn update_user_field(&mut self, name: &str, sql: &str, value: &dyn rusqlite::ToSql, now: i64) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let n = tx.execute(sql, params![value, now, name]).map_err(|e| map_err(&path, e))?;
        if n == 0 {
            return Err(Error::NoSuchUser(name.to_string()));
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    /// A user by name, with groups.
    pub fn get_user(&self, name: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1");
        let user = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row([name], user_from_row).optional())
            .map_err(self.err())?;
        self.with_groups(user)
    }

    /// A user by uid, with groups.
    pub fn get_user_by_uid(&self, uid: u32) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE uid = ?1");
        let user = self.conn.query_row(&sql, [uid], user_from_row).optional().map_err(self.err())?;
        self.with_groups(user)
    }

    fn with_groups(&self, user: Option<User>) -> Result<Option<User>> {
        let Some(mut u) = user else { return Ok(None) };
        u.groups = self.groups_of(u.id)?;
        Ok(Some(u))
    }

    /// Group names of a user, sorted.
    pub fn groups_of(&self, user_id: i64) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT g.name FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?1 ORDER BY g.name")
            .map_err(self.err())?;
        let rows = stmt.query_map([user_id], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<String>>>().map_err(self.err())
    }

    /// Every user, sorted by name, with groups.
    pub fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let users = stmt.query_map([], user_from_row).map_err(self.err())?;
        let mut users = users.collect::<rusqlite::Result<Vec<User>>>().map_err(self.err())?;
        for u in &mut users {
            u.groups = self.groups_of(u.id)?;
        }
        Ok(users)
    }
}

fn insert_user(
    tx: &Transaction<'_>,
    path: &Path,
    new: &NewUser,
    defaults: &UsersConfig,
    password: Option<&PasswordRecord>,
    now: i64,
) -> Result<()> {
    let e = |err| map_err(path, err);
    let exists: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)", [&new.name], |r| r.get(0)).map_err(e)?;
    if exists {
        return Err(Error::UserExists(new.name.clone()));
    }
    let uid = match new.uid {
        Some(uid) => {
            let used: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM users WHERE uid = ?1) OR EXISTS (SELECT 1 FROM groups WHERE gid = ?1)", [uid], |r| r.get(0))
                .map_err(e)?;
            if used {
                return Err(Error::IdInUse(uid));
            }
            uid
        }
        None => allocate_id(tx, defaults.uid_min, defaults.uid_max).map_err(|err| match err {
            AllocError::Db(x) => map_err(path, x),
            AllocError::Full => Error::NoFreeId { min: defaults.uid_min, max: defaults.uid_max },
        })?,
    };
    let gid = new.gid.unwrap_or(uid);
    let home = new.home.clone().unwrap_or_else(|| defaults.home.replace("{user}", &new.name));
    let shell = new.shell.clone().unwrap_or_else(|| defaults.shell.clone());
    tx.execute(
        "INSERT INTO users (name, uid, gid, display_name, email, home, shell, state, expires_at, \
         password_hash, password_changed_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9, ?10, ?11, ?11)",
        params![
            new.name,
            uid,
            gid,
            new.display_name,
            new.email,
            home,
            shell,
            new.expires_at,
            password.map(|p| &p.hash),
            password.map(|_| now),
            now
        ],
    )
    .map_err(e)?;
    let id = tx.last_insert_rowid();
    if let Some(p) = password {
        insert_ha1(tx, id, &p.ha1).map_err(e)?;
    }
    Ok(())
}

pub(super) enum AllocError {
    Db(rusqlite::Error),
    Full,
}

/// Lowest id in `min..=max` used by no user (uid or gid) and no group.
pub(super) fn allocate_id(tx: &Transaction<'_>, min: u32, max: u32) -> std::result::Result<u32, AllocError> {
    let mut stmt = tx
        .prepare(
            "SELECT id FROM (SELECT uid AS id FROM users UNION SELECT gid FROM users UNION SELECT gid FROM groups) \
             WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        )
        .map_err(AllocError::Db)?;
    let used = stmt.query_map([min, max], |r| r.get::<_, u32>(0)).map_err(AllocError::Db)?;
    let mut candidate = min;
    for id in used {
        let id = id.map_err(AllocError::Db)?;
        if id > candidate {
            break;
        }
        if id == candidate {
            candidate = candidate.checked_add(1).ok_or(AllocError::Full)?;
        }
    }
    if candidate > max { Err(AllocError::Full) } else { Ok(candidate) }
}
