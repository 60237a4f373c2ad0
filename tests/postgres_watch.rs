//! The change counter from PostgreSQL's notifications ([`GenerationWatch`]): it follows
//! changes made by another connection, answers `None` (callers read the store) while the
//! server is down, and follows again after it is back — without being restarted.

use crate::support::postgres::Postgres;
use crate::support::servers::STARTUP;
use crate::support::{require, run, stderr, wait_for, wait_until};
use std::path::Path;
use std::time::Duration;
use wicket_core::config::{StoreUrl, UsersConfig};
use wicket_core::store::postgres::{GenerationWatch, PgStore};
use wicket_core::store::{AccountState, NewUser};

#[test]
fn the_generation_watch_follows_notifications_and_fails_closed() {
    let Some(pg) =
        require(Postgres::installed(), "PostgreSQL 15 (Debian's postgresql) is not installed").then(Postgres::start)
    else {
        return;
    };
    let text_url = pg.create_db("watch");
    let url = StoreUrl::parse(&text_url).unwrap_or_else(|e| panic!("{e}"));
    let timeout = Duration::from_secs(5);
    let mut store = PgStore::open(&url, None, timeout).unwrap_or_else(|e| panic!("{e}"));
    let user = NewUser { name: "alice".into(), ..NewUser::default() };
    store.add_user(&user, &UsersConfig::default(), None, 1).unwrap_or_else(|e| panic!("{e}"));

    // The trigger itself: a move of the counter is notified with the new value (psql
    // prints notifications its own session receives).
    let psql = Path::new("/usr/lib/postgresql/15/bin/psql");
    let bump = "UPDATE meta SET value = value + 1 WHERE key = 'generation' RETURNING value";
    let out = run(psql, &[&text_url, "-At", "-c", "LISTEN wicket_generation", "-c", bump], "");
    assert!(out.status.success(), "psql: {}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    let value = printed.lines().find(|l| l.trim().parse::<i64>().is_ok()).unwrap_or_default().trim().to_string();
    assert!(
        printed.contains(&format!("\"wicket_generation\" with payload \"{value}\"")),
        "no notification with the new value {value:?}: {printed}"
    );

    let watch = GenerationWatch::start(&url, None, timeout).unwrap_or_else(|e| panic!("{e}"));
    let first = wait_for(STARTUP, "the watch to read the counter", || watch.current());
    assert_eq!(Some(first), store.generation().ok());

    // A change by another connection (a trigger's bump) and a method's own UPDATE (ending
    // sessions) both reach the watch.
    store.set_state("alice", AccountState::Locked, 2).unwrap_or_else(|e| panic!("{e}"));
    let locked = store.generation().unwrap_or_else(|e| panic!("{e}"));
    assert!(locked > first);
    wait_until(STARTUP, "the lock to be notified", || watch.current() >= Some(locked));
    store.delete_user_sessions("alice").unwrap_or_else(|e| panic!("{e}"));
    store.set_state("alice", AccountState::Active, 3).unwrap_or_else(|e| panic!("{e}"));
    let unlocked = store.generation().unwrap_or_else(|e| panic!("{e}"));
    wait_until(STARTUP, "the unlock to be notified", || watch.current() == Some(unlocked));

    // Server down: the watch stops answering (callers read the store, which fails).
    pg.stop_server();
    wait_until(STARTUP, "the watch to give up its value", || watch.current().is_none());
    assert!(store.generation().is_err(), "the store itself is unreachable");

    // Back: it reconnects by itself and follows changes again.
    pg.start_server();
    let back = wait_for(STARTUP, "the watch to reconnect", || watch.current());
    assert_eq!(back, unlocked);
    store.set_state("alice", AccountState::Disabled, 4).unwrap_or_else(|e| panic!("{e}"));
    let disabled = store.generation().unwrap_or_else(|e| panic!("{e}"));
    wait_until(STARTUP, "a change after the restart to be notified", || watch.current() == Some(disabled));
}
