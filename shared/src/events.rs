//! The event trail, from both ends: a sign-in decision ([`AuditEvent`]) or an
//! administrative change becomes an [`EventRecord`] for the store. wicketd writes the first
//! kind in batches; the CLI writes the second after each change it makes.

use crate::error::Result;
use crate::store::{EventKind, EventRecord, UserStore};
use crate::verify::AuditEvent;

/// The record of a sign-in decision made at `at`. Only what the audit line carries: no
/// secret is in an [`AuditEvent`].
pub fn from_audit(e: &AuditEvent, at: i64) -> EventRecord {
    EventRecord {
        id: 0,
        at,
        kind: EventKind::Auth,
        front: e.front.to_string(),
        scheme: e.scheme.to_string(),
        user: e.user.clone(),
        outcome: e.outcome.to_string(),
        backend: e.backend.clone(),
        client: e.client.map(|c| c.to_string()),
        service: e.service.clone(),
        method: e.method.clone(),
        path: e.path.clone(),
        actor_uid: e.peer_uid,
        actor: None,
        detail: None,
    }
}

/// Who ran an administrative command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The real uid of the process.
    pub uid: u32,
    /// `SUDO_USER` when set, else the login name of `uid` (else `uid N`).
    pub name: String,
}

/// An administrative change: `user` is the account or group it concerns (`-` for none),
/// `detail` what was done, e.g. `user add alice: email, shell` — names, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminChange {
    /// The account (or group) concerned.
    pub user: String,
    /// The command and the names of the options given.
    pub detail: String,
}

/// Records `change`, made by `actor` at `at`, in one transaction.
pub fn record_admin(store: &mut dyn UserStore, actor: &Actor, change: &AdminChange, at: i64) -> Result<()> {
    let record = EventRecord {
        id: 0,
        at,
        kind: EventKind::Admin,
        front: "cli".into(),
        scheme: "-".into(),
        user: change.user.clone(),
        outcome: "ok".into(),
        backend: "local".into(),
        client: None,
        service: None,
        method: None,
        path: None,
        actor_uid: Some(actor.uid),
        actor: Some(actor.name.clone()),
        detail: Some(change.detail.clone()),
    };
    store.add_events(&[record])
}

/// The retention cut: events before this time are deleted at `now`.
pub fn retention_cut(now: i64, retention_secs: i64) -> i64 {
    now.saturating_sub(retention_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::config::EventsConfig;
    use crate::store::{EventQuery, SqliteStore};
    use std::time::Duration;

    /// Retention with a moved clock: an event older than the retention is pruned, a newer
    /// one stays.
    #[test]
    fn retention_prunes_what_the_clock_has_left_behind() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut s =
            SqliteStore::open(&dir.path().join("w.db"), Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
        let clock = ManualClock::new(1_700_000_000);
        let cfg = EventsConfig { retention: Duration::from_secs(86_400) };
        let actor = Actor { uid: 0, name: "bob".into() };
        let change = |u: &str| AdminChange { user: u.into(), detail: format!("user del {u}") };
        record_admin(&mut s, &actor, &change("old"), clock.now()).unwrap_or_else(|e| panic!("{e}"));
        clock.advance(86_400 - 10);
        record_admin(&mut s, &actor, &change("new"), clock.now()).unwrap_or_else(|e| panic!("{e}"));
        clock.advance(20);
        let pruned = s.delete_events_before(retention_cut(clock.now(), cfg.retention_secs()));
        assert_eq!(pruned.ok(), Some(1));
        let left = s.list_events(&EventQuery::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(left.iter().map(|e| e.user.as_str()).collect::<Vec<_>>(), ["new"]);
        assert_eq!(left[0].actor.as_deref(), Some("bob"));
        assert_eq!(left[0].kind, EventKind::Admin);
    }
}
