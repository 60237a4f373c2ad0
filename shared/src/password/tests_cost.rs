//! The dummy verification for unknown users does the work of a real one: its hash is an
//! argon2id hash with exactly the configured memory, passes and lanes, so verifying against
//! it costs what verifying against a user's fresh hash costs. (That `LocalBackend` runs it
//! once per unknown user, like one real verification per wrong password, is checked by
//! counting argon2 runs in the integration tests' `cost.rs`.)

use super::*;

/// (memory KiB, passes, lanes) of a PHC string.
fn cost(phc: &str) -> Option<(u32, u32, u32)> {
    let parsed = PasswordHash::new(phc).ok()?;
    let params = Params::try_from(&parsed).ok()?;
    Some((params.m_cost(), params.t_cost(), params.p_cost()))
}

#[test]
fn the_dummy_hash_has_the_configured_cost() {
    let cfg = PasswordConfig { argon2_memory_kib: 24_576, argon2_iterations: 3, ..PasswordConfig::default() };
    let h = Hasher::new(&cfg).unwrap_or_else(|e| panic!("{e}"));
    assert!(h.dummy.get().is_none(), "made before it is needed");
    h.dummy_verify(&Secret::from("anything"));
    let dummy = h.dummy.get().cloned().unwrap_or_default();
    assert!(dummy.starts_with("$argon2id$v=19$"), "{dummy}");
    assert_eq!(cost(&dummy), Some((24_576, 3, cfg.argon2_parallelism)));
    let real = h.hash(&Secret::from("pw")).unwrap_or_default();
    assert_eq!(cost(&dummy), cost(&real), "a user's hash and the dummy cost the same");
    // The dummy is made once and reused (an empty password is verified too, as filler).
    h.dummy_verify(&Secret::from(""));
    assert_eq!(h.dummy.get().map(String::as_str), Some(dummy.as_str()));
    // It matches nothing a client could send.
    assert_eq!(h.verify(&dummy, &Secret::from("anything")), PasswordCheck::Mismatch);
}
