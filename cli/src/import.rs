//! `wicket import htpasswd FILE`: users from an Apache htpasswd file, their hashes kept as
//! they are (and upgraded to argon2id on each user's next successful login). All imported
//! users land in one transaction; lines that cannot be imported are reported and skipped.

use crate::CmdResult;
use crate::commands::Ctx;
use anyhow::{Context, bail};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use wicket_core::duration::sanitize;
use wicket_core::names::validate_name;
use wicket_core::password::check_stored_hash;
use wicket_core::store::{NewUser, PasswordRecord};

pub fn htpasswd(ctx: &Ctx, file: &Path) -> CmdResult {
    let shown = file.display().to_string();
    let mut text = String::new();
    if shown == "-" {
        std::io::stdin().read_to_string(&mut text).context("while reading standard input")?;
    } else {
        std::fs::File::open(file)
            .and_then(|mut f| f.read_to_string(&mut text))
            .with_context(|| format!("while reading {shown}"))?;
    }
    let mut store = ctx.store()?;
    let mut batch: Vec<(NewUser, Option<PasswordRecord>)> = Vec::new();
    let mut skipped = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut skip = |why: String| {
            eprintln!("warning: {shown}:{line_no}: {why}; skipped");
            skipped += 1;
        };
        // `user:hash`, possibly followed by more `:` fields (ignored, as Apache does).
        let Some((name, rest)) = line.split_once(':') else {
            skip("not `user:hash`".into());
            continue;
        };
        let hash = rest.split(':').next().unwrap_or("");
        if let Err(e) = validate_name(name) {
            skip(e.to_string());
            continue;
        }
        // Never echo the hash: it is password-equivalent for weak formats. A hash over the
        // cost caps (argon2 m=191000000 asks for 182 GiB) would take the daemon down at the
        // user's first login, so it is refused here like an unknown format.
        if let Err(e) = check_stored_hash(hash) {
            skip(format!("user `{name}`: {e}"));
            continue;
        }
        if store.user_exists(name)? || batch.iter().any(|(u, _)| u.name == name) {
            skip(format!("user `{}` already exists", sanitize(name)));
            continue;
        }
        let new = NewUser { name: name.to_string(), ..NewUser::default() };
        batch.push((new, Some(PasswordRecord { hash: hash.to_string(), ha1: Vec::new() })));
    }
    if batch.is_empty() && skipped == 0 {
        bail!("{shown}: no users found");
    }
    store.add_users(&batch, &ctx.cfg.users, ctx.now())?;
    println!("imported {}, skipped {skipped}", batch.len());
    Ok(if batch.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
