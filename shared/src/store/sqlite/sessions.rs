//! Browser sessions: stored by the hash of the cookie, found, touched in batches, ended.
//! Ending a session moves the generation counter (it turns an accepted credential into a
//! refused one), so every wicketd sharing the file drops its cached copy at once.

use super::{SqliteStore, map_err};
use crate::auth::Identity;
use crate::error::Result;
use crate::store::SessionRecord;
use rusqlite::{OptionalExtension, Row, Transaction, params};

const SESSION_SELECT: &str = "SELECT id_hash, user_name, backend, uid, gid, display_name, email, groups, \
     created_at, last_seen, expires_at, remember_me, factors FROM sessions";

fn session_from_row(r: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    let groups: String = r.get(7)?;
    Ok(SessionRecord {
        id_hash: r.get(0)?,
        identity: Identity {
            name: r.get(1)?,
            backend: r.get(2)?,
            uid: r.get(3)?,
            gid: r.get(4)?,
            display_name: r.get(5)?,
            email: r.get(6)?,
            groups: groups.split('\n').filter(|g| !g.is_empty()).map(str::to_string).collect(),
            scopes: None,
        },
        created_at: r.get(8)?,
        last_seen: r.get(9)?,
        expires_at: r.get(10)?,
        remember_me: r.get(11)?,
        factors: r.get(12)?,
    })
}

fn bump(tx: &Transaction<'_>) -> rusqlite::Result<usize> {
    tx.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'", [])
}

impl SqliteStore {
    /// Stores a new session; with `end_others`, the same user's other sessions (same name
    /// and backend) end in the same transaction.
    pub fn add_session(&mut self, session: &SessionRecord, end_others: bool) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let id = &session.identity;
        if end_others {
            let n = tx
                .execute("DELETE FROM sessions WHERE user_name = ?1 AND backend = ?2", params![id.name, id.backend])
                .map_err(e)?;
            if n > 0 {
                bump(&tx).map_err(e)?;
            }
        }
        tx.execute(
            "INSERT INTO sessions (id_hash, user_name, backend, uid, gid, display_name, email, groups, created_at, \
             last_seen, expires_at, remember_me, factors) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                session.id_hash,
                id.name,
                id.backend,
                id.uid,
                id.gid,
                id.display_name,
                id.email,
                id.groups.join("\n"),
                session.created_at,
                session.last_seen,
                session.expires_at,
                session.remember_me,
                session.factors,
            ],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    /// The session with this hash.
    pub fn find_session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        let sql = format!("{SESSION_SELECT} WHERE id_hash = ?1");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err())?;
        stmt.query_row([id_hash], session_from_row).optional().map_err(self.err())
    }

    /// Sessions of one user (any backend) or of all, oldest first.
    pub fn list_sessions(&self, user: Option<&str>) -> Result<Vec<SessionRecord>> {
        let sql = format!("{SESSION_SELECT} WHERE (?1 IS NULL OR user_name = ?1) ORDER BY created_at, id_hash");
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = stmt.query_map([user], session_from_row).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.err())
    }

    /// Records last uses `(hash, unix time)` in one transaction; never moves a time back.
    /// Does not move the generation.
    pub fn touch_sessions(&mut self, seen: &[(String, i64)]) -> Result<()> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        {
            let mut stmt = tx
                .prepare_cached("UPDATE sessions SET last_seen = MAX(last_seen, ?2) WHERE id_hash = ?1")
                .map_err(e)?;
            for (hash, at) in seen {
                stmt.execute(params![hash, at]).map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// Ends one session; returns whether it existed.
    pub fn delete_session(&mut self, id_hash: &str) -> Result<bool> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash]).map_err(e)?;
        if n > 0 {
            bump(&tx).map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(n > 0)
    }

    /// Ends every session of `user` (any backend); returns how many.
    pub fn delete_user_sessions(&mut self, user: &str) -> Result<u64> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = tx.execute("DELETE FROM sessions WHERE user_name = ?1", [user]).map_err(e)?;
        if n > 0 {
            bump(&tx).map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(n as u64)
    }

    /// Forgets sessions past their absolute end (they are refused anyway: no generation move).
    pub fn delete_expired_sessions(&mut self, now: i64) -> Result<u64> {
        let (tx, path) = self.write_tx()?;
        let e = |err| map_err(&path, err);
        let n = tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now]).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(n as u64)
    }
}
