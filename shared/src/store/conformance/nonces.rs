//! The Digest state a shared store keeps for all instances (nonce key, used nonce counts),
//! or its "not shared" answer.

use super::ok;
use crate::store::UserStore;

/// `s` and `other` are two connections to one store.
pub fn digest_nonces(s: &mut dyn UserStore, other: &mut dyn UserStore) {
    let Some(key) = ok(s.shared_nonce_key(&[1; 32])) else {
        // Not shared (SQLite): nothing is stored, every answer says so.
        assert_eq!(ok(other.shared_nonce_key(&[2; 32])), None);
        assert_eq!(ok(s.record_nonce_use(&[9; 32], 1, 100)), None);
        assert_eq!(ok(s.purge_nonce_uses(1_000)), 0);
        return;
    };
    // The first key offered is kept; later offers, from any connection, get it back.
    assert_eq!(key, [1; 32]);
    assert_eq!(ok(other.shared_nonce_key(&[2; 32])), Some([1; 32]));
    assert_eq!(ok(s.shared_nonce_key(&[3; 32])), Some([1; 32]));

    // A count is fresh once, through whichever connection.
    let generation = ok(s.generation());
    assert_eq!(ok(s.record_nonce_use(&[9; 32], 1, 100)), Some(true));
    assert_eq!(ok(other.record_nonce_use(&[9; 32], 1, 100)), Some(false));
    assert_eq!(ok(s.record_nonce_use(&[9; 32], 1, 100)), Some(false));
    assert_eq!(ok(other.record_nonce_use(&[9; 32], 2, 100)), Some(true));
    assert_eq!(ok(s.record_nonce_use(&[8; 32], 1, 200)), Some(true), "another nonce has its own counts");
    assert_eq!(ok(s.record_nonce_use(&[8; 32], u32::MAX, 200)), Some(true));
    assert_eq!(ok(s.generation()), generation, "recording counts moves no counter");

    // Purging forgets only nonces expired before the given time.
    assert_eq!(ok(s.purge_nonce_uses(100)), 0);
    assert_eq!(ok(other.purge_nonce_uses(101)), 2);
    assert_eq!(ok(s.record_nonce_use(&[8; 32], 1, 200)), Some(false), "a live nonce keeps its counts");
    assert_eq!(ok(s.purge_nonce_uses(i64::MAX)), 2);
}
