//! Nonce-count replay rejection in bounded memory.
//!
//! For each nonce that has carried a *verified* response the tracker keeps the highest `nc`
//! seen and a 64-bit window of the counts just below it, so requests that overtake each other
//! (browsers pipeline on several connections) still pass while any exact repeat is refused.
//!
//! Memory is bounded by `max_nonces`. Entries leave oldest-issued first: expired ones on every
//! call, then the oldest when the table is full. Forgetting a nonce must never make its old
//! counts fresh again, so the tracker remembers the newest issue time it ever dropped (the
//! *forgotten horizon*): a nonce it does not know that was issued at or before the horizon
//! is answered [`NcVerdict::Forgotten`] and the client is sent a fresh nonce (`stale=true`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, MutexGuard};

/// Window of counts below the highest one that may still arrive late.
const WINDOW: u32 = 64;

/// What [`NcTracker::check_and_record`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NcVerdict {
    /// First use of this (nonce, nc): accept, and it is now recorded.
    Fresh,
    /// This (nonce, nc) was seen before, is `0`, or is too far below the highest seen.
    Replayed,
    /// The nonce may have been dropped from the table to bound memory, so its history is
    /// unknown: refuse and have the client retry with a new nonce (`stale=true`).
    Forgotten,
}

impl NcVerdict {
    /// True only for [`NcVerdict::Fresh`].
    pub fn is_fresh(self) -> bool {
        self == Self::Fresh
    }
}

/// Remembers which nonce counts each live nonce has used. Thread-safe; a poisoned lock is
/// recovered (the table is consistent after every statement that can panic: none can).
pub struct NcTracker {
    max_nonces: usize,
    lifetime_secs: i64,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    entries: HashMap<String, Entry>,
    /// (issued_at, insertion sequence) → nonce, oldest first.
    by_age: BTreeMap<(i64, u64), String>,
    seq: u64,
    /// The newest issue time of any nonce dropped from the table.
    forgotten_up_to: Option<i64>,
}

struct Entry {
    highest: u32,
    /// Bit `i` set: count `highest - i` was seen.
    seen: u64,
}

impl Entry {
    fn record(&mut self, nc: u32) -> NcVerdict {
        if nc > self.highest {
            let shift = nc - self.highest;
            self.seen = if shift >= WINDOW { 0 } else { self.seen << shift };
            self.seen |= 1;
            self.highest = nc;
            return NcVerdict::Fresh;
        }
        let below = self.highest - nc;
        if below >= WINDOW {
            return NcVerdict::Replayed;
        }
        let bit = 1u64 << below;
        if self.seen & bit != 0 {
            return NcVerdict::Replayed;
        }
        self.seen |= bit;
        NcVerdict::Fresh
    }
}

impl Table {
    fn forget_oldest(&mut self) {
        if let Some(((issued_at, _), nonce)) = self.by_age.pop_first() {
            self.entries.remove(&nonce);
            self.forgotten_up_to = Some(self.forgotten_up_to.map_or(issued_at, |h| h.max(issued_at)));
        }
    }

    /// Drops nonces issued before `cutoff` (expired: the nonce check refuses them anyway).
    fn forget_expired(&mut self, cutoff: i64) {
        while self.by_age.first_key_value().is_some_and(|(&(issued_at, _), _)| issued_at < cutoff) {
            self.forget_oldest();
        }
    }
}

impl NcTracker {
    /// A tracker remembering at most `max_nonces` nonces (at least 1), each for
    /// `lifetime_secs` after its issue (use the nonce lifetime).
    pub fn new(max_nonces: usize, lifetime_secs: i64) -> Self {
        Self { max_nonces: max_nonces.max(1), lifetime_secs, table: Mutex::new(Table::default()) }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that a verified response used count `nc` on `nonce` (issued at `issued_at`, as
    /// [`NonceKey::check`](super::NonceKey::check) reported), at time `now`.
    ///
    /// Call it only after the response verified, so an attacker cannot burn counts.
    pub fn check_and_record(&self, nonce: &str, issued_at: i64, nc: u32, now: i64) -> NcVerdict {
        if nc == 0 {
            return NcVerdict::Replayed; // counts start at 1
        }
        let mut t = self.lock();
        t.forget_expired(now.saturating_sub(self.lifetime_secs));
        if let Some(entry) = t.entries.get_mut(nonce) {
            return entry.record(nc);
        }
        if t.forgotten_up_to.is_some_and(|horizon| issued_at <= horizon) {
            return NcVerdict::Forgotten;
        }
        while t.entries.len() >= self.max_nonces {
            t.forget_oldest();
        }
        t.seq = t.seq.wrapping_add(1);
        let age_key = (issued_at, t.seq);
        let mut entry = Entry { highest: 0, seen: 0 };
        let verdict = entry.record(nc);
        t.by_age.insert(age_key, nonce.to_owned());
        t.entries.insert(nonce.to_owned(), entry);
        verdict
    }

    /// How many nonces are remembered now (for metrics).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most nonces this tracker remembers.
    pub fn capacity(&self) -> usize {
        self.max_nonces
    }
}

impl fmt::Debug for NcTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NcTracker")
            .field("len", &self.len())
            .field("max_nonces", &self.max_nonces)
            .field("lifetime_secs", &self.lifetime_secs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const T0: i64 = 1_700_000_000;
    const LIFE: i64 = 300;

    #[test]
    fn same_count_twice_is_a_replay() {
        let t = NcTracker::new(10, LIFE);
        assert_eq!(t.check_and_record("n1", T0, 1, T0), NcVerdict::Fresh);
        assert_eq!(t.check_and_record("n1", T0, 1, T0), NcVerdict::Replayed);
        // Another nonce has its own counts.
        assert_eq!(t.check_and_record("n2", T0, 1, T0), NcVerdict::Fresh);
    }

    #[test]
    fn increasing_counts_are_fresh() {
        let t = NcTracker::new(10, LIFE);
        for nc in 1..=1000 {
            assert!(t.check_and_record("n", T0, nc, T0).is_fresh(), "{nc}");
        }
        assert_eq!(t.check_and_record("n", T0, 1000, T0), NcVerdict::Replayed);
        assert_eq!(t.check_and_record("n", T0, 999, T0), NcVerdict::Replayed);
        assert_eq!(t.check_and_record("n", T0, u32::MAX, T0), NcVerdict::Fresh);
        assert_eq!(t.check_and_record("n", T0, u32::MAX, T0), NcVerdict::Replayed);
    }

    #[test]
    fn zero_is_never_fresh() {
        let t = NcTracker::new(10, LIFE);
        assert_eq!(t.check_and_record("n", T0, 0, T0), NcVerdict::Replayed);
    }

    #[test]
    fn out_of_order_within_the_window() {
        let t = NcTracker::new(10, LIFE);
        assert!(t.check_and_record("n", T0, 5, T0).is_fresh());
        assert!(t.check_and_record("n", T0, 3, T0).is_fresh());
        assert!(t.check_and_record("n", T0, 4, T0).is_fresh());
        assert_eq!(t.check_and_record("n", T0, 3, T0), NcVerdict::Replayed);
        assert_eq!(t.check_and_record("n", T0, 5, T0), NcVerdict::Replayed);
        assert!(t.check_and_record("n", T0, 100, T0).is_fresh());
        // 36 is exactly WINDOW below 100: too old to tell, refused.
        assert_eq!(t.check_and_record("n", T0, 36, T0), NcVerdict::Replayed);
        assert!(t.check_and_record("n", T0, 37, T0).is_fresh());
        assert_eq!(t.check_and_record("n", T0, 37, T0), NcVerdict::Replayed);
    }

    #[test]
    fn bounded_under_100k_distinct_nonces() {
        let t = NcTracker::new(1000, LIFE);
        for i in 0..100_000i64 {
            let issued = T0 + i / 1000; // stays within the lifetime: only the cap bounds it
            assert!(t.check_and_record(&format!("n{i}"), issued, 1, issued).is_fresh());
            assert!(t.len() <= 1000);
        }
        assert_eq!(t.len(), 1000);
        // A nonce pushed out cannot come back with its old count…
        assert_eq!(t.check_and_record("n0", T0, 1, T0 + 100), NcVerdict::Forgotten);
        assert_eq!(t.check_and_record("n0", T0, 2, T0 + 100), NcVerdict::Forgotten);
        // …while the newest ones are still tracked, and new nonces are welcome.
        assert_eq!(t.check_and_record("n99999", T0 + 99, 1, T0 + 100), NcVerdict::Replayed);
        assert!(t.check_and_record("fresh", T0 + 100, 1, T0 + 100).is_fresh());
    }

    #[test]
    fn expired_nonces_leave_first() {
        let t = NcTracker::new(3, LIFE);
        assert!(t.check_and_record("old", T0, 1, T0).is_fresh());
        assert!(t.check_and_record("mid", T0 + 200, 1, T0 + 200).is_fresh());
        assert_eq!(t.len(), 2);
        // At T0+301 "old" has expired and is dropped; "mid" stays.
        assert!(t.check_and_record("new", T0 + 301, 1, T0 + 301).is_fresh());
        assert_eq!(t.len(), 2);
        assert_eq!(t.check_and_record("mid", T0 + 200, 1, T0 + 301), NcVerdict::Replayed);
        assert_eq!(t.check_and_record("old", T0, 1, T0 + 301), NcVerdict::Forgotten);
    }

    #[test]
    fn full_table_evicts_oldest_issued() {
        let t = NcTracker::new(2, LIFE);
        // Recorded out of issue order: eviction follows issue time, not arrival.
        assert!(t.check_and_record("b", T0 + 2, 1, T0 + 3).is_fresh());
        assert!(t.check_and_record("a", T0 + 1, 1, T0 + 3).is_fresh());
        assert!(t.check_and_record("c", T0 + 3, 1, T0 + 3).is_fresh());
        assert_eq!(t.len(), 2);
        assert_eq!(t.check_and_record("a", T0 + 1, 1, T0 + 3), NcVerdict::Forgotten);
        assert_eq!(t.check_and_record("b", T0 + 2, 1, T0 + 3), NcVerdict::Replayed);
        // Unknown nonces issued at or before the horizon (T0+1) might have been forgotten;
        // later ones are simply new, whatever their first count.
        assert_eq!(t.check_and_record("d", T0 + 1, 1, T0 + 3), NcVerdict::Forgotten);
        assert!(t.check_and_record("e", T0 + 3, 5, T0 + 3).is_fresh());
    }

    #[test]
    fn concurrent_use_accepts_each_count_once() {
        let t = Arc::new(NcTracker::new(100, LIFE));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let t = Arc::clone(&t);
                std::thread::spawn(move || {
                    (1..=200u32).filter(|&nc| t.check_and_record("n", T0, nc, T0).is_fresh()).count()
                })
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().expect("thread")).sum();
        assert_eq!(total, 200);
    }

    #[test]
    fn poisoned_lock_is_recovered() {
        let t = Arc::new(NcTracker::new(10, LIFE));
        let t2 = Arc::clone(&t);
        let _ = std::thread::spawn(move || {
            let _guard = t2.lock();
            panic!("poison the lock");
        })
        .join();
        assert!(t.table.is_poisoned());
        assert!(t.check_and_record("n", T0, 1, T0).is_fresh());
    }
}
