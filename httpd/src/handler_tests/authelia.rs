//! Authelia's endpoints (`crate::authelia`): each alias answers like `/auth`, with the target
//! from its own header family, believed only from a trusted proxy.

use super::*;

const RULES: &str = "[[rule]]\npath = \"^/public/\"\npolicy = \"bypass\"\n\
    [[rule]]\nhost = \"admin.example.org\"\ngroups = [\"admins\"]\npolicy = \"authenticated\"\n\
    [[rule]]\npath = \"^/admin/\"\ngroups = [\"admins\"]\npolicy = \"authenticated\"\n";

const APP_HOST: (&str, &[u8]) = ("host", b"app.example.org");
const APP_FWD: (&str, &[u8]) = ("x-forwarded-host", b"app.example.org");

fn untrusted() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], 1))
}

async fn from(fx: &Fx, peer: SocketAddr, path: &str, headers: &[(&str, &[u8])]) -> Response<Body> {
    handle(fx.app.clone(), peer, req(path, headers)).await
}

/// With a host: the host rule in [`RULES`] refuses a request whose host is unknown.
async fn at(fx: &Fx, peer: SocketAddr, path: &str, host: (&str, &[u8]), headers: &[(&str, &[u8])]) -> Response<Body> {
    let mut all = headers.to_vec();
    if !all.iter().any(|(k, _)| *k == host.0) {
        all.push(host);
    }
    from(fx, peer, path, &all).await
}

/// 200 with Basic and Authelia's identity headers, 401 with a challenge, at every alias.
#[tokio::test]
async fn every_alias_answers_like_auth() {
    let fx = fixture();
    let alice = basic("alice", "pw-alice");
    let wrong = basic("alice", "nope");
    for path in ["/api/authz/forward-auth", "/api/authz/auth-request", "/api/authz/ext-authz/app/", "/api/verify"] {
        let r = get(&fx, path, &[("authorization", &alice)]).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&r, "remote-user"), "alice", "{path}");
        assert_eq!(header(&r, "remote-groups"), "admins", "{path}");
        assert_eq!(header(&r, "remote-email"), "alice@example.org", "{path}");
        for creds in [&[][..], &[("authorization", &wrong[..])][..]] {
            let r = get(&fx, path, creds).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
            assert!(challenges(&r).iter().any(|c| c.starts_with("Basic ")), "{path}");
        }
    }
    assert_eq!(get(&fx, "/api/authz/forward-auth/x", &[]).await.status(), StatusCode::NOT_FOUND);
}

/// Traefik/Caddy style: only `X-Forwarded-*` name the target.
#[tokio::test]
async fn forward_auth_reads_x_forwarded() {
    let fx = fixture_with(RULES);
    let (alice, bob) = (basic("alice", "pw-alice"), basic("bob", "pw-bob"));
    let p = "/api/authz/forward-auth";
    let public: (&str, &[u8]) = ("x-forwarded-uri", b"/public/x");
    let admin: (&str, &[u8]) = ("x-forwarded-uri", b"/admin/x");
    assert_eq!(at(&fx, peer(), p, APP_FWD, &[public]).await.status(), StatusCode::OK);
    assert_eq!(at(&fx, peer(), p, APP_FWD, &[admin, ("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(at(&fx, peer(), p, APP_FWD, &[admin, ("authorization", &alice)]).await.status(), StatusCode::OK);
    let site: (&str, &[u8]) = ("x-forwarded-host", b"Admin.Example.org:443");
    assert_eq!(at(&fx, peer(), p, APP_FWD, &[site, ("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
    // Another family's headers, passed through by the proxy from a client, do not count.
    for spoof in [("x-original-uri", &b"/public/x"[..]), ("x-original-url", b"https://h/public/x")] {
        assert_eq!(at(&fx, peer(), p, APP_FWD, &[spoof]).await.status(), StatusCode::UNAUTHORIZED);
        let r = at(&fx, peer(), p, APP_FWD, &[admin, spoof, ("authorization", &bob)]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let r =
        at(&fx, peer(), p, APP_FWD, &[site, ("x-original-host", b"www.example.org"), ("authorization", &bob)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // From an untrusted peer the headers are not believed at all.
    assert_eq!(at(&fx, untrusted(), p, APP_HOST, &[public]).await.status(), StatusCode::UNAUTHORIZED);
}

/// nginx style: `X-Original-URL` is the whole URL; its host counts for host rules.
#[tokio::test]
async fn auth_request_reads_the_original_url() {
    let fx = fixture_with(RULES);
    let (alice, bob) = (basic("alice", "pw-alice"), basic("bob", "pw-bob"));
    let p = "/api/authz/auth-request";
    let url = |u: &'static str| ("x-original-url", u.as_bytes());
    assert_eq!(get(&fx, p, &[url("https://app.example.org/public/x?y=1")]).await.status(), StatusCode::OK);
    let admin = url("https://app.example.org/admin/x");
    assert_eq!(get(&fx, p, &[admin, ("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(get(&fx, p, &[admin, ("authorization", &alice)]).await.status(), StatusCode::OK);
    let site = url("https://ADMIN.example.org:8443/");
    assert_eq!(get(&fx, p, &[site, ("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(get(&fx, p, &[site, ("authorization", &alice)]).await.status(), StatusCode::OK);
    // The URL's host wins over a forwarded host the client may have sent.
    let r = get(&fx, p, &[site, ("x-forwarded-host", b"www.example.org"), ("authorization", &bob)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // X-Forwarded-Uri is not this family's.
    assert_eq!(get(&fx, p, &[admin, ("x-forwarded-uri", b"/public/x")]).await.status(), StatusCode::UNAUTHORIZED);
    let r = get(&fx, p, &[admin, ("x-original-uri", b"/public/x"), ("authorization", &bob)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "X-Original-URL names the target, not X-Original-URI");
    assert_eq!(
        at(&fx, untrusted(), p, APP_HOST, &[url("https://h/public/x")]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Envoy style: the original path follows the prefix (after one slash or two), the host is
/// `Host`, and the query is the application's.
#[tokio::test]
async fn ext_authz_reads_the_path_after_the_prefix() {
    let fx = fixture_with(RULES);
    let (alice, bob) = (basic("alice", "pw-alice"), basic("bob", "pw-bob"));
    for prefix in ["/api/authz/ext-authz", "/api/authz/ext-authz/"] {
        assert_eq!(at(&fx, peer(), &format!("{prefix}/public/x"), APP_HOST, &[]).await.status(), StatusCode::OK);
        let admin = format!("{prefix}/admin/x?group=nope");
        assert_eq!(at(&fx, peer(), &admin, APP_HOST, &[("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(at(&fx, peer(), &admin, APP_HOST, &[("authorization", &alice)]).await.status(), StatusCode::OK);
    }
    let site: (&str, &[u8]) = ("host", b"admin.example.org");
    let p = "/api/authz/ext-authz/app/";
    assert_eq!(at(&fx, peer(), p, APP_HOST, &[site, ("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
    let r =
        at(&fx, peer(), p, APP_HOST, &[site, ("x-forwarded-host", b"www.example.org"), ("authorization", &bob)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a client's X-Forwarded-Host does not move the host");
    let r = at(&fx, peer(), "/api/authz/ext-authz/admin/x", APP_HOST, &[("x-original-uri", b"/public/x")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = at(&fx, untrusted(), "/api/authz/ext-authz/public/x", APP_HOST, &[]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "an untrusted peer's target is its own request");
}

/// The legacy endpoint reads what `/auth` reads, and `X-Original-URL`.
#[tokio::test]
async fn verify_accepts_either_family() {
    let fx = fixture_with(RULES);
    let bob = basic("bob", "pw-bob");
    let p = "/api/verify";
    for h in [
        ("x-original-uri", &b"/public/x"[..]),
        ("x-forwarded-uri", b"/public/x"),
        ("x-original-url", b"https://app.example.org/public/x"),
    ] {
        assert_eq!(at(&fx, peer(), p, APP_FWD, &[h]).await.status(), StatusCode::OK);
        assert_eq!(at(&fx, untrusted(), p, APP_HOST, &[h]).await.status(), StatusCode::UNAUTHORIZED);
    }
    let site: (&str, &[u8]) = ("x-original-url", b"https://admin.example.org/");
    assert_eq!(get(&fx, p, &[site, ("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(get(&fx, "/api/verify?group=admins", &[("authorization", &bob)]).await.status(), StatusCode::FORBIDDEN);
}

/// Caddy's `forward_auth` with a bare `uri`, as Authelia's examples write it, passes the
/// client's query along: the alias ignores what is not Authelia's (it answered 500 for any
/// page with a query string), and a client's query can add no requirement.
#[tokio::test]
async fn forward_auth_ignores_the_clients_query() {
    let fx = fixture_with(RULES);
    let alice = basic("alice", "pw-alice");
    let bob = basic("bob", "pw-bob");
    let app: (&str, &[u8]) = ("x-forwarded-uri", b"/docs/?q=1&group=nobody");
    for path in ["/api/authz/forward-auth?q=1", "/api/authz/forward-auth?q=1&group=nobody&rd=https%3A%2F%2Fx"] {
        let r = at(&fx, peer(), path, APP_FWD, &[app, ("authorization", &alice)]).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&r, "remote-user"), "alice", "{path}");
    }
    // The rules still decide: bob is no admin.
    let admin: (&str, &[u8]) = ("x-forwarded-uri", b"/admin/?group=users");
    let r = at(&fx, peer(), "/api/authz/forward-auth?group=users", APP_FWD, &[admin, ("authorization", &bob)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
