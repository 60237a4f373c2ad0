//! In-process tests of the HTTP contract: requests built by hand, fed to `handle`. The
//! fixture and helpers live here, the tests in one file per seam.

mod access;
mod authelia;
mod portal;
mod schemes;
mod service;

use super::*;
use crate::body::Body;
use crate::router::handle;
use base64::Engine;
use hyper::Method;
use std::sync::atomic::Ordering;
use wicket_core::clock::{ManualClock, SharedClock};
use wicket_core::config::Config;
use wicket_core::digest::{Algorithm, ResponseParams, expected_response, ha1};
use wicket_core::local::PasswordPolicy;
use wicket_core::secret::Secret;
use wicket_core::store::{AccountState, NewUser, Store};

const T0: i64 = 1_800_000_000;

struct Fx {
    _dir: tempfile::TempDir,
    app: Arc<App>,
    clock: ManualClock,
    db: std::path::PathBuf,
    cfg: Config,
}

fn fixture_with(extra: &str) -> Fx {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("w.db");
    let text = format!(
        "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\nmax_failures = 5\n[http]\ndigest_algorithms = [\"SHA-256\", \"MD5\"]\n{extra}",
        db.display()
    );
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let clock = ManualClock::new(T0);
    let shared: SharedClock = Arc::new(clock.clone());
    let mut store = Store::open(&db, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
    for (name, pw) in [("alice", "pw-alice"), ("bob", "pw-bob")] {
        let rec = policy.record(name, &Secret::from(pw)).unwrap_or_else(|e| panic!("{e}"));
        let new = NewUser { name: name.into(), email: Some(format!("{name}@example.org")), ..NewUser::default() };
        store.add_user(&new, &cfg.users, Some(&rec), T0).unwrap_or_else(|e| panic!("{e}"));
    }
    store.add_group("admins", None, &cfg.users, T0).unwrap_or_else(|e| panic!("{e}"));
    store.add_member("alice", "admins").unwrap_or_else(|e| panic!("{e}"));
    let runtime = Runtime::build(cfg.clone(), shared.clone()).unwrap_or_else(|e| panic!("{e:#}"));
    Fx { app: App::new(runtime, shared), clock, db, cfg, _dir: dir }
}

fn fixture() -> Fx {
    fixture_with("")
}

fn peer() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40000))
}

fn req(path: &str, headers: &[(&str, &[u8])]) -> Request<()> {
    let mut b = Request::builder().method(Method::GET).uri(path);
    for (k, v) in headers {
        b = b.header(*k, HeaderValue::from_bytes(v).unwrap_or_else(|e| panic!("{e}")));
    }
    b.body(()).unwrap_or_else(|e| panic!("{e}"))
}

fn basic(user: &str, pw: &str) -> Vec<u8> {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))).into_bytes()
}

async fn get(fx: &Fx, path: &str, headers: &[(&str, &[u8])]) -> Response<Body> {
    handle(fx.app.clone(), peer(), req(path, headers)).await
}

fn header(r: &Response<Body>, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

fn challenges(r: &Response<Body>) -> Vec<String> {
    r.headers().get_all(WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
}
