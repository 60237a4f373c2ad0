use super::*;
use crate::accounts::Accounts;
use crate::clock::{ManualClock, SharedClock};
use crate::config::Config;
use crate::password::policy::PasswordPolicy;
use crate::store::{NewUser, Store};
use crate::verify::pool::SlowPool;
use crate::verify::{Credential, Shared};
use std::sync::Arc;

const T0: i64 = 1_800_000_000;

struct Fx {
    _dir: tempfile::TempDir,
    cfg: Config,
    clock: ManualClock,
    auth: Authenticator,
}

fn fixture() -> Fx {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"1s\"]\nmax_failures = 3\n\
         [passwords]\nargon2_memory_kib = 19456\nargon2_iterations = 2\n",
        dir.path().join("w.db").display()
    );
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let clock = ManualClock::new(T0);
    let shared_clock: SharedClock = Arc::new(clock.clone());
    let auth = Authenticator::build(&cfg, shared_clock, None, Shared::with_pool(SlowPool::new(1)))
        .unwrap_or_else(|e| panic!("{e}"));
    Fx { _dir: dir, cfg, clock, auth }
}

/// Invites `name` (a link for an hour) and returns the link's token.
fn invite(fx: &Fx, name: &str) -> Secret {
    let mut store = Store::open(&fx.cfg.store.path, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let policy = PasswordPolicy::from_config(&fx.cfg).unwrap_or_else(|e| panic!("{e}"));
    let mut acc = Accounts::new(&mut store, &policy, &fx.cfg.users);
    let new = NewUser { name: name.into(), ..NewUser::default() };
    acc.invite_user(&new, &[], T0 + 3600, T0).unwrap_or_else(|e| panic!("{e}")).token
}

fn ctx() -> Context {
    Context::http(Some([192, 0, 2, 7].into()), "POST", "/invite")
}

#[tokio::test]
async fn a_link_sets_the_password_once_and_then_signs_in() {
    let fx = fixture();
    let token = invite(&fx, "alice");
    // Pending: no password, nothing signs in.
    let before = fx.auth.verify(Credential::Password { user: "alice".into(), secret: Secret::from("x") }, &ctx()).await;
    assert!(!matches!(before.decision, Decision::Accepted(_)));
    let open = fx.auth.check_invite(&token, &ctx());
    assert!(matches!(&open.decision, InviteDecision::Open(i) if i.user == "alice"), "{open:?}");
    let weak = fx.auth.redeem_invite(&token, &Secret::from("alice"), &ctx());
    assert!(matches!(weak.decision, InviteDecision::Refused(Error::WeakPassword(_))), "{weak:?}");
    let pw = Secret::from("correct horse battery staple");
    let used = fx.auth.redeem_invite(&token, &pw, &ctx());
    assert!(matches!(&used.decision, InviteDecision::Redeemed(u) if u == "alice"), "{used:?}");
    assert_eq!((used.event.outcome, used.event.scheme, used.event.user.as_str()), ("invite_used", "invite", "alice"));
    let again = fx.auth.redeem_invite(&token, &Secret::from("another long passphrase"), &ctx());
    assert!(matches!(again.decision, InviteDecision::Invalid), "{again:?}");
    assert_eq!(again.event.outcome, "invalid_invite");
    let signed = fx.auth.verify(Credential::Password { user: "alice".into(), secret: pw }, &ctx()).await;
    assert!(matches!(signed.decision, Decision::Accepted(_)), "{signed:?}");
}

#[test]
fn a_link_expires_with_the_clock() {
    let fx = fixture();
    let token = invite(&fx, "bob");
    fx.clock.advance(3599);
    assert!(matches!(fx.auth.check_invite(&token, &ctx()).decision, InviteDecision::Open(_)));
    fx.clock.advance(1);
    assert!(matches!(fx.auth.check_invite(&token, &ctx()).decision, InviteDecision::Invalid));
    let late = fx.auth.redeem_invite(&token, &Secret::from("correct horse battery staple"), &ctx());
    assert!(matches!(late.decision, InviteDecision::Invalid), "{late:?}");
}

#[test]
fn guessed_links_are_throttled_per_client() {
    let fx = fixture();
    let token = invite(&fx, "carol");
    let wrong = Secret::from_string("A".repeat(43));
    let first = fx.auth.check_invite(&wrong, &ctx());
    assert!(matches!(first.decision, InviteDecision::Invalid));
    assert_eq!(first.delay, Duration::from_secs(1));
    for _ in 0..2 {
        let _ = fx.auth.check_invite(&Secret::from("not-even-a-token"), &ctx());
    }
    // Locked: even the right link waits, from this client.
    assert!(matches!(fx.auth.check_invite(&token, &ctx()).decision, InviteDecision::Throttled(_)));
    let elsewhere = Context::http(Some([192, 0, 2, 8].into()), "GET", "/invite");
    assert!(matches!(fx.auth.check_invite(&token, &elsewhere).decision, InviteDecision::Open(_)));
}
