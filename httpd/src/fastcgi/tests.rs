//! Whole FastCGI conversations against an in-process daemon over a pipe.

use super::*;
use crate::app::Runtime;
use base64::Engine;
use std::net::IpAddr;
use tokio::io::{AsyncReadExt, DuplexStream};
use wicket_core::clock::{ManualClock, SharedClock};
use wicket_core::config::Config;
use wicket_core::local::PasswordPolicy;
use wicket_core::secret::Secret;
use wicket_core::store::{NewUser, Store};

const T0: i64 = 1_800_000_000;

fn fixture() -> (tempfile::TempDir, Arc<App>) {
    fixture_with("")
}

/// The fixture with more configuration after `[store]` and `[throttle]`.
fn fixture_with(extra: &str) -> (tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("w.db");
    let text = format!("[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\n{extra}", db.display());
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let clock: SharedClock = Arc::new(ManualClock::new(T0));
    let mut store = Store::open(&db, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
    for name in ["alice", "bob"] {
        let rec = policy.record(name, &Secret::from_string(format!("pw-{name}"))).unwrap_or_else(|e| panic!("{e}"));
        let new = NewUser { name: name.into(), email: Some(format!("{name}@example.org")), ..NewUser::default() };
        store.add_user(&new, &cfg.users, Some(&rec), T0).unwrap_or_else(|e| panic!("{e}"));
    }
    store.add_group("admins", None, &cfg.users, T0).unwrap_or_else(|e| panic!("{e}"));
    store.add_member("alice", "admins").unwrap_or_else(|e| panic!("{e}"));
    let runtime = Runtime::build(cfg, clock.clone()).unwrap_or_else(|e| panic!("{e:#}"));
    (dir, App::new(runtime, clock))
}

const APACHE: Peer = Peer::Tcp(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

fn basic(user: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:pw-{user}")))
}

/// BEGIN_REQUEST + PARAMS (split over two records) + the empty PARAMS.
fn request(id: u16, role: u16, keep: bool, pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    let [r0, r1] = role.to_be_bytes();
    record::write(&mut out, kind::BEGIN_REQUEST, id, &[r0, r1, u8::from(keep), 0, 0, 0, 0, 0]);
    let mut body = Vec::new();
    for (k, v) in pairs {
        params::encode(&mut body, k.as_bytes(), v.as_bytes());
    }
    let (a, b) = body.split_at(body.len() / 2);
    record::write(&mut out, kind::PARAMS, id, a);
    record::write(&mut out, kind::PARAMS, id, b);
    record::write(&mut out, kind::PARAMS, id, &[]);
    out
}

fn get(auth: Option<&str>, extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let mut p = vec![
        ("REQUEST_METHOD", "GET".to_string()),
        ("REQUEST_URI", "/app/x".to_string()),
        ("HTTP_HOST", "example.org".to_string()),
        ("REMOTE_ADDR", "203.0.113.9".to_string()),
        ("FCGI_ROLE", "AUTHORIZER".to_string()),
    ];
    if let Some(a) = auth {
        p.push(("HTTP_AUTHORIZATION", a.to_string()));
    }
    p.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    p
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, s)| (*k, s.as_str())).collect()
}

/// Reads records until END_REQUEST for `id` (or the end); returns STDOUT and the protocol
/// status, `None` when the connection ended first.
async fn answer(s: &mut DuplexStream, id: u16) -> Option<(String, u8)> {
    let mut stdout = Vec::new();
    loop {
        match record::read(s).await {
            Ok(Read::Record(r)) if r.kind == kind::STDOUT && r.request_id == id => stdout.extend(r.content),
            Ok(Read::Record(r)) if r.kind == kind::END_REQUEST && r.request_id == id => {
                return Some((String::from_utf8_lossy(&stdout).into_owned(), r.content.get(4).copied()?));
            }
            Ok(Read::Record(_)) => {}
            _ => return None,
        }
    }
}

fn start(app: Arc<App>, peer: Peer) -> DuplexStream {
    let (client, server) = tokio::io::duplex(1 << 20);
    tokio::spawn(connection(app, server, peer));
    client
}

#[tokio::test]
async fn challenge_then_grant_on_a_kept_connection() {
    let (_dir, app) = fixture();
    let mut s = start(app, APACHE);
    s.write_all(&request(1, role::AUTHORIZER, true, &pairs(&get(None, &[])))).await.unwrap_or_default();
    let (out, st) = answer(&mut s, 1).await.unwrap_or_default();
    assert_eq!(st, status::REQUEST_COMPLETE);
    assert!(out.starts_with("Status: 401 Unauthorized\r\n"), "{out}");
    assert!(out.contains("www-authenticate: Basic realm=\"wicket\""), "{out}");
    assert!(out.ends_with("\r\n\r\n"), "{out:?}");
    let alice = basic("alice");
    s.write_all(&request(7, role::AUTHORIZER, true, &pairs(&get(Some(&alice), &[])))).await.unwrap_or_default();
    let (out, _) = answer(&mut s, 7).await.unwrap_or_default();
    assert_eq!(
        out,
        "Status: 200 OK\r\nVariable-REMOTE_USER: alice\r\nVariable-REMOTE_GROUPS: admins\r\n\
         Variable-REMOTE_EMAIL: alice@example.org\r\n\r\n"
    );
}

#[tokio::test]
async fn groups_per_location_and_spoofed_headers() {
    let (_dir, app) = fixture();
    let bob = basic("bob");
    let alice = basic("alice");
    for (auth, extra, want) in [
        (&bob, &[("WICKET_GROUP", "admins")][..], "Status: 403"),
        (&alice, &[("WICKET_GROUP", "admins")][..], "Status: 200"),
        // The client's own headers cannot add or lift a requirement.
        (
            &bob,
            &[("WICKET_GROUP", "admins"), ("HTTP_X_ORIGINAL_URI", "/public/"), ("HTTP_WICKET_GROUP", "")][..],
            "Status: 403",
        ),
        (&bob, &[("HTTP_WICKET_GROUP", "admins")][..], "Status: 200"),
    ] {
        let mut s = start(app.clone(), APACHE);
        s.write_all(&request(1, role::AUTHORIZER, false, &pairs(&get(Some(auth), extra)))).await.unwrap_or_default();
        let (out, _) = answer(&mut s, 1).await.unwrap_or_default();
        assert!(out.starts_with(want), "{extra:?}: {out}");
    }
}

#[tokio::test]
async fn an_untrusted_peer_is_refused_whatever_it_sends() {
    let (_dir, app) = fixture();
    let alice = basic("alice");
    let mut s = start(app, Peer::Tcp(IpAddr::from([192, 0, 2, 7])));
    s.write_all(&request(1, role::AUTHORIZER, false, &pairs(&get(Some(&alice), &[])))).await.unwrap_or_default();
    assert_eq!(answer(&mut s, 1).await.map(|(o, _)| o).as_deref(), Some("Status: 403 Forbidden\r\n\r\n"));
}

#[tokio::test]
async fn other_roles_and_multiplexing_are_refused() {
    let (_dir, app) = fixture();
    let mut s = start(app, APACHE);
    s.write_all(&request(1, role::RESPONDER, true, &[])).await.unwrap_or_default();
    assert_eq!(answer(&mut s, 1).await.map(|(_, st)| st), Some(status::UNKNOWN_ROLE));
    // A second BEGIN_REQUEST while request 2 is open.
    let mut out = Vec::new();
    record::write(&mut out, kind::BEGIN_REQUEST, 2, &[0, 2, 1, 0, 0, 0, 0, 0]);
    record::write(&mut out, kind::BEGIN_REQUEST, 3, &[0, 2, 1, 0, 0, 0, 0, 0]);
    s.write_all(&out).await.unwrap_or_default();
    assert_eq!(answer(&mut s, 3).await.map(|(_, st)| st), Some(status::CANT_MPX_CONN));
}

#[tokio::test]
async fn without_keep_conn_the_connection_ends_after_the_answer() {
    let (_dir, app) = fixture();
    let mut s = start(app, APACHE);
    let alice = basic("alice");
    s.write_all(&request(1, role::AUTHORIZER, false, &pairs(&get(Some(&alice), &[])))).await.unwrap_or_default();
    assert!(answer(&mut s, 1).await.is_some());
    let mut rest = Vec::new();
    assert_eq!(s.read_to_end(&mut rest).await.map(|_| rest.len()).ok(), Some(0));
}

#[tokio::test]
async fn get_values_is_answered() {
    let (_dir, app) = fixture();
    let mut s = start(app, APACHE);
    let mut body = Vec::new();
    params::encode(&mut body, b"FCGI_MPXS_CONNS", b"");
    params::encode(&mut body, b"FCGI_UNHEARD_OF", b"");
    let mut out = Vec::new();
    record::write(&mut out, kind::GET_VALUES, 0, &body);
    s.write_all(&out).await.unwrap_or_default();
    let got = match record::read(&mut s).await {
        Ok(Read::Record(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(got.kind, kind::GET_VALUES_RESULT);
    let p = params::decode(&got.content).unwrap_or_default();
    assert_eq!((p.text("FCGI_MPXS_CONNS").as_deref(), p.len()), (Some("0"), 1));
}

#[tokio::test]
async fn oversized_params_and_garbage_close_the_connection() {
    let (_dir, app) = fixture();
    let mut s = start(app.clone(), APACHE);
    let mut out = Vec::new();
    record::write(&mut out, kind::BEGIN_REQUEST, 1, &[0, 2, 0, 0, 0, 0, 0, 0]);
    let chunk = vec![0u8; record::MAX_CONTENT];
    for _ in 0..(params::MAX_PARAMS_LEN / record::MAX_CONTENT + 1) {
        record::write(&mut out, kind::PARAMS, 1, &chunk);
    }
    s.write_all(&out).await.unwrap_or_default();
    assert_eq!(answer(&mut s, 1).await, None);
    // Random bytes: the connection ends, nothing panics.
    let mut x: u64 = 0xDEAD_BEEF_CAFE_F00D;
    for _ in 0..50 {
        let mut bytes = Vec::new();
        for _ in 0..512 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes.push(x as u8);
        }
        bytes[0] = record::VERSION;
        let mut s = start(app.clone(), APACHE);
        let _ = s.write_all(&bytes).await;
        drop(s.shutdown().await);
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest).await;
    }
}

#[tokio::test]
async fn a_unix_socket_peer_is_served_and_trusted() {
    let (dir, app) = fixture();
    let path = dir.path().join("fcgi.sock");
    let listen = wicket_core::config::FastcgiListen::Unix(path.clone());
    let listener = Listener::bind(&listen).await.unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(listener.describe(&listen), format!("unix:{}", path.display()));
    let task = tokio::spawn(serve(app, listener));
    let mut s = tokio::net::UnixStream::connect(&path).await.unwrap_or_else(|e| panic!("{e}"));
    let alice = basic("alice");
    s.write_all(&request(1, role::AUTHORIZER, false, &pairs(&get(Some(&alice), &[])))).await.unwrap_or_default();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).await.unwrap_or_default();
    let mut rest = &bytes[..];
    let mut stdout = Vec::new();
    while let Ok(Read::Record(r)) = record::read(&mut rest).await {
        if r.kind == kind::STDOUT {
            stdout.extend(r.content);
        }
    }
    assert!(String::from_utf8_lossy(&stdout).starts_with("Status: 200 OK\r\nVariable-REMOTE_USER: alice\r\n"));
    task.abort();
}

/// What `mod_authnz_fcgi` sends an authn provider (`AuthBasicProvider`): the request's CGI
/// variables, `FCGI_APACHE_ROLE` and the client's Basic name and password.
fn provider(user: &str, password: &str) -> Vec<(&'static str, String)> {
    let mut p = get(None, &[("FCGI_APACHE_ROLE", "AUTHENTICATOR")]);
    p.push(("REMOTE_USER", user.to_string()));
    p.push(("REMOTE_PASSWD", password.to_string()));
    p
}

async fn ask(app: &Arc<App>, p: &[(&'static str, String)]) -> String {
    let mut s = start(app.clone(), APACHE);
    s.write_all(&request(1, role::AUTHORIZER, false, &pairs(p))).await.unwrap_or_default();
    answer(&mut s, 1).await.map(|(o, _)| o).unwrap_or_default()
}

#[tokio::test]
async fn the_basic_provider_checks_the_password() {
    let (_dir, app) = fixture();
    assert_eq!(
        ask(&app, &provider("alice", "pw-alice")).await,
        "Status: 200 OK\r\nVariable-REMOTE_USER: alice\r\nVariable-REMOTE_GROUPS: admins\r\n\
         Variable-REMOTE_EMAIL: alice@example.org\r\n\r\n"
    );
    for (user, password) in [("alice", "wrong"), ("mallory", "pw-alice"), ("bob", "pw-alice")] {
        let out = ask(&app, &provider(user, password)).await;
        assert!(out.starts_with("Status: 401 Unauthorized\r\n"), "{user}: {out}");
        assert!(out.contains("www-authenticate: Basic realm=\"wicket\""), "{user}: {out}");
        assert!(!out.contains("Variable-"), "{user}: {out}");
    }
    // A combined `authnz` provider sends no FCGI_APACHE_ROLE; the password still decides.
    let mut p = provider("bob", "pw-bob");
    p.retain(|(k, _)| *k != "FCGI_APACHE_ROLE");
    assert!(ask(&app, &p).await.starts_with("Status: 200 OK\r\nVariable-REMOTE_USER: bob\r\n"));
}

#[tokio::test]
async fn bad_provider_params_are_refused_before_any_backend() {
    let (_dir, app) = fixture();
    let long = "x".repeat(authenticate::MAX_VALUE_LEN + 1);
    for (user, password) in [
        ("alice", ""),
        ("", "pw-alice"),
        ("alice", long.as_str()),
        (long.as_str(), "pw"),
        ("alice", "pw-\nalice"),
        ("al\u{1}ice", "pw-alice"),
    ] {
        let out = ask(&app, &provider(user, password)).await;
        assert!(out.starts_with("Status: 401 Unauthorized\r\n"), "{user:.9}/{password:.9}: {out}");
    }
    let mut p = provider("alice", "x");
    p.retain(|(k, _)| *k != "REMOTE_USER");
    assert!(ask(&app, &p).await.starts_with("Status: 401 "));
    let rt = app.runtime();
    let stats = rt.auth.stats();
    let looked = stats.slow_verifications.load(std::sync::atomic::Ordering::Relaxed)
        + stats.cache_misses.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(looked, 0, "no backend was asked");
}

#[tokio::test]
async fn without_a_password_the_whole_request_is_decided() {
    // `AuthnzFcgiCheckAuthnProvider` also says AUTHENTICATOR, and sends no REMOTE_PASSWD
    // unless AuthType is Basic: the authorizer's answers, every challenge.
    let (_dir, app) = fixture();
    let mut p = get(None, &[("FCGI_APACHE_ROLE", "AUTHENTICATOR")]);
    let out = ask(&app, &p).await;
    assert!(out.contains("Basic realm") && out.contains("Digest realm") && out.contains("Bearer realm"), "{out}");
    p.push(("HTTP_AUTHORIZATION", basic("alice")));
    assert!(ask(&app, &p).await.starts_with("Status: 200 OK\r\nVariable-REMOTE_USER: alice\r\n"));
    // An authz provider (AUTHORIZER) is never a password check, whatever it carries; a
    // client's `Remote-Passwd` header is HTTP_REMOTE_PASSWD.
    let p = get(None, &[("FCGI_APACHE_ROLE", "AUTHORIZER"), ("REMOTE_PASSWD", "pw-alice"), ("REMOTE_USER", "alice")]);
    assert!(ask(&app, &p).await.starts_with("Status: 401 "));
    let p = get(None, &[("HTTP_REMOTE_PASSWD", "pw-alice"), ("REMOTE_USER", "alice")]);
    assert!(ask(&app, &p).await.starts_with("Status: 401 "));
}

#[tokio::test]
async fn the_provider_keeps_one_name_and_no_bypass() {
    let (_dir, app) = fixture_with(
        "[[rule]]\npath = \"^/app/\"\npolicy = \"bypass\"\n[[rule]]\npath = \"^/closed/\"\npolicy = \"deny\"\n",
    );
    // A public path does not make a wrong password right.
    assert!(ask(&app, &provider("alice", "wrong")).await.starts_with("Status: 401 "));
    assert!(
        ask(&app, &provider("alice", "pw-alice")).await.starts_with("Status: 200 OK\r\nVariable-REMOTE_USER: alice")
    );
    // Apache keeps the name as typed: another spelling of alice's name is refused.
    assert!(ask(&app, &provider("Alice", "pw-alice")).await.starts_with("Status: 401 "));
    // deny rules and WICKET_GROUP hold.
    let mut p = provider("alice", "pw-alice");
    p.retain(|(k, _)| *k != "REQUEST_URI");
    p.push(("REQUEST_URI", "/closed/x".into()));
    assert!(ask(&app, &p).await.starts_with("Status: 403 "));
    let mut p = provider("bob", "pw-bob");
    p.push(("WICKET_GROUP", "admins".into()));
    assert!(ask(&app, &p).await.starts_with("Status: 403 "));
    // An untrusted FastCGI peer is refused before anything is looked at.
    let mut s = start(app.clone(), Peer::Tcp(IpAddr::from([192, 0, 2, 7])));
    s.write_all(&request(1, role::AUTHORIZER, false, &pairs(&provider("alice", "pw-alice")))).await.unwrap_or_default();
    assert_eq!(answer(&mut s, 1).await.map(|(o, _)| o).as_deref(), Some("Status: 403 Forbidden\r\n\r\n"));
}

#[tokio::test]
async fn an_unavailable_store_is_500_for_the_provider() {
    let (dir, app) = fixture();
    let conn = rusqlite::Connection::open(dir.path().join("w.db")).unwrap_or_else(|e| panic!("{e}"));
    conn.execute_batch("PRAGMA foreign_keys = OFF; DROP TABLE users;").unwrap_or_else(|e| panic!("{e}"));
    // mod_authnz_fcgi reads 500 as an error and anything else as a wrong password.
    assert_eq!(ask(&app, &provider("alice", "pw-alice")).await, "Status: 500 Internal Server Error\r\n\r\n");
    // The authorizer's own answer stays 503 with Retry-After.
    let out = ask(&app, &get(Some(&basic("alice")), &[])).await;
    assert!(out.starts_with("Status: 503 ") && out.contains("retry-after: 5"), "{out}");
}

#[tokio::test]
async fn remote_addr_is_the_throttled_origin_unless_it_is_a_proxy() {
    let (_dir, app) = fixture();
    let from = |addr: &str, user: &str, password: &str| {
        let mut p = provider(user, password);
        p.retain(|(k, _)| *k != "REMOTE_ADDR");
        p.push(("REMOTE_ADDR", addr.to_string()));
        p
    };
    // Five failures from one client, each under another name: that client is locked out,
    // not alice, and not another client.
    for n in 0..5 {
        assert!(ask(&app, &from("203.0.113.9", &format!("nobody{n}"), "x")).await.starts_with("Status: 401 "));
    }
    assert!(ask(&app, &from("203.0.113.9", "alice", "pw-alice")).await.starts_with("Status: 401 "));
    assert!(ask(&app, &from("198.51.100.4", "alice", "pw-alice")).await.starts_with("Status: 200 "));
    // A client address that is itself a trusted proxy names nobody: only accounts count.
    for n in 0..5 {
        assert!(ask(&app, &from("127.0.0.1", &format!("other{n}"), "x")).await.starts_with("Status: 401 "));
    }
    assert!(ask(&app, &from("127.0.0.1", "bob", "pw-bob")).await.starts_with("Status: 200 "));
}
