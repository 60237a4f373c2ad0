//! The LDAP backend (being written).

use crate::auth::{Backend, BackendAnswer};
use crate::clock::SharedClock;
use crate::config::LdapConfig;
use crate::error::Result;
use crate::secret::Secret;

/// `kind = "ldap"`.
#[derive(Debug)]
pub struct LdapBackend {
    _cfg: LdapConfig,
}

impl LdapBackend {
    /// Builds the backend (no connection is made yet).
    pub fn new(cfg: &LdapConfig, _clock: SharedClock) -> Result<Self> {
        Ok(Self { _cfg: cfg.clone() })
    }
}

impl Backend for LdapBackend {
    fn name(&self) -> &str {
        "ldap"
    }
    fn verify_password(&self, _user: &str, _password: &Secret) -> BackendAnswer {
        BackendAnswer::Unavailable("ldap backend not implemented".into())
    }
}
