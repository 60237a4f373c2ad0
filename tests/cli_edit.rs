//! Issue 13 through the real `wicket` binary: editing accounts (`user mod`, `rename`,
//! `enable` after `lock`), the password rules, token hygiene, and `--json` on every listing.
//! Every refusal is one line, exit 1, and leaves the user as `user show --json` showed it.

use crate::support::{Env, stderr};
use serde_json::Value;

const PW: &str = "pw-Secret-1";

fn json(env: &Env, args: &[&str]) -> Value {
    let out = env.ok(args, "");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn show(env: &Env, user: &str) -> Value {
    json(env, &["user", "show", user, "--json"])
}

/// Runs `args`, expects exit 1 with `expect` on one stderr line, and `user`'s record unchanged.
fn refused(env: &Env, args: &[&str], stdin: &str, expect: &str, user: &str) {
    let before = show(env, user);
    let out = env.wicket(args, stdin);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(expect), "{args:?}: expected `{expect}` in {err}");
    assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    assert_eq!(show(env, user), before, "{args:?} changed {user}");
}

fn config(env: &Env, name: &str, text: &str) -> String {
    let p = env.dir.path().join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p.to_str().unwrap_or_default().to_string()
}

#[test]
fn user_mod_changes_the_named_fields_and_refuses_taken_ids() {
    let env = Env::new();
    env.add_user("alice", PW);
    env.add_user("bob", PW);
    env.ok(&["group", "add", "staff", "--gid", "5000"], "");
    let out = env.wicket(
        &["user", "mod", "alice", "--full-name", "Alice Liddell", "--email", "a@example.org", "--shell", "/bin/zsh"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim(), "changed user alice: full name Alice Liddell, email a@example.org, shell /bin/zsh");
    env.ok(&["user", "mod", "alice", "--home", "/srv/alice", "--expires", "2099-01-01", "--gid", "5000"], "");
    let v = show(&env, "alice");
    assert_eq!(
        (&v["display_name"], &v["email"], &v["shell"], &v["home"], &v["gid"], &v["uid"]),
        (
            &Value::from("Alice Liddell"),
            &Value::from("a@example.org"),
            &Value::from("/bin/zsh"),
            &Value::from("/srv/alice"),
            &Value::from(5000),
            &Value::from(200_000)
        )
    );
    assert!(v["expires_at"].as_i64().is_some_and(|t| t > 4_000_000_000));
    env.ok(&["user", "mod", "alice", "--email", "", "--expires", "never", "--uid", "3000"], "");
    let v = show(&env, "alice");
    assert_eq!((&v["email"], &v["expires_at"], &v["uid"]), (&Value::Null, &Value::Null, &Value::from(3000)));
    assert!(env.check("alice", PW), "a new uid keeps the password");

    refused(
        &env,
        &["user", "mod", "alice", "--uid", "200001"],
        "",
        "uid 200001 is already used by user `bob`",
        "alice",
    );
    refused(&env, &["user", "mod", "alice", "--uid", "5000"], "", "already used by group `staff`", "alice");
    refused(&env, &["user", "mod", "alice", "--gid", "200001"], "", "private group of user `bob`", "alice");
    refused(&env, &["user", "mod", "alice", "--uid", "10"], "", "belong to the system", "alice");
    refused(&env, &["user", "mod", "alice", "--shell", "/bin/sh:x"], "", "must not contain", "alice");
    refused(&env, &["user", "mod", "alice", "--expires", "someday"], "", "invalid time", "alice");
    refused(&env, &["user", "mod", "nobody", "--shell", "/bin/sh"], "", "no such user", "alice");
    // No option at all is a usage error.
    let out = env.wicket(&["user", "mod", "alice"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn enable_and_unlock_both_return_to_active_from_either_state() {
    let env = Env::new();
    env.add_user("alice", PW);
    for (off, on) in [("lock", "enable"), ("disable", "unlock"), ("disable", "enable")] {
        env.ok(&["user", off, "alice"], "");
        assert_ne!(show(&env, "alice")["state"], "active");
        assert!(!env.check("alice", PW), "{off}");
        env.ok(&["user", on, "alice"], "");
        assert_eq!(show(&env, "alice")["state"], "active", "{off} then {on}");
        assert!(env.check("alice", PW), "{off} then {on}");
    }
}

#[test]
fn rename_keeps_ids_groups_tokens_and_password() {
    let env = Env::new();
    env.add_user("alice", PW);
    env.add_user("bob", PW);
    env.ok(&["group", "add", "staff"], "");
    env.ok(&["group", "add-member", "staff", "alice"], "");
    env.ok(&["token", "create", "alice", "--name", "ci"], "");
    let before = show(&env, "alice");
    refused(&env, &["user", "rename", "alice", "bob"], "", "user `bob` already exists", "alice");
    refused(&env, &["user", "rename", "alice", "Bad Name"], "", "invalid name", "alice");
    refused(&env, &["user", "rename", "nobody", "carol"], "", "no such user", "alice");
    let out = env.wicket(&["user", "rename", "alice", "carol"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("home directory was not moved"), "{}", stderr(&out));
    assert_eq!(env.wicket(&["user", "show", "alice"], "").status.code(), Some(1));
    let after = show(&env, "carol");
    assert_eq!((&after["uid"], &after["gid"], &after["home"]), (&before["uid"], &before["gid"], &before["home"]));
    assert_eq!(after["groups"], Value::from(vec!["staff"]));
    assert_eq!(json(&env, &["group", "show", "staff", "--json"])["members"], Value::from(vec!["carol"]));
    let tokens = json(&env, &["token", "list", "carol", "--json"]);
    assert_eq!(tokens[0]["owner"], "carol");
    assert!(env.check("carol", PW));
    assert!(!env.check("alice", PW));
}

#[test]
fn new_passwords_meet_the_rules_and_say_which_failed() {
    let env = Env::new();
    env.add_user("alice", PW);
    let hash = env.stored_hash("alice");
    let cases = [
        ("short1!", "shorter than 8 characters ([passwords] min_length)"),
        ("Alice2024", "it is the user's name"),
        ("ecila!!!!", "it is the user's name"),
        ("Password123", "it is one of the most common passwords"),
        ("qwertyuiop", "it is one of the most common passwords"),
    ];
    for (pw, why) in cases {
        let stdin = format!("{pw}\n");
        refused(&env, &["user", "passwd", "alice", "--password-stdin"], &stdin, why, "alice");
        // The same password rules for a new user named carol.
        let for_carol = stdin.to_lowercase().replace("alice", "carol").replace("ecila", "lorac");
        let out = env.wicket(&["user", "add", "carol", "--password-stdin"], &for_carol);
        assert_eq!(out.status.code(), Some(1), "{for_carol}");
        assert!(stderr(&out).contains(why), "{for_carol}: {}", stderr(&out));
    }
    assert_eq!(env.stored_hash("alice"), hash, "no refused password was stored");
    assert!(env.user_names() == ["alice"], "no refused user was added");
    // The length is configurable; imported hashes are not checked (no plaintext).
    let short = config(&env, "short.toml", "[passwords]\nmin_length = 4\n");
    env.ok(&["--config", &short, "user", "passwd", "alice", "--password-stdin"], "x7#q\n");
    assert!(env.check("alice", "x7#q"));
    let out = env.wicket(&["--config", &short, "user", "passwd", "alice", "--password-stdin"], "x7#\n");
    assert!(stderr(&out).contains("shorter than 4 characters"), "{}", stderr(&out));
}

#[test]
fn tokens_are_revoked_per_user_on_demand_or_with_a_password_change() {
    let env = Env::new();
    env.add_user("alice", PW);
    env.add_user("bob", PW);
    for (user, name) in [("alice", "a"), ("alice", "b"), ("bob", "a")] {
        env.ok(&["token", "create", user, "--name", name], "");
    }
    let out = env.wicket(&["token", "revoke", "--user", "alice"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim(), "revoked 2 tokens of alice");
    let revoked = |user: &str| -> Vec<bool> {
        let v = json(&env, &["token", "list", user, "--json"]);
        v.as_array().map(|a| a.iter().map(|t| !t["revoked_at"].is_null()).collect()).unwrap_or_default()
    };
    assert_eq!(revoked("alice"), [true, true]);
    assert_eq!(revoked("bob"), [false], "other users' tokens stay");
    assert_eq!(stderr(&env.wicket(&["token", "revoke", "--user", "alice"], "")).trim(), "revoked 0 tokens of alice");
    let out = env.wicket(&["token", "revoke", "--user", "nobody"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no such user"), "{}", stderr(&out));
    assert_eq!(env.wicket(&["token", "revoke", "--user", "bob", "a"], "").status.code(), Some(2));

    // Without the setting a password change leaves tokens; with it, they go in the same step.
    env.ok(&["user", "passwd", "bob", "--password-stdin"], "pw-Other-2\n");
    assert_eq!(revoked("bob"), [false]);
    let cfg = config(&env, "revoke.toml", "[tokens]\nrevoke_on_password_change = true\n");
    let out = env.wicket(&["--config", &cfg, "user", "passwd", "bob", "--password-stdin"], "pw-Other-3\n");
    assert!(stderr(&out).contains("revoked 1 token of bob"), "{}", stderr(&out));
    assert_eq!(revoked("bob"), [true]);
}

#[test]
fn new_tokens_take_the_configured_default_expiry_unless_told_never() {
    let env = Env::new();
    env.add_user("alice", PW);
    let cfg = config(&env, "expiry.toml", "[tokens]\ndefault_expiry = \"90d\"\n");
    env.ok(&["--config", &cfg, "token", "add", "alice", "--name", "default"], "");
    env.ok(&["--config", &cfg, "token", "add", "alice", "--name", "forever", "--expires", "never"], "");
    env.ok(&["--config", &cfg, "token", "add", "alice", "--name", "short", "--expires", "1d"], "");
    env.ok(&["token", "add", "alice", "--name", "plain"], "");
    let v = json(&env, &["token", "list", "alice", "--json"]);
    let lifetime = |i: usize| v[i]["expires_at"].as_i64().map(|e| e - v[i]["created_at"].as_i64().unwrap_or(0));
    // Whole days from the recorded creation (one reading of the clock, however long the
    // store takes to open).
    assert_eq!(lifetime(0), Some(90 * 86_400), "{v}");
    assert_eq!(lifetime(1), None);
    assert_eq!(lifetime(2), Some(86_400), "{v}");
    assert_eq!(lifetime(3), None, "no setting: no expiry");
    let bad = config(&env, "bad.toml", "[tokens]\ndefault_expiry = \"soon\"\n");
    let out = env.wicket(&["--config", &bad, "token", "add", "alice", "--name", "x"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("default_expiry"), "{}", stderr(&out));
}

#[test]
fn every_listing_and_show_speaks_json_with_stable_keys() {
    let env = Env::new();
    env.add_user("alice", PW);
    env.ok(&["group", "add", "staff", "--gid", "5000"], "");
    env.ok(&["group", "add-member", "staff", "alice"], "");
    env.ok(&["token", "create", "alice", "--name", "ci"], "");
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        k.sort();
        k
    };
    let user_keys = [
        "created_at",
        "display_name",
        "email",
        "expires_at",
        "gid",
        "groups",
        "home",
        "name",
        "password_changed_at",
        "password_scheme",
        "providers",
        "shell",
        "source",
        "state",
        "uid",
        "updated_at",
    ];
    assert_eq!(keys(&show(&env, "alice")), user_keys);
    assert_eq!(keys(&json(&env, &["user", "list", "--json"])[0]), user_keys);
    let group = json(&env, &["group", "show", "staff", "--json"]);
    assert_eq!(keys(&group), ["gid", "members", "name"]);
    assert_eq!((&group["gid"], &group["members"][0]), (&Value::from(5000), &Value::from("alice")));
    assert_eq!(keys(&json(&env, &["group", "list", "--json"])[0]), ["gid", "members", "name"]);
    let token_keys = ["created_at", "expires_at", "id", "last_used_at", "name", "owner", "revoked_at", "scopes"];
    assert_eq!(keys(&json(&env, &["token", "list", "--json"])[0]), token_keys);
    assert_eq!(json(&env, &["session", "list", "--json"]), Value::Array(vec![]));
    let out = env.wicket(&["group", "show", "nogroup", "--json"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no such group"), "{}", stderr(&out));
}
