//! Bearer tokens: stored by hash, listed, revoked, found, and their last use recorded.

use super::groups::external_groups;
use super::users::{load_user, user_id};
use super::{PgErr, PgStore};
use crate::error::{Error, Result};
use crate::store::{TokenInfo, TokenOwner, split_external};
use postgres::Row;

/// The owner as shown: a local user's name, or `backend:name`.
const OWNER: &str = "COALESCE(u.name, t.owner_backend || ':' || t.owner_name)";

const TOKEN_SELECT: &str = "SELECT t.id, COALESCE(u.name, t.owner_backend || ':' || t.owner_name), t.name, t.scopes, \
     t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.owner_backend, t.owner_name, t.owner_id \
     FROM tokens t LEFT JOIN users u ON u.id = t.owner_id";

fn token_from_row(r: &Row) -> std::result::Result<TokenInfo, postgres::Error> {
    let scopes: String = r.try_get(3)?;
    Ok(TokenInfo {
        id: r.try_get(0)?,
        owner: r.try_get(1)?,
        name: r.try_get(2)?,
        scopes: scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        created_at: r.try_get(4)?,
        expires_at: r.try_get(5)?,
        last_used_at: r.try_get(6)?,
        revoked_at: r.try_get(7)?,
    })
}

fn get_token(c: &mut impl postgres::GenericClient, e: PgErr<'_>, id: i64) -> Result<TokenInfo> {
    let sql = format!("{TOKEN_SELECT} WHERE t.id = $1");
    token_from_row(&c.query_one(sql.as_str(), &[&id]).map_err(e)?).map_err(e)
}

impl PgStore {
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
        self.write(|tx, e| {
            let (uid, backend, user) = match split_external(owner) {
                Some((b, u)) => (None, Some(b), Some(u)),
                None => (Some(user_id(tx, e, owner)?.ok_or_else(|| Error::NoSuchUser(owner.to_string()))?), None, None),
            };
            let exists: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM tokens WHERE name = $1 AND \
                     (owner_id = $2 OR (owner_backend = $3 AND owner_name = $4)))",
                    &[&name, &uid, &backend, &user],
                )
                .and_then(|r| r.try_get(0))
                .map_err(e)?;
            if exists {
                return Err(Error::TokenExists { owner: owner.to_string(), name: name.to_string() });
            }
            let id: i64 = tx
                .query_one(
                    "INSERT INTO tokens (hash, name, owner_id, owner_backend, owner_name, scopes, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    &[&hash, &name, &uid, &backend, &user, &scopes.join(" "), &now, &expires_at],
                )
                .and_then(|r| r.try_get(0))
                .map_err(e)?;
            get_token(tx, e, id)
        })
    }

    /// Tokens, of one owner or all, oldest first.
    pub fn list_tokens(&self, owner: Option<&str>) -> Result<Vec<TokenInfo>> {
        self.read(|c, e| {
            let sql = format!(
                "{TOKEN_SELECT} WHERE ($1::text IS NULL OR {OWNER} = $1::text) ORDER BY {OWNER}, t.created_at, t.id"
            );
            let rows = c.query(sql.as_str(), &[&owner]).map_err(e)?;
            rows.iter().map(|r| token_from_row(r).map_err(e)).collect()
        })
    }

    /// Revokes a token (an already revoked one keeps its first time).
    pub fn revoke_token(&mut self, owner: &str, name: &str, now: i64) -> Result<()> {
        let (backend, user) = split_external(owner).map_or((None, None), |(b, u)| (Some(b), Some(u)));
        self.write(|tx, e| {
            let n = tx
                .execute(
                    "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE name = $2 AND \
                     (owner_id = (SELECT id FROM users WHERE name = $3) OR (owner_backend = $4 AND owner_name = $5))",
                    &[&now, &name, &owner, &backend, &user],
                )
                .map_err(e)?;
            if n == 0 {
                return Err(Error::NoSuchToken { owner: owner.to_string(), name: name.to_string() });
            }
            Ok(())
        })
    }

    /// The token with this hash and its owner.
    pub fn find_token(&self, hash: &str) -> Result<Option<(TokenInfo, TokenOwner)>> {
        self.read(|c, e| {
            let sql = format!("{TOKEN_SELECT} WHERE t.hash = $1");
            let Some(r) = c.query_opt(sql.as_str(), &[&hash]).map_err(e)? else { return Ok(None) };
            let t = token_from_row(&r).map_err(e)?;
            let external: (Option<String>, Option<String>) = (r.try_get(8).map_err(e)?, r.try_get(9).map_err(e)?);
            match external {
                (Some(backend), Some(name)) => {
                    let groups = external_groups(c, e, &backend, &name)?;
                    Ok(Some((t, TokenOwner::External { backend, name, groups })))
                }
                _ => {
                    let owner_id: Option<i64> = r.try_get(10).map_err(e)?;
                    let Some(owner_id) = owner_id else { return Ok(None) };
                    Ok(load_user(c, e, "id = $1", &owner_id)?.map(|u| (t, TokenOwner::Local(u))))
                }
            }
        })
    }

    /// Records last uses `(token id, unix time)` in one transaction; never moves a time back.
    pub fn touch_tokens(&mut self, uses: &[(i64, i64)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        self.write(|tx, e| {
            let stmt = tx
                .prepare("UPDATE tokens SET last_used_at = GREATEST(COALESCE(last_used_at, 0), $1) WHERE id = $2")
                .map_err(e)?;
            for (id, at) in uses {
                tx.execute(&stmt, &[at, id]).map_err(e)?;
            }
            Ok(())
        })
    }
}
