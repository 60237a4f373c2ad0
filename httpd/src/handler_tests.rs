//! In-process tests of the HTTP contract: requests built by hand, fed to `handle`.

use super::*;
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

#[tokio::test]
async fn no_credentials_get_every_challenge_in_order() {
    let fx = fixture();
    let r = get(&fx, "/auth", &[]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let c = challenges(&r);
    assert_eq!(c.len(), 4, "{c:?}");
    assert_eq!(c[0], "Basic realm=\"wicket\", charset=\"UTF-8\"");
    assert!(c[1].starts_with("Digest realm=\"wicket\"") && c[1].contains("algorithm=SHA-256"), "{c:?}");
    assert!(c[2].contains("algorithm=MD5"), "{c:?}");
    assert_eq!(c[3], "Bearer realm=\"wicket\"");
}

#[tokio::test]
async fn basic_accepts_and_sends_identity_headers() {
    let fx = fixture();
    let r = get(&fx, "/auth", &[("authorization", &basic("alice", "pw-alice"))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "remote-user"), "alice");
    // No body: nginx leaves an auth subrequest's body unread, stalling the upstream connection.
    assert_eq!(
        http_body_util::BodyExt::collect(get(&fx, "/auth", &[]).await.into_body())
            .await
            .map(|b| b.to_bytes().len())
            .ok(),
        Some(0)
    );
    let ok_body = get(&fx, "/auth", &[("authorization", &basic("alice", "pw-alice"))]).await.into_body();
    assert_eq!(http_body_util::BodyExt::collect(ok_body).await.map(|b| b.to_bytes().len()).ok(), Some(0));
    assert_eq!(header(&r, "remote-groups"), "admins");
    assert_eq!(header(&r, "remote-email"), "alice@example.org");
    for (u, p) in [("alice", "wrong"), ("nobody", "pw-alice"), ("bob", "pw-alice")] {
        let r = get(&fx, "/auth", &[("authorization", &basic(u, p))]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{u}");
    }
}

#[tokio::test]
async fn group_requirements_and_rules() {
    let fx = fixture_with(
        "[[rule]]\npath = \"^/public/\"\npolicy = \"bypass\"\n[[rule]]\npath = \"^/closed/\"\npolicy = \"deny\"\n\
         [[rule]]\npath = \"^/admin/\"\ngroups = [\"admins\"]\npolicy = \"authenticated\"\n",
    );
    let alice = basic("alice", "pw-alice");
    let bob = basic("bob", "pw-bob");
    assert_eq!(get(&fx, "/auth?group=admins", &[("authorization", &alice)]).await.status(), StatusCode::OK);
    assert_eq!(get(&fx, "/auth?group=admins", &[("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(get(&fx, "/auth?group=nope&group=admins", &[("authorization", &alice)]).await.status(), StatusCode::OK);
    let orig = |uri: &'static str| ("x-original-uri", uri.as_bytes());
    assert_eq!(get(&fx, "/auth", &[orig("/public/x")]).await.status(), StatusCode::OK);
    assert_eq!(
        get(&fx, "/auth", &[orig("/closed/x"), ("authorization", &alice)]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(get(&fx, "/auth", &[orig("/admin/x"), ("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(get(&fx, "/auth", &[orig("/admin/x"), ("authorization", &alice)]).await.status(), StatusCode::OK);
    assert_eq!(get(&fx, "/auth", &[orig("/admin/x")]).await.status(), StatusCode::UNAUTHORIZED);
    // An untrusted peer cannot pick the target.
    let untrusted = SocketAddr::from(([192, 0, 2, 1], 1));
    let r = handle(fx.app.clone(), untrusted, req("/auth", &[orig("/public/x")])).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_is_refused_and_the_service_stays_healthy() {
    let fx = fixture();
    let cases: Vec<Vec<u8>> = vec![
        b"Basic !!!!".to_vec(),
        b"Basic ".to_vec(),
        b"Basic \xff\xfe".to_vec(),
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(b"\x9f\xfe:\xfa")).into_bytes(),
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(b"alice:pw\x00x")).into_bytes(),
        b"Digest garbage,,,=\"".to_vec(),
        b"Digest username=\"a\", username=\"b\"".to_vec(),
        b"Bearer".to_vec(),
        b"Bearer    ".to_vec(),
        b"Bearer wkt_\xc3\xa9".to_vec(),
    ];
    for c in &cases {
        let r = get(&fx, "/auth", &[("authorization", c)]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{}", String::from_utf8_lossy(c));
        let r = get(&fx, "/whoami", &[("authorization", c)]).await;
        assert!(matches!(r.status().as_u16(), 400 | 401), "{}", String::from_utf8_lossy(c));
    }
    // Two Authorization headers: refused even when one is right.
    let ok = basic("alice", "pw-alice");
    let r = get(&fx, "/auth", &[("authorization", &ok), ("authorization", b"Bearer x")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Empty bearer on /whoami → 400 invalid_request.
    let r = get(&fx, "/whoami", &[("authorization", b"Bearer")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(challenges(&r)[0].contains("invalid_request"));
    assert_eq!(get(&fx, "/healthz", &[]).await.status(), StatusCode::OK);
    assert_eq!(get(&fx, "/auth", &[("authorization", &ok)]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn lockout_is_silent_and_ends() {
    let fx = fixture();
    for _ in 0..5 {
        let r = get(&fx, "/auth", &[("authorization", &basic("alice", "wrong"))]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked out: even the right password gets a plain 401.
    let r = get(&fx, "/auth", &[("authorization", &basic("alice", "pw-alice"))]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&r)[0], "Basic realm=\"wicket\", charset=\"UTF-8\"");
    fx.clock.advance(301);
    let r = get(&fx, "/auth", &[("authorization", &basic("alice", "pw-alice"))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let m = String::from_utf8_lossy(
        &http_body_util::BodyExt::collect(get(&fx, "/metrics", &[]).await.into_body())
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default(),
    )
    .into_owned();
    assert!(m.contains("wicket_throttled_total 1"), "{m}");
}

#[tokio::test]
async fn clients_are_throttled_by_their_real_address_not_the_proxys() {
    let fx = fixture();
    // Five wrong passwords for five names from one real client (nginx passes X-Real-IP).
    let from = |ip: &'static str| ("x-real-ip", ip.as_bytes());
    for who in ["u1", "u2", "u3", "u4", "u5"] {
        let r = get(&fx, "/auth", &[("authorization", &basic(who, "guess")), from("203.0.113.7")]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // That client is locked out, even with bob's right password...
    let bob = basic("bob", "pw-bob");
    assert_eq!(
        get(&fx, "/auth", &[("authorization", &bob), from("203.0.113.7")]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // ...another client is not.
    assert_eq!(get(&fx, "/auth", &[("authorization", &bob), from("203.0.113.8")]).await.status(), StatusCode::OK);
    // Without X-Real-IP every request seems to come from the proxy: no per-client lockout
    // then (one attacker must not lock out everyone behind nginx); per-user still applies.
    for who in ["v1", "v2", "v3", "v4", "v5", "v6"] {
        get(&fx, "/auth", &[("authorization", &basic(who, "guess"))]).await;
    }
    assert_eq!(get(&fx, "/auth", &[("authorization", &bob)]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn cache_is_invalidated_by_a_lock_or_a_password_change() {
    let fx = fixture();
    let ok = basic("alice", "pw-alice");
    assert_eq!(get(&fx, "/auth", &[("authorization", &ok)]).await.status(), StatusCode::OK);
    assert_eq!(get(&fx, "/auth", &[("authorization", &ok)]).await.status(), StatusCode::OK);
    assert_eq!(fx.app.runtime().auth.stats().cache_hits.load(Ordering::Relaxed), 1);
    let mut store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    store.set_state("alice", AccountState::Locked, T0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get(&fx, "/auth", &[("authorization", &ok)]).await.status(), StatusCode::UNAUTHORIZED);
    store.set_state("alice", AccountState::Active, T0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get(&fx, "/auth", &[("authorization", &ok)]).await.status(), StatusCode::OK);
    store.remove_member("alice", "admins").unwrap_or_else(|e| panic!("{e}"));
    let r = get(&fx, "/auth?group=admins", &[("authorization", &ok)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "group change must be seen at once");
}

#[tokio::test]
async fn bearer_tokens_and_scopes() {
    let fx = fixture();
    let mut store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let tok = wicket_core::token::generate();
    store
        .add_token("alice", "ci", &wicket_core::token::hash(tok.expose()), &["read".into()], Some(T0 + 100), T0)
        .unwrap_or_else(|e| panic!("{e}"));
    let h = format!("Bearer {}", tok.expose_str().unwrap_or_default()).into_bytes();
    let r = get(&fx, "/auth", &[("authorization", &h)]).await;
    assert_eq!((r.status(), header(&r, "remote-user")), (StatusCode::OK, "alice".to_string()));
    assert_eq!(get(&fx, "/auth?scope=read", &[("authorization", &h)]).await.status(), StatusCode::OK);
    let r = get(&fx, "/auth?scope=write", &[("authorization", &h)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(challenges(&r)[0].contains("error=\"insufficient_scope\""));
    let r = get(&fx, "/auth", &[("authorization", b"Bearer wkt_0000000000000000000000000000")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(challenges(&r)[0].contains("error=\"invalid_token\""), "tried scheme goes first: {:?}", challenges(&r));
    // last_used is buffered, then written in one go.
    fx.app.flush_token_uses();
    let t = store.list_tokens(Some("alice")).unwrap_or_default();
    assert_eq!(t[0].last_used_at, Some(T0));
    fx.clock.advance(100);
    assert_eq!(get(&fx, "/auth", &[("authorization", &h)]).await.status(), StatusCode::UNAUTHORIZED, "expired");
    fx.clock.set(T0);
    store.revoke_token("alice", "ci", T0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get(&fx, "/auth", &[("authorization", &h)]).await.status(), StatusCode::UNAUTHORIZED, "revoked");
}

/// A Digest client: takes the challenge's nonce/opaque and answers for `uri`.
fn digest_answer(ch: &str, alg: Algorithm, user: &str, pw: &str, method: &str, uri: &str, nc: &str) -> Vec<u8> {
    let field = |name: &str| -> String {
        let start = ch.find(&format!("{name}=\"")).map(|i| i + name.len() + 2).unwrap_or(0);
        ch[start..].split('"').next().unwrap_or_default().to_string()
    };
    let (nonce, opaque) = (field("nonce"), field("opaque"));
    let h1 = ha1(alg, user, "wicket", pw.as_bytes());
    let cnonce = "0a4f113b";
    let p = ResponseParams { nonce: &nonce, nc, cnonce, qop: "auth", method, uri };
    let resp = expected_response(alg, h1.expose(), &p);
    format!(
        "Digest username=\"{user}\", realm=\"wicket\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm={}, \
         qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{resp}\", opaque=\"{opaque}\"",
        alg.as_str()
    )
    .into_bytes()
}

#[tokio::test]
async fn digest_round_trip_replay_stale_and_uri_binding() {
    let fx = fixture();
    let first = challenges(&get(&fx, "/auth", &[]).await);
    let ch = first.iter().find(|c| c.contains("SHA-256")).cloned().unwrap_or_default();
    let a = digest_answer(&ch, Algorithm::Sha256, "alice", "pw-alice", "GET", "/app/x", "00000001");
    let orig: &[(&str, &[u8])] = &[("x-original-uri", b"/app/x"), ("x-original-method", b"GET")];
    let with = |auth: &[u8]| {
        let mut v: Vec<(&str, Vec<u8>)> = orig.iter().map(|(k, v)| (*k, v.to_vec())).collect();
        v.push(("authorization", auth.to_vec()));
        v
    };
    let send = |h: Vec<(&'static str, Vec<u8>)>| {
        let app = fx.app.clone();
        async move {
            let hs: Vec<(&str, &[u8])> = h.iter().map(|(k, v)| (*k, v.as_slice())).collect();
            handle(app, peer(), req("/auth", &hs)).await
        }
    };
    let r = send(with(&a)).await;
    assert_eq!((r.status(), header(&r, "remote-user")), (StatusCode::OK, "alice".to_string()));
    // Same (nonce, nc) again: replay.
    assert_eq!(send(with(&a)).await.status(), StatusCode::UNAUTHORIZED);
    // Next nc is fine.
    let a2 = digest_answer(&ch, Algorithm::Sha256, "alice", "pw-alice", "GET", "/app/x", "00000002");
    assert_eq!(send(with(&a2)).await.status(), StatusCode::OK);
    // A response computed for another URI than the one nginx reports.
    let other = digest_answer(&ch, Algorithm::Sha256, "alice", "pw-alice", "GET", "/other", "00000003");
    assert_eq!(send(with(&other)).await.status(), StatusCode::UNAUTHORIZED);
    // A2 uses X-Original-Method.
    let post = digest_answer(&ch, Algorithm::Sha256, "alice", "pw-alice", "POST", "/app/x", "00000004");
    assert_eq!(send(with(&post)).await.status(), StatusCode::UNAUTHORIZED);
    // MD5 is offered in this fixture and works too.
    let md5ch = first.iter().find(|c| c.contains("MD5")).cloned().unwrap_or_default();
    let m = digest_answer(&md5ch, Algorithm::Md5, "alice", "pw-alice", "GET", "/app/x", "00000005");
    assert_eq!(send(with(&m)).await.status(), StatusCode::OK);
    // Wrong password and unknown user.
    let w = digest_answer(&ch, Algorithm::Sha256, "alice", "nope", "GET", "/app/x", "00000009");
    assert_eq!(send(with(&w)).await.status(), StatusCode::UNAUTHORIZED);
    let u = digest_answer(&ch, Algorithm::Sha256, "zed", "nope", "GET", "/app/x", "00000001");
    assert_eq!(send(with(&u)).await.status(), StatusCode::UNAUTHORIZED);
    // After the nonce lifetime: 401 with stale=true, the Digest challenge first.
    fx.clock.advance(301);
    let late = digest_answer(&ch, Algorithm::Sha256, "alice", "pw-alice", "GET", "/app/x", "00000006");
    let r = send(with(&late)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let c = challenges(&r);
    assert!(c[0].starts_with("Digest") && c[0].contains("stale=true"), "{c:?}");
    // A wrong password on an expired nonce is a plain failure: stale=true would make the
    // client retry the same wrong password without asking its user.
    let late_wrong = digest_answer(&ch, Algorithm::Sha256, "alice", "nope", "GET", "/app/x", "00000008");
    let r = send(with(&late_wrong)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(!challenges(&r).iter().any(|c| c.contains("stale=true")), "{:?}", challenges(&r));
    // A nonce this process never issued (one from before a restart), answered with the right
    // password: 401 with stale=true, and no failure counted against the user.
    let foreign = ch.replace("nonce=\"", "nonce=\"Zz");
    let forged = digest_answer(&foreign, Algorithm::Sha256, "alice", "pw-alice", "GET", "/app/x", "00000001");
    for _ in 0..10 {
        let r = send(with(&forged)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(challenges(&r)[0].contains("stale=true"));
    }
    let fresh = challenges(&get(&fx, "/auth", &[]).await)[1].clone();
    let ok = digest_answer(&fresh, Algorithm::Sha256, "alice", "pw-alice", "GET", "/app/x", "00000001");
    assert_eq!(send(with(&ok)).await.status(), StatusCode::OK, "not locked out by stale nonces");
}

#[tokio::test]
async fn md5_is_refused_unless_offered() {
    let fx = fixture_with("");
    drop(fx);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("w.db");
    let cfg = Config::parse(&format!("[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\n", db.display()))
        .unwrap_or_else(|e| panic!("{e}"));
    let clock: SharedClock = Arc::new(ManualClock::new(T0));
    let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&db, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let rec = policy.record("alice", &Secret::from("pw-alice")).unwrap_or_else(|e| panic!("{e}"));
    store
        .add_user(&NewUser { name: "alice".into(), ..NewUser::default() }, &cfg.users, Some(&rec), T0)
        .unwrap_or_else(|e| panic!("{e}"));
    let app = App::new(Runtime::build(cfg, clock.clone()).unwrap_or_else(|e| panic!("{e:#}")), clock);
    let r = handle(app.clone(), peer(), req("/whoami", &[])).await;
    let ch = challenges(&r).into_iter().find(|c| c.starts_with("Digest")).unwrap_or_default();
    assert!(!challenges(&r).iter().any(|c| c.contains("MD5")));
    let m = digest_answer(&ch, Algorithm::Md5, "alice", "pw-alice", "GET", "/whoami", "00000001");
    assert_eq!(
        handle(app.clone(), peer(), req("/whoami", &[("authorization", &m)])).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let s = digest_answer(&ch, Algorithm::Sha256, "alice", "pw-alice", "GET", "/whoami", "00000001");
    assert_eq!(handle(app, peer(), req("/whoami", &[("authorization", &s)])).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_broken_store_is_unavailable_not_a_wrong_password() {
    let fx = fixture();
    // Break the store under the running service: the users table disappears.
    let conn = rusqlite_conn(&fx.db);
    conn.execute_batch("PRAGMA foreign_keys = OFF; DROP TABLE users;").unwrap_or_else(|e| panic!("{e}"));
    for who in [("alice", "pw-alice"), ("carol", "pw")] {
        let r = get(&fx, "/auth", &[("authorization", &basic(who.0, who.1))]).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{}", who.0);
        assert!(header(&r, "retry-after").parse::<u32>().is_ok());
    }
    assert_eq!(get(&fx, "/healthz", &[]).await.status(), StatusCode::OK, "the change counter still reads");
}

fn rusqlite_conn(db: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn unknown_paths_are_404_and_metrics_count() {
    let fx = fixture();
    assert_eq!(get(&fx, "/nope", &[]).await.status(), StatusCode::NOT_FOUND);
    get(&fx, "/auth", &[("authorization", &basic("alice", "pw-alice"))]).await;
    let r = get(&fx, "/metrics", &[]).await;
    let body = http_body_util::BodyExt::collect(r.into_body()).await.map(|b| b.to_bytes()).unwrap_or_default();
    let m = String::from_utf8_lossy(&body);
    assert!(m.contains("wicket_auth_decisions_total{scheme=\"basic\",outcome=\"accepted\"} 1"), "{m}");
    assert!(m.contains("wicket_http_responses_total{endpoint=\"other\",status=\"404\"} 1"), "{m}");
}
