//! The event trail's writer: every audit event goes to the log line (journald) and the
//! metrics at once; those worth keeping (every failure, the first success of a credential per
//! interval — not `quiet` cached re-checks) go to the store in batches, off the request path.
//!
//! A request only `try_send`s into a bounded queue: a full queue (a store that cannot keep
//! up, or is locked) drops the event and counts it in `wicket_events_dropped_total`; a login
//! never waits for the trail. One writer thread drains the queue into one transaction about
//! every second (or every [`BATCH`] events), and about once an hour deletes events older than
//! `[events] retention`. Without a local store there is nowhere to keep them: the journal
//! line stays the only trace.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};
use wicket_core::events::retention_cut;
use wicket_core::local::LocalBackend;
use wicket_core::store::EventRecord;
use wicket_core::verify::{AuditEvent, Context};

/// What the writer needs of the daemon it writes for (the daemon's `App`, which owns the
/// queue, so the writer holds it weakly): the store and retention of the config in force
/// (none without a local store), the time, and where lost events are counted.
pub trait Trail: Send + Sync {
    /// The local store to write to and `[events] retention` in seconds, if there is one.
    fn target(&self) -> Option<(Arc<LocalBackend>, i64)>;
    /// Unix time now.
    fn now(&self) -> i64;
    /// Counts events that could not be kept.
    fn dropped(&self, n: u64);
}

/// Events waiting for the writer at most.
pub const QUEUE: usize = 4096;
/// Events written in one transaction at most.
pub const BATCH: usize = 256;
/// How long an event waits for its batch at most.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Seconds between two retention prunes.
const PRUNE_EVERY_SECS: i64 = 3600;

enum Msg {
    Event(Box<EventRecord>),
    /// Write what is queued, then answer (shutdown).
    Flush(SyncSender<()>),
}

/// The queue's sending end, and the receiving end until the writer takes it.
#[derive(Debug)]
pub struct EventLog {
    tx: SyncSender<Msg>,
    rx: Mutex<Option<Receiver<Msg>>>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Event(_) => "Event",
            Self::Flush(_) => "Flush",
        })
    }
}

impl Default for EventLog {
    fn default() -> Self {
        Self::with_capacity(QUEUE)
    }
}

impl EventLog {
    /// A queue of `capacity` events, with no writer yet.
    pub fn with_capacity(capacity: usize) -> Self {
        let (tx, rx) = sync_channel(capacity);
        Self { tx, rx: Mutex::new(Some(rx)) }
    }

    /// Queues an event without waiting; false when the queue is full (or the writer gone).
    pub fn push(&self, e: EventRecord) -> bool {
        match self.tx.try_send(Msg::Event(Box::new(e))) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }

    /// Starts the writer thread (once) for the daemon behind `app`. It ends when the daemon
    /// is dropped.
    pub fn start(&self, app: Weak<dyn Trail>) {
        let Some(rx) = self.rx.lock().unwrap_or_else(|e| e.into_inner()).take() else { return };
        let spawned = std::thread::Builder::new().name("wicket-events".into()).spawn(move || writer(&app, &rx));
        if let Err(e) = spawned {
            tracing::error!("cannot start the event writer: {e}; events stay in the journal only");
        }
    }

    /// Writes everything queued so far and waits for it (shutdown). Blocking.
    pub fn flush(&self) {
        let (ack, done) = sync_channel(1);
        if self.tx.send(Msg::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(Duration::from_secs(10));
        }
    }
}

fn writer(app: &Weak<dyn Trail>, rx: &Receiver<Msg>) {
    let mut batch: Vec<EventRecord> = Vec::new();
    let mut last_prune: Option<i64> = None;
    loop {
        let deadline = Instant::now() + FLUSH_EVERY;
        let mut ack = None;
        let mut closed = false;
        while batch.len() < BATCH {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Msg::Event(e)) => batch.push(*e),
                Ok(Msg::Flush(a)) => {
                    ack = Some(a);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        // Not yet built (the first second) or already gone (then the queue is closed too).
        if let Some(app) = app.upgrade() {
            write(app.as_ref(), &mut batch, &mut last_prune);
        }
        if let Some(a) = ack {
            let _ = a.send(());
        }
        if closed {
            return;
        }
    }
}

/// Writes the batch (kept for the next round if the store is busy, up to the queue's size)
/// and prunes when it is time.
fn write(app: &dyn Trail, batch: &mut Vec<EventRecord>, last_prune: &mut Option<i64>) {
    let Some((local, retention)) = app.target() else {
        batch.clear();
        return;
    };
    if !batch.is_empty() {
        match local.with_store(|s| s.add_events(batch)) {
            Ok(()) => batch.clear(),
            Err(e) => {
                tracing::warn!("could not write {} event(s) to the trail: {e}", batch.len());
                if batch.len() > QUEUE {
                    let lost = batch.len() - QUEUE;
                    batch.drain(..lost);
                    app.dropped(lost as u64);
                }
            }
        }
    }
    let now = app.now();
    if last_prune.is_none_or(|t| now - t >= PRUNE_EVERY_SECS) {
        *last_prune = Some(now);
        let cut = retention_cut(now, retention);
        match local.with_store(|s| s.delete_events_before(cut)) {
            Ok(0) => {}
            Ok(n) => tracing::info!("events: deleted {n} older than the retention"),
            Err(e) => tracing::warn!("could not prune the event trail: {e}"),
        }
    }
}

/// An audit event the portal writes itself (a session opened or closed, a password changed).
pub fn portal_event(ctx: &Context, user: &str, outcome: &'static str, backend: &str) -> AuditEvent {
    AuditEvent {
        front: ctx.front.as_str(),
        scheme: "session",
        user: user.to_string(),
        outcome,
        backend: backend.to_string(),
        client: ctx.client,
        peer_uid: ctx.peer_uid,
        service: ctx.service.clone(),
        method: ctx.method.clone(),
        path: ctx.path.clone(),
        quiet: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> EventRecord {
        EventRecord {
            id: 0,
            at: 1,
            kind: wicket_core::store::EventKind::Auth,
            front: "http".into(),
            scheme: "basic".into(),
            user: "alice".into(),
            outcome: "bad_credentials".into(),
            backend: "-".into(),
            client: None,
            service: None,
            method: None,
            path: None,
            actor_uid: None,
            actor: None,
            detail: None,
        }
    }

    /// A full queue refuses at once instead of waiting (the login goes on).
    #[test]
    fn a_full_queue_refuses_without_blocking() {
        let log = EventLog::with_capacity(2);
        assert!(log.push(record()));
        assert!(log.push(record()));
        assert!(!log.push(record()));
    }
}
