//! What each subcommand does.

use crate::ctx::Ctx;
use crate::output::print_json;
use crate::prompt::{self, Source};
use crate::{Cli, CmdResult, Command, GroupCmd, ImportCmd, SessionCmd, TokenCmd, UserCmd};
use anyhow::{Context as _, bail};
use serde::Serialize;
use std::process::ExitCode;
use wicket_core::accounts::{validate_id, validate_new_user, validate_scope, validate_token_name};
use wicket_core::duration::{format_unix, sanitize};
use wicket_core::names::validate_name;
use wicket_core::store::{AccountState, NewUser, SessionRecord, TokenInfo};
use wicket_core::verify::pool::SlowPool;
use wicket_core::verify::{Authenticator, Context, Credential, Decision, Shared};

pub fn run(cli: Cli) -> CmdResult {
    let ctx = Ctx::load(&cli)?;
    match cli.command {
        Command::User(c) => user(&ctx, c),
        Command::Group(c) => group(&ctx, c),
        Command::Token(c) => token_cmd(&ctx, c),
        Command::Session(c) => session_cmd(&ctx, c),
        Command::Import(ImportCmd::Htpasswd { file }) => crate::import::htpasswd(&ctx, &file),
        Command::Events(a) => crate::events::run(&ctx, a),
        Command::Check { user, pw } => check(&ctx, &user, Source::from_flag(pw.password_stdin)),
        Command::Store(c) => crate::store_copy::run(c),
    }
}

fn ok() -> CmdResult {
    Ok(ExitCode::SUCCESS)
}

fn user(ctx: &Ctx, cmd: UserCmd) -> CmdResult {
    match cmd {
        UserCmd::Add { name, pw, no_password, uid, gid, display_name, email, home, shell, expires } => {
            let mut new = NewUser { name, uid, gid, display_name, email, home, shell, expires_at: None };
            // Everything that can be refused is refused before the store is opened.
            validate_new_user(&new)?;
            new.expires_at = expires.as_deref().map(|w| ctx.when(w)).transpose()?;
            let u = ctx.write(|acc| {
                // Refuse a duplicate before asking for a password.
                acc.check_new_user(&new)?;
                let pw = if no_password {
                    None
                } else {
                    Some(prompt::new_password(Source::from_flag(pw.password_stdin), &new.name)?)
                };
                Ok(acc.add_user(&new, pw.as_ref(), ctx.now())?)
            })?;
            eprintln!("added user {} (uid {}, gid {})", u.name, u.uid, u.gid);
            ok()
        }
        UserCmd::Passwd { name, pw } => {
            let revoked = ctx.write(|acc| {
                acc.require_user(&name)?;
                let pw = prompt::new_password(Source::from_flag(pw.password_stdin), &name)?;
                Ok(acc.change_password(&name, &pw, ctx.now())?)
            })?;
            eprintln!("password of {name} changed");
            if ctx.cfg.tokens.revoke_on_password_change {
                eprintln!("{}", crate::edit::revoked_line(revoked, &name));
            }
            ok()
        }
        UserCmd::Invite(args) => crate::invite::invite(ctx, args),
        UserCmd::ResetLink { name, expires } => crate::invite::reset_link(ctx, &name, expires.as_deref()),
        UserCmd::Invites { json } => crate::invite::list(ctx, json.json),
        UserCmd::Mod { name, changes } => crate::edit::user_mod(ctx, &name, changes),
        UserCmd::Totp(c) => crate::totp::run(ctx, c),
        UserCmd::Passkeys { user, json } => crate::passkey::list(ctx, &user, &json),
        UserCmd::Passkey(c) => crate::passkey::run(ctx, c),
        UserCmd::Rename { old, new } => crate::edit::user_rename(ctx, &old, &new),
        UserCmd::Del { name } => {
            ctx.write(|acc| Ok(acc.delete_user(&name)?))?;
            eprintln!("deleted user {name}");
            ok()
        }
        UserCmd::Lock { name } => set_state(ctx, &name, AccountState::Locked, "locked"),
        UserCmd::Unlock { name } => set_state(ctx, &name, AccountState::Active, "unlocked"),
        UserCmd::Disable { name } => set_state(ctx, &name, AccountState::Disabled, "disabled"),
        UserCmd::Enable { name } => set_state(ctx, &name, AccountState::Active, "enabled"),
        UserCmd::Expire { name, when } => {
            let at = if when == "never" { None } else { Some(ctx.when(&when)?) };
            ctx.write(|acc| Ok(acc.set_expiry(&name, at, ctx.now())?))?;
            match at {
                Some(t) => eprintln!("{name} expires {}", format_unix(t)),
                None => eprintln!("{name} never expires"),
            }
            ok()
        }
        UserCmd::Show { name, json } => crate::users::show(ctx, &name, json.json),
        UserCmd::List { json } => crate::users::list(ctx, json.json),
    }
}

fn set_state(ctx: &Ctx, name: &str, state: AccountState, done: &str) -> CmdResult {
    ctx.write(|acc| Ok(acc.set_state(name, state, ctx.now())?))?;
    eprintln!("{done} {name}");
    ok()
}

fn group(ctx: &Ctx, cmd: GroupCmd) -> CmdResult {
    match cmd {
        GroupCmd::Add { name, gid } => {
            validate_name(&name)?;
            validate_id("gid", gid)?;
            let g = ctx.write(|acc| Ok(acc.add_group(&name, gid, ctx.now())?))?;
            eprintln!("added group {} (gid {})", g.name, g.gid);
        }
        GroupCmd::Del { name } => {
            ctx.write(|acc| Ok(acc.delete_group(&name)?))?;
            eprintln!("deleted group {name}");
        }
        GroupCmd::Show { name, json } => return crate::edit::group_show(ctx, &name, json.json),
        GroupCmd::List { json } => {
            let groups = ctx.existing_store()?.list_groups()?;
            if json.json {
                return print_json(&groups);
            }
            for g in groups {
                let members: Vec<&String> = g.members.iter().chain(&g.external_members).collect();
                println!(
                    "{:<20} {:>7} {}",
                    g.name,
                    g.gid,
                    members.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",")
                );
            }
        }
        GroupCmd::AddMember { group, user } => {
            let user = member_ref(ctx, &user)?;
            if ctx.write(|acc| Ok(acc.add_member(&user, &group)?))? {
                eprintln!("added {user} to {group}");
            } else {
                eprintln!("{user} already is a member of {group}");
            }
        }
        GroupCmd::RemoveMember { group, user } => {
            let user = member_ref(ctx, &user)?;
            if ctx.write(|acc| Ok(acc.remove_member(&user, &group)?))? {
                eprintln!("removed {user} from {group}");
            } else {
                bail!("`{}` is not a member of `{}`", sanitize(&user), sanitize(&group));
            }
        }
    }
    ok()
}

/// A member or token owner: a local name, or `backend:name` for a user of a configured
/// backend (`ldap:carol`), canonicalised as the daemon looks it up.
fn member_ref(ctx: &Ctx, who: &str) -> anyhow::Result<String> {
    Ok(wicket_core::access::members::parse(who, &wicket_core::access::members::backend_names(&ctx.cfg))?)
}

fn token_cmd(ctx: &Ctx, cmd: TokenCmd) -> CmdResult {
    match cmd {
        TokenCmd::Create { user, name, expires, scopes } => {
            let user = member_ref(ctx, &user)?;
            validate_token_name(&name)?;
            for s in &scopes {
                validate_scope(s)?;
            }
            let (now, expires_at) = crate::edit::token_times(ctx, expires.as_deref())?;
            let (secret, info) = ctx.write(|acc| Ok(acc.create_token(&user, &name, &scopes, expires_at, now)?))?;
            // The only time the token is ever shown.
            println!("{}", secret.expose_str().unwrap_or_default());
            let until = info.expires_at.map(format_unix).unwrap_or_else(|| "never".into());
            eprintln!("token `{}` for {} created (expires: {until}); it is shown only once", info.name, info.owner);
            ok()
        }
        TokenCmd::List { user, json } => {
            let user = user.map(|u| member_ref(ctx, &u)).transpose()?;
            let tokens = ctx.existing_store()?.list_tokens(user.as_deref())?;
            if json.json {
                return print_json(&tokens);
            }
            for t in &tokens {
                println!("{:<20} {:<20} {:<8} {}", t.owner, t.name, token_state(t, ctx.now()), token_times(t));
            }
            ok()
        }
        TokenCmd::Revoke { user: Some(user), name: Some(name), all_of: None } => {
            let user = member_ref(ctx, &user)?;
            ctx.write(|acc| Ok(acc.revoke_token(&user, &name, ctx.now())?))?;
            eprintln!("revoked token `{name}` of {user}");
            ok()
        }
        TokenCmd::Revoke { all_of: Some(user), .. } => {
            let user = member_ref(ctx, &user)?;
            let n = ctx.write(|acc| Ok(acc.revoke_user_tokens(&user, ctx.now())?))?;
            eprintln!("{}", crate::edit::revoked_line(n, &user));
            ok()
        }
        // clap admits either USER NAME or --user.
        TokenCmd::Revoke { .. } => Ok(ExitCode::from(2)),
    }
}

fn token_state(t: &TokenInfo, now: i64) -> &'static str {
    if t.revoked_at.is_some() {
        "revoked"
    } else if !t.is_usable(now) {
        "expired"
    } else {
        "active"
    }
}

fn token_times(t: &TokenInfo) -> String {
    let f = |o: Option<i64>| o.map(format_unix).unwrap_or_else(|| "-".into());
    format!("created {} expires {} last-used {}", format_unix(t.created_at), f(t.expires_at), f(t.last_used_at))
}

/// Hex characters of the stored hash that name a session on the command line: enough to
/// tell sessions apart, too few to stand for the hash (which is itself not the cookie).
const SESSION_ID_LEN: usize = 12;

/// A session as `session list` shows it: a short id, never the cookie or its full hash.
#[derive(Serialize)]
struct SessionView<'a> {
    id: &'a str,
    user: &'a str,
    backend: &'a str,
    groups: &'a [String],
    created_at: i64,
    last_seen: i64,
    expires_at: i64,
    remember_me: bool,
    /// 1 (a password or a provider) or 2 (and a second-factor code).
    factors: u8,
}

impl<'a> SessionView<'a> {
    fn new(s: &'a SessionRecord) -> Self {
        Self {
            id: session_id(s),
            user: &s.identity.name,
            backend: &s.identity.backend,
            groups: &s.identity.groups,
            created_at: s.created_at,
            last_seen: s.last_seen,
            expires_at: s.expires_at,
            remember_me: s.remember_me,
            factors: s.factors,
        }
    }
}

fn session_id(s: &SessionRecord) -> &str {
    s.id_hash.get(..SESSION_ID_LEN).unwrap_or(&s.id_hash)
}

fn session_cmd(ctx: &Ctx, cmd: SessionCmd) -> CmdResult {
    match cmd {
        SessionCmd::List { user, json } => {
            let sessions = ctx.existing_store()?.list_sessions(user.as_deref())?;
            if json.json {
                return print_json(&sessions.iter().map(SessionView::new).collect::<Vec<_>>());
            }
            for s in &sessions {
                println!(
                    "{:<12} {:<20} {:<6} factors {} opened {} last-seen {} ends {}{}",
                    session_id(s),
                    s.identity.name,
                    s.identity.backend,
                    s.factors,
                    format_unix(s.created_at),
                    format_unix(s.last_seen),
                    format_unix(s.expires_at),
                    if s.remember_me { " remembered" } else { "" },
                );
            }
            ok()
        }
        SessionCmd::Revoke { id: Some(id), user: None } => {
            let wanted = id.trim().to_ascii_lowercase();
            if wanted.len() != SESSION_ID_LEN || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!(
                    "invalid session id `{}`: use the {SESSION_ID_LEN} characters `wicket session list` shows",
                    sanitize(&id)
                );
            }
            let mut store = ctx.existing_store()?;
            let found: Vec<SessionRecord> =
                store.list_sessions(None)?.into_iter().filter(|s| session_id(s) == wanted).collect();
            let [session] = found.as_slice() else {
                if found.is_empty() {
                    bail!("no session `{wanted}`");
                }
                bail!("`{wanted}` names {} sessions: revoke them with --user", found.len());
            };
            if !store.delete_session(&session.id_hash)? {
                bail!("no session `{wanted}`");
            }
            eprintln!("revoked session {wanted} of {}", session.identity.name);
            ok()
        }
        SessionCmd::Revoke { id: None, user: Some(user) } => {
            let n = ctx.existing_store()?.delete_user_sessions(&user)?;
            eprintln!("revoked {n} session{} of {}", if n == 1 { "" } else { "s" }, sanitize(&user));
            ok()
        }
        // clap's group admits exactly one of the two.
        SessionCmd::Revoke { .. } => Ok(ExitCode::from(2)),
    }
}

/// Runs the real pipeline, as wicketd would for a login (throttle state is this process's
/// own, so its delays are not waited for).
fn check(ctx: &Ctx, user: &str, source: Source) -> CmdResult {
    let shared = Shared::with_pool(SlowPool::new(1));
    let auth = Authenticator::build(&ctx.cfg, ctx.clock.clone(), Some(&wicket_syspam::PamBackend::factory), shared)
        .context("while opening the backends")?;
    let pw = prompt::existing_password(source, user)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("while starting")?;
    let credential = Credential::Password { user: user.to_string(), secret: pw };
    let outcome = rt.block_on(auth.verify(credential, &Context::cli()));
    match outcome.decision {
        Decision::Accepted(id) => {
            println!("accepted: {} (backend {})", id.name, id.backend);
            ok()
        }
        Decision::Rejected(reason) => {
            eprintln!("wicket: rejected: {} (backend {}: {})", sanitize(user), outcome.event.backend, reason.as_str());
            Ok(ExitCode::from(1))
        }
        Decision::Unknown | Decision::Stale => {
            eprintln!("wicket: rejected: {}: no backend knows this user", sanitize(user));
            Ok(ExitCode::from(1))
        }
        Decision::Throttled(left) => {
            eprintln!("wicket: rejected: {}: locked out for {} s", sanitize(user), left.as_secs());
            Ok(ExitCode::from(1))
        }
        Decision::Unavailable(why) => {
            eprintln!("wicket: unavailable: {why}");
            Ok(ExitCode::from(1))
        }
    }
}
