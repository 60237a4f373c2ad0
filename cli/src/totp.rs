//! `wicket user totp …`: a user's second factor (TOTP) from the command line.
//!
//! `enroll` starts an enrolment with a fresh secret and prints the `otpauth://` URI, the
//! secret and a QR code; then it reads a first code from the user's app on standard input
//! to confirm it. Only a confirmed enrolment is asked for at sign-in. With `--no-confirm`
//! it stays pending: the user confirms it with a first code at the portal's account page,
//! or an administrator runs `enroll --force` again. Accounts of other backends are named
//! `backend:name` (`ldap:carol`), as for groups and tokens.

use crate::JsonArg;
use crate::ctx::Ctx;
use anyhow::{Context as _, bail};
use clap::Subcommand;
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use wicket_core::duration::{format_unix, sanitize};
use wicket_core::store::UserStore;
use wicket_core::totp::{SecondFactor, Verified, qr};

/// `wicket user totp`.
#[derive(Debug, Subcommand)]
pub enum TotpCmd {
    /// Start an enrolment: print the otpauth:// URI and a QR code, then confirm it with a
    /// first code from the app read on standard input.
    Enroll {
        /// User: a local name, or backend:name (ldap:carol).
        user: String,
        /// Replace a confirmed enrolment (the old app's codes stop working).
        #[arg(long)]
        force: bool,
        /// Leave the enrolment pending instead of asking for a first code.
        #[arg(long)]
        no_confirm: bool,
    },
    /// Remove a user's second factor (TOTP and recovery codes).
    Reset {
        /// User: a local name, or backend:name.
        user: String,
    },
    /// Issue ten new recovery codes (the old ones stop working) and print them once.
    RecoveryCodes {
        /// User: a local name, or backend:name.
        user: String,
    },
    /// Show whether a user has a second factor: none, pending or enrolled.
    Status {
        /// User: a local name, or backend:name.
        user: String,
        #[command(flatten)]
        json: JsonArg,
    },
}

/// The account as the store keys it: `(backend, name)`. A local user must exist.
pub(crate) fn account(ctx: &Ctx, store: &dyn UserStore, who: &str) -> anyhow::Result<(String, String)> {
    let parsed = wicket_core::access::members::parse(who, &wicket_core::access::members::backend_names(&ctx.cfg))?;
    if let Some((backend, name)) = parsed.split_once(':') {
        return Ok((backend.to_string(), name.to_string()));
    }
    match store.get_user(&parsed)? {
        Some(u) => Ok(("local".into(), u.name)),
        None => bail!("no user `{}` (a user of another backend is named backend:name)", sanitize(&parsed)),
    }
}

/// Who it is, for messages: `alice` or `ldap:carol`.
pub(crate) fn shown(backend: &str, name: &str) -> String {
    if backend == "local" { name.to_string() } else { format!("{backend}:{name}") }
}

#[derive(Debug, Serialize)]
struct Status {
    user: String,
    backend: String,
    /// `none`, `pending` or `enrolled`.
    state: &'static str,
    recovery_codes_left: u64,
    created_at: Option<i64>,
}

pub fn run(ctx: &Ctx, cmd: TotpCmd) -> crate::CmdResult {
    let mut store = match &cmd {
        TotpCmd::Status { .. } => ctx.existing_store()?,
        _ => ctx.store()?,
    };
    let who = match &cmd {
        TotpCmd::Enroll { user, .. }
        | TotpCmd::Reset { user }
        | TotpCmd::RecoveryCodes { user }
        | TotpCmd::Status { user, .. } => user.clone(),
    };
    let (backend, name) = account(ctx, store.as_ref(), &who)?;
    let existing = store.get_totp(&backend, &name)?;
    let who = shown(&backend, &name);
    let clock = ctx.clock.clone();
    let mut sf = SecondFactor::new(store.as_mut(), &ctx.cfg, clock.as_ref());
    match cmd {
        TotpCmd::Enroll { force, no_confirm, .. } => {
            if existing.as_ref().is_some_and(|r| r.confirmed) && !force {
                bail!("{who} already has a confirmed TOTP enrolment; pass --force to replace it");
            }
            let e = sf.enroll(&name, &backend)?;
            let picture = qr::terminal(&e.uri)?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", e.uri.as_str())?;
            writeln!(out, "{picture}")?;
            writeln!(out, "secret: {}", e.secret_b32.as_str())?;
            out.flush()?;
            if no_confirm {
                eprintln!("TOTP enrolment of {who} started; pending until confirmed by a first code");
                return Ok(ExitCode::SUCCESS);
            }
            let code = read_code()?;
            match sf.confirm(&name, &backend, &code)? {
                Verified::Code => {
                    eprintln!("TOTP enrolment of {who} confirmed");
                    Ok(ExitCode::SUCCESS)
                }
                _ => bail!("that code is not right; the enrolment of {who} stays pending (run enroll again)"),
            }
        }
        TotpCmd::Reset { .. } => {
            if !sf.reset(&name, &backend)? {
                bail!("{who} has no TOTP enrolment");
            }
            eprintln!("TOTP second factor of {who} removed");
            Ok(ExitCode::SUCCESS)
        }
        TotpCmd::RecoveryCodes { .. } => {
            let codes = sf.recovery_codes(&name, &backend)?;
            let mut out = std::io::stdout().lock();
            for c in &codes {
                writeln!(out, "{}", c.as_str())?;
            }
            out.flush()?;
            eprintln!("{} recovery codes for {who}; each works once, and they are shown only now", codes.len());
            Ok(ExitCode::SUCCESS)
        }
        TotpCmd::Status { json, .. } => {
            let left = if existing.is_some() { sf.recovery_codes_left(&name, &backend)? } else { 0 };
            let state = match &existing {
                None => "none",
                Some(r) if r.confirmed => "enrolled",
                Some(_) => "pending",
            };
            let s = Status {
                user: name,
                backend,
                state,
                recovery_codes_left: left,
                created_at: existing.map(|r| r.created_at),
            };
            if json.json {
                return crate::output::print_json(&s);
            }
            let since = s.created_at.map(|t| format!(" since {}", format_unix(t))).unwrap_or_default();
            println!("{who}: {state}{since}, {left} recovery codes left");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The first code, from the terminal (with a prompt) or the first line of standard input.
fn read_code() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Code from the authenticator app: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("reading the first code")?;
    let code = line.trim().to_string();
    if code.is_empty() {
        bail!("no code given; the enrolment stays pending (use --no-confirm to leave it so on purpose)");
    }
    Ok(code)
}
