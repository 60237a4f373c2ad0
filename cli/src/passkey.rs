//! `wicket user passkeys USER` and `wicket user passkey remove USER NAME`: a user's
//! passkeys (registered in the portal) from the command line. Accounts of other backends
//! are named `backend:name`, as for TOTP.

use crate::JsonArg;
use crate::ctx::Ctx;
use crate::totp::{account, shown};
use anyhow::bail;
use clap::Subcommand;
use serde::Serialize;
use std::process::ExitCode;
use wicket_core::duration::{format_unix, sanitize};

/// `wicket user passkey`.
#[derive(Debug, Subcommand)]
pub enum PasskeyCmd {
    /// Remove one of a user's passkeys by name (it no longer signs in).
    Remove {
        /// User: a local name, or backend:name (ldap:carol).
        user: String,
        /// The passkey's name, as `wicket user passkeys` lists it.
        name: String,
    },
}

#[derive(Debug, Serialize)]
struct Listed {
    user: String,
    backend: String,
    name: String,
    created_at: i64,
    last_used: Option<i64>,
    sign_count: u32,
}

/// `wicket user passkeys USER [--json]`.
pub fn list(ctx: &Ctx, user: &str, json: &JsonArg) -> anyhow::Result<ExitCode> {
    let store = ctx.existing_store()?;
    let (backend, name) = account(ctx, store.as_ref(), user)?;
    let listed: Vec<Listed> = store
        .list_passkeys(&backend, &name)?
        .into_iter()
        .map(|p| Listed {
            user: p.user_name,
            backend: p.backend,
            name: p.name,
            created_at: p.created_at,
            last_used: p.last_used,
            sign_count: p.sign_count,
        })
        .collect();
    if json.json {
        return crate::output::print_json(&listed);
    }
    if listed.is_empty() {
        eprintln!("{} has no passkeys", shown(&backend, &name));
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<24} {:<20} {:<20}", "NAME", "ADDED", "LAST USED");
    for p in &listed {
        let used = p.last_used.map_or_else(|| "never".to_string(), format_unix);
        println!("{:<24} {:<20} {:<20}", sanitize(&p.name), format_unix(p.created_at), used);
    }
    Ok(ExitCode::SUCCESS)
}

/// `wicket user passkey …`.
pub fn run(ctx: &Ctx, cmd: PasskeyCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        PasskeyCmd::Remove { user, name } => {
            let mut store = ctx.store()?;
            let (backend, account_name) = account(ctx, store.as_ref(), &user)?;
            let who = shown(&backend, &account_name);
            if !store.delete_passkey(&backend, &account_name, &name)? {
                bail!("{who} has no passkey named `{}`", sanitize(&name));
            }
            eprintln!("passkey `{}` of {who} removed", sanitize(&name));
            Ok(ExitCode::SUCCESS)
        }
    }
}
