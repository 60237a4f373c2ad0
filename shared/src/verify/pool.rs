//! Slow work (argon2, LDAP binds, the system PAM stack) runs on a small fixed set of threads,
//! never on the async reactor. A fixed set, not tokio's growing blocking pool: each thread's
//! allocator arena keeps the KDF's ~19 MiB working memory for reuse, so memory is bounded by
//! the number of threads instead of growing with every new blocking thread a burst creates.
//!
//! Concurrent verifications of the same credential are coalesced: one runs, the others wait
//! for its answer ([`Coalescer`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed set of worker threads.
#[derive(Debug)]
pub struct SlowPool {
    queue: Mutex<mpsc::Sender<Job>>,
    threads: usize,
}

impl SlowPool {
    /// Starts `threads` workers (at least one).
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("wicket-slow-{i}")).spawn(move || {
                loop {
                    let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(job) = next else { break };
                    // A panicking job loses its answer (the caller sees "unavailable"), not
                    // the worker.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            });
            if let Err(e) = spawned {
                tracing::error!("could not start a verification thread: {e}");
            }
        }
        Self { queue: Mutex::new(tx), threads }
    }

    /// One worker per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map(std::num::NonZeroUsize::get).unwrap_or(2))
    }

    /// How many workers there are.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `f` on a worker; `None` if the job could not run to its end.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).send(job).ok()?;
        rx.await.ok()
    }
}

/// Runs one computation per key at a time; callers arriving while it runs share its result.
#[derive(Debug)]
pub struct Coalescer<K, V> {
    inflight: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K: Hash + Eq + Clone, V: Clone> Default for Coalescer<K, V> {
    fn default() -> Self {
        Self { inflight: Mutex::new(HashMap::new()) }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Coalescer<K, V> {
    /// The value for `key`: computed by `make` unless a computation for `key` is already
    /// under way, whose result is then shared. Returns the value and whether this caller
    /// computed it. If the computing caller goes away, a waiting one takes over.
    pub async fn run<F, Fut>(&self, key: K, make: F) -> (V, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = {
            let mut map = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.clone()).or_insert_with(|| Arc::new(OnceCell::new())).clone()
        };
        let mut computed = false;
        let value = cell
            .get_or_init(|| {
                computed = true;
                make()
            })
            .await
            .clone();
        let mut map = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            map.remove(&key);
        }
        (value, computed)
    }

    /// Computations under way (for tests and metrics).
    pub fn len(&self) -> usize {
        self.inflight.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Callers holding the computation for `key` (tests).
    #[cfg(test)]
    pub(crate) fn callers(&self, key: &K) -> usize {
        let map = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).map_or(0, |c| Arc::strong_count(c) - 1)
    }

    /// True when nothing is under way.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn the_pool_runs_jobs_and_survives_a_panic() {
        let pool = SlowPool::new(2);
        assert_eq!(pool.run(|| 6 * 7).await, Some(42));
        let panicked: Option<()> = pool.run(|| panic!("boom")).await;
        assert_eq!(panicked, None);
        assert_eq!(pool.run(|| "still here").await, Some("still here"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_computation() {
        let pool = Arc::new(SlowPool::new(2));
        let co: Arc<Coalescer<&'static str, u32>> = Arc::new(Coalescer::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (pool, co, runs, release_rx) = (pool.clone(), co.clone(), runs.clone(), release_rx.clone());
            tasks.push(tokio::spawn(async move {
                co.run("cred", || async move {
                    pool.run(move || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        // Held until every caller has arrived.
                        let _ = release_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        7
                    })
                    .await
                    .unwrap_or(0)
                })
                .await
            }));
        }
        // Every caller has joined the one computation under way: now let it finish.
        let mut spins = 0u64;
        while co.callers(&"cred") < 32 {
            spins += 1;
            assert!(spins < 10_000_000, "only {} callers joined", co.callers(&"cred"));
            tokio::task::yield_now().await;
        }
        let _ = release_tx.send(());
        let mut computed = 0;
        for t in tasks {
            let (v, mine) = t.await.unwrap_or((0, false));
            assert_eq!(v, 7);
            computed += usize::from(mine);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(computed, 1);
        assert!(co.is_empty());
    }
}
