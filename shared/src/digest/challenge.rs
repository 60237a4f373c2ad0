//! The `WWW-Authenticate: Digest …` challenge (RFC 7616 §3.3).

use super::algorithm::Algorithm;

/// Appends `s` as a quoted-string: `"` and `\` escaped, control characters dropped (they
/// could split the header; the verifier's settings refuse them in the realm anyway).
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A Digest challenge, e.g. `Digest realm="wicket", qop="auth", algorithm=SHA-256,
/// nonce="…", opaque="…", charset=UTF-8, userhash=true` with `, stale=true` appended when the
/// client's nonce had expired (the client then retries without asking the user).
pub fn challenge(realm: &str, alg: Algorithm, nonce: &str, opaque: &str, stale: bool) -> String {
    let mut out = String::with_capacity(160 + realm.len());
    out.push_str("Digest realm=");
    push_quoted(&mut out, realm);
    out.push_str(", qop=\"auth\", algorithm=");
    out.push_str(alg.as_str());
    out.push_str(", nonce=");
    push_quoted(&mut out, nonce);
    out.push_str(", opaque=");
    push_quoted(&mut out, opaque);
    out.push_str(", charset=UTF-8, userhash=true");
    if stale {
        out.push_str(", stale=true");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        assert_eq!(
            challenge("wicket", Algorithm::Sha256, "N", "O", false),
            "Digest realm=\"wicket\", qop=\"auth\", algorithm=SHA-256, nonce=\"N\", \
             opaque=\"O\", charset=UTF-8, userhash=true"
        );
        assert!(challenge("wicket", Algorithm::Md5, "N", "O", true).ends_with(", stale=true"));
        assert!(challenge("wicket", Algorithm::Md5, "N", "O", true).contains("algorithm=MD5,"));
    }

    #[test]
    fn realm_is_quoted_and_cannot_split_the_header() {
        let c = challenge("a\"b\\c\r\nX-Evil: 1", Algorithm::Sha256, "N", "O", false);
        assert!(c.starts_with(r#"Digest realm="a\"b\\cX-Evil: 1", "#), "{c}");
        assert!(!c.contains('\r') && !c.contains('\n'));
    }

    #[test]
    fn challenge_round_trips_through_the_parser_grammar() {
        // The realm as the client will echo it back (quoted the same way) parses to the
        // original text.
        let realm = "we \"quote\" \\ things";
        let c = challenge(realm, Algorithm::Sha256, "N", "O", false);
        let quoted = c.strip_prefix("Digest realm=").and_then(|rest| rest.split(", qop=").next()).expect("realm");
        let header = format!(
            "username=\"u\", realm={quoted}, nonce=\"n\", uri=\"/\", response=\"{}\", \
             algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
            "0".repeat(64)
        );
        let parsed = super::super::parse_digest(header.as_bytes()).expect("parses");
        assert_eq!(parsed.realm, realm);
    }
}
