//! Another backend's user in Wicket groups, through the pipeline: a fake PAM backend
//! (handed in as the PAM factory) vouches for `Carol` with the directory group `staff`.

use super::*;
use crate::auth::{Backend, BackendAnswer};
use crate::clock::ManualClock;
use crate::store::Store;
use pool::SlowPool;

const T0: i64 = 1_800_000_000;

#[derive(Debug)]
struct FakePam;

impl Backend for FakePam {
    fn name(&self) -> &str {
        "pam"
    }
    fn verify_password(&self, user: &str, password: &Secret) -> BackendAnswer {
        if user != "Carol" || password.expose() != b"pw-carol" {
            return BackendAnswer::Unknown;
        }
        BackendAnswer::Accepted(Identity {
            name: user.into(),
            uid: Some(3000),
            gid: Some(3000),
            display_name: None,
            email: None,
            groups: vec!["staff".into(), "admins".into()],
            backend: "pam".into(),
            scopes: None,
        })
    }
}

fn fixture(dir: &tempfile::TempDir) -> (Config, Authenticator) {
    let text = format!(
        "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\n[http]\ncache_ttl = \"60s\"\n\
         [session]\nsecure = false\n\
         [[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"pam\"\n",
        dir.path().join("w.db").display()
    );
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&cfg.store.path, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    for (g, gid) in [("admins", 5000), ("ops", 5001)] {
        store.add_group(g, Some(gid), &cfg.users, T0).unwrap_or_else(|e| panic!("{e}"));
    }
    let clock: SharedClock = Arc::new(ManualClock::new(T0));
    let pam = |_: &crate::config::PamConfig| -> Arc<dyn Backend> { Arc::new(FakePam) };
    let auth = Authenticator::build(&cfg, clock, Some(&pam), Shared::with_pool(SlowPool::new(1)))
        .unwrap_or_else(|e| panic!("{e}"));
    (cfg, auth)
}

fn groups(o: &Outcome) -> Vec<String> {
    match &o.decision {
        Decision::Accepted(id) => id.groups.clone(),
        other => panic!("{other:?}"),
    }
}

fn member(cfg: &Config, add: bool, group: &str) {
    let mut s = Store::open(&cfg.store.path, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let done = if add { s.add_member("pam:carol", group) } else { s.remove_member("pam:carol", group) };
    assert_eq!(done.ok(), Some(true));
}

#[tokio::test]
async fn wicket_groups_join_the_directory_groups_and_follow_changes_at_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (cfg, auth) = fixture(&dir);
    let ctx = Context::http(None, "GET", "/");
    let carol = || Credential::Password { user: "Carol".into(), secret: Secret::from("pw-carol") };
    assert_eq!(groups(&auth.verify(carol(), &ctx).await), vec!["staff", "admins"]);
    // Stored under the canonical name; a group the directory already gave is not repeated.
    member(&cfg, true, "ops");
    member(&cfg, true, "admins");
    assert_eq!(groups(&auth.verify(carol(), &ctx).await), vec!["staff", "admins", "ops"]);
    let cached = auth.verify(carol(), &ctx).await;
    assert!(cached.event.quiet, "the merged identity is what the cache keeps");
    assert_eq!(groups(&cached), vec!["staff", "admins", "ops"]);
    // A session carries them too, and sees a removal on its next check.
    let id = match auth.verify(carol(), &ctx).await.decision {
        Decision::Accepted(id) => id,
        other => panic!("{other:?}"),
    };
    let s = auth.open_session(&id, false).unwrap_or_else(|e| panic!("{e}"));
    let cookie = || Credential::Session(Secret::from_string(String::from_utf8_lossy(s.cookie.expose()).into_owned()));
    assert_eq!(groups(&auth.verify(cookie(), &ctx).await), vec!["staff", "admins", "ops"]);
    member(&cfg, false, "ops");
    assert_eq!(groups(&auth.verify(carol(), &ctx).await), vec!["staff", "admins"]);
    assert_eq!(groups(&auth.verify(cookie(), &ctx).await), vec!["staff", "admins"]);
    // Another process (or a restart) reads the row: the Wicket groups are added to it again.
    member(&cfg, true, "ops");
    let (_, fresh) = fixture_again(&cfg);
    assert_eq!(groups(&fresh.verify(cookie(), &ctx).await), vec!["staff", "admins", "ops"]);
}

fn fixture_again(cfg: &Config) -> (Config, Authenticator) {
    let clock: SharedClock = Arc::new(ManualClock::new(T0));
    let pam = |_: &crate::config::PamConfig| -> Arc<dyn Backend> { Arc::new(FakePam) };
    let auth = Authenticator::build(cfg, clock, Some(&pam), Shared::with_pool(SlowPool::new(1)))
        .unwrap_or_else(|e| panic!("{e}"));
    (cfg.clone(), auth)
}
