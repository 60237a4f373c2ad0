//! What the client presented in `Authorization`: parsed strictly, never panicking, without
//! touching any backend. Malformed input becomes [`Presented::Malformed`] with a static
//! reason for the log; the caller answers 401 (400 outside the proxy endpoints).

use base64::Engine;
use hyper::header::{AUTHORIZATION, HeaderMap};
use wicket_core::access::Tried;
use wicket_core::config::Scheme;
use wicket_core::digest::{DigestResponse, parse_digest};
use wicket_core::secret::Secret;

/// Longest `Authorization` value considered (hyper already caps the whole head at 8 KiB).
const MAX_AUTHORIZATION_LEN: usize = 4096;

/// The presented credential.
#[derive(Debug)]
pub enum Presented {
    /// No `Authorization` header.
    None,
    /// RFC 7617.
    Basic {
        /// User name (UTF-8, no control characters, non-empty).
        user: String,
        /// Password (UTF-8, no control characters, non-empty).
        password: Secret,
    },
    /// RFC 7616.
    Digest(Box<DigestResponse>),
    /// RFC 6750.
    Bearer(Secret),
    /// A scheme Wicket does not speak.
    OtherScheme,
    /// Present but unusable.
    Malformed {
        /// Which scheme it claimed, if recognisable (for the right challenge/error).
        scheme: Option<Scheme>,
        /// Why, for the log.
        why: &'static str,
    },
}

impl Presented {
    /// Which scheme was tried (a malformed credential counts under the scheme it claimed).
    pub fn scheme(&self) -> Tried {
        match self {
            Self::None => Tried::Nothing,
            Self::Basic { .. } => Tried::Scheme(Scheme::Basic),
            Self::Digest(_) => Tried::Scheme(Scheme::Digest),
            Self::Bearer(_) => Tried::Scheme(Scheme::Bearer),
            Self::OtherScheme => Tried::Other,
            Self::Malformed { scheme, .. } => scheme.map_or(Tried::Malformed, Tried::Scheme),
        }
    }
}

/// Reads the `Authorization` header(s).
pub fn from_headers(headers: &HeaderMap) -> Presented {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else { return Presented::None };
    if values.next().is_some() {
        return Presented::Malformed { scheme: None, why: "more than one Authorization header" };
    }
    parse(value.as_bytes())
}

/// Parses one `Authorization` value.
pub fn parse(value: &[u8]) -> Presented {
    if value.len() > MAX_AUTHORIZATION_LEN {
        return Presented::Malformed { scheme: None, why: "Authorization header too long" };
    }
    let value = trim(value);
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(i) => (&value[..i], trim(&value[i..])),
        None => (value, &value[value.len()..]),
    };
    if scheme.eq_ignore_ascii_case(b"basic") {
        parse_basic(rest)
    } else if scheme.eq_ignore_ascii_case(b"digest") {
        match parse_digest(rest) {
            Ok(d) => Presented::Digest(Box::new(d)),
            Err(_) => Presented::Malformed { scheme: Some(Scheme::Digest), why: "unparsable Digest parameters" },
        }
    } else if scheme.eq_ignore_ascii_case(b"bearer") {
        parse_bearer(rest)
    } else {
        Presented::OtherScheme
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ' && c != b'\t').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ' && c != b'\t').map_or(start, |i| i + 1);
    &b[start..end.max(start)]
}

fn is_ctl(c: char) -> bool {
    c.is_control()
}

fn parse_basic(token68: &[u8]) -> Presented {
    let bad = |why| Presented::Malformed { scheme: Some(Scheme::Basic), why };
    if token68.is_empty() {
        return bad("empty Basic credentials");
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token68) else {
        return bad("invalid base64 in Basic credentials");
    };
    let decoded = Secret::new(decoded);
    // RFC 7617 with charset="UTF-8" asks for UTF-8; clients that ignore it (python
    // requests, old browsers) send ISO-8859-1, which maps byte-for-byte onto Unicode.
    let latin1;
    let text = match decoded.expose_str() {
        Some(t) => t,
        None => {
            latin1 = Secret::from_string(decoded.expose().iter().map(|&b| char::from(b)).collect());
            latin1.expose_str().unwrap_or_default()
        }
    };
    let Some((user, password)) = text.split_once(':') else { return bad("no ':' in Basic credentials") };
    if user.is_empty() || password.is_empty() {
        return bad("empty user or password");
    }
    if user.chars().any(is_ctl) || password.chars().any(is_ctl) {
        return bad("control character in Basic credentials");
    }
    Presented::Basic { user: user.to_string(), password: Secret::from(password) }
}

fn parse_bearer(token: &[u8]) -> Presented {
    let bad = |why| Presented::Malformed { scheme: Some(Scheme::Bearer), why };
    if token.is_empty() {
        return bad("empty Bearer token");
    }
    // RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    let body_end = token.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let ok_body = token[..body_end].iter().all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if body_end == 0 || !ok_body {
        return bad("Bearer token is not a b64token");
    }
    Presented::Bearer(Secret::new(token.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn b64(s: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn basic_splits_at_the_first_colon() {
        let p = parse(format!("Basic {}", b64(b"alice:pa:ss")).as_bytes());
        match p {
            Presented::Basic { user, password } => {
                assert_eq!(user, "alice");
                assert_eq!(password.expose(), b"pa:ss");
            }
            other => panic!("{other:?}"),
        }
        let p = parse(format!("bAsIc   {}", b64("jürgen:pässword".as_bytes())).as_bytes());
        assert!(matches!(p, Presented::Basic { ref user, .. } if user == "jürgen"));
    }

    #[test]
    fn basic_refuses_bad_input() {
        for raw in [
            "Basic".to_string(),
            "Basic ".to_string(),
            "Basic !!!notbase64".to_string(),
            format!("Basic {}", b64(b"nocolon")),
            format!("Basic {}", b64(b":pw")),
            format!("Basic {}", b64(b"user:")),
            format!("Basic {}", b64(b"us\x01er:pw")),
            format!("Basic {}", b64(b"user:p\nw")),
        ] {
            assert!(matches!(parse(raw.as_bytes()), Presented::Malformed { scheme: Some(Scheme::Basic), .. }), "{raw}");
        }
    }

    #[test]
    fn basic_falls_back_to_latin1() {
        let p = parse(format!("Basic {}", b64(b"carol:p\xe4ssword")).as_bytes());
        assert!(
            matches!(p, Presented::Basic { ref password, .. } if password.expose() == "pässword".as_bytes()),
            "{p:?}"
        );
        assert!(
            matches!(parse(format!("Basic {}", b64(b"\x85:pw")).as_bytes()), Presented::Malformed { .. }),
            "C1 control"
        );
    }

    #[test]
    fn bearer_shapes() {
        assert!(matches!(parse(b"Bearer wkt_abc"), Presented::Bearer(_)));
        assert!(matches!(parse(b"Bearer abc=="), Presented::Bearer(_)));
        for raw in [&b"Bearer"[..], b"Bearer ", b"Bearer a b", b"Bearer ===", b"Bearer \xff"] {
            assert!(matches!(parse(raw), Presented::Malformed { scheme: Some(Scheme::Bearer), .. }), "{raw:?}");
        }
    }

    #[test]
    fn other_and_duplicate_headers() {
        assert!(matches!(parse(b"Negotiate abc"), Presented::OtherScheme));
        assert!(matches!(parse(b""), Presented::OtherScheme));
        let mut h = HeaderMap::new();
        assert!(matches!(from_headers(&h), Presented::None));
        h.append(AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        h.append(AUTHORIZATION, HeaderValue::from_static("Bearer b"));
        assert!(matches!(from_headers(&h), Presented::Malformed { scheme: None, .. }));
        let long = format!("Basic {}", "A".repeat(5000));
        assert!(matches!(parse(long.as_bytes()), Presented::Malformed { .. }));
    }

    #[test]
    fn never_panics_on_junk() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..300 {
            let mut v = Vec::with_capacity(len + 7);
            v.extend_from_slice(["Basic ", "Digest ", "Bearer "][len % 3].as_bytes());
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                v.push((seed & 0xff) as u8);
            }
            let _ = parse(&v);
        }
    }
}
