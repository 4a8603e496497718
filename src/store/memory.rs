//! In-process store (one node): a hash set of keyed digests per shard, each entry with its own
//! expiry. Capacity is bounded by configuration; an entry evicted for capacity before its
//! expiry is a replay hole, so every such eviction is counted in
//! `dpopd_store_live_evictions_total`.
//!
//! Built for the replay record every DPoP request makes: an entry is a 16-octet digest and an
//! expiry (about 80 bytes resident with the table's slack, where a general cache spent about
//! 400), an insert is one SHA-256, one short lock and one probe, and expired entries leave in
//! expiry order as later inserts pass by, so no housekeeping thread is needed.
use super::{Inserted, Namespace, SeenStore, StoreFuture};
use ring::rand::SecureRandom;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The first 16 octets of SHA-256(secret salt, namespace, key). The salt is drawn at start, so
/// no client can choose keys that crowd one shard or one probe sequence; 128 bits keep
/// accidental collisions (a fresh key taken for a seen one, never the reverse) out of reach.
type Digest = [u8; 16];

/// Milliseconds since the store was created.
type Millis = u64;

/// The digest is already uniformly random: its first 8 octets are the hash.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // `[u8; 16]` hashes as a length prefix, then its octets in one call.
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_le_bytes(word);
    }
}

#[derive(Default)]
struct Shard {
    /// Digest → expiry.
    live: HashMap<Digest, Millis, BuildHasherDefault<DigestHasher>>,
    /// Every insert's (expiry, digest), soonest first; an entry whose expiry no longer matches
    /// `live` was overwritten after it expired and is skipped.
    by_expiry: BinaryHeap<Reverse<(Millis, Digest)>>,
}

impl Shard {
    /// Drops every entry whose expiry is at or before `now`.
    fn purge(&mut self, now: Millis) {
        while let Some(Reverse((expiry, digest))) = self.by_expiry.peek().copied() {
            if expiry > now {
                break;
            }
            self.by_expiry.pop();
            if self.live.get(&digest) == Some(&expiry) {
                self.live.remove(&digest);
            }
        }
    }

    /// Removes the entry that expires soonest; true if it had not expired (a live eviction).
    fn evict_one(&mut self, now: Millis) -> bool {
        while let Some(Reverse((expiry, digest))) = self.by_expiry.pop() {
            if self.live.get(&digest) == Some(&expiry) {
                self.live.remove(&digest);
                return expiry > now;
            }
        }
        false
    }
}

pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    salt: [u8; 32],
    epoch: Instant,
    live_evictions: AtomicU64,
}

impl MemoryStore {
    pub fn new(max_entries: u64) -> MemoryStore {
        let max = usize::try_from(max_entries).unwrap_or(usize::MAX).max(1);
        // Up to 64 shards, and never so many that a shard holds fewer than 4096 entries.
        let shards = (max / 4096).clamp(1, 64).next_power_of_two().min(64);
        let shards = if shards * 4096 > max && shards > 1 {
            shards / 2
        } else {
            shards
        };
        let mut salt = [0u8; 32];
        // SystemRandom reads the OS source; it only fails if the OS has none, which start-up checks.
        let _ = ring::rand::SystemRandom::new().fill(&mut salt);
        MemoryStore {
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: (max / shards).max(1),
            salt,
            epoch: Instant::now(),
            live_evictions: AtomicU64::new(0),
        }
    }

    /// Entries evicted for capacity before their expiry since start.
    pub fn live_evictions(&self) -> u64 {
        self.live_evictions.load(Ordering::Relaxed)
    }

    /// Live entries, after dropping expired ones.
    pub fn entry_count(&self) -> u64 {
        let now = self.now();
        self.shards
            .iter()
            .map(|s| {
                let mut shard = lock(s);
                shard.purge(now);
                shard.live.len() as u64
            })
            .sum()
    }

    /// Drops expired entries now (inserts otherwise do it as they pass by).
    pub fn run_pending_tasks(&self) {
        let now = self.now();
        for s in self.shards.iter() {
            lock(s).purge(now);
        }
    }

    fn now(&self) -> Millis {
        self.epoch.elapsed().as_millis() as Millis
    }

    fn digest(&self, ns: Namespace, key: &[u8]) -> Digest {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&self.salt);
        ctx.update(ns.tag().as_bytes());
        ctx.update(&[0]);
        ctx.update(key);
        let mut out = [0u8; 16];
        out.copy_from_slice(&ctx.finish().as_ref()[..16]);
        out
    }

    fn shard(&self, digest: &Digest) -> &Mutex<Shard> {
        // Octet 8 on: independent of the octets the table hashes with.
        &self.shards[digest[8] as usize % self.shards.len()]
    }
}

/// A panic while a shard was locked leaves it consistent (each step is one map or heap call).
fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let digest = self.digest(ns, key);
        let now = self.now();
        let expiry = now
            .saturating_add(ttl.as_millis().try_into().unwrap_or(Millis::MAX))
            .max(now + 1);
        // One atomic step: the lookup and the insert happen under the shard's lock, so two
        // racing callers cannot both see New.
        let (inserted, evicted_live) = {
            let mut shard = lock(self.shard(&digest));
            shard.purge(now);
            match shard.live.get(&digest) {
                Some(_) => (Inserted::AlreadyPresent, false),
                None => {
                    let evicted_live = shard.live.len() >= self.per_shard && shard.evict_one(now);
                    shard.live.insert(digest, expiry);
                    shard.by_expiry.push(Reverse((expiry, digest)));
                    (Inserted::New, evicted_live)
                }
            }
        };
        if evicted_live {
            // Removed before its TTL ran out: that key could now be replayed.
            self.live_evictions.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("dpopd_store_live_evictions_total").increment(1);
        }
        record("insert", started);
        Box::pin(std::future::ready(Ok(inserted)))
    }

    fn contains<'a>(&'a self, ns: Namespace, key: &'a [u8]) -> StoreFuture<'a, bool> {
        let started = Instant::now();
        let digest = self.digest(ns, key);
        let now = self.now();
        // An entry whose TTL has passed is absent even before it is purged.
        let present = lock(self.shard(&digest))
            .live
            .get(&digest)
            .is_some_and(|&expiry| expiry > now);
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
    use crate::store::contract;
    use std::sync::{Arc, Barrier};

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn new_then_already_present() {
        let store = MemoryStore::new(100);
        contract::new_then_already_present(&store).await;
        assert_eq!(store.entry_count(), 2);
    }

    #[tokio::test]
    async fn namespaces_are_independent() {
        let store = MemoryStore::new(100);
        contract::namespaces_are_independent(&store).await;
        assert_eq!(store.entry_count(), 2);
    }

    #[tokio::test]
    async fn entries_expire_after_their_own_ttl() {
        let store = MemoryStore::new(100);
        contract::entries_expire_after_their_own_ttl(&store).await;
        // Expiry is not a live eviction.
        store.run_pending_tasks();
        assert_eq!(store.live_evictions(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_inserts_yield_one_new() {
        contract::concurrent_inserts_of_one_key_yield_one_new(Arc::new(MemoryStore::new(100)))
            .await;
    }

    #[tokio::test]
    async fn capacity_eviction_is_counted() {
        let store = MemoryStore::new(10);
        for i in 0u32..50 {
            store
                .insert_if_absent(Namespace::DpopJti, &i.to_be_bytes(), HOUR)
                .await
                .unwrap();
            // Purge expired entries as the store would between inserts.
            store.run_pending_tasks();
        }
        assert!(store.entry_count() <= 10);
        assert!(
            store.live_evictions() >= 40,
            "live evictions: {}",
            store.live_evictions()
        );
    }

    #[tokio::test]
    async fn a_full_store_evicts_the_entry_expiring_soonest() {
        let store = MemoryStore::new(2);
        for (key, ttl) in [
            (&b"a"[..], HOUR),
            (b"b", Duration::from_secs(10)),
            (b"c", HOUR),
        ] {
            assert_eq!(
                store.insert_if_absent(Namespace::DpopJti, key, ttl).await,
                Ok(Inserted::New)
            );
        }
        assert!(store.contains(Namespace::DpopJti, b"a").await.unwrap());
        assert!(!store.contains(Namespace::DpopJti, b"b").await.unwrap());
        assert!(store.contains(Namespace::DpopJti, b"c").await.unwrap());
        assert_eq!((store.entry_count(), store.live_evictions()), (2, 1));
    }

    /// The contract's race, harder: OS threads released together by a barrier, 20 rounds,
    /// on the shard lock that makes the lookup and the insert one step.
    #[test]
    fn threads_released_together_on_one_key_yield_one_new() {
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
