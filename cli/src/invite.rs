//! `user invite`, `user reset-link` and `user invites`: one-time links where a person
//! chooses their own password in the portal — sign-up and "forgot password" without an
//! e-mail server. The administrator hands the link over; it works once, for a short time
//! (`--expires`, default `[invites] expiry`, 24 h), and only its hash is stored.

use crate::CmdResult;
use crate::ctx::Ctx;
use crate::output::print_json;
use anyhow::{anyhow, bail};
use std::process::ExitCode;
use wicket_core::accounts::validate_new_user;
use wicket_core::duration::{format_unix, sanitize};
use wicket_core::secret::Secret;
use wicket_core::store::NewUser;

/// `user invite` options.
#[derive(Debug, clap::Args)]
pub struct InviteArgs {
    /// Login name: a new user, or a pending one (no password yet) to give a fresh link.
    name: String,
    /// Give an existing user a link to choose a new password instead (like `reset-link`).
    #[arg(long, conflicts_with_all = ["display_name", "email", "groups"])]
    reset: bool,
    /// Full name.
    #[arg(long = "full-name", value_name = "NAME")]
    display_name: Option<String>,
    /// E-mail address.
    #[arg(long)]
    email: Option<String>,
    /// Groups to put the new user in (comma-separated; each must exist).
    #[arg(long, value_name = "GROUP,…", value_delimiter = ',')]
    groups: Vec<String>,
    /// How long the link works: a duration (24h, 3d) or a date [default: [invites] expiry, 24h].
    #[arg(long, value_name = "WHEN")]
    expires: Option<String>,
}

/// `user invite NAME …` (and `--reset`).
pub fn invite(ctx: &Ctx, args: InviteArgs) -> CmdResult {
    let base = portal_base(ctx)?;
    let expires_at = link_expiry(ctx, args.expires.as_deref())?;
    if args.reset {
        return reset(ctx, &base, &args.name, expires_at);
    }
    let new = NewUser { name: args.name, display_name: args.display_name, email: args.email, ..NewUser::default() };
    validate_new_user(&new)?;
    let groups: Vec<String> = args.groups.into_iter().map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).collect();
    let inv = ctx.write(|acc| Ok(acc.invite_user(&new, &groups, expires_at, ctx.now())?))?;
    println!("{}", link(&base, &inv.token));
    if inv.created {
        eprintln!(
            "invited {} (uid {}, gid {}): no password until the link is used",
            inv.user.name, inv.user.uid, inv.user.gid
        );
    } else {
        eprintln!("new link for {} (the earlier one no longer works)", inv.user.name);
    }
    eprintln!("{}", works_until(inv.info.expires_at));
    Ok(ExitCode::SUCCESS)
}

/// `user reset-link NAME`.
pub fn reset_link(ctx: &Ctx, name: &str, expires: Option<&str>) -> CmdResult {
    let base = portal_base(ctx)?;
    let expires_at = link_expiry(ctx, expires)?;
    reset(ctx, &base, name, expires_at)
}

fn reset(ctx: &Ctx, base: &str, name: &str, expires_at: i64) -> CmdResult {
    let (token, info) = ctx.write(|acc| Ok(acc.reset_link(name, expires_at, ctx.now())?))?;
    println!("{}", link(base, &token));
    eprintln!("password reset link for {} (the current password works until it is used)", sanitize(&info.user));
    eprintln!("{}", works_until(info.expires_at));
    Ok(ExitCode::SUCCESS)
}

/// `user invites [--json]`: open links, never their tokens.
pub fn list(ctx: &Ctx, json: bool) -> CmdResult {
    let invites = ctx.existing_store()?.list_invites(ctx.now())?;
    if json {
        return print_json(&invites);
    }
    for i in &invites {
        let kind = if i.reset { "reset" } else { "invite" };
        println!("{:<20} {:<7} expires {}", i.user, kind, format_unix(i.expires_at));
    }
    Ok(ExitCode::SUCCESS)
}

fn works_until(expires_at: i64) -> String {
    format!(
        "the link works once, until {}; hand it over yourself (it is as good as a password)",
        format_unix(expires_at)
    )
}

/// `[session] portal_url` without a trailing `/`: links lead to the portal.
fn portal_base(ctx: &Ctx) -> anyhow::Result<String> {
    let Some(session) = ctx.cfg.session.as_ref() else {
        bail!("invitations need the sign-in portal: add a [session] section with portal_url to the config");
    };
    let Some(url) = session.portal_url.as_deref() else {
        bail!("invitations need [session] portal_url (where the portal is reached, e.g. https://auth.example.org)");
    };
    Ok(url.trim_end_matches('/').to_string())
}

fn link(base: &str, token: &Secret) -> String {
    format!("{base}/invite?t={}", token.expose_str().unwrap_or_default())
}

fn link_expiry(ctx: &Ctx, expires: Option<&str>) -> anyhow::Result<i64> {
    match expires {
        Some("never") => bail!("an invitation always expires (at most 30d)"),
        Some(w) => ctx.when(w),
        None => {
            let secs =
                i64::try_from(ctx.cfg.invites.expiry.as_secs()).map_err(|_| anyhow!("[invites] expiry is too long"))?;
            Ok(ctx.now().saturating_add(secs))
        }
    }
}
