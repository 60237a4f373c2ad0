//! `user list` and `user show`: every user and where it comes from — the local store (with
//! a password, or pending an invitation), linked to OpenID Connect providers, or created by
//! a provider on first sign-in (an external identity without a `users` row).

use crate::CmdResult;
use crate::ctx::Ctx;
use crate::output::print_json;
use anyhow::anyhow;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use wicket_core::accounts::{DigestReadiness, digest_readiness};
use wicket_core::duration::{format_unix, sanitize};
use wicket_core::store::{AccountState, ExternalIdentity, User, UserStore};

/// What the store knows besides the users themselves: open invitations and provider links.
struct Links {
    invited: BTreeSet<String>,
    identities: Vec<ExternalIdentity>,
}

impl Links {
    fn load(store: &dyn UserStore, now: i64) -> anyhow::Result<Self> {
        let invited = store.list_invites(now)?.into_iter().filter(|i| !i.reset).map(|i| i.user).collect();
        Ok(Self { invited, identities: store.list_identities()? })
    }

    /// Providers whose subjects sign in as the user `name` of `backend`, sorted, once each.
    fn providers(&self, backend: &str, name: &str) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .identities
            .iter()
            .filter(|i| i.backend == backend && i.user_name == name)
            .map(|i| i.provider.as_str())
            .collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// Users created by a provider on first sign-in: name → their identities.
    fn oidc_users(&self) -> BTreeMap<&str, Vec<&ExternalIdentity>> {
        let mut m: BTreeMap<&str, Vec<&ExternalIdentity>> = BTreeMap::new();
        for i in self.identities.iter().filter(|i| i.backend == "oidc") {
            m.entry(i.user_name.as_str()).or_default().push(i);
        }
        m
    }
}

/// The state in `--json`: the stored state, or `pending` for an active local user without a
/// password whose invitation is still open (expiry is left to `expires_at`, as documented).
fn state(u: &User, links: &Links) -> &'static str {
    if u.state == AccountState::Active && u.password_hash.is_none() && links.invited.contains(&u.name) {
        "pending"
    } else {
        u.state.as_str()
    }
}

/// The state word in text: as in `--json`, and `expired` for an active account past its expiry.
fn state_word(u: &User, links: &Links, now: i64) -> &'static str {
    if u.state == AccountState::Active && u.is_expired(now) { "expired" } else { state(u, links) }
}

/// `local`, `local, oidc: Example ID`, `oidc: Example ID`.
fn source_line(local: bool, providers: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    if local {
        parts.push("local".into());
    }
    parts.extend(providers.iter().map(|p| format!("oidc: {}", sanitize(p))));
    parts.join(", ")
}

fn local_json(u: &User, links: &Links) -> anyhow::Result<Value> {
    let mut v = serde_json::to_value(u)?;
    v["password_scheme"] = json!(u.hash_scheme());
    v["source"] = json!("local");
    v["state"] = json!(state(u, links));
    v["providers"] = json!(links.providers("local", &u.name));
    Ok(v)
}

fn oidc_json(store: &dyn UserStore, name: &str, ids: &[&ExternalIdentity]) -> anyhow::Result<Value> {
    let providers: BTreeSet<&str> = ids.iter().map(|i| i.provider.as_str()).collect();
    Ok(json!({
        "name": name,
        "source": "oidc",
        "state": "active",
        "providers": providers,
        "groups": store.external_groups("oidc", name)?,
        "created_at": ids.iter().map(|i| i.created_at).min(),
        "last_login": ids.iter().filter_map(|i| i.last_login).max(),
    }))
}

/// `wicket user list [--json]`.
pub fn list(ctx: &Ctx, as_json: bool) -> CmdResult {
    let store = ctx.existing_store()?;
    let now = ctx.now();
    let users = store.list_users()?;
    let links = Links::load(store.as_ref(), now)?;
    let oidc = links.oidc_users();
    if as_json {
        let mut out = Vec::new();
        for u in &users {
            out.push(local_json(u, &links)?);
        }
        for (name, ids) in &oidc {
            out.push(oidc_json(store.as_ref(), name, ids)?);
        }
        return print_json(&out);
    }
    let join = |g: &[String]| if g.is_empty() { "-".to_string() } else { g.join(",") };
    for u in &users {
        let providers = links.providers("local", &u.name);
        println!(
            "{:<20} {:>7} {:<8} {:<12} {:<16} {}",
            u.name,
            u.uid,
            state_word(u, &links, now),
            u.hash_scheme(),
            join(&u.groups),
            source_line(true, &providers)
        );
    }
    for (name, ids) in &oidc {
        let providers: BTreeSet<String> = ids.iter().map(|i| i.provider.clone()).collect();
        let groups = store.external_groups("oidc", name)?;
        let providers: Vec<String> = providers.into_iter().collect();
        println!(
            "{:<20} {:>7} {:<8} {:<12} {:<16} {}",
            name,
            "-",
            "active",
            "-",
            join(&groups),
            source_line(false, &providers)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `wicket user show NAME [--json]`: a local user, or (`oidc:NAME`, or a NAME without a
/// local account) a user created by a provider.
pub fn show(ctx: &Ctx, name: &str, as_json: bool) -> CmdResult {
    let store = ctx.existing_store()?;
    let now = ctx.now();
    let links = Links::load(store.as_ref(), now)?;
    let local = match name.strip_prefix("oidc:") {
        Some(_) => None,
        None => store.get_user(name)?,
    };
    let Some(u) = local else {
        let bare = name.strip_prefix("oidc:").unwrap_or(name);
        let oidc = links.oidc_users();
        let ids = oidc.get(bare).ok_or_else(|| anyhow!("no such user `{}`", sanitize(name)))?;
        if as_json {
            return print_json(&oidc_json(store.as_ref(), bare, ids)?);
        }
        let providers: Vec<String> =
            ids.iter().map(|i| i.provider.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let groups = store.external_groups("oidc", bare)?;
        let time = |t: Option<i64>| t.map(format_unix).unwrap_or_else(|| "-".into());
        println!("name:       {bare}");
        println!("source:     {}", source_line(false, &providers));
        println!("state:      active");
        println!("groups:     {}", if groups.is_empty() { "-".into() } else { groups.join(", ") });
        println!("created:    {}", time(ids.iter().map(|i| i.created_at).min()));
        println!("last login: {}", time(ids.iter().filter_map(|i| i.last_login).max()));
        return Ok(ExitCode::SUCCESS);
    };
    if as_json {
        return print_json(&local_json(&u, &links)?);
    }
    let policy = ctx.policy()?;
    let digest = digest_readiness(store.as_ref(), &policy, &u)?;
    print_user(&u, state_word(&u, &links, now));
    println!("source:     {}", source_line(true, &links.providers("local", &u.name)));
    println!("digest:     {}", digest_line(&digest));
    Ok(ExitCode::SUCCESS)
}

/// Whether Digest works for the user in the configured realm, and what to do if not.
pub(crate) fn digest_line(d: &DigestReadiness) -> String {
    const FIX: &str = "set the password again or log in once with Basic";
    let names =
        |algs: &[wicket_core::config::DigestAlgorithm]| algs.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ");
    match d {
        DigestReadiness::NotOffered => "not offered (see [http] schemes)".into(),
        DigestReadiness::NoPassword => "no (no password set)".into(),
        DigestReadiness::Ready { realm, have, missing } if missing.is_empty() => {
            format!("yes (realm \"{}\", {})", sanitize(realm), names(have))
        }
        DigestReadiness::Ready { realm, have, .. } if have.is_empty() => {
            format!("no (realm \"{}\") — {FIX}", sanitize(realm))
        }
        DigestReadiness::Ready { realm, have, missing } => {
            format!("partly (realm \"{}\", {}; not {}) — {FIX}", sanitize(realm), names(have), names(missing))
        }
    }
}

/// A local user's fields, one per line; `state` is the word `user list` shows.
pub(crate) fn print_user(u: &User, state: &str) {
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let time = |t: Option<i64>| t.map(format_unix).unwrap_or_else(|| "-".into());
    println!("name:       {}", u.name);
    println!("uid:        {}", u.uid);
    println!("gid:        {}", u.gid);
    println!("full name:  {}", opt(&u.display_name));
    println!("email:      {}", opt(&u.email));
    println!("home:       {}", u.home);
    println!("shell:      {}", u.shell);
    println!("state:      {state}");
    println!("expires:    {}", time(u.expires_at));
    println!("password:   {} (changed {})", u.hash_scheme(), time(u.password_changed_at));
    println!("groups:     {}", if u.groups.is_empty() { "-".into() } else { u.groups.join(", ") });
    println!("created:    {}", format_unix(u.created_at));
}
