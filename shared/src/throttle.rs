//! Failure throttling shared by every front. Failures are counted per key (a user name and
//! a client address) inside a sliding window; each failure earns an increasing delay
//! (`[1, 1, 5]` s by default) and `max_failures` inside the window lock the key out for
//! `lockout`. A locked-out attempt is refused without verifying anything, and looks exactly
//! like a wrong password to the client.
//!
//! Memory is bounded: at most `MAX_KEYS` keys are tracked; when full, expired entries go
//! first, then the least recently touched.
//!
//! Several instances on one shared store (PostgreSQL) count each other's failures: a store
//! that can carry them attaches [`Peers`], which publishes every failure counted here, and
//! hands in the others' through [`Throttle::record_remote_failure`] (no delay is imposed for
//! those: the delay belongs to the request that failed). A success still clears only this
//! instance's count of the user.

use crate::clock::SharedClock;
use crate::config::ThrottleConfig;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
struct Entry {
    failures: VecDeque<i64>,
    locked_until: i64,
    touched: i64,
}

/// Where this instance's failures go so that other instances count them too.
pub trait Peers: Send + Sync + std::fmt::Debug {
    /// Publishes one failure of `keys` (never blocks for long: queue and return).
    fn publish(&self, keys: &[String]);
}

/// The throttle.
#[derive(Debug)]
pub struct Throttle {
    cfg: ThrottleConfig,
    clock: SharedClock,
    entries: Mutex<HashMap<String, Entry>>,
    peers: Mutex<Option<std::sync::Arc<dyn Peers>>>,
}

/// Longest name form kept as a key: bounds the throttle's memory per key.
const MAX_KEY_NAME: usize = 256;

/// The form under which a name is counted: Unicode compatibility-normalised (NFKC, so
/// full-width `ＡＬＩＣＥ` is `ALICE`), trimmed and lowercased. Every spelling a backend
/// might take for the same account (LDAP compares names case- and space-insensitively)
/// shares one counter; two distinct accounts that differ only in case share one too, which
/// errs on the side of locking.
pub fn canonical_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name.nfkc().collect();
    folded.trim().to_lowercase().chars().take(MAX_KEY_NAME).collect()
}

/// Key for an account name (any spelling of it: see [`canonical_name`]).
pub fn user_key(user: &str) -> String {
    format!("u:{}", canonical_name(user))
}

/// Key for a client address.
pub fn client_key(client: &std::net::IpAddr) -> String {
    format!("c:{client}")
}

impl Throttle {
    /// A throttle with the given settings.
    pub fn new(cfg: ThrottleConfig, clock: SharedClock) -> Self {
        Self { cfg, clock, entries: Mutex::new(HashMap::new()), peers: Mutex::new(None) }
    }

    fn secs(d: Duration) -> i64 {
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
    }

    /// `Some(retry_after)` when any of `keys` is locked out now.
    pub fn locked(&self, keys: &[String]) -> Option<Duration> {
        let now = self.clock.now();
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .filter_map(|k| map.get(k))
            .map(|e| e.locked_until - now)
            .filter(|&left| left > 0)
            .max()
            .map(|s| Duration::from_secs(s.unsigned_abs()))
    }

    /// Sends this throttle's failures to `peers` from now on (a shared store's instances).
    pub fn attach_peers(&self, peers: std::sync::Arc<dyn Peers>) {
        *self.peers.lock().unwrap_or_else(|e| e.into_inner()) = Some(peers);
    }

    /// Records one failure for each key; returns the delay to impose before answering.
    pub fn record_failure(&self, keys: &[String]) -> Duration {
        if keys.is_empty() {
            return Duration::ZERO;
        }
        let delay = self.count(keys);
        let peers = self.peers.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(p) = peers {
            p.publish(keys);
        }
        delay
    }

    /// Records a failure another instance counted (no delay here, nothing published).
    pub fn record_remote_failure(&self, keys: &[String]) {
        if !keys.is_empty() {
            self.count(keys);
        }
    }

    fn count(&self, keys: &[String]) -> Duration {
        let now = self.clock.now();
        let window = Self::secs(self.cfg.window);
        let mut worst = 0usize;
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() + keys.len() > MAX_KEYS {
            evict(&mut map, now, window, keys.len());
        }
        for k in keys {
            let e = map.entry(k.clone()).or_default();
            e.touched = now;
            while e.failures.front().is_some_and(|&t| t <= now - window) {
                e.failures.pop_front();
            }
            e.failures.push_back(now);
            let max = usize::try_from(self.cfg.max_failures).unwrap_or(usize::MAX).max(1);
            if e.failures.len() >= max {
                e.locked_until = now.saturating_add(Self::secs(self.cfg.lockout));
                e.failures.clear();
            }
            while e.failures.len() > max {
                e.failures.pop_front();
            }
            worst = worst.max(e.failures.len().max(1));
        }
        let delays = &self.cfg.delays;
        delays.get(worst - 1).or(delays.last()).copied().unwrap_or_default()
    }

    /// A success clears the user's failure count (not a lockout in force, and not the
    /// client's count: one good password must not wash an address's guesses away).
    pub fn record_success(&self, user_key: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = map.get_mut(user_key) {
            e.failures.clear();
        }
    }

    /// Number of tracked keys (for metrics).
    pub fn tracked(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

fn evict(map: &mut HashMap<String, Entry>, now: i64, window: i64, room: usize) {
    map.retain(|_, e| e.locked_until > now || e.failures.back().is_some_and(|&t| t > now - window));
    if map.len() + room <= MAX_KEYS {
        return;
    }
    let mut by_age: Vec<(i64, String)> = map.iter().map(|(k, e)| (e.touched, k.clone())).collect();
    by_age.sort_unstable();
    let excess = map.len() + room - MAX_KEYS;
    for (_, k) in by_age.into_iter().take(excess) {
        map.remove(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    fn throttle() -> (ManualClock, Throttle) {
        let clock = ManualClock::new(1_000);
        (clock.clone(), Throttle::new(ThrottleConfig::default(), Arc::new(clock)))
    }

    #[test]
    fn delays_grow_then_lock_out() {
        let (clock, t) = throttle();
        let k = vec![user_key("alice")];
        assert_eq!(t.record_failure(&k), Duration::from_secs(1));
        assert_eq!(t.record_failure(&k), Duration::from_secs(1));
        assert_eq!(t.record_failure(&k), Duration::from_secs(5));
        assert_eq!(t.record_failure(&k), Duration::from_secs(5));
        assert_eq!(t.locked(&k), None);
        t.record_failure(&k);
        assert_eq!(t.locked(&k), Some(Duration::from_secs(300)));
        clock.advance(299);
        assert!(t.locked(&k).is_some());
        clock.advance(1);
        assert_eq!(t.locked(&k), None);
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let (clock, t) = throttle();
        let k = vec![user_key("bob")];
        for _ in 0..4 {
            t.record_failure(&k);
        }
        clock.advance(301);
        assert_eq!(t.record_failure(&k), Duration::from_secs(1));
        assert_eq!(t.locked(&k), None);
    }

    #[test]
    fn success_resets_the_user_but_not_a_lockout() {
        let (_c, t) = throttle();
        let k = vec![user_key("carol")];
        t.record_failure(&k);
        t.record_failure(&k);
        t.record_success(&k[0]);
        assert_eq!(t.record_failure(&k), Duration::from_secs(1));
        for _ in 0..5 {
            t.record_failure(&k);
        }
        t.record_success(&k[0]);
        assert!(t.locked(&k).is_some());
    }

    #[test]
    fn any_locked_key_locks_the_attempt() {
        let (_c, t) = throttle();
        let ip = client_key(&"192.0.2.1".parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])));
        for i in 0..5 {
            t.record_failure(&[user_key(&format!("u{i}")), ip.clone()]);
        }
        assert!(t.locked(&[user_key("someone-else"), ip]).is_some());
        assert!(t.locked(&[user_key("u0")]).is_none());
    }

    #[test]
    fn no_keys_no_delay() {
        let (_c, t) = throttle();
        assert_eq!(t.record_failure(&[]), Duration::ZERO);
        assert_eq!(t.locked(&[]), None);
    }

    #[test]
    fn memory_is_bounded() {
        let (_c, t) = throttle();
        for i in 0..(MAX_KEYS + 10) {
            t.record_failure(&[format!("k{i}")]);
        }
        assert!(t.tracked() <= MAX_KEYS);
    }

    #[test]
    fn every_spelling_of_a_name_is_one_key() {
        let alice = user_key("alice");
        for spelling in
            ["ALICE", " alice", "alice ", "Alice", "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}", "\u{ff21}LICE\t"]
        {
            assert_eq!(user_key(spelling), alice, "{spelling:?}");
        }
        assert_ne!(user_key("alice2"), alice);
        assert_eq!(user_key(&"x".repeat(10_000)).len(), 2 + MAX_KEY_NAME);
    }

    #[derive(Debug, Default)]
    struct Sent(Mutex<Vec<Vec<String>>>);

    impl Peers for Sent {
        fn publish(&self, keys: &[String]) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push(keys.to_vec());
        }
    }

    #[test]
    fn failures_go_to_the_peers_and_theirs_count_here_without_a_delay() {
        let (_clock, t) = throttle();
        let sent = Arc::new(Sent::default());
        t.attach_peers(sent.clone());
        let keys = vec![user_key("alice")];
        assert!(t.record_failure(&keys) > Duration::ZERO, "the default delays");
        assert_eq!(*sent.0.lock().unwrap_or_else(|e| e.into_inner()), vec![keys.clone()]);
        // The other instances' failures: counted, never published again.
        let max = ThrottleConfig::default().max_failures;
        for _ in 1..max {
            t.record_remote_failure(&keys);
        }
        assert!(t.locked(&keys).is_some(), "one failure here and the rest elsewhere lock the key");
        assert_eq!(sent.0.lock().unwrap_or_else(|e| e.into_inner()).len(), 1);
    }
}
