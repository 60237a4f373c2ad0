//! Fuzzes `wicketd::digest::parse_digest`, the Digest auth-param parser (the bytes after
//! `Digest `), directly: it must never panic, and what it accepts must satisfy the checks in
//! `wicket_fuzz::check_digest` (including a write-out-and-reparse round trip).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wicket_fuzz::check_digest;
use wicketd::digest::parse_digest;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = parse_digest(data) {
        check_digest(&d);
    }
});
