//! `wicketd --demo`: a throwaway store with user `demo` (random password, a token, group
//! `demo`), and ready-to-paste curl and nginx lines.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::Path;
use wicket_core::config::Config;
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

/// Creates the demo store in `dir`.
pub fn prepare(dir: &Path, listen: SocketAddr) -> Result<Demo> {
    let mut cfg = Config::default();
    cfg.server.listen = listen;
    cfg.store.path = dir.join("wicket.db");
    cfg.server.socket = dir.join("wicketd.sock");
    let mut store = Store::open(&cfg.store.path, cfg.store.busy_timeout).context("while creating the demo store")?;
    let password = random_password();
    let policy = PasswordPolicy::from_config(&cfg)?;
    let record = policy.record("demo", &password)?;
    let new = NewUser {
        name: "demo".into(),
        display_name: Some("Demo User".into()),
        email: Some("demo@example.org".into()),
        ..NewUser::default()
    };
    let now = wicket_core::clock::Clock::now(&wicket_core::clock::SystemClock);
    store.add_user(&new, &cfg.users, Some(&record), now)?;
    store.add_group("demo", None, &cfg.users, now)?;
    store.add_member("demo", "demo")?;
    let token = token::generate();
    store.add_token("demo", "demo", &token::hash(token.expose()), &[], None, now)?;
    Ok(Demo { cfg, password, token })
}

fn random_password() -> Secret {
    // 16 base62 characters from a fresh token's random part: ~95 bits.
    let t = token::generate();
    Secret::from(&t.expose_str().unwrap_or_default()[4..20])
}

/// The banner with ready-to-paste commands.
pub fn banner(d: &Demo) -> String {
    let addr = d.cfg.server.listen;
    let pw = d.password.expose_str().unwrap_or_default();
    let tok = d.token.expose_str().unwrap_or_default();
    format!(
        r#"
Wicket demo on http://{addr}  (Ctrl-C stops it; the store is thrown away)

  user: demo    password: {pw}    group: demo
  token: {tok}

Try it:
  curl -i --basic  -u 'demo:{pw}' http://{addr}/whoami
  curl -i --digest -u 'demo:{pw}' http://{addr}/whoami
  curl -i --oauth2-bearer '{tok}' http://{addr}/whoami
  curl -i http://{addr}/auth                                    # 401 with challenges
  curl -i -u 'demo:{pw}' 'http://{addr}/auth?group=admins'       # 403: not in group

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
      proxy_set_header X-Real-IP $remote_addr;
  }}
  location /private/ {{
      auth_request /_wicket;
      auth_request_set $wicket_user $upstream_http_remote_user;
      proxy_set_header Remote-User $wicket_user;
      proxy_pass http://127.0.0.1:8080;
  }}
"#
    )
}
