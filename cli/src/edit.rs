//! Changing what exists: `user mod`, `user rename`, `group show`, `token revoke --user`, and
//! the token expiry default.

use crate::CmdResult;
use crate::ModArgs;
use crate::ctx::Ctx;
use crate::output::print_json;
use anyhow::{anyhow, bail};
use std::process::ExitCode;
use wicket_core::accounts::validate_changes;
use wicket_core::duration::{format_unix, sanitize};
use wicket_core::names::validate_name;
use wicket_core::store::UserChanges;

/// `user mod NAME --…`: everything is checked before the store is opened, then applied in
/// one transaction. Prints what changed, as stored.
pub fn user_mod(ctx: &Ctx, name: &str, args: ModArgs) -> CmdResult {
    let clear_if_empty = |v: Option<String>| v.map(|s| if s.is_empty() { None } else { Some(s) });
    let expires_at = match args.expires.as_deref() {
        None => None,
        Some("never") => Some(None),
        Some(w) => Some(Some(ctx.when(w)?)),
    };
    let changes = UserChanges {
        uid: args.uid,
        gid: args.gid,
        display_name: clear_if_empty(args.display_name),
        email: clear_if_empty(args.email),
        home: args.home,
        shell: args.shell,
        expires_at,
    };
    validate_changes(&changes)?;
    let u = ctx.write(|acc| Ok(acc.update_user(name, &changes, ctx.now())?))?;
    let mut what = Vec::new();
    let opt = |o: &Option<String>| o.as_deref().map(sanitize).unwrap_or_else(|| "-".into());
    if changes.uid.is_some() {
        what.push(format!("uid {}", u.uid));
    }
    if changes.gid.is_some() {
        what.push(format!("gid {}", u.gid));
    }
    if changes.display_name.is_some() {
        what.push(format!("full name {}", opt(&u.display_name)));
    }
    if changes.email.is_some() {
        what.push(format!("email {}", opt(&u.email)));
    }
    if changes.home.is_some() {
        what.push(format!("home {}", sanitize(&u.home)));
    }
    if changes.shell.is_some() {
        what.push(format!("shell {}", sanitize(&u.shell)));
    }
    if changes.expires_at.is_some() {
        what.push(format!("expires {}", u.expires_at.map(format_unix).unwrap_or_else(|| "never".into())));
    }
    eprintln!("changed user {}: {}", u.name, what.join(", "));
    Ok(ExitCode::SUCCESS)
}

/// `user rename OLD NEW`.
pub fn user_rename(ctx: &Ctx, old: &str, new: &str) -> CmdResult {
    validate_name(new)?;
    ctx.write(|acc| Ok(acc.rename_user(old, new, ctx.now())?))?;
    eprintln!("renamed user {old} to {new} (same uid and gid; the home directory was not moved)");
    Ok(ExitCode::SUCCESS)
}

/// `group show NAME [--json]`.
pub fn group_show(ctx: &Ctx, name: &str, json: bool) -> CmdResult {
    let g = ctx.existing_store()?.get_group(name)?.ok_or_else(|| anyhow!("no such group `{}`", sanitize(name)))?;
    if json {
        return print_json(&g);
    }
    println!("name:       {}", g.name);
    println!("gid:        {}", g.gid);
    println!("members:    {}", if g.members.is_empty() { "-".into() } else { g.members.join(", ") });
    Ok(ExitCode::SUCCESS)
}

/// "revoked N tokens of USER".
pub fn revoked_line(n: u64, user: &str) -> String {
    format!("revoked {n} token{} of {}", if n == 1 { "" } else { "s" }, sanitize(user))
}

/// A new token's creation time and expiry (`--expires WHEN`, `--expires never`, or
/// `[tokens] default_expiry`), from one reading of the clock: a token made to last a day
/// lasts a day from its recorded creation, however long opening the store takes between.
pub fn token_times(ctx: &Ctx, expires: Option<&str>) -> anyhow::Result<(i64, Option<i64>)> {
    let now = ctx.now();
    let expires_at = match expires {
        Some("never") => None,
        Some(w) => Some(ctx.when_from(w, now)?),
        None => match ctx.cfg.tokens.default_expiry {
            None => None,
            Some(d) => {
                let secs = i64::try_from(d.as_secs()).map_err(|_| anyhow!("[tokens] default_expiry is too long"))?;
                match now.checked_add(secs) {
                    Some(t) => Some(t),
                    None => bail!("[tokens] default_expiry is too long"),
                }
            }
        },
    };
    Ok((now, expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::time::Duration;
    use wicket_core::clock::Clock;
    use wicket_core::config::Config;

    /// A clock a second further on at every reading, as if each step took that long.
    #[derive(Debug)]
    struct Ticking(AtomicI64);

    impl Clock for Ticking {
        fn now(&self) -> i64 {
            self.0.fetch_add(1, Ordering::SeqCst)
        }
    }

    #[test]
    fn a_tokens_lifetime_counts_from_its_recorded_creation() {
        let mut cfg = Config::default();
        cfg.tokens.default_expiry = Some(Duration::from_secs(90 * 86_400));
        let ctx = Ctx { cfg, clock: Arc::new(Ticking(AtomicI64::new(1_800_000_000))) };
        let lifetime = |expires: Option<&str>| {
            let (created, until) = token_times(&ctx, expires).unwrap_or_else(|e| panic!("{e}"));
            until.map(|t| t - created)
        };
        assert_eq!(lifetime(Some("1d")), Some(86_400));
        assert_eq!(lifetime(None), Some(90 * 86_400));
        assert_eq!(lifetime(Some("now")), Some(0));
        assert_eq!(lifetime(Some("never")), None);
    }
}
