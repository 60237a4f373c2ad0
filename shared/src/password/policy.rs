//! How passwords are turned into what the store keeps.

use super::strength::PasswordRules;
use super::{Hasher, digest_ha1, digest_userhash};
use crate::config::{Config, DigestAlgorithm, Scheme};
use crate::error::Result;
use crate::secret::Secret;
use crate::store::{Ha1Entry, PasswordRecord};

/// How passwords are turned into what the store keeps: the argon2id hash and, when Digest
/// is offered, HA1 values for the realm and each configured algorithm. It also carries what
/// [`crate::accounts::Accounts`] applies to a *new* password: the [`PasswordRules`] it must
/// meet and whether setting it revokes the user's tokens (`[tokens] revoke_on_password_change`).
#[derive(Debug)]
pub struct PasswordPolicy {
    hasher: Hasher,
    realm: String,
    digest_algorithms: Vec<DigestAlgorithm>,
    rules: PasswordRules,
    revoke_tokens: bool,
}

impl PasswordPolicy {
    /// From the config's `[passwords]`, `server.realm` and `[http]`.
    pub fn from_config(cfg: &Config) -> Result<Self> {
        let digest_algorithms =
            if cfg.http.schemes.contains(&Scheme::Digest) { cfg.http.digest_algorithms.clone() } else { Vec::new() };
        Ok(Self {
            hasher: Hasher::new(&cfg.passwords)?,
            realm: cfg.server.realm.clone(),
            digest_algorithms,
            rules: PasswordRules::from_config(&cfg.passwords),
            revoke_tokens: cfg.tokens.revoke_on_password_change,
        })
    }

    /// The rules a new password must meet (`[passwords] min_length`, name, common list).
    pub fn rules(&self) -> &PasswordRules {
        &self.rules
    }

    /// Whether setting a password also revokes the user's tokens.
    pub fn revokes_tokens(&self) -> bool {
        self.revoke_tokens
    }

    /// The hasher.
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// The realm HA1 values are made for (`[server] realm`).
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The Digest algorithms HA1 values are made for; empty when Digest is not offered.
    pub fn digest_algorithms(&self) -> &[DigestAlgorithm] {
        &self.digest_algorithms
    }

    /// Hashes a new password for `user` (refusing an empty one) with its Digest values.
    pub fn record(&self, user: &str, password: &Secret) -> Result<PasswordRecord> {
        let hash = self.hasher.hash(password)?;
        Ok(PasswordRecord { hash, ha1: self.ha1_entries(user, password, &self.digest_algorithms) })
    }

    /// The HA1 values of `password` for `user` in the configured realm.
    pub(crate) fn ha1_entries(&self, user: &str, password: &Secret, algorithms: &[DigestAlgorithm]) -> Vec<Ha1Entry> {
        algorithms
            .iter()
            .map(|&algorithm| Ha1Entry {
                realm: self.realm.clone(),
                algorithm,
                ha1: digest_ha1(algorithm, user, &self.realm, password),
                userhash: digest_userhash(algorithm, user, &self.realm),
            })
            .collect()
    }
}
