//! Who changed what: after a command that changed the store succeeds, one `admin` event in
//! the trail names the command, the options given (never their values) and who ran it
//! (the uid and, under sudo, `SUDO_USER`).

use crate::ctx::Ctx;
use crate::{Cli, CmdResult};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory};
use std::process::ExitCode;
use wicket_core::events::{Actor, AdminChange, record_admin};
use wicket_core::store::UserStore;

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

fn record(config: Option<std::path::PathBuf>, db: Option<String>, change: &AdminChange) -> anyhow::Result<()> {
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
}
