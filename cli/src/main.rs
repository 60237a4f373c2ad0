//! `wicket`: the admin CLI for Wicket's user store, in the spirit of `htpasswd`.
//!
//! Every command opens the store, does its work in one transaction and exits 0 (done),
//! 1 (refused or failed, with one line on stderr) or 2 (usage).
#![forbid(unsafe_code)]

mod commands;
mod ctx;
mod edit;
mod events;
mod import;
mod invite;
mod output;
mod passkey;
mod prompt;
mod record;
mod store_copy;
mod totp;
mod users;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Manage Wicket users, groups and tokens.
#[derive(Debug, Parser)]
#[command(name = "wicket", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file [default: /etc/wicket/wicket.toml, if it exists].
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The store: an SQLite file or a postgresql:// URL (overrides [store] in the config;
    /// keep a PostgreSQL password out of the URL: `ps` shows it). Passwords set get Digest
    /// values for the config's realm: without a config, the default realm "wicket".
    #[arg(long, global = true, value_name = "PATH|URL")]
    db: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add, change, lock and list users.
    #[command(subcommand)]
    User(UserCmd),
    /// Groups and memberships.
    #[command(subcommand)]
    Group(GroupCmd),
    /// Bearer tokens for scripts.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Browser sessions opened at the sign-in portal.
    #[command(subcommand)]
    Session(SessionCmd),
    /// Import users from another tool.
    #[command(subcommand)]
    Import(ImportCmd),
    /// The event trail: sign-in decisions and administrative changes.
    Events(events::EventsArgs),
    /// The store itself: copy it into another (SQLite ⇄ PostgreSQL).
    #[command(subcommand)]
    Store(store_copy::StoreCmd),
    /// Check a user's password through the backend chain (exit 0 if accepted).
    Check {
        /// User name.
        user: String,
        #[command(flatten)]
        pw: PasswordArgs,
    },
}

#[derive(Debug, Args)]
struct PasswordArgs {
    /// Read the password from the first line of standard input instead of the terminal.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Debug, Args)]
struct JsonArg {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Create a user (asks for a password unless --no-password).
    Add {
        /// Login name: [a-z_][a-z0-9_-]*, at most 32 characters.
        name: String,
        #[command(flatten)]
        pw: PasswordArgs,
        /// Create the user without a password (it cannot log in with one until `passwd`).
        #[arg(long, conflicts_with = "password_stdin")]
        no_password: bool,
        /// Fixed uid (default: the lowest free one in [users] uid_min..uid_max).
        #[arg(long)]
        uid: Option<u32>,
        /// Primary gid (default: a private group with the uid's number).
        #[arg(long)]
        gid: Option<u32>,
        /// Full name.
        #[arg(long = "full-name", value_name = "NAME")]
        display_name: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Home directory (default from [users] home).
        #[arg(long)]
        home: Option<String>,
        /// Login shell (default from [users] shell).
        #[arg(long)]
        shell: Option<String>,
        /// Account expiry: a duration from now (90d) or a date (2027-01-31).
        #[arg(long, value_name = "WHEN")]
        expires: Option<String>,
    },
    /// Set a user's password.
    Passwd {
        /// User name.
        name: String,
        #[command(flatten)]
        pw: PasswordArgs,
    },
    /// Delete a user with its tokens and memberships.
    Del {
        /// User name.
        name: String,
    },
    /// Refuse every login of a user until `unlock`.
    Lock {
        /// User name.
        name: String,
    },
    /// Allow a locked or disabled user again.
    Unlock {
        /// User name.
        name: String,
    },
    /// Refuse every login of a user until an administrator runs `enable` (or `unlock`).
    Disable {
        /// User name.
        name: String,
    },
    /// Allow a disabled (or locked) user again.
    Enable {
        /// User name.
        name: String,
    },
    /// Set (or clear with `never`) an account's expiry.
    Expire {
        /// User name.
        name: String,
        /// A duration from now (90d), a date (2027-01-31), `now`, or `never`.
        when: String,
    },
    /// Change a user's full name, e-mail, shell, home, expiry, uid or gid.
    #[command(group(clap::ArgGroup::new("changes").required(true).multiple(true)
        .args(["display_name", "email", "shell", "home", "expires", "uid", "gid"])))]
    Mod {
        /// User name.
        name: String,
        #[command(flatten)]
        changes: ModArgs,
    },
    /// Rename a user, keeping its ids, groups and tokens (its home directory is not moved).
    Rename {
        /// Current name.
        old: String,
        /// New name: [a-z_][a-z0-9_-]*, at most 32 characters, not taken.
        new: String,
    },
    /// Create a pending user (no password) and print a one-time link where they choose it.
    Invite(invite::InviteArgs),
    /// Print a one-time link for an existing user to choose a new password.
    ResetLink {
        /// User name.
        name: String,
        /// How long the link works: a duration (24h) or a date [default: [invites] expiry].
        #[arg(long, value_name = "WHEN")]
        expires: Option<String>,
    },
    /// List open invitation and reset links (never the links themselves).
    Invites {
        #[command(flatten)]
        json: JsonArg,
    },
    /// Show one user.
    Show {
        /// User name.
        name: String,
        #[command(flatten)]
        json: JsonArg,
    },
    /// List users.
    List {
        #[command(flatten)]
        json: JsonArg,
    },
    /// A user's second factor (TOTP): enroll, reset, recovery-codes, status.
    #[command(subcommand)]
    Totp(totp::TotpCmd),
    /// List a user's passkeys (registered in the portal).
    Passkeys {
        /// User: a local name, or backend:name (ldap:carol).
        user: String,
        #[command(flatten)]
        json: JsonArg,
    },
    /// A user's passkeys: remove.
    #[command(subcommand)]
    Passkey(passkey::PasskeyCmd),
}

/// What `user mod` changes; at least one is required.
#[derive(Debug, Args)]
struct ModArgs {
    /// Full name ("" clears it).
    #[arg(long = "full-name", value_name = "NAME")]
    display_name: Option<String>,
    /// E-mail address ("" clears it).
    #[arg(long)]
    email: Option<String>,
    /// Login shell.
    #[arg(long)]
    shell: Option<String>,
    /// Home directory (the directory itself is not moved).
    #[arg(long)]
    home: Option<String>,
    /// Account expiry: a duration from now (90d), a date (2027-01-31), `now`, or `never`.
    #[arg(long, value_name = "WHEN")]
    expires: Option<String>,
    /// New uid (refused when another user or a group has it).
    #[arg(long)]
    uid: Option<u32>,
    /// New primary gid (refused when it is another user's uid).
    #[arg(long)]
    gid: Option<u32>,
}

#[derive(Debug, Subcommand)]
enum GroupCmd {
    /// Create a group.
    Add {
        /// Group name.
        name: String,
        /// Fixed gid (default: the lowest free id in the range).
        #[arg(long)]
        gid: Option<u32>,
    },
    /// Delete a group (members stay).
    Del {
        /// Group name.
        name: String,
    },
    /// Show one group with its members.
    Show {
        /// Group name.
        name: String,
        #[command(flatten)]
        json: JsonArg,
    },
    /// List groups with their members.
    List {
        #[command(flatten)]
        json: JsonArg,
    },
    /// Add a user to a group.
    AddMember {
        /// Group name.
        group: String,
        /// User name.
        user: String,
    },
    /// Remove a user from a group.
    RemoveMember {
        /// Group name.
        group: String,
        /// User name.
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Create a token for a user and print it once.
    #[command(visible_alias = "add")]
    Create {
        /// Owner.
        user: String,
        /// A name to find it by later (unique per user).
        #[arg(long)]
        name: String,
        /// Expiry: a duration from now (30d), a date, or `never` [default: [tokens]
        /// default_expiry, else never].
        #[arg(long, value_name = "WHEN")]
        expires: Option<String>,
        /// A scope (repeatable).
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
    },
    /// List tokens (never their values).
    List {
        /// Only this user's tokens.
        user: Option<String>,
        #[command(flatten)]
        json: JsonArg,
    },
    /// Revoke a token, or with --user every token of a user.
    #[command(override_usage = "wicket token revoke USER NAME\n       wicket token revoke --user USER")]
    #[command(group(clap::ArgGroup::new("which").required(true).args(["name", "all_of"])))]
    Revoke {
        /// Owner.
        #[arg(requires = "name")]
        user: Option<String>,
        /// Token name.
        #[arg(requires = "user")]
        name: Option<String>,
        /// Revoke every token of this user instead (in one transaction).
        #[arg(long = "user", value_name = "USER", conflicts_with_all = ["user", "name"])]
        all_of: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum SessionCmd {
    /// List sessions (an id, the user, when opened, last seen and ending; never the cookie).
    List {
        /// Only this user's sessions.
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        json: JsonArg,
    },
    /// End one session by the id `list` shows, or every session of a user. A running
    /// wicketd refuses it on the next request.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["id", "user"])))]
    Revoke {
        /// The session's id, as `session list` shows it.
        id: Option<String>,
        /// End every session of this user instead.
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCmd {
    /// Import users from an htpasswd file (bcrypt, apr1, SHA-256/512-crypt, {SHA}, {SSHA}).
    Htpasswd {
        /// The file (`-` for standard input).
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Needs no configuration and records no event: it names both stores itself.
    let result = match cli.command {
        Command::Store(cmd) => store_copy::run(cmd),
        command => record::run_recorded(Cli { command, ..cli }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wicket: {}", one_line(&e));
            ExitCode::from(1)
        }
    }
}

/// An error and its causes on one line. Unlike `{:#}`, a cause whose text the message so far
/// already contains is left out: the store's errors quote SQLite's, which `{:#}` repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Re-exported for `commands`.
pub(crate) type CmdResult = Result<ExitCode>;
