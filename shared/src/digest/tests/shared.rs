//! Verifiers sharing a key and a replay record, as several instances on one store do.

use super::*;
use std::collections::HashSet;
use std::sync::Mutex;

/// A shared record in memory: the set of (nonce hash, nc) used; `down` makes it unreachable.
#[derive(Debug, Default)]
struct Record {
    used: Mutex<HashSet<([u8; 32], u32)>>,
    expiries: Mutex<Vec<i64>>,
    down: std::sync::atomic::AtomicBool,
}

impl SharedNonceRecord for Record {
    fn record(&self, nonce_hash: &[u8; 32], nc: u32, expires_at: i64, _now: i64) -> Result<bool, String> {
        if self.down.load(std::sync::atomic::Ordering::Relaxed) {
            return Err("store unreachable".into());
        }
        self.expiries.lock().expect("lock").push(expires_at);
        Ok(self.used.lock().expect("lock").insert((*nonce_hash, nc)))
    }
}

fn instance(clock: &ManualClock, record: &Arc<Record>) -> Fixture {
    let verifier = DigestVerifier::shared(
        DigestSettings {
            realm: REALM.into(),
            algorithms: vec![Algorithm::Sha256],
            nonce_lifetime_secs: 300,
            max_tracked_nonces: 100,
        },
        NonceKey::from_bytes([7; 32]),
        Arc::clone(record) as Arc<dyn SharedNonceRecord>,
        Arc::new(clock.clone()),
    )
    .expect("settings");
    Fixture { clock: clock.clone(), verifier }
}

#[test]
fn a_nonce_from_one_instance_is_good_on_another_once() {
    let clock = ManualClock::new(T0);
    let record = Arc::new(Record::default());
    let (a, b) = (instance(&clock, &record), instance(&clock, &record));
    assert!(a.verifier.is_shared());
    let c = Client::answering(&a, Algorithm::Sha256);
    assert_eq!(verify(&b, &c, "/app/x?y=1"), ok());
    // The same count again, on either instance: a replay.
    assert_eq!(verify(&a, &c, "/app/x?y=1"), DigestOutcome::Stale { reason: "nonce count replayed" });
    assert_eq!(verify(&b, &c, "/app/x?y=1"), DigestOutcome::Stale { reason: "nonce count replayed" });
    // The next count is fresh wherever it goes; the record learns when the nonce expires.
    let mut next = c.clone();
    next.nc = "00000002".into();
    assert_eq!(verify(&a, &next, "/app/x?y=1"), ok());
    assert_eq!(*record.expiries.lock().expect("lock"), vec![T0 + 300; 4]);
    assert_eq!(a.verifier.tracked_nonces(), 0, "nothing is kept in memory");
}

#[test]
fn nc_zero_and_wrong_passwords_never_reach_the_record() {
    let clock = ManualClock::new(T0);
    let record = Arc::new(Record::default());
    let a = instance(&clock, &record);
    let mut zero = Client::answering(&a, Algorithm::Sha256);
    zero.nc = "00000000".into();
    assert_eq!(verify(&a, &zero, "/app/x?y=1"), DigestOutcome::Stale { reason: "nonce count replayed" });
    let mut wrong = Client::answering(&a, Algorithm::Sha256);
    wrong.password = b"wrong".to_vec();
    assert_eq!(verify(&a, &wrong, "/app/x?y=1"), DigestOutcome::Invalid("wrong response"));
    assert!(record.used.lock().expect("lock").is_empty());
}

#[test]
fn an_unreachable_record_is_unavailable_never_accepted() {
    let clock = ManualClock::new(T0);
    let record = Arc::new(Record::default());
    let a = instance(&clock, &record);
    record.down.store(true, std::sync::atomic::Ordering::Relaxed);
    let c = Client::answering(&a, Algorithm::Sha256);
    assert_eq!(verify(&a, &c, "/app/x?y=1"), DigestOutcome::Unavailable("store unreachable".into()));
    // Back: the count was not burnt.
    record.down.store(false, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(verify(&a, &c, "/app/x?y=1"), ok());
}

#[test]
fn a_nonce_under_another_key_is_still_stale() {
    let clock = ManualClock::new(T0);
    let record = Arc::new(Record::default());
    let a = instance(&clock, &record);
    let other = fixture(vec![Algorithm::Sha256]); // another key ([42; 32])
    let mut c = Client::answering(&other, Algorithm::Sha256);
    c.opaque = Some(a.verifier.key.opaque().to_owned());
    assert_eq!(verify(&a, &c, "/app/x?y=1"), DigestOutcome::Stale { reason: "nonce unknown" });
    // And an expired shared nonce is stale, not unavailable, without asking the record.
    let c = Client::answering(&a, Algorithm::Sha256);
    clock.advance(301);
    assert_eq!(verify(&a, &c, "/app/x?y=1"), DigestOutcome::Stale { reason: "nonce expired" });
    assert!(record.used.lock().expect("lock").is_empty());
}
