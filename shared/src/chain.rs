//! Builds the backend chain from `[[backend]]` blocks — the one place that knows which
//! backend kinds exist, used by wicketd and by `wicket check`.

use crate::auth::{Backend, BackendChain};
use crate::clock::SharedClock;
use crate::config::{BackendConfig, Config, PamConfig};
use crate::directory::Directory;
use crate::error::Result;
use crate::local::{LocalBackend, PasswordPolicy};
use std::sync::Arc;

/// The chain and, when configured, the local backend (tokens and Digest live there).
#[derive(Debug, Clone)]
pub struct Chain {
    /// The backends in order.
    pub backends: BackendChain,
    /// The local backend, if one is configured.
    pub local: Option<Arc<LocalBackend>>,
    /// How passwords are hashed.
    pub policy: Arc<PasswordPolicy>,
    /// Account sources for NSS lookups, in chain order.
    pub directories: Vec<Arc<dyn Directory>>,
}

/// Makes a PAM backend. The system PAM stack needs FFI, which this crate never contains:
/// programs that offer it (wicketd, wicket) pass a constructor from `wicket-syspam`.
pub type PamFactory<'a> = &'a dyn Fn(&PamConfig) -> Arc<dyn Backend>;

/// Opens every configured backend.
pub fn build(cfg: &Config, clock: SharedClock, pam: Option<PamFactory<'_>>) -> Result<Chain> {
    let policy = Arc::new(PasswordPolicy::from_config(cfg)?);
    let mut backends: Vec<Arc<dyn Backend>> = Vec::new();
    let mut local = None;
    let mut directories: Vec<Arc<dyn Directory>> = Vec::new();
    for b in &cfg.backend {
        match b {
            BackendConfig::Local(_) => {
                let l = Arc::new(LocalBackend::new(cfg, policy.clone(), clock.clone())?);
                local.get_or_insert_with(|| l.clone());
                directories.push(l.clone());
                backends.push(l);
            }
            BackendConfig::Ldap(l) => {
                let b = Arc::new(crate::ldap::LdapBackend::new(l, clock.clone())?);
                directories.push(b.clone());
                backends.push(b);
            }
            BackendConfig::Pam(p) => match pam {
                Some(make) => backends.push(make(p)),
                None => return Err(crate::Error::Invalid("the pam backend is not available in this program".into())),
            },
        }
    }
    Ok(Chain { backends: BackendChain::new(backends), local, policy, directories })
}
