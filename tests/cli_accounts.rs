//! The `wicket` admin CLI with a running wicketd: account states, Digest in the configured
//! realm, and browser sessions listed and revoked.

use crate::support::servers::{Wicketd, curl};
use crate::support::{Env, have, stderr};
use wicket_core::secret::Secret;

/// Issue 9 #8: `user show` says whether Digest works in the configured realm; `--db` alone
/// uses the default realm, `--config` with `--db` the config's; a password login through
/// the configured realm adds the missing values.
#[test]
fn show_says_whether_digest_works_in_the_configured_realm() {
    let env = Env::new();
    env.add_user("alice", "pw-Secret-1");
    let digest = |extra: &[&str]| -> String {
        let mut args = extra.to_vec();
        args.extend_from_slice(&["user", "show", "alice"]);
        let out = env.ok(&args, "");
        out.lines().find(|l| l.starts_with("digest:")).unwrap_or_default().to_string()
    };
    assert_eq!(digest(&[]), "digest:     yes (realm \"wicket\", SHA-256)");
    let x = env.dir.path().join("x.toml");
    std::fs::write(&x, "[server]\nrealm = \"x\"\n").unwrap_or_else(|e| panic!("{e}"));
    let x = x.to_str().unwrap_or_default();
    assert_eq!(
        digest(&["--config", x]),
        "digest:     no (realm \"x\") — set the password again or log in once with Basic"
    );
    // A wrong password changes nothing; the right one (a Basic-style login) fills the gap.
    assert!(!env.wicket(&["--config", x, "check", "alice", "--password-stdin"], "wrong\n").status.success());
    assert!(digest(&["--config", x]).starts_with("digest:     no "));
    assert!(env.wicket(&["--config", x, "check", "alice", "--password-stdin"], "pw-Secret-1\n").status.success());
    assert_eq!(digest(&["--config", x]), "digest:     yes (realm \"x\", SHA-256)");
    // With both, a new password gets the config's realm at once.
    env.ok(&["--config", x, "user", "add", "bob", "--password-stdin"], "pw-Secret-1\n");
    let out = env.ok(&["--config", x, "user", "show", "bob"], "");
    assert!(out.contains("digest:     yes (realm \"x\", SHA-256)"), "{out}");
    env.ok(&["user", "add", "carol", "--no-password"], "");
    assert!(env.ok(&["user", "show", "carol"], "").contains("digest:     no (no password set)"));
}

/// Issue 9 #10: the documented `disabled` state can be set and cleared.
#[test]
fn disable_and_enable_a_user() {
    let env = Env::new();
    env.add_user("alice", "pw-Secret-1");
    let out = env.wicket(&["user", "disable", "alice"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim(), "disabled alice");
    assert!(!env.check("alice", "pw-Secret-1"));
    assert!(env.ok(&["user", "show", "alice"], "").contains("state:      disabled"));
    let out = env.wicket(&["check", "alice", "--password-stdin"], "pw-Secret-1\n");
    assert!(stderr(&out).contains("disabled"), "{}", stderr(&out));
    env.ok(&["user", "enable", "alice"], "");
    assert!(env.check("alice", "pw-Secret-1"));
    assert!(env.ok(&["user", "show", "alice"], "").contains("state:      active"));
    let out = env.wicket(&["user", "disable", "nobody"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no such user"), "{}", stderr(&out));
}

/// Issue 9 #8 end to end: a user added with `wicket --db` (default realm) while wicketd runs
/// `realm = "x"`: wicketd says so at start, Digest fails, one Basic login fixes it.
#[test]
fn a_user_added_under_another_realm_gets_digest_after_one_basic_login() {
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    let w = Wicketd::start_full(&env, "realm = \"x\"\n", "", &[]);
    assert!(w.log().contains("1 local user(s) cannot use Digest in realm \"x\""), "{}", w.log());
    assert_eq!(curl(&["--digest", "-u", "alice:pw-alice", &w.url("/whoami")]).status, 401);
    assert_eq!(curl(&["--basic", "-u", "alice:pw-alice", &w.url("/whoami")]).status, 200);
    assert_eq!(curl(&["--digest", "-u", "alice:pw-alice", &w.url("/whoami?again=1")]).status, 200);
}

/// Signs `user` in through wicketd's own `/login` with curl; the session cookie's pair.
fn portal_sign_in(w: &Wicketd, user: &str, password: &str) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jar = dir.path().join("jar");
    let jar = jar.to_str().unwrap_or_default();
    let form = curl(&["-c", jar, "-b", jar, &w.url("/login")]);
    assert_eq!(form.status, 200, "{}", w.log());
    let marker = "name=\"csrf\" value=\"";
    let start = form.body.find(marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("{}", form.body));
    let token = form.body[start..].split('"').next().unwrap_or_default().to_string();
    let token: String = token
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect();
    let data = format!("username={user}&password={password}&csrf={token}");
    let done = curl(&["-c", jar, "-b", jar, "--data", &data, &w.url("/login")]);
    assert_eq!(done.status, 303, "{}", done.body);
    // The response headers were lower-cased by `curl()`: the jar keeps the value as sent.
    let text = std::fs::read_to_string(jar).unwrap_or_default();
    let cookie = text
        .lines()
        .filter_map(|l| l.split('\t').collect::<Vec<_>>().get(5..7).map(|f| (f[0].to_string(), f[1].to_string())))
        .find(|(name, _)| name == "wicket_session")
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no session cookie in {text}"));
    format!("wicket_session={cookie}")
}

#[test]
fn sessions_are_listed_and_revoked_at_once_in_a_running_wicketd() {
    if !have("curl") {
        panic!("curl is required");
    }
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    env.add_user("bob", "pw-bob-1");
    let w = Wicketd::start(&env, "[session]\nsecure = false\n");
    let alice = portal_sign_in(&w, "alice", "pw-alice");
    let alice2 = portal_sign_in(&w, "alice", "pw-alice");
    let bob = portal_sign_in(&w, "bob", "pw-bob-1");
    let auth = |cookie: &str| curl(&["-H", &format!("Cookie: {cookie}"), &w.url("/auth")]).status;
    for c in [&alice, &alice2, &bob] {
        assert_eq!(auth(c), 200, "{}", w.log());
    }

    // Text: one line per session, ids are short handles, never the cookie or its hash.
    let list = env.ok(&["session", "list"], "");
    assert_eq!(list.lines().count(), 3, "{list}");
    assert_eq!(list.lines().filter(|l| l.contains("alice")).count(), 2, "{list}");
    let value = |pair: &str| pair.split_once('=').map(|(_, v)| v.to_string()).unwrap_or_default();
    let full_hash = wicket_core::verify::session_hash(&Secret::from(value(&bob).as_str()));
    assert!(!list.contains(&value(&bob)) && !list.contains(&full_hash), "{list}");
    let only_alice = env.ok(&["session", "list", "--user", "alice"], "");
    assert_eq!(only_alice.lines().count(), 2, "{only_alice}");
    assert!(!only_alice.contains("bob"));

    // JSON.
    let json: serde_json::Value = serde_json::from_str(&env.ok(&["session", "list", "--json"], "")).unwrap_or_default();
    let rows = json.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3, "{json}");
    let bob_row = rows.iter().find(|r| r["user"] == "bob").unwrap_or_else(|| panic!("{json}"));
    let bob_id = bob_row["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(bob_id.len(), 12);
    assert!(full_hash.starts_with(&bob_id));
    assert_eq!(bob_row["backend"], "local");
    assert_eq!(bob_row["remember_me"], false);
    assert!(bob_row["created_at"].as_i64().is_some() && bob_row["expires_at"].as_i64().is_some(), "{bob_row}");
    assert!(!json.to_string().contains(&full_hash));

    // Revoke one by its id: wicketd refuses it on the next request.
    env.ok(&["session", "revoke", &bob_id], "");
    assert_eq!(auth(&bob), 401);
    assert_eq!(auth(&alice), 200);
    let again = env.wicket(&["session", "revoke", &bob_id], "");
    assert!(!again.status.success());
    assert!(stderr(&again).contains("no session"), "{}", stderr(&again));

    // Revoke all of a user's.
    let out = env.wicket(&["session", "revoke", "--user", "alice"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains('2'), "{}", stderr(&out));
    assert_eq!(auth(&alice), 401);
    assert_eq!(auth(&alice2), 401);
    assert_eq!(env.ok(&["session", "list"], "").trim(), "");

    // Exactly one of ID and --user.
    assert_eq!(env.wicket(&["session", "revoke"], "").status.code(), Some(2));
    assert_eq!(env.wicket(&["session", "revoke", &bob_id, "--user", "bob"], "").status.code(), Some(2));
}
