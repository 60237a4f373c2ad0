//! The small sections: `[http]`, `[throttle]`, `[users]`, `[passwords]`, `[tokens]`.

use super::{DURATION_EXPECTED, de_duration, de_durations};
use crate::duration::parse_duration;
use serde::{Deserialize, Deserializer};
use std::time::Duration;

pub use super::store::StoreConfig;

/// An HTTP authentication scheme, in challenge order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// RFC 7617.
    Basic,
    /// RFC 7616.
    Digest,
    /// RFC 6750.
    Bearer,
}

impl Scheme {
    /// The word in audit lines and metrics: `basic`, `digest`, `bearer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Digest => "digest",
            Self::Bearer => "bearer",
        }
    }
}

/// A Digest hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum DigestAlgorithm {
    /// `SHA-256`, the default.
    #[serde(rename = "SHA-256")]
    Sha256,
    /// `MD5`, for old clients only.
    #[serde(rename = "MD5")]
    Md5,
}

impl DigestAlgorithm {
    /// The token used in HTTP and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Md5 => "MD5",
        }
    }
}

/// `[http]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Offered schemes; the first is the preferred one (nginx forwards only the first challenge).
    pub schemes: Vec<Scheme>,
    /// Digest algorithms offered and stored (HA1 per algorithm).
    pub digest_algorithms: Vec<DigestAlgorithm>,
    /// Digest nonce lifetime.
    #[serde(deserialize_with = "de_duration")]
    pub nonce_lifetime: Duration,
    /// How long a successful slow verification is remembered.
    #[serde(deserialize_with = "de_duration")]
    pub cache_ttl: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            schemes: vec![Scheme::Basic, Scheme::Digest, Scheme::Bearer],
            digest_algorithms: vec![DigestAlgorithm::Sha256],
            nonce_lifetime: Duration::from_secs(300),
            cache_ttl: Duration::from_secs(60),
        }
    }
}

/// `[throttle]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleConfig {
    /// Delay added after the 1st, 2nd, … failure (the last repeats).
    #[serde(deserialize_with = "de_durations")]
    pub delays: Vec<Duration>,
    /// Failures within `window` that trigger a lockout.
    pub max_failures: u32,
    /// Counting window.
    #[serde(deserialize_with = "de_duration")]
    pub window: Duration,
    /// Lockout length.
    #[serde(deserialize_with = "de_duration")]
    pub lockout: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            delays: vec![Duration::from_secs(1), Duration::from_secs(1), Duration::from_secs(5)],
            max_failures: 5,
            window: Duration::from_secs(300),
            lockout: Duration::from_secs(300),
        }
    }
}

/// `[users]`: defaults for accounts that `wicket user add` creates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsersConfig {
    /// First uid/gid Wicket allocates.
    pub uid_min: u32,
    /// Last uid/gid Wicket allocates.
    pub uid_max: u32,
    /// Home directory; `{user}` is replaced by the name.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

impl Default for UsersConfig {
    fn default() -> Self {
        Self { uid_min: 200_000, uid_max: 299_999, home: "/home/{user}".into(), shell: "/bin/bash".into() }
    }
}

/// `[passwords]`: argon2id parameters for new hashes (stored hashes with other parameters
/// are rehashed on the next successful login), and the rules a new password must meet
/// ([`crate::password::strength`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    /// Memory in KiB (OWASP minimum 19456).
    pub argon2_memory_kib: u32,
    /// Passes (OWASP minimum 2).
    pub argon2_iterations: u32,
    /// Lanes.
    pub argon2_parallelism: u32,
    /// Fewest characters a new password may have.
    pub min_length: usize,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        Self { argon2_memory_kib: 19_456, argon2_iterations: 2, argon2_parallelism: 1, min_length: 8 }
    }
}

/// `[tokens]`: bearer token hygiene.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    /// Setting a user's password also revokes all that user's tokens (same transaction).
    pub revoke_on_password_change: bool,
    /// Expiry of a token created without `--expires`; `None` = never.
    #[serde(deserialize_with = "de_opt_duration")]
    pub default_expiry: Option<Duration>,
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map(Some).map_err(|_| serde::de::Error::custom(DURATION_EXPECTED))
}
