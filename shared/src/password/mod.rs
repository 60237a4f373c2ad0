//! Password hashing: argon2id for everything Wicket writes; imported formats (bcrypt,
//! apr1, sha-crypt, `{SSHA}`, `{SHA}`) are verified and upgraded to argon2id on the next
//! successful login. Digest HA1 values are derived here too, because they can only be made
//! while the plaintext is at hand.

mod legacy;

use crate::config::{DigestAlgorithm, PasswordConfig};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::hex;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use md5::Md5;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

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
}

impl Hasher {
    /// A hasher with the given parameters.
    pub fn new(cfg: &PasswordConfig) -> Result<Self> {
        let params = Params::new(cfg.argon2_memory_kib, cfg.argon2_iterations, cfg.argon2_parallelism, None)
            .map_err(|e| Error::Hash(e.to_string()))?;
        Ok(Self { params, dummy: OnceLock::new() })
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
            // Verify with the parameters recorded in the hash, whatever they are.
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

/// True when a stored hash string is in a format Wicket can verify.
pub fn is_supported_hash(stored: &str) -> bool {
    if stored.starts_with("$argon2") {
        return PasswordHash::new(stored).is_ok();
    }
    legacy::detect(stored).is_some()
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
