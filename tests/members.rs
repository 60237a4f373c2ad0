//! Users of other backends as Wicket members (issue 13): an LDAP user (real slapd) put in a
//! Wicket group passes a rule that needs it through nginx and gets it in `Remote-Groups`; a
//! token made for them works with curl; `users` and `all_groups` rules; a misspelt `/auth`
//! requirement is refused rather than ignored.

use crate::ldap::search_toml;
use crate::support::servers::{Nginx, Wicketd, curl, reserve_port};
use crate::support::slapd::Slapd;
use crate::support::{Env, bin, run, stderr};
use std::path::Path;
use std::process::Output;

/// `wicket --config CFG ARGS` (the daemon's config: the CLI must know the backend chain).
fn wicket(cfg: &Path, args: &[&str]) -> Output {
    let mut full = vec!["--config", cfg.to_str().unwrap_or_default()];
    full.extend_from_slice(args);
    run(&bin("wicket"), &full, "")
}

fn ok(cfg: &Path, args: &[&str]) -> String {
    let out = wicket(cfg, args);
    assert!(out.status.success(), "wicket {args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const RULES: &str = "[[rule]]\npath = \"^/private/ops/\"\ngroups = [\"ops\"]\npolicy = \"authenticated\"\n\
    [[rule]]\npath = \"^/private/carol/\"\nusers = [\"Carol\"]\npolicy = \"authenticated\"\n\
    [[rule]]\npath = \"^/private/both/\"\nall_groups = [\"ops\", \"admins\"]\npolicy = \"authenticated\"\n";

#[test]
fn an_ldap_user_in_a_wicket_group_passes_nginx_and_their_token_works() {
    let s = Slapd::start();
    let env = Env::new();
    let extra = format!("[[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"ldap\"\n{}{RULES}", search_toml(&s));
    let w = Wicketd::start(&env, &extra);
    let cfg = w.config.clone();
    let n = Nginx::start(env.dir.path(), "nginx-auth.conf", w.port);
    let carol = ["-u", "carol:pw-carol"];
    let get = |auth: &[&str], path: &str| {
        let mut args = auth.to_vec();
        let url = n.url(path);
        args.push(&url);
        curl(&args)
    };

    assert_eq!(get(&carol, "/private/ops/x").status, 403, "carol is in no group yet");
    ok(&cfg, &["group", "add", "ops"]);
    ok(&cfg, &["group", "add-member", "ops", "ldap:Carol"]);
    // The running daemon sees the membership at once (the store's change counter moved).
    let r = get(&carol, "/private/ops/x");
    assert_eq!(r.status, 200, "{r:?}\n{}", w.log());
    assert_eq!(r.body.trim(), "user=carol groups=ops");
    assert!(ok(&cfg, &["group", "list"]).contains("ldap:carol"), "group list names the external member");

    // Her Wicket groups join the directory's (alice: admins, devs from LDAP).
    let alice = ["-u", "alice:pw-alice"];
    assert_eq!(get(&alice, "/private/both/x").status, 403, "alice is not in ops");
    ok(&cfg, &["group", "add-member", "ops", "ldap:alice"]);
    let r = get(&alice, "/private/both/x");
    assert_eq!((r.status, r.body.trim()), (200, "user=alice groups=admins,devs,ops"), "{r:?}");

    // users = ["Carol"]: compared canonicalised.
    assert_eq!(get(&carol, "/private/carol/x").status, 200);
    assert_eq!(get(&alice, "/private/carol/x").status, 403);

    // A token for the LDAP user: Wicket groups only (no directory lookup on this path).
    let token = ok(&cfg, &["token", "create", "ldap:carol", "--name", "ci"]).trim().to_string();
    let bearer = format!("Authorization: Bearer {token}");
    let r = get(&["-H", &bearer], "/private/ops/x");
    assert_eq!((r.status, r.body.trim()), (200, "user=carol groups=ops"), "{r:?}\n{}", w.log());
    let who = curl(&["-H", &bearer, &w.url("/whoami")]);
    let v: serde_json::Value = serde_json::from_str(&who.body).unwrap_or_default();
    assert_eq!((v["name"].as_str(), v["backend"].as_str()), (Some("carol"), Some("ldap")), "{who:?}");
    assert!(ok(&cfg, &["token", "list", "ldap:carol"]).contains("ci"));
    ok(&cfg, &["token", "revoke", "ldap:carol", "ci"]);
    assert_eq!(get(&["-H", &bearer], "/private/ops/x").status, 401, "revoked at once");

    // Removing the membership refuses at once, cached credential or not.
    ok(&cfg, &["group", "remove-member", "ops", "ldap:carol"]);
    assert_eq!(get(&carol, "/private/ops/x").status, 403);
    assert!(!w.log().contains(&token), "a token reached the log");
}

#[test]
fn members_of_unknown_backends_are_refused_and_the_store_is_unchanged() {
    let env = Env::new();
    let w = Wicketd::start(&env, "[[backend]]\nkind = \"local\"\n");
    ok(&w.config, &["group", "add", "ops"]);
    let before = ok(&w.config, &["group", "list", "--json"]);
    for args in
        [&["group", "add-member", "ops", "ldap:carol"][..], &["token", "create", "pam:carol", "--name", "ci"][..]]
    {
        let out = wicket(&w.config, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains("unknown backend") && stderr(&out).contains("local"), "{}", stderr(&out));
    }
    assert_eq!(ok(&w.config, &["group", "list", "--json"]), before);
    assert_eq!(ok(&w.config, &["token", "list"]).trim(), "");
}

#[test]
fn a_misspelt_requirement_in_the_auth_url_is_refused_through_nginx() {
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    let w = Wicketd::start(&env, "");
    let direct = curl(&["-u", "alice:pw-alice", &w.url("/auth?grups=admins")]);
    assert_eq!(direct.status, 500, "{direct:?}");
    assert!(w.log().contains("unknown requirement `grups`"), "{}", w.log());
    // nginx serves nothing when the check answers 500.
    let port = reserve_port();
    let prefix = env.dir.path().join(format!("nginx-{port}"));
    std::fs::create_dir_all(prefix.join("logs")).unwrap_or_else(|e| panic!("{e}"));
    let tpl = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/nginx-auth.conf");
    let conf = std::fs::read_to_string(&tpl)
        .unwrap_or_else(|e| panic!("{e}"))
        .replace("auth?group=admins", "auth?all_group=admins")
        .replace("@PORT@", &port.to_string())
        .replace("@WICKET@", &w.port.to_string())
        .replace("@PREFIX@", &prefix.display().to_string());
    let n = Nginx::run(prefix, &conf, port, port, "/ping");
    let r = curl(&["-u", "alice:pw-alice", &n.url("/admin/x")]);
    assert_eq!(r.status, 500, "{r:?}");
    assert!(!r.body.contains("user="), "the page was served: {r:?}");
    assert_eq!(curl(&["-u", "alice:pw-alice", &n.url("/private/x")]).status, 200, "other locations are unaffected");
}
