//! libnss_wicket.so.2 as built, against a real wicketd: `getent` and `id` through nss_wrapper
//! and through the real glibc NSS (where `id` shows Wicket groups via initgroups), unknown
//! names, a stopped and a hung daemon, and the guard that keeps wicketd from asking itself.
//! How the module is pointed at the test daemon: `support::nss`.

use crate::support::nss::{NssSandbox, daemon_socket};
use crate::support::servers::Wicketd;
use crate::support::{Env, require};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

const ALICE: &str = "alice:*:200000:200000:Alice Liddell:/home/alice:/bin/bash";
const ADMINS: &str = "admins:*:250000:alice";

/// A store with alice (uid 200000, private group 200000) in admins (gid 250000), a wicketd
/// on it, and the module pointed at that wicketd. Fields drop in order: sandbox, daemon, dir.
struct Setup {
    nss: NssSandbox,
    daemon: Wicketd,
    socket: PathBuf,
    env: Env,
}

fn setup() -> Option<Setup> {
    let env = Env::new();
    env.ok(
        &["user", "add", "alice", "--uid", "200000", "--full-name", "Alice Liddell", "--password-stdin"],
        "pw-alice\n",
    );
    env.ok(&["group", "add", "admins", "--gid", "250000"], "");
    env.ok(&["group", "add-member", "admins", "alice"], "");
    let daemon = Wicketd::start(&env, "");
    let socket = daemon_socket(&daemon.config);
    let nss = NssSandbox::new(env.dir.path(), &socket)?;
    Some(Setup { nss, daemon, socket, env })
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn show(o: &Output) -> String {
    format!("{:?}\nstdout: {}\nstderr: {}", o.status, out(o), String::from_utf8_lossy(&o.stderr))
}

/// Asserts exit 0 and returns stdout without the final newline.
fn found(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{}", show(o));
    out(o).trim_end().to_string()
}

/// Asserts getent's "not found" (exit 2, nothing printed).
fn not_found(o: &Output, what: &str) {
    assert_eq!(o.status.code(), Some(2), "{what}: {}", show(o));
    assert!(o.stdout.is_empty(), "{what}: {}", show(o));
}

#[test]
fn getent_and_id_through_nss_wrapper() {
    let Some(s) = setup() else { return };
    let nss = &s.nss;
    assert_eq!(found(&nss.nss_wrapper("getent", &["passwd", "alice"])), ALICE);
    assert_eq!(found(&nss.nss_wrapper("getent", &["passwd", "200000"])), ALICE);
    assert_eq!(found(&nss.nss_wrapper("getent", &["group", "admins"])), ADMINS);
    assert_eq!(found(&nss.nss_wrapper("getent", &["group", "250000"])), ADMINS);
    // alice's private group.
    assert_eq!(found(&nss.nss_wrapper("getent", &["group", "alice"])), "alice:*:200000:");
    assert_eq!(found(&nss.nss_wrapper("getent", &["group", "200000"])), "alice:*:200000:");
    // The files still answer for their own entries.
    assert_eq!(found(&nss.nss_wrapper("getent", &["passwd", "root"])), "root:x:0:0:root:/root:/bin/sh");

    let long = "x".repeat(300);
    for (db, key) in [
        ("passwd", "nosuchuser"),
        ("passwd", "299999"),
        ("group", "nosuchgroup"),
        ("group", "299999"),
        ("passwd", "ALICE"),
        ("passwd", "../alice"),
        ("passwd", long.as_str()),
    ] {
        not_found(&nss.nss_wrapper("getent", &[db, key]), &format!("getent {db} {key}"));
    }

    // Enumeration is off: the listings show the files only, and succeed.
    let all = found(&nss.nss_wrapper("getent", &["passwd"]));
    assert!(all.contains("root:x:0:0") && !all.contains("alice"), "{all}");
    let all = found(&nss.nss_wrapper("getent", &["group"]));
    assert!(all.contains("filesgroup") && !all.contains("admins"), "{all}");

    // id: the passwd entry and the primary group's name come from the module. (nss_wrapper's
    // getgrouplist walks getgrent instead of calling initgroups_dyn, so only the files'
    // groups show here; the glibc test below checks Wicket's.)
    let id = found(&nss.nss_wrapper("id", &["alice"]));
    assert!(id.starts_with("uid=200000(alice) gid=200000(alice) groups=200000(alice)"), "{id}");
    assert!(id.contains("1600(filesgroup)"), "{id}");
    let o = nss.nss_wrapper("id", &["nosuchuser"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
}

#[test]
fn id_shows_wicket_groups_through_glibc() {
    let Some(s) = setup() else { return };
    if !require(
        s.nss.namespaced(),
        "no mount namespace here, so no real glibc NSS test (it would change /etc/nsswitch.conf)",
    ) {
        return;
    }
    let glibc = |program: &str, args: &[&str]| s.nss.glibc(program, args).unwrap_or_else(|| panic!("namespaced"));
    // initgroups: glibc asks the module for alice's supplementary groups.
    let id = found(&glibc("id", &["alice"]));
    assert!(id.starts_with("uid=200000(alice) gid=200000(alice) groups=200000(alice),"), "{id}");
    assert!(id.contains("250000(admins)"), "{id}");
    let names = found(&glibc("id", &["-Gn", "alice"]));
    assert!(names.split(' ').any(|g| g == "admins"), "{names}");
    let initgroups = found(&glibc("getent", &["initgroups", "alice"]));
    assert!(initgroups.split_whitespace().any(|g| g == "250000"), "{initgroups}");

    assert_eq!(found(&glibc("getent", &["passwd", "alice"])), ALICE);
    assert_eq!(found(&glibc("getent", &["passwd", "200000"])), ALICE);
    assert_eq!(found(&glibc("getent", &["group", "admins"])), ADMINS);
    assert_eq!(found(&glibc("getent", &["group", "250000"])), ADMINS);
    not_found(&glibc("getent", &["passwd", "nosuchuser"]), "glibc getent passwd nosuchuser");
    not_found(&glibc("getent", &["group", "299999"]), "glibc getent group 299999");
    let all = found(&glibc("getent", &["passwd"]));
    assert!(all.contains("root:") && !all.contains("alice"), "{all}");
    let o = glibc("id", &["nosuchuser"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
}

// That a refused connection is not waited on is the unit test
// `daemon::tests::a_missing_socket_fails_at_once` (the kind of error, ClientError::Connect);
// how long a lookup takes is the bench's business.
#[test]
fn a_stopped_daemon_is_not_found_and_nothing_else() {
    let Some(mut s) = setup() else { return };
    assert_eq!(found(&s.nss.nss_wrapper("getent", &["passwd", "alice"])), ALICE);

    s.daemon.signal("TERM");
    assert_eq!(s.daemon.wait(), Some(0), "wicketd did not stop cleanly");
    for (db, key) in [("passwd", "alice"), ("passwd", "200000"), ("group", "admins"), ("group", "250000")] {
        not_found(&s.nss.nss_wrapper("getent", &[db, key]), &format!("daemon stopped: getent {db} {key}"));
    }
    if let Some(o) = s.nss.glibc("id", &["alice"]) {
        assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    }
    // The files still answer.
    assert_eq!(found(&s.nss.nss_wrapper("getent", &["passwd", "root"])), "root:x:0:0:root:/root:/bin/sh");
    // A stale socket file that nobody listens on any more: refused.
    if !s.socket.exists() {
        drop(std::os::unix::net::UnixListener::bind(&s.socket).unwrap_or_else(|e| panic!("{e}")));
    }
    not_found(&s.nss.nss_wrapper("getent", &["passwd", "alice"]), "stale socket");
}

// The deadline itself (3 s) is the bench's to measure; the unit test
// `daemon::tests::a_silent_daemon_is_given_up_on_after_the_deadline` checks the kind of error.
#[test]
fn a_hung_daemon_is_given_up_on_and_answers_again_once_it_resumes() {
    let Some(s) = setup() else { return };
    s.daemon.signal("STOP");
    // getent must come back on its own (the module's deadline), or this test hangs; `timeout`
    // turns a hang into exit 124 after a minute instead.
    let o = s.nss.nss_wrapper("timeout", &["60", "getent", "passwd", "alice"]);
    s.daemon.signal("CONT");
    not_found(&o, "hung daemon");
    assert_eq!(found(&s.nss.nss_wrapper("getent", &["passwd", "alice"])), ALICE);
}

#[test]
fn wicketd_never_resolves_through_its_own_module() {
    let Some(s) = setup() else { return };
    // getent under the daemon's process name: the module must not ask the daemon.
    let as_daemon = copy_getent(&s.env.dir.path().join("named-wicketd"), "wicketd");
    let control = copy_getent(&s.env.dir.path().join("named-other"), "wicketd-not");
    let as_daemon = as_daemon.to_str().unwrap_or_default();
    not_found(&s.nss.nss_wrapper(as_daemon, &["passwd", "alice"]), "inside wicketd");
    not_found(&s.nss.nss_wrapper(as_daemon, &["group", "admins"]), "inside wicketd");
    assert_eq!(found(&s.nss.nss_wrapper(as_daemon, &["passwd", "root"])), "root:x:0:0:root:/root:/bin/sh");
    assert_eq!(found(&s.nss.nss_wrapper(control.to_str().unwrap_or_default(), &["passwd", "alice"])), ALICE);
}

fn copy_getent(dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    let to = dir.join(name);
    std::fs::copy("/usr/bin/getent", &to).unwrap_or_else(|e| panic!("copy getent: {e}"));
    to
}

/// Latency of `getent passwd` and lookups per second from one process, printed.
/// `cargo test -p wicket-tests nss_module::measure -- --ignored --nocapture`
#[test]
#[ignore = "measurement, not a check"]
fn measure_nss_lookups() {
    let Some(s) = setup() else { return };
    const RUNS: u32 = 100;
    let loop_of = |key: &str| {
        format!("i=0; while [ $i -lt {RUNS} ]; do getent passwd {key} >/dev/null || exit 1; i=$((i+1)); done")
    };
    let timed = |o: Output, t: Instant| {
        assert_eq!(o.status.code(), Some(0), "{}", show(&o));
        t.elapsed() / RUNS
    };
    let t = Instant::now();
    let first = found(&s.nss.nss_wrapper("getent", &["passwd", "alice"]));
    let first_took = t.elapsed();
    assert_eq!(first, ALICE);
    let t = Instant::now();
    let wicket = timed(s.nss.nss_wrapper("sh", &["-c", &loop_of("alice")]), t);
    let t = Instant::now();
    let files = timed(s.nss.nss_wrapper("sh", &["-c", &loop_of("root")]), t);
    eprintln!(
        "getent passwd alice via nss_wrapper: first {first_took:?} (with namespace setup); \
         mean over {RUNS} runs {wicket:?} per process, vs {files:?} for a files-only entry"
    );
    let python = "import pwd, time\nn = 0\nt = time.perf_counter()\n\
                  while time.perf_counter() - t < 2.0:\n    pwd.getpwnam('alice'); n += 1\n\
                  print(round(n / (time.perf_counter() - t)))";
    let rate = found(&s.nss.nss_wrapper("python3", &["-c", python]));
    eprintln!("pwd.getpwnam('alice') in one python3 process via nss_wrapper: {rate} lookups/s");
    if let Some(o) = s.nss.glibc("python3", &["-c", python]) {
        eprintln!("the same via glibc NSS (passwd: files wicket): {} lookups/s", found(&o));
    }
    let t = Instant::now();
    if let Some(o) = s.nss.glibc("sh", &["-c", &loop_of("alice")]) {
        eprintln!("getent passwd alice via glibc NSS: mean over {RUNS} runs {:?} per process", timed(o, t));
    }
}
