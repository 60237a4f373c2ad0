//! The event trail: appended in batches, listed with filters, pruned by age.

use super::{PgErr, PgStore};
use crate::error::Result;
use crate::store::{EventKind, EventQuery, EventRecord, NEUTRAL_OUTCOMES, OK_OUTCOMES, OutcomeFilter};
use postgres::types::ToSql;
use postgres::{Row, Transaction};

const EVENT_COLUMNS: &str =
    r#"id, at, kind, front, scheme, "user", outcome, backend, client, service, method, path, actor_uid, actor, detail"#;

/// Rows returned when a query names no limit.
const DEFAULT_LIMIT: u32 = 1000;

/// Appends one event; with `keep_id`, under its own id (`wicket store copy`).
pub(crate) fn insert_event(tx: &mut Transaction<'_>, e: PgErr<'_>, ev: &EventRecord, keep_id: bool) -> Result<()> {
    let (columns, marks) = if keep_id { ("id, ", "$15, ") } else { ("", "") };
    let sql = format!(
        r#"INSERT INTO events ({columns}at, kind, front, scheme, "user", outcome, backend, client, service, method,
         path, actor_uid, actor, detail) VALUES ({marks}$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"#
    );
    let actor_uid = ev.actor_uid.map(i64::from);
    let kind = ev.kind.as_str();
    let mut values: Vec<&(dyn ToSql + Sync)> = vec![
        &ev.at,
        &kind,
        &ev.front,
        &ev.scheme,
        &ev.user,
        &ev.outcome,
        &ev.backend,
        &ev.client,
        &ev.service,
        &ev.method,
        &ev.path,
        &actor_uid,
        &ev.actor,
        &ev.detail,
    ];
    if keep_id {
        values.push(&ev.id);
    }
    tx.execute(sql.as_str(), &values).map_err(e).map(|_| ())
}

impl PgStore {
    /// Appends events in one transaction (their `id` is ignored; the store assigns it).
    pub fn add_events(&mut self, events: &[EventRecord]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.write(|tx, e| events.iter().try_for_each(|ev| insert_event(tx, e, ev, false)))
    }

    /// Events matching `query`, oldest first: the newest `limit`, or with `after_id` the
    /// first `limit` after it.
    pub fn list_events(&self, query: &EventQuery) -> Result<Vec<EventRecord>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        let mut bind = |clauses: &mut Vec<String>, column_op: &str, v: Box<dyn ToSql + Sync>| {
            values.push(v);
            clauses.push(format!("{column_op} ${}", values.len()));
        };
        if let Some(u) = &query.user {
            bind(&mut clauses, r#""user" ="#, Box::new(u.clone()));
        }
        if let Some(t) = query.since {
            bind(&mut clauses, "at >=", Box::new(t));
        }
        if let Some(k) = query.kind {
            bind(&mut clauses, "kind =", Box::new(k.as_str().to_string()));
        }
        if let Some(id) = query.after_id {
            bind(&mut clauses, "id >", Box::new(id));
        }
        match &query.outcome {
            None => {}
            Some(OutcomeFilter::Exact(w)) => bind(&mut clauses, "outcome =", Box::new(w.clone())),
            Some(f) => {
                let listed: Vec<String> = if *f == OutcomeFilter::Ok {
                    OK_OUTCOMES.iter().map(|s| s.to_string()).collect()
                } else {
                    [OK_OUTCOMES, NEUTRAL_OUTCOMES].concat().iter().map(|s| s.to_string()).collect()
                };
                let op = if *f == OutcomeFilter::Ok { "outcome = ANY(" } else { "NOT outcome = ANY(" };
                bind(&mut clauses, op, Box::new(listed));
                if let Some(last) = clauses.last_mut() {
                    last.push(')');
                }
            }
        }
        let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        values.push(Box::new(i64::from(query.limit.unwrap_or(DEFAULT_LIMIT))));
        let limit = values.len();
        let order = if query.after_id.is_some() { "ASC" } else { "DESC" };
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events{filter} ORDER BY id {order} LIMIT ${limit}");
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
        let mut rows = self.read(|c, e| {
            let rows = c.query(sql.as_str(), &params).map_err(e)?;
            rows.iter().map(|r| event_from_row(r).map_err(e)).collect::<Result<Vec<_>>>()
        })?;
        if query.after_id.is_none() {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Deletes events older than `at`; how many.
    pub fn delete_events_before(&mut self, at: i64) -> Result<u64> {
        self.write(|tx, e| tx.execute("DELETE FROM events WHERE at < $1", &[&at]).map_err(e))
    }
}

fn event_from_row(r: &Row) -> std::result::Result<EventRecord, postgres::Error> {
    let kind: String = r.try_get(2)?;
    let actor_uid: Option<i64> = r.try_get(12)?;
    Ok(EventRecord {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        // The table's CHECK allows only these two.
        kind: EventKind::parse(&kind).unwrap_or(EventKind::Auth),
        front: r.try_get(3)?,
        scheme: r.try_get(4)?,
        user: r.try_get(5)?,
        outcome: r.try_get(6)?,
        backend: r.try_get(7)?,
        client: r.try_get(8)?,
        service: r.try_get(9)?,
        method: r.try_get(10)?,
        path: r.try_get(11)?,
        actor_uid: actor_uid.and_then(|v| u32::try_from(v).ok()),
        actor: r.try_get(13)?,
        detail: r.try_get(14)?,
    })
}
