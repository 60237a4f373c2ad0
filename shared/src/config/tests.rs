//! Config parsing, validation and error messages, with inline TOML.

use super::*;
use std::path::Path;

#[test]
fn empty_file_gives_defaults() {
    let c = Config::parse("").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.server.listen.port(), 8089);
    assert_eq!(c.server.realm, "wicket");
    assert_eq!(c.http.schemes[0], Scheme::Basic);
    assert_eq!(c.throttle.max_failures, 5);
    assert_eq!(c.users.uid_min, 200_000);
    assert_eq!(c.backend.len(), 1);
}

#[test]
fn design_sample_parses() {
    let text = r#"
[server]
listen = "127.0.0.1:9000"
socket = "/tmp/w.sock"
trusted_proxies = ["127.0.0.1/32"]
realm = "corp"
[store]
path = "/tmp/w.db"
[http]
schemes = ["digest", "basic"]
digest_algorithms = ["SHA-256", "MD5"]
nonce_lifetime = "120s"
cache_ttl = "1m"
[throttle]
delays = ["1s", "2s"]
max_failures = 3
window = "10m"
lockout = "1h"
[[backend]]
kind = "local"
[[rule]]
host = "app.example.org"
path = "^/admin/"
groups = ["admins"]
policy = "authenticated"
"#;
    let c = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.server.listen.port(), 9000);
    assert_eq!(c.http.schemes, vec![Scheme::Digest, Scheme::Basic]);
    assert_eq!(c.http.digest_algorithms, vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5]);
    assert_eq!(c.http.nonce_lifetime, Duration::from_secs(120));
    assert_eq!(c.throttle.lockout, Duration::from_secs(3600));
    assert_eq!(c.rule[0].policy, Policy::Authenticated);
}

#[test]
fn unknown_key_names_line_and_key() {
    let e = Config::parse("[server]\nrealm = \"x\"\nlisten_on = \"1.2.3.4:5\"\n").err().map(|e| e.to_string());
    let e = e.unwrap_or_default();
    assert!(e.contains("line 3"), "{e}");
    assert!(e.contains("listen_on"), "{e}");
    assert!(e.contains("<inline>"), "{e}");
}

#[test]
fn bad_values_are_refused_without_echoing_them() {
    let e = Config::parse("[http]\nnonce_lifetime = \"s3cr3t\"\n").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("nonce_lifetime"), "{e}");
    for bad in [
        "[users]\nuid_min = 10\nuid_max = 5\n",
        "[passwords]\nargon2_memory_kib = 1024\n",
        "[http]\nschemes = []\n",
        "[server]\nrealm = \"a\\\"b\"\n",
        "[[backend]]\nkind = \"nosuch\"\n",
        "[[backend]]\nkind = \"local\"\nextra = 1\n",
        "backend = []\n",
        "[server]\nlisten = \"not an address\"\n",
    ] {
        assert!(Config::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn backends_parse_and_validate() {
    let text = r#"
[[backend]]
kind = "local"
[[backend]]
kind = "ldap"
urls = ["ldap://a:389", "ldap://b:389"]
starttls = true
bind_dn = "cn=reader,dc=example,dc=org"
bind_password_file = "/etc/wicket/ldap.secret"
base = "ou=people,dc=example,dc=org"
group_base = "ou=groups,dc=example,dc=org"
timeout = "2s"
[backend.attributes]
email = "mailPrimaryAddress"
[[backend]]
kind = "pam"
"#;
    let c = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.backend.len(), 3);
    let BackendConfig::Ldap(l) = &c.backend[1] else { panic!("not ldap") };
    assert_eq!(l.server_urls().len(), 2);
    assert_eq!(l.user_filter, "(uid={user})");
    assert_eq!(l.attributes.email, "mailPrimaryAddress");
    assert_eq!(l.attributes.name, "uid");
    assert_eq!(l.timeout, Duration::from_secs(2));
    let BackendConfig::Pam(p) = &c.backend[2] else { panic!("not pam") };
    assert_eq!(p.service, "wicket");
    for bad in [
        "[[backend]]\nkind = \"ldap\"\nbase = \"dc=x\"\n",
        "[[backend]]\nkind = \"ldap\"\nurl = \"http://x\"\nbase = \"dc=x\"\n",
        "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\n",
        "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nuser_dn = \"cn=fixed\"\n",
        "[[backend]]\nkind = \"ldap\"\nurl = \"ldaps://x\"\nstarttls = true\nbase = \"dc=x\"\n",
        "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nbase = \"dc=x\"\nbind_dn = \"cn=r\"\n",
        "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nbase = \"dc=x\"\nbogus = 1\n",
        "[[backend]]\nkind = \"pam\"\nservice = \"../etc\"\n",
        "[[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"local\"\n",
    ] {
        assert!(Config::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn secret_values_never_appear_in_errors() {
    let text =
        "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nbase = \"dc=x\"\nbind_dn = \"cn=r\"\nbind_password = 4242\n";
    let e = Config::parse(text).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(!e.contains("4242"), "{e}");
    let text = "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nbase = \"dc=x\"\nbind_dn = \"cn=r\"\nbind_password = [\"hunter2\"]\n";
    let e = Config::parse(text).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(!e.contains("hunter2"), "{e}");
}

/// #15: no value in any error, whatever the key, and no raw control character.
#[test]
fn errors_never_echo_values_or_control_characters() {
    let ldap = "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nbase = \"dc=x\"\nbind_dn = \"cn=r\"\n";
    let cases: &[(String, &str, &str)] = &[
        (format!("{ldap}bind_password = 4242\n"), "4242", "bind_password"),
        (format!("{ldap}bind_password = [\n  \"x=hunter2\",\n]\n"), "hunter2", "line"),
        (format!("{ldap}bind_password = {{ p = \"hunter2\" }}\n"), "hunter2", "line"),
        (format!("{ldap}timeout = \"hunter2\"\n"), "hunter2", "timeout"),
        ("[http]\nnonce_lifetime = \"s3cr3t\"\n".into(), "s3cr3t", "nonce_lifetime"),
        ("[http]\nschemes = [\"s3cr3t\"]\n".into(), "s3cr3t", "schemes"),
        ("[throttle]\ndelays = [\"1s\", \"s3cr3t\"]\n".into(), "s3cr3t", "delays"),
        ("[server]\nlisten = \"s3cr3t\"\n".into(), "s3cr3t", "listen"),
        ("[server]\nrealm = 4242\n".into(), "4242", "realm"),
        ("[[backend]]\nkind = \"s3cr3t\"\n".into(), "s3cr3t", "line"),
        (format!("{ldap}url = \"ldap://u:s3cr3t@x\"\n"), "s3cr3t", "line"),
        ("[[backend]]\nkind = \"ldap\"\nurl = \"http://s3cr3t\"\nbase = \"dc=x\"\n".into(), "s3cr3t", "ldap"),
        // A control character in an unknown key, given as an escape in a quoted key.
        (format!("{ldap}\"bind_pass\\u0007word\" = \"hunter2\"\n"), "hunter2", "bind_pass\\u{7}word"),
        ("[server]\n\"x\\u001b[31m\" = 1\n".into(), "\u{1b}", "x\\u{1b}[31m"),
    ];
    for (text, secret, expect) in cases {
        let e = Config::parse_named(text, "/etc/w\u{7}.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!e.is_empty(), "accepted: {text}");
        assert!(!e.contains(secret), "{e}");
        assert!(e.contains(expect), "expected `{expect}` in {e}");
        assert!(e.contains("/etc/w\\u{7}.toml"), "{e}");
        assert!(!e.chars().any(char::is_control), "{e:?}");
    }
}

#[test]
fn argon2_parameters_over_the_caps_are_refused() {
    for bad in ["argon2_memory_kib = 262145", "argon2_iterations = 17", "argon2_parallelism = 17"] {
        let e = Config::parse(&format!("[passwords]\n{bad}\n")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("above Wicket's caps"), "{bad}: {e}");
    }
    assert!(Config::parse("[passwords]\nargon2_memory_kib = 262144\nargon2_iterations = 16\n").is_ok());
}

#[test]
fn load_missing_file_names_it() {
    let e = Config::load(Path::new("/nonexistent/wicket.toml")).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("/nonexistent/wicket.toml"), "{e}");
}

#[test]
fn password_rules_and_token_hygiene_have_defaults_and_bounds() {
    let d = Config::default();
    assert_eq!((d.passwords.min_length, d.tokens.revoke_on_password_change, d.tokens.default_expiry), (8, false, None));
    let cfg = Config::parse(
        "[passwords]\nmin_length = 12\n[tokens]\nrevoke_on_password_change = true\ndefault_expiry = \"90d\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.passwords.min_length, 12);
    assert!(cfg.tokens.revoke_on_password_change);
    assert_eq!(cfg.tokens.default_expiry, Some(Duration::from_secs(90 * 86_400)));
    for (bad, expect) in [
        ("[passwords]\nmin_length = 0\n", "passwords.min_length"),
        ("[tokens]\ndefault_expiry = \"0s\"\n", "tokens.default_expiry"),
        ("[tokens]\ndefault_expiry = \"soon\"\n", "default_expiry"),
        ("[tokens]\nrevoke_on_password_changes = true\n", "revoke_on_password_changes"),
    ] {
        let e = Config::parse(bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains(expect), "{bad}: {e}");
    }
}
