//! Groups and memberships (local and external).

use super::users::allocate_id;
use super::{PgErr, PgStore, id32};
use crate::config::UsersConfig;
use crate::error::{Error, Result};
use crate::store::{Group, split_external};
use postgres::types::ToSql;
use postgres::{GenericClient, Transaction};

/// A group with its members, by a `WHERE` on `groups` with one parameter.
fn load_group(
    c: &mut impl GenericClient,
    e: PgErr<'_>,
    filter: &str,
    value: &(dyn ToSql + Sync),
) -> Result<Option<Group>> {
    let sql = format!("SELECT id, name, gid FROM groups WHERE {filter}");
    let Some(r) = c.query_opt(sql.as_str(), &[value]).map_err(e)? else { return Ok(None) };
    let id: i64 = r.try_get(0).map_err(e)?;
    let names =
        |rows: Vec<postgres::Row>| rows.iter().map(|r| r.try_get(0).map_err(e)).collect::<Result<Vec<String>>>();
    let members = c
        .query(
            "SELECT u.name FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 ORDER BY u.name",
            &[&id],
        )
        .map_err(e)?;
    let external = c
        .query(
            "SELECT backend || ':' || user_name FROM external_members WHERE group_id = $1 ORDER BY backend, user_name",
            &[&id],
        )
        .map_err(e)?;
    Ok(Some(Group {
        id,
        name: r.try_get(1).map_err(e)?,
        gid: id32(r.try_get(2).map_err(e)?),
        members: names(members)?,
        external_members: names(external)?,
    }))
}

fn group_id(tx: &mut Transaction<'_>, e: PgErr<'_>, group: &str) -> Result<i64> {
    let row = tx.query_opt("SELECT id FROM groups WHERE name = $1", &[&group]).map_err(e)?;
    let row = row.ok_or_else(|| Error::NoSuchGroup(group.to_string()))?;
    row.try_get(0).map_err(e)
}

impl PgStore {
    /// Creates a group with a fixed or allocated gid.
    pub fn add_group(&mut self, name: &str, gid: Option<u32>, defaults: &UsersConfig, now: i64) -> Result<Group> {
        self.write(|tx, e| {
            let exists: bool = tx
                .query_one("SELECT EXISTS (SELECT 1 FROM groups WHERE name = $1)", &[&name])
                .and_then(|r| r.try_get(0))
                .map_err(e)?;
            if exists {
                return Err(Error::GroupExists(name.to_string()));
            }
            let gid = match gid {
                Some(g) => {
                    let used: bool = tx
                        .query_one(
                            "SELECT EXISTS (SELECT 1 FROM groups WHERE gid = $1) OR EXISTS (SELECT 1 FROM users WHERE gid = $1 OR uid = $1)",
                            &[&i64::from(g)],
                        )
                        .and_then(|r| r.try_get(0))
                        .map_err(e)?;
                    if used {
                        return Err(Error::IdInUse(g));
                    }
                    g
                }
                None => allocate_id(tx, e, defaults.uid_min, defaults.uid_max)?,
            };
            tx.execute("INSERT INTO groups (name, gid, created_at) VALUES ($1, $2, $3)", &[&name, &i64::from(gid), &now])
                .map_err(e)?;
            load_group(tx, e, "name = $1", &name)?.ok_or_else(|| Error::NoSuchGroup(name.to_string()))
        })
    }

    /// Deletes a group (memberships go with it).
    pub fn delete_group(&mut self, name: &str) -> Result<()> {
        self.write(|tx, e| match tx.execute("DELETE FROM groups WHERE name = $1", &[&name]).map_err(e)? {
            0 => Err(Error::NoSuchGroup(name.to_string())),
            _ => Ok(()),
        })
    }

    /// A group by name, with members.
    pub fn get_group(&self, name: &str) -> Result<Option<Group>> {
        self.read(|c, e| load_group(c, e, "name = $1", &name))
    }

    /// A group by gid, with members.
    pub fn get_group_by_gid(&self, gid: u32) -> Result<Option<Group>> {
        self.read(|c, e| load_group(c, e, "gid = $1", &i64::from(gid)))
    }

    /// Every group, sorted by name, with members.
    pub fn list_groups(&self) -> Result<Vec<Group>> {
        self.read(|c, e| {
            let ids = c.query("SELECT id FROM groups ORDER BY name", &[]).map_err(e)?;
            let mut out = Vec::with_capacity(ids.len());
            for r in ids {
                let id: i64 = r.try_get(0).map_err(e)?;
                out.extend(load_group(c, e, "id = $1", &id)?);
            }
            Ok(out)
        })
    }

    /// Adds `user` (or `backend:name`) to `group`; false if it already was a member.
    pub fn add_member(&mut self, user: &str, group: &str) -> Result<bool> {
        match split_external(user) {
            Some((backend, name)) => self.external_membership(
                backend,
                name,
                group,
                "INSERT INTO external_members (backend, user_name, group_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            ),
            None => self.membership(
                user,
                group,
                "INSERT INTO memberships (user_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            ),
        }
    }

    /// Removes `user` (or `backend:name`) from `group`; false if it was not a member.
    pub fn remove_member(&mut self, user: &str, group: &str) -> Result<bool> {
        match split_external(user) {
            Some((backend, name)) => self.external_membership(
                backend,
                name,
                group,
                "DELETE FROM external_members WHERE backend = $1 AND user_name = $2 AND group_id = $3",
            ),
            None => self.membership(user, group, "DELETE FROM memberships WHERE user_id = $1 AND group_id = $2"),
        }
    }

    /// The Wicket groups of a user of another backend, sorted.
    pub fn external_groups(&self, backend: &str, name: &str) -> Result<Vec<String>> {
        self.read(|c, e| external_groups(c, e, backend, name))
    }

    fn external_membership(&self, backend: &str, name: &str, group: &str, sql: &str) -> Result<bool> {
        self.write(|tx, e| {
            let gid = group_id(tx, e, group)?;
            Ok(tx.execute(sql, &[&backend, &name, &gid]).map_err(e)? > 0)
        })
    }

    fn membership(&self, user: &str, group: &str, sql: &str) -> Result<bool> {
        self.write(|tx, e| {
            let uid = super::users::user_id(tx, e, user)?.ok_or_else(|| Error::NoSuchUser(user.to_string()))?;
            let gid = group_id(tx, e, group)?;
            Ok(tx.execute(sql, &[&uid, &gid]).map_err(e)? > 0)
        })
    }
}

pub(super) fn external_groups(
    c: &mut impl GenericClient,
    e: PgErr<'_>,
    backend: &str,
    name: &str,
) -> Result<Vec<String>> {
    let rows = c
        .query(
            "SELECT g.name FROM external_members x JOIN groups g ON g.id = x.group_id \
             WHERE x.backend = $1 AND x.user_name = $2 ORDER BY g.name",
            &[&backend, &name],
        )
        .map_err(e)?;
    rows.iter().map(|r| r.try_get(0).map_err(e)).collect()
}
