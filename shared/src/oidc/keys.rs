//! The provider's key set as cached, and when to fetch it again.
//!
//! A token whose `kid` is in the cached set is checked with that key. An unknown `kid` is
//! how a key rotation looks from here: the set is fetched again, but at most once per
//! [`REFETCH_INTERVAL`] per provider, so a stream of tokens with made-up `kid`s cannot turn
//! the portal into a load generator against the provider. Time is an input.

use super::jose::Jwk;

/// The least time between two fetches caused by an unknown `kid`.
pub const REFETCH_INTERVAL: i64 = 60;
/// How long a fetched set is used before it is fetched again anyway.
pub const MAX_AGE: i64 = 3600;

/// A provider's keys and when they were fetched.
#[derive(Debug, Clone, Default)]
pub struct KeyCache {
    keys: Vec<Jwk>,
    fetched_at: Option<i64>,
}

/// What to do for a token's `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// This key verifies it.
    Found(Jwk),
    /// Not known (or the set is stale): fetch the set, [`KeyCache::replace`], look again.
    Refetch,
    /// Not known, and a fetch happened too recently.
    Unknown,
}

impl KeyCache {
    /// The key for `kid` at `now`. Without a `kid`, the only key of the set (a provider
    /// with one key need not name it); several keys and no `kid` is [`Lookup::Unknown`].
    pub fn lookup(&self, kid: Option<&str>, now: i64) -> Lookup {
        let Some(at) = self.fetched_at else { return Lookup::Refetch };
        if now.saturating_sub(at) > MAX_AGE || now < at {
            return Lookup::Refetch;
        }
        let found = match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        };
        match found {
            Some(k) => Lookup::Found(k.clone()),
            None if now.saturating_sub(at) >= REFETCH_INTERVAL => Lookup::Refetch,
            None => Lookup::Unknown,
        }
    }

    /// Whether a fetch may happen now (the last was at least [`REFETCH_INTERVAL`] ago).
    pub fn may_fetch(&self, now: i64) -> bool {
        self.fetched_at.is_none_or(|at| now.saturating_sub(at) >= REFETCH_INTERVAL || now < at)
    }

    /// The set fetched at `now`.
    pub fn replace(&mut self, keys: Vec<Jwk>, now: i64) {
        self.keys = keys;
        self.fetched_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::super::jose::parse_jwks;
    use super::super::jose::test_keys::{ec, jwks};
    use super::*;

    #[test]
    fn rotation_refetches_at_most_once_a_minute() {
        let (old, new) = (ec("k1"), ec("k2"));
        let mut cache = KeyCache::default();
        assert_eq!(cache.lookup(Some("k1"), 1000), Lookup::Refetch);
        cache.replace(parse_jwks(&jwks(&[&old])).unwrap_or_default(), 1000);
        assert!(matches!(cache.lookup(Some("k1"), 1001), Lookup::Found(_)));
        // Only k1 is known: the provider rotated to k2. Right after a fetch: no new fetch.
        assert_eq!(cache.lookup(Some("k2"), 1010), Lookup::Unknown);
        assert!(!cache.may_fetch(1010));
        assert_eq!(cache.lookup(Some("k2"), 1000 + REFETCH_INTERVAL), Lookup::Refetch);
        cache.replace(parse_jwks(&jwks(&[&old, &new])).unwrap_or_default(), 1000 + REFETCH_INTERVAL);
        assert!(matches!(cache.lookup(Some("k2"), 1061), Lookup::Found(_)));
        // A made-up kid right after: refused without asking the provider.
        assert_eq!(cache.lookup(Some("forged"), 1062), Lookup::Unknown);
        // A stale set is fetched again even for a known kid.
        assert_eq!(cache.lookup(Some("k1"), 1060 + MAX_AGE + 1), Lookup::Refetch);
    }

    #[test]
    fn no_kid_means_the_only_key() {
        let mut cache = KeyCache::default();
        cache.replace(parse_jwks(&jwks(&[&ec("a")])).unwrap_or_default(), 0);
        assert!(matches!(cache.lookup(None, 1), Lookup::Found(_)));
        cache.replace(parse_jwks(&jwks(&[&ec("a"), &ec("b")])).unwrap_or_default(), 0);
        assert_eq!(cache.lookup(None, 1), Lookup::Unknown);
    }
}
