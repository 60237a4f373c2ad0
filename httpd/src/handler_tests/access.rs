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
