//! The pipeline against a real SQLite store: throttle keys, coalescing, Digest.

use super::*;
use crate::auth::Rejection;
use crate::clock::ManualClock;
use crate::digest::{Algorithm, ResponseParams, expected_response, ha1, parse_digest, userhash};
use crate::local::PasswordPolicy;
use crate::store::{NewUser, Store};
use std::net::IpAddr;

const T0: i64 = 1_800_000_000;

struct Fx {
    _dir: tempfile::TempDir,
    auth: Arc<Authenticator>,
}

fn fixture(pool_threads: usize) -> Fx {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"0s\"]\nmax_failures = 3\n[http]\ncache_ttl = \"60s\"\n",
        dir.path().join("w.db").display()
    );
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&cfg.store.path, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    let policy = PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let rec = policy.record("alice", &Secret::from("pw-alice")).unwrap_or_else(|e| panic!("{e}"));
    let new = NewUser { name: "alice".into(), ..NewUser::default() };
    store.add_user(&new, &cfg.users, Some(&rec), T0).unwrap_or_else(|e| panic!("{e}"));
    let clock: SharedClock = Arc::new(ManualClock::new(T0));
    let shared = Shared::with_pool(SlowPool::new(pool_threads));
    let auth = Authenticator::build(&cfg, clock, None, shared).unwrap_or_else(|e| panic!("{e}"));
    Fx { _dir: dir, auth: Arc::new(auth) }
}

fn password(user: &str, pw: &str) -> Credential {
    Credential::Password { user: user.into(), secret: Secret::from(pw) }
}

fn http(client: &str) -> Context {
    Context::http(Some(client.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]))), "GET", "/")
}

/// A Digest response from alice's client to the first challenge; `by_hash` sends userhash.
fn digest(auth: &Authenticator, pw: &str, by_hash: bool) -> Credential {
    let Some(verifier) = auth.digest() else { panic!("digest offered by default") };
    let challenge = verifier.challenges(false).remove(0);
    let field = |name: &str| {
        let start = challenge.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("{name}")) + name.len() + 2;
        challenge[start..].split('"').next().unwrap_or_default().to_string()
    };
    let (nonce, opaque) = (field("nonce"), field("opaque"));
    let alg = Algorithm::Sha256;
    let h = ha1(alg, "alice", "wicket", pw.as_bytes());
    let params =
        ResponseParams { nonce: &nonce, nc: "00000001", cnonce: "c0ffee", qop: "auth", method: "GET", uri: "/x" };
    let response = expected_response(alg, h.expose(), &params);
    let username = if by_hash { userhash(alg, "alice", "wicket") } else { "alice".into() };
    let header = format!(
        "username=\"{username}\", realm=\"wicket\", nonce=\"{nonce}\", uri=\"/x\", response=\"{response}\", \
         qop=auth, nc=00000001, cnonce=\"c0ffee\", algorithm=SHA-256, opaque=\"{opaque}\", userhash={by_hash}"
    );
    let parsed = parse_digest(header.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    Credential::Digest { response: Box::new(parsed), method: "GET".into(), uri: "/x".into() }
}

#[tokio::test]
async fn userhash_guesses_count_against_the_account() {
    let fx = fixture(1);
    // From a trusted proxy that sent no client address: only the account key is there.
    let ctx = Context::http(None, "GET", "/x");
    for _ in 0..3 {
        let o = fx.auth.verify(digest(&fx.auth, "guess", true), &ctx).await;
        assert_eq!(o.decision, Decision::Rejected(Rejection::BadCredentials));
        assert_eq!(o.event.user, "alice", "the userhash was resolved to its account");
    }
    let o = fx.auth.verify(password("alice", "pw-alice"), &ctx).await;
    assert!(matches!(o.decision, Decision::Throttled(_)), "{:?}", o.decision);
    let o = fx.auth.verify(digest(&fx.auth, "pw-alice", true), &ctx).await;
    assert!(matches!(o.decision, Decision::Throttled(_)), "a locked-out user cannot log in by userhash");
}

#[tokio::test]
async fn a_right_userhash_response_is_accepted() {
    let fx = fixture(1);
    let o = fx.auth.verify(digest(&fx.auth, "pw-alice", true), &http("192.0.2.1")).await;
    assert!(matches!(o.decision, Decision::Accepted(ref id) if id.name == "alice"), "{:?}", o.decision);
}

#[tokio::test]
async fn every_spelling_of_a_name_meets_one_counter() {
    let fx = fixture(1);
    for (i, spelling) in ["ALICE", " alice", "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}"].iter().enumerate() {
        // A different address each time: only the account key is shared.
        let o = fx.auth.verify(password(spelling, "guess"), &http(&format!("192.0.2.{}", i + 1))).await;
        assert!(!matches!(o.decision, Decision::Accepted(_) | Decision::Throttled(_)), "{:?}", o.decision);
    }
    let o = fx.auth.verify(password("alice", "pw-alice"), &http("192.0.2.9")).await;
    assert!(matches!(o.decision, Decision::Throttled(_)), "{:?}", o.decision);
}

#[tokio::test]
async fn a_local_caller_cannot_lock_a_remote_address_out() {
    let fx = fixture(1);
    for _ in 0..3 {
        let ctx = Context::socket(1000, "login", Some("192.0.2.7"));
        let o = fx.auth.verify(password(&format!("nobody{}", fx.auth.throttle_keys_tracked()), "x"), &ctx).await;
        assert_eq!(o.decision, Decision::Unknown);
    }
    let o = fx.auth.verify(password("alice", "pw-alice"), &http("192.0.2.7")).await;
    assert!(matches!(o.decision, Decision::Accepted(_)), "{:?}", o.decision);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_one_credential_runs_one_slow_verification() {
    let fx = fixture(1);
    // Hold the only slow-work thread until the whole burst is waiting.
    let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
    let shared = fx.auth.shared.clone();
    let gate = tokio::spawn(async move { shared.pool.run(move || gate_rx.recv().is_ok()).await });
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let auth = fx.auth.clone();
        tasks.push(tokio::spawn(async move { auth.verify(password("alice", "pw-alice"), &http("192.0.2.1")).await }));
    }
    let key = fx.auth.cache.key_for(&[b"password", b"alice", b"pw-alice"]);
    let mut spins = 0u64;
    while fx.auth.inflight.callers(&key) < 32 {
        spins += 1;
        assert!(spins < 10_000_000, "only {} callers joined", fx.auth.inflight.callers(&key));
        tokio::task::yield_now().await;
    }
    let _ = gate_tx.send(());
    assert_eq!(gate.await.ok().flatten(), Some(true));
    for t in tasks {
        let o = t.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(o.decision, Decision::Accepted(_)), "{:?}", o.decision);
    }
    assert_eq!(fx.auth.stats().slow_verifications.load(Ordering::Relaxed), 1);
    // And the next request is a cache hit, quietly logged.
    let o = fx.auth.verify(password("alice", "pw-alice"), &http("192.0.2.1")).await;
    assert!(matches!(o.decision, Decision::Accepted(_)));
    assert!(o.event.quiet);
    assert_eq!(fx.auth.stats().slow_verifications.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn failures_carry_the_throttle_delay_and_are_never_quiet() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "[store]\npath = \"{}\"\n[throttle]\ndelays = [\"1s\", \"2s\"]\nmax_failures = 9\n",
        dir.path().join("w.db").display()
    );
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let clock: SharedClock = Arc::new(ManualClock::new(T0));
    let auth =
        Authenticator::build(&cfg, clock, None, Shared::with_pool(SlowPool::new(1))).unwrap_or_else(|e| panic!("{e}"));
    let first = auth.verify(password("nobody", "x"), &http("192.0.2.1")).await;
    let second = auth.verify(password("nobody", "x"), &http("192.0.2.1")).await;
    assert_eq!((first.delay, second.delay), (Duration::from_secs(1), Duration::from_secs(2)));
    assert!(!first.event.quiet && !second.event.quiet);
    assert_eq!(first.event.outcome, "unknown_user");
}
