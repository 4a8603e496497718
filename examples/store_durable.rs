//! What the durable store's journal costs per call, against the in-process memory store, in one
//! process: inserts per second of replay records (written before the call answers, synced within
//! `store.replay_sync_ms`) and of revocations (synced before the call answers, by one caller and
//! by 64 callers sharing each `fdatasync`), the time to read the records back at start-up, and
//! the latency of inserts while a compaction of a few million records runs.
//!
//! ```sh
//! cargo run --release --example store_durable -- [DIR]    # DIR: where to put the data (default:
//! the temporary directory)
//! ```
use dpopd::store::durable::{DurableSettings, DurableStore};
use dpopd::store::memory::MemoryStore;
use dpopd::store::{Entry, Inserted, Namespace, SeenStore};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

fn fresh_dir(base: &Path, name: &str) -> PathBuf {
    let dir = base.join(format!("dpopd-store-durable-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn settings(dir: &Path, max_entries: u64) -> DurableSettings {
    DurableSettings {
        data_dir: dir.to_owned(),
        max_entries,
        max_entries_per_owner: max_entries,
        replay_sync: Duration::from_secs(1),
    }
}

/// `n` inserts of new keys in `ns`, one after the other; inserts per second.
async fn inserts(store: &dyn SeenStore, ns: Namespace, n: u64, tag: &str) -> f64 {
    let started = Instant::now();
    for i in 0..n {
        let key = format!("{tag}-{i}");
        let inserted = store.insert(Entry::new(ns, key.as_bytes(), HOUR)).await;
        assert_eq!(inserted, Ok(Inserted::New));
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// `n` inserts from `callers` tasks at once on one thread, as on one HTTP worker.
async fn concurrent_inserts(store: Arc<dyn SeenStore>, ns: Namespace, n: u64, callers: u64) -> f64 {
    let started = Instant::now();
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let tasks: Vec<_> = (0..callers)
                .map(|t| {
                    let store = Arc::clone(&store);
                    tokio::task::spawn_local(async move {
                        for i in 0..n / callers {
                            let key = format!("concurrent-{t}-{i}");
                            store
                                .insert(Entry::new(ns, key.as_bytes(), HOUR))
                                .await
                                .expect("insert");
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("task");
            }
        })
        .await;
    (n / callers * callers) as f64 / started.elapsed().as_secs_f64()
}

fn line(what: &str, per_s: f64) {
    println!("{what:<62} {per_s:>10.0}/s  {:>9.2} us each", 1e6 / per_s);
}

/// p50, p99 and max latency (us) of replay-record inserts, about one every 100 us, while
/// `during` runs on another thread.
fn latency_while(
    store: &DurableStore,
    rt: &tokio::runtime::Runtime,
    tag: &str,
    during: impl FnOnce() + Send,
) -> [f64; 3] {
    let done = AtomicBool::new(false);
    let mut samples = Vec::new();
    std::thread::scope(|s| {
        let done = &done;
        s.spawn(move || {
            during();
            done.store(true, Ordering::Release);
        });
        let mut i = 0u64;
        while !done.load(Ordering::Acquire) {
            let key = format!("{tag}-{i}");
            let started = Instant::now();
            rt.block_on(store.insert(Entry::new(Namespace::DpopJti, key.as_bytes(), HOUR)))
                .expect("insert");
            samples.push(started.elapsed().as_secs_f64() * 1e6);
            i += 1;
            std::thread::sleep(Duration::from_micros(100));
        }
    });
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    [at(0.5), at(0.99), at(1.0)]
}

fn main() {
    let base = std::env::args()
        .nth(1)
        .map_or_else(std::env::temp_dir, PathBuf::from);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let memory = MemoryStore::new(4_000_000);
    line(
        "memory store, replay record",
        rt.block_on(inserts(&memory, Namespace::DpopJti, 200_000, "m")),
    );

    let dir = fresh_dir(&base, "inserts");
    let store = Arc::new(DurableStore::open(&settings(&dir, 4_000_000)).expect("open"));
    line(
        "durable store, replay record (written; synced within 1 s)",
        rt.block_on(inserts(store.as_ref(), Namespace::DpopJti, 200_000, "j")),
    );
    line(
        "durable store, revocation (synced before answering), 1 caller",
        rt.block_on(inserts(store.as_ref(), Namespace::RevokedToken, 500, "r")),
    );
    line(
        "durable store, revocation (synced before answering), 64 callers",
        rt.block_on(concurrent_inserts(
            store.clone(),
            Namespace::RevokedToken,
            20_000,
            64,
        )),
    );
    drop(store);
    let started = Instant::now();
    let reopened = DurableStore::open(&settings(&dir, 4_000_000)).expect("reopen");
    println!(
        "start-up reading back {} records: {:.0} ms",
        reopened.entry_count(),
        started.elapsed().as_secs_f64() * 1e3
    );
    drop(reopened);
    let _ = std::fs::remove_dir_all(&dir);

    let dir = fresh_dir(&base, "compaction");
    let store = DurableStore::open(&settings(&dir, 8_000_000)).expect("open");
    rt.block_on(inserts(&store, Namespace::DpopJti, 3_000_000, "fill"));
    let idle = latency_while(&store, &rt, "idle", || {
        std::thread::sleep(Duration::from_secs(2))
    });
    let mut took = Duration::ZERO;
    let busy = latency_while(&store, &rt, "busy", || {
        let started = Instant::now();
        store.compact().expect("compaction");
        took = started.elapsed();
    });
    println!("insert latency, {} live records, idle:              p50 {:.1} us  p99 {:.1} us  max {:.0} us", store.entry_count(), idle[0], idle[1], idle[2]);
    println!(
        "insert latency, during a compaction ({:.2} s): p50 {:.1} us  p99 {:.1} us  max {:.0} us",
        took.as_secs_f64(),
        busy[0],
        busy[1],
        busy[2]
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
