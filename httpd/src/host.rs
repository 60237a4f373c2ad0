//! The `Host` rule (RFC 9112 §3.2): an HTTP/1.1 request carries exactly one `Host`, and no
//! request carries two. The direct endpoints (`/whoami`, `/healthz`, `/metrics`, anything
//! unknown) answer 400 otherwise. The access check (`/auth`, `/auth/nginx`, `/auth/forward`)
//! is exempt: it never answers 400, which nginx would turn into a 500; nginx always sends a
//! `Host`, and a missing one leaves the target's host unknown, which host rules handle.

use crate::body::Body;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Request, Response, StatusCode, Version};

/// True for the access-check paths, which never answer 400.
pub fn is_access_check(path: &str) -> bool {
    matches!(path, "/auth" | "/auth/nginx" | "/auth/forward")
}

/// The 400 answer for a request that breaks the `Host` rule on a direct endpoint.
pub fn check<B>(req: &Request<B>) -> Option<Response<Body>> {
    if is_access_check(req.uri().path()) {
        return None;
    }
    let hosts = req.headers().get_all(HOST).iter().count();
    let needs_one = req.version() >= Version::HTTP_11;
    let why = match hosts {
        0 if needs_one => "HTTP/1.1 request without Host\n",
        0 | 1 => return None,
        _ => "more than one Host header\n",
    };
    let mut r = Response::new(Full::new(Bytes::from_static(why.as_bytes())));
    *r.status_mut() = StatusCode::BAD_REQUEST;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, version: Version, hosts: &[&'static str]) -> Request<()> {
        let mut b = Request::builder().uri(path).version(version);
        for h in hosts {
            b = b.header(HOST, *h);
        }
        b.body(()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn status(r: &Request<()>) -> Option<u16> {
        check(r).map(|r| r.status().as_u16())
    }

    #[test]
    fn direct_endpoints_need_exactly_one_host() {
        for path in ["/whoami", "/healthz", "/metrics", "/nope"] {
            assert_eq!(status(&req(path, Version::HTTP_11, &[])), Some(400), "{path}");
            assert_eq!(status(&req(path, Version::HTTP_11, &["a", "b"])), Some(400), "{path}");
            assert_eq!(status(&req(path, Version::HTTP_10, &["a", "a"])), Some(400), "{path}");
            assert_eq!(status(&req(path, Version::HTTP_11, &["a"])), None, "{path}");
            assert_eq!(status(&req(path, Version::HTTP_10, &[])), None, "{path}");
        }
    }

    #[test]
    fn the_access_check_never_answers_400() {
        for path in ["/auth", "/auth/nginx", "/auth/forward"] {
            assert_eq!(status(&req(path, Version::HTTP_11, &[])), None, "{path}");
            assert_eq!(status(&req(path, Version::HTTP_11, &["a", "b"])), None, "{path}");
        }
    }
}
