//! The LDAP backend against a real slapd (tests/support/slapd.rs): both bind modes, groups,
//! injection attempts, outages and restarts, TLS verification, NSS lookups (wicketd over LDAP:
//! `ldap_wicketd.rs`).

use crate::support::Env;
use crate::support::servers::{Wicketd, curl};
use crate::support::slapd::{self, GROUPS, Options, PEOPLE, READER_DN, Slapd};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wicket_core::auth::{Backend, BackendAnswer, Identity, Rejection};
use wicket_core::clock::{ManualClock, SharedClock, SystemClock};
use wicket_core::config::{BackendConfig, Config};
use wicket_core::directory::{Directory, PosixGroup, PosixUser};
use wicket_core::ldap::LdapBackend;
use wicket_core::secret::Secret;

const REJECTED: BackendAnswer = BackendAnswer::Rejected(Rejection::BadCredentials);

fn backend_with_clock(toml: &str, clock: SharedClock) -> LdapBackend {
    let text = format!("[[backend]]\nkind = \"ldap\"\n{toml}");
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let Some(BackendConfig::Ldap(l)) = cfg.backend.first() else { panic!("not ldap") };
    LdapBackend::new(l, clock).unwrap_or_else(|e| panic!("{e}"))
}

fn backend(toml: &str) -> LdapBackend {
    backend_with_clock(toml, Arc::new(SystemClock))
}

/// Search-then-bind as the service account, groups from memberOf.
pub(crate) fn search_toml(s: &Slapd) -> String {
    format!(
        "url = \"{}\"\nbind_dn = \"{READER_DN}\"\nbind_password_file = \"{}\"\nbase = \"{PEOPLE}\"\ntimeout = \"2s\"\n",
        s.url(),
        s.reader_secret().display()
    )
}

/// Direct bind, groups from memberOf (read as the user).
fn direct_toml(url: &str) -> String {
    format!("url = \"{url}\"\nuser_dn = \"uid={{user}},{PEOPLE}\"\ntimeout = \"2s\"\n")
}

fn login(b: &LdapBackend, user: &str, password: &str) -> BackendAnswer {
    b.verify_password(user, &Secret::from(password))
}

fn accepted(b: &LdapBackend, user: &str, password: &str) -> Identity {
    match login(b, user, password) {
        BackendAnswer::Accepted(id) => id,
        other => panic!("{user}: expected Accepted, got {other:?}"),
    }
}

fn unavailable(answer: BackendAnswer) -> String {
    match answer {
        BackendAnswer::Unavailable(why) => why,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn ldap_search_then_bind_authenticates() {
    let s = Slapd::start();
    let b = backend(&search_toml(&s));
    let alice = accepted(&b, "alice", "pw-alice");
    assert_eq!(
        alice,
        Identity {
            name: "alice".into(),
            uid: Some(10001),
            gid: Some(10001),
            display_name: Some("Alice Liddell".into()),
            email: Some("alice@example.org".into()),
            groups: vec!["admins".into(), "devs".into()],
            backend: "ldap".into(),
            scopes: None,
        }
    );
    // The entry's own spelling of the name, not the one typed.
    assert_eq!(accepted(&b, "ALICE", "pw-alice").name, "alice");
    assert_eq!(accepted(&b, "bob", "pw-bob").groups, ["devs", "web"]);
    let carol = accepted(&b, "carol", "pw-carol");
    assert_eq!((carol.uid, carol.gid, carol.groups.len()), (None, None, 0));
    // Filter and DN syntax in a real name: escaped, and it works.
    assert_eq!(accepted(&b, "d,ave (x)*+", "pw-dave").name, "d,ave (x)*+");

    assert_eq!(login(&b, "alice", "pw-bob"), REJECTED);
    assert_eq!(login(&b, "alice", ""), REJECTED);
    assert_eq!(login(&b, "zed", "pw-alice"), BackendAnswer::Unknown);
    // Two entries match: refused, whichever password.
    assert_eq!(login(&b, "twin", "pw-twin"), REJECTED);
}

#[test]
fn ldap_direct_bind_authenticates() {
    let s = Slapd::start();
    let b = backend(&direct_toml(&s.url()));
    let alice = accepted(&b, "alice", "pw-alice");
    assert_eq!(
        (alice.name.as_str(), alice.uid, alice.email.as_deref()),
        ("alice", Some(10001), Some("alice@example.org"))
    );
    assert_eq!(alice.groups, ["admins", "devs"]);
    assert_eq!(accepted(&b, "d,ave (x)*+", "pw-dave").name, "d,ave (x)*+");
    assert_eq!(login(&b, "alice", "pw-bob"), REJECTED);
    // This directory hides its entries from anonymous readers, so direct bind cannot tell an
    // unknown user from a wrong password: both stay Rejected (fail closed).
    assert_eq!(login(&b, "zed", "pw-alice"), REJECTED);
}

/// Direct bind with a service account that may read the people: a failed bind for a DN that
/// does not exist is Unknown; for one that does, Rejected.
fn direct_reader_toml(s: &Slapd) -> String {
    format!(
        "{}bind_dn = \"{READER_DN}\"\nbind_password_file = \"{}\"\n",
        direct_toml(&s.url()),
        s.reader_secret().display()
    )
}

/// #9: a direct-bind backend answered "wrong password" for names it does not have, so a
/// backend after it was never asked.
#[test]
fn ldap_direct_bind_tells_unknown_names_from_wrong_passwords() {
    let s = Slapd::start();
    let b = backend(&direct_reader_toml(&s));
    assert_eq!(accepted(&b, "alice", "pw-alice").groups, ["admins", "devs"]);
    assert_eq!(login(&b, "alice", "pw-bob"), REJECTED);
    assert_eq!(login(&b, "zed", "pw-alice"), BackendAnswer::Unknown);
    // DN syntax in an unknown name: escaped, still just unknown.
    assert_eq!(login(&b, "z,ed+cn=x", "pw"), BackendAnswer::Unknown);
    // A template whose parent does not exist: the directory shows nothing, so Rejected.
    let nowhere =
        direct_reader_toml(&s).replace(&format!("uid={{user}},{PEOPLE}"), "uid={user},ou=gone,dc=example,dc=org");
    assert_eq!(login(&backend(&nowhere), "zed", "pw"), REJECTED);

    // wicketd: the LDAP backend first, then the local store, which knows `lou`.
    let env = Env::new();
    env.add_user("lou", "pw-lou-1");
    let extra = format!(
        "[throttle]\ndelays = [\"0s\"]\nmax_failures = 1000\n[[backend]]\nkind = \"ldap\"\n{}[[backend]]\nkind = \"local\"\n",
        direct_reader_toml(&s)
    );
    let w = Wicketd::start(&env, &extra);
    let lou = curl(&["-u", "lou:pw-lou-1", &w.url("/whoami")]);
    assert_eq!(lou.status, 200, "{lou:?}\n{}", w.log());
    let v: serde_json::Value = serde_json::from_str(&lou.body).unwrap_or_default();
    assert_eq!(v["backend"], "local", "{v}");
    assert_eq!(curl(&["-u", "lou:wrong", &w.url("/auth")]).status, 401);
    assert_eq!(curl(&["-u", "alice:pw-alice", &w.url("/auth")]).status, 200);
    assert_eq!(curl(&["-u", "alice:wrong", &w.url("/auth")]).status, 401);
    assert!(!w.log().contains("pw-lou-1") && !w.log().contains("pw-reader"), "a password reached the log");
}

#[test]
fn ldap_groups_from_a_group_search() {
    let s = Slapd::start();
    let groups = format!("group_base = \"{GROUPS}\"\n");
    let b = backend(&format!("{}{groups}", search_toml(&s)));
    assert_eq!(accepted(&b, "alice", "pw-alice").groups, ["admins", "devs"]);
    assert_eq!(accepted(&b, "bob", "pw-bob").groups, ["devs", "web"]);
    assert!(accepted(&b, "carol", "pw-carol").groups.is_empty());
    // posixGroup by memberUid, with {user}, plus groupOfNames by {dn}.
    let either = "group_filter = \"(|(&(objectClass=groupOfNames)(member={dn}))(&(objectClass=posixGroup)(memberUid={user})))\"\n";
    let b = backend(&format!("{}{groups}{either}", search_toml(&s)));
    assert_eq!(accepted(&b, "alice", "pw-alice").groups, ["admins", "devs", "staff"]);
    // Direct bind reads groups as the user.
    let b = backend(&format!("{}{groups}", direct_toml(&s.url())));
    assert_eq!(accepted(&b, "bob", "pw-bob").groups, ["devs", "web"]);
}

#[test]
fn ldap_injection_usernames_never_authenticate() {
    let s = Slapd::start_with(Options { allow_bind_anon_dn: true, ..Options::default() });
    let alice_dn = format!("uid=alice,{PEOPLE}");
    // This server really does take a DN with an empty password as a successful bind.
    assert!(s.whoami(&alice_dn, ""), "slapd should allow bind_anon_dn");
    assert!(s.whoami(&alice_dn, "pw-alice") && !s.whoami(&alice_dn, "nope"));
    let hostile = [
        "*",
        "alice)(uid=*",
        "*)(|(uid=*",
        "alice*",
        "*alice",
        "al*ce",
        "alice)",
        "(uid=alice)",
        alice_dn.as_str(),
        "alice,ou=people,dc=example,dc=org",
        "alice+cn=x",
        "uid=alice",
        "alice\0",
        "alice\\",
        "\\2a",
        "al\\69ce",
        "\\",
        "alice\\00",
    ];
    for toml in [search_toml(&s), direct_toml(&s.url())] {
        let b = backend(&toml);
        for name in hostile {
            for password in ["pw-alice", "", "*", "pw-reader"] {
                let answer = login(&b, name, password);
                assert!(!matches!(answer, BackendAnswer::Accepted(_)), "{name:?}/{password:?} → {answer:?}");
                assert!(!matches!(answer, BackendAnswer::Unavailable(_)), "{name:?}/{password:?} → {answer:?}");
            }
        }
        // The empty password is refused before any bind, for a real user too.
        assert_eq!(login(&b, "alice", ""), REJECTED);
        assert_eq!(login(&b, "reader", ""), REJECTED);
        assert!(matches!(login(&b, "alice", "pw-alice"), BackendAnswer::Accepted(_)));
        for name in hostile {
            assert_eq!(b.user_by_name(name), Ok(None), "{name:?}");
            assert_eq!(b.group_by_name(name), Ok(None), "{name:?}");
        }
    }
}

#[test]
fn ldap_outage_is_unavailable_and_a_restart_recovers() {
    let mut s = Slapd::start();
    let b = backend(&search_toml(&s));
    let direct = backend(&direct_toml(&s.url()));
    accepted(&b, "alice", "pw-alice");
    accepted(&direct, "alice", "pw-alice");
    s.stop();
    for (user, pw) in [("alice", "pw-alice"), ("alice", "wrong"), ("zed", "x")] {
        for be in [&b, &direct] {
            // Refused at once, not waited on until the timeout.
            let why = unavailable(login(be, user, pw));
            assert!(why.contains("Connection refused") && !why.contains("timed out"), "{why}");
            assert!(why.contains(&format!("127.0.0.1:{}", s.port)), "{why}");
            assert!(!why.contains(pw), "{why}");
        }
    }
    assert!(b.user_by_uid(10002).is_err());
    s.start_again();
    // Same instances, new connections.
    assert_eq!(accepted(&b, "alice", "pw-alice").groups, ["admins", "devs"]);
    accepted(&direct, "alice", "pw-alice");
    assert_eq!(login(&b, "alice", "wrong"), REJECTED);
    assert_eq!(b.user_by_uid(10002).map(|u| u.map(|u| u.name)), Ok(Some("bob".into())));
}

#[test]
fn ldap_unresponsive_server_times_out() {
    // A listener that accepts TCP and never answers: the operation timeout must end it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let b = backend(&format!("url = \"ldap://127.0.0.1:{port}\"\nbase = \"{PEOPLE}\"\ntimeout = \"1s\"\n"));
    // Given up on by the timeout (how long that takes is the bench's business).
    let why = unavailable(login(&b, "alice", "pw-alice"));
    assert!(why.contains("timed out"), "{why}");
    // StartTLS against the silent listener: the connect timeout covers the upgrade.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ca = slapd::make_ca(dir.path(), "ca");
    let b = backend(&format!(
        "url = \"ldap://127.0.0.1:{port}\"\nstarttls = true\nca_file = \"{}\"\nbase = \"{PEOPLE}\"\ntimeout = \"1s\"\n",
        ca.display()
    ));
    let why = unavailable(login(&b, "alice", "pw-alice"));
    assert!(why.contains("timed out"), "{why}");
    drop(listener);
}

#[test]
fn ldap_failover_to_the_next_url() {
    let s = Slapd::start();
    // A port of this process's range that nothing listens on.
    let dead = crate::support::servers::reserve_port();
    let toml = search_toml(&s)
        .replace(&format!("url = \"{}\"", s.url()), &format!("urls = [\"ldap://127.0.0.1:{dead}\", \"{}\"]", s.url()));
    let b = backend(&toml);
    assert_eq!(accepted(&b, "alice", "pw-alice").name, "alice");
}

#[test]
fn ldap_tls_verifies_the_server() {
    let s = Slapd::start();
    let ca = s.ca_file();
    let other_ca = slapd::make_ca(s.dir(), "other-ca");
    let base = format!("user_dn = \"uid={{user}},{PEOPLE}\"\ntimeout = \"2s\"\n");
    let ldaps =
        |ca: &std::path::Path| backend(&format!("url = \"{}\"\nca_file = \"{}\"\n{base}", s.ldaps_url(), ca.display()));
    let starttls = |ca: &std::path::Path| {
        backend(&format!("url = \"{}\"\nstarttls = true\nca_file = \"{}\"\n{base}", s.url(), ca.display()))
    };
    assert_eq!(accepted(&ldaps(&ca), "alice", "pw-alice").name, "alice");
    assert_eq!(login(&ldaps(&ca), "alice", "wrong"), REJECTED);
    assert_eq!(accepted(&starttls(&ca), "alice", "pw-alice").name, "alice");
    // A certificate from a CA we do not trust: never accepted, never "wrong password".
    for b in [ldaps(&other_ca), starttls(&other_ca)] {
        for pw in ["pw-alice", "wrong"] {
            let why = unavailable(login(&b, "alice", pw));
            assert!(why.contains("TLS"), "{why}");
        }
    }
    // By host name: localhost is in the certificate too.
    let by_name =
        backend(&format!("url = \"ldaps://localhost:{}\"\nca_file = \"{}\"\n{base}", s.tls_port, ca.display()));
    assert_eq!(accepted(&by_name, "alice", "pw-alice").name, "alice");
    // ldaps:// to the plaintext port and StartTLS to a server without TLS: no fallback.
    let wrong_port =
        backend(&format!("url = \"ldaps://127.0.0.1:{}\"\nca_file = \"{}\"\n{base}", s.port, ca.display()));
    unavailable(login(&wrong_port, "alice", "pw-alice"));
    let plain = Slapd::start_with(Options { no_tls: true, ..Options::default() });
    let b = backend(&format!("url = \"{}\"\nstarttls = true\nca_file = \"{}\"\n{base}", plain.url(), ca.display()));
    let why = unavailable(login(&b, "alice", "pw-alice"));
    assert!(why.contains("StartTLS"), "{why}");
}

#[test]
fn ldap_directory_lookups() {
    let mut s = Slapd::start();
    let clock = ManualClock::new(1_000_000);
    let toml = format!("{}cache_ttl = \"60s\"\n", search_toml(&s));
    let b = backend_with_clock(&toml, Arc::new(clock.clone()));
    let alice = PosixUser {
        name: "alice".into(),
        uid: 10001,
        gid: 10001,
        gecos: "Alice Liddell".into(),
        home: "/home/alice".into(),
        shell: "/bin/bash".into(),
    };
    assert_eq!(b.user_by_name("alice"), Ok(Some(alice.clone())));
    assert_eq!(b.user_by_uid(10001), Ok(Some(alice.clone())));
    let bob = b.user_by_name("bob").ok().flatten().unwrap_or_else(|| panic!("bob"));
    assert_eq!((bob.uid, bob.gid, bob.shell.as_str()), (10002, 10002, ""));
    assert_eq!(b.user_by_name("carol"), Ok(None), "no uidNumber: not an NSS user");
    assert_eq!(b.user_by_name("ALICE"), Ok(None), "NSS names are exact");
    assert_eq!(b.user_by_name("zed"), Ok(None));
    assert_eq!(b.user_by_uid(99999), Ok(None));

    let admins = PosixGroup { name: "admins".into(), gid: 20001, members: vec!["alice".into()] };
    let devs = PosixGroup { name: "devs".into(), gid: 20002, members: vec!["alice".into(), "bob".into()] };
    let staff = PosixGroup { name: "staff".into(), gid: 20003, members: vec!["alice".into(), "bob".into()] };
    assert_eq!(b.group_by_name("admins"), Ok(Some(admins.clone())));
    assert_eq!(b.group_by_gid(20002), Ok(Some(devs.clone())));
    assert_eq!(b.group_by_name("staff"), Ok(Some(staff.clone())));
    assert_eq!(b.group_by_gid(20003), Ok(Some(staff.clone())));
    assert_eq!(b.group_by_name("web"), Ok(None), "no gidNumber: not an NSS group");
    assert_eq!(b.group_by_name("nosuch"), Ok(None));
    assert_eq!(b.group_by_gid(1), Ok(None));
    // memberOf mode: the groupOfNames groups (posixGroup memberUid is not in memberOf).
    assert_eq!(b.groups_of("alice"), Ok(vec![admins.clone(), devs.clone()]));
    assert_eq!(b.groups_of("bob"), Ok(vec![devs.clone()]), "web has no gid");
    assert_eq!(b.groups_of("zed"), Ok(vec![]));

    // The cache answers while the server is down, until the TTL runs out.
    s.stop();
    assert_eq!(b.user_by_name("alice"), Ok(Some(alice.clone())));
    assert_eq!(b.user_by_name("zed"), Ok(None), "negative answers are cached too");
    assert_eq!(b.groups_of("alice"), Ok(vec![admins.clone(), devs.clone()]));
    clock.advance(11);
    assert!(b.user_by_name("zed").is_err(), "negative answers live at most 10 s");
    assert_eq!(b.user_by_name("alice"), Ok(Some(alice.clone())));
    clock.advance(50);
    assert!(b.user_by_name("alice").is_err());
    assert!(b.group_by_name("admins").is_err());
    s.start_again();
    assert_eq!(b.user_by_name("alice"), Ok(Some(alice)));

    // Group-search mode, both kinds of group.
    let either = "group_filter = \"(|(&(objectClass=groupOfNames)(member={dn}))(&(objectClass=posixGroup)(memberUid={user})))\"\n";
    let b = backend(&format!("{}group_base = \"{GROUPS}\"\n{either}", search_toml(&s)));
    assert_eq!(b.groups_of("alice"), Ok(vec![admins, devs.clone(), staff.clone()]));
    assert_eq!(b.groups_of("bob"), Ok(vec![devs, staff]));
    // Direct-bind mode looks up anonymously, and this directory hides everything from
    // anonymous clients: nothing is found, nothing fails.
    let b = backend(&direct_toml(&s.url()));
    assert_eq!(b.user_by_name("alice"), Ok(None));
}

/// Login latency against the local slapd (uncached: every call binds). Run in release mode:
/// `cargo test --release -p wicket-tests ldap_login_latency -- --ignored --nocapture`.
#[test]
#[ignore = "measurement; run by hand in release mode"]
fn ldap_login_latency() {
    let s = Slapd::start();
    let ca = s.ca_file();
    let modes = [
        ("search+bind ldap://", search_toml(&s)),
        (
            "search+bind ldaps://",
            search_toml(&s).replace(&s.url(), &s.ldaps_url()) + &format!("ca_file = \"{}\"\n", ca.display()),
        ),
        ("search+bind+group search", format!("{}group_base = \"{GROUPS}\"\n", search_toml(&s))),
        ("direct bind ldap://", direct_toml(&s.url())),
    ];
    for (what, toml) in modes {
        let b = backend(&toml);
        for _ in 0..10 {
            accepted(&b, "alice", "pw-alice");
        }
        let mut times: Vec<Duration> = (0..200)
            .map(|_| {
                let t = Instant::now();
                accepted(&b, "alice", "pw-alice");
                t.elapsed()
            })
            .collect();
        times.sort();
        let median_of = |user: &str, pw: &str| {
            let mut t: Vec<Duration> = (0..200)
                .map(|_| {
                    let t = Instant::now();
                    assert!(!matches!(login(&b, user, pw), BackendAnswer::Accepted(_) | BackendAnswer::Unavailable(_)));
                    t.elapsed()
                })
                .collect();
            t.sort();
            t[100].as_secs_f64() * 1e3
        };
        println!(
            "{what:28} wrong password median {:.3} ms, unknown user median {:.3} ms",
            median_of("alice", "wrong"),
            median_of("zed", "wrong")
        );
        let fresh = backend(&toml);
        let t = Instant::now();
        accepted(&fresh, "alice", "pw-alice");
        let cold = t.elapsed();
        println!(
            "{what:28} median {:>7.3} ms  p90 {:>7.3} ms  max {:>7.3} ms  first login (new connections) {:>7.3} ms",
            times[100].as_secs_f64() * 1e3,
            times[180].as_secs_f64() * 1e3,
            times[199].as_secs_f64() * 1e3,
            cold.as_secs_f64() * 1e3
        );
    }
}
