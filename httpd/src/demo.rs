//! `wicketd --demo`: a throwaway store with user `demo` (random password, a token, group
//! `demo`), the browser sign-in portal, and ready-to-paste curl and nginx lines.
//!
//! The demo runs on the built-in defaults, or on the file given with `--config`: then only
//! the store, the local socket and (with `--listen`) the address are replaced, so the
//! scheme order, realm, rules, throttle and `[session]` of that file are what the demo
//! shows. Without a `[session]` the demo adds one for plain HTTP on its own address.

use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use wicket_core::accounts::Accounts;
use wicket_core::config::{BackendConfig, Config, Scheme, SessionConfig};
use wicket_core::local::PasswordPolicy;
use wicket_core::secret::Secret;
use wicket_core::store::{NewUser, Store};
use wicket_core::token;

/// What the demo made.
#[derive(Debug)]
pub struct Demo {
    /// Config pointing at the temporary store.
    pub cfg: Config,
    /// The demo user's password.
    pub password: Secret,
    /// The demo user's token.
    pub token: Secret,
}

/// Creates the demo store in `dir` and points `base` at it: the store and the local socket
/// move into `dir` (a socket turned off with `socket = ""` stays off), and `listen`, when
/// given, replaces `[server] listen`. A `base` without `[session]` gets one: the portal on
/// the demo's own address over plain HTTP. Everything else of `base` is kept.
pub fn prepare(dir: &Path, mut cfg: Config, listen: Option<SocketAddr>) -> Result<Demo> {
    if !cfg.backend.iter().any(|b| matches!(b, BackendConfig::Local(_))) {
        bail!("--demo needs a local backend ([[backend]] kind = \"local\"): the demo user lives in the local store");
    }
    if let Some(l) = listen {
        cfg.server.listen = l;
    }
    if cfg.session.is_none() {
        cfg.session = Some(demo_session(cfg.server.listen));
    }
    cfg.store.path = dir.join("wicket.db");
    if !cfg.server.socket.as_os_str().is_empty() {
        cfg.server.socket = dir.join("wicketd.sock");
    }
    let mut store = Store::open(&cfg.store.path, cfg.store.busy_timeout).context("while creating the demo store")?;
    let password = random_password();
    let policy = PasswordPolicy::from_config(&cfg)?;
    let mut accounts = Accounts::new(&mut store, &policy, &cfg.users);
    let new = NewUser {
        name: "demo".into(),
        display_name: Some("Demo User".into()),
        email: Some("demo@example.org".into()),
        ..NewUser::default()
    };
    let now = wicket_core::clock::Clock::now(&wicket_core::clock::SystemClock);
    accounts.add_user(&new, Some(&password), now)?;
    accounts.add_group("demo", None, now)?;
    accounts.add_member("demo", "demo")?;
    let (token, _) = accounts.create_token("demo", "demo", &[], None, now)?;
    Ok(Demo { cfg, password, token })
}

/// `[session]` for the demo: plain HTTP (`secure = false`), the portal at the demo's own
/// address, and a host-only cookie for its IP address, so an nginx on the same address (any
/// port) shares the sign-in and `rd` may lead back to it.
fn demo_session(listen: SocketAddr) -> SessionConfig {
    let ip = listen.ip();
    let allowed_redirect_hosts = match ip {
        std::net::IpAddr::V4(v4) if !v4.is_unspecified() => vec![v4.to_string()],
        _ => Vec::new(),
    };
    SessionConfig {
        secure: false,
        portal_url: Some(format!("http://{listen}")),
        allowed_redirect_hosts,
        ..SessionConfig::default()
    }
}

fn random_password() -> Secret {
    // 16 base62 characters from a fresh token's random part: ~95 bits.
    let t = token::generate();
    Secret::from(&t.expose_str().unwrap_or_default()[4..20])
}

/// The banner with ready-to-paste commands, for the schemes the demo offers.
pub fn banner(d: &Demo) -> String {
    let addr = d.cfg.server.listen;
    let pw = d.password.expose_str().unwrap_or_default();
    let tok = d.token.expose_str().unwrap_or_default();
    let schemes = &d.cfg.http.schemes;
    let curl = |scheme: Scheme| match scheme {
        Scheme::Basic => format!("curl -i --basic  -u 'demo:{pw}'"),
        Scheme::Digest => format!("curl -i --digest -u 'demo:{pw}'"),
        Scheme::Bearer => format!("curl -i --oauth2-bearer '{tok}'"),
    };
    let mut out = format!(
        r#"
Wicket demo on http://{addr}  (Ctrl-C stops it; the store is thrown away)

  user: demo    password: {pw}    group: demo
  token: {tok}

Try it against wicketd:
"#
    );
    for &s in schemes {
        let _ = writeln!(out, "  {} http://{addr}/whoami", curl(s));
    }
    let _ = writeln!(out, "  curl -i http://{addr}/auth                                    # 401 with challenges");
    let _ = writeln!(
        out,
        "  {} 'http://{addr}/auth?group=admins'   # 403: not in group",
        curl(*schemes.first().unwrap_or(&Scheme::Basic))
    );
    if d.cfg.session.is_some() {
        let _ = writeln!(out, "\nSign in from a browser: {}", login_url(d));
    }
    let _ = write!(
        out,
        r#"
Protect an nginx location with it (the upstream block keeps connections alive):
  upstream wicket {{ server {addr}; keepalive 16; }}
  location = /_wicket {{
      internal;
      proxy_pass http://wicket/auth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host; # [[rule]] host = "..." and rd need it
      proxy_set_header X-Real-IP $remote_addr;      # per-client throttling needs it
  }}
  location /private/ {{
      auth_request /_wicket;
      auth_request_set $wicket_user $upstream_http_remote_user;
      proxy_set_header Remote-User $wicket_user;
      proxy_set_header Authorization "";            # the application never sees the password
      proxy_pass http://127.0.0.1:8080;
  }}

Through that location (put your nginx's address for localhost):
"#
    );
    for &s in schemes {
        let _ = writeln!(out, "  {} http://localhost/private/", curl(s));
    }
    if d.cfg.session.is_some() {
        out.push_str(&portal_redirect(d));
    }
    out.push_str(&through_old_nginx(schemes));
    out
}

/// The portal's sign-in page: `portal_url` when set, else the demo's own address.
fn login_url(d: &Demo) -> String {
    let base = d.cfg.session.as_ref().and_then(|s| s.portal_url.clone());
    let base = base.unwrap_or_else(|| format!("http://{}", d.cfg.server.listen));
    format!("{}/login", base.trim_end_matches('/'))
}

/// The nginx redirect idiom: a browser without a session goes to the portal and comes back.
fn portal_redirect(d: &Demo) -> String {
    let addr = d.cfg.server.listen;
    format!(
        r#"
Send browsers without a session to the sign-in page instead of a 401: the same location
with two more lines and a named one (docs/examples/nginx-portal.conf has a whole file).
Open the site on the portal's host ({host}, any port) so the browser sends the session cookie.
  location /private/ {{
      auth_request /_wicket;
      auth_request_set $wicket_user $upstream_http_remote_user;
      auth_request_set $wicket_login $upstream_http_location;   # {login}?rd=...
      error_page 401 = @wicket_401;
      proxy_set_header Remote-User $wicket_user;
      proxy_set_header Authorization "";
      proxy_pass http://127.0.0.1:8080;
  }}
  location @wicket_401 {{
      if ($wicket_login) {{ return 302 $wicket_login; }}
      return 401;                                   # wrong credentials stay a 401
  }}
"#,
        host = addr.ip(),
        login = login_url(d),
    )
}

/// What nginx before 1.23 (Debian 12 ships 1.22) does to the challenges: it passes only the
/// first `WWW-Authenticate` header of a 401 from `/auth` on to the client. Basic and Bearer
/// clients send their credentials without waiting for a challenge; a Digest client needs a
/// Digest challenge, so Digest works through such an nginx only when it comes first.
fn through_old_nginx(schemes: &[Scheme]) -> String {
    let Some(&first) = schemes.first() else { return String::new() };
    let name = |s: Scheme| match s {
        Scheme::Basic => "Basic",
        Scheme::Digest => "Digest",
        Scheme::Bearer => "Bearer",
    };
    if first == Scheme::Digest || !schemes.contains(&Scheme::Digest) {
        return format!(
            "\nnginx before 1.23 (Debian 12 has 1.22) passes on only the first challenge, here {}; the\n\
             lines above send their credentials without waiting for one, so all of them pass.\n",
            name(first)
        );
    }
    let order = schemes.iter().map(|&s| format!("\"{}\"", name(s).to_ascii_lowercase())).collect::<Vec<_>>();
    let mut digest_first = vec!["\"digest\"".to_string()];
    digest_first.extend(order.iter().filter(|s| *s != "\"digest\"").cloned());
    format!(
        r#"
nginx before 1.23 (Debian 12 has 1.22) passes on only the first challenge, here {first}.
curl --digest waits for a Digest challenge, never gets one through that nginx and ends with
401 (it works against wicketd directly, above); the other lines pass. For Digest through
nginx 1.22, offer Digest first (browsers then get a Digest prompt) and start the demo again:
  printf '[http]\nschemes = [{list}]\n' > /tmp/wicket-digest-first.toml
  wicketd --demo --config /tmp/wicket-digest-first.toml
  (from the source tree: cargo run --locked -p wicketd -- --demo --config /tmp/wicket-digest-first.toml)
"#,
        first = name(first),
        list = digest_first.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo(toml: &str) -> (tempfile::TempDir, Demo) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cfg = Config::parse(toml).unwrap_or_else(|e| panic!("{e}"));
        let d = prepare(dir.path(), cfg, None).unwrap_or_else(|e| panic!("{e:#}"));
        (dir, d)
    }

    /// The `location … { … }` blocks of an nginx snippet (man page escapes undone).
    fn locations(text: &str) -> Vec<String> {
        let text = text.replace("\\-", "-").replace("{{", "{").replace("}}", "}");
        let mut blocks = Vec::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("location ") {
            let from = &rest[at..];
            let Some(open) = from.find('{') else { break };
            let mut depth = 0;
            let mut end = from.len();
            for (i, c) in from.char_indices().skip(open) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = i + 1;
                    break;
                }
            }
            blocks.push(from[..end].to_string());
            rest = &from[end..];
        }
        blocks
    }

    /// Every auth subrequest sends the host (else host rules cannot match) and the client
    /// address; every protected location keeps the password from the application.
    fn check_nginx_snippets(origin: &str, text: &str) {
        let blocks = locations(text);
        let checks = blocks.iter().filter(|b| b.contains("proxy_pass http://wicket/auth")).collect::<Vec<_>>();
        let protected = blocks.iter().filter(|b| b.contains("auth_request /")).collect::<Vec<_>>();
        assert!(!checks.is_empty() && !protected.is_empty(), "{origin}: no nginx snippet found");
        for b in checks {
            let host = b.contains("proxy_set_header X-Forwarded-Host $host;")
                || b.contains("proxy_set_header X-Forwarded-Host $http_host;");
            assert!(host, "{origin}: no host sent in\n{b}");
            assert!(b.contains("proxy_set_header X-Real-IP $remote_addr;"), "{origin}: no client address in\n{b}");
            assert!(b.contains("proxy_set_header X-Original-URI $request_uri;"), "{origin}: no URI in\n{b}");
        }
        for b in protected {
            assert!(b.contains("proxy_set_header Authorization \"\";"), "{origin}: credentials passed on in\n{b}");
        }
    }

    #[test]
    fn every_nginx_snippet_sends_the_host_and_keeps_the_password_from_the_application() {
        let (_dir, d) = demo("");
        check_nginx_snippets("wicketd --demo", &banner(&d));
        check_nginx_snippets("README.md", include_str!("../../README.md"));
        check_nginx_snippets("docs/examples/nginx.conf", include_str!("../../docs/examples/nginx.conf"));
        check_nginx_snippets("docs/man/wicketd.8", include_str!("../../docs/man/wicketd.8"));
    }

    #[test]
    fn the_banner_says_what_digest_does_through_old_nginx() {
        let (_dir, d) = demo("");
        let b = banner(&d);
        assert!(b.contains("curl --digest waits for a Digest challenge"), "{b}");
        assert!(b.contains(r#"schemes = ["digest", "basic", "bearer"]"#), "{b}");
        assert!(b.contains("--demo --config /tmp/wicket-digest-first.toml"), "{b}");

        let (_dir, d) = demo("[http]\nschemes = [\"digest\", \"basic\", \"bearer\"]\n");
        let b = banner(&d);
        assert!(!b.contains("curl --digest waits"), "{b}");
        assert!(b.contains("here Digest"), "{b}");
        assert!(b.contains("--digest -u 'demo:") && b.contains("/private/"), "{b}");

        let (_dir, d) = demo("[http]\nschemes = [\"bearer\"]\n");
        let b = banner(&d);
        assert!(!b.contains("--basic") && !b.contains("--digest"), "only offered schemes get a line:\n{b}");
    }

    #[test]
    fn the_demo_keeps_the_given_config_but_its_store_and_socket() {
        let (dir, d) = demo("[server]\nrealm = \"elsewhere\"\n[http]\nschemes = [\"digest\", \"basic\"]\n");
        assert_eq!(d.cfg.server.realm, "elsewhere");
        assert_eq!(d.cfg.http.schemes, vec![Scheme::Digest, Scheme::Basic]);
        assert_eq!(d.cfg.store.path, dir.path().join("wicket.db"));
        assert_eq!(d.cfg.server.socket, dir.path().join("wicketd.sock"));
        let store = Store::open(&d.cfg.store.path, d.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
        let ha1 = store.get_ha1("demo", "elsewhere", wicket_core::config::DigestAlgorithm::Sha256);
        assert!(matches!(ha1, Ok(Some(_))), "Digest works in the configured realm: {ha1:?}");

        let (_dir, d) = demo("[server]\nsocket = \"\"\n");
        assert!(d.cfg.server.socket.as_os_str().is_empty(), "a socket turned off stays off");

        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let listen = SocketAddr::from(([127, 0, 0, 1], 9999));
        let d = prepare(dir.path(), Config::default(), Some(listen)).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(d.cfg.server.listen, listen);
    }

    #[test]
    fn the_demo_shows_the_portal_unless_the_config_has_its_own_session() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let listen = SocketAddr::from(([127, 0, 0, 1], 18089));
        let d = prepare(dir.path(), Config::default(), Some(listen)).unwrap_or_else(|e| panic!("{e:#}"));
        let s = d.cfg.session.clone().unwrap_or_else(|| panic!("the demo turns the portal on"));
        assert!(!s.secure, "plain HTTP on loopback: a Secure cookie would never come back");
        assert_eq!(s.portal_url.as_deref(), Some("http://127.0.0.1:18089"));
        assert_eq!(s.allowed_redirect_hosts, vec!["127.0.0.1".to_string()]);
        let b = banner(&d);
        assert!(b.contains("Sign in from a browser: http://127.0.0.1:18089/login\n"), "{b}");
        assert!(b.contains("auth_request_set $wicket_login $upstream_http_location;"), "{b}");
        assert!(b.contains("error_page 401 = @wicket_401;"), "{b}");
        assert!(b.contains("if ($wicket_login) { return 302 $wicket_login; }"), "{b}");
        assert!(b.contains("proxy_set_header X-Forwarded-Proto $scheme;"), "rd is https without it:\n{b}");

        let (_dir, d) = demo("[session]\nportal_url = \"https://auth.example.org\"\n");
        let s = d.cfg.session.clone().unwrap_or_else(|| panic!("[session] given"));
        assert!(s.secure, "a given [session] is kept as written");
        assert!(banner(&d).contains("Sign in from a browser: https://auth.example.org/login\n"));
    }

    #[test]
    fn the_demo_needs_a_local_backend() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cfg = Config::parse("[[backend]]\nkind = \"pam\"\n").unwrap_or_else(|e| panic!("{e}"));
        let e = prepare(dir.path(), cfg, None).err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(e.contains("local backend"), "{e}");
    }
}
