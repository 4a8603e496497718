//! The in-process store's short-lived tables are resident from the start (src/store/tables.rs,
//! `resident_table`): records arriving later land on pages already there instead of faulting
//! them in one by one under a shard's lock. Its own test binary: RSS is the process's, and no
//! other test may allocate while it is read.
#![cfg(target_os = "linux")]

use dpopd::store::memory::MemoryStore;
use dpopd::store::{Inserted, Namespace, SeenStore};
use std::time::Duration;

#[path = "../examples/support/rss.rs"]
mod rss;

const MIB: u64 = 1024;

#[tokio::test(flavor = "current_thread")]
async fn replay_records_land_on_pages_made_resident_at_start() {
    let empty = rss::own_kib();
    // The default size: the replay share alone is 64 shards of 16,384 slots of 24 octets.
    let store = MemoryStore::new(1_000_000);
    let created = rss::own_kib();
    assert!(
        created >= empty + 24 * MIB,
        "creating the store made {} KiB resident, less than its replay table",
        created - empty
    );
    // Spread at random like real digests, 30,000 records would touch every page of the replay
    // table (≈ 24 MiB) if it were not resident yet; what they add is their expiry list (and
    // the duration sample each insert records, which the metrics recorder holds until drained).
    let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    for i in 0..30_000u32 {
        let key = format!("{jkt}\0{i:022}");
        let inserted = store
            .insert_if_absent(Namespace::DpopJti, key.as_bytes(), Duration::from_secs(600))
            .await
            .expect("insert");
        assert_eq!(inserted, Inserted::New);
    }
    let filled = rss::own_kib();
    assert!(
        filled < created + 4 * MIB,
        "30,000 replay records added {} KiB of resident memory",
        filled - created
    );
}
