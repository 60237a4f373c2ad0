//! Whole gRPC calls against an in-process daemon (the HTTP/2 part is hyper's; the real
//! Envoy drives it in tests/envoy_grpc.rs).

use super::wire::{Reader, Value, Writer};
use super::*;
use crate::app::Runtime;
use base64::Engine;
use http_body_util::Full;
use std::net::{IpAddr, Ipv4Addr};
use wicket_core::clock::{ManualClock, SharedClock};
use wicket_core::config::Config;
use wicket_core::local::PasswordPolicy;
use wicket_core::secret::Secret;
use wicket_core::store::{NewUser, Store};

const T0: i64 = 1_800_000_000;
const ENVOY: Peer = Peer::Tcp(IpAddr::V4(Ipv4Addr::LOCALHOST));

fn fixture() -> (tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("w.db");
    let text = format!(
        "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\n[[rule]]\nhost = \"admin.example.org\"\npolicy = \"authenticated\"\ngroups = [\"admins\"]\n",
        db.display()
    );
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let clock: SharedClock = Arc::new(ManualClock::new(T0));
    let mut store = Store::open(&db, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
    for name in ["alice", "bob"] {
        let rec = policy.record(name, &Secret::from_string(format!("pw-{name}"))).unwrap_or_else(|e| panic!("{e}"));
        let new = NewUser { name: name.into(), ..NewUser::default() };
        store.add_user(&new, &cfg.users, Some(&rec), T0).unwrap_or_else(|e| panic!("{e}"));
    }
    store.add_group("admins", None, &cfg.users, T0).unwrap_or_else(|e| panic!("{e}"));
    store.add_member("alice", "admins").unwrap_or_else(|e| panic!("{e}"));
    let runtime = Runtime::build(cfg, clock.clone()).unwrap_or_else(|e| panic!("{e:#}"));
    (dir, App::new(runtime, clock))
}

/// A framed `CheckRequest` for `host`, with `authorization` when given.
fn check_body(host: &str, auth: Option<&str>) -> Vec<u8> {
    let mut w = Writer::default();
    w.nested(1, |a| {
        a.nested(1, |src| src.nested(1, |ad| ad.nested(1, |s| s.bytes(2, b"203.0.113.9"))));
        a.nested(4, |r| {
            r.nested(2, |h| {
                h.bytes(2, b"GET");
                if let Some(auth) = auth {
                    h.nested(3, |e| {
                        e.bytes(1, b"authorization");
                        e.bytes(2, auth.as_bytes());
                    });
                }
                h.nested(3, |e| {
                    e.bytes(1, b"remote-user");
                    e.bytes(2, b"mallory");
                });
                h.bytes(4, b"/x");
                h.bytes(5, host.as_bytes());
            });
        });
    });
    frame(&w.buf)
}

fn frame(msg: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    out.extend_from_slice(msg);
    out
}

async fn send(app: &Arc<App>, path: &str, body: Vec<u8>, peer: Peer) -> Response<Reply> {
    let req = Request::post(path)
        .header("content-type", "application/grpc")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|e| panic!("{e}"));
    call(app, req, peer).await
}

fn grpc_status(r: &Response<Reply>) -> Option<&str> {
    r.body().trailers()?.get("grpc-status")?.to_str().ok()
}

/// The top-level fields of the answer: (status code, which http_response field, its bytes).
fn answer(r: &Response<Reply>) -> (u64, u32, Vec<u8>) {
    let data = r.body().data().unwrap_or_else(|| panic!("no message"));
    let msg = unframe(data).unwrap_or_else(|e| panic!("{e:?}"));
    let (mut code, mut which, mut inner) = (0, 0, Vec::new());
    let mut top = Reader::new(msg);
    while let Ok(Some((field, v))) = top.next() {
        match (field, v) {
            (1, Value::Bytes(s)) => {
                if let Ok(Some((1, Value::Varint(c)))) = Reader::new(s).next() {
                    code = c;
                }
            }
            (f, Value::Bytes(b)) => (which, inner) = (f, b.to_vec()),
            _ => {}
        }
    }
    (code, which, inner)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn basic(user: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw-{user}")))
}

#[tokio::test]
async fn a_check_grants_denies_and_challenges() {
    let (_dir, app) = fixture();
    let r = send(&app, CHECK, check_body("app.example.org", Some(&basic("alice"))), ENVOY).await;
    assert_eq!(r.headers().get("content-type").map(HeaderValue::as_bytes), Some(&b"application/grpc"[..]));
    assert_eq!(grpc_status(&r), Some("0"));
    let (code, which, ok) = answer(&r);
    assert_eq!((code, which), (0, 3));
    assert!(contains(&ok, b"remote-user") && contains(&ok, b"alice") && !contains(&ok, b"mallory"));

    let (code, which, denied) = answer(&send(&app, CHECK, check_body("app.example.org", None), ENVOY).await);
    assert_eq!((code, which), (u64::from(code::UNAUTHENTICATED), 2));
    assert!(contains(&denied, b"www-authenticate") && contains(&denied, b"Basic realm=\"wicket\""));

    let (code, which, _) =
        answer(&send(&app, CHECK, check_body("admin.example.org", Some(&basic("bob"))), ENVOY).await);
    assert_eq!((code, which), (u64::from(code::PERMISSION_DENIED), 2));
    let (code, _, _) = answer(&send(&app, CHECK, check_body("admin.example.org", Some(&basic("alice"))), ENVOY).await);
    assert_eq!(code, 0);
}

#[tokio::test]
async fn an_untrusted_caller_is_denied() {
    let (_dir, app) = fixture();
    let stranger = Peer::Tcp(IpAddr::from([192, 0, 2, 7]));
    let (code, which, _) =
        answer(&send(&app, CHECK, check_body("app.example.org", Some(&basic("alice"))), stranger).await);
    assert_eq!((code, which), (u64::from(code::PERMISSION_DENIED), 2));
}

#[tokio::test]
async fn bad_calls_get_grpc_errors_not_panics() {
    let (_dir, app) = fixture();
    let good = check_body("app.example.org", None);
    let r = send(&app, "/envoy.service.auth.v2.Authorization/Check", good.clone(), ENVOY).await;
    assert_eq!(grpc_status(&r), Some("12"));
    assert!(r.body().data().is_none());
    let mut compressed = good.clone();
    compressed[0] = 1;
    assert_eq!(grpc_status(&send(&app, CHECK, compressed, ENVOY).await), Some("12"));
    for bad in [vec![], good[..good.len() - 1].to_vec(), [good.clone(), good.clone()].concat(), frame(&[0x0a, 0x05, 1])]
    {
        assert_eq!(grpc_status(&send(&app, CHECK, bad, ENVOY).await), Some("3"));
    }
    let huge = frame(&vec![0; MAX_MESSAGE + 1]);
    assert_eq!(grpc_status(&send(&app, CHECK, huge, ENVOY).await), Some("8"));
    let mut claims = vec![0];
    claims.extend_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(grpc_status(&send(&app, CHECK, claims, ENVOY).await), Some("8"));
    let req = Request::post(CHECK).body(Full::new(Bytes::from(good))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(grpc_status(&call(&app, req, ENVOY).await), Some("3"));
}

#[test]
fn unframe_reads_exactly_one_message() {
    assert_eq!(unframe(&frame(b"abc")), Ok(&b"abc"[..]));
    assert_eq!(unframe(&frame(b"")), Ok(&b""[..]));
    assert_eq!(unframe(&[0, 0, 0]).map_err(|e| e.0), Err(code::INVALID_ARGUMENT));
}
