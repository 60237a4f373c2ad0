//! Groups and memberships.

use super::users::{AllocError, allocate_id};
use super::{SqliteStore, map_err};
use crate::config::UsersConfig;
use crate::error::{Error, Result};
use crate::store::{Group, split_external};
use rusqlite::{OptionalExtension, params};

impl SqliteStore {
    /// Creates a group with a fixed or allocated gid.
    pub fn add_group(&mut self, name: &str, gid: Option<u32>, defaults: &UsersConfig, now: i64) -> Result<Group> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let exists: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM groups WHERE name = ?1)", [name], |r| r.get(0)).map_err(e)?;
        if exists {
            return Err(Error::GroupExists(name.to_string()));
        }
        let gid = match gid {
            Some(g) => {
                let used: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM groups WHERE gid = ?1) OR EXISTS (SELECT 1 FROM users WHERE gid = ?1 OR uid = ?1)",
                        [g],
                        |r| r.get(0),
                    )
                    .map_err(e)?;
                if used {
                    return Err(Error::IdInUse(g));
                }
                g
            }
            None => allocate_id(&tx, defaults.uid_min, defaults.uid_max).map_err(|err| match err {
                AllocError::Db(x) => map_err(&path, x),
                AllocError::Full => Error::NoFreeId { min: defaults.uid_min, max: defaults.uid_max },
            })?,
        };
        tx.execute("INSERT INTO groups (name, gid, created_at) VALUES (?1, ?2, ?3)", params![name, gid, now])
            .map_err(e)?;
        tx.commit().map_err(e)?;
        self.get_group(name)?.ok_or_else(|| Error::NoSuchGroup(name.to_string()))
    }

    /// Deletes a group (memberships go with it).
    pub fn delete_group(&mut self, name: &str) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let n = tx.execute("DELETE FROM groups WHERE name = ?1", [name]).map_err(|e| map_err(&path, e))?;
        if n == 0 {
            return Err(Error::NoSuchGroup(name.to_string()));
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    /// A group by name, with members.
    pub fn get_group(&self, name: &str) -> Result<Option<Group>> {
        let g = self
            .conn
            .query_row("SELECT id, name, gid FROM groups WHERE name = ?1", [name], |r| {
                Ok(Group {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    gid: r.get(2)?,
                    members: Vec::new(),
                    external_members: Vec::new(),
                })
            })
            .optional()
            .map_err(self.err())?;
        self.with_members(g)
    }

    /// A group by gid, with members.
    pub fn get_group_by_gid(&self, gid: u32) -> Result<Option<Group>> {
        let g = self
            .conn
            .query_row("SELECT id, name, gid FROM groups WHERE gid = ?1", [gid], |r| {
                Ok(Group {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    gid: r.get(2)?,
                    members: Vec::new(),
                    external_members: Vec::new(),
                })
            })
            .optional()
            .map_err(self.err())?;
        self.with_members(g)
    }

    fn with_members(&self, g: Option<Group>) -> Result<Option<Group>> {
        let Some(mut g) = g else { return Ok(None) };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT u.name FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.group_id = ?1 ORDER BY u.name")
            .map_err(self.err())?;
        let rows = stmt.query_map([g.id], |r| r.get(0)).map_err(self.err())?;
        g.members = rows.collect::<rusqlite::Result<Vec<String>>>().map_err(self.err())?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT backend || ':' || user_name FROM external_members WHERE group_id = ?1 ORDER BY backend, user_name",
            )
            .map_err(self.err())?;
        let rows = stmt.query_map([g.id], |r| r.get(0)).map_err(self.err())?;
        g.external_members = rows.collect::<rusqlite::Result<Vec<String>>>().map_err(self.err())?;
        Ok(Some(g))
    }

    /// Every group, sorted by name, with members.
    pub fn list_groups(&self) -> Result<Vec<Group>> {
        let names: Vec<String> = {
            let mut stmt = self.conn.prepare("SELECT name FROM groups ORDER BY name").map_err(self.err())?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(self.err())?;
            rows.collect::<rusqlite::Result<_>>().map_err(self.err())?
        };
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            if let Some(g) = self.get_group(&n)? {
                out.push(g);
            }
        }
        Ok(out)
    }

    /// Adds `user` (or `backend:name`) to `group`; returns false if it already was a member.
    pub fn add_member(&mut self, user: &str, group: &str) -> Result<bool> {
        if let Some((backend, name)) = split_external(user) {
            let sql = "INSERT OR IGNORE INTO external_members (backend, user_name, group_id) VALUES (?1, ?2, ?3)";
            return self.external_membership(backend, name, group, sql);
        }
        self.membership(user, group, "INSERT OR IGNORE INTO memberships (user_id, group_id) VALUES (?1, ?2)")
    }

    /// Removes `user` (or `backend:name`) from `group`; returns false if it was not a member.
    pub fn remove_member(&mut self, user: &str, group: &str) -> Result<bool> {
        if let Some((backend, name)) = split_external(user) {
            let sql = "DELETE FROM external_members WHERE backend = ?1 AND user_name = ?2 AND group_id = ?3";
            return self.external_membership(backend, name, group, sql);
        }
        self.membership(user, group, "DELETE FROM memberships WHERE user_id = ?1 AND group_id = ?2")
    }

    /// The Wicket groups of a user of another backend, sorted: one read of the primary key.
    pub fn external_groups(&self, backend: &str, name: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT g.name FROM external_members e JOIN groups g ON g.id = e.group_id \
                 WHERE e.backend = ?1 AND e.user_name = ?2 ORDER BY g.name",
            )
            .map_err(self.err())?;
        let rows = stmt.query_map([backend, name], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<String>>>().map_err(self.err())
    }

    fn external_membership(&mut self, backend: &str, name: &str, group: &str, sql: &str) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let gid: Option<i64> =
            tx.query_row("SELECT id FROM groups WHERE name = ?1", [group], |r| r.get(0)).optional().map_err(e)?;
        let gid = gid.ok_or_else(|| Error::NoSuchGroup(group.to_string()))?;
        let n = tx.execute(sql, params![backend, name, gid]).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n > 0)
    }

    fn membership(&mut self, user: &str, group: &str, sql: &str) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let uid: Option<i64> =
            tx.query_row("SELECT id FROM users WHERE name = ?1", [user], |r| r.get(0)).optional().map_err(e)?;
        let uid = uid.ok_or_else(|| Error::NoSuchUser(user.to_string()))?;
        let gid: Option<i64> =
            tx.query_row("SELECT id FROM groups WHERE name = ?1", [group], |r| r.get(0)).optional().map_err(e)?;
        let gid = gid.ok_or_else(|| Error::NoSuchGroup(group.to_string()))?;
        let n = tx.execute(sql, [uid, gid]).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n > 0)
    }
}
