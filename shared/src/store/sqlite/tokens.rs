//! Bearer tokens: stored by hash, listed, revoked, found, and their last use recorded.

use super::{SqliteStore, map_err};
use crate::error::{Error, Result};
use crate::store::{TokenInfo, TokenOwner, split_external};
use rusqlite::{OptionalExtension, Row, params};

/// The owner as shown: a local user's name, or `backend:name`.
const OWNER: &str = "COALESCE(u.name, t.owner_backend || ':' || t.owner_name)";

const TOKEN_SELECT: &str = "SELECT t.id, COALESCE(u.name, t.owner_backend || ':' || t.owner_name), t.name, t.scopes, \
     t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.owner_backend, t.owner_name \
     FROM tokens t LEFT JOIN users u ON u.id = t.owner_id";

fn token_from_row(r: &Row<'_>) -> rusqlite::Result<TokenInfo> {
    let scopes: String = r.get(3)?;
    Ok(TokenInfo {
        id: r.get(0)?,
        owner: r.get(1)?,
        name: r.get(2)?,
        scopes: scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        last_used_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

impl SqliteStore {
    /// Records a token by its hash.
    pub fn add_token(
        &mut self,
        owner: &str,
        name: &str,
        hash: &str,
        scopes: &[String],
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<TokenInfo> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let (uid, external) = match split_external(owner) {
            Some((backend, user)) => (None, Some((backend, user))),
            None => {
                let uid: Option<i64> = tx
                    .query_row("SELECT id FROM users WHERE name = ?1", [owner], |r| r.get(0))
                    .optional()
                    .map_err(e)?;
                (Some(uid.ok_or_else(|| Error::NoSuchUser(owner.to_string()))?), None)
            }
        };
        let (backend, user) = (external.map(|x| x.0), external.map(|x| x.1));
        let exists: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM tokens WHERE name = ?1 AND \
                 (owner_id = ?2 OR (owner_backend = ?3 AND owner_name = ?4)))",
                params![name, uid, backend, user],
                |r| r.get(0),
            )
            .map_err(e)?;
        if exists {
            return Err(Error::TokenExists { owner: owner.to_string(), name: name.to_string() });
        }
        tx.execute(
            "INSERT INTO tokens (hash, name, owner_id, owner_backend, owner_name, scopes, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![hash, name, uid, backend, user, scopes.join(" "), now, expires_at],
        )
        .map_err(e)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(e)?;
        let sql = format!("{TOKEN_SELECT} WHERE t.id = ?1");
        self.conn.query_row(&sql, [id], token_from_row).map_err(self.err())
    }

    /// Tokens, of one owner or all, oldest first.
    pub fn list_tokens(&self, owner: Option<&str>) -> Result<Vec<TokenInfo>> {
        let sql = format!("{TOKEN_SELECT} WHERE (?1 IS NULL OR {OWNER} = ?1) ORDER BY {OWNER}, t.created_at, t.id");
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = stmt.query_map([owner], token_from_row).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err())
    }

    /// Revokes a token (idempotent for an already revoked one).
    pub fn revoke_token(&mut self, owner: &str, name: &str, now: i64) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let (backend, user) = split_external(owner).map_or((None, None), |(b, u)| (Some(b), Some(u)));
        let n = tx
            .execute(
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?1) WHERE name = ?2 AND \
                 (owner_id = (SELECT id FROM users WHERE name = ?3) OR (owner_backend = ?4 AND owner_name = ?5))",
                params![now, name, owner, backend, user],
            )
            .map_err(e)?;
        if n == 0 {
            return Err(Error::NoSuchToken { owner: owner.to_string(), name: name.to_string() });
        }
        tx.commit().map_err(e)
    }

    /// The token with this hash and its owner.
    pub fn find_token(&self, hash: &str) -> Result<Option<(TokenInfo, TokenOwner)>> {
        let sql = format!("{TOKEN_SELECT} WHERE t.hash = ?1");
        let row = |r: &Row<'_>| -> rusqlite::Result<(TokenInfo, Option<(String, String)>)> {
            let external = match (r.get::<_, Option<String>>(8)?, r.get::<_, Option<String>>(9)?) {
                (Some(b), Some(n)) => Some((b, n)),
                _ => None,
            };
            Ok((token_from_row(r)?, external))
        };
        let t = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row([hash], row).optional())
            .map_err(self.err())?;
        match t {
            None => Ok(None),
            Some((t, Some((backend, name)))) => {
                let groups = self.external_groups(&backend, &name)?;
                Ok(Some((t, TokenOwner::External { backend, name, groups })))
            }
            Some((t, None)) => Ok(self.get_user(&t.owner)?.map(|u| (t, TokenOwner::Local(u)))),
        }
    }

    /// Records last use for a batch of tokens (wicketd flushes these periodically).
    pub fn touch_tokens(&mut self, uses: &[(i64, i64)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        let (tx, path) = self.write_tx()?;
        {
            let mut stmt = tx
                .prepare("UPDATE tokens SET last_used_at = MAX(COALESCE(last_used_at, 0), ?1) WHERE id = ?2")
                .map_err(|e| map_err(&path, e))?;
            for (id, at) in uses {
                stmt.execute(params![at, id]).map_err(|e| map_err(&path, e))?;
            }
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }
}
