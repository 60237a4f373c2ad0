//! Each scheme end to end: challenges, Basic, Bearer, Digest.

use super::*;

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
