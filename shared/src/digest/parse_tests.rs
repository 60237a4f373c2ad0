use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// RFC 7616 §3.9.1, the MD5 example (folded onto one line).
const RFC_MD5: &str = "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", \
    uri=\"/dir/index.html\", algorithm=MD5, \
    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, \
    cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, \
    response=\"8ca523f5e9506fed4657c9700eebdbec\", \
    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

/// A minimal valid SHA-256 credential list, before extra params.
fn base() -> String {
    format!(
        "username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"{}\", \
         algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
        "a".repeat(64)
    )
}

fn parse(s: &str) -> Result<DigestResponse, DigestError> {
    parse_digest(s.as_bytes())
}

#[test]
fn rfc7616_md5_example_header() {
    let r = parse_authorization(RFC_MD5.as_bytes()).expect("parses");
    assert_eq!(r.username, "Mufasa");
    assert!(!r.userhash);
    assert_eq!(r.realm, "http-auth@example.org");
    assert_eq!(r.uri, "/dir/index.html");
    assert_eq!(r.algorithm, Algorithm::Md5);
    assert_eq!(r.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
    assert_eq!(r.response, "8ca523f5e9506fed4657c9700eebdbec");
    assert_eq!(r.opaque.as_deref(), Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"));
    let qop = r.qop.expect("qop");
    assert_eq!(qop.cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
    assert_eq!(qop.nc.value(), 1);
    assert_eq!(qop.nc.as_str(), "00000001");
}

#[test]
fn rfc7616_sha256_example_header() {
    let h = RFC_MD5.replace("algorithm=MD5", "algorithm=SHA-256").replace(
        "8ca523f5e9506fed4657c9700eebdbec",
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
    let r = parse_authorization(h.as_bytes()).expect("parses");
    assert_eq!(r.algorithm, Algorithm::Sha256);
}

#[test]
fn scheme_handling() {
    assert!(parse_authorization(RFC_MD5.replace("Digest", "dIgEsT").as_bytes()).is_ok());
    assert_eq!(parse_authorization(b"Basic dXNlcjpwYXNz"), Err(DigestError::NotDigest));
    assert_eq!(parse_authorization(b"Digestusername=\"x\""), Err(DigestError::NotDigest));
    assert_eq!(parse_authorization(b"Digest"), Err(DigestError::Missing("username")));
}

#[test]
fn names_are_case_insensitive_and_whitespace_is_optional() {
    let s = format!(
        "UserName = \"u\" ,REALM=\"r\",,  Nonce=n,uri=\"/\" ,\tresponse={},ALGORITHM=sha-256,\
         QOP=auth,NC=0000000a,CNonce=c,",
        "A".repeat(64)
    );
    let r = parse(&s).expect("parses");
    assert_eq!(r.username, "u");
    assert_eq!(r.nonce, "n");
    assert_eq!(r.response, "a".repeat(64), "response is folded to lowercase");
    let qop = r.qop.expect("qop");
    assert_eq!(qop.nc.value(), 10);
    assert_eq!(qop.nc.as_str(), "0000000a");
}

#[test]
fn algorithm_defaults_to_md5() {
    let s = base().replace(", algorithm=SHA-256", "").replace(&"a".repeat(64), &"b".repeat(32));
    assert_eq!(parse(&s).expect("parses").algorithm, Algorithm::Md5);
}

#[test]
fn quoted_strings_and_escapes() {
    let s = base().replace("username=\"u\"", r#"username="a\"b\\c d""#);
    assert_eq!(parse(&s).expect("parses").username, "a\"b\\c d");
    let s = base().replace("uri=\"/\"", r#"uri="/x,y=\"z\"""#);
    assert_eq!(parse(&s).expect("parses").uri, "/x,y=\"z\"");
    // An empty quoted value is a value (the nonce check will refuse it later).
    assert_eq!(parse(&base().replace("nonce=\"n\"", "nonce=\"\"")).expect("parses").nonce, "");
    // The last quote of the list is missing.
    let s = base().replace("cnonce=\"c\"", "cnonce=\"c");
    assert_eq!(parse(&s), Err(DigestError::UnterminatedQuote));
    // A missing quote earlier swallows the list up to the next quote: still refused.
    assert!(parse(&base().replace("uri=\"/\"", "uri=\"/")).is_err());
    assert_eq!(parse(&format!("{}, x=\"abc\\", base())), Err(DigestError::UnterminatedQuote));
    assert_eq!(parse(&format!("{}, x=\"", base())), Err(DigestError::UnterminatedQuote));
}

#[test]
fn utf8_usernames() {
    let s = base().replace("username=\"u\"", "username=\"Jäsøn\"");
    assert_eq!(parse(&s).expect("parses").username, "Jäsøn");
    let mut bytes = base().into_bytes();
    bytes.extend_from_slice(b", foo=\"\xff\"");
    // Unknown parameters must still be well-formed, but their text is never decoded.
    assert!(parse_digest(&bytes).is_ok());
    let bytes = base().replace("username=\"u\"", "username=\"\u{1}\"").into_bytes();
    assert_eq!(parse_digest(&bytes), Err(DigestError::ControlCharacter));
    let mut bytes = b"username=\"\xc3\x28\", ".to_vec();
    bytes.extend_from_slice(base().replace("username=\"u\", ", "").as_bytes());
    assert_eq!(parse_digest(&bytes), Err(DigestError::NotUtf8("username")));
    // C1 controls (U+0085) are refused after decoding.
    let s = base().replace("username=\"u\"", "username=\"a\u{85}b\"");
    assert_eq!(parse(&s), Err(DigestError::ControlCharacter));
}

#[test]
fn username_star() {
    let s = base().replace("username=\"u\"", "username*=UTF-8''J%C3%A4s%C3%B8n");
    assert_eq!(parse(&s).expect("parses").username, "Jäsøn");
    let s = base().replace("username=\"u\"", "USERNAME*=utf-8'en'J%c3%a4s");
    assert_eq!(parse(&s).expect("parses").username, "Jäs");
    let both = format!("{}, username*=UTF-8''x", base());
    assert_eq!(parse(&both), Err(DigestError::UsernameConflict));
    for bad in ["ISO-8859-1''x", "UTF-8'x", "x", "UTF-8''%C3", "UTF-8''%G1", "UTF-8''a'b", "UTF-8''", "UTF-8'e n'x"] {
        let s = base().replace("username=\"u\"", &format!("username*=\"{bad}\""));
        assert!(parse(&s).is_err(), "{bad} must be refused");
    }
    let s = base().replace("username=\"u\"", "username*=UTF-8''%C3%28");
    assert_eq!(parse(&s), Err(DigestError::NotUtf8("username*")));
    let s = base().replace("username=\"u\"", "username*=UTF-8''a%0Ab");
    assert_eq!(parse(&s), Err(DigestError::ControlCharacter));
}

#[test]
fn userhash() {
    let hash = "F".repeat(64);
    let s = format!("{}, userhash=true", base().replace("username=\"u\"", &format!("username=\"{hash}\"")));
    let r = parse(&s).expect("parses");
    assert!(r.userhash);
    assert_eq!(r.username, "f".repeat(64));
    let s = format!("{}, userhash=TRUE", base());
    assert_eq!(parse(&s), Err(DigestError::BadValue("username")), "not a hash");
    let s = format!("{}, userhash=false", base());
    assert!(!parse(&s).expect("parses").userhash);
    let s = format!("{}, userhash=yes", base());
    assert_eq!(parse(&s), Err(DigestError::BadValue("userhash")));
    let s = format!("{}, userhash=true", base().replace("username=\"u\"", "username*=UTF-8''ab"));
    assert_eq!(parse(&s), Err(DigestError::BadValue("username*")));
}

#[test]
fn duplicates_are_refused() {
    for (extra, name) in [
        ("realm=\"r\"", "realm"),
        ("REALM=r", "realm"),
        ("nc=00000002", "nc"),
        ("Response=x", "response"),
        ("qop=auth", "qop"),
        ("username=v", "username"),
    ] {
        let s = format!("{}, {extra}", base());
        assert_eq!(parse(&s), Err(DigestError::Duplicate(name)), "{extra}");
    }
    // Unknown parameters are ignored, even repeated.
    assert!(parse(&format!("{}, foo=1, foo=\"2\"", base())).is_ok());
}

#[test]
fn missing_fields_are_refused() {
    for (field, name) in [
        ("username=\"u\", ", "username"),
        ("realm=\"r\", ", "realm"),
        ("nonce=\"n\", ", "nonce"),
        ("uri=\"/\", ", "uri"),
        (", nc=00000001", "nc"),
        (", cnonce=\"c\"", "cnonce"),
    ] {
        let s = base().replace(field, "");
        assert_eq!(parse(&s), Err(DigestError::Missing(name)), "{field}");
    }
    let s = base().replace(&format!("response=\"{}\", ", "a".repeat(64)), "");
    assert_eq!(parse(&s), Err(DigestError::Missing("response")));
    // nc and cnonce without qop.
    assert_eq!(parse(&base().replace(", qop=auth", "")), Err(DigestError::Missing("qop")));
    // An RFC 2069 response (no qop, no nc, no cnonce) parses; the verifier refuses it.
    let s = base().replace(", qop=auth, nc=00000001, cnonce=\"c\"", "");
    assert_eq!(parse(&s).expect("parses").qop, None);
    assert_eq!(parse(""), Err(DigestError::Missing("username")));
}

#[test]
fn bad_values_are_refused() {
    for nc in ["0000001", "000000001", "0000000g", "+0000001", "\"\"", "-0000001", " "] {
        let s = base().replace("nc=00000001", &format!("nc={nc}"));
        assert!(parse(&s).is_err(), "nc={nc}");
    }
    assert_eq!(parse(&base().replace("nc=00000001", "nc=\"0000001x\"")), Err(DigestError::BadValue("nc")));
    let s = base().replace("nc=00000001", "nc=FFFFFFFF");
    assert_eq!(parse(&s).expect("parses").qop.expect("qop").nc.value(), u32::MAX);
    for qop in ["auth-int", "AUTH", "auth,auth-int", "\"auth,auth-int\""] {
        let s = base().replace("qop=auth", &format!("qop={qop}"));
        assert!(parse(&s).is_err(), "qop={qop}");
    }
    assert_eq!(parse(&base().replace("qop=auth", "qop=\"auth-int\"")), Err(DigestError::UnsupportedQop));
    assert!(parse(&base().replace("qop=auth", "qop=\"auth\"")).expect("parses").qop.is_some());
    for alg in ["MD5-sess", "SHA-256-sess", "SHA-512-256", "sha1", "\"\""] {
        let s = base().replace("algorithm=SHA-256", &format!("algorithm={alg}"));
        assert_eq!(parse(&s), Err(DigestError::UnsupportedAlgorithm), "{alg}");
    }
    // Response length must match the algorithm.
    let s = base().replace("algorithm=SHA-256", "algorithm=MD5");
    assert_eq!(parse(&s), Err(DigestError::BadValue("response")));
    let s = base().replace(&"a".repeat(64), &format!("{}g", "a".repeat(63)));
    assert_eq!(parse(&s), Err(DigestError::BadValue("response")));
    assert_eq!(parse(&base().replace("username=\"u\"", "username=\"\"")), Err(DigestError::BadValue("username")));
    assert_eq!(parse(&base().replace("cnonce=\"c\"", "cnonce=\"\"")), Err(DigestError::BadValue("cnonce")));
}

#[test]
fn syntax_errors_and_control_characters() {
    for s in [
        "username",
        "username=",
        "username=,",
        "=x",
        "username \"u\"",
        "username=\"u\" realm=\"r\"",
        "username=u=v",
        "dXNlcjpwYXNz",
        "username=\"u\"x",
    ] {
        assert!(matches!(parse(s), Err(DigestError::Syntax(_))), "{s}: {:?}", parse(s));
    }
    for s in [
        base().replace("uri=\"/\"", "uri=\"/\r\n\""),
        base().replace(", realm", ",\r\n realm"),
        base().replace("uri=\"/\"", "uri=\"/\0\""),
        base().replace("uri=\"/\"", "uri=\"/\t\""),
        base().replace("uri=\"/\"", "uri=\"/\\\t\""),
        base().replace("uri=\"/\"", "uri=\"/\x7f\""),
        format!("{}\n", base()),
    ] {
        assert_eq!(parse(&s), Err(DigestError::ControlCharacter), "{s:?}");
    }
    // HTAB is fine as whitespace between items.
    assert!(parse(&base().replace(", ", ",\t")).is_ok());
}

#[test]
fn length_and_count_caps() {
    let pad = MAX_CREDENTIALS_LEN - base().len() - ", x=\"\"".len();
    let s = format!("{}, x=\"{}\"", base(), "y".repeat(pad));
    assert_eq!(s.len(), MAX_CREDENTIALS_LEN);
    assert!(parse(&s).is_ok());
    let s = format!("{}, x=\"{}\"", base(), "y".repeat(pad + 1));
    assert_eq!(parse(&s), Err(DigestError::TooLong));
    let mut h = b"Digest ".to_vec();
    h.extend_from_slice(s.as_bytes());
    assert_eq!(parse_authorization(&h), Err(DigestError::TooLong));
    let many: String = (0..MAX_PARAMETERS).map(|i| format!(", x{i}=1")).collect();
    assert_eq!(parse(&format!("{}{many}", base())), Err(DigestError::TooManyParameters));
}

#[test]
fn debug_hides_the_response() {
    let r = parse(&base()).expect("parses");
    let dbg = format!("{r:?}");
    assert!(!dbg.contains(&"a".repeat(64)), "{dbg}");
    assert!(dbg.contains("***"));
}

#[test]
fn garbage_never_panics() {
    let mut rng = StdRng::seed_from_u64(0x005e_edd1_6e57);
    // Random bytes, biased towards the interesting ones.
    const ALPHABET: &[u8] = b"\"\\=, \t'%*aA0fF-\r\n\x00\x7f\xc3\xa4\xffusername*realmnonceuriqopnc";
    for _ in 0..20_000 {
        let len = rng.gen_range(0..200);
        let bytes: Vec<u8> = (0..len)
            .map(|_| if rng.gen_bool(0.7) { ALPHABET[rng.gen_range(0..ALPHABET.len())] } else { rng.r#gen::<u8>() })
            .collect();
        let _ = parse_digest(&bytes);
        let _ = parse_authorization(&bytes);
    }
    // Every truncation and every single-byte mutation of valid headers.
    let full = RFC_MD5.as_bytes();
    let sha = format!("Digest {}, userhash=false, username*=UTF-8''%41", base().replace("username=\"u\", ", ""));
    for valid in [full, sha.as_bytes()] {
        for end in 0..=valid.len() {
            let _ = parse_authorization(&valid[..end]);
            let _ = parse_digest(&valid[end..]);
        }
        for i in 0..valid.len() {
            for b in [0u8, b'"', b'\\', b',', b'=', b' ', b'%', b'\'', 0xff, 0x80] {
                let mut m = valid.to_vec();
                m[i] = b;
                let _ = parse_authorization(&m);
            }
        }
    }
    // Huge inputs are refused before any work.
    assert_eq!(parse_digest(&vec![b'"'; 1 << 20]), Err(DigestError::TooLong));
}
