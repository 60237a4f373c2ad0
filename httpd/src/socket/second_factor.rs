//! The socket's second factor: after a right password, an enrolled account gets a ticket
//! (`code_required`) instead of `ok`, and `verify_code` spends that ticket on one code.
//!
//! A ticket is 32 random bytes, kept here only as its SHA-256 with the account it was issued
//! for (name and backend as the password check resolved them), the caller's uid and an
//! expiry. It is good for one `verify_code` — right or wrong — from the same uid within
//! [`TICKET_TTL`]. So a code is never checked without the password first, and enrolment is
//! revealed only to someone who knew the password. The tickets live in this process only:
//! a restart of wicketd makes a login in progress ask again.

use crate::app::{App, Runtime};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use wicket_core::proto::{Response, Ticket};
use wicket_core::secret::Secret;
use wicket_core::totp::{SecondFactor, Verified};
use wicket_core::verify::{CodeDecision, Context};

/// How long a ticket lasts: time to open an authenticator app and type a code.
pub const TICKET_TTL: i64 = 300;
/// At most this many tickets are outstanding; the oldest goes first.
const MAX_TICKETS: usize = 4096;
/// Longest code sent on (a recovery code with separators is far shorter).
const MAX_CODE_LEN: usize = 64;

struct Pending {
    user: String,
    backend: String,
    uid: u32,
    expires: i64,
}

/// Outstanding tickets by SHA-256.
static TICKETS: LazyLock<Mutex<HashMap<[u8; 32], Pending>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn digest(ticket: &str) -> [u8; 32] {
    Sha256::digest(ticket.as_bytes()).into()
}

/// A fresh ticket for `(user, backend)`, asked by `uid`; `None` if no randomness.
fn issue(user: &str, backend: &str, uid: u32, now: i64) -> Option<Ticket> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut raw).ok()?;
    let ticket: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let mut map = TICKETS.lock().unwrap_or_else(|e| e.into_inner());
    map.retain(|_, p| p.expires > now);
    if map.len() >= MAX_TICKETS {
        if let Some(oldest) = map.iter().min_by_key(|(_, p)| p.expires).map(|(k, _)| *k) {
            map.remove(&oldest);
        }
    }
    let pending = Pending { user: user.to_string(), backend: backend.to_string(), uid, expires: now + TICKET_TTL };
    map.insert(digest(&ticket), pending);
    Some(Ticket(ticket))
}

/// Spends a ticket: the account it was issued for, if it is live, `uid`'s and for `user`.
fn take(ticket: &Ticket, user: &str, uid: u32, now: i64) -> Option<(String, String)> {
    let pending = TICKETS.lock().unwrap_or_else(|e| e.into_inner()).remove(&digest(&ticket.0))?;
    let same_user = wicket_core::throttle::canonical_name(&pending.user) == wicket_core::throttle::canonical_name(user);
    (pending.expires > now && pending.uid == uid && same_user).then_some((pending.user, pending.backend))
}

/// The answer to a right password of `name` (as `backend` resolved it): `ok`, or
/// `code_required` when the account has a confirmed TOTP enrolment. Fails closed.
pub async fn after_password(app: &App, rt: &Arc<Runtime>, uid: u32, name: &str, backend: &str) -> Response {
    let Some(local) = rt.auth.chain().local.clone() else { return Response::Ok };
    let (r, clock, user, be) = (rt.clone(), app.clock.clone(), name.to_string(), backend.to_string());
    let enrolled = tokio::task::spawn_blocking(move || {
        local.with_store(|store| SecondFactor::new(store, &r.cfg, clock.as_ref()).is_enrolled(&user, &be))
    })
    .await;
    match enrolled {
        Ok(Ok(false)) => Response::Ok,
        Ok(Ok(true)) => match issue(name, backend, uid, app.clock.now()) {
            Some(ticket) => Response::CodeRequired { ticket },
            None => Response::Unavailable { reason: "no randomness for a ticket".into() },
        },
        Ok(Err(e)) => Response::Unavailable { reason: format!("second factor: {e}") },
        Err(_) => Response::Unavailable { reason: "second-factor task failed".into() },
    }
}

/// `verify_code`: the ticket spent, the code checked through `Authenticator::verify_code`
/// (the password throttle's keys plus the account's second-factor key), the audit event
/// written and the throttle's delay waited.
pub async fn verify_code(
    app: &App,
    rt: &Arc<Runtime>,
    uid: u32,
    req: (String, Ticket, Secret, String, Option<String>),
) -> Response {
    let (user, ticket, code, service, rhost) = req;
    let Some((name, backend)) = take(&ticket, &user, uid, app.clock.now()) else {
        super::audit(uid, &user, &service, "verify_code", "bad_ticket", "-");
        return Response::AuthError;
    };
    let Some(typed) = code.expose_str().filter(|c| !c.is_empty() && c.len() <= MAX_CODE_LEN).map(str::to_string) else {
        return Response::AuthError;
    };
    let typed = zeroize::Zeroizing::new(typed);
    let r = rt.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let ctx = Context::socket(uid, &service, rhost.as_deref());
        r.auth.verify_code(&name, &backend, &typed, &ctx)
    })
    .await;
    let Ok(outcome) = checked else { return Response::Unavailable { reason: "second-factor task failed".into() } };
    app.audit(&outcome.event);
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    match outcome.decision {
        CodeDecision::Checked(v) if v.accepted() => Response::Ok,
        CodeDecision::Checked(Verified::Wrong | Verified::Reused | Verified::NotEnrolled) => Response::AuthError,
        CodeDecision::Checked(_) => Response::AuthError,
        CodeDecision::Throttled(d) => Response::Throttled { retry_after_secs: d.as_secs() },
        CodeDecision::Unavailable(reason) => Response::Unavailable { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::super::dispatch;
    use super::*;
    use std::path::Path;
    use wicket_core::clock::{ManualClock, SharedClock};
    use wicket_core::config::Config;
    use wicket_core::local::PasswordPolicy;
    use wicket_core::proto::Op;
    use wicket_core::store::{NewUser, Store};
    use wicket_core::totp::otp;

    const T0: i64 = 1_800_000_000;

    /// A daemon with users alice (enrolled; her secret is returned) and bob (not enrolled).
    fn app(dir: &Path) -> (Arc<App>, Vec<u8>) {
        let text = format!(
            "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\nmax_failures = 3\n[totp]\nkey_file = \"{}\"\n",
            dir.join("w.db").display(),
            dir.join("totp.key").display()
        );
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::open(&cfg.store.path, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
        let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
        for (name, uid) in [("alice", 250_000), ("bob", 250_001)] {
            let rec =
                policy.record(name, &Secret::from(format!("pw-{name}").as_str())).unwrap_or_else(|e| panic!("{e}"));
            let new = NewUser { name: name.into(), uid: Some(uid), ..NewUser::default() };
            store.add_user(&new, &cfg.users, Some(&rec), 0).unwrap_or_else(|e| panic!("{e}"));
        }
        let clock = ManualClock::new(T0);
        let mut sf = SecondFactor::new(&mut store, &cfg, &clock);
        let e = sf.enroll("alice", "local").unwrap_or_else(|e| panic!("{e}"));
        let secret = base32_decode(&e.secret_b32);
        let first = otp::totp_at_step(&secret, otp::time_step(T0, 30) - 1, 6);
        assert_eq!(sf.confirm("alice", "local", &first).ok(), Some(Verified::Code));
        let shared: SharedClock = Arc::new(clock);
        (App::new(Runtime::build(cfg, shared.clone()).unwrap_or_else(|e| panic!("{e:#}")), shared), secret)
    }

    /// RFC 4648 base32 (no padding) decoded, so the test needs no extra crate.
    fn base32_decode(text: &str) -> Vec<u8> {
        let (mut bits, mut acc, mut out) = (0u32, 0u64, Vec::new());
        for c in text.bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'2'..=b'7' => c - b'2' + 26,
                _ => panic!("not base32"),
            };
            acc = (acc << 5) | u64::from(v);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }

    fn password(user: &str) -> Op {
        Op::Authenticate {
            user: user.into(),
            password: Secret::from(format!("pw-{user}").as_str()),
            service: "sshd".into(),
            rhost: None,
        }
    }

    fn code(user: &str, ticket: &Ticket, code: &str) -> Op {
        Op::VerifyCode {
            user: user.into(),
            ticket: ticket.clone(),
            code: Secret::from(code),
            service: "sshd".into(),
            rhost: None,
        }
    }

    async fn ticket(app: &Arc<App>, user: &str) -> Ticket {
        match dispatch(app, 0, password(user)).await {
            Response::CodeRequired { ticket } => ticket,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn an_enrolled_account_needs_a_code_after_the_password() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (app, secret) = app(dir.path());
        // Not enrolled: the password alone. A wrong password says nothing about enrolment.
        assert_eq!(dispatch(&app, 0, password("bob")).await, Response::Ok);
        let wrong_pw = Op::Authenticate {
            user: "alice".into(),
            password: Secret::from("nope"),
            service: "sshd".into(),
            rhost: None,
        };
        assert_eq!(dispatch(&app, 0, wrong_pw).await, Response::AuthError);
        let right = otp::totp_at_step(&secret, otp::time_step(T0, 30), 6);
        let wrong = (0..1_000_000)
            .map(|c| format!("{c:06}"))
            .find(|c| otp::matching_step(&secret, c, otp::time_step(T0, 30), 1).is_none())
            .unwrap_or_default();
        let t = ticket(&app, "alice").await;
        assert_eq!(dispatch(&app, 0, code("alice", &t, &wrong)).await, Response::AuthError);
        // The ticket was spent by the wrong code.
        assert_eq!(dispatch(&app, 0, code("alice", &t, &right)).await, Response::AuthError);
        // Another caller's ticket is no good, and spent too.
        let t = ticket(&app, "alice").await;
        assert_eq!(dispatch(&app, 250_000, code("alice", &t, &right)).await, Response::AuthError);
        let t = ticket(&app, "alice").await;
        assert_eq!(dispatch(&app, 0, code("alice", &t, &right)).await, Response::Ok);
        // Each code once.
        let t = ticket(&app, "alice").await;
        assert_eq!(dispatch(&app, 0, code("alice", &t, &right)).await, Response::AuthError);
        // No ticket at all: no code is checked.
        assert_eq!(dispatch(&app, 0, code("alice", &Ticket("00".into()), &right)).await, Response::AuthError);
    }

    #[test]
    fn a_ticket_is_good_once_for_its_caller_and_account_until_it_expires() {
        let t = issue("alice", "local", 0, 1000).unwrap_or_else(|| panic!("no ticket"));
        assert_eq!(take(&t, "Alice", 0, 1001), Some(("alice".into(), "local".into())));
        assert_eq!(take(&t, "alice", 0, 1001), None, "spent");
        let other_uid = issue("alice", "local", 0, 1000).unwrap_or_else(|| panic!("no ticket"));
        assert_eq!(take(&other_uid, "alice", 1000, 1001), None);
        let other_user = issue("alice", "ldap", 0, 1000).unwrap_or_else(|| panic!("no ticket"));
        assert_eq!(take(&other_user, "bob", 0, 1001), None);
        let late = issue("alice", "ldap", 0, 1000).unwrap_or_else(|| panic!("no ticket"));
        assert_eq!(take(&late, "alice", 0, 1000 + TICKET_TTL), None);
        assert_eq!(take(&Ticket("made-up".into()), "alice", 0, 1001), None);
    }
}
