//! Issue 13, invitations through the real `wicket` binary: `user invite` makes a pending
//! account and prints a one-time portal link, `user reset-link` (and `invite --reset`) a
//! link for an existing user, `user invites` lists the open ones — never a token. Refusals
//! are one line, exit 1, and leave the store as it was.

use crate::support::{Env, stderr};
use serde_json::Value;

const PORTAL: &str = "https://auth.example.org";

/// A config with `[session] portal_url` (and one without `[session]`), sharing `env`'s store.
fn configs(env: &Env) -> (String, String) {
    let write = |name: &str, text: String| {
        let p = env.dir.path().join(name);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        p.to_str().unwrap_or_default().to_string()
    };
    let store = env.store_toml();
    (
        write("with.toml", format!("[store]\n{store}\n[session]\nportal_url = \"{PORTAL}/\"\n")),
        write("without.toml", format!("[store]\n{store}\n")),
    )
}

fn run(env: &Env, cfg: &str, args: &[&str]) -> std::process::Output {
    let mut full = vec!["--config", cfg];
    full.extend_from_slice(args);
    env.wicket(&full, "")
}

/// The token of the one link printed on stdout.
fn token_of(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.trim();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let token = line.strip_prefix(&format!("{PORTAL}/invite?t=")).unwrap_or_else(|| panic!("not a link: {line}"));
    assert_eq!(token.len(), 43, "{token}");
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
    token.to_string()
}

fn stored_hashes(env: &Env) -> Vec<String> {
    env.query_texts("SELECT hash FROM invites ORDER BY hash")
}

fn invites_json(env: &Env, cfg: &str) -> Value {
    let out = run(env, cfg, &["user", "invites", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn invite_makes_a_pending_user_and_a_link_stored_only_as_its_hash() {
    let env = Env::new();
    let (cfg, _) = configs(&env);
    env.ok(&["group", "add", "staff"], "");
    let out =
        run(&env, &cfg, &["user", "invite", "alice", "--full-name", "Alice L", "--groups", "staff", "--expires", "2h"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("invited alice"), "{}", stderr(&out));
    let token = token_of(&out);
    assert_eq!(stored_hashes(&env), vec![wicket_core::token::hash(token.as_bytes())]);
    assert!(!env.store_holds(&token), "the token is in the store");
    let user: Value =
        serde_json::from_str(&env.ok(&["user", "show", "alice", "--json"], "")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((&user["display_name"], &user["groups"][0]), (&Value::from("Alice L"), &Value::from("staff")));
    assert_eq!(
        env.query_texts(
            "SELECT CASE WHEN password_hash IS NULL THEN 'none' ELSE 'set' END FROM users WHERE name = 'alice'"
        ),
        vec!["none".to_string()]
    );
    // Listed without the token; a pending account cannot sign in.
    let list = invites_json(&env, &cfg);
    assert_eq!((&list[0]["user"], &list[0]["reset"]), (&Value::from("alice"), &Value::from(false)));
    assert!(!list.to_string().contains(&token));
    let check = env.wicket(&["check", "alice", "--password-stdin"], "\n");
    assert_ne!(check.status.code(), Some(0));
    // Inviting again replaces the link.
    let again = run(&env, &cfg, &["user", "invite", "alice"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let second = token_of(&again);
    assert_eq!(stored_hashes(&env), vec![wicket_core::token::hash(second.as_bytes())]);
    // A password set by the administrator meanwhile closes the link.
    env.ok(&["user", "passwd", "alice", "--password-stdin"], "pw-Secret-1\n");
    assert_eq!(invites_json(&env, &cfg), Value::Array(Vec::new()));
    // The change is in the event trail, without the link.
    let events = env.ok(&["events", "--kind", "admin", "--json"], "");
    assert!(events.contains("user invite alice: full-name, groups, expires"), "{events}");
    assert!(!events.contains("user invites"), "listing is not a change: {events}");
    assert!(!events.contains(&token) && !events.contains(&second));
}

#[test]
fn reset_link_is_for_existing_users_and_keeps_the_password_until_used() {
    let env = Env::new();
    let (cfg, _) = configs(&env);
    env.add_user("bob", "pw-Secret-1");
    let before = env.stored_hash("bob");
    let out = run(&env, &cfg, &["user", "reset-link", "bob"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = token_of(&out);
    let out = run(&env, &cfg, &["user", "invite", "--reset", "bob", "--expires", "30m"]);
    let second = token_of(&out);
    assert_ne!(first, second);
    assert_eq!(stored_hashes(&env), vec![wicket_core::token::hash(second.as_bytes())]);
    assert_eq!(env.stored_hash("bob"), before);
    let list = invites_json(&env, &cfg);
    assert_eq!((&list[0]["user"], &list[0]["reset"]), (&Value::from("bob"), &Value::from(true)));
    let text = String::from_utf8_lossy(&run(&env, &cfg, &["user", "invites"]).stdout).into_owned();
    assert!(text.starts_with("bob") && text.contains("reset"), "{text}");
}

/// `args` exits 1 with `expect` on one line; no user, no link is written.
fn refused(env: &Env, cfg: &str, args: &[&str], expect: &str) {
    let users = env.ok(&["user", "list", "--json"], "");
    let links = stored_hashes(env);
    let out = run(env, cfg, args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(expect), "{args:?}: expected `{expect}` in {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed a link");
    assert_eq!(env.ok(&["user", "list", "--json"], ""), users, "{args:?}");
    assert_eq!(stored_hashes(env), links, "{args:?}");
}

#[test]
fn invitations_are_refused_clearly_and_change_nothing() {
    let env = Env::new();
    let (cfg, without) = configs(&env);
    env.add_user("carol", "pw-Secret-1");
    refused(&env, &without, &["user", "invite", "dave"], "invitations need the sign-in portal");
    refused(&env, &without, &["user", "reset-link", "carol"], "[session]");
    refused(
        &env,
        &cfg,
        &["user", "invite", "carol"],
        "user `carol` already exists; `wicket user invite --reset carol`",
    );
    refused(&env, &cfg, &["user", "invite", "dave", "--groups", "nope"], "no such group `nope`");
    refused(&env, &cfg, &["user", "invite", "dave", "--expires", "31d"], "must expire within 30 days");
    refused(&env, &cfg, &["user", "invite", "dave", "--expires", "never"], "always expires");
    refused(&env, &cfg, &["user", "invite", "Bad Name"], "invalid");
    refused(&env, &cfg, &["user", "reset-link", "nobody"], "no such user `nobody`");
}
