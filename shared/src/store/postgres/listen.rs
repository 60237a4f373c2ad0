//! [`GenerationWatch`]: the change counter kept in memory from PostgreSQL's notifications,
//! so wicketd's cached answers need no round trip per request.
//!
//! Every move of `meta.generation` sends `NOTIFY wicket_generation, '<new value>'` (a
//! trigger on `meta`, migration 10), whichever process made the change. One thread per
//! wicketd holds a connection that `LISTEN`s, raises the value it keeps to each payload and,
//! every [`HEARTBEAT`], reads the counter itself: that read both catches up and proves the
//! connection alive (PostgreSQL delivers a notification before answering the next query on
//! that connection, so after the read nothing committed before it is still in flight).
//!
//! [`GenerationWatch::current`] answers only while the last heartbeat is younger than
//! [`STALE_AFTER`]; otherwise (the connection lost, the server stopped, a network cut that
//! TCP has not noticed) it answers `None` and the caller reads the counter from the store —
//! which fails while the database is unreachable, so nothing is accepted from a stale
//! cache. The thread reconnects on its own, every [`HEARTBEAT`], and stops when the watch
//! is dropped. Its timing is the monotonic clock's: it bounds freshness, decides nothing.
//!
//! The same connection carries the throttle between instances
//! ([`GenerationWatch::attach_throttle`]): each failure counted here is sent on
//! [`THROTTLE_CHANNEL`] (at the next turn of the loop, within a [`HEARTBEAT`]) with this
//! watch's random instance id, and every other instance's failures are counted here. A lost
//! connection loses the failures in flight: throttling then falls back to each instance's
//! own counts (never to none).

use super::connect::Target;
use crate::config::StoreUrl;
use crate::error::Result;
use crate::throttle::{Peers, Throttle};
use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The channel the trigger notifies.
pub const CHANNEL: &str = "wicket_generation";
/// How often the listening thread reads the counter (and retries a lost connection).
pub const HEARTBEAT: Duration = Duration::from_millis(500);
/// How old the last heartbeat may be before the value no longer counts.
pub const STALE_AFTER: Duration = Duration::from_millis(1500);
/// The channel failures travel on between instances.
pub const THROTTLE_CHANNEL: &str = "wicket_throttle";
/// Failures waiting to be sent at most (past it they are counted here only).
const MAX_OUTBOX: usize = 10_000;
/// A notification's payload must stay under PostgreSQL's 8000 bytes.
const MAX_PAYLOAD: usize = 7_000;

#[derive(Debug, Default)]
struct Seen {
    value: i64,
    confirmed: Option<Instant>,
}

#[derive(Debug, Default)]
struct Shared {
    seen: Mutex<Seen>,
    stop: AtomicBool,
    /// This watch's id in the failures it sends (its own come back and are skipped).
    instance: u64,
    /// Failures to send (JSON payloads).
    outbox: Mutex<Vec<String>>,
    /// Where the others' failures are counted.
    throttle: Mutex<Option<Weak<Throttle>>>,
}

/// One failure on the wire.
#[derive(serde::Serialize, serde::Deserialize)]
struct Failure {
    i: u64,
    k: Vec<String>,
}

/// This watch as the throttle's [`Peers`].
#[derive(Debug)]
struct WatchPeers(Arc<Shared>);

impl Peers for WatchPeers {
    fn publish(&self, keys: &[String]) {
        let Ok(payload) = serde_json::to_string(&Failure { i: self.0.instance, k: keys.to_vec() }) else { return };
        let mut out = self.0.outbox.lock().unwrap_or_else(|e| e.into_inner());
        if payload.len() <= MAX_PAYLOAD && out.len() < MAX_OUTBOX {
            out.push(payload);
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn raise(&self, value: i64) {
        let mut seen = self.lock();
        seen.value = seen.value.max(value);
    }

    fn confirm(&self, value: i64, at: Instant) {
        let mut seen = self.lock();
        seen.value = seen.value.max(value);
        seen.confirmed = Some(at);
    }

    fn forget(&self) {
        self.lock().confirmed = None;
    }

    /// Another instance's failure (this instance's own come back too and are skipped).
    fn count_remote(&self, payload: &str) {
        let Ok(f) = serde_json::from_str::<Failure>(payload) else { return };
        if f.i == self.instance {
            return;
        }
        let throttle = self.throttle.lock().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(Weak::upgrade);
        if let Some(t) = throttle {
            t.record_remote_failure(&f.k);
        }
    }
}

/// The change counter as notified; see the module docs.
#[derive(Debug)]
pub struct GenerationWatch {
    shared: Arc<Shared>,
}

impl GenerationWatch {
    /// Starts the listening thread (it connects in the background; until its first read,
    /// [`Self::current`] is `None`).
    pub fn start(url: &StoreUrl, password_file: Option<&Path>, busy_timeout: Duration) -> Result<Self> {
        let target = Target::new(url, password_file, busy_timeout)?;
        let location = url.redacted();
        let shared = Arc::new(Shared { instance: rand::random(), ..Shared::default() });
        let theirs = shared.clone();
        std::thread::Builder::new()
            .name("wicket-pg-listen".into())
            .spawn(move || listen(&target, &location, &theirs))
            .map_err(|source| crate::error::Error::Io { path: "wicket-pg-listen thread".into(), source })?;
        Ok(Self { shared })
    }

    /// Counts the other instances' failures in `throttle` and sends its own to them.
    pub fn attach_throttle(&self, throttle: &Arc<Throttle>) {
        *self.shared.throttle.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::downgrade(throttle));
        throttle.attach_peers(Arc::new(WatchPeers(self.shared.clone())));
    }

    /// The counter, when the listener has confirmed it within [`STALE_AFTER`].
    pub fn current(&self) -> Option<i64> {
        let seen = self.shared.lock();
        seen.confirmed.filter(|at| at.elapsed() < STALE_AFTER).map(|_| seen.value)
    }
}

impl Drop for GenerationWatch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

/// The thread: (re)connect, listen, heartbeat, until stopped.
fn listen(target: &Target, location: &str, shared: &Shared) {
    let mut warned = false;
    while !shared.stop.load(Ordering::Relaxed) {
        let lost = match target.connect(location) {
            Ok(mut client) => {
                if warned {
                    tracing::info!("change notifications from {location} again");
                    warned = false;
                }
                follow(&mut client, shared)
            }
            Err(e) => e.to_string(),
        };
        shared.forget();
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        if !warned {
            tracing::warn!("change notifications from {location} lost ({lost}): reading the counter per request");
            warned = true;
        }
        std::thread::sleep(HEARTBEAT);
    }
}

/// Follows one connection until it fails (the reason) or the watch is dropped.
fn follow(client: &mut Client, shared: &Shared) -> String {
    if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}; LISTEN {THROTTLE_CHANNEL}")) {
        return e.to_string();
    }
    let mut last_beat: Option<Instant> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        if last_beat.is_none_or(|t| t.elapsed() >= HEARTBEAT) {
            let started = Instant::now();
            match client.query_one("SELECT value FROM meta WHERE key = 'generation'", &[]).and_then(|r| r.try_get(0)) {
                Ok(value) => shared.confirm(value, started),
                Err(e) => return e.to_string(),
            }
            last_beat = Some(started);
        }
        let outgoing = std::mem::take(&mut *shared.outbox.lock().unwrap_or_else(|e| e.into_inner()));
        for payload in &outgoing {
            if let Err(e) = client.execute("SELECT pg_notify($1, $2)", &[&THROTTLE_CHANNEL, payload]) {
                return e.to_string();
            }
        }
        match client.notifications().timeout_iter(HEARTBEAT).next() {
            Ok(Some(n)) if n.channel() == THROTTLE_CHANNEL => shared.count_remote(n.payload()),
            Ok(Some(n)) => {
                if let Ok(value) = n.payload().parse::<i64>() {
                    shared.raise(value);
                }
            }
            Ok(None) => {}
            Err(e) => return e.to_string(),
        }
    }
    String::from("stopped")
}
