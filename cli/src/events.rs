//! `wicket events`: the event trail (sign-in decisions written by wicketd, administrative
//! changes written here), and the recording of those changes: after every command that
//! changes the store succeeds, one `admin` event names the command, the account, the options
//! given (never their values) and who ran it (uid, and `SUDO_USER` or the login name).

use crate::ctx::Ctx;
use crate::{Cli, CmdResult};
use anyhow::anyhow;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory};
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;
use wicket_core::duration::{format_unix, parse_date, parse_duration, sanitize};
use wicket_core::events::{Actor, AdminChange, record_admin};
use wicket_core::store::{EventKind, EventQuery, EventRecord, OutcomeFilter, UserStore};

/// `wicket events` options.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// Only this account.
    #[arg(long)]
    user: Option<String>,
    /// Only events since a duration ago (1h, 7d) or a date (2027-01-31).
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// `ok`, `fail`, or an exact outcome (bad_credentials, unknown_user, throttled, …).
    #[arg(long)]
    outcome: Option<String>,
    /// `auth` (sign-in decisions) or `admin` (changes made with this CLI).
    #[arg(long, value_name = "auth|admin")]
    kind: Option<String>,
    /// Print JSON: an array; with --follow, one object per line.
    #[arg(long)]
    json: bool,
    /// Keep printing new events as they are written, until interrupted.
    #[arg(long)]
    follow: bool,
    /// Show at most this many (the newest) [default: 100].
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
}

/// How often `--follow` asks the store.
const FOLLOW_POLL: Duration = Duration::from_millis(250);

pub fn run(ctx: &Ctx, args: EventsArgs) -> CmdResult {
    let mut query = EventQuery {
        user: args.user,
        since: args.since.as_deref().map(|w| since(ctx, w)).transpose()?,
        outcome: args.outcome.as_deref().map(OutcomeFilter::parse),
        kind: args
            .kind
            .as_deref()
            .map(|k| EventKind::parse(k).ok_or_else(|| anyhow!("--kind must be auth or admin, not `{}`", sanitize(k))))
            .transpose()?,
        after_id: None,
        limit: Some(args.limit.unwrap_or(100)),
    };
    let store = ctx.existing_store()?;
    let first = store.list_events(&query)?;
    let mut out = std::io::stdout().lock();
    if !args.follow {
        let shown = if args.json {
            writeln!(out, "{}", serde_json::to_string_pretty(&first)?)
        } else {
            print(&mut out, &first, false)
        };
        return Ok(quietly(shown));
    }
    let mut last = first.last().map_or(0, |e| e.id);
    if first.is_empty() {
        // Start after whatever is there, matching or not.
        last = store.list_events(&EventQuery { limit: Some(1), ..EventQuery::default() })?.last().map_or(0, |e| e.id);
    }
    if let Err(e) = print(&mut out, &first, args.json) {
        return Ok(quietly(Err(e)));
    }
    query.since = None;
    query.limit = Some(1000);
    loop {
        std::thread::sleep(FOLLOW_POLL);
        query.after_id = Some(last);
        let new = store.list_events(&query)?;
        if let Some(e) = new.last() {
            last = e.id;
        }
        if let Err(e) = print(&mut out, &new, args.json) {
            return Ok(quietly(Err(e)));
        }
    }
}

/// A reader that went away (`| head`) ends the listing quietly.
fn quietly(r: std::io::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wicket: {e}");
            ExitCode::from(1)
        }
    }
}

fn since(ctx: &Ctx, text: &str) -> anyhow::Result<i64> {
    if let Some(t) = parse_date(text) {
        return Ok(t);
    }
    let d = parse_duration(text)
        .map_err(|_| anyhow!("invalid --since `{}`: use a duration (1h, 7d) or a date (2027-01-31)", sanitize(text)))?;
    Ok(ctx.now().saturating_sub(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)))
}

/// One line per event (or one JSON object per line), flushed.
fn print(out: &mut impl Write, events: &[EventRecord], json: bool) -> std::io::Result<()> {
    for e in events {
        if json {
            writeln!(out, "{}", serde_json::to_string(e).map_err(std::io::Error::other)?)?;
        } else {
            writeln!(out, "{}", line(e))?;
        }
    }
    out.flush()
}

/// `2027-01-31T12:00:00Z auth bad_credentials user=alice front=http scheme=basic …`; every
/// value a client chose is escaped, so no line can be forged or split.
fn line(e: &EventRecord) -> String {
    let esc = |s: &str| s.escape_debug().to_string();
    let mut l = format!(
        "{} {} {} user={} front={} scheme={} backend={}",
        format_unix(e.at),
        e.kind.as_str(),
        esc(&e.outcome),
        esc(&e.user),
        e.front,
        e.scheme,
        esc(&e.backend)
    );
    for (k, v) in [("client", &e.client), ("service", &e.service), ("method", &e.method), ("path", &e.path)] {
        if let Some(v) = v {
            l.push_str(&format!(" {k}={}", esc(v)));
        }
    }
    if let Some(a) = &e.actor {
        l.push_str(&format!(" actor={}", esc(a)));
    }
    if let Some(uid) = e.actor_uid {
        l.push_str(&format!(" uid={uid}"));
    }
    if let Some(d) = &e.detail {
        l.push_str(&format!(" detail=\"{}\"", esc(d)));
    }
    l
}

/// Runs the command; when it changed the store and succeeded, records who did what.
pub fn run_recorded(cli: Cli) -> CmdResult {
    let change = std::env::args_os().collect::<Vec<_>>();
    let change = Cli::command().try_get_matches_from(change).ok().and_then(|m| describe(&m));
    let (config, db) = (cli.config.clone(), cli.db.clone());
    let code = crate::commands::run(cli)?;
    if code != ExitCode::SUCCESS {
        return Ok(code);
    }
    if let Some(change) = change {
        if let Err(e) = record(config, db, &change) {
            eprintln!("wicket: warning: the change was made but not recorded in the event trail: {e:#}");
        }
    }
    Ok(code)
}

fn record(
    config: Option<std::path::PathBuf>,
    db: Option<std::path::PathBuf>,
    change: &AdminChange,
) -> anyhow::Result<()> {
    let ctx = Ctx::load_paths(config, db)?;
    let mut store = ctx.store()?;
    let actor = actor(store.as_ref());
    record_admin(store.as_mut(), &actor, change, ctx.now())?;
    Ok(())
}

/// Commands that only read: nothing to record.
fn read_only(path: &[String]) -> bool {
    matches!(path.first().map(String::as_str), Some("check" | "events" | "help"))
        || matches!(path.last().map(String::as_str), Some("list" | "show" | "status" | "help" | "invites"))
}

/// `user add alice: email, shell` from the parsed command line: the subcommand words, the
/// positional values (names, ids, dates, a file), and the names of the options given.
fn describe(m: &ArgMatches) -> Option<AdminChange> {
    let mut cmd = Cli::command();
    let (mut path, mut m) = (Vec::new(), m);
    while let Some((name, sub)) = m.subcommand() {
        path.push(name.to_string());
        cmd = cmd.find_subcommand(name)?.clone();
        m = sub;
    }
    if path.is_empty() || read_only(&path) {
        return None;
    }
    let (mut words, mut options, mut user) = (path.clone(), Vec::new(), None);
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if matches!(id, "config" | "db" | "password_stdin") || m.value_source(id) != Some(ValueSource::CommandLine) {
            continue;
        }
        let values: Vec<String> =
            m.get_raw(id).map(|v| v.map(|s| s.to_string_lossy().into_owned()).collect()).unwrap_or_default();
        if id == "user" || (id == "name" && path[0] == "user") {
            user = values.first().cloned();
        }
        if arg.is_positional() {
            words.extend(values);
        } else {
            options.push(arg.get_long().unwrap_or(id).to_string());
        }
    }
    let mut detail = words.join(" ");
    if !options.is_empty() {
        detail.push_str(": ");
        detail.push_str(&options.join(", "));
    }
    Some(AdminChange { user: user.unwrap_or_else(|| "-".into()), detail })
}

/// Who is running this: the real uid, named by `SUDO_USER` when set, else by the system's
/// password file, else by the store.
fn actor(store: &dyn UserStore) -> Actor {
    let uid = rustix::process::getuid().as_raw();
    let name = std::env::var("SUDO_USER")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| passwd_name(uid))
        .or_else(|| store.get_user_by_uid(uid).ok().flatten().map(|u| u.name))
        .unwrap_or_else(|| format!("uid {uid}"));
    Actor { uid, name }
}

fn passwd_name(uid: u32) -> Option<String> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _ = f.next()?;
        (f.next()?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(args: &[&str]) -> Option<AdminChange> {
        let m = Cli::command().try_get_matches_from(args).unwrap_or_else(|e| panic!("{e}"));
        describe(&m)
    }

    #[test]
    fn changes_are_described_by_names_never_values() {
        let c = described(&["wicket", "user", "add", "alice", "--email", "a@example.org", "--shell", "/bin/sh"]);
        assert_eq!(c, Some(AdminChange { user: "alice".into(), detail: "user add alice: email, shell".into() }));
        let c = described(&["wicket", "--db", "/x.db", "group", "add-member", "ops", "bob"]);
        assert_eq!(c, Some(AdminChange { user: "bob".into(), detail: "group add-member ops bob".into() }));
        let c = described(&["wicket", "token", "create", "carol", "--name", "ci", "--scope", "read"]);
        assert_eq!(c, Some(AdminChange { user: "carol".into(), detail: "token create carol: name, scope".into() }));
        let c = described(&["wicket", "user", "passwd", "dave", "--password-stdin"]);
        assert_eq!(c, Some(AdminChange { user: "dave".into(), detail: "user passwd dave".into() }));
    }

    #[test]
    fn reading_commands_are_not_recorded() {
        for args in [
            &["wicket", "user", "list"][..],
            &["wicket", "user", "show", "alice"],
            &["wicket", "check", "alice"],
            &["wicket", "events", "--follow"],
            &["wicket", "session", "list"],
            &["wicket", "user", "totp", "status", "ldap:carol", "--json"],
        ] {
            assert_eq!(described(args), None, "{args:?}");
        }
    }

    #[test]
    fn lines_escape_what_a_client_chose() {
        let e = EventRecord {
            id: 1,
            at: 0,
            kind: EventKind::Auth,
            front: "http".into(),
            scheme: "basic".into(),
            user: "eve\nforged".into(),
            outcome: "unknown_user".into(),
            backend: "-".into(),
            client: None,
            service: None,
            method: None,
            path: None,
            actor_uid: None,
            actor: None,
            detail: None,
        };
        assert_eq!(
            line(&e),
            "1970-01-01T00:00:00Z auth unknown_user user=eve\\nforged front=http scheme=basic backend=-"
        );
    }
}
