//! Where each user comes from, through the real `wicket` binary (issues 13 and 16): `user
//! list` and `user show` (text and `--json`) tell a local user with a password from one
//! pending an invitation, show the OpenID Connect providers a local user is linked to, and
//! list the users a provider created on first sign-in; `session list` shows each session's
//! factors.

use crate::support::{Env, stderr};
use serde_json::Value;
use wicket_core::auth::Identity;
use wicket_core::store::{ExternalIdentity, SessionRecord, UserStore};

fn json(env: &Env, cfg: &str, args: &[&str]) -> Value {
    let out = run(env, cfg, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn run(env: &Env, cfg: &str, args: &[&str]) -> std::process::Output {
    let mut full = vec!["--config", cfg];
    full.extend_from_slice(args);
    env.wicket(&full, "")
}

fn text(env: &Env, cfg: &str, args: &[&str]) -> String {
    let out = run(env, cfg, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A config with a portal (for `user invite`) on `env`'s store.
fn config(env: &Env) -> String {
    let p = env.dir.path().join("w.toml");
    let text = format!("[store]\n{}\n[session]\nportal_url = \"https://auth.example.org/\"\n", env.store_toml());
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p.to_str().unwrap_or_default().to_string()
}

fn store(env: &Env) -> Box<dyn UserStore> {
    env.open_store()
}

/// What wicketd records on a provider sign-in (`backend` is `local` or `oidc`).
fn identity(env: &Env, provider: &str, subject: &str, backend: &str, name: &str) {
    let id = ExternalIdentity {
        provider: provider.into(),
        subject: subject.into(),
        backend: backend.into(),
        user_name: name.into(),
        created_at: 1_700_000_000,
        last_login: Some(1_700_000_100),
    };
    store(env).add_identity(&id).unwrap_or_else(|e| panic!("{e}"));
}

fn row<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array().into_iter().flatten().find(|u| u["name"] == name).unwrap_or_else(|| panic!("no {name} in {list}"))
}

fn line<'a>(list: &'a str, name: &str) -> &'a str {
    list.lines().find(|l| l.split_whitespace().next() == Some(name)).unwrap_or_else(|| panic!("no {name} in {list}"))
}

#[test]
fn user_list_shows_where_each_user_comes_from_and_its_state() {
    let env = Env::new();
    let cfg = config(&env);
    env.add_user("alice", "pw-Alice-1");
    env.add_user("dave", "pw-Dave-1");
    let out = run(&env, &cfg, &["user", "invite", "carol"]);
    assert!(out.status.success(), "{}", stderr(&out));
    identity(&env, "Example ID", "sub-dave", "local", "dave");
    identity(&env, "Example ID", "sub-erin", "oidc", "erin");

    let list = json(&env, &cfg, &["user", "list", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(4), "{list}");
    let alice = row(&list, "alice");
    assert_eq!((&alice["source"], &alice["state"]), (&Value::from("local"), &Value::from("active")));
    assert_eq!(alice["providers"], Value::Array(vec![]));
    assert_eq!(alice["password_scheme"], "argon2id");
    let carol = row(&list, "carol");
    assert_eq!((&carol["source"], &carol["state"]), (&Value::from("local"), &Value::from("pending")));
    assert_eq!(carol["password_scheme"], "none");
    let dave = row(&list, "dave");
    assert_eq!((&dave["source"], &dave["state"]), (&Value::from("local"), &Value::from("active")));
    assert_eq!(dave["providers"], serde_json::json!(["Example ID"]));
    let erin = row(&list, "erin");
    assert_eq!((&erin["source"], &erin["state"]), (&Value::from("oidc"), &Value::from("active")));
    assert_eq!(erin["providers"], serde_json::json!(["Example ID"]));
    assert_eq!(erin["last_login"], 1_700_000_100);
    assert!(erin.get("uid").is_none(), "{erin}");

    let list = text(&env, &cfg, &["user", "list"]);
    assert!(line(&list, "alice").ends_with(" local"), "{list}");
    assert!(line(&list, "carol").contains(" pending "), "{list}");
    assert!(line(&list, "dave").ends_with(" local, oidc: Example ID"), "{list}");
    assert!(line(&list, "erin").ends_with(" oidc: Example ID"), "{list}");
    assert!(!line(&list, "erin").contains("local"), "{list}");

    // show, both ways, for each kind.
    assert_eq!(
        json(&env, &cfg, &["user", "show", "carol", "--json"]),
        *row(&json(&env, &cfg, &["user", "list", "--json"]), "carol")
    );
    let dave = text(&env, &cfg, &["user", "show", "dave"]);
    assert!(dave.contains("source:     local, oidc: Example ID"), "{dave}");
    assert!(text(&env, &cfg, &["user", "show", "carol"]).contains("state:      pending"));
    for name in ["erin", "oidc:erin"] {
        let v = json(&env, &cfg, &["user", "show", name, "--json"]);
        assert_eq!((&v["name"], &v["source"]), (&Value::from("erin"), &Value::from("oidc")), "{v}");
        let t = text(&env, &cfg, &["user", "show", name]);
        assert!(t.contains("source:     oidc: Example ID"), "{t}");
    }
    let out = run(&env, &cfg, &["user", "show", "oidc:dave"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no such user"), "{}", stderr(&out));

    // Once carol chooses a password (here from the command line), she is no longer pending.
    let out = env.wicket(&["--config", &cfg, "user", "passwd", "carol", "--password-stdin"], "pw-Carol-1\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&env, &cfg, &["user", "show", "carol", "--json"])["state"], "active");
}

#[test]
fn session_list_shows_the_factors() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    let mut s = store(&env);
    for (hash, factors) in [("a".repeat(64), 1), ("b".repeat(64), 2)] {
        let identity = Identity {
            name: "alice".into(),
            uid: None,
            gid: None,
            display_name: None,
            email: None,
            groups: vec![],
            backend: "local".into(),
            scopes: None,
        };
        let record = SessionRecord {
            id_hash: hash,
            identity,
            created_at: now,
            last_seen: now,
            expires_at: now + 3600,
            remember_me: false,
            factors,
        };
        s.add_session(&record, false).unwrap_or_else(|e| panic!("{e}"));
    }
    let list = env.ok(&["session", "list"], "");
    assert!(list.lines().any(|l| l.starts_with("aaaaaaaaaaaa ") && l.contains(" factors 1 ")), "{list}");
    assert!(list.lines().any(|l| l.starts_with("bbbbbbbbbbbb ") && l.contains(" factors 2 ")), "{list}");
    let v: Value = serde_json::from_str(&env.ok(&["session", "list", "--json"], "")).unwrap_or_default();
    let factors = |id: &str| v.as_array().into_iter().flatten().find(|r| r["id"] == id).map(|r| r["factors"].clone());
    assert_eq!(factors("aaaaaaaaaaaa"), Some(Value::from(1)), "{v}");
    assert_eq!(factors("bbbbbbbbbbbb"), Some(Value::from(2)), "{v}");
}
