use super::*;
use hyper::StatusCode;

fn trusted() -> Vec<Cidr> {
    vec![Cidr::parse("127.0.0.1/32").unwrap_or_else(|e| panic!("{e}"))]
}

const ENVOY: Peer = Peer::Tcp(IpAddr::V4(Ipv4Addr::LOCALHOST));

fn request(headers: &[(&str, &str)]) -> CheckRequest {
    CheckRequest {
        source: Some("203.0.113.9".into()),
        method: "POST".into(),
        path: "/admin/x?y=1".into(),
        host: "App.Example.org:8443".into(),
        scheme: "http".into(),
        headers: headers.iter().map(|(k, v)| ((*k).to_string(), v.as_bytes().to_vec())).collect(),
    }
}

#[test]
fn the_target_is_envoys_never_the_clients_forwarded_headers() {
    let r = request(&[
        ("x-forwarded-host", "open.example.org"),
        ("x-original-uri", "/public/"),
        ("x-real-ip", "10.9.9.9"),
        ("x-forwarded-for", "10.9.9.9"),
        ("x-envoy-external-address", "10.9.9.9"),
    ]);
    let t = target(&r, ENVOY, &trusted()).unwrap_or_else(|| panic!("no target"));
    assert_eq!((t.method.as_str(), t.uri.as_str()), ("POST", "/admin/x?y=1"));
    assert_eq!(t.host.as_deref(), Some("app.example.org"));
    assert_eq!((t.client, t.client_is_proxy), (IpAddr::from([203, 0, 113, 9]), false));
}

#[test]
fn without_a_source_the_client_is_the_proxy() {
    let mut r = request(&[]);
    r.source = None;
    let t = target(&r, ENVOY, &trusted()).unwrap_or_else(|| panic!("no target"));
    assert!(t.client_is_proxy);
    let t = target(&r, Peer::Unix, &[]).unwrap_or_else(|| panic!("no target"));
    assert!(t.client_is_proxy);
    r.method.clear();
    assert_eq!(target(&r, ENVOY, &trusted()), None);
}

#[test]
fn only_a_trusted_peer_is_believed() {
    assert!(believed(ENVOY, &trusted()));
    assert!(believed(Peer::Unix, &[]));
    assert!(!believed(Peer::Tcp(IpAddr::from([192, 0, 2, 7])), &trusted()));
}

#[test]
fn headers_keep_what_http_can_carry() {
    let r = request(&[(":authority", "x"), ("authorization", "Basic YTpi"), ("bad", "a\nb")]);
    let h = headers(&r);
    assert_eq!(h.len(), 1);
    assert_eq!(h.get("authorization").map(HeaderValue::as_bytes), Some(&b"Basic YTpi"[..]));
}

#[test]
fn a_grant_sets_identity_and_removes_what_it_does_not_set() {
    let mut ok = Response::new(());
    ok.headers_mut().insert("remote-user", HeaderValue::from_static("alice"));
    ok.headers_mut().insert("remote-groups", HeaderValue::from_static("admins"));
    ok.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    let want = CheckResponse::Ok {
        headers: vec![
            Header { name: "remote-user".into(), value: "alice".into(), append_action: OVERWRITE },
            Header { name: "remote-groups".into(), value: "admins".into(), append_action: OVERWRITE },
        ],
        remove: vec!["remote-name".into(), "remote-email".into()],
    };
    assert_eq!(render(&ok), want);
    // A bypass names nobody: every client copy goes.
    let CheckResponse::Ok { headers, remove } = render(&Response::new(())) else { panic!("not a grant") };
    assert_eq!((headers.len(), remove.len()), (0, 4));
}

#[test]
fn refusals_carry_status_and_headers() {
    let mut no = Response::new(());
    *no.status_mut() = StatusCode::UNAUTHORIZED;
    no.headers_mut().append("www-authenticate", HeaderValue::from_static("Basic realm=\"w\""));
    no.headers_mut().append("www-authenticate", HeaderValue::from_static("Bearer realm=\"w\""));
    no.headers_mut().insert("content-type", HeaderValue::from_static("text/plain"));
    let CheckResponse::Denied { grpc, http, headers, .. } = render(&no) else { panic!("not a denial") };
    assert_eq!((grpc, http), (code::UNAUTHENTICATED, 401));
    let names: Vec<(&str, u64)> = headers.iter().map(|h| (h.name.as_str(), h.append_action)).collect();
    assert_eq!(names, vec![("www-authenticate", ADD), ("www-authenticate", ADD)]);
    for (status, want) in [(403, code::PERMISSION_DENIED), (503, code::UNAVAILABLE)] {
        let mut r = Response::new(());
        *r.status_mut() = StatusCode::from_u16(status).unwrap_or_default();
        let CheckResponse::Denied { grpc, http, .. } = render(&r) else { panic!("not a denial") };
        assert_eq!((grpc, http), (want, status));
    }
}
