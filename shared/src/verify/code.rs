//! Second-factor codes under the password throttle: [`Authenticator::verify_code`].
//!
//! A code is counted against the keys a password is (the account and the origin) and
//! against one more, the account's second-factor key (`f:` + canonical name). A right
//! password clears only the account's password count, so someone who knows the password
//! cannot wash away wrong codes by signing in again: after `max_failures` wrong or replayed
//! codes inside the window the second factor is locked out like a password. A right code
//! clears the account's counts, never the origin's or a lockout in force.

use super::{AuditEvent, Authenticator, Context, Decision};
use crate::error::{Error, Result};
use crate::throttle::{canonical_name, user_key};
use crate::totp::{SecondFactor, Verified};
use std::time::Duration;

/// The decision on a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeDecision {
    /// The code was checked: accepted, wrong, replayed, or the account is not enrolled.
    Checked(Verified),
    /// The throttle refused before anything was checked; retry after this long.
    Throttled(Duration),
    /// The store or the key file cannot be used (fail closed: the code is not accepted).
    Unavailable(String),
}

/// The answer to a code: the decision, the delay to wait before answering (after a wrong
/// code), and the audit event to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeOutcome {
    /// The decision.
    pub decision: CodeDecision,
    /// How long the front waits before answering.
    pub delay: Duration,
    /// The audit event (scheme `totp`, the account's backend; outcome `accepted`,
    /// `recovery_code`, `wrong_code`, `reused_code`, `not_enrolled`, `throttled` or
    /// `unavailable`); the front writes it with [`AuditEvent::log`].
    pub event: AuditEvent,
}

impl CodeOutcome {
    /// True when the code was accepted (TOTP or recovery code).
    pub fn accepted(&self) -> bool {
        matches!(self.decision, CodeDecision::Checked(v) if v.accepted())
    }
}

/// The throttle key of an account's second factor.
fn factor_key(user: &str) -> String {
    format!("f:{}", canonical_name(user))
}

/// The keys a second factor is counted under: the account's (when known), the origin's and
/// the account's second-factor key.
fn factor_keys(user: Option<&str>, ctx: &Context) -> Vec<String> {
    let mut keys = ctx.throttle_keys(user);
    keys.extend(user.map(factor_key));
    keys
}

/// Passkeys meet the throttle codes do. The fronts check the assertion themselves (it needs
/// the ceremony's challenge) and tell the throttle around it.
impl Authenticator {
    /// How long to wait when `user`'s second factor (or, with `None`, a passwordless sign-in
    /// from this origin) is locked out; `None` when it may be tried.
    pub fn factor_locked(&self, user: Option<&str>, ctx: &Context) -> Option<Duration> {
        self.throttle.locked(&factor_keys(user, ctx))
    }

    /// A refused passkey of `user` (`None`: a credential no account has) counts like a wrong
    /// code; the delay to wait before answering.
    pub fn factor_failed(&self, user: Option<&str>, ctx: &Context) -> Duration {
        self.throttle.record_failure(&factor_keys(user, ctx))
    }

    /// An accepted passkey clears the account's counts, as a right code does.
    pub fn factor_accepted(&self, user: &str) {
        self.throttle.record_success(&user_key(user));
        self.throttle.record_success(&factor_key(user));
    }
}

impl Authenticator {
    /// Checks a second-factor code of `user` (as `backend` names it, the name a successful
    /// first factor resolved to) in the store of the local backend, where every backend's
    /// enrolments live. Blocking (a few indexed SQLite statements and a key-file read): run
    /// it off the async reactor.
    pub fn verify_code(&self, user: &str, backend: &str, code: &str, ctx: &Context) -> CodeOutcome {
        self.check_code(user, backend, ctx, || {
            let local = self.chain.local.as_ref().ok_or_else(|| Error::Invalid("no local store for TOTP".into()))?;
            local.with_store(|store| {
                SecondFactor::new(store, &self.cfg, self.clock.as_ref()).verify(user, backend, code)
            })
        })
    }

    /// The throttle around one code check.
    fn check_code(
        &self,
        user: &str,
        backend: &str,
        ctx: &Context,
        check: impl FnOnce() -> Result<Verified>,
    ) -> CodeOutcome {
        let keys = factor_keys(Some(user), ctx);
        let event = |outcome: &'static str, backend: &str| {
            let mut e = AuditEvent::new(ctx, "totp", user, &Decision::Unknown, backend);
            e.outcome = outcome;
            e
        };
        if let Some(left) = self.throttle.locked(&keys) {
            return CodeOutcome {
                decision: CodeDecision::Throttled(left),
                delay: Duration::ZERO,
                event: event("throttled", "-"),
            };
        }
        let verified = match check() {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("second factor unavailable: {e}");
                return CodeOutcome {
                    decision: CodeDecision::Unavailable(e.to_string()),
                    delay: Duration::ZERO,
                    event: event("unavailable", "-"),
                };
            }
        };
        let (outcome, delay) = match verified {
            Verified::Code | Verified::RecoveryCode { .. } => {
                self.factor_accepted(user);
                (if verified == Verified::Code { "accepted" } else { "recovery_code" }, Duration::ZERO)
            }
            Verified::Wrong => ("wrong_code", self.throttle.record_failure(&keys)),
            Verified::Reused => ("reused_code", self.throttle.record_failure(&keys)),
            Verified::NotEnrolled => ("not_enrolled", Duration::ZERO),
        };
        CodeOutcome { decision: CodeDecision::Checked(verified), delay, event: event(outcome, backend) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ManualClock, SharedClock};
    use crate::config::Config;
    use crate::store::Store;
    use crate::totp::otp;
    use crate::verify::Shared;
    use crate::verify::pool::SlowPool;
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
            "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"1s\"]\nmax_failures = 3\n[totp]\nkey_file = \"{}\"\n",
            dir.path().join("w.db").display(),
            dir.path().join("totp.key").display()
        );
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        let clock = ManualClock::new(T0);
        let shared_clock: SharedClock = Arc::new(clock.clone());
        let auth = Authenticator::build(&cfg, shared_clock, None, Shared::with_pool(SlowPool::new(1)))
            .unwrap_or_else(|e| panic!("{e}"));
        Fx { _dir: dir, cfg, clock, auth }
    }

    /// Enrols and confirms `user` (an LDAP user: the store needs no local account); the secret.
    fn enrol(fx: &Fx, user: &str) -> Vec<u8> {
        let mut store = Store::open(&fx.cfg.store.path, fx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
        let mut sf = SecondFactor::new(&mut store, &fx.cfg, &fx.clock);
        let e = sf.enroll(user, "ldap").unwrap_or_else(|e| panic!("{e}"));
        let secret = data_encoding::BASE32_NOPAD.decode(e.secret_b32.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let code = otp::totp_at_step(&secret, otp::time_step(T0, 30) - 1, 6);
        assert_eq!(sf.confirm(user, "ldap", &code).ok(), Some(Verified::Code));
        secret
    }

    /// A code that is wrong at `t` for every step of the window (never flaky).
    fn wrong_at(secret: &[u8], t: i64, n: u32) -> String {
        let step = otp::time_step(t, 30);
        (n..1_000_000)
            .map(|c| format!("{c:06}"))
            .find(|c| otp::matching_step(secret, c, step, 1).is_none())
            .unwrap_or_default()
    }

    #[test]
    fn wrong_codes_are_throttled_and_a_right_password_does_not_forgive_them() {
        let fx = fixture();
        let secret = enrol(&fx, "carol");
        let ctx = Context::http(Some([192, 0, 2, 9].into()), "POST", "/login");
        let wrong = fx.auth.verify_code("carol", "ldap", &wrong_at(&secret, T0, 0), &ctx);
        assert_eq!(wrong.decision, CodeDecision::Checked(Verified::Wrong));
        assert_eq!(wrong.delay, Duration::from_secs(1));
        assert_eq!(
            (wrong.event.outcome, wrong.event.scheme, wrong.event.backend.as_str()),
            ("wrong_code", "totp", "ldap")
        );
        // What a right password does at sign-in: it must not clear the code count.
        fx.auth.throttle.record_success(&user_key("carol"));
        let second = fx.auth.verify_code("carol", "ldap", &wrong_at(&secret, T0, 10), &ctx);
        assert_eq!(second.decision, CodeDecision::Checked(Verified::Wrong));
        let from_pam =
            fx.auth.verify_code("carol", "ldap", &wrong_at(&secret, T0, 20), &Context::socket(1000, "sshd", None));
        assert_eq!(from_pam.decision, CodeDecision::Checked(Verified::Wrong));
        let right = otp::totp_at_step(&secret, otp::time_step(T0, 30), 6);
        let locked = fx.auth.verify_code("carol", "ldap", &right, &ctx);
        assert!(matches!(locked.decision, CodeDecision::Throttled(_)), "{locked:?}");
        assert_eq!(locked.event.outcome, "throttled");
        // After the lockout the right code works, and clears the count.
        fx.clock.advance(301);
        let right = otp::totp_at_step(&secret, otp::time_step(T0 + 301, 30), 6);
        let ok = fx.auth.verify_code("carol", "ldap", &right, &ctx);
        assert!(ok.accepted(), "{ok:?}");
        assert_eq!(
            fx.auth.verify_code("carol", "ldap", &right, &ctx).decision,
            CodeDecision::Checked(Verified::Reused)
        );
    }

    #[test]
    fn not_enrolled_is_not_a_failure_and_a_missing_key_fails_closed() {
        let fx = fixture();
        let ctx = Context::cli();
        for _ in 0..5 {
            let o = fx.auth.verify_code("dave", "ldap", "123456", &ctx);
            assert_eq!(o.decision, CodeDecision::Checked(Verified::NotEnrolled));
            assert_eq!(o.delay, Duration::ZERO);
        }
        let secret = enrol(&fx, "erin");
        std::fs::remove_file(&fx.cfg.totp.key_file).unwrap_or_else(|e| panic!("{e}"));
        let right = otp::totp_at_step(&secret, otp::time_step(T0, 30), 6);
        let o = fx.auth.verify_code("erin", "ldap", &right, &ctx);
        assert!(matches!(o.decision, CodeDecision::Unavailable(_)), "{o:?}");
        assert!(!o.accepted());
    }

    #[test]
    fn refused_passkeys_count_with_wrong_codes_and_lock_the_factor() {
        let fx = fixture();
        let secret = enrol(&fx, "carol");
        let ctx = Context::http(Some([192, 0, 2, 9].into()), "POST", "/login/passkey");
        assert_eq!(fx.auth.factor_locked(Some("carol"), &ctx), None);
        assert_eq!(fx.auth.factor_failed(Some("carol"), &ctx), Duration::from_secs(1));
        assert_eq!(fx.auth.factor_failed(Some("Carol "), &ctx), Duration::from_secs(1), "any spelling");
        // The third failure is a wrong code: one count for both.
        let wrong = fx.auth.verify_code("carol", "ldap", &wrong_at(&secret, T0, 0), &ctx);
        assert_eq!(wrong.decision, CodeDecision::Checked(Verified::Wrong));
        assert!(fx.auth.factor_locked(Some("carol"), &ctx).is_some());
        let right = otp::totp_at_step(&secret, otp::time_step(T0, 30), 6);
        assert!(matches!(fx.auth.verify_code("carol", "ldap", &right, &ctx).decision, CodeDecision::Throttled(_)));
        // A passwordless attempt from the same origin meets the origin's count.
        assert!(fx.auth.factor_locked(None, &ctx).is_some());
        // Another origin may still try another account.
        let elsewhere = Context::http(Some([198, 51, 100, 7].into()), "POST", "/login/passkey");
        assert_eq!(fx.auth.factor_locked(Some("dave"), &elsewhere), None);
        // After the lockout an accepted passkey clears the account's counts.
        fx.clock.advance(301);
        fx.auth.factor_accepted("carol");
        assert_eq!(fx.auth.factor_locked(Some("carol"), &elsewhere), None);
    }
}
