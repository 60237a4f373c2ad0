use super::*;

/// A `CheckRequest` as Envoy writes one, with fields wicketd does not read around the ones
/// it does.
fn envoy_request(header_map: bool) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(99, b"unknown top-level field");
    w.nested(1, |attrs| {
        attrs.nested(2, |dest| dest.nested(1, |a| a.nested(1, |s| s.bytes(2, b"127.0.0.1"))));
        attrs.nested(1, |src| {
            src.bytes(2, b"service");
            src.nested(1, |a| {
                a.nested(1, |s| {
                    s.uint(1, 0);
                    s.bytes(2, b"203.0.113.9");
                    s.uint(3, 40000);
                });
            });
            src.bytes(4, b"principal");
        });
        attrs.nested(4, |req| {
            req.nested(1, |time| time.uint(1, 1_700_000_000));
            req.nested(2, |http| {
                http.bytes(1, b"request-id");
                http.bytes(2, b"POST");
                if header_map {
                    http.nested(13, |m| {
                        m.nested(1, |hv| {
                            hv.bytes(1, b"authorization");
                            hv.bytes(3, b"Basic YTpi");
                        });
                        m.nested(1, |hv| {
                            hv.bytes(1, b"x-raw");
                            hv.bytes(3, &[0xff, b'a']);
                        });
                    });
                } else {
                    http.nested(3, |e| {
                        e.bytes(1, b"authorization");
                        e.bytes(2, b"Basic YTpi");
                    });
                    http.nested(3, |e| {
                        e.bytes(1, b":authority");
                        e.bytes(2, b"app.example.org");
                    });
                }
                http.bytes(4, b"/x?q=1");
                http.bytes(5, b"app.example.org");
                http.bytes(6, b"https");
                http.bytes(7, b"q=1");
                http.uint(9, 12);
                http.bytes(10, b"HTTP/1.1");
            });
        });
        attrs.nested(10, |ctx| {
            ctx.bytes(1, b"k");
            ctx.bytes(2, b"v");
        });
    });
    w.buf
}

#[test]
fn the_fields_wicketd_needs_are_read_and_the_rest_skipped() {
    let req = CheckRequest::decode(&envoy_request(false)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        req,
        CheckRequest {
            source: Some("203.0.113.9".into()),
            method: "POST".into(),
            path: "/x?q=1".into(),
            host: "app.example.org".into(),
            scheme: "https".into(),
            headers: vec![
                ("authorization".into(), b"Basic YTpi".to_vec()),
                (":authority".into(), b"app.example.org".to_vec())
            ],
        }
    );
    let req = CheckRequest::decode(&envoy_request(true)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(req.headers, vec![("authorization".into(), b"Basic YTpi".to_vec()), ("x-raw".into(), vec![0xff, b'a'])]);
    assert_eq!(CheckRequest::decode(&[]), Ok(CheckRequest::default()));
}

#[test]
fn a_truncated_or_mistyped_request_is_malformed() {
    let whole = envoy_request(false);
    for cut in 1..whole.len() {
        // Every cut either fails or (at a field boundary of the outer message) reads less.
        if let Ok(req) = CheckRequest::decode(&whole[..cut]) {
            assert_ne!(req.path, "/x?q=1", "cut at {cut}");
        }
    }
    assert!(CheckRequest::decode(&whole[..whole.len() - 3]).is_err());
    // attributes as a varint instead of a message.
    assert!(CheckRequest::decode(&[0x08, 0x01]).is_err());
    // a method that is not UTF-8.
    let mut w = Writer::default();
    w.nested(1, |a| a.nested(4, |r| r.nested(2, |h| h.bytes(2, &[0xc3]))));
    assert!(CheckRequest::decode(&w.buf).is_err());
}

/// The fields of a message as (number, bytes or varint) for assertions.
fn fields(bytes: &[u8]) -> Vec<(u32, Value<'_>)> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while let Some(f) = r.next().unwrap_or_else(|e| panic!("{e}")) {
        out.push(f);
    }
    out
}

fn sub<'a>(v: &Value<'a>) -> &'a [u8] {
    match v {
        Value::Bytes(b) => b,
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn a_denial_carries_status_headers_and_body() {
    let r = CheckResponse::Denied {
        grpc: code::UNAUTHENTICATED,
        http: 401,
        headers: vec![
            Header { name: "www-authenticate".into(), value: "Basic realm=\"w\"".into(), append_action: ADD },
            Header { name: "www-authenticate".into(), value: "Bearer realm=\"w\"".into(), append_action: ADD },
        ],
        body: String::new(),
    };
    let bytes = r.encode();
    let top = fields(&bytes);
    assert_eq!(top.len(), 2);
    assert_eq!((top[0].0, fields(sub(&top[0].1))), (1, vec![(1, Value::Varint(16))]));
    assert_eq!(top[1].0, 2);
    let denied = fields(sub(&top[1].1));
    assert_eq!((denied[0].0, fields(sub(&denied[0].1))), (1, vec![(1, Value::Varint(401))]));
    let option = fields(sub(&denied[2].1));
    assert_eq!(option.len(), 1, "append_action 0 is left out");
    assert_eq!(
        fields(sub(&option[0].1)),
        vec![(1, Value::Bytes(b"www-authenticate")), (2, Value::Bytes(b"Bearer realm=\"w\""))]
    );
}

#[test]
fn a_grant_sets_identity_and_removes_the_rest() {
    let r = CheckResponse::Ok {
        headers: vec![Header { name: "remote-user".into(), value: "alice".into(), append_action: OVERWRITE }],
        remove: vec!["remote-name".into()],
    };
    let bytes = r.encode();
    let top = fields(&bytes);
    // status {} (code 0 is left out), then ok_response.
    assert_eq!((top[0].0, sub(&top[0].1)), (1, &[][..]));
    assert_eq!(top[1].0, 3);
    let ok = fields(sub(&top[1].1));
    assert_eq!(ok[0].0, 2);
    let option = fields(sub(&ok[0].1));
    assert_eq!(option[1], (3, Value::Varint(OVERWRITE)));
    assert_eq!(fields(sub(&option[0].1)), vec![(1, Value::Bytes(b"remote-user")), (2, Value::Bytes(b"alice"))]);
    assert_eq!(ok[1], (5, Value::Bytes(b"remote-name")));
}
