//! Users of other backends in Wicket groups: an LDAP or PAM user's Wicket groups (`wicket
//! group member add admins ldap:carol`) join the groups their directory gave them, so
//! `Remote-Groups`, the `[[rule]]`s and `/auth?group=` see both.
//!
//! Where: on the slow-work thread right after the chain accepted a password (so the merged
//! identity is what the credential cache keeps, under the store's generation counter — any
//! membership change moves it and the next request reads again), and when a session is
//! re-read from the store. A bearer token owned by such a user carries their Wicket groups
//! only (no directory is asked on the token path; see [`crate::local::LocalBackend::verify_token`]).
//! Memberships are kept under the name as [`canonical_name`] spells it.

use crate::auth::Identity;
use crate::error::Result;
use crate::local::LocalBackend;
use crate::throttle::canonical_name;

/// Adds `id`'s Wicket groups when `id` comes from another backend (one indexed read).
/// A local user's groups are already the store's.
pub(crate) fn add_wicket_groups(local: &LocalBackend, id: &mut Identity) -> Result<()> {
    if id.backend == "local" {
        return Ok(());
    }
    let name = canonical_name(&id.name);
    let extra = local.with_store(|s| s.external_groups(&id.backend, &name))?;
    merge(&mut id.groups, extra);
    Ok(())
}

/// `groups` with `extra` appended, each name once, in first-seen order.
pub(crate) fn merge(groups: &mut Vec<String>, extra: Vec<String>) {
    for g in extra {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
}

/// What a session of an external user keeps: the groups the directory gave, without the
/// Wicket groups of now (they are added again, current, whenever the session is re-read).
/// A group named both in the directory and in Wicket is dropped from the snapshot too: it
/// comes back while the Wicket membership stands (it errs towards less access).
pub(crate) fn directory_groups(local: &LocalBackend, id: &Identity) -> Result<Vec<String>> {
    if id.backend == "local" {
        return Ok(id.groups.clone());
    }
    let name = canonical_name(&id.name);
    let wicket = local.with_store(|s| s.external_groups(&id.backend, &name))?;
    Ok(id.groups.iter().filter(|g| !wicket.contains(g)).cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::merge;

    #[test]
    fn merged_groups_are_deduplicated_in_order() {
        let mut g = vec!["staff".to_string(), "admins".to_string()];
        merge(&mut g, vec!["admins".into(), "ops".into(), "ops".into()]);
        assert_eq!(g, vec!["staff", "admins", "ops"]);
    }
}
