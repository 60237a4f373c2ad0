//! wicketd with LDAP in its chain, against a real slapd: a local + LDAP chain, outages, the
//! per-account lockout across spellings of a name, and the login-latency measurement.

use crate::ldap::search_toml;
use crate::support::Env;
use crate::support::servers::{Wicketd, curl};
use crate::support::slapd::Slapd;

#[test]
fn ldap_wicketd_with_local_and_ldap_backends() {
    let mut s = Slapd::start();
    let env = Env::new();
    env.add_user("lou", "pw-lou-1");
    let extra = format!(
        "[throttle]\ndelays = [\"0s\"]\nmax_failures = 1000\n[[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"ldap\"\n{}",
        search_toml(&s)
    );
    let w = Wicketd::start(&env, &extra);
    let who = curl(&["-u", "alice:pw-alice", &w.url("/whoami")]);
    assert_eq!(who.status, 200, "{who:?}\n{}", w.log());
    let v: serde_json::Value = serde_json::from_str(&who.body).unwrap_or_default();
    assert_eq!(v["backend"], "ldap", "{v}");
    assert_eq!(v["name"], "alice");
    assert_eq!(v["groups"], serde_json::json!(["admins", "devs"]));
    let auth = curl(&["-u", "alice:pw-alice", &w.url("/auth?group=admins")]);
    assert_eq!(auth.status, 200, "{auth:?}");
    assert!(auth.headers.contains("remote-groups: admins,devs"), "{}", auth.headers);
    assert_eq!(curl(&["-u", "carol:pw-carol", &w.url("/auth?group=admins")]).status, 403);
    assert_eq!(curl(&["-u", "alice:nope", &w.url("/auth")]).status, 401);
    assert_eq!(curl(&["-u", "zed:nope", &w.url("/auth")]).status, 401);
    assert_eq!(curl(&["-u", "lou:pw-lou-1", &w.url("/auth")]).status, 200);

    s.stop();
    // Not cached yet (bob) or a failure (never cached): the directory is needed → 503.
    assert_eq!(curl(&["-u", "bob:pw-bob", &w.url("/auth")]).status, 503);
    assert_eq!(curl(&["-u", "alice:nope", &w.url("/auth")]).status, 503);
    assert!(w.log().contains("Connection refused"), "the outage is a refusal, not a wait: {}", w.log());
    // The local backend comes first and is unaffected.
    assert_eq!(curl(&["-u", "lou:pw-lou-1", &w.url("/auth")]).status, 200);
    s.start_again();
    let bob = curl(&["-u", "bob:pw-bob", &w.url("/auth?group=devs")]);
    assert_eq!(bob.status, 200, "{bob:?}\n{}", w.log());
    assert!(!w.log().contains("pw-bob") && !w.log().contains("pw-reader"), "a password reached the log");
}

/// Issue 9 #2: case, space and width variants of an LDAP name reach the same entry, so they
/// must meet the same per-account lockout (they used to be counted as separate names).
#[test]
fn ldap_name_variants_share_the_lockout() {
    let s = Slapd::start();
    let env = Env::new();
    let extra =
        format!("[throttle]\ndelays = [\"0s\"]\nmax_failures = 3\n[[backend]]\nkind = \"ldap\"\n{}", search_toml(&s));
    let w = Wicketd::start(&env, &extra);
    // Through a trusted proxy without X-Real-IP: no per-client key, only the account's.
    for variant in ["ALICE", " alice", "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}"] {
        let r = curl(&["-u", &format!("{variant}:guess"), &w.url("/auth")]);
        assert_eq!(r.status, 401, "{variant:?}: {r:?}");
    }
    let right = curl(&["-u", "alice:pw-alice", &w.url("/auth")]);
    assert_eq!(right.status, 401, "alice is locked out after three guesses under other spellings\n{}", w.log());
    assert!(w.log().contains("outcome=\"throttled\""), "{}", w.log());
}
