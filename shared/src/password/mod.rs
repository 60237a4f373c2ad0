//! Password hashing: argon2id for everything Wicket writes; imported formats (bcrypt,
//! apr1, sha-crypt, `{SSHA}`, `{SHA}`) are verified and upgraded to argon2id on the next
//! successful login. Digest HA1 values are derived here too, because they can only be made
//! while the plaintext is at hand.

mod legacy;
pub mod limits;
pub mod policy;
pub mod strength;

pub use limits::{MAX_ARGON2_ITERATIONS, MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PARALLELISM};

use crate::config::{DigestAlgorithm, PasswordConfig};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::hex;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use md5::Md5;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

/// How many distinct over-cap hashes are remembered for "warn once"; past that, no more
/// warnings (a store full of them is already loudly announced).
const MAX_WARNED: usize = 1024;

/// Result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// Wrong password (or an unusable stored hash).
    Mismatch,
    /// Right password; `rehash` when the stored hash should be replaced by a fresh argon2id
    /// one (legacy format or outdated parameters).
    Match {
        /// The stored hash is outdated.
        rehash: bool,
    },
}

/// Hashes and verifies passwords with the configured argon2id parameters.
#[derive(Debug)]
pub struct Hasher {
    params: Params,
    dummy: OnceLock<String>,
    /// SHA-256 fingerprints of the over-cap hashes already warned about (never the hashes).
    warned: Mutex<HashSet<[u8; 32]>>,
}

impl Hasher {
    /// A hasher with the given parameters, which must be within the caps that stored hashes
    /// are held to (or Wicket would write hashes it then refuses to verify).
    pub fn new(cfg: &PasswordConfig) -> Result<Self> {
        let params = Params::new(cfg.argon2_memory_kib, cfg.argon2_iterations, cfg.argon2_parallelism, None)
            .map_err(|e| Error::Hash(e.to_string()))?;
        if let Some(why) = limits::params_over_caps(&params) {
            return Err(Error::Hash(why.to_string()));
        }
        Ok(Self { params, dummy: OnceLock::new(), warned: Mutex::new(HashSet::new()) })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes a new password to a PHC string (`$argon2id$v=19$m=…`). Empty passwords are refused.
    pub fn hash(&self, password: &Secret) -> Result<String> {
        if password.is_empty() {
            return Err(Error::EmptyPassword);
        }
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        self.argon2()
            .hash_password(password.expose(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Hash(e.to_string()))
    }

    /// Verifies `password` against a stored hash of any supported format. Never errors:
    /// a malformed or unsupported stored hash is a mismatch (and is logged by the caller).
    pub fn verify(&self, stored: &str, password: &Secret) -> PasswordCheck {
        if password.is_empty() {
            return PasswordCheck::Mismatch;
        }
        if stored.starts_with("$argon2") {
            let Ok(parsed) = PasswordHash::new(stored) else { return PasswordCheck::Mismatch };
            let Ok(params) = Params::try_from(&parsed) else { return PasswordCheck::Mismatch };
            // The hash's own parameters decide the cost: over the caps it is never run (it
            // could ask for 182 GiB). The dummy run keeps the answer as slow as a real one.
            if let Some(why) = limits::params_over_caps(&params) {
                self.warn_over_caps(stored, why);
                self.dummy_verify(password);
                return PasswordCheck::Mismatch;
            }
            // Verify with the parameters recorded in the hash (within the caps).
            if Argon2::default().verify_password(password.expose(), &parsed).is_err() {
                return PasswordCheck::Mismatch;
            }
            return PasswordCheck::Match { rehash: !self.is_current(&parsed) };
        }
        match legacy::verify(stored, password.expose()) {
            Ok(true) => PasswordCheck::Match { rehash: true },
            Ok(false) | Err(_) => PasswordCheck::Mismatch,
        }
    }

    /// Spends the same time as verifying against a real hash, for unknown users.
    pub fn dummy_verify(&self, password: &Secret) {
        let stored = self.dummy.get_or_init(|| {
            let random = crate::token::generate();
            self.hash(&random).unwrap_or_default()
        });
        let filler = Secret::from("wicket-dummy-password");
        let pw = if password.is_empty() { &filler } else { password };
        let _ = self.verify(stored, pw);
    }

    /// Logs, once per distinct hash, that a stored hash is over the caps. The log line names
    /// the limit, never the hash.
    fn warn_over_caps(&self, stored: &str, why: &str) {
        let fingerprint: [u8; 32] = Sha256::digest(stored.as_bytes()).into();
        let mut warned = self.warned.lock().unwrap_or_else(PoisonError::into_inner);
        if warned.len() >= MAX_WARNED || !warned.insert(fingerprint) {
            return;
        }
        // wicket-core logs through the `log` facade, reached via ldap3's re-export.
        ldap3::log::warn!(
            "password: a stored password hash is refused ({why}); it never matches, so reset that user's password"
        );
    }

    fn is_current(&self, h: &PasswordHash<'_>) -> bool {
        if h.algorithm.as_str() != "argon2id" || h.version != Some(0x13) {
            return false;
        }
        match Params::try_from(h) {
            Ok(p) => {
                p.m_cost() == self.params.m_cost()
                    && p.t_cost() == self.params.t_cost()
                    && p.p_cost() == self.params.p_cost()
            }
            Err(_) => false,
        }
    }
}

/// Checks that a stored hash (e.g. from an htpasswd file) is one Wicket can verify: a known
/// format, well formed, and within the cost caps. The error says what is wrong and never
/// contains the hash.
pub fn check_stored_hash(stored: &str) -> Result<()> {
    if stored.starts_with("$argon2") {
        let parsed = PasswordHash::new(stored).map_err(|_| Error::UnusableHash("malformed argon2 hash"))?;
        if !matches!(parsed.algorithm.as_str(), "argon2id" | "argon2i" | "argon2d") {
            return Err(Error::UnusableHash("unsupported argon2 variant"));
        }
        let params = Params::try_from(&parsed).map_err(|_| Error::UnusableHash("invalid argon2 parameters"))?;
        if let Some(why) = limits::params_over_caps(&params) {
            return Err(Error::UnusableHash(why));
        }
        return Ok(());
    }
    legacy::check(stored).map_err(|e| match e {
        legacy::LegacyError::Unsupported => {
            Error::UnusableHash("unsupported hash format (DES crypt, plaintext or unknown)")
        }
        legacy::LegacyError::Malformed(why) => Error::UnusableHash(why),
    })
}

/// Digest `H(username:realm:password)` for `algorithm`, lowercase hex (RFC 7616 §3.4.2).
pub fn digest_ha1(algorithm: DigestAlgorithm, user: &str, realm: &str, password: &Secret) -> String {
    let mut input = Vec::with_capacity(user.len() + realm.len() + password.len() + 2);
    input.extend_from_slice(user.as_bytes());
    input.push(b':');
    input.extend_from_slice(realm.as_bytes());
    input.push(b':');
    input.extend_from_slice(password.expose());
    let out = digest_hex(algorithm, &input);
    zeroize::Zeroize::zeroize(&mut input);
    out
}

/// Digest `userhash` value `H(username:realm)` (RFC 7616 §3.4.4).
pub fn digest_userhash(algorithm: DigestAlgorithm, user: &str, realm: &str) -> String {
    digest_hex(algorithm, format!("{user}:{realm}").as_bytes())
}

/// Hex digest of `data` with the Digest algorithm's hash function.
pub fn digest_hex(algorithm: DigestAlgorithm, data: &[u8]) -> String {
    match algorithm {
        DigestAlgorithm::Md5 => hex(&Md5::digest(data)),
        DigestAlgorithm::Sha256 => hex(&Sha256::digest(data)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> Hasher {
        Hasher::new(&PasswordConfig::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn argon2id_round_trip() {
        let h = hasher();
        let stored = h.hash(&Secret::from("correct horse")).unwrap_or_default();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert_eq!(h.verify(&stored, &Secret::from("correct horse")), PasswordCheck::Match { rehash: false });
        assert_eq!(h.verify(&stored, &Secret::from("wrong")), PasswordCheck::Mismatch);
        assert_eq!(h.verify(&stored, &Secret::from("")), PasswordCheck::Mismatch);
    }

    #[test]
    fn changed_parameters_ask_for_rehash() {
        let strong = Hasher::new(&PasswordConfig { argon2_memory_kib: 32_768, ..PasswordConfig::default() })
            .unwrap_or_else(|e| panic!("{e}"));
        let old = hasher().hash(&Secret::from("pw")).unwrap_or_default();
        assert_eq!(strong.verify(&old, &Secret::from("pw")), PasswordCheck::Match { rehash: true });
        // argon2i (not id) is outdated too.
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::default())
            .hash_password(b"pw", &SaltString::generate(&mut rand::rngs::OsRng))
            .map(|h| h.to_string())
            .unwrap_or_default();
        assert_eq!(hasher().verify(&argon2i, &Secret::from("pw")), PasswordCheck::Match { rehash: true });
    }

    #[test]
    fn empty_password_is_never_hashed() {
        assert!(matches!(hasher().hash(&Secret::from("")), Err(Error::EmptyPassword)));
    }

    #[test]
    fn garbage_hashes_are_mismatches() {
        let h = hasher();
        for stored in ["", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA", "plain", "$2y$99$x"] {
            assert_eq!(h.verify(stored, &Secret::from("pw")), PasswordCheck::Mismatch, "{stored}");
        }
    }

    /// A real argon2id hash of "pw" with its memory, pass or lane count raised (#15: an
    /// imported `m=191000000` made every login for that name abort the daemon).
    fn over_cap_hashes() -> Vec<String> {
        let real = hasher().hash(&Secret::from("pw")).unwrap_or_default();
        assert!(real.contains("$m=19456,t=2,p=1$"), "{real}");
        ["m=191000000,t=2,p=1", "m=262145,t=2,p=1", "m=19456,t=17,p=1", "m=19456,t=2,p=17"]
            .iter()
            .map(|params| real.replace("m=19456,t=2,p=1", params))
            .collect()
    }

    #[test]
    fn argon2_hashes_over_the_caps_never_run() {
        let h = hasher();
        for stored in over_cap_hashes() {
            // The right password: still a mismatch, and no 182 GiB allocation.
            assert_eq!(h.verify(&stored, &Secret::from("pw")), PasswordCheck::Mismatch, "{stored}");
            assert_eq!(h.verify(&stored, &Secret::from("pw")), PasswordCheck::Mismatch, "{stored}");
        }
        // Warned once per distinct hash.
        assert_eq!(h.warned.lock().map(|w| w.len()).unwrap_or_default(), 4);
        // At the caps is fine.
        let at_caps = Hasher::new(&PasswordConfig { argon2_memory_kib: 65_536, ..PasswordConfig::default() })
            .and_then(|h| h.hash(&Secret::from("pw")))
            .unwrap_or_default()
            .replace("t=2,p=1", "t=16,p=1");
        assert!(check_stored_hash(&at_caps).is_ok(), "{at_caps}");
    }

    #[test]
    fn the_importer_refuses_over_cap_hashes_without_quoting_them() {
        for stored in over_cap_hashes() {
            let e = check_stored_hash(&stored).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.starts_with("password hash refused: argon2 "), "{e}");
            assert!(e.contains("limit"), "{e}");
            let salt = stored.rsplit('$').nth(1).unwrap_or("?");
            assert!(!e.contains(salt), "{e}");
        }
        let sha = "$6$rounds=999999999$R9JRchT.jf6/9sbR$vX/0JoR.XYvuiUABWBP8D9RWc7zcZIIZ0muBEmQHJh5LrbjCjfEqg3HBo8IsLolq7k3./h17UbsGSACmBNu2Z/";
        let e = check_stored_hash(sha).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(e, "password hash refused: sha-crypt rounds above the 1,000,000 limit");
        let bcrypt = "$2y$18$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO";
        assert!(check_stored_hash(bcrypt).is_err());
        assert!(check_stored_hash("plain").is_err());
        assert!(check_stored_hash("{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=").is_ok());
        assert!(check_stored_hash(&hasher().hash(&Secret::from("pw")).unwrap_or_default()).is_ok());
    }

    #[test]
    fn configured_parameters_must_be_within_the_caps() {
        let over = PasswordConfig { argon2_memory_kib: MAX_ARGON2_MEMORY_KIB + 1, ..PasswordConfig::default() };
        assert!(Hasher::new(&over).is_err());
        let over = PasswordConfig { argon2_iterations: MAX_ARGON2_ITERATIONS + 1, ..PasswordConfig::default() };
        assert!(Hasher::new(&over).is_err());
    }

    #[test]
    fn legacy_match_asks_for_rehash() {
        // htpasswd -nbs: {SHA} of "pw"
        let stored = "{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=";
        let h = hasher();
        // The vector is checked in legacy.rs; here only the upgrade flag matters.
        let check = h.verify(stored, &Secret::from("pw"));
        assert_eq!(check, PasswordCheck::Match { rehash: true });
    }

    #[test]
    fn rfc7616_ha1_and_userhash() {
        let pw = Secret::from("Circle of Life");
        let realm = "http-auth@example.org";
        // From RFC 7616 §3.9.1 (MD5 HA1 is the well-known value for this triple).
        assert_eq!(digest_ha1(DigestAlgorithm::Md5, "Mufasa", realm, &pw).len(), 32);
        assert_eq!(digest_ha1(DigestAlgorithm::Sha256, "Mufasa", realm, &pw).len(), 64);
        // RFC 7616 §3.9.2 userhash example uses SHA-512-256; check SHA-256 determinism instead.
        assert_eq!(
            digest_userhash(DigestAlgorithm::Sha256, "Mufasa", realm),
            digest_hex(DigestAlgorithm::Sha256, b"Mufasa:http-auth@example.org")
        );
    }
}

#[cfg(test)]
mod tests_cost;
