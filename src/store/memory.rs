//! In-process store on moka (one node). Each entry expires after its own TTL. Capacity is
//! bounded by configuration; an entry evicted for capacity before its expiry is a replay hole,
//! so every such eviction is counted in `dpopd_store_live_evictions_total`.
use super::{Inserted, Namespace, SeenStore, StoreFuture};
use moka::notification::RemovalCause;
use moka::sync::Cache;
use moka::Expiry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Per-entry expiry: the value *is* the entry's TTL.
struct TtlExpiry;

impl Expiry<[u8; 32], Duration> for TtlExpiry {
    fn expire_after_create(
        &self,
        _key: &[u8; 32],
        ttl: &Duration,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(*ttl)
    }
}

pub struct MemoryStore {
    cache: Cache<[u8; 32], Duration>,
    live_evictions: Arc<AtomicU64>,
}

impl MemoryStore {
    pub fn new(max_entries: u64) -> MemoryStore {
        let live_evictions = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&live_evictions);
        let cache = Cache::builder()
            .max_capacity(max_entries)
            .expire_after(TtlExpiry)
            .eviction_listener(move |_key, _ttl, cause| {
                // `Size` means removed before its TTL ran out: the key could now be replayed.
                if cause == RemovalCause::Size {
                    counter.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("dpopd_store_live_evictions_total").increment(1);
                }
            })
            .build();
        MemoryStore {
            cache,
            live_evictions,
        }
    }

    /// Entries evicted for capacity before their expiry since start.
    pub fn live_evictions(&self) -> u64 {
        self.live_evictions.load(Ordering::Relaxed)
    }

    /// Live entries, after applying pending evictions and expirations.
    pub fn entry_count(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }

    /// Applies pending evictions now (moka otherwise batches them), e.g. before reading metrics.
    pub fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks();
    }
}

fn record(op: &'static str, started: Instant) {
    metrics::histogram!("dpopd_store_seconds", "op" => op).record(started.elapsed().as_secs_f64());
}

impl SeenStore for MemoryStore {
    fn insert_if_absent<'a>(
        &'a self,
        ns: Namespace,
        key: &'a [u8],
        ttl: Duration,
    ) -> StoreFuture<'a, Inserted> {
        let started = Instant::now();
        // One atomic operation: moka's entry API runs the initializer under a per-key lock and
        // `is_fresh` says whether this call inserted, so two racing callers cannot both see New.
        let entry = self
            .cache
            .entry(super::hashed_key(ns, key))
            .or_insert_with(|| ttl);
        let inserted = if entry.is_fresh() {
            Inserted::New
        } else {
            Inserted::AlreadyPresent
        };
        record("insert", started);
        Box::pin(std::future::ready(Ok(inserted)))
    }

    fn contains<'a>(&'a self, ns: Namespace, key: &'a [u8]) -> StoreFuture<'a, bool> {
        let started = Instant::now();
        // `contains_key` ignores entries whose TTL has passed even if not yet evicted.
        let present = self.cache.contains_key(&super::hashed_key(ns, key));
        record("contains", started);
        Box::pin(std::future::ready(Ok(present)))
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn new_then_already_present() {
        let store = MemoryStore::new(100);
        assert!(!store.contains(Namespace::DpopJti, b"jti-1").await.unwrap());
        assert_eq!(
            store
                .insert_if_absent(Namespace::DpopJti, b"jti-1", HOUR)
                .await,
            Ok(Inserted::New)
        );
        assert_eq!(
            store
                .insert_if_absent(Namespace::DpopJti, b"jti-1", HOUR)
                .await,
            Ok(Inserted::AlreadyPresent)
        );
        assert!(store.contains(Namespace::DpopJti, b"jti-1").await.unwrap());
        assert_eq!(store.ping().await, Ok(()));
        assert_eq!(store.entry_count(), 1);
    }

    #[tokio::test]
    async fn namespaces_are_independent() {
        let store = MemoryStore::new(100);
        assert_eq!(
            store
                .insert_if_absent(Namespace::DpopJti, b"same", HOUR)
                .await,
            Ok(Inserted::New)
        );
        assert_eq!(
            store.insert_if_absent(Namespace::Code, b"same", HOUR).await,
            Ok(Inserted::New)
        );
        assert!(!store
            .contains(Namespace::RevokedToken, b"same")
            .await
            .unwrap());
        assert_eq!(
            store.insert_if_absent(Namespace::Code, b"same", HOUR).await,
            Ok(Inserted::AlreadyPresent)
        );
    }

    #[tokio::test]
    async fn entries_expire_after_their_own_ttl() {
        let store = MemoryStore::new(100);
        let short = Duration::from_millis(50);
        assert_eq!(
            store
                .insert_if_absent(Namespace::Ticket, b"short", short)
                .await,
            Ok(Inserted::New)
        );
        assert_eq!(
            store
                .insert_if_absent(Namespace::Ticket, b"long", HOUR)
                .await,
            Ok(Inserted::New)
        );
        std::thread::sleep(Duration::from_millis(120));
        assert!(!store.contains(Namespace::Ticket, b"short").await.unwrap());
        assert!(store.contains(Namespace::Ticket, b"long").await.unwrap());
        // Expired means absent: it can be recorded again.
        assert_eq!(
            store
                .insert_if_absent(Namespace::Ticket, b"short", short)
                .await,
            Ok(Inserted::New)
        );
        // Expiry is not a live eviction.
        store.run_pending_tasks();
        assert_eq!(store.live_evictions(), 0);
    }

    #[tokio::test]
    async fn capacity_eviction_is_counted() {
        let store = MemoryStore::new(10);
        for i in 0u32..50 {
            store
                .insert_if_absent(Namespace::DpopJti, &i.to_be_bytes(), HOUR)
                .await
                .unwrap();
            // Let moka apply its admission policy as it goes.
            store.run_pending_tasks();
        }
        assert!(store.entry_count() <= 10);
        assert!(
            store.live_evictions() >= 40,
            "live evictions: {}",
            store.live_evictions()
        );
    }

    #[test]
    fn concurrent_inserts_of_one_key_yield_one_new() {
        for round in 0u32..20 {
            let store = Arc::new(MemoryStore::new(1000));
            let barrier = Arc::new(Barrier::new(8));
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let store = Arc::clone(&store);
                    let barrier = Arc::clone(&barrier);
                    std::thread::spawn(move || {
                        barrier.wait();
                        let key = round.to_be_bytes();
                        let fut = store.insert_if_absent(Namespace::Code, &key, HOUR);
                        tokio::runtime::Builder::new_current_thread()
                            .build()
                            .unwrap()
                            .block_on(fut)
                            .unwrap()
                    })
                })
                .collect();
            let results: Vec<Inserted> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let new = results.iter().filter(|r| **r == Inserted::New).count();
            assert_eq!(new, 1, "round {round}: {results:?}");
        }
    }
}
