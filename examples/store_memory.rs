//! Resident memory of the in-process replay store per live entry: fills a
//! `dpopd::store::memory::MemoryStore` with N DPoP replay records (default 1,000,000; each a
//! thumbprint and a 22-character `jti`, as the validator records them) and reads `VmRSS` from
//! `/proc/self/status` before and after.
//!
//! It uses the heap allocator the `dpopd` binary of the same features uses (src/heap.rs), so
//! that `--features mimalloc` or `--features jemalloc` measures the store on that allocator.
//!
//! ```sh
//! cargo run --release --example store_memory -- [N]
//! cargo run --release --features jemalloc --example store_memory -- [N]
//! ```
use dpopd::store::memory::MemoryStore;
use dpopd::store::{Inserted, Namespace, SeenStore};
use std::time::{Duration, Instant};

#[cfg(any(feature = "mimalloc", feature = "jemalloc", feature = "alloc-count"))]
#[global_allocator]
static HEAP: dpopd::heap::Global = dpopd::heap::GLOBAL;

#[path = "support/rss.rs"]
mod rss;

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let ttl = Duration::from_secs(3600);
    let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    // Room for `count` replay records: the replay namespace's share of max_entries. The
    // short-lived namespaces' tables are allocated and made resident when the store is
    // created: `bytes_per_entry` counts from after that (the records' own heap), `with_store`
    // from before (the measure of a live entry's cost, docs/performance.md "Memory").
    let max_entries = (count + count / 10) * 100 / Namespace::DpopJti.share_percent();
    let empty = rss::own_kib();
    let store = MemoryStore::new(max_entries);
    store.purge_expired();
    let before = rss::own_kib();
    let started = Instant::now();
    let mut key = Vec::with_capacity(80);
    // Every insert records its duration in a histogram, whose samples the recorder holds
    // until they are drained: in dpopd every 5 s (src/telemetry.rs), about 50,000 requests at
    // the load benchmark's rate. Drained as often here, they stay out of the store's figure;
    // left to the recorder's own thread, a fill shorter than 5 s would count every sample.
    let metrics = dpopd::telemetry::metrics_handle();
    runtime.block_on(async {
        for i in 0..count {
            if i % 50_000 == 0 {
                metrics.run_upkeep();
            }
            key.clear();
            key.extend_from_slice(jkt.as_bytes());
            key.push(0);
            key.extend_from_slice(format!("{i:022}").as_bytes());
            let inserted = store
                .insert_if_absent(Namespace::DpopJti, &key, ttl)
                .await
                .expect("insert");
            assert_eq!(inserted, Inserted::New);
        }
    });
    let filled = started.elapsed();
    let live = store.entry_count();
    let after = rss::own_kib();
    let per_entry = |from: u64| (after.saturating_sub(from) * 1024) as f64 / live as f64;
    println!(
        "allocator={} entries={live} rss_before_kib={before} rss_after_kib={after} bytes_per_entry={:.0} with_store={:.0} fill_secs={:.2}",
        dpopd::heap::NAME,
        per_entry(before),
        per_entry(empty),
        filled.as_secs_f64()
    );
}
