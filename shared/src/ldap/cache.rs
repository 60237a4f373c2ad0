//! A small TTL cache for directory lookups, keyed by query, bounded in size, reading time
//! from the injected [`Clock`](crate::clock::Clock).

use crate::clock::SharedClock;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

/// Entries kept at most; past that, expired entries go first, then the oldest.
pub(crate) const MAX_ENTRIES: usize = 4096;
/// Negative answers ("no such user") live at most this long.
pub(crate) const MAX_NEGATIVE_TTL: i64 = 10;

/// Query → (expiry, answer).
#[derive(Debug)]
pub(crate) struct TtlCache<K, V> {
    map: Mutex<HashMap<K, (i64, V)>>,
    clock: SharedClock,
    ttl: i64,
    max: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// A cache whose positive answers live `ttl_secs` (0 = no caching).
    pub fn new(clock: SharedClock, ttl_secs: u64, max: usize) -> Self {
        Self { map: Mutex::new(HashMap::new()), clock, ttl: i64::try_from(ttl_secs).unwrap_or(i64::MAX), max }
    }

    /// The cached answer, if still fresh.
    pub fn get(&self, key: &K) -> Option<V> {
        let now = self.clock.now();
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).filter(|(exp, _)| *exp > now).map(|(_, v)| v.clone())
    }

    /// Remembers an answer; `negative` ones for at most [`MAX_NEGATIVE_TTL`].
    pub fn put(&self, key: K, value: V, negative: bool) {
        let ttl = if negative { self.ttl.min(MAX_NEGATIVE_TTL) } else { self.ttl };
        if ttl <= 0 || self.max == 0 {
            return;
        }
        let now = self.clock.now();
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.max && !map.contains_key(&key) {
            map.retain(|_, (exp, _)| *exp > now);
            while map.len() >= self.max {
                let Some(oldest) = map.iter().min_by_key(|(_, (exp, _))| *exp).map(|(k, _)| k.clone()) else { break };
                map.remove(&oldest);
            }
        }
        map.insert(key, (now.saturating_add(ttl), value));
    }

    /// Number of entries, fresh or not (tests).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    #[test]
    fn positive_and_negative_ttls() {
        let clock = ManualClock::new(1000);
        let c: TtlCache<&str, Option<u32>> = TtlCache::new(Arc::new(clock.clone()), 60, 10);
        c.put("alice", Some(1), false);
        c.put("nobody", None, true);
        assert_eq!(c.get(&"alice"), Some(Some(1)));
        assert_eq!(c.get(&"nobody"), Some(None));
        clock.advance(10);
        assert_eq!(c.get(&"nobody"), None, "negative answers expire after 10 s");
        assert_eq!(c.get(&"alice"), Some(Some(1)));
        clock.advance(50);
        assert_eq!(c.get(&"alice"), None);
    }

    #[test]
    fn short_ttl_caps_negative_too_and_zero_disables() {
        let clock = ManualClock::new(0);
        let c: TtlCache<u32, bool> = TtlCache::new(Arc::new(clock.clone()), 3, 10);
        c.put(1, false, true);
        clock.advance(3);
        assert_eq!(c.get(&1), None);
        let off: TtlCache<u32, bool> = TtlCache::new(Arc::new(clock), 0, 10);
        off.put(1, true, false);
        assert_eq!(off.get(&1), None);
    }

    #[test]
    fn size_is_bounded() {
        let clock = ManualClock::new(0);
        let c: TtlCache<u32, u32> = TtlCache::new(Arc::new(clock.clone()), 60, 3);
        for i in 0..10 {
            clock.advance(1);
            c.put(i, i, false);
            assert!(c.len() <= 3);
        }
        assert_eq!(c.get(&9), Some(9), "the newest stays");
        assert_eq!(c.get(&0), None, "the oldest went");
    }
}
