//! Apache httpd 2.4 with wicketd as its Basic authentication provider (`AuthBasicProvider`
//! through `mod_authnz_fcgi`), for real: `docs/examples/apache-basic-provider.conf` with only
//! its ports and paths changed, the header-echo server behind it, curl as the client.

use crate::apache::{APACHE, Apache, fastcgi_port};
use crate::support::servers::{Wicketd, curl};
use crate::support::upstream::echo_server;
use crate::support::{Env, require};
use std::path::Path;

#[test]
fn apache_basic_provider_checks_passwords_and_apache_decides() {
    if !require(Path::new(APACHE).exists(), "apache2 is not installed (scripts/test.sh installs it)") {
        return;
    }
    let env = Env::new();
    env.add_user("alice", "pw-alice");
    env.add_user("bob", "pw-bob-1");
    env.add_user("carol", "pw-carol");
    env.ok(&["group", "add", "admins"], "");
    env.ok(&["group", "add-member", "admins", "alice"], "");
    env.ok(&["user", "lock", "carol"], "");
    let w = Wicketd::start(&env, "[fastcgi]\nlisten = \"127.0.0.1:0\"\n");
    let (_echo, upstream) = echo_server();
    let a = Apache::start(env.dir.path(), "apache-basic-provider.conf", fastcgi_port(&w), upstream);
    let logs = || format!("apache:\n{}\nwicketd:\n{}", a.error_log(), w.log());

    // No credentials: Apache's own Basic challenge, wicketd not asked.
    let r = curl(&[&a.url("/app/x")]);
    assert_eq!(r.status, 401, "{}", logs());
    assert!(r.headers.contains("www-authenticate: basic realm=\"wicket\""), "{}", r.headers);

    // The right password: the identity and groups reach the application, the client's own
    // identity headers and its credentials do not.
    let r = curl(&["-u", "alice:pw-alice", "-H", "Remote-Groups: root", &a.url("/app/x")]);
    assert_eq!(r.status, 200, "{}", logs());
    assert!(r.body.contains("remote-user: alice\n") && r.body.contains("remote-groups: admins\n"), "{}", r.body);
    assert!(!r.body.contains("root") && !r.body.contains("authorization"), "{}", r.body);

    // Wrong password, unknown user, locked account: refused, challenged again.
    for who in ["alice:wrong", "mallory:pw-alice", "carol:pw-carol"] {
        let r = curl(&["-u", who, &a.url("/app/x")]);
        assert_eq!(r.status, 401, "{who}: {}", logs());
        assert!(r.headers.contains("www-authenticate: basic realm=\"wicket\""), "{who}: {}", r.headers);
    }

    // Apache's own authorization on the name wicketd accepted: Require user alice.
    assert_eq!(curl(&["-u", "alice:pw-alice", &a.url("/alice/")]).status, 200, "{}", logs());
    assert_eq!(curl(&["-u", "bob:pw-bob-1", &a.url("/alice/")]).status, 401);
    // A group from wicketd's REMOTE_GROUPS; a client header of that name changes nothing.
    let r = curl(&["-u", "alice:pw-alice", &a.url("/admin/")]);
    assert_eq!(r.status, 200, "{}", logs());
    assert!(r.body.contains("remote-groups: admins\n"), "{}", r.body);
    assert_eq!(curl(&["-u", "bob:pw-bob-1", "-H", "Remote-Groups: admins", &a.url("/admin/")]).status, 403);
    assert_eq!(curl(&[&a.url("/admin/")]).status, 401);

    let log = w.log();
    assert!(!log.contains("pw-alice") && !log.contains("pw-carol"), "a secret reached the log");
    assert!(!log.contains("panicked"), "{log}");
    assert!(log.contains("mallory"), "the refusals were wicketd's: {log}");

    // The store becomes unreadable: wicketd answers 500, which Apache passes on.
    env.break_store();
    let status = env.once_broken(&500, || curl(&["-u", "alice:pw-alice", &a.url("/app/x")]).status);
    assert_eq!(status, 500, "{}", logs());
}
