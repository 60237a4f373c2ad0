//! `wicket events`: the event trail (sign-in decisions written by wicketd, administrative
//! changes recorded by [`crate::record`]).

use crate::CmdResult;
use crate::ctx::Ctx;
use anyhow::anyhow;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;
use wicket_core::duration::{format_unix, parse_date, parse_duration, sanitize};
use wicket_core::store::{EventKind, EventQuery, EventRecord, OutcomeFilter};

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

#[cfg(test)]
mod tests {
    use super::*;

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
