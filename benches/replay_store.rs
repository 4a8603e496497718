//! The in-process store's replay record in steady state: every insert of a new `jti` also
//! takes out the records that expired meanwhile, as under a sustained load. The store is sized
//! as `scripts/bench.sh` sizes it (`store.max_entries = 8000000`) and the TTL keeps about a
//! million records live at this bench's rate, so the tables and their expiry lists are far
//! larger than the caches, as in the load benchmark after its first minutes. The records
//! expire on the store's monotonic clock, so the bench runs inserts for two TTLs before
//! criterion measures; from then on each insert removes about one expired record.
use criterion::{criterion_group, criterion_main, Criterion};
use dpopd::store::memory::MemoryStore;
use dpopd::store::{Inserted, Namespace, SeenStore};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const MAX_ENTRIES: u64 = 8_000_000;
const TTL: Duration = Duration::from_secs(2);
const JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

/// The in-process store answers at once: its future is ready on the first poll.
fn ready<T>(future: impl Future<Output = T>) -> T {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the memory store answered later"),
    }
}

/// Replay keys as the validator writes them: thumbprint, a zero octet, a 22-character `jti`.
struct Keys {
    key: Vec<u8>,
    next: u64,
}

impl Keys {
    fn insert(&mut self, store: &MemoryStore) {
        use std::io::Write;
        self.key.truncate(JKT.len() + 1);
        let _ = write!(self.key, "{:022}", self.next);
        self.next += 1;
        let inserted = ready(store.insert_if_absent(Namespace::DpopJti, &self.key, TTL));
        assert_eq!(inserted.expect("room"), Inserted::New);
    }
}

fn replay_insert(c: &mut Criterion) {
    let store = MemoryStore::new(MAX_ENTRIES);
    let mut keys = Keys {
        key: [JKT.as_bytes(), &[0]].concat(),
        next: 0,
    };
    let started = Instant::now();
    while started.elapsed() < 2 * TTL {
        for _ in 0..1_000 {
            keys.insert(&store);
        }
    }
    eprintln!(
        "replay_store: {} records live after {:?} of inserts",
        store.entry_count(),
        started.elapsed()
    );
    c.bench_function("replay insert, steady state", |b| {
        b.iter(|| keys.insert(&store))
    });
}

criterion_group!(benches, replay_insert);
criterion_main!(benches);
