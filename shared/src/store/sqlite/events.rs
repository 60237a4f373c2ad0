//! The event trail: appended in batches, listed with filters, pruned by age.

use super::{SqliteStore, map_err};
use crate::error::Result;
use crate::store::{EventKind, EventQuery, EventRecord, NEUTRAL_OUTCOMES, OK_OUTCOMES, OutcomeFilter};
use rusqlite::types::Value;
use rusqlite::{Row, params, params_from_iter};

const EVENT_COLUMNS: &str =
    "id, at, kind, front, scheme, user, outcome, backend, client, service, method, path, actor_uid, actor, detail";

/// Rows returned when a query names no limit.
const DEFAULT_LIMIT: u32 = 1000;

impl SqliteStore {
    /// Appends events in one transaction (their `id` is ignored; the store assigns it).
    pub fn add_events(&mut self, events: &[EventRecord]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let (tx, path) = self.write_tx()?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO events (at, kind, front, scheme, user, outcome, backend, client, service, method, \
                     path, actor_uid, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .map_err(|e| map_err(&path, e))?;
            for e in events {
                stmt.execute(params![
                    e.at,
                    e.kind.as_str(),
                    e.front,
                    e.scheme,
                    e.user,
                    e.outcome,
                    e.backend,
                    e.client,
                    e.service,
                    e.method,
                    e.path,
                    e.actor_uid,
                    e.actor,
                    e.detail
                ])
                .map_err(|e| map_err(&path, e))?;
            }
        }
        tx.commit().map_err(|e| map_err(&path, e))
    }

    /// Events matching `query`, oldest first: the newest `limit` of them, or with `after_id`
    /// the first `limit` after it.
    pub fn list_events(&self, query: &EventQuery) -> Result<Vec<EventRecord>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut bind = |clauses: &mut Vec<String>, column_op: &str, v: Value| {
            values.push(v);
            clauses.push(format!("{column_op} ?{}", values.len()));
        };
        if let Some(u) = &query.user {
            bind(&mut clauses, "user =", Value::Text(u.clone()));
        }
        if let Some(t) = query.since {
            bind(&mut clauses, "at >=", Value::Integer(t));
        }
        if let Some(k) = query.kind {
            bind(&mut clauses, "kind =", Value::Text(k.as_str().into()));
        }
        if let Some(id) = query.after_id {
            bind(&mut clauses, "id >", Value::Integer(id));
        }
        if let Some(OutcomeFilter::Exact(w)) = &query.outcome {
            bind(&mut clauses, "outcome =", Value::Text(w.clone()));
        }
        match &query.outcome {
            None | Some(OutcomeFilter::Exact(_)) => {}
            Some(f) => {
                let listed: Vec<&str> = if *f == OutcomeFilter::Ok {
                    OK_OUTCOMES.to_vec()
                } else {
                    [OK_OUTCOMES, NEUTRAL_OUTCOMES].concat()
                };
                let start = values.len();
                values.extend(listed.iter().map(|w| Value::Text((*w).to_string())));
                let marks: Vec<String> = (start + 1..=values.len()).map(|i| format!("?{i}")).collect();
                let op = if *f == OutcomeFilter::Ok { "IN" } else { "NOT IN" };
                clauses.push(format!("outcome {op} ({})", marks.join(", ")));
            }
        }
        let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        values.push(Value::Integer(i64::from(query.limit.unwrap_or(DEFAULT_LIMIT))));
        let limit = values.len();
        // Following reads forward from the last id seen; a listing shows the newest.
        let order = if query.after_id.is_some() { "ASC" } else { "DESC" };
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events{filter} ORDER BY id {order} LIMIT ?{limit}");
        let mut rows = self
            .conn
            .prepare(&sql)
            .and_then(|mut st| {
                st.query_map(params_from_iter(values), event_from_row)?.collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.err())?;
        if query.after_id.is_none() {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Deletes events older than `at`; how many.
    pub fn delete_events_before(&mut self, at: i64) -> Result<u64> {
        let (tx, path) = self.write_tx()?;
        let n = tx.execute("DELETE FROM events WHERE at < ?1", [at]).map_err(|e| map_err(&path, e))?;
        tx.commit().map_err(|e| map_err(&path, e))?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<EventRecord> {
    let kind: String = r.get(2)?;
    Ok(EventRecord {
        id: r.get(0)?,
        at: r.get(1)?,
        // The table's CHECK allows only these two.
        kind: EventKind::parse(&kind).unwrap_or(EventKind::Auth),
        front: r.get(3)?,
        scheme: r.get(4)?,
        user: r.get(5)?,
        outcome: r.get(6)?,
        backend: r.get(7)?,
        client: r.get(8)?,
        service: r.get(9)?,
        method: r.get(10)?,
        path: r.get(11)?,
        actor_uid: r.get(12)?,
        actor: r.get(13)?,
        detail: r.get(14)?,
    })
}

#[cfg(test)]
mod tests;
