//! Sign in with an OpenID Connect provider end to end (issue 16): a real provider (the
//! `oidc-provider` package, tests/browser/oidc-provider.mjs) on loopback, wicketd with
//! `[[oidc]]`, nginx from docs/examples/nginx-portal.conf, and headless Chromium driving
//! tests/browser/oidc.mjs: protected page → portal → provider → back signed in with
//! `Remote-User` and groups at the upstream; a replayed callback, a user outside
//! `allowed_groups` and a provider that is down each get a clear page. Then the store and
//! `wicket user list` show where carol comes from.
use crate::portal::{portal_nginx, require_browser, run_script};
use crate::support::servers::{Wicketd, reserve_port};
use crate::support::{Env, wait_until};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("..")).to_path_buf()
}

/// The provider process, stopped on drop.
struct Provider(Child);

impl Provider {
    fn start(port: u16, redirect: &str, secret: &str) -> Self {
        let child = Command::new("node")
            .arg(repo().join("tests/browser/oidc-provider.mjs"))
            .env("OIDC_PORT", port.to_string())
            .env("OIDC_REDIRECT_URI", redirect)
            .env("OIDC_CLIENT_SECRET", secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("node: {e}"));
        let p = Self(child);
        wait_until(Duration::from_secs(20), "the OpenID provider answers", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        p
    }

    fn output(&mut self) -> String {
        let _ = self.0.kill();
        let mut s = String::new();
        if let Some(mut e) = self.0.stderr.take() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_browser_signs_in_through_an_openid_provider() {
    if !require_browser(true) {
        return;
    }
    let env = Env::new();
    env.ok(&["group", "add", "admins"], "");
    let (port, upstream, wiki, idp, down) =
        (reserve_port(), reserve_port(), reserve_port(), reserve_port(), reserve_port());
    let portal = format!("http://auth.example.org:{port}");
    let secret_file = env.dir.path().join("oidc.secret");
    std::fs::write(&secret_file, "test-client-secret\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap_or_else(|e| panic!("{e}"));
    let mut provider = Provider::start(idp, &format!("{portal}/oidc/callback"), "test-client-secret");
    let config = format!(
        "[session]\nsecure = false\ndomain = \"example.org\"\nportal_url = \"{portal}\"\n\
         [[oidc]]\nname = \"Example ID\"\nissuer = \"http://127.0.0.1:{idp}\"\nclient_id = \"wicket\"\n\
         client_secret_file = \"{}\"\ngroups_claim = \"groups\"\nallowed_groups = [\"staff\"]\n\
         provision = \"create\"\nuserinfo = true\n\
         [[oidc]]\nname = \"Down ID\"\nissuer = \"http://127.0.0.1:{down}\"\nclient_id = \"wicket\"\nclient_secret = \"x\"\n",
        secret_file.display()
    );
    // Wicket groups join the provider's: carol is made an admin before she ever signs in.
    let wicketd = Wicketd::start(&env, &config);
    env.ok(&["--config", &wicketd_config(&env), "group", "add-member", "admins", "oidc:carol"], "");
    let nginx = portal_nginx(env.dir.path(), port, upstream, wiki, wicketd.port);
    let vars = [
        ("WICKET_PORTAL_URL", portal.clone()),
        ("WICKET_RESOLVE", "MAP *.example.org 127.0.0.1".to_string()),
        ("WICKET_APP_URL", format!("http://app.example.org:{port}/page")),
    ];
    let said = run_script("oidc.mjs", &vars, || {
        format!("nginx:\n{}\nwicketd:\n{}\nprovider:\n{}", nginx.error_log(), wicketd.log(), "(see below)")
    });
    assert!(said.contains("oidc: 5 passed"), "{said}\nprovider:\n{}", provider.output());
    // The subject is recorded with the mapped name; the log holds no code or secret.
    let rows = env.query_texts(
        "SELECT provider || ' | ' || subject || ' | ' || backend || ':' || user_name FROM external_identities",
    );
    assert_eq!(rows, vec!["Example ID | carol | oidc:carol".to_string()]);
    let log = wicketd.log();
    assert!(!log.contains("test-client-secret"), "{log}");
    assert!(log.contains("not allowed") || log.contains("no allowed group"), "the refusal is logged: {log}");
}

/// The config file [`Wicketd::start`] wrote (so the CLI sees `[[oidc]]` and takes `oidc:`).
fn wicketd_config(env: &Env) -> String {
    env.dir.path().join("wicketd.toml").display().to_string()
}
