//! The access decision as the proxy front renders it: rules, hosts, groups, scopes.

use super::*;

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

/// nginx without `proxy_set_header X-Forwarded-Host $host;` sends its upstream's name as
/// `Host`: a rule restricting a host must not be passed over then (issue 9 #5).
#[tokio::test]
async fn a_host_rule_without_host_information_fails_closed() {
    let fx = fixture_with(
        "[[rule]]\npath = \"^/health$\"\npolicy = \"bypass\"\n\
         [[rule]]\nhost = \"admin.example.org\"\ngroups = [\"admins\"]\npolicy = \"authenticated\"\n",
    );
    let bob = basic("bob", "pw-bob");
    let alice = basic("alice", "pw-alice");
    let upstream: (&str, &[u8]) = ("host", b"wicket");
    let orig: (&str, &[u8]) = ("x-original-uri", b"/app/");
    for who in [&bob, &alice] {
        let r = get(&fx, "/auth", &[upstream, orig, ("authorization", who)]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "host unknown: refused, whoever asks");
    }
    // A Host header naming the site, from the proxy, is still only the proxy's Host.
    let r = get(&fx, "/auth", &[("host", b"admin.example.org"), orig, ("authorization", &bob)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A rule before the host rule still decides.
    let health: (&str, &[u8]) = ("x-original-uri", b"/health");
    assert_eq!(get(&fx, "/auth", &[upstream, health]).await.status(), StatusCode::OK);
    // With the host forwarded the rule applies as written.
    let site: (&str, &[u8]) = ("x-forwarded-host", b"admin.example.org");
    assert_eq!(
        get(&fx, "/auth", &[upstream, site, orig, ("authorization", &bob)]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(get(&fx, "/auth", &[upstream, site, orig, ("authorization", &alice)]).await.status(), StatusCode::OK);
    let other: (&str, &[u8]) = ("x-forwarded-host", b"www.example.org");
    assert_eq!(get(&fx, "/auth", &[upstream, other, orig, ("authorization", &bob)]).await.status(), StatusCode::OK);
    // A direct (untrusted) client's own Host is its target's host.
    let direct = SocketAddr::from(([192, 0, 2, 1], 1));
    let r =
        handle(fx.app.clone(), direct, req("/auth", &[("host", b"www.example.org"), ("authorization", &bob)])).await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// A required scope lands in `WWW-Authenticate`; one that is not an RFC 6750 scope-token
/// must not break out of its quotes (issue 9 #16).
#[tokio::test]
async fn a_scope_cannot_break_the_challenges_quoting() {
    let fx = fixture();
    let mut store = Store::open(&fx.db, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let tok = wicket_core::token::generate();
    store
        .add_token("alice", "ci", &wicket_core::token::hash(tok.expose()), &["read".into()], None, T0)
        .unwrap_or_else(|e| panic!("{e}"));
    let h = format!("Bearer {}", tok.expose_str().unwrap_or_default()).into_bytes();
    let r = get(&fx, "/auth?scope=write", &[("authorization", &h)]).await;
    assert_eq!(
        challenges(&r),
        vec!["Bearer realm=\"wicket\", error=\"insufficient_scope\", scope=\"write\"".to_string()]
    );
    // `"` cannot reach through an HTTP/1 request line; a backslash can (the core refuses both).
    for evil in ["a\\", "a\\b", "x\\\\"] {
        let r = get(&fx, &format!("/auth?scope={evil}"), &[("authorization", &h)]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{evil}");
        assert_eq!(
            challenges(&r),
            vec!["Bearer realm=\"wicket\", error=\"insufficient_scope\"".to_string()],
            "not named: {evil}"
        );
    }
}

/// `users`, `all_groups` in rules and in the query; a misspelt requirement is never ignored.
#[tokio::test]
async fn user_and_every_group_requirements_and_misspelt_keys() {
    let fx = fixture_with(
        "[[rule]]\npath = \"^/mine/\"\nusers = [\"Bob\"]\npolicy = \"authenticated\"\n\
         [[rule]]\npath = \"^/both/\"\nall_groups = [\"admins\"]\npolicy = \"authenticated\"\n",
    );
    let alice = basic("alice", "pw-alice");
    let bob = basic("bob", "pw-bob");
    let status = |r: Response<Body>| r.status();
    let orig = |uri: &'static str| ("x-original-uri", uri.as_bytes());
    assert_eq!(status(get(&fx, "/auth", &[orig("/mine/x"), ("authorization", &bob)]).await), StatusCode::OK);
    assert_eq!(status(get(&fx, "/auth", &[orig("/mine/x"), ("authorization", &alice)]).await), StatusCode::FORBIDDEN);
    assert_eq!(status(get(&fx, "/auth", &[orig("/both/x"), ("authorization", &alice)]).await), StatusCode::OK);
    assert_eq!(status(get(&fx, "/auth", &[orig("/both/x"), ("authorization", &bob)]).await), StatusCode::FORBIDDEN);
    assert_eq!(status(get(&fx, "/auth?users=carol,ALICE", &[("authorization", &alice)]).await), StatusCode::OK);
    assert_eq!(status(get(&fx, "/auth?users=carol", &[("authorization", &alice)]).await), StatusCode::FORBIDDEN);
    assert_eq!(status(get(&fx, "/auth?all_groups=admins", &[("authorization", &alice)]).await), StatusCode::OK);
    let both = "/auth?all_groups=admins,nope";
    assert_eq!(status(get(&fx, both, &[("authorization", &alice)]).await), StatusCode::FORBIDDEN);
    for typo in ["/auth?grup=admins", "/auth?group=", "/auth?users=a,,b", "/auth?all_group=admins"] {
        let r = get(&fx, typo, &[("authorization", &alice)]).await;
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "{typo}: the proxy must not serve the page");
    }
}
