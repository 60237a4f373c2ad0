//! Fuzzes a whole `Authorization` header value: `wicketd::credentials::parse` (the Basic /
//! Digest / Bearer dispatch the handler calls), plus, for `Digest ` values, the Digest parser
//! called directly on the credentials and on the whole value, which must agree with it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wicket_fuzz::{check_digest, check_presented};
use wicketd::credentials::{self, Presented};
use wicketd::digest::{MAX_CREDENTIALS_LEN, parse_authorization, parse_digest};

fuzz_target!(|data: &[u8]| {
    let presented = credentials::parse(data);
    check_presented(&presented);

    let Some(rest) = data.strip_prefix(b"Digest ") else { return };
    let direct = parse_digest(rest);
    if let Ok(d) = &direct {
        check_digest(d);
    }
    // Past the cap `parse_authorization` counts the scheme too, so only below it must it
    // give exactly what `parse_digest` gives for the bytes after the scheme.
    if data.len() <= MAX_CREDENTIALS_LEN {
        assert_eq!(parse_authorization(data), direct, "parse_authorization disagrees with parse_digest");
    }

    // `credentials::parse` trims trailing whitespace first, which never changes whether or
    // how the credentials parse (only, at most, which error). `Malformed { scheme: None }` is
    // its length cap, applied to the whole value rather than to the credentials.
    match (&presented, &direct) {
        (Presented::Malformed { scheme: None, .. }, _) => {}
        (Presented::Digest(via_dispatch), Ok(d)) => assert_eq!(&**via_dispatch, d, "dispatch and parse_digest differ"),
        (Presented::Malformed { scheme: Some("digest"), .. }, Err(_)) => {}
        (p, r) => panic!("credentials::parse gave {} but parse_digest gave {:?}", p.scheme(), r.as_ref().err()),
    }
});
