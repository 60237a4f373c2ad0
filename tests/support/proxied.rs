//! One scenario for every forward-auth proxy (Caddy, Traefik, Envoy): the same users, the
//! same wicketd rules, an echo server as the application, and the same assertions driven
//! with curl through the proxy. A proxy's test only starts the proxy from its example in
//! `docs/examples/` (ports changed) with two sites: `app.example.org` (any user) and
//! `admin.example.org` (group `admins`), both on one port.

use super::Env;
use super::servers::{Curl, Wicketd, curl};
use super::upstream::{Proc, echo_server};

/// wicketd's rules: each one would open or shut the door if a client could name the
/// target itself (path, method, client network, host); only `/public/` and `/closed/` are
/// reached honestly.
const RULES: &str = r#"[[rule]]
path = "^/public/"
policy = "bypass"
[[rule]]
path = "^/closed/"
policy = "deny"
[[rule]]
methods = ["OPTIONS"]
policy = "bypass"
[[rule]]
networks = ["10.9.9.0/24"]
policy = "bypass"
[[rule]]
host = "open.example.org"
policy = "bypass"
"#;

/// The users (alice in `admins`, bob with a token), wicketd and the application.
pub struct Backends {
    pub env: Env,
    pub token: String,
    pub wicketd: Wicketd,
    _echo: Proc,
    pub upstream: u16,
}

impl Backends {
    /// `rules`: more `[[rule]]`s after the common ones.
    pub fn start(rules: &str) -> Self {
        let env = Env::new();
        env.add_user("alice", "pw-alice");
        env.add_user("bob", "pw-bob-1");
        env.ok(&["group", "add", "admins"], "");
        env.ok(&["group", "add-member", "admins", "alice"], "");
        let token = env.ok(&["token", "create", "bob", "--name", "t"], "").trim().to_string();
        let wicketd = Wicketd::start(&env, &format!("{RULES}{rules}"));
        let (echo, upstream) = echo_server();
        Self { env, token, wicketd, _echo: echo, upstream }
    }
}

/// What differs between proxies.
pub struct Proxy<'a> {
    /// The proxy's port on 127.0.0.1.
    pub port: u16,
    /// Whether a Digest exchange works through it.
    pub digest: bool,
    /// Whether wicketd's `Retry-After` reaches the client with its 503.
    pub retry_after: bool,
    /// The proxy's logs, for failure messages.
    pub logs: &'a dyn Fn() -> String,
}

impl Proxy<'_> {
    /// curl through the proxy to `http://SITE.example.org:PORT/PATH`, `args` first.
    pub fn curl(&self, site: &str, path: &str, args: &[&str]) -> Curl {
        let resolve = format!("{site}.example.org:{}:127.0.0.1", self.port);
        let url = format!("http://{site}.example.org:{}{path}", self.port);
        let mut all: Vec<&str> = vec!["--resolve", &resolve];
        all.extend_from_slice(args);
        all.push(&url);
        curl(&all)
    }
}

/// Headers a client may send to name another target or another identity.
const SPOOF: [&str; 22] = [
    "-H",
    "X-Original-URI: /public/x",
    "-H",
    "X-Forwarded-Uri: /public/x",
    "-H",
    "X-Original-Method: OPTIONS",
    "-H",
    "X-Forwarded-Method: OPTIONS",
    "-H",
    "X-Forwarded-For: 10.9.9.9",
    "-H",
    "X-Real-IP: 10.9.9.9",
    "-H",
    "X-Forwarded-Host: open.example.org",
    "-H",
    "X-Original-Host: open.example.org",
    "-H",
    "X-Envoy-External-Address: 10.9.9.9",
    "-H",
    "Remote-User: mallory",
    "-H",
    "Remote-Name: mallory",
];

/// The whole scenario through `p`.
pub fn assert_guarded(b: &Backends, p: &Proxy) {
    let logs = || format!("{}\nwicketd:\n{}", (p.logs)(), b.wicketd.log());

    // No credentials: 401 with wicketd's challenges.
    let r = p.curl("app", "/x", &[]);
    assert_eq!(r.status, 401, "{r:?}\n{}", logs());
    for scheme in ["basic realm=\"wicket\"", "digest realm=\"wicket\"", "bearer realm=\"wicket\""] {
        assert!(r.headers.contains(&format!("www-authenticate: {scheme}")), "{scheme} missing: {}", r.headers);
    }
    assert_eq!(p.curl("app", "/x", &["-u", "alice:wrong"]).status, 401);

    // Basic and Bearer (and Digest where the proxy passes the exchange): the identity
    // reaches the application, the client's credentials and identity headers do not.
    let r = p.curl("app", "/x?q=1", &["-u", "alice:pw-alice", "-H", "Remote-User: mallory"]);
    assert_eq!(r.status, 200, "{r:?}\n{}", logs());
    assert!(r.body.starts_with("request: GET /x?q=1\n"), "{}", r.body);
    assert!(r.body.contains("remote-user: alice\n") && r.body.contains("remote-groups: admins\n"), "{}", r.body);
    assert!(!r.body.contains("mallory") && !r.body.contains("authorization"), "{}", r.body);
    assert!(!r.body.contains('{'), "a proxy's placeholder reached the application: {}", r.body);
    let r = p.curl("app", "/x", &["--oauth2-bearer", &b.token]);
    assert_eq!(r.status, 200, "{r:?}\n{}", logs());
    assert!(r.body.contains("remote-user: bob\n") && !r.body.contains("authorization"), "{}", r.body);
    if p.digest {
        let r = p.curl("app", "/x?q=1", &["--digest", "-u", "alice:pw-alice"]);
        assert_eq!(r.status, 200, "{r:?}\n{}", logs());
        assert!(r.body.contains("remote-user: alice\n") && !r.body.contains("authorization"), "{}", r.body);
    }

    // The rules see the original request.
    let r = p.curl("app", "/public/x", &["-H", "Remote-User: mallory"]);
    assert_eq!(r.status, 200, "{r:?}\n{}", logs());
    assert!(!r.body.contains("remote-user") && !r.body.contains('{'), "no identity, none named: {}", r.body);
    assert_eq!(p.curl("app", "/closed/x", &["-u", "alice:pw-alice"]).status, 403, "{}", logs());

    // Groups per site: admin.example.org asks for admins.
    assert_eq!(p.curl("admin", "/", &["-u", "alice:pw-alice"]).status, 200, "{}", logs());
    assert_eq!(p.curl("admin", "/", &["-u", "bob:pw-bob-1"]).status, 403, "{}", logs());
    assert_eq!(p.curl("admin", "/", &[]).status, 401);

    // What the client says about the target changes nothing: every rule it tries to reach
    // would let it in without credentials.
    let with = |site: &str, path: &str, extra: &[&str]| {
        let mut args: Vec<&str> = SPOOF.to_vec();
        args.extend_from_slice(extra);
        p.curl(site, path, &args)
    };
    let r = with("app", "/x", &[]);
    assert_eq!(r.status, 401, "{r:?}\n{}", logs());
    assert_eq!(with("app", "/closed/x", &["-u", "alice:pw-alice"]).status, 403, "{}", logs());
    assert_eq!(with("admin", "/", &["-u", "bob:pw-bob-1"]).status, 403, "{}", logs());
    let r = with("app", "/x", &["-u", "bob:pw-bob-1"]);
    assert_eq!(r.status, 200, "{r:?}\n{}", logs());
    assert!(r.body.contains("remote-user: bob\n") && !r.body.contains("mallory"), "{}", r.body);

    let log = b.wicketd.log();
    assert!(!log.contains("pw-alice") && !log.contains(&b.token), "a secret reached the log");
    assert!(!log.contains("panicked"), "{log}");

    // The store becomes unreadable: 503 reaches the client.
    b.env.break_store();
    b.env.once_broken(&503, || p.curl("app", "/x", &["-u", "alice:pw-alice"]).status);
    let r = p.curl("app", "/x", &["-u", "alice:pw-alice"]);
    assert_eq!(r.status, 503, "{r:?}\n{}", logs());
    if p.retry_after {
        assert!(r.headers.contains("retry-after: 5"), "{}", r.headers);
    }
}

/// wicketd's `[session]` for [`assert_portal`]: the portal at `http://auth.example.org`,
/// cookies for every site under example.org, plain HTTP.
pub const PORTAL: &str =
    "[session]\nsecure = false\ndomain = \"example.org\"\nportal_url = \"http://auth.example.org\"\n";

/// Signs `user` in at wicketd's portal (straight, not through the proxy) with curl and
/// returns the session cookie as `name=value`.
pub fn portal_sign_in(b: &Backends, user: &str, password: &str) -> String {
    let jar = b.env.dir.path().join(format!("jar-{user}"));
    let jar = jar.to_str().unwrap_or_else(|| panic!("temp path"));
    let resolve = format!("auth.example.org:{}:127.0.0.1", b.wicketd.port);
    let login = format!("http://auth.example.org:{}/login", b.wicketd.port);
    let r = curl(&["--resolve", &resolve, "-c", jar, &login]);
    assert_eq!(r.status, 200, "{r:?}\n{}", b.wicketd.log());
    let marker = "name=\"csrf\" value=\"";
    let csrf = r.body.split(marker).nth(1).and_then(|s| s.split('"').next()).unwrap_or_else(|| panic!("{}", r.body));
    let (u, p, c) = (format!("username={user}"), format!("password={password}"), format!("csrf={csrf}"));
    let args = ["--resolve", &resolve, "-b", jar, "-c", jar, "--data-urlencode", &u, "--data-urlencode", &p];
    let r = curl(&[&args[..], &["--data-urlencode", &c, &login]].concat());
    assert_eq!(r.status, 303, "{r:?}\n{}", b.wicketd.log());
    // Netscape cookie file: domain, subdomains, path, secure, expiry, name, value.
    let text = std::fs::read_to_string(jar).unwrap_or_default();
    let value = text
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|f| f.len() == 7 && f[5] == "wicket_session")
        .map(|f| f[6].to_string())
        .unwrap_or_else(|| panic!("no session cookie in {text}"));
    format!("wicket_session={value}")
}

/// With [`PORTAL`]: a browser without a session is redirected to the portal with `rd` = the
/// URL it asked for, a script gets 401 with its challenges, and the session cookie opens
/// the site with the identity at the application.
pub fn assert_portal(b: &Backends, p: &Proxy) {
    let logs = || format!("{}\nwicketd:\n{}", (p.logs)(), b.wicketd.log());
    let html = "Accept: text/html,application/xhtml+xml";
    let r = p.curl("app", "/docs/page?x=1", &["-H", html]);
    assert_eq!(r.status, 302, "{r:?}\n{}", logs());
    let rd = format!("http%3a%2f%2fapp.example.org%3a{}%2fdocs%2fpage%3fx%3d1", p.port);
    assert!(r.headers.contains(&format!("location: http://auth.example.org/login?rd={rd}\r\n")), "{}", r.headers);
    let r = p.curl("app", "/docs/page", &[]);
    assert_eq!(r.status, 401, "a script is not redirected: {r:?}\n{}", logs());
    assert!(r.headers.contains("www-authenticate: basic"), "{}", r.headers);

    let cookie = portal_sign_in(b, "alice", "pw-alice");
    let r = p.curl("app", "/docs/page", &["-H", html, "-b", &cookie, "-H", "Remote-User: mallory"]);
    assert_eq!(r.status, 200, "{r:?}\n{}", logs());
    assert!(r.body.contains("remote-user: alice\n") && r.body.contains("remote-groups: admins\n"), "{}", r.body);
    assert!(!r.body.contains("mallory"), "{}", r.body);
    // A made-up session is no session.
    let r =
        p.curl("app", "/docs/page", &["-H", html, "-b", "wicket_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]);
    assert_eq!(r.status, 302, "{r:?}\n{}", logs());
}
