//! The throttle's delays are applied: a failed attempt is answered only once its delay is
//! over. Driven through [`handle`] on tokio's paused clock, so nothing waits on the wall
//! clock. The test keeps the runtime busy (yielding) while argon2 runs on the verification
//! threads, so the paused clock never moves on its own; it moves only by
//! `tokio::time::advance`. The answer must still be pending a millisecond before the delay
//! ends and ready at its end.

use crate::app::{App, Runtime};
use crate::body::Body;
use crate::router::handle;
use base64::Engine;
use hyper::{Request, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use wicket_core::clock::{ManualClock, SharedClock};
use wicket_core::config::Config;
use wicket_core::local::PasswordPolicy;
use wicket_core::secret::Secret;
use wicket_core::store::{NewUser, Store};

const T0: i64 = 1_800_000_000;

/// An app whose throttle waits 1 s after the first failure and 2 s after later ones.
fn app(dir: &tempfile::TempDir) -> Arc<App> {
    let db = dir.path().join("w.db");
    let text =
        format!("[store]\npath = \"{}\"\n[throttle]\ndelays = [\"1s\", \"2s\"]\nmax_failures = 9\n", db.display());
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let clock: SharedClock = Arc::new(ManualClock::new(T0));
    let mut store = Store::open(&db, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let rec = policy.record("alice", &Secret::from("pw-alice")).unwrap_or_else(|e| panic!("{e}"));
    let new = NewUser { name: "alice".into(), ..NewUser::default() };
    store.add_user(&new, &cfg.users, Some(&rec), T0).unwrap_or_else(|e| panic!("{e}"));
    let runtime = Runtime::build(cfg, clock.clone()).unwrap_or_else(|e| panic!("{e:#}"));
    App::new(runtime, clock)
}

/// Starts an `/auth` request with Basic credentials as a task.
fn auth(app: &Arc<App>, user: &str, pw: &str) -> JoinHandle<Response<Body>> {
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"));
    let req = Request::builder()
        .uri("/auth")
        .header("authorization", format!("Basic {creds}"))
        .body(())
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(handle(app.clone(), SocketAddr::from(([127, 0, 0, 1], 40000)), req))
}

/// Authentication decisions counted so far (the handler counts one just before it waits).
fn decisions(app: &App) -> u64 {
    let text = app.metrics.render(app.runtime().auth.stats(), &[]);
    text.lines()
        .filter(|l| l.starts_with("wicket_auth_decisions_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Yields (keeping the paused clock still) until `done` holds; fails after 60 s of real
/// time, which only a hung verification takes.
async fn spin_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::task::yield_now().await;
    }
}

/// Lets every woken task run (the clock stays put: the runtime is never idle).
async fn settle() {
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
}

/// Sends a wrong password and checks that the answer comes exactly `delay` (paused-clock
/// time) after the decision: not a millisecond before, and without any more waiting at its
/// end. Returns the status.
async fn answered_after(app: &Arc<App>, user: &str, pw: &str, delay: Duration) -> u16 {
    let before = decisions(app);
    let task = auth(app, user, pw);
    // argon2 runs on real threads; the clock stays put meanwhile.
    spin_until("the decision", || decisions(app) > before || task.is_finished()).await;
    tokio::time::advance(delay - Duration::from_millis(1)).await;
    settle().await;
    assert!(!task.is_finished(), "answered before the throttle's {delay:?} delay was over");
    tokio::time::advance(Duration::from_millis(1)).await;
    settle().await;
    assert!(task.is_finished(), "no answer once the {delay:?} delay was over");
    task.await.map(|r| r.status().as_u16()).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(start_paused = true)]
async fn failures_wait_the_configured_delays_in_turn() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = app(&dir);
    assert_eq!(answered_after(&app, "alice", "wrong", Duration::from_secs(1)).await, 401);
    assert_eq!(answered_after(&app, "alice", "wrong-again", Duration::from_secs(2)).await, 401);
    // Unknown users wait too (the delay does not tell them apart).
    assert_eq!(answered_after(&app, "zed", "pw", Duration::from_secs(1)).await, 401);
}

#[tokio::test(start_paused = true)]
async fn a_success_is_not_delayed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = app(&dir);
    let start = tokio::time::Instant::now();
    let task = auth(&app, "alice", "pw-alice");
    spin_until("the answer", || task.is_finished()).await;
    assert_eq!(start.elapsed(), Duration::ZERO, "the paused clock moved");
    assert_eq!(task.await.map(|r| r.status().as_u16()).unwrap_or_else(|e| panic!("{e}")), 200);
}
