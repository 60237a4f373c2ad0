//! Oracles shared by the fuzz targets in `fuzz_targets/`.
//!
//! A fuzz target that only calls a parser finds panics; these checks also turn a parser that
//! returns something its documentation rules out into a crash libFuzzer reports:
//!
//! - [`check_digest`]: what `wicket_core::digest::parse_digest` promises about an accepted
//!   [`DigestResponse`] (hex `response` of the algorithm's length, lowercase; no control
//!   characters; non-empty user name and `cnonce`; `nc` exactly 8 hex digits), and that
//!   writing it back out with [`to_params`] and parsing again gives the same value.
//! - [`check_presented`]: what `wicketd::credentials::Presented` documents for Basic and
//!   Bearer.

use wicketd::credentials::Presented;
use wicket_core::digest::{DigestResponse, parse_digest};

/// Panics unless `d` is what an accepted Digest response is documented to be, and unless it
/// survives a round trip through [`to_params`] and `parse_digest`.
pub fn check_digest(d: &DigestResponse) {
    let hex_len = d.algorithm.hex_len();
    assert!(is_lower_hex(&d.response, hex_len), "response is not {hex_len} lowercase hex digits");
    if d.userhash {
        assert!(is_lower_hex(&d.username, hex_len), "userhash username is not {hex_len} lowercase hex digits");
    }
    assert!(!d.username.is_empty(), "empty username accepted");
    for (name, value) in text_fields(d) {
        assert!(!value.chars().any(char::is_control), "control character in `{name}`");
    }
    if let Some(qop) = &d.qop {
        assert!(!qop.cnonce.is_empty(), "empty cnonce accepted");
        let nc = qop.nc.as_str();
        assert!(nc.len() == 8 && nc.bytes().all(|b| b.is_ascii_hexdigit()), "nc is not 8 hex digits");
        assert_eq!(u32::from_str_radix(nc, 16).ok(), Some(qop.nc.value()), "nc value differs from its text");
    }

    let again = to_params(d);
    match parse_digest(again.as_bytes()) {
        Ok(reparsed) => assert_eq!(&reparsed, d, "round trip changed the response"),
        Err(e) => panic!("round trip refused: {e:?}"),
    }
}

/// Panics unless a Basic or Bearer credential is what [`Presented`] documents.
pub fn check_presented(p: &Presented) {
    match p {
        Presented::Basic { user, password } => {
            assert!(!user.is_empty(), "empty Basic user accepted");
            assert!(!user.chars().any(char::is_control), "control character in Basic user");
            let password = password.expose_str().expect("Basic password is not UTF-8");
            assert!(!password.is_empty(), "empty Basic password accepted");
            assert!(!password.chars().any(char::is_control), "control character in Basic password");
        }
        Presented::Bearer(token) => {
            // RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
            let token = token.expose();
            let body_end = token.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
            assert!(body_end > 0, "Bearer token without a body accepted");
            assert!(
                token[..body_end].iter().all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)),
                "Bearer token is not a b64token"
            );
        }
        Presented::Digest(d) => check_digest(d),
        Presented::None | Presented::OtherScheme | Presented::Malformed { .. } => {}
    }
}

/// Writes `d` back as Digest auth-params (every text value quoted), so that `parse_digest`
/// on the result must give `d` again.
pub fn to_params(d: &DigestResponse) -> String {
    let mut out = String::new();
    let mut push = |name: &str, value: &str| {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push_str("=\"");
        for c in value.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    };
    push("username", &d.username);
    if d.userhash {
        push("userhash", "true");
    }
    push("realm", &d.realm);
    push("nonce", &d.nonce);
    push("uri", &d.uri);
    push("response", &d.response);
    push("algorithm", d.algorithm.as_str());
    if let Some(opaque) = &d.opaque {
        push("opaque", opaque);
    }
    if let Some(qop) = &d.qop {
        push("qop", "auth");
        push("cnonce", &qop.cnonce);
        push("nc", qop.nc.as_str());
    }
    out
}

fn text_fields(d: &DigestResponse) -> impl Iterator<Item = (&'static str, &str)> {
    [
        ("username", Some(d.username.as_str())),
        ("realm", Some(d.realm.as_str())),
        ("nonce", Some(d.nonce.as_str())),
        ("uri", Some(d.uri.as_str())),
        ("opaque", d.opaque.as_deref()),
        ("cnonce", d.qop.as_ref().map(|q| q.cnonce.as_str())),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value?)))
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
