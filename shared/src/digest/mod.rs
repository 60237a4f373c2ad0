//! RFC 7616 Digest authentication, server side: pure and transport-independent.
//!
//! The HTTP layer hands this module the bytes after `Digest ` and the request target; it never
//! sees hashes, nonces or counts itself. Data flows:
//!
//! 1. **Challenge.** [`DigestVerifier::challenges`] issues a stateless nonce
//!    ([`nonce`]: timestamp, random bytes and an HMAC tag under a key made at startup) and
//!    formats one `WWW-Authenticate` value per offered algorithm, preferred first.
//! 2. **Parse.** [`parse_digest`] (or [`parse_authorization`] for the whole header value)
//!    turns untrusted bytes into a [`DigestResponse`] or a [`DigestError`]; it is total and
//!    bounded, and is the fuzzing entry point.
//! 3. **Verify.** [`DigestVerifier::verify`] checks, in this order: realm; algorithm was
//!    offered (so a client cannot fall back to MD5 unless MD5 is configured); `qop=auth`;
//!    `opaque`; `uri` equals the request target; then asks the caller for the user's HA1
//!    ([`compute`]: the server stores HA1 per realm and algorithm, never the password) and
//!    compares the response in constant time; only a right response learns whether its nonce
//!    is usable (expired or unknown → `Stale`, so `stale=true` never invites a retry of a
//!    wrong password), and only then is the nonce count recorded ([`replay`]), so
//!    unauthenticated requests cannot burn counts.
//!
//! Outcomes carry static reasons for the audit log; no secret (HA1, response, password) is
//! ever formatted. Time is read from the injected [`Clock`].

pub mod challenge;
pub mod compute;
pub mod error;
pub mod nonce;
pub mod parse;
pub mod replay;

use std::sync::Arc;

use crate::clock::Clock;
use crate::secret::Secret;

pub use challenge::challenge;
pub use compute::{Algorithm, ResponseParams, expected_response, ha1, ha2, responses_match, userhash, verify_response};
pub use error::DigestError;
pub use nonce::{MAX_FUTURE_SKEW_SECS, NonceCheck, NonceKey};
pub use parse::{
    DigestResponse, MAX_CREDENTIALS_LEN, MAX_PARAMETERS, NonceCount, QopAuth, parse_authorization, parse_digest,
};
pub use replay::{NcTracker, NcVerdict};

/// A sensible bound for [`DigestSettings::max_tracked_nonces`]: about 10 MiB at most.
pub const DEFAULT_MAX_TRACKED_NONCES: usize = 65_536;

/// What a [`DigestVerifier`] offers and enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSettings {
    /// The realm (HA1 values are bound to it). No control characters.
    pub realm: String,
    /// Offered algorithms, preferred first (`[Sha256]`, or `[Sha256, Md5]` for old clients).
    pub algorithms: Vec<Algorithm>,
    /// How long a nonce is accepted after issue; older ones get `stale=true`.
    pub nonce_lifetime_secs: i64,
    /// How many nonces the replay tracker remembers (see [`NcTracker`]).
    pub max_tracked_nonces: usize,
}

/// Who a response claims to be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// A user name, as sent (`username` or decoded `username*`).
    Name(String),
    /// `userhash=true`: H(user ":" realm) in lowercase hex for the response's algorithm; the
    /// caller maps it to a user (the store keeps it next to HA1).
    UserHash(String),
}

/// The verdict on a Digest response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestOutcome<U> {
    /// Authenticated as `user` (whatever the lookup returned with the HA1).
    Ok {
        /// The caller's handle for the user.
        user: U,
    },
    /// Nothing wrong with the password, but the nonce cannot be used: answer 401 with a fresh
    /// challenge carrying `stale=true`, and the client retries without prompting.
    Stale {
        /// Why, for logs: `"nonce expired"`, `"nonce count replayed"`, `"nonce forgotten"`.
        reason: &'static str,
    },
    /// Refused; the reason is static text for logs, never a secret. Answer 401 with a fresh
    /// challenge (without `stale`).
    Invalid(&'static str),
    /// The lookup knew no such user (or it has no HA1 for this realm and algorithm). The
    /// caller should spend the same time as a wrong response and answer like `Invalid`.
    UnknownUser,
}

/// Verifies Digest responses for one realm: the nonce key, the replay tracker, the offered
/// algorithms and the clock, bundled.
#[derive(Debug)]
pub struct DigestVerifier {
    realm: String,
    algorithms: Vec<Algorithm>,
    lifetime_secs: i64,
    key: NonceKey,
    tracker: NcTracker,
    clock: Arc<dyn Clock>,
}

impl DigestVerifier {
    /// A verifier with a fresh random nonce key.
    pub fn new(settings: DigestSettings, clock: Arc<dyn Clock>) -> Result<Self, DigestError> {
        Self::with_key(settings, NonceKey::generate()?, clock)
    }

    /// A verifier with a given nonce key (tests, or instances sharing a key).
    pub fn with_key(settings: DigestSettings, key: NonceKey, clock: Arc<dyn Clock>) -> Result<Self, DigestError> {
        let DigestSettings { realm, algorithms, nonce_lifetime_secs, max_tracked_nonces } = settings;
        if realm.chars().any(char::is_control) {
            return Err(DigestError::Config("realm contains a control character"));
        }
        let mut offered: Vec<Algorithm> = Vec::with_capacity(algorithms.len());
        for alg in algorithms {
            if !offered.contains(&alg) {
                offered.push(alg);
            }
        }
        if offered.is_empty() {
            return Err(DigestError::Config("no digest algorithm offered"));
        }
        if nonce_lifetime_secs <= 0 {
            return Err(DigestError::Config("nonce lifetime must be positive"));
        }
        if max_tracked_nonces == 0 {
            return Err(DigestError::Config("max tracked nonces must be positive"));
        }
        Ok(Self {
            realm,
            algorithms: offered,
            lifetime_secs: nonce_lifetime_secs,
            key,
            tracker: NcTracker::new(max_tracked_nonces, nonce_lifetime_secs),
            clock,
        })
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The offered algorithms, preferred first.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// How many nonces the replay tracker remembers now (for metrics).
    pub fn tracked_nonces(&self) -> usize {
        self.tracker.len()
    }

    /// Fresh `WWW-Authenticate` values, one per offered algorithm, preferred first, sharing one
    /// new nonce. Send them in this order (nginx forwards only the first header).
    pub fn challenges(&self, stale: bool) -> Vec<String> {
        let nonce = self.key.issue(&self.realm, self.clock.as_ref());
        self.algorithms.iter().map(|&alg| challenge(&self.realm, alg, &nonce, self.key.opaque(), stale)).collect()
    }

    /// Verifies a parsed response to a request with `method` and `request_target` (the
    /// original target: `X-Original-URI` behind nginx).
    ///
    /// `lookup` is called at most once, only after the cheap checks passed (a stale or unknown
    /// nonce is answered `Stale` only for a right response, so the HA1 is needed for it too),
    /// with who the response claims to be and its algorithm; it returns the caller's handle
    /// for the user and the HA1 (lowercase hex) stored for this realm and algorithm, or
    /// `None` if there is no such user or HA1.
    pub fn verify<U>(
        &self,
        resp: &DigestResponse,
        method: &str,
        request_target: &str,
        lookup: impl FnOnce(&UserRef, Algorithm) -> Option<(U, Secret)>,
    ) -> DigestOutcome<U> {
        if resp.realm != self.realm {
            return DigestOutcome::Invalid("realm mismatch");
        }
        if !self.algorithms.contains(&resp.algorithm) {
            return DigestOutcome::Invalid("algorithm not offered");
        }
        let Some(qop) = &resp.qop else {
            return DigestOutcome::Invalid("qop=auth required");
        };
        match &resp.opaque {
            Some(opaque) if self.key.check_opaque(opaque) => {}
            _ => return DigestOutcome::Invalid("opaque mismatch"),
        }
        if resp.uri != request_target {
            return DigestOutcome::Invalid("uri does not match the request target");
        }
        let nonce = self.key.check(&resp.nonce, &self.realm, self.clock.as_ref(), self.lifetime_secs);
        let who =
            if resp.userhash { UserRef::UserHash(resp.username.clone()) } else { UserRef::Name(resp.username.clone()) };
        let Some((user, ha1_hex)) = lookup(&who, resp.algorithm) else {
            return DigestOutcome::UnknownUser;
        };
        // The response is checked even when the nonce cannot be used: `stale=true` tells a
        // client to retry *without asking its user again*, so it is only for a right password.
        if !verify_response(&ha1_hex, resp, method) {
            return DigestOutcome::Invalid("wrong response");
        }
        let issued_at = match nonce {
            NonceCheck::Valid { issued_at } => issued_at,
            NonceCheck::Stale => return DigestOutcome::Stale { reason: "nonce expired" },
            // Most often a nonce issued before a restart: the client knows the password.
            NonceCheck::Invalid => return DigestOutcome::Stale { reason: "nonce unknown" },
        };
        match self.tracker.check_and_record(&resp.nonce, issued_at, qop.nc.value(), self.clock.now()) {
            NcVerdict::Fresh => DigestOutcome::Ok { user },
            NcVerdict::Replayed => DigestOutcome::Stale { reason: "nonce count replayed" },
            NcVerdict::Forgotten => DigestOutcome::Stale { reason: "nonce forgotten" },
        }
    }
}

#[cfg(test)]
mod tests {
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
            assert_eq!(
                verify(&f, &c, target),
                DigestOutcome::Invalid("uri does not match the request target"),
                "{target}"
            );
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
}
