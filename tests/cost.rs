//! Unknown users cost the same argon2 work as wrong passwords (wicketd(8): "the answer for
//! an unknown user takes as long as for a wrong password").
//!
//! The work is observed, not timed: argon2 allocates its whole working memory — `m` KiB —
//! in one block per run, so a counting allocator sees each run and its memory cost. The
//! count is kept per thread (`LocalBackend::verify_password` runs on the caller's thread),
//! so tests running in parallel do not disturb it. This lives here rather than in
//! wicket-core's unit tests because that crate forbids `unsafe`, which an allocator needs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::sync::Arc;
use wicket_core::auth::{Backend, BackendAnswer, Rejection};
use wicket_core::clock::SystemClock;
use wicket_core::config::Config;
use wicket_core::local::{LocalBackend, PasswordPolicy};
use wicket_core::secret::Secret;
use wicket_core::store::{AccountState, NewUser, Store};

/// Allocations at least this large are argon2 working memory (the smallest allowed cost
/// is 19 MiB); nothing else in a verification comes near.
const BIG: usize = 8 << 20;

/// Up to this many big allocations are recorded per measurement.
const SLOTS: usize = 8;

/// The sizes of this thread's big allocations while recording, in a fixed array so that
/// recording never allocates.
struct Record {
    on: bool,
    sizes: [usize; SLOTS],
    n: usize,
}

thread_local! {
    static RECORD: RefCell<Record> = const { RefCell::new(Record { on: false, sizes: [0; SLOTS], n: 0 }) };
}

/// The system allocator, noting big allocations on threads that are recording.
struct Counting;

// SAFETY: every call is passed unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the bookkeeping only reads the layout and touches a const-initialised
// thread-local without a destructor (no allocation, no re-entry).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: same layout, same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout (every allocation goes there).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: as for `dealloc`; `new_size` is the caller's, unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn note(size: usize) {
    if size < BIG {
        return;
    }
    let _ = RECORD.try_with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            if r.on && r.n < SLOTS {
                let n = r.n;
                r.sizes[n] = size;
                r.n += 1;
            }
        }
    });
}

/// The argon2 runs `f` makes on this thread, as their working memory in KiB.
fn argon2_runs(f: impl FnOnce()) -> Vec<usize> {
    RECORD.with(|r| *r.borrow_mut() = Record { on: true, sizes: [0; SLOTS], n: 0 });
    f();
    let (sizes, n) = RECORD.with(|r| {
        let mut r = r.borrow_mut();
        r.on = false;
        (r.sizes, r.n)
    });
    sizes[..n].iter().map(|s| s / 1024).collect()
}

/// A store with `alice` (password "pw-alice"), `locked` (locked, same password) and
/// `nopw` (no password), under a non-default argon2 memory cost.
fn backend(dir: &tempfile::TempDir) -> LocalBackend {
    let db = dir.path().join("w.db");
    let text = format!("[store]\npath = \"{}\"\n[passwords]\nargon2_memory_kib = 24576\n", db.display());
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let policy = Arc::new(PasswordPolicy::from_config(&cfg).unwrap_or_else(|e| panic!("{e}")));
    let mut store = Store::open(&db, cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"));
    for (name, pw) in [("alice", Some("pw-alice")), ("locked", Some("pw-alice")), ("nopw", None)] {
        let rec = pw.map(|pw| policy.record(name, &Secret::from(pw)).unwrap_or_else(|e| panic!("{e}")));
        let new = NewUser { name: name.into(), ..NewUser::default() };
        store.add_user(&new, &cfg.users, rec.as_ref(), 0).unwrap_or_else(|e| panic!("{e}"));
    }
    store.set_state("locked", AccountState::Locked, 0).unwrap_or_else(|e| panic!("{e}"));
    LocalBackend::new(&cfg, policy, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn unknown_users_cost_one_argon2_run_like_a_wrong_password() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let b = backend(&dir);
    let check = |user: &str, pw: &str| b.verify_password(user, &Secret::from(pw));
    let mut answer = None;
    // A wrong password: one argon2 run at the configured cost.
    let wrong = argon2_runs(|| answer = Some(check("alice", "wrong")));
    assert!(matches!(answer, Some(BackendAnswer::Rejected(Rejection::BadCredentials))), "{answer:?}");
    assert_eq!(wrong, [24576], "a wrong password's argon2 runs (KiB)");
    // The first unknown user also makes the dummy hash: at least the same work.
    let first = argon2_runs(|| answer = Some(check("zed", "pw")));
    assert!(matches!(answer, Some(BackendAnswer::Unknown)), "{answer:?}");
    let same_cost = first.iter().all(|&m| m == 24576);
    assert!(first.len() >= wrong.len() && same_cost, "the first unknown user cost {first:?} (KiB), not {wrong:?}");
    // From then on: exactly the work of a wrong password.
    for (user, pw) in [("zed", "pw"), ("yves", ""), ("nopw", "pw"), ("alice", "")] {
        let runs = argon2_runs(|| answer = Some(check(user, pw)));
        assert_eq!(runs, wrong, "{user}:{pw:?} → {answer:?} did not cost what a wrong password costs");
    }
    // The right password of a locked account costs the same and reveals nothing first.
    let runs = argon2_runs(|| answer = Some(check("locked", "pw-alice")));
    assert!(matches!(answer, Some(BackendAnswer::Rejected(Rejection::Locked))), "{answer:?}");
    assert_eq!(runs, wrong);
}
