//! Which Wicket account a provider's subject signs in as: the recorded link, or (by the
//! provider's `provision`) an existing local user or a new `oidc:` one, recorded on first
//! sign-in so a renamed claim keeps the account.

use super::*;
use wicket_core::config::{OidcConfig, Provision};
use wicket_core::oidc::claims::Mapped;
use wicket_core::store::ExternalIdentity;

/// Why the account step refused.
pub(super) enum AccountRefusal {
    NotKnown,
    Taken,
    Disabled,
    Store(wicket_core::Error),
}

/// The Wicket identity of `sub` at `p`, recording it on first sign-in.
pub(super) fn resolve(
    rt: &Runtime,
    now: i64,
    p: &OidcConfig,
    sub: &str,
    m: &Mapped,
) -> Result<Identity, AccountRefusal> {
    let local = rt.auth.chain().local.clone().ok_or(AccountRefusal::NotKnown)?;
    let recorded = local.with_store(|s| s.find_identity(&p.name, sub)).map_err(AccountRefusal::Store)?;
    let (backend, name) = match recorded {
        Some(r) => (r.backend, r.user_name),
        None => {
            let user = local.user(&m.name).map_err(AccountRefusal::Store)?;
            let backend = match (user, p.provision) {
                (Some(_), _) => "local",
                (None, Provision::Create) => "oidc",
                (None, Provision::Existing) => return Err(AccountRefusal::NotKnown),
            };
            let record = ExternalIdentity {
                provider: p.name.clone(),
                subject: sub.to_string(),
                backend: backend.to_string(),
                user_name: m.name.clone(),
                created_at: now,
                last_login: None,
            };
            match local.with_store(|s| s.add_identity(&record)) {
                Ok(()) => {}
                Err(wicket_core::Error::UserExists(_)) => return Err(AccountRefusal::Taken),
                Err(e) => return Err(AccountRefusal::Store(e)),
            }
            (backend.to_string(), m.name.clone())
        }
    };
    if let Err(e) = local.with_store(|s| s.touch_identity(&p.name, sub, now)) {
        tracing::warn!("oidc: could not record the sign-in time: {e}");
    }
    if backend == "local" {
        let user = local.user(&name).map_err(AccountRefusal::Store)?.ok_or(AccountRefusal::NotKnown)?;
        if wicket_core::local::account_refusal(&user, now).is_some() {
            return Err(AccountRefusal::Disabled);
        }
        return Ok(wicket_core::local::identity(&user));
    }
    let mut groups = m.groups.clone();
    let wicket = local.with_store(|s| s.external_groups("oidc", &name)).map_err(AccountRefusal::Store)?;
    for g in wicket {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    Ok(Identity {
        name,
        uid: None,
        gid: None,
        display_name: m.display_name.clone(),
        email: m.email.clone(),
        groups,
        backend: "oidc".into(),
        scopes: None,
    })
}
