//! The HTTP connection table: how many connections may be open, how long each may stay
//! silent, and which one gives way when the table is full.
//!
//! A connection is in one of four phases: `Fresh` (accepted, nothing received yet), `Head`
//! (a request head is arriving), `Busy` (a request is being answered) and `Idle` (kept
//! alive between requests). Each phase but `Busy` has its own timeout.
//!
//! **At the cap the longest-idle connection is closed to admit the new one**; the new one is
//! refused only when every open connection is busy. Connections that never completed a
//! request go first (oldest first), then kept-alive ones, least recently used first. A flood
//! of silent connections thus only ever displaces itself: nginx's kept-alive upstream
//! connections have served requests and are used often, so they are the last candidates,
//! and a new connection from nginx always finds room. Refusing new connections instead
//! would let the flood lock nginx out until its connections time out.
//!
//! [`Watched`] wraps the socket to see bytes arrive. Bytes read while no request is being
//! answered are request heads (or bodies of answered requests, which hyper discards: no
//! wicketd endpoint reads a body); in them control bytes become `0xFF`, an opaque byte
//! that hyper's parser accepts in header values. A header holding one then reads as
//! not-text instead of failing the whole request with a 400 — `/auth` must never answer
//! 400, which nginx turns into a 500 (see [`sanitize`]).

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Accepted, nothing received.
    Fresh,
    /// A request head is arriving.
    Head,
    /// A request is being answered.
    Busy,
    /// Kept alive, waiting for the next request.
    Idle,
}

/// How long each phase may last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// `Fresh`: time to send the first byte.
    pub first_byte: Duration,
    /// `Head`: time to finish a request head once it started.
    pub head: Duration,
    /// `Idle`: time between a response and the next request.
    pub idle: Duration,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    since: Instant,
    served: bool,
}

/// One connection's shared state: written by [`Watched`] and the service, read by the
/// connection's task and by the table when it picks a connection to close.
#[derive(Debug)]
pub struct Conn {
    state: Mutex<State>,
    timeouts: Timeouts,
    /// Signalled on every phase change, so the task re-arms its timer.
    changed: Notify,
    /// Signalled when the table closes this connection to make room.
    evicted: Notify,
}

impl Conn {
    fn new(timeouts: Timeouts) -> Self {
        Self {
            state: Mutex::new(State { phase: Phase::Fresh, since: Instant::now(), served: false }),
            timeouts,
            changed: Notify::new(),
            evicted: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enter(&self, phase: Phase) {
        {
            let mut s = self.lock();
            s.phase = phase;
            s.since = Instant::now();
            if phase == Phase::Idle {
                s.served = true;
            }
        }
        self.changed.notify_one();
    }

    /// Bytes arrived. True when they belong to a request head (no request is being answered).
    fn received(&self) -> bool {
        let phase = self.lock().phase;
        match phase {
            Phase::Fresh | Phase::Idle => {
                self.enter(Phase::Head);
                true
            }
            Phase::Head => true,
            Phase::Busy => false,
        }
    }

    /// The service got a request; the returned guard marks it answered when dropped.
    pub fn request(self: &Arc<Self>) -> InRequest {
        self.enter(Phase::Busy);
        InRequest(self.clone())
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.lock().phase
    }

    /// When the current phase times out; `None` while busy.
    pub fn deadline(&self) -> Option<Instant> {
        let s = self.lock();
        let limit = match s.phase {
            Phase::Fresh => self.timeouts.first_byte,
            Phase::Head => self.timeouts.head,
            Phase::Idle => self.timeouts.idle,
            Phase::Busy => return None,
        };
        Some(s.since + limit)
    }

    /// Resolves at the next phase change.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// Resolves when the table closed this connection to make room.
    pub async fn evicted(&self) {
        self.evicted.notified().await;
    }

    /// Eviction order: never-served before served, then longest in its phase first.
    fn eviction_key(&self) -> Option<(bool, Instant)> {
        let s = self.lock();
        (s.phase != Phase::Busy).then_some((s.served, s.since))
    }
}

/// Marks the connection idle when the request is answered (or abandoned).
#[derive(Debug)]
pub struct InRequest(Arc<Conn>);

impl Drop for InRequest {
    fn drop(&mut self) {
        self.0.enter(Phase::Idle);
    }
}

/// The open connections.
#[derive(Debug, Default)]
pub struct Table {
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    warned: AtomicBool,
}

impl Table {
    /// An empty table.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for a new connection under `cap` (closing idle ones, see the module
    /// docs) and registers it; `None` when every open connection is busy.
    pub fn admit(self: &Arc<Self>, cap: usize, timeouts: Timeouts) -> Option<Slot> {
        let cap = cap.max(1);
        let mut open = self.lock();
        if open.len() < cap / 2 {
            self.warned.store(false, Ordering::Relaxed);
        }
        while open.len() >= cap {
            if !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!("{cap} HTTP connections open: closing the longest idle to admit new ones");
            }
            let victim = open.iter().filter_map(|(id, c)| c.eviction_key().map(|k| (k, *id))).min().map(|(_, id)| id);
            let conn = victim.and_then(|id| open.remove(&id))?;
            conn.evicted.notify_one();
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn::new(timeouts));
        open.insert(id, conn.clone());
        Some(Slot { table: self.clone(), id, conn })
    }
}

/// A registered connection; leaves the table when dropped.
#[derive(Debug)]
pub struct Slot {
    table: Arc<Table>,
    id: u64,
    /// Its state.
    pub conn: Arc<Conn>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.table.lock().remove(&self.id);
    }
}

/// Replaces control bytes (other than tab, CR and LF) with `0xFF`. hyper's parser refuses
/// the whole request for a control byte in a header value, but takes `0xFF` (obs-text);
/// such a header then fails `to_str()` and counts as unreadable, and an `Authorization`
/// header holding one is malformed (401 on `/auth`). A NUL becomes `0xFF` too. Control
/// bytes in a header *name* still make the line invalid: the server ignores such lines.
pub fn sanitize(bytes: &mut [u8]) {
    for b in bytes {
        if (*b < 0x20 && !matches!(*b, b'\t' | b'\r' | b'\n')) || *b == 0x7f {
            *b = 0xff;
        }
    }
}

/// A socket that reports arriving bytes to its [`Conn`] and sanitizes request heads.
#[derive(Debug)]
pub struct Watched<T> {
    inner: T,
    conn: Arc<Conn>,
}

impl<T> Watched<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, conn: Arc<Conn>) -> Self {
        Self { inner, conn }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            if buf.filled().len() > before && self.conn.received() {
                sanitize(&mut buf.filled_mut()[before..]);
            }
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts =
        Timeouts { first_byte: Duration::from_secs(5), head: Duration::from_secs(10), idle: Duration::from_secs(75) };

    fn evicted_now(c: &Conn) -> bool {
        let fut = c.evicted();
        tokio::pin!(fut);
        let waker = std::task::Waker::noop();
        fut.as_mut().poll(&mut Context::from_waker(waker)).is_ready()
    }

    use std::future::Future;

    #[tokio::test(start_paused = true)]
    async fn a_full_table_closes_never_served_connections_before_kept_alive_ones() {
        let table = Table::new();
        let kept = table.admit(2, T).unwrap_or_else(|| panic!("room"));
        drop(kept.conn.request());
        tokio::time::advance(Duration::from_secs(1)).await;
        let silent = table.admit(2, T).unwrap_or_else(|| panic!("room"));
        let newer = table.admit(2, T).unwrap_or_else(|| panic!("room after eviction"));
        assert!(evicted_now(&silent.conn), "the silent connection gives way");
        assert!(!evicted_now(&kept.conn), "the kept-alive connection stays");
        assert_eq!(table.len(), 2);
        drop(newer);
        assert_eq!(table.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn kept_alive_connections_go_least_recently_used_first() {
        let table = Table::new();
        let a = table.admit(2, T).unwrap_or_else(|| panic!("room"));
        let b = table.admit(2, T).unwrap_or_else(|| panic!("room"));
        drop(b.conn.request());
        tokio::time::advance(Duration::from_secs(1)).await;
        drop(a.conn.request());
        let _c = table.admit(2, T).unwrap_or_else(|| panic!("room"));
        assert!(evicted_now(&b.conn));
        assert!(!evicted_now(&a.conn));
    }

    #[tokio::test(start_paused = true)]
    async fn busy_connections_are_never_closed_and_the_new_one_is_refused() {
        let table = Table::new();
        let a = table.admit(1, T).unwrap_or_else(|| panic!("room"));
        let _busy = a.conn.request();
        assert!(table.admit(1, T).is_none());
        assert!(!evicted_now(&a.conn));
    }

    #[tokio::test(start_paused = true)]
    async fn each_phase_has_its_deadline() {
        let table = Table::new();
        let s = table.admit(4, T).unwrap_or_else(|| panic!("room"));
        let start = Instant::now();
        assert_eq!(s.conn.deadline(), Some(start + T.first_byte));
        assert!(s.conn.received());
        assert_eq!(s.conn.phase(), Phase::Head);
        assert_eq!(s.conn.deadline(), Some(start + T.head));
        let req = s.conn.request();
        assert_eq!(s.conn.deadline(), None);
        assert!(!s.conn.received(), "bytes during a request are not a head");
        drop(req);
        assert_eq!(s.conn.phase(), Phase::Idle);
        assert_eq!(s.conn.deadline(), Some(start + T.idle));
    }

    #[test]
    fn control_bytes_become_opaque() {
        let mut b = *b"X-A: a\x01b\x00c\x7f\td\r\n";
        sanitize(&mut b);
        assert_eq!(&b, b"X-A: a\xffb\xffc\xff\td\r\n");
    }

    #[test]
    fn server_keys_have_defaults_and_parse() {
        let c = wicket_core::config::Config::parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.server.max_connections, 1024);
        assert_eq!(c.server.keepalive_timeout, Duration::from_secs(75));
        let c = wicket_core::config::Config::parse(
            "[server]\nmax_connections = 8\nfirst_byte_timeout = \"2s\"\nkeepalive_timeout = \"30s\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.server.max_connections, 8);
        assert_eq!(c.server.first_byte_timeout, Duration::from_secs(2));
        assert_eq!(c.server.keepalive_timeout, Duration::from_secs(30));
    }
}
