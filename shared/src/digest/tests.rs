use super::*;
use crate::clock::ManualClock;

const REALM: &str = "wicket";
const T0: i64 = 1_700_000_000;
const USER: &str = "alice";
const PASSWORD: &[u8] = b"correct horse";

struct Fixture {
    clock: ManualClock,
    verifier: DigestVerifier,
}

fn fixture(algorithms: Vec<Algorithm>) -> Fixture {
    let clock = ManualClock::new(T0);
    let verifier = DigestVerifier::with_key(
        DigestSettings { realm: REALM.into(), algorithms, nonce_lifetime_secs: 300, max_tracked_nonces: 100 },
        NonceKey::from_bytes([42; 32]),
        Arc::new(clock.clone()),
    )
    .expect("settings");
    Fixture { clock, verifier }
}

/// What a client sends: built field by field so tests can bend any of them.
#[derive(Clone)]
struct Client {
    username: String,
    userhash: bool,
    realm: String,
    nonce: String,
    uri: String,
    algorithm: Option<Algorithm>,
    opaque: Option<String>,
    nc: String,
    cnonce: String,
    password: Vec<u8>,
    method: String,
}

impl Client {
    /// Answers the first challenge of `f`, as a browser would.
    fn answering(f: &Fixture, alg: Algorithm) -> Self {
        let nonce = f.verifier.key.issue(REALM, &f.clock);
        Self {
            username: USER.into(),
            userhash: false,
            realm: REALM.into(),
            nonce,
            uri: "/app/x?y=1".into(),
            algorithm: Some(alg),
            opaque: Some(f.verifier.key.opaque().to_owned()),
            nc: "00000001".into(),
            cnonce: "0a4f113b".into(),
            password: PASSWORD.to_vec(),
            method: "GET".into(),
        }
    }

    fn header(&self) -> String {
        let alg = self.algorithm.unwrap_or(Algorithm::Md5);
        let ha1 = ha1(alg, USER, &self.realm, &self.password);
        let response = expected_response(
            alg,
            ha1.expose(),
            &ResponseParams {
                nonce: &self.nonce,
                nc: &self.nc,
                cnonce: &self.cnonce,
                qop: "auth",
                method: &self.method,
                uri: &self.uri,
            },
        );
        let mut h = format!(
            "username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{response}\", \
             qop=auth, nc={}, cnonce=\"{}\"",
            self.username, self.realm, self.nonce, self.uri, self.nc, self.cnonce
        );
        if let Some(a) = self.algorithm {
            h.push_str(&format!(", algorithm={}", a.as_str()));
        }
        if let Some(o) = &self.opaque {
            h.push_str(&format!(", opaque=\"{o}\""));
        }
        if self.userhash {
            h.push_str(", userhash=true");
        }
        h
    }

    fn parsed(&self) -> DigestResponse {
        parse_digest(self.header().as_bytes()).expect("client header parses")
    }
}

/// A store holding alice's HA1 for both algorithms.
fn store(who: &UserRef, alg: Algorithm) -> Option<(String, Secret)> {
    let known = match who {
        UserRef::Name(n) => n == USER,
        UserRef::UserHash(h) => *h == userhash(alg, USER, REALM),
    };
    known.then(|| (USER.to_owned(), ha1(alg, USER, REALM, PASSWORD)))
}

fn verify(f: &Fixture, c: &Client, target: &str) -> DigestOutcome<String> {
    f.verifier.verify(&c.parsed(), "GET", target, store)
}

fn ok() -> DigestOutcome<String> {
    DigestOutcome::Ok { user: USER.to_owned() }
}

#[test]
fn rfc7616_vectors_through_the_verifier() {
    // The RFC's example uses its own nonce and opaque, so drive the pieces the verifier
    // uses: parse the RFC header and check the response against the RFC's HA1.
    for (alg, response) in [
        (Algorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
        (Algorithm::Sha256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ] {
        let header = format!(
            "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", \
             uri=\"/dir/index.html\", algorithm={}, \
             nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, \
             cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, \
             response=\"{response}\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
            alg.as_str()
        );
        let resp = parse_authorization(header.as_bytes()).expect("parses");
        let ha1 = ha1(alg, "Mufasa", "http-auth@example.org", b"Circle of Life");
        assert!(verify_response(&ha1, &resp, "GET"));
        assert!(!verify_response(&ha1, &resp, "POST"));
        let wrong = compute::ha1(alg, "Mufasa", "http-auth@example.org", b"circle of life");
        assert!(!verify_response(&wrong, &resp, "GET"));
    }
}

#[test]
fn good_response_is_accepted_once() {
    let f = fixture(vec![Algorithm::Sha256]);
    let c = Client::answering(&f, Algorithm::Sha256);
    assert_eq!(verify(&f, &c, "/app/x?y=1"), ok());
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Stale { reason: "nonce count replayed" });
    let mut next = c.clone();
    next.nc = "00000002".into();
    next.cnonce = "other".into();
    assert_eq!(verify(&f, &next, "/app/x?y=1"), ok());
    assert_eq!(f.verifier.tracked_nonces(), 1);
}

#[test]
fn md5_when_offered_and_default_algorithm() {
    let f = fixture(vec![Algorithm::Sha256, Algorithm::Md5]);
    let c = Client::answering(&f, Algorithm::Md5);
    assert_eq!(verify(&f, &c, "/app/x?y=1"), ok());
    // No `algorithm` parameter means MD5.
    let mut c = Client::answering(&f, Algorithm::Md5);
    c.algorithm = None;
    assert_eq!(verify(&f, &c, "/app/x?y=1"), ok());
}

#[test]
fn algorithm_not_offered_is_invalid() {
    // wget silently falls back to MD5; with only SHA-256 configured that must fail.
    let f = fixture(vec![Algorithm::Sha256]);
    let c = Client::answering(&f, Algorithm::Md5);
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Invalid("algorithm not offered"));
    let mut c = Client::answering(&f, Algorithm::Md5);
    c.algorithm = None;
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Invalid("algorithm not offered"));
    let f = fixture(vec![Algorithm::Md5]);
    let c = Client::answering(&f, Algorithm::Sha256);
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Invalid("algorithm not offered"));
}

#[test]
fn userhash_is_accepted() {
    let f = fixture(vec![Algorithm::Sha256]);
    let mut c = Client::answering(&f, Algorithm::Sha256);
    c.username = userhash(Algorithm::Sha256, USER, REALM);
    c.userhash = true;
    assert_eq!(verify(&f, &c, "/app/x?y=1"), ok());
    let mut c = Client::answering(&f, Algorithm::Sha256);
    c.username = userhash(Algorithm::Sha256, "mallory", REALM);
    c.userhash = true;
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::UnknownUser);
}

#[test]
fn realm_mismatch() {
    let f = fixture(vec![Algorithm::Sha256]);
    let mut c = Client::answering(&f, Algorithm::Sha256);
    c.realm = "Wicket".into();
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Invalid("realm mismatch"));
}

#[test]
fn qop_is_required() {
    let f = fixture(vec![Algorithm::Sha256]);
    let c = Client::answering(&f, Algorithm::Sha256);
    let mut resp = c.parsed();
    resp.qop = None;
    assert_eq!(f.verifier.verify(&resp, "GET", "/app/x?y=1", store), DigestOutcome::Invalid("qop=auth required"));
}

#[test]
fn opaque_must_match() {
    let f = fixture(vec![Algorithm::Sha256]);
    let mut c = Client::answering(&f, Algorithm::Sha256);
    c.opaque = None;
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Invalid("opaque mismatch"));
    c.opaque = Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS".into());
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Invalid("opaque mismatch"));
}

#[test]
fn uri_must_equal_the_request_target() {
    let f = fixture(vec![Algorithm::Sha256]);
    let c = Client::answering(&f, Algorithm::Sha256);
    for target in ["/app/x", "/app/x?y=2", "/APP/x?y=1", "http://h/app/x?y=1", ""] {
        assert_eq!(verify(&f, &c, target), DigestOutcome::Invalid("uri does not match the request target"), "{target}");
    }
    // A client that signs the path it is really asking for, but claims another uri.
    let mut c2 = Client::answering(&f, Algorithm::Sha256);
    c2.uri = "/public".into();
    assert_eq!(verify(&f, &c2, "/admin"), DigestOutcome::Invalid("uri does not match the request target"));
}

#[test]
fn expired_nonce_is_stale() {
    let f = fixture(vec![Algorithm::Sha256]);
    let c = Client::answering(&f, Algorithm::Sha256);
    f.clock.advance(301);
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Stale { reason: "nonce expired" });
}

#[test]
fn forged_or_foreign_nonce_is_never_accepted() {
    let f = fixture(vec![Algorithm::Sha256]);
    let mut forged = Client::answering(&f, Algorithm::Sha256);
    let mut n = forged.nonce.clone().into_bytes();
    n[10] = if n[10] == b'A' { b'B' } else { b'A' };
    forged.nonce = String::from_utf8(n).expect("ascii");
    let mut foreign_key = Client::answering(&f, Algorithm::Sha256);
    foreign_key.nonce = NonceKey::from_bytes([1; 32]).issue(REALM, &f.clock);
    let mut foreign_realm = Client::answering(&f, Algorithm::Sha256);
    foreign_realm.nonce = f.verifier.key.issue("other realm", &f.clock);
    for c in [forged, foreign_key, foreign_realm] {
        // Right password: retry with a fresh nonce (stale), never accepted as is.
        assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Stale { reason: "nonce unknown" });
        // Wrong password: a plain failure, never stale.
        let mut wrong = c.clone();
        wrong.password = b"guess".to_vec();
        assert_eq!(verify(&f, &wrong, "/app/x?y=1"), DigestOutcome::Invalid("wrong response"));
    }
}

#[test]
fn wrong_password_on_an_expired_nonce_is_not_stale() {
    let f = fixture(vec![Algorithm::Sha256]);
    let mut c = Client::answering(&f, Algorithm::Sha256);
    c.password = b"guess".to_vec();
    f.clock.advance(301);
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::Invalid("wrong response"));
}

#[test]
fn wrong_password_is_invalid_and_burns_no_count() {
    let f = fixture(vec![Algorithm::Sha256]);
    let good = Client::answering(&f, Algorithm::Sha256);
    let mut bad = good.clone();
    bad.password = b"wrong".to_vec();
    assert_eq!(verify(&f, &bad, "/app/x?y=1"), DigestOutcome::Invalid("wrong response"));
    assert_eq!(f.verifier.tracked_nonces(), 0);
    // The attacker's attempt did not consume nc=1 for the real client.
    assert_eq!(verify(&f, &good, "/app/x?y=1"), ok());
    // Signed for another method.
    let mut post = Client::answering(&f, Algorithm::Sha256);
    post.method = "POST".into();
    assert_eq!(verify(&f, &post, "/app/x?y=1"), DigestOutcome::Invalid("wrong response"));
}

#[test]
fn unknown_user() {
    let f = fixture(vec![Algorithm::Sha256]);
    let mut c = Client::answering(&f, Algorithm::Sha256);
    c.username = "mallory".into();
    assert_eq!(verify(&f, &c, "/app/x?y=1"), DigestOutcome::UnknownUser);
}

#[test]
fn lookup_is_not_called_before_the_cheap_checks() {
    let f = fixture(vec![Algorithm::Sha256]);
    let c = Client::answering(&f, Algorithm::Sha256);
    let mut called = false;
    let out: DigestOutcome<()> = f.verifier.verify(&c.parsed(), "GET", "/elsewhere", |_, _| {
        called = true;
        None
    });
    assert_eq!(out, DigestOutcome::Invalid("uri does not match the request target"));
    assert!(!called);
}

#[test]
fn malformed_ha1_from_the_store_fails_closed() {
    let f = fixture(vec![Algorithm::Sha256]);
    let c = Client::answering(&f, Algorithm::Sha256);
    let out = f.verifier.verify(&c.parsed(), "GET", "/app/x?y=1", |_, _| {
        // An MD5 HA1 handed back for a SHA-256 response.
        Some(((), ha1(Algorithm::Md5, USER, REALM, PASSWORD)))
    });
    assert_eq!(out, DigestOutcome::Invalid("wrong response"));
}

#[test]
fn challenges_are_fresh_and_ordered() {
    let f = fixture(vec![Algorithm::Sha256, Algorithm::Md5, Algorithm::Sha256]);
    assert_eq!(f.verifier.algorithms(), &[Algorithm::Sha256, Algorithm::Md5]);
    let cs = f.verifier.challenges(false);
    assert_eq!(cs.len(), 2);
    assert!(cs[0].contains("algorithm=SHA-256"));
    assert!(cs[1].contains("algorithm=MD5"));
    assert!(cs[0].starts_with("Digest realm=\"wicket\", qop=\"auth\""));
    assert!(!cs[0].contains("stale"));
    assert!(f.verifier.challenges(true)[0].ends_with(", stale=true"));
    assert!(cs[0].contains(&format!("opaque=\"{}\"", f.verifier.key.opaque())));
    assert_ne!(f.verifier.challenges(false), cs, "a new nonce each time");
}

#[test]
fn a_challenge_can_be_answered() {
    // End to end through the strings only: challenge → client → header → verify.
    let f = fixture(vec![Algorithm::Sha256]);
    let ch = &f.verifier.challenges(false)[0];
    let field = |name: &str| -> String {
        let start = ch.find(&format!("{name}=\"")).expect("field") + name.len() + 2;
        ch[start..].split('"').next().expect("value").to_owned()
    };
    let mut c = Client::answering(&f, Algorithm::Sha256);
    c.nonce = field("nonce");
    c.opaque = Some(field("opaque"));
    let header = format!("Digest {}", c.header());
    let resp = parse_authorization(header.as_bytes()).expect("parses");
    assert_eq!(f.verifier.verify(&resp, "GET", "/app/x?y=1", store), ok());
}

#[test]
fn settings_are_validated() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(T0));
    let good = DigestSettings {
        realm: REALM.into(),
        algorithms: vec![Algorithm::Sha256],
        nonce_lifetime_secs: 300,
        max_tracked_nonces: DEFAULT_MAX_TRACKED_NONCES,
    };
    assert!(DigestVerifier::new(good.clone(), Arc::clone(&clock)).is_ok());
    for bad in [
        DigestSettings { realm: "a\r\nb".into(), ..good.clone() },
        DigestSettings { algorithms: vec![], ..good.clone() },
        DigestSettings { nonce_lifetime_secs: 0, ..good.clone() },
        DigestSettings { max_tracked_nonces: 0, ..good.clone() },
    ] {
        assert!(matches!(DigestVerifier::new(bad, Arc::clone(&clock)), Err(DigestError::Config(_))));
    }
}

#[test]
fn debug_output_holds_no_secrets() {
    let f = fixture(vec![Algorithm::Sha256]);
    let dbg = format!("{:?}", f.verifier);
    assert!(dbg.contains("NonceKey(***)"), "{dbg}");
    let c = Client::answering(&f, Algorithm::Sha256);
    let resp = c.parsed();
    assert!(!format!("{resp:?}").contains(&resp.response));
}

mod shared;
