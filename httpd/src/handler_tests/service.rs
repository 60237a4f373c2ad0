//! The service around the decision: bad input, throttling, the cache, a broken store, metrics.

use super::*;

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
