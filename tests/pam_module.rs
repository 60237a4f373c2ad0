//! pam_wicket.so, as libpam loads it: `pamtester` under `pam_wrapper` against a real wicketd.

use crate::support::pam::{
    PAM_PERMIT, PamRun, Services, enroll, module, next_code, pamtester, wrapper_env, wrong_code,
};
use crate::support::servers::{Wicketd, curl};
use crate::support::{Env, feed, is_root, require, run};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

// What pamtester prints: its own success lines, or pam_strerror's text for the code.
const AUTHENTICATED: &str = "pamtester: successfully authenticated";
const ACCOUNT_OK: &str = "pamtester: account management done.";
const CHANGED: &str = "pamtester: authentication token altered successfully.";
const AUTH_ERR: &str = "pamtester: Authentication failure";
const USER_UNKNOWN: &str = "pamtester: User not known to the underlying authentication module";
const AUTHTOK_ERR: &str = "pamtester: Authentication token manipulation error";
const PERM_DENIED: &str = "pamtester: Permission denied";
const ACCT_EXPIRED: &str = "pamtester: User account has expired";
const MAXTRIES: &str = "pamtester: Have exhausted maximum number of retries for service";
const AUTHINFO_UNAVAIL: &str = "pamtester: Authentication service cannot retrieve authentication info";

const SERVICE: &str = "wicket-test";

/// A wicketd over `env`'s store and a service whose four stacks are pam_wicket with `args`.
fn setup(env: &Env, extra_toml: &str, args: &str) -> (Wicketd, Services) {
    let w = Wicketd::start(env, extra_toml);
    let services = Services::new(env);
    services.wicket_only(SERVICE, &format!("config={} nodelay {args}", w.config.display()));
    (w, services)
}

fn auth(services: &Services, user: &str, password: &str) -> PamRun {
    pamtester(services, SERVICE, user, &["authenticate"], &format!("{password}\n"), None)
}

fn account(services: &Services, user: &str) -> PamRun {
    pamtester(services, SERVICE, user, &["acct_mgmt"], "", None)
}

fn expect(r: &PamRun, message: &str) {
    assert!(r.says(message), "expected {message:?}:\n{}{}", r.stdout, r.stderr);
}

#[test]
fn right_and_wrong_passwords_and_unknown_users() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1");
    let (w, services) = setup(&env, "", "debug");
    let ok = auth(&services, "alice", "pw-Alice-1");
    expect(&ok, AUTHENTICATED);
    assert!(ok.success);
    let bad = auth(&services, "alice", "pw-Wrong-1");
    expect(&bad, AUTH_ERR);
    assert!(!bad.success);
    expect(&auth(&services, "zed", "pw-Alice-1"), USER_UNKNOWN);
    expect(&auth(&services, "alice", ""), AUTH_ERR);
    expect(&account(&services, "alice"), ACCOUNT_OK);
    expect(&account(&services, "zed"), USER_UNKNOWN);
    let session = pamtester(&services, SERVICE, "alice", &["open_session", "close_session", "setcred"], "", None);
    assert!(session.success, "{}{}", session.stdout, session.stderr);
    // The module's debug lines reached pam_syslog; no password did, in the module's lines or wicketd's.
    assert!(ok.stderr.contains("authenticate \"alice\": PAM_SUCCESS"), "{}", ok.stderr);
    for r in [&ok, &bad] {
        assert!(!r.stderr.contains("pw-Alice-1") && !r.stderr.contains("pw-Wrong-1"), "{}", r.stderr);
    }
    let log = w.log();
    assert!(log.contains("front=\"pam\"") || log.contains("front=pam"), "{log}");
    assert!(log.contains(SERVICE), "the audit line names the PAM service: {log}");
    assert!(!log.contains("pw-Alice-1") && !log.contains("pw-Wrong-1"), "{log}");
}

#[test]
fn locked_and_expired_users() {
    let env = Env::new();
    env.add_user("lou", "pw-Lou-1");
    env.add_user("eve", "pw-Eve-1");
    let (_w, services) = setup(&env, "", "");
    env.ok(&["user", "lock", "lou"], "");
    expect(&account(&services, "lou"), PERM_DENIED);
    expect(&auth(&services, "lou", "pw-Lou-1"), PERM_DENIED);
    env.ok(&["user", "expire", "eve", "now"], "");
    expect(&account(&services, "eve"), ACCT_EXPIRED);
    expect(&auth(&services, "eve", "pw-Eve-1"), ACCT_EXPIRED);
    env.ok(&["user", "unlock", "lou"], "");
    expect(&account(&services, "lou"), ACCOUNT_OK);
}

#[test]
fn chauthtok_as_root_then_basic_and_digest_take_the_new_password() {
    let env = Env::new();
    env.add_user("alice", "pw-Old-1");
    let (w, services) = setup(&env, "", "");
    // A cached HTTP success with the old password must not outlive the change.
    assert_eq!(curl(&["-u", "alice:pw-Old-1", &w.url("/whoami")]).status, 200);
    // Root (real uid 0) is not asked for the current password: new, retyped.
    let r = pamtester(&services, SERVICE, "alice", &["chauthtok"], "pw-New-2\npw-New-2\n", None);
    expect(&r, CHANGED);
    assert!(!r.says("Current password") && r.says("New password: "), "{r:?}");
    expect(&auth(&services, "alice", "pw-New-2"), AUTHENTICATED);
    expect(&auth(&services, "alice", "pw-Old-1"), AUTH_ERR);
    assert_eq!(curl(&["-u", "alice:pw-New-2", &w.url("/whoami")]).status, 200);
    assert_eq!(curl(&["--digest", "-u", "alice:pw-New-2", &w.url("/whoami")]).status, 200, "{}", w.log());
    assert_eq!(curl(&["-u", "alice:pw-Old-1", &w.url("/whoami")]).status, 401);
    assert_eq!(curl(&["--digest", "-u", "alice:pw-Old-1", &w.url("/whoami")]).status, 401);
    // Mistyped confirmation: nothing changes.
    let r = pamtester(&services, SERVICE, "alice", &["chauthtok"], "pw-New-3\npw-Typo-3\n", None);
    assert!(!r.success);
    expect(&auth(&services, "alice", "pw-New-2"), AUTHENTICATED);
    // Issue 13: a password the rules refuse is PAM_AUTHTOK_ERR, and nothing changes.
    let r = pamtester(&services, SERVICE, "alice", &["chauthtok"], "Password1\nPassword1\n", None);
    expect(&r, AUTHTOK_ERR);
    assert!(r.says("one of the most common passwords"), "the user is told which rule: {r:?}");
    assert!(w.log().contains("weak_password"), "{}", w.log());
    expect(&auth(&services, "alice", "pw-New-2"), AUTHENTICATED);
    // A user Wicket does not know is refused before any prompt.
    let r = pamtester(&services, SERVICE, "zed", &["chauthtok"], "", None);
    expect(&r, USER_UNKNOWN);
    assert!(!r.says("password: ") && !r.says("Password: "), "{r:?}");
}

#[test]
fn throttled_user_gets_maxtries() {
    let env = Env::new();
    env.add_user("tom", "pw-Tom-1");
    let (_w, services) = setup(&env, "[throttle]\ndelays = [\"0s\"]\nmax_failures = 3\n", "");
    for _ in 0..3 {
        expect(&auth(&services, "tom", "pw-Wrong"), AUTH_ERR);
    }
    // Locked out now, even with the right password.
    expect(&auth(&services, "tom", "pw-Tom-1"), MAXTRIES);
}

/// A refused connection is answered at once: the module logs the connect error (the kind
/// that is not waited on), not a timeout. How long that takes is the bench's business.
#[test]
fn stopped_daemon_is_authinfo_unavail_from_a_refused_connection() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1");
    let (w, services) = setup(&env, "", "");
    // The same service with ignore_authinfo_unavail, falling through to pam_permit.
    let line = format!("@MODULE@ config={} nodelay ignore_authinfo_unavail", w.config.display());
    services.add(
        "wicket-optional",
        &format!("auth [success=done ignore=ignore default=die] {line}\nauth required {PAM_PERMIT}\n"),
    );
    expect(&auth(&services, "alice", "pw-Alice-1"), AUTHENTICATED);
    drop(w);
    let r = auth(&services, "alice", "pw-Alice-1");
    expect(&r, AUTHINFO_UNAVAIL);
    assert!(r.stderr.contains("cannot reach wicketd"), "a real error is logged without debug: {}", r.stderr);
    assert!(!r.stderr.contains("wicketd connection:"), "a connect error, not a timeout: {}", r.stderr);
    let r = account(&services, "alice");
    expect(&r, AUTHINFO_UNAVAIL);
    let r = pamtester(&services, SERVICE, "alice", &["chauthtok"], "pw-New-2\npw-New-2\n", None);
    expect(&r, "pamtester: Failed preliminary check by password service");
    // A socket file nobody listens on (wicketd killed hard): refused, not waited on.
    let stale = env.dir.path().join("w.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap_or_else(|e| panic!("{e}")));
    let r = auth(&services, "alice", "pw-Alice-1");
    expect(&r, AUTHINFO_UNAVAIL);
    assert!(r.stderr.contains("cannot reach wicketd: Connection refused"), "{}", r.stderr);
    // ignore_authinfo_unavail: the next module decides.
    let r = pamtester(&services, "wicket-optional", "alice", &["authenticate"], "whatever\n", None);
    expect(&r, AUTHENTICATED);
}

#[test]
fn a_daemon_that_never_answers_is_authinfo_unavail_after_the_deadline() {
    let env = Env::new();
    let socket = env.dir.path().join("hung.sock");
    // Bound and listening, never accepting: connect and write succeed, the answer never comes.
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap_or_else(|e| panic!("{e}"));
    let config = env.dir.path().join("hung.toml");
    std::fs::write(&config, format!("[server]\nsocket = \"{}\"\n", socket.display())).unwrap_or_else(|e| panic!("{e}"));
    let services = Services::new(&env);
    services.wicket_only(SERVICE, &format!("config={} nodelay", config.display()));
    let r = auth(&services, "alice", "pw");
    expect(&r, AUTHINFO_UNAVAIL);
    // Connected, then given up on: the exchange's deadline, not a connect error. (The 15 s
    // themselves are the bench's to measure.)
    assert!(r.stderr.contains("wicketd connection:"), "{}", r.stderr);
    assert!(!r.stderr.contains("cannot reach wicketd"), "{}", r.stderr);
}

#[test]
fn minimum_uid_and_ignore_unknown_user_leave_the_decision_to_the_next_module() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1"); // uid 200000
    let w = Wicketd::start(&env, "");
    let services = Services::new(&env);
    let stack = |args: &str| {
        format!(
            "auth [success=done ignore=ignore default=die] @MODULE@ config={} nodelay {args}\nauth required {PAM_PERMIT}\n",
            w.config.display()
        )
    };
    services.add("min-high", &stack("minimum_uid=300000"));
    services.add("min-low", &stack("minimum_uid=1000"));
    services.add("unknown-ignored", &stack("ignore_unknown_user"));
    services.add("unknown-fatal", &stack(""));
    let try_auth = |service: &str, user: &str, pw: &str| {
        pamtester(&services, service, user, &["authenticate"], &format!("{pw}\n"), None)
    };
    // uid 200000 < 300000: pam_wicket steps aside without prompting; pam_permit lets anything in.
    let r = try_auth("min-high", "alice", "wrong");
    expect(&r, AUTHENTICATED);
    assert!(!r.says("Password: "), "no prompt below minimum_uid: {r:?}");
    expect(&try_auth("min-low", "alice", "wrong"), AUTH_ERR);
    expect(&try_auth("min-low", "alice", "pw-Alice-1"), AUTHENTICATED);
    expect(&try_auth("unknown-ignored", "zed", "x"), AUTHENTICATED);
    expect(&try_auth("unknown-fatal", "zed", "x"), USER_UNKNOWN);
}

/// The failure delays (after a failed call only) libpam hands to an application's `PAM_FAIL_DELAY` callback (instead of
/// sleeping them) during one `pam_authenticate` of `user` with `password`.
fn fail_delays(services: &Services, service: &str, user: &str, password: &str) -> (i32, Vec<u64>) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pam_fail_delay.py");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(&script).args([service, user, password]).envs(wrapper_env(services));
    let out = feed(&mut cmd, "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let values =
        |key: &str| -> Vec<u64> { text.lines().filter_map(|l| l.strip_prefix(key)?.parse::<u64>().ok()).collect() };
    let code = values("code=").first().copied().unwrap_or_else(|| panic!("no code: {text}"));
    (i32::try_from(code).unwrap_or(-1), values("delay="))
}

#[test]
fn failure_delay_unless_nodelay() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1");
    let (w, services) = setup(&env, "", "");
    services.wicket_only("delayed", &format!("config={}", w.config.display()));
    const PAM_AUTH_ERR: i32 = 7;
    // The delay libpam would sleep: the module's 2 s, randomised by libpam (±25 %).
    let (code, delays) = fail_delays(&services, "delayed", "alice", "wrong");
    assert_eq!(code, PAM_AUTH_ERR);
    assert!(matches!(delays[..], [d] if d >= 1_000_000), "{delays:?}");
    // `nodelay` (the `wicket-test` service): none asked for.
    let (code, delays) = fail_delays(&services, SERVICE, "alice", "wrong");
    assert_eq!(code, PAM_AUTH_ERR);
    assert!(delays.iter().all(|d| *d == 0), "{delays:?}");
    // A success is never delayed.
    let (code, delays) = fail_delays(&services, "delayed", "alice", "pw-Alice-1");
    assert_eq!((code, delays.len()), (0, 0), "{delays:?}");
}

#[test]
fn non_root_caller_verifies_only_its_own_password() {
    if !require(is_root(), "setpriv needs root") {
        return;
    }
    let env = Env::new();
    // nobody may reach the socket, the config and the service files in the test directory.
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| panic!("{e}"));
    let nobody_uid = String::from_utf8_lossy(&run(Path::new("id"), &["-u", "nobody"], "").stdout).trim().to_string();
    env.ok(&["user", "add", "nob", "--uid", &nobody_uid, "--password-stdin"], "pw-Nob-1\n");
    env.add_user("alice", "pw-Alice-1");
    let (_w, services) = setup(&env, "", "");
    let nobody =
        |user: &str, ops: &[&str], stdin: &str| pamtester(&services, SERVICE, user, ops, stdin, Some("nobody"));
    expect(&nobody("nob", &["authenticate"], "pw-Nob-1\n"), AUTHENTICATED);
    expect(&nobody("nob", &["authenticate"], "pw-Wrong\n"), AUTH_ERR);
    expect(&nobody("nob", &["acct_mgmt"], ""), ACCOUNT_OK);
    // Another user's password, even the right one: refused, and logged.
    let r = nobody("alice", &["authenticate"], "pw-Alice-1\n");
    expect(&r, PERM_DENIED);
    assert!(r.stderr.contains("only root may ask about another user"), "{}", r.stderr);
    expect(&nobody("alice", &["acct_mgmt"], ""), PERM_DENIED);
    expect(&nobody("alice", &["chauthtok"], "pw-Alice-1\nmine-now\nmine-now\n"), PERM_DENIED);
    // Its own password change needs the current password.
    let r = nobody("nob", &["chauthtok"], "pw-Wrong\npw-Nob-2\npw-Nob-2\n");
    expect(&r, AUTH_ERR);
    assert!(r.says("Current password: "), "{r:?}");
    expect(&nobody("nob", &["chauthtok"], "pw-Nob-1\npw-Nob-2\npw-Nob-2\n"), CHANGED);
    expect(&nobody("nob", &["authenticate"], "pw-Nob-2\n"), AUTHENTICATED);
    expect(&auth(&services, "alice", "pw-Alice-1"), AUTHENTICATED);
}

#[test]
fn the_module_exports_exactly_the_six_entry_points_and_links_nothing_heavy() {
    let so = module();
    let out = run(Path::new("nm"), &["-D", "--defined-only", so.to_str().unwrap_or_default()], "");
    assert!(out.status.success(), "nm: {}", String::from_utf8_lossy(&out.stderr));
    let mut exported: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
        .collect();
    exported.sort();
    assert_eq!(
        exported,
        [
            "pam_sm_acct_mgmt",
            "pam_sm_authenticate",
            "pam_sm_chauthtok",
            "pam_sm_close_session",
            "pam_sm_open_session",
            "pam_sm_setcred"
        ]
    );
    let out = run(Path::new("readelf"), &["-d", so.to_str().unwrap_or_default()], "");
    let needed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1).map(|s| s.trim_end_matches(']').to_string()))
        .collect();
    for lib in &needed {
        assert!(
            ["libpam.so.0", "libgcc_s.so.1", "libc.so.6", "ld-linux-x86-64.so.2"].contains(&lib.as_str()),
            "unexpected dependency {lib} in {needed:?}"
        );
    }
    assert!(needed.iter().any(|l| l == "libpam.so.0"), "{needed:?}");
}

#[test]
fn the_man_page_stack_with_pam_unix() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1");
    let w = Wicketd::start(&env, "");
    let services = Services::new(&env);
    let wicket = format!("@MODULE@ config={} nodelay", w.config.display());
    let unix = "/usr/lib/x86_64-linux-gnu/security/pam_unix.so";
    services.add(
        "common",
        &format!(
            "auth [success=done user_unknown=ignore authinfo_unavail=ignore ignore=ignore default=die] \\\n     {wicket}\n\
             auth required {unix} try_first_pass nodelay\n\
             password [success=done user_unknown=ignore ignore=ignore default=die] {wicket} ignore_authinfo_unavail\n\
             password required {unix} yescrypt\n"
        ),
    );
    let prompts = |r: &PamRun| r.stdout.matches("Password: ").count() + r.stderr.matches("Password: ").count();
    let r = pamtester(&services, "common", "alice", &["authenticate"], "pw-Alice-1\n", None);
    expect(&r, AUTHENTICATED);
    let r = pamtester(&services, "common", "alice", &["authenticate"], "wrong\n", None);
    expect(&r, AUTH_ERR);
    assert_eq!(prompts(&r), 1, "{r:?}");
    // Not a Wicket user: pam_unix decides, with the password already typed.
    let r = pamtester(&services, "common", "no-such-user-xyz", &["authenticate"], "whatever\n", None);
    assert!(!r.success, "{r:?}");
    assert_eq!(prompts(&r), 1, "{r:?}");
    let r = pamtester(&services, "common", "alice", &["chauthtok"], "pw-New-2\npw-New-2\n", None);
    expect(&r, CHANGED);
    expect(&pamtester(&services, "common", "alice", &["authenticate"], "pw-New-2\n", None), AUTHENTICATED);
}

/// A wicketd whose store keeps TOTP secrets sealed with a key file in the env.
fn setup_totp(env: &Env, args: &str) -> (Wicketd, Services) {
    let key = env.dir.path().join("totp.key");
    setup(env, &format!("[totp]\nkey_file = \"{}\"\n", key.display()), args)
}

#[test]
fn password_and_code_for_enrolled_users() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1");
    env.add_user("bob", "pw-Bob-1");
    let (w, services) = setup_totp(&env, "debug");
    let secret = enroll(&w.config, "alice");
    let login =
        |code: &str| pamtester(&services, SERVICE, "alice", &["authenticate"], &format!("pw-Alice-1\n{code}\n"), None);
    let ok = login(&next_code(&secret));
    expect(&ok, AUTHENTICATED);
    assert!(ok.says("Verification code: "), "{ok:?}");
    expect(&login(&wrong_code(&secret)), AUTH_ERR);
    // A wrong password is refused before any code is asked for.
    let bad = auth(&services, "alice", "pw-Wrong-1");
    expect(&bad, AUTH_ERR);
    assert!(!bad.says("Verification code"), "{bad:?}");
    // totp=enrolled (the default): bob has no second factor and logs in with his password.
    let bob = auth(&services, "bob", "pw-Bob-1");
    expect(&bob, AUTHENTICATED);
    assert!(!bob.says("Verification code"), "{bob:?}");
    let log = w.log();
    assert!(log.contains("wrong_code") && log.contains("totp"), "{log}");
}

#[test]
fn totp_required_refuses_users_without_a_second_factor() {
    let env = Env::new();
    env.add_user("alice", "pw-Alice-1");
    env.add_user("bob", "pw-Bob-1");
    let (w, services) = setup_totp(&env, "totp=required");
    let secret = enroll(&w.config, "alice");
    let input = format!("pw-Alice-1\n{}\n", next_code(&secret));
    expect(&pamtester(&services, SERVICE, "alice", &["authenticate"], &input, None), AUTHENTICATED);
    let bob = auth(&services, "bob", "pw-Bob-1");
    expect(&bob, PERM_DENIED);
    assert!(bob.says("no authenticator enrolled"), "a clear message: {bob:?}");
}
