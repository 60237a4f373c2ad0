//! The credential cache: a successful *slow* verification (argon2, LDAP, PAM) is remembered
//! for a short TTL under an HMAC of the credential, so scripts and browsers sending Basic on
//! every request do not pay a KDF each time. Failures are never cached. Each entry records
//! the store's change counter; an entry from another generation is a miss, so a lock,
//! password change, revocation or group change takes effect at once.

use crate::auth::Identity;
use crate::clock::SharedClock;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

const MAX_ENTRIES: usize = 50_000;

/// A cache key: HMAC-SHA256 of the credential under a per-process random key.
pub type CacheKey = [u8; 32];

#[derive(Debug)]
struct Entry {
    identity: Identity,
    expires: i64,
    generation: i64,
    tag: Option<i64>,
}

/// The cache.
#[derive(Debug)]
pub struct CredentialCache {
    key: [u8; 32],
    ttl: i64,
    clock: SharedClock,
    map: Mutex<HashMap<CacheKey, Entry>>,
}

impl CredentialCache {
    /// An empty cache; a zero TTL disables it.
    pub fn new(ttl: Duration, clock: SharedClock) -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self { key, ttl: i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX), clock, map: Mutex::new(HashMap::new()) }
    }

    /// The key for a credential made of `parts` (each length-prefixed, so parts cannot
    /// run into each other).
    pub fn key_for(&self, parts: &[&[u8]]) -> CacheKey {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else { return [0u8; 32] };
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

    /// A live entry of this generation.
    pub fn get(&self, key: &CacheKey, generation: i64) -> Option<Identity> {
        self.get_tagged(key, generation).map(|(id, _)| id)
    }

    /// A live entry with the tag it was stored with (e.g. a token's row id).
    pub fn get_tagged(&self, key: &CacheKey, generation: i64) -> Option<(Identity, Option<i64>)> {
        if self.ttl == 0 {
            return None;
        }
        let now = self.clock.now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(key) {
            Some(e) if e.expires > now && e.generation == generation => Some((e.identity.clone(), e.tag)),
            Some(_) => {
                map.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remembers a success.
    pub fn put(&self, key: CacheKey, identity: Identity, generation: i64) {
        self.put_until(key, identity, generation, None, None);
    }

    /// Remembers a success no longer than `valid_until` (an account's or token's expiry),
    /// with an optional tag.
    pub fn put_until(
        &self,
        key: CacheKey,
        identity: Identity,
        generation: i64,
        valid_until: Option<i64>,
        tag: Option<i64>,
    ) {
        if self.ttl == 0 {
            return;
        }
        let now = self.clock.now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, e| e.expires > now && e.generation == generation);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        let expires = now.saturating_add(self.ttl).min(valid_until.unwrap_or(i64::MAX));
        map.insert(key, Entry { identity, expires, generation, tag });
    }

    /// Drops everything (config reload).
    pub fn clear(&self) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Entries held (for metrics).
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    fn ident() -> Identity {
        Identity {
            name: "alice".into(),
            uid: Some(1),
            gid: Some(1),
            display_name: None,
            email: None,
            groups: vec![],
            backend: "local".into(),
            scopes: None,
        }
    }

    #[test]
    fn hits_expire_and_generations_invalidate() {
        let clock = ManualClock::new(0);
        let c = CredentialCache::new(Duration::from_secs(60), Arc::new(clock.clone()));
        let k = c.key_for(&[b"basic", b"alice", b"pw"]);
        assert!(c.get(&k, 1).is_none());
        c.put(k, ident(), 1);
        assert_eq!(c.get(&k, 1), Some(ident()));
        assert!(c.get(&k, 2).is_none(), "a newer generation is a miss");
        c.put(k, ident(), 2);
        clock.advance(60);
        assert!(c.get(&k, 2).is_none(), "expired");
    }

    #[test]
    fn entries_never_outlive_the_account() {
        let clock = ManualClock::new(0);
        let c = CredentialCache::new(Duration::from_secs(60), Arc::new(clock.clone()));
        let k = c.key_for(&[b"x"]);
        c.put_until(k, ident(), 1, Some(10), Some(7));
        assert_eq!(c.get_tagged(&k, 1), Some((ident(), Some(7))));
        clock.advance(10);
        assert!(c.get(&k, 1).is_none());
    }

    #[test]
    fn keys_separate_their_parts() {
        let c = CredentialCache::new(Duration::from_secs(60), Arc::new(ManualClock::new(0)));
        assert_ne!(c.key_for(&[b"ab", b"c"]), c.key_for(&[b"a", b"bc"]));
        assert_ne!(c.key_for(&[b"alice", b"pw1"]), c.key_for(&[b"alice", b"pw2"]));
    }

    #[test]
    fn zero_ttl_disables() {
        let c = CredentialCache::new(Duration::ZERO, Arc::new(ManualClock::new(0)));
        let k = c.key_for(&[b"x"]);
        c.put(k, ident(), 0);
        assert!(c.get(&k, 0).is_none());
    }
}
