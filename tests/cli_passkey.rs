//! `wicket user passkeys USER` and `wicket user passkey remove USER NAME`: the passkeys a
//! user registered in the portal (written here straight into the store), listed as text and
//! JSON, removed by name; unknown names and users are refused.

use crate::support::{Env, bin, run};
use std::process::Output;
use wicket_core::store::PasskeyRecord;

fn wicket(env: &Env, args: &[&str]) -> Output {
    let cfg = env.dir.path().join("wicket.toml");
    let text = format!(
        "[store]\n{}\n[[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"ldap\"\nurl = \"ldap://127.0.0.1:9\"\nbase = \"dc=example,dc=org\"\n",
        env.store_toml()
    );
    std::fs::write(&cfg, text).unwrap_or_else(|e| panic!("{e}"));
    let mut full = vec!["--config", cfg.to_str().unwrap_or_default()];
    full.extend_from_slice(args);
    run(&bin("wicket"), &full, "")
}

fn said(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn add(env: &Env, backend: &str, user: &str, id: &[u8], name: &str) {
    let mut s = env.open_store();
    let rec = PasskeyRecord {
        backend: backend.into(),
        user_name: user.into(),
        credential_id: id.to_vec(),
        public_key: vec![0xa0],
        sign_count: 3,
        name: name.into(),
        created_at: 1_800_000_000,
        last_used: Some(1_800_000_600),
    };
    s.add_passkey(&rec).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn list_and_remove_a_users_passkeys() {
    let env = Env::new();
    env.ok(&["user", "add", "alice", "--no-password"], "");
    let o = wicket(&env, &["user", "passkeys", "alice"]);
    assert!(o.status.success() && said(&o).contains("alice has no passkeys"), "{}", said(&o));
    add(&env, "local", "alice", b"one", "laptop");
    add(&env, "local", "alice", b"two", "phone");
    add(&env, "ldap", "carol", b"three", "key");

    let o = wicket(&env, &["user", "passkeys", "alice"]);
    let out = said(&o);
    assert!(o.status.success() && out.contains("laptop") && out.contains("phone"), "{out}");
    let o = wicket(&env, &["user", "passkeys", "ldap:carol", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", said(&o)));
    assert_eq!(v[0]["name"], "key");
    assert_eq!(v[0]["backend"], "ldap");
    assert_eq!(v[0]["last_used"], 1_800_000_600);

    let o = wicket(&env, &["user", "passkey", "remove", "alice", "laptop"]);
    assert!(o.status.success(), "{}", said(&o));
    let o = wicket(&env, &["user", "passkey", "remove", "alice", "laptop"]);
    assert!(!o.status.success() && said(&o).contains("no passkey named"), "{}", said(&o));
    let o = wicket(&env, &["user", "passkeys", "nobody"]);
    assert!(!o.status.success(), "{}", said(&o));
    let o = wicket(&env, &["user", "passkeys", "alice", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.as_array().map(Vec::len), Some(1));
}
