use crate::store::sqlite::SqliteStore;
use crate::store::{EventKind, EventQuery, EventRecord, OutcomeFilter};
use std::time::Duration;

fn open_temp() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = SqliteStore::open(&dir.path().join("w.db"), Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    (dir, store)
}

fn auth(at: i64, user: &str, outcome: &str) -> EventRecord {
    EventRecord {
        id: 0,
        at,
        kind: EventKind::Auth,
        front: "http".into(),
        scheme: "basic".into(),
        user: user.into(),
        outcome: outcome.into(),
        backend: "local".into(),
        client: Some("192.0.2.7".into()),
        service: None,
        method: Some("GET".into()),
        path: Some("/app".into()),
        actor_uid: None,
        actor: None,
        detail: None,
    }
}

fn admin(at: i64, user: &str) -> EventRecord {
    EventRecord {
        kind: EventKind::Admin,
        front: "cli".into(),
        scheme: "-".into(),
        outcome: "ok".into(),
        backend: "local".into(),
        client: None,
        method: None,
        path: None,
        actor_uid: Some(1000),
        actor: Some("bob".into()),
        detail: Some(format!("user add {user}")),
        ..auth(at, user, "ok")
    }
}

fn list(s: &SqliteStore, q: &EventQuery) -> Vec<(String, String)> {
    s.list_events(q).unwrap_or_else(|e| panic!("{e}")).into_iter().map(|e| (e.user, e.outcome)).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn seeded() -> (tempfile::TempDir, SqliteStore) {
    let (dir, mut s) = open_temp();
    let batch = [
        auth(100, "alice", "accepted"),
        auth(200, "alice", "bad_credentials"),
        auth(300, "bob", "unknown_user"),
        auth(350, "bob", "stale"),
        admin(400, "carol"),
    ];
    s.add_events(&batch).unwrap_or_else(|e| panic!("{e}"));
    (dir, s)
}

#[test]
fn events_round_trip_with_every_field_and_increasing_ids() {
    let (_d, s) = seeded();
    let all = s.list_events(&EventQuery::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    assert_eq!(all[0], EventRecord { id: all[0].id, ..auth(100, "alice", "accepted") });
    assert_eq!(all[4], EventRecord { id: all[4].id, ..admin(400, "carol") });
}

#[test]
fn filters_by_user_since_kind_and_outcome() {
    let (_d, s) = seeded();
    let q = |f: fn(&mut EventQuery)| {
        let mut q = EventQuery::default();
        f(&mut q);
        list(&s, &q)
    };
    assert_eq!(q(|q| q.user = Some("alice".into())), pairs(&[("alice", "accepted"), ("alice", "bad_credentials")]));
    assert_eq!(q(|q| q.since = Some(300)), pairs(&[("bob", "unknown_user"), ("bob", "stale"), ("carol", "ok")]));
    assert_eq!(q(|q| q.kind = Some(EventKind::Admin)), pairs(&[("carol", "ok")]));
    assert_eq!(q(|q| q.outcome = Some(OutcomeFilter::Ok)), pairs(&[("alice", "accepted"), ("carol", "ok")]));
    // `fail` leaves out successes and Digest's neutral `stale`.
    assert_eq!(
        q(|q| q.outcome = Some(OutcomeFilter::Fail)),
        pairs(&[("alice", "bad_credentials"), ("bob", "unknown_user")])
    );
    assert_eq!(q(|q| q.outcome = Some(OutcomeFilter::parse("stale"))), pairs(&[("bob", "stale")]));
    assert_eq!(
        q(|q| {
            q.user = Some("bob".into());
            q.outcome = Some(OutcomeFilter::Fail);
        }),
        pairs(&[("bob", "unknown_user")])
    );
    // A value that looks like SQL is only a value.
    assert!(q(|q| q.user = Some("x' OR '1'='1".into())).is_empty());
}

#[test]
fn limit_keeps_the_newest_and_after_id_reads_forward() {
    let (_d, s) = seeded();
    let last2 = EventQuery { limit: Some(2), ..EventQuery::default() };
    assert_eq!(list(&s, &last2), pairs(&[("bob", "stale"), ("carol", "ok")]));
    let all = s.list_events(&EventQuery::default()).unwrap_or_else(|e| panic!("{e}"));
    let after = EventQuery { after_id: Some(all[1].id), limit: Some(2), ..EventQuery::default() };
    assert_eq!(list(&s, &after), pairs(&[("bob", "unknown_user"), ("bob", "stale")]));
    let none = EventQuery { after_id: Some(all[4].id), ..EventQuery::default() };
    assert!(list(&s, &none).is_empty());
}

#[test]
fn delete_before_prunes_only_older_events() {
    let (_d, mut s) = seeded();
    assert_eq!(s.delete_events_before(300).ok(), Some(2));
    let left = list(&s, &EventQuery::default());
    assert_eq!(left.first().map(|p| p.0.as_str()), Some("bob"));
    assert_eq!(left.len(), 3);
    assert_eq!(s.delete_events_before(300).ok(), Some(0));
}

#[test]
fn adding_events_does_not_move_the_generation() {
    let (_d, mut s) = open_temp();
    let g = s.generation().ok();
    s.add_events(&[auth(1, "alice", "accepted")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.generation().ok(), g);
    s.add_events(&[]).unwrap_or_else(|e| panic!("{e}"));
}
