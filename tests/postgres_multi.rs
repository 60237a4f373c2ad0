//! Two wicketd on one PostgreSQL behind one nginx upstream, configured from
//! docs/examples/nginx-two-instances.conf (only ports substituted): a portal sign-in made on
//! one instance opens the site through either; `wicket user lock`, `wicket token revoke` and
//! a password change made on one instance hold on both, although both had cached the answer;
//! a Digest challenge from one instance is answered to the other, and a count is good once.

use crate::support::postgres::Postgres;
use crate::support::servers::{Nginx, Wicketd, curl, reserve_port};
use crate::support::{Env, bin, require, run, stderr, wait_until};
use std::path::Path;
use std::time::Duration;

/// How long a change may take to reach both instances before the test fails.
const DEADLINE: Duration = Duration::from_secs(5);

/// One wicketd on the store at `url`, with the portal on.
fn instance(url: &str) -> (Env, Wicketd) {
    instance_with(url, "[session]\nsecure = false\n")
}

/// One wicketd on the store at `url` with `extra` config.
fn instance_with(url: &str, extra: &str) -> (Env, Wicketd) {
    let env = Env::new();
    let text = Wicketd::config_text(&env, "", extra)
        .replace(&format!("path = \"{}\"", env.db.display()), &format!("url = \"{url}\""));
    assert!(text.contains("url = \"postgresql://"), "{text}");
    let config = env.dir.path().join("wicketd.toml");
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
    let w = Wicketd::spawn(&env, config, &[]);
    (env, w)
}

/// The documented nginx config in a minimal `http {}` with an echo upstream.
fn nginx(dir: &Path, a: u16, b: u16) -> Nginx {
    let (port, app) = (reserve_port(), reserve_port());
    let prefix = dir.join("nginx-two");
    std::fs::create_dir_all(prefix.join("logs")).unwrap_or_else(|e| panic!("{e}"));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".."));
    let example = std::fs::read_to_string(repo.join("docs/examples/nginx-two-instances.conf"))
        .unwrap_or_else(|e| panic!("docs/examples/nginx-two-instances.conf: {e}"));
    let servers = example
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
        .replace("127.0.0.1:8089", &format!("127.0.0.1:{a}"))
        .replace("127.0.0.1:8090", &format!("127.0.0.1:{b}"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{app}"));
    let p = prefix.display();
    let conf = format!(
        "worker_processes 1;\nerror_log {p}/logs/error.log info;\npid {p}/nginx.pid;\n\
         events {{ worker_connections 256; }}\nhttp {{\naccess_log off;\n\
         client_body_temp_path {p}/client_body;\nproxy_temp_path {p}/proxy;\n\
         fastcgi_temp_path {p}/fastcgi;\nuwsgi_temp_path {p}/uwsgi;\nscgi_temp_path {p}/scgi;\n\
         {servers}\n\
         server {{\n    listen 127.0.0.1:{app};\n    default_type text/plain;\n\
             location / {{ return 200 \"user=$http_remote_user\\n\"; }}\n}}\n}}\n"
    );
    Nginx::run(prefix, &conf, port, app, "/")
}

/// Signs in at `base` (a wicketd or the portal through nginx, with `host`); the cookie pair.
fn sign_in(base: &str, host: &str, user: &str, password: &str) -> String {
    sign_in_across(base, base, host, user, password)
}

/// Signs in with the form from `form_base` posted to `post_base`.
fn sign_in_across(form_base: &str, post_base: &str, host: &str, user: &str, password: &str) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jar = dir.path().join("jar");
    let jar = jar.to_str().unwrap_or_default();
    let host = format!("Host: {host}");
    let form = curl(&["-c", jar, "-b", jar, "-H", &host, &format!("{form_base}/login")]);
    assert_eq!(form.status, 200, "{}", form.body);
    let data = format!("username={user}&password={password}&csrf={}", csrf(&form.body));
    let done = curl(&["-c", jar, "-b", jar, "-H", &host, "--data", &data, &format!("{post_base}/login")]);
    assert_eq!(done.status, 303, "{}", done.body);
    cookie(jar)
}

/// The form's CSRF token, URL-encoded.
fn csrf(body: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = body.find(marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("no form in {body}"));
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn cookie(jar: &str) -> String {
    let text = std::fs::read_to_string(jar).unwrap_or_default();
    let value = text
        .lines()
        .filter_map(|l| l.split('\t').collect::<Vec<_>>().get(5..7).map(|f| (f[0].to_string(), f[1].to_string())))
        .find(|(name, _)| name == "wicket_session")
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no session cookie in {text}"));
    format!("wicket_session={value}")
}

/// `bob` changes his password in the portal of the instance at `base`.
fn change_password(base: &str, old: &str, new: &str) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jar = dir.path().join("jar");
    let jar = jar.to_str().unwrap_or_default();
    let form = curl(&["-c", jar, "-b", jar, &format!("{base}/login")]);
    let data = format!("username=bob&password={old}&csrf={}", csrf(&form.body));
    assert_eq!(curl(&["-c", jar, "-b", jar, "--data", &data, &format!("{base}/login")]).status, 303);
    let page = curl(&["-c", jar, "-b", jar, &format!("{base}/account/password")]);
    assert_eq!(page.status, 200, "{}", page.body);
    let data = format!("old_password={old}&new_password={new}&new_password_again={new}&csrf={}", csrf(&page.body));
    let done = curl(&["-c", jar, "-b", jar, "--data", &data, &format!("{base}/account/password")]);
    assert!(matches!(done.status, 200 | 303), "password change: {} {}", done.status, done.body);
}

#[test]
fn two_instances_on_one_postgres_share_sign_ins_locks_revocations_and_passwords() {
    let Some(pg) =
        require(Postgres::installed(), "PostgreSQL 15 (Debian's postgresql) is not installed").then(Postgres::start)
    else {
        return;
    };
    let url = pg.create_db("wicket");
    let (env_a, a) = instance(&url);
    let (_env_b, b) = instance(&pg.socket_url("wicket"));
    let cfg = a.config.to_str().unwrap_or_default().to_string();
    let wicket = |args: &[&str], stdin: &str| {
        let mut full = vec!["--config", cfg.as_str()];
        full.extend_from_slice(args);
        let out = run(&bin("wicket"), &full, stdin);
        assert!(out.status.success(), "wicket {args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    wicket(&["user", "add", "alice", "--password-stdin"], "pw-alice-1\n");
    wicket(&["user", "add", "bob", "--password-stdin"], "pw-bob-1\n");
    let out = wicket(&["token", "create", "bob", "--name", "ci"], "");
    let token = out.split_whitespace().find(|w| w.starts_with("wkt_")).unwrap_or_else(|| panic!("{out}")).to_string();
    let nginx = nginx(env_a.dir.path(), a.port, b.port);
    let site =
        |cookie: &str| curl(&["-H", "Host: app.example.org", "-H", &format!("Cookie: {cookie}"), &nginx.url("/")]);
    let both = |args: &[&str]| -> [u16; 2] {
        [a.url("/auth"), b.url("/auth")].map(|u| {
            let mut full = args.to_vec();
            full.push(&u);
            curl(&full).status
        })
    };

    // A sign-in at the portal through nginx, and one made on instance A only: each opens
    // the site through nginx (either instance) and is valid on B.
    let via_nginx = sign_in(&nginx.url(""), "auth.example.org", "alice", "pw-alice-1");
    let on_a = sign_in(&a.url(""), "x", "alice", "pw-alice-1");
    // The sign-in form of one instance is good on the other: the form key is shared.
    let across = sign_in_across(&a.url(""), &b.url(""), "x", "alice", "pw-alice-1");
    for cookie in [&via_nginx, &on_a, &across] {
        for _ in 0..4 {
            let r = site(cookie);
            assert_eq!((r.status, r.body.as_str()), (200, "user=alice\n"), "{}", nginx.error_log());
        }
        assert_eq!(both(&["-H", &format!("Cookie: {cookie}")]), [200, 200]);
    }
    // Both instances cache bob's password and token.
    let basic = |pw: &str| both(&["-u", &format!("bob:{pw}")]);
    let bearer = || both(&["-H", &format!("Authorization: Bearer {token}")]);
    for _ in 0..2 {
        assert_eq!(basic("pw-bob-1"), [200, 200], "{}{}", a.log(), b.log());
        assert_eq!(bearer(), [200, 200]);
    }

    // The CLI locks alice: her sessions end on both.
    wicket(&["user", "lock", "alice"], "");
    wait_until(DEADLINE, "the lock to hold on both instances", || {
        both(&["-H", &format!("Cookie: {on_a}")]) == [401, 401]
    });
    // Through nginx: back to the portal to sign in again.
    let r = site(&via_nginx);
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(r.headers.contains("location: "), "{}", r.headers);

    // The CLI revokes bob's token: refused by both.
    wicket(&["token", "revoke", "bob", "ci"], "");
    wait_until(DEADLINE, "the revocation to hold on both instances", || bearer() == [401, 401]);

    // Bob changes his password on A; B had the old one cached.
    change_password(&a.url(""), "pw-bob-1", "pw-bob-2");
    wait_until(DEADLINE, "the old password to be refused by both", || basic("pw-bob-1") == [401, 401]);
    assert_eq!(basic("pw-bob-2"), [200, 200]);
    // Digest: a challenge from A answered to B is accepted (one key signs every instance's
    // nonces); the same response again, to B or to A, is a replay (one record of counts).
    let digest = digest_challenge(&a.url("/auth"));
    let first = digest.answer("bob", "pw-bob-2", 1);
    assert_eq!(curl(&["-H", &first, &b.url("/auth")]).status, 200, "{}", b.log());
    assert_eq!(both(&["-H", &first]), [401, 401], "{}{}", a.log(), b.log());
    // The next count is fresh, wherever it goes; and that one is refused after its use too.
    let second = digest.answer("bob", "pw-bob-2", 2);
    assert_eq!(curl(&["-H", &second, &a.url("/auth")]).status, 200, "{}", a.log());
    assert_eq!(curl(&["-H", &second, &b.url("/auth")]).status, 401);
    // curl's own Digest client, challenged and answered by one instance, then replayed.
    let traced = run(Path::new("curl"), &["-sv", "--digest", "-u", "bob:pw-bob-2", &b.url("/auth")], "");
    let trace = stderr(&traced);
    assert!(trace.contains("< HTTP/1.1 200"), "{trace}");
    let header = trace
        .lines()
        .filter_map(|l| l.strip_prefix("> Authorization: "))
        .find(|v| v.starts_with("Digest "))
        .unwrap_or_else(|| panic!("no Digest response sent: {trace}"))
        .trim()
        .to_string();
    assert_eq!(both(&["-H", &format!("Authorization: {header}")]), [401, 401]);
    for w in [&a, &b] {
        let log = w.log();
        assert!(!log.contains("opaque mismatch") && !log.contains("pw-bob-2"), "{log}");
    }

    // All of it through the notifications: neither instance lost them and fell back.
    for w in [&a, &b] {
        assert!(!w.log().contains("change notifications from"), "{}", w.log());
    }
}

#[test]
fn failures_counted_on_one_instance_lock_the_account_on_the_other() {
    let Some(pg) =
        require(Postgres::installed(), "PostgreSQL 15 (Debian's postgresql) is not installed").then(Postgres::start)
    else {
        return;
    };
    let url = pg.create_db("throttle");
    let throttle = "[throttle]\nmax_failures = 3\ndelays = [\"0s\"]\nlockout = \"5m\"\n";
    let (_env_a, a) = instance_with(&url, throttle);
    let (_env_b, b) = instance_with(&url, throttle);
    let cfg = a.config.to_str().unwrap_or_default().to_string();
    let out =
        run(&bin("wicket"), &["--config", &cfg, "user", "add", "tess", "--password-stdin"], "a good long password\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let auth = |w: &Wicketd, password: &str| curl(&["-u", &format!("tess:{password}"), &w.url("/auth")]).status;
    assert_eq!(auth(&b, "a good long password"), 200, "B lets tess in before any failure");
    // Three wrong passwords, all on A: B never saw one itself.
    for _ in 0..3 {
        assert_eq!(auth(&a, "wrong"), 401);
    }
    assert_ne!(auth(&a, "a good long password"), 200, "A counted three failures: locked");
    // B counts A's failures (they travel within a heartbeat): the right password is refused.
    wait_until(DEADLINE, "B to lock tess out after A's failures", || auth(&b, "a good long password") != 200);
    let log = b.log();
    assert!(!log.contains("a good long password") && !log.contains("panicked"), "{log}");
}

/// A Digest challenge (SHA-256) as one instance sent it.
struct Challenge {
    realm: String,
    nonce: String,
    opaque: String,
}

/// The Digest challenge `url` answers a request without credentials with.
fn digest_challenge(url: &str) -> Challenge {
    // curl's helper lowercases headers; the nonce is case-sensitive: read them raw.
    let out = run(Path::new("curl"), &["-s", "-o", "/dev/null", "-D", "-", url], "");
    let headers = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = headers
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, v)| v.trim().to_string())
        .find(|v| v.starts_with("Digest ") && v.contains("algorithm=SHA-256"))
        .unwrap_or_else(|| panic!("no SHA-256 Digest challenge: {headers}"));
    let param = |name: &str| {
        let marker = format!("{name}=\"");
        let start = line.find(&marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("no {name}: {line}"));
        line[start..].split('"').next().unwrap_or_default().to_string()
    };
    Challenge { realm: param("realm"), nonce: param("nonce"), opaque: param("opaque") }
}

impl Challenge {
    /// The `Authorization` header a client sends for `GET /auth` with count `nc`.
    fn answer(&self, user: &str, password: &str, nc: u32) -> String {
        use wicket_core::digest::{Algorithm, ResponseParams, expected_response, ha1};
        let nc = format!("{nc:08x}");
        let cnonce = "f00dcafe";
        let ha1 = ha1(Algorithm::Sha256, user, &self.realm, password.as_bytes());
        let params = ResponseParams { nonce: &self.nonce, nc: &nc, cnonce, qop: "auth", method: "GET", uri: "/auth" };
        let response = expected_response(Algorithm::Sha256, ha1.expose(), &params);
        format!(
            "Authorization: Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"/auth\", \
             algorithm=SHA-256, response=\"{response}\", qop=auth, nc={nc}, cnonce=\"{cnonce}\", opaque=\"{}\"",
            self.realm, self.nonce, self.opaque
        )
    }
}
