//! Browser sessions: stored by the hash of the cookie, found, touched in batches, ended.
//! Ending a session moves the generation counter; touching one does not.

use super::{PgErr, PgStore};
use crate::auth::Identity;
use crate::error::Result;
use crate::store::SessionRecord;
use postgres::{Row, Transaction};

const SESSION_SELECT: &str = "SELECT id_hash, user_name, backend, uid, gid, display_name, email, groups, \
     created_at, last_seen, expires_at, remember_me, factors FROM sessions";

fn session_from_row(r: &Row) -> std::result::Result<SessionRecord, postgres::Error> {
    let groups: String = r.try_get(7)?;
    let id = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
    Ok(SessionRecord {
        id_hash: r.try_get(0)?,
        identity: Identity {
            name: r.try_get(1)?,
            backend: r.try_get(2)?,
            uid: id(r.try_get(3)?),
            gid: id(r.try_get(4)?),
            display_name: r.try_get(5)?,
            email: r.try_get(6)?,
            groups: groups.split('\n').filter(|g| !g.is_empty()).map(str::to_string).collect(),
            scopes: None,
        },
        created_at: r.try_get(8)?,
        last_seen: r.try_get(9)?,
        expires_at: r.try_get(10)?,
        remember_me: r.try_get(11)?,
        factors: u8::try_from(r.try_get::<_, i64>(12)?).unwrap_or(1),
    })
}

fn bump(tx: &mut Transaction<'_>, e: PgErr<'_>) -> Result<()> {
    tx.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'", &[]).map_err(e).map(|_| ())
}

/// Stores one session row as it is (also used by `wicket store copy`).
pub(crate) fn insert_session(tx: &mut Transaction<'_>, e: PgErr<'_>, s: &SessionRecord) -> Result<()> {
    let id = &s.identity;
    tx.execute(
        "INSERT INTO sessions (id_hash, user_name, backend, uid, gid, display_name, email, groups, created_at, \
         last_seen, expires_at, remember_me, factors) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &s.id_hash,
            &id.name,
            &id.backend,
            &id.uid.map(i64::from),
            &id.gid.map(i64::from),
            &id.display_name,
            &id.email,
            &id.groups.join("\n"),
            &s.created_at,
            &s.last_seen,
            &s.expires_at,
            &s.remember_me,
            &i64::from(s.factors),
        ],
    )
    .map_err(e)
    .map(|_| ())
}

impl PgStore {
    /// Stores a new session; with `end_others`, the user's other sessions end with it.
    pub fn add_session(&mut self, session: &SessionRecord, end_others: bool) -> Result<()> {
        self.write(|tx, e| {
            let id = &session.identity;
            if end_others {
                let n = tx
                    .execute("DELETE FROM sessions WHERE user_name = $1 AND backend = $2", &[&id.name, &id.backend])
                    .map_err(e)?;
                if n > 0 {
                    bump(tx, e)?;
                }
            }
            insert_session(tx, e, session)
        })
    }

    /// The session with this hash.
    pub fn find_session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        self.read(|c, e| {
            let sql = format!("{SESSION_SELECT} WHERE id_hash = $1");
            let row = c.query_opt(sql.as_str(), &[&id_hash]).map_err(e)?;
            row.map(|r| session_from_row(&r).map_err(e)).transpose()
        })
    }

    /// Sessions of one user (any backend) or of all, oldest first.
    pub fn list_sessions(&self, user: Option<&str>) -> Result<Vec<SessionRecord>> {
        self.read(|c, e| {
            let sql = format!(
                "{SESSION_SELECT} WHERE ($1::text IS NULL OR user_name = $1::text) ORDER BY created_at, id_hash"
            );
            let rows = c.query(sql.as_str(), &[&user]).map_err(e)?;
            rows.iter().map(|r| session_from_row(r).map_err(e)).collect()
        })
    }

    /// Records last uses `(hash, unix time)` in one transaction; never moves a time back.
    pub fn touch_sessions(&mut self, seen: &[(String, i64)]) -> Result<()> {
        if seen.is_empty() {
            return Ok(());
        }
        self.write(|tx, e| {
            let stmt =
                tx.prepare("UPDATE sessions SET last_seen = GREATEST(last_seen, $2) WHERE id_hash = $1").map_err(e)?;
            for (hash, at) in seen {
                tx.execute(&stmt, &[hash, at]).map_err(e)?;
            }
            Ok(())
        })
    }

    /// Ends one session; whether it existed.
    pub fn delete_session(&mut self, id_hash: &str) -> Result<bool> {
        self.end_sessions("DELETE FROM sessions WHERE id_hash = $1", id_hash).map(|n| n > 0)
    }

    /// Ends every session of `user` (any backend); how many.
    pub fn delete_user_sessions(&mut self, user: &str) -> Result<u64> {
        self.end_sessions("DELETE FROM sessions WHERE user_name = $1", user)
    }

    fn end_sessions(&self, sql: &str, key: &str) -> Result<u64> {
        self.write(|tx, e| {
            let n = tx.execute(sql, &[&key]).map_err(e)?;
            if n > 0 {
                bump(tx, e)?;
            }
            Ok(n)
        })
    }

    /// Forgets sessions past their absolute end (refused anyway: no generation move).
    pub fn delete_expired_sessions(&mut self, now: i64) -> Result<u64> {
        self.write(|tx, e| tx.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now]).map_err(e))
    }
}
