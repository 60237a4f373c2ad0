//! `wicket user totp …`: enrolment with a first code, refusals, reset, recovery codes,
//! status, other backends' users, and the key file.

use crate::support::pam::{base32_decode, code_now, enroll};
use crate::support::{Env, bin, run};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A config with the env's store, a key file in the env's directory and an LDAP backend
/// (never contacted: only its name is needed for `ldap:carol`).
fn config(env: &Env) -> PathBuf {
    let path = env.dir.path().join("wicket.toml");
    let text = format!(
        "[store]\n{}\n[totp]\nkey_file = \"{}\"\n[[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"ldap\"\nurl = \"ldap://127.0.0.1:9\"\nbase = \"dc=example,dc=org\"\n",
        env.store_toml(),
        env.dir.path().join("totp.key").display()
    );
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn wicket(cfg: &Path, args: &[&str], stdin: &str) -> Output {
    let mut full = vec!["--config", cfg.to_str().unwrap_or_default()];
    full.extend_from_slice(args);
    run(&bin("wicket"), &full, stdin)
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn status(cfg: &Path, who: &str) -> serde_json::Value {
    let o = wicket(cfg, &["user", "totp", "status", who, "--json"], "");
    assert!(o.status.success(), "{:?}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn enrol_confirm_refuse_again_and_reset() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1");
    let cfg = config(&env);
    assert_eq!(status(&cfg, "alice")["state"], "none");
    let secret = enroll(&cfg, "alice");
    assert_eq!(secret.len(), 20);
    let key = env.dir.path().join("totp.key");
    let mode = std::fs::metadata(&key).unwrap_or_else(|e| panic!("{e}")).permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the key file is made 0640");
    let s = status(&cfg, "alice");
    assert_eq!((s["state"].as_str(), s["backend"].as_str()), (Some("enrolled"), Some("local")), "{s}");
    // A confirmed enrolment is not replaced by accident.
    let again = wicket(&cfg, &["user", "totp", "enroll", "alice", "--no-confirm"], "");
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).1.contains("--force"), "{:?}", text(&again));
    assert!(again.stdout.is_empty(), "no new secret was shown");
    // --force replaces it, pending without a first code.
    let forced = wicket(&cfg, &["user", "totp", "enroll", "alice", "--force", "--no-confirm"], "");
    let (out, _) = text(&forced);
    assert!(forced.status.success() && out.starts_with("otpauth://totp/"), "{out}");
    assert!(out.contains('\u{2580}') || out.contains('\u{2584}') || out.contains('\u{2588}'), "a QR code: {out}");
    assert_eq!(status(&cfg, "alice")["state"], "pending");
    // Reset removes it; a second reset is refused.
    assert!(wicket(&cfg, &["user", "totp", "reset", "alice"], "").status.success());
    assert_eq!(status(&cfg, "alice")["state"], "none");
    assert_eq!(wicket(&cfg, &["user", "totp", "reset", "alice"], "").status.code(), Some(1));
    // Every change is in the event trail; the status look-ups are not.
    let events = env.ok(&["events", "--kind", "admin", "--json"], "");
    assert!(events.contains("user totp enroll alice") && events.contains("user totp reset alice"), "{events}");
    assert!(!events.contains("totp status"), "{events}");
    assert!(!events.contains(&base32_decode_shown(&secret)), "no secret in the trail");
}

fn base32_decode_shown(secret: &[u8]) -> String {
    // The base32 form, to check it appears nowhere it should not.
    const A: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut acc, mut out) = (0u32, 0u32, String::new());
    for &b in secret {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(A[((acc >> bits) & 31) as usize] as char);
        }
    }
    assert_eq!(base32_decode(&out), secret);
    out
}

#[test]
fn a_wrong_first_code_leaves_the_enrolment_pending() {
    let env = Env::new();
    env.add_user("bob", "pw-Bob-1");
    let cfg = config(&env);
    let o = wicket(&cfg, &["user", "totp", "enroll", "bob"], "000000\n");
    // The code cannot be computed before the secret is printed: compute the wrong one after.
    let (out, err) = text(&o);
    let secret = base32_decode(out.lines().find_map(|l| l.strip_prefix("secret: ")).unwrap_or_default());
    if code_now(&secret) != "000000" {
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("pending"), "{err}");
        assert_eq!(status(&cfg, "bob")["state"], "pending");
    }
    let none = wicket(&cfg, &["user", "totp", "enroll", "bob"], "");
    assert_eq!(none.status.code(), Some(1), "no code on stdin: {:?}", text(&none));
}

#[test]
fn recovery_codes_other_backends_and_refusals() {
    let env = Env::new();
    env.add_user("dave", "pw-Dave-1");
    let cfg = config(&env);
    // Nothing to issue codes for yet; unknown users and backends are refused (exit 1).
    assert_eq!(wicket(&cfg, &["user", "totp", "recovery-codes", "dave"], "").status.code(), Some(1));
    assert_eq!(wicket(&cfg, &["user", "totp", "enroll", "nobody", "--no-confirm"], "").status.code(), Some(1));
    let bad = wicket(&cfg, &["user", "totp", "status", "radius:carol"], "");
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).1.contains("unknown backend"), "{:?}", text(&bad));
    assert_eq!(wicket(&cfg, &["user", "totp"], "").status.code(), Some(2), "usage");
    // An LDAP user enrols by backend:name without a local account.
    enroll(&cfg, "ldap:carol");
    let s = status(&cfg, "ldap:carol");
    assert_eq!(
        (s["state"].as_str(), s["backend"].as_str(), s["user"].as_str()),
        (Some("enrolled"), Some("ldap"), Some("carol"))
    );
    assert_eq!(status(&cfg, "dave")["state"], "none", "enrolments are per account");
    let o = wicket(&cfg, &["user", "totp", "recovery-codes", "ldap:carol"], "");
    assert!(o.status.success(), "{:?}", text(&o));
    let codes: Vec<String> = text(&o).0.lines().map(str::to_string).collect();
    assert_eq!(codes.len(), 10, "{codes:?}");
    assert_eq!(status(&cfg, "ldap:carol")["recovery_codes_left"], 10);
    let text_status = wicket(&cfg, &["user", "totp", "status", "ldap:carol"], "");
    assert!(text(&text_status).0.starts_with("ldap:carol: enrolled since "), "{:?}", text(&text_status));
}
