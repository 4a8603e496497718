//! The durable store against the store contract and the in-process room rules, then what it
//! adds: records read back after a restart or a crash (a copy of the directory taken while the
//! store runs is what `kill -9` leaves on disk), expiry on the wall clock, torn and damaged
//! files, compaction, and a failing disk.
use super::*;
use crate::store::tables::room;
use crate::store::{contains, contract, Owner};
use std::sync::atomic::AtomicU32;

const HOUR: Duration = Duration::from_secs(3600);

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("dpopd-durable-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    /// What a crash at this moment leaves: a copy of every file but the lock.
    fn crash_copy(&self, name: &str) -> TempDir {
        let copy = TempDir::new(name);
        std::fs::create_dir_all(&copy.0).unwrap();
        for entry in std::fs::read_dir(&self.0).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() != "lock" {
                std::fs::copy(entry.path(), copy.0.join(entry.file_name())).unwrap();
            }
        }
        copy
    }

    fn files(&self, prefix: &str) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
            })
            .collect();
        found.sort();
        found
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn settings(dir: &TempDir, max_entries: u64, per_owner: u64) -> DurableSettings {
    DurableSettings {
        data_dir: dir.0.clone(),
        max_entries,
        max_entries_per_owner: per_owner,
        replay_sync: Duration::from_secs(1),
    }
}

fn open(dir: &TempDir) -> DurableStore {
    DurableStore::open(&settings(dir, 100_000, 10_000)).expect("store opens")
}

#[tokio::test]
async fn new_then_already_present() {
    let dir = TempDir::new("contract1");
    contract::new_then_already_present(&open(&dir)).await;
}

#[tokio::test]
async fn namespaces_are_independent() {
    let dir = TempDir::new("contract2");
    contract::namespaces_are_independent(&open(&dir)).await;
}

#[tokio::test]
async fn entries_expire_after_their_own_ttl() {
    let dir = TempDir::new("contract3");
    contract::entries_expire_after_their_own_ttl(&open(&dir)).await;
}

#[tokio::test]
async fn values_are_kept_and_advanced_atomically() {
    let dir = TempDir::new("contract4");
    contract::values_are_kept_and_advanced_atomically(&open(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_inserts_yield_one_new() {
    let dir = TempDir::new("contract5");
    contract::concurrent_inserts_of_one_key_yield_one_new(Arc::new(open(&dir))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_advances_yield_one_done() {
    let dir = TempDir::new("contract6");
    contract::concurrent_advances_of_one_key_yield_one_done(Arc::new(open(&dir))).await;
}

#[tokio::test]
async fn a_full_namespace_refuses_and_keeps_every_live_entry() {
    let dir = TempDir::new("room1");
    let store = DurableStore::open(&settings(&dir, 100, 10_000)).unwrap();
    room::a_full_namespace_refuses_and_keeps_every_live_entry(&store, |ns| store.capacity(ns))
        .await;
}

#[tokio::test]
async fn one_namespace_cannot_take_the_room_of_another() {
    let dir = TempDir::new("room2");
    let store = DurableStore::open(&settings(&dir, 100, 10_000)).unwrap();
    room::one_namespace_cannot_take_the_room_of_another(&store, |ns| store.capacity(ns)).await;
}

#[tokio::test]
async fn one_owner_cannot_take_the_room_of_others() {
    let dir = TempDir::new("room3");
    let store = DurableStore::open(&settings(&dir, 100_000, 3)).unwrap();
    room::one_owner_cannot_take_the_room_of_others(&store).await;
}

#[tokio::test]
async fn expired_entries_make_room() {
    let dir = TempDir::new("room4");
    let store = DurableStore::open(&settings(&dir, 100, 10_000)).unwrap();
    room::expired_entries_make_room(&store, |ns| store.capacity(ns)).await;
}

#[test]
fn threads_released_together_on_one_key_yield_one_new() {
    let dirs: Vec<TempDir> = (0..20).map(|i| TempDir::new(&format!("race{i}"))).collect();
    let next = AtomicU32::new(0);
    room::threads_released_together_on_one_key_yield_one_new(|| {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as usize;
        Arc::new(open(&dirs[i]))
    });
}

/// One record of every namespace, with values and owners where they have them.
async fn write_one_of_each(store: &dyn SeenStore) {
    let owner = Owner::of("client", "subject");
    let writes = [
        Entry::new(Namespace::DpopJti, b"jti", HOUR),
        Entry::new(Namespace::Code, b"code", HOUR).value(1_700_000_600),
        Entry::new(Namespace::Ticket, b"ticket", HOUR),
        Entry::new(Namespace::RequestUri, b"request-uri", HOUR),
        Entry::new(Namespace::GrantRevoked, b"grant", HOUR).owner(owner),
        Entry::new(Namespace::RevokedToken, b"token", HOUR).owner(owner),
    ];
    for entry in writes {
        assert_eq!(
            store.insert(entry).await,
            Ok(Inserted::New),
            "{:?}",
            entry.ns
        );
    }
    let generation = Entry::new(Namespace::RefreshGeneration, b"family", HOUR).owner(owner);
    for (from, to) in [(0, 1), (1, 2), (2, 3)] {
        assert_eq!(
            store.advance(generation.value(to), from).await,
            Ok(Advanced::Done)
        );
    }
}

/// What `write_one_of_each` wrote reads back, and every one of them refuses to be written again.
async fn assert_one_of_each_is_remembered(store: &dyn SeenStore) {
    let keys = [
        (Namespace::DpopJti, &b"jti"[..]),
        (Namespace::Code, b"code"),
        (Namespace::Ticket, b"ticket"),
        (Namespace::RequestUri, b"request-uri"),
        (Namespace::GrantRevoked, b"grant"),
        (Namespace::RevokedToken, b"token"),
        (Namespace::RefreshGeneration, b"family"),
    ];
    assert_eq!(
        store.lookup(&keys).await,
        Ok(vec![
            Some(1),
            Some(1_700_000_600),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(3)
        ])
    );
    for (ns, key) in &keys[..6] {
        assert!(
            matches!(
                store.insert_if_absent(*ns, key, HOUR).await,
                Ok(Inserted::AlreadyPresent(_))
            ),
            "{ns:?} is spent"
        );
    }
    let stale = Entry::new(Namespace::RefreshGeneration, b"family", HOUR).value(2);
    assert_eq!(store.advance(stale, 1).await, Ok(Advanced::Conflict(3)));
}

#[tokio::test]
async fn every_kind_of_record_survives_a_restart() {
    let dir = TempDir::new("restart");
    write_one_of_each(&open(&dir)).await;
    assert_one_of_each_is_remembered(&open(&dir)).await;
    // And a third start, from the journals of both earlier ones.
    assert_one_of_each_is_remembered(&open(&dir)).await;
}

/// A copy of the directory taken while the store runs, with nothing synced on purpose, is what
/// `kill -9` leaves: every record, replay records included, was written before its call answered.
#[tokio::test]
async fn every_kind_of_record_survives_a_kill() {
    let dir = TempDir::new("kill");
    let store = DurableStore::open(&DurableSettings {
        replay_sync: Duration::from_secs(10),
        ..settings(&dir, 100_000, 10_000)
    })
    .unwrap();
    write_one_of_each(&store).await;
    let copy = dir.crash_copy("kill-copy");
    assert_one_of_each_is_remembered(&open(&copy)).await;
}

/// Owners' quotas are counted again from the records read back.
#[tokio::test]
async fn owner_quotas_hold_across_a_restart() {
    let dir = TempDir::new("quota");
    let greedy = Owner::of("greedy", "greedy");
    {
        let store = DurableStore::open(&settings(&dir, 100_000, 2)).unwrap();
        for key in [&b"a"[..], b"b"] {
            let entry = Entry::new(Namespace::RevokedToken, key, HOUR).owner(greedy);
            assert_eq!(store.insert(entry).await, Ok(Inserted::New));
        }
    }
    let store = DurableStore::open(&settings(&dir, 100_000, 2)).unwrap();
    let third = Entry::new(Namespace::GrantRevoked, b"c", HOUR).owner(greedy);
    assert_eq!(
        store.insert(third).await,
        Err(StoreError::OwnerQuota(Namespace::GrantRevoked))
    );
}

/// Expiry is wall-clock time written down: a record whose time passed while dpopd was stopped
/// is gone after the restart, a longer one is not, and an expired last write of a key is not
/// replaced by an earlier, longer-lived one.
#[tokio::test]
async fn expiry_across_a_restart_follows_the_wall_clock() {
    let dir = TempDir::new("expiry");
    let short = Duration::from_millis(200);
    {
        let store = open(&dir);
        store
            .insert_if_absent(Namespace::Code, b"short", short)
            .await
            .unwrap();
        store
            .insert_if_absent(Namespace::Code, b"long", HOUR)
            .await
            .unwrap();
        let family = Entry::new(Namespace::RefreshGeneration, b"family", HOUR);
        store.advance(family.value(1), 0).await.unwrap();
        let shorter = Entry {
            ttl: short,
            ..family.value(2)
        };
        assert_eq!(store.advance(shorter, 1).await, Ok(Advanced::Done));
    }
    std::thread::sleep(Duration::from_millis(300));
    let store = open(&dir);
    let keys = [
        (Namespace::Code, &b"short"[..]),
        (Namespace::Code, b"long"),
        (Namespace::RefreshGeneration, b"family"),
    ];
    assert_eq!(store.lookup(&keys).await, Ok(vec![None, Some(1), None]));
}

#[tokio::test]
async fn a_torn_write_at_the_end_of_a_journal_is_cut_off() {
    let dir = TempDir::new("torn");
    write_one_of_each(&open(&dir)).await;
    let journal = dir.files("journal.").pop().unwrap();
    let whole = std::fs::metadata(&journal).unwrap().len();
    // Half a record, as a write cut short by a power cut leaves it.
    let mut half = Vec::new();
    record::encode(
        &DiskRecord {
            ns: Namespace::RevokedToken,
            digest: [1; 16],
            expiry_unix_ms: u64::MAX,
            value: 1,
            owner: None,
        },
        &mut half,
    );
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(&half[..half.len() / 2]);
    std::fs::write(&journal, bytes).unwrap();
    assert_one_of_each_is_remembered(&open(&dir)).await;
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), whole);
}

#[test]
fn a_damaged_record_in_the_middle_of_a_journal_stops_the_start_naming_file_and_offset() {
    let dir = TempDir::new("corrupt");
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async { write_one_of_each(&open(&dir)).await });
    let journal = dir.files("journal.").pop().unwrap();
    let mut bytes = std::fs::read(&journal).unwrap();
    // The first record's digest: its header is 16 octets, then the tag.
    bytes[record::HEADER_LEN + 3] ^= 0x40;
    std::fs::write(&journal, bytes).unwrap();
    let error = DurableStore::open(&settings(&dir, 100_000, 10_000)).unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(error, DurableError::Corrupt { offset: 16, .. }),
        "{text}"
    );
    assert!(text.contains(&journal.display().to_string()), "{text}");
}

#[tokio::test]
async fn compaction_keeps_exactly_the_live_records() {
    let dir = TempDir::new("compact");
    let store = open(&dir);
    for i in 0u32..500 {
        let ttl = if i % 2 == 0 {
            HOUR
        } else {
            Duration::from_millis(50)
        };
        store
            .insert_if_absent(Namespace::DpopJti, &i.to_be_bytes(), ttl)
            .await
            .unwrap();
    }
    write_one_of_each(&store).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    store.compact().unwrap();
    // Written after the snapshot began: in the new journal.
    store
        .insert_if_absent(Namespace::RevokedToken, b"after", HOUR)
        .await
        .unwrap();
    let snapshots = dir.files("snapshot.");
    assert_eq!(snapshots.len(), 1);
    assert_eq!(dir.files("journal.").len(), 1);
    let mut in_snapshot = 0;
    store
        .inner
        .dir
        .read(&snapshots[0], true, |_| in_snapshot += 1)
        .unwrap();
    assert_eq!(
        in_snapshot,
        250 + 7,
        "the even replay records and one of each"
    );
    drop(store);
    let store = open(&dir);
    assert_one_of_each_is_remembered(&store).await;
    for i in 0u32..500 {
        assert_eq!(
            contains(&store, Namespace::DpopJti, &i.to_be_bytes()).await,
            Ok(i % 2 == 0),
            "replay record {i}"
        );
    }
    assert_eq!(
        contains(&store, Namespace::RevokedToken, b"after").await,
        Ok(true)
    );
}

/// After a failed write the journal refuses every write, and readiness says so; reads go on.
#[tokio::test]
async fn a_failing_disk_fails_every_write_closed() {
    let dir = TempDir::new("failing");
    let store = open(&dir);
    store
        .insert_if_absent(Namespace::RevokedToken, b"before", HOUR)
        .await
        .unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    store.inner.log.switch_to(full).unwrap();
    let refused = |r: &Result<Inserted, StoreError>| matches!(r, Err(StoreError::Unavailable(_)));
    let jti = store
        .insert_if_absent(Namespace::DpopJti, b"jti", HOUR)
        .await;
    assert!(refused(&jti), "{jti:?}");
    let revoked = store
        .insert_if_absent(Namespace::RevokedToken, b"after", HOUR)
        .await;
    assert!(refused(&revoked), "{revoked:?}");
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
    assert_eq!(
        contains(&store, Namespace::RevokedToken, b"before").await,
        Ok(true)
    );
}

/// Records other than replay records are synced before their call answers; replay records are
/// only written, and synced within `store.replay_sync_ms`.
#[tokio::test]
async fn revocations_are_synced_before_the_call_answers() {
    let dir = TempDir::new("classes");
    let store = DurableStore::open(&DurableSettings {
        replay_sync: Duration::from_secs(10),
        ..settings(&dir, 100_000, 10_000)
    })
    .unwrap();
    store
        .insert_if_absent(Namespace::DpopJti, b"jti", HOUR)
        .await
        .unwrap();
    assert!(store.inner.log.synced_upto() < store.inner.log.appended());
    store
        .insert_if_absent(Namespace::RevokedToken, b"token", HOUR)
        .await
        .unwrap();
    assert_eq!(store.inner.log.synced_upto(), store.inner.log.appended());
}

#[test]
fn a_directory_in_use_is_refused() {
    let dir = TempDir::new("in-use");
    let _first = open(&dir);
    let second = DurableStore::open(&settings(&dir, 100, 10));
    assert!(matches!(second, Err(DurableError::InUse(_))), "{second:?}");
}

#[test]
fn the_salt_is_private_and_its_loss_stops_the_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("salt");
    drop(open(&dir));
    let salt = dir.0.join("salt");
    let mode = std::fs::metadata(&salt).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    std::fs::remove_file(&salt).unwrap();
    let reopened = DurableStore::open(&settings(&dir, 100, 10));
    assert!(
        matches!(reopened, Err(DurableError::SaltMissing(_))),
        "{reopened:?}"
    );
}

#[test]
fn the_live_records_size_is_estimated_from_the_files() {
    let header = record::HEADER_LEN as u64;
    let cases = [
        ("no records yet: the default", 0, 0, 1, RECORD_BYTES),
        ("replay records only", header + 29 * 10, 10, 1, 29),
        ("revocations with owners", 2 * header + 53 * 4, 4, 2, 53),
        ("a mixture", header + 29 * 3 + 45, 4, 1, 33),
    ];
    for (what, bytes, records, files, expected) in cases {
        assert_eq!(mean_record_bytes(bytes, records, files), expected, "{what}");
    }
}
