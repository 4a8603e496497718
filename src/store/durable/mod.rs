//! The default store (`store.kind = "durable"`, docs/operations.md "Durability"): the
//! in-process tables the memory store uses (src/store/tables.rs), with every change also appended
//! to a journal
//! in `store.data_dir`, so that a restart, or a crash, forgets no revocation, spent code,
//! ticket, `request_uri` or refresh-token generation, and no replay record still inside its
//! window.
//!
//! Reads never touch the disk. A change is appended under its shard's lock and written before
//! the call answers; replay records are synced at least every `store.replay_sync_ms`, every
//! other record before its call answers, one `fdatasync` for all callers waiting at once
//! ([`log`]). A background thread drops expired records and, when the files have grown to
//! about twice the live records, writes a snapshot of the live ones and removes the files it
//! replaces ([`DurableStore::compact`]); it copies one shard at a time, so requests wait at most
//! for one shard's copy.
mod dir;
mod log;
mod record;
#[cfg(test)]
mod tests;

use super::tables::{timed, Change, Tables};
use super::{Advanced, Entry, Inserted, Namespace, SeenStore, StoreError, StoreFuture, StoreOp};
use dir::DataDir;
use log::Log;
use record::DiskRecord;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Files are compacted once they hold twice the live records, and at least this much.
const COMPACT_MIN_BYTES: u64 = 16 * 1024 * 1024;
/// ... or once this many journal files have piled up (one is started at every start-up).
const COMPACT_MAX_JOURNALS: usize = 8;
/// How often the background thread drops expired records and looks at the files' size.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(1);
/// The size of a record on disk, to estimate the live records' size from their count until the
/// files say better: a replay record takes 29 octets, the largest record 53.
const RECORD_BYTES: u64 = 32;

#[derive(Debug, thiserror::Error)]
pub enum DurableError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}, offset {offset}: {problem}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        problem: String,
    },
    #[error("{}: in use by another dpopd (each instance needs its own store.data_dir)", .0.display())]
    InUse(PathBuf),
    #[error("journal: {0}")]
    Journal(#[from] StoreError),
    #[error("{}: missing, but the directory holds records keyed by it; restore the file, or move the directory away to start empty", .0.display())]
    SaltMissing(PathBuf),
}

impl DurableError {
    fn io(path: &Path, source: std::io::Error) -> DurableError {
        DurableError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// What [`DurableStore::open`] needs from `[store]`.
#[derive(Debug, Clone)]
pub struct DurableSettings {
    pub data_dir: PathBuf,
    pub max_entries: u64,
    pub max_entries_per_owner: u64,
    /// The longest a replay record stays unsynced; zero syncs every record before its call
    /// answers.
    pub replay_sync: Duration,
}

struct Inner {
    tables: Tables,
    log: Log,
    dir: DataDir,
    files: Mutex<Files>,
}

/// The files on disk, for deciding when to compact.
struct Files {
    generation: u64,
    /// Bytes of the files other than the journal being appended to, and of its header.
    base_bytes: u64,
    /// [`Log::appended`] when that journal began.
    appended_at_start: u64,
    journals: usize,
    /// The mean size of the records last read or written in bulk.
    record_bytes: u64,
}

/// The mean record size of `bytes` of files holding `records` records (headers included).
fn mean_record_bytes(bytes: u64, records: u64, files: u64) -> u64 {
    bytes
        .saturating_sub(files * record::HEADER_LEN as u64)
        .checked_div(records)
        .map_or(RECORD_BYTES, |b| b.clamp(29, 53))
}

pub struct DurableStore {
    inner: Arc<Inner>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for DurableStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DurableStore")
            .field("data_dir", &self.inner.dir.path())
            .finish_non_exhaustive()
    }
}

impl DurableStore {
    /// Registers every series this store records, at zero: the in-process tables', the
    /// journal's failures and its syncs.
    pub fn register_metrics() {
        super::tables::register_metrics();
        metrics::counter!("dpopd_store_errors_total", "op" => StoreOp::Journal.label())
            .increment(0);
        let _ = metrics::histogram!("dpopd_store_fsync_seconds");
    }

    /// Opens (or creates) the store in `settings.data_dir`: reads its records back, starts a new
    /// journal and the syncing and housekeeping threads.
    pub fn open(settings: &DurableSettings) -> Result<DurableStore, DurableError> {
        let started = Instant::now();
        let dir = DataDir::open(&settings.data_dir)?;
        dir.remove_temporary()?;
        let tables = Tables::new(
            settings.max_entries,
            settings.max_entries_per_owner,
            dir.salt(),
        );
        let found = dir.generations()?;
        let (loaded, base_bytes) = load(&dir, &tables, &found)?;
        let generation = found
            .journals
            .iter()
            .chain(&found.snapshots)
            .max()
            .map_or(1, |g| g + 1);
        let journal = dir.create_journal(generation)?;
        let log = Log::new(journal, tables.unix_ms(0), settings.replay_sync.is_zero());
        let journals = found
            .journals
            .iter()
            .filter(|g| found.snapshots.last().is_none_or(|s| *g >= s))
            .count()
            + 1;
        tracing::info!(data_dir = %dir.path().display(), records = loaded, live = tables.entry_count(),
            ms = started.elapsed().as_millis() as u64, "durable store opened");
        let inner = Arc::new(Inner {
            tables,
            log,
            dir,
            files: Mutex::new(Files {
                generation,
                base_bytes: base_bytes + record::HEADER_LEN as u64,
                appended_at_start: 0,
                journals,
                record_bytes: mean_record_bytes(base_bytes, loaded, journals as u64),
            }),
        });
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let threads = spawn_threads(&inner, &stop, settings.replay_sync)
            .map_err(|e| DurableError::io(&settings.data_dir, e))?;
        Ok(DurableStore {
            inner,
            stop,
            threads,
        })
    }

    /// The number of live entries of `ns` this store can hold.
    pub fn capacity(&self, ns: Namespace) -> u64 {
        self.inner.tables.capacity(ns)
    }

    /// Live entries of every namespace, after dropping expired ones.
    pub fn entry_count(&self) -> u64 {
        self.inner.tables.entry_count()
    }

    /// Writes a snapshot of the live records and removes the files it replaces. The background
    /// thread calls this when the files have grown; it never holds a table lock for longer than
    /// one shard's copy.
    pub fn compact(&self) -> Result<(), DurableError> {
        self.inner.compact()
    }

    /// Writes and syncs everything appended so far.
    pub fn sync(&self) -> Result<(), StoreError> {
        self.inner.log.sync_now()
    }

    fn finish<T: Send + 'static>(
        &self,
        op: StoreOp,
        started: Instant,
        result: Result<(T, Option<log::Ticket>), StoreError>,
    ) -> StoreFuture<'_, T> {
        // Written before the call answers, whatever the class: a killed process loses nothing.
        let written = result.and_then(|(outcome, ticket)| match ticket {
            Some(t) => self.inner.log.write(t).map(|()| (outcome, Some(t))),
            None => Ok((outcome, None)),
        });
        Box::pin(async move {
            let result = match written {
                Ok((outcome, Some(ticket))) => {
                    self.inner.log.settle(ticket).await.map(|()| outcome)
                }
                Ok((outcome, None)) => Ok(outcome),
                Err(e) => Err(e),
            };
            timed(op, started, result)
        })
    }
}

impl Drop for DurableStore {
    fn drop(&mut self) {
        *self.stop.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.stop.1.notify_all();
        self.inner.log.close();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl SeenStore for DurableStore {
    fn insert<'a>(&'a self, entry: Entry<'a>) -> StoreFuture<'a, Inserted> {
        let started = Instant::now();
        let result = self.inner.tables.insert(entry, &self.inner.log);
        self.finish(StoreOp::Insert, started, result)
    }

    fn advance<'a>(&'a self, entry: Entry<'a>, expected: i64) -> StoreFuture<'a, Advanced> {
        let started = Instant::now();
        let result = self.inner.tables.advance(entry, expected, &self.inner.log);
        self.finish(StoreOp::Advance, started, result)
    }

    fn lookup<'a>(
        &'a self,
        keys: &'a [(Namespace, &'a [u8])],
    ) -> StoreFuture<'a, Vec<Option<i64>>> {
        let started = Instant::now();
        let result = timed(StoreOp::Lookup, started, Ok(self.inner.tables.lookup(keys)));
        Box::pin(std::future::ready(result))
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        let result = match (self.inner.log.failure(), self.inner.tables.full_namespace()) {
            (Some(error), _) => Err(error),
            (None, Some(ns)) => Err(StoreError::Full(ns)),
            (None, None) => Ok(()),
        };
        Box::pin(std::future::ready(result))
    }
}

/// Restores the newest snapshot, then every later journal in order, into `tables`; returns the
/// number of records read and the size of the files read.
fn load(
    dir: &DataDir,
    tables: &Tables,
    found: &dir::Generations,
) -> Result<(u64, u64), DurableError> {
    let mut records = 0u64;
    let mut bytes = 0u64;
    let mut restore = |r: DiskRecord| {
        records += 1;
        let at = tables.live_until(r.expiry_unix_ms);
        tables.restore(&Change {
            ns: r.ns,
            digest: r.digest,
            // An expired record still replaces an older live one of its key: it is restored
            // with an expiry already past, so the key reads as absent.
            expiry: at.unwrap_or(0),
            value: r.value,
            owner: r.owner,
        });
    };
    let newest_snapshot = found.snapshots.last().copied();
    if let Some(generation) = newest_snapshot {
        bytes += dir.read(&dir.snapshot_path(generation), true, &mut restore)?;
    }
    for generation in &found.journals {
        if newest_snapshot.is_none_or(|s| *generation >= s) {
            bytes += dir.read(&dir.journal_path(*generation), false, &mut restore)?;
        }
    }
    tables.recount_owners();
    Ok((records, bytes))
}

impl Inner {
    fn compact(&self) -> Result<(), DurableError> {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let started = Instant::now();
        let generation = files.generation + 1;
        let journal = self.dir.create_journal(generation)?;
        let appended = self.log.appended();
        self.log.switch_to(journal)?;
        // From here on the new journal is the one appended to, whatever happens to the snapshot.
        files.generation = generation;
        files.journals += 1;
        let tables = &self.tables;
        let mut records = 0;
        let snapshot_bytes = self.dir.write_snapshot(generation, |write| {
            tables.for_each_live(|c| {
                records += 1;
                write(DiskRecord {
                    ns: c.ns,
                    digest: c.digest,
                    expiry_unix_ms: tables.unix_ms(c.expiry),
                    value: c.value,
                    owner: c.owner,
                })
            })
        })?;
        self.dir.remove_before(generation)?;
        *files = Files {
            generation,
            base_bytes: snapshot_bytes + record::HEADER_LEN as u64,
            appended_at_start: appended,
            journals: 1,
            record_bytes: mean_record_bytes(snapshot_bytes, records, 1),
        };
        tracing::info!(
            generation,
            bytes = snapshot_bytes,
            ms = started.elapsed().as_millis() as u64,
            "durable store compacted"
        );
        Ok(())
    }

    /// Whether the files have grown enough to be worth compacting.
    fn wants_compaction(&self) -> bool {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let on_disk = files.base_bytes + (self.log.appended() - files.appended_at_start);
        let live = self.tables.entry_count() * files.record_bytes;
        files.journals > COMPACT_MAX_JOURNALS || (on_disk > 2 * live && on_disk > COMPACT_MIN_BYTES)
    }
}

/// The syncing thread ([`Log::run_syncer`]) and the housekeeping thread.
fn spawn_threads(
    inner: &Arc<Inner>,
    stop: &Arc<(Mutex<bool>, Condvar)>,
    replay_sync: Duration,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    // With `replay_sync_ms = 0` every record asks for its own sync; the timer then only catches
    // what no caller waits for.
    let interval = if replay_sync.is_zero() {
        HOUSEKEEPING_INTERVAL
    } else {
        replay_sync
    };
    let syncer = {
        let inner = Arc::clone(inner);
        std::thread::Builder::new()
            .name("dpopd-store-sync".into())
            .spawn(move || inner.log.run_syncer(interval))?
    };
    let housekeeper = {
        let inner = Arc::clone(inner);
        let stop = Arc::clone(stop);
        std::thread::Builder::new()
            .name("dpopd-store-housekeeping".into())
            .spawn(move || housekeeping(&inner, &stop))
    };
    match housekeeper {
        Ok(housekeeper) => Ok(vec![syncer, housekeeper]),
        Err(e) => {
            inner.log.close();
            let _ = syncer.join();
            Err(e)
        }
    }
}

/// Drops expired records every second and compacts the files when they have grown.
fn housekeeping(inner: &Inner, stop: &(Mutex<bool>, Condvar)) {
    loop {
        {
            let stopped = stop.0.lock().unwrap_or_else(|e| e.into_inner());
            let (stopped, _) = stop
                .1
                .wait_timeout_while(stopped, HOUSEKEEPING_INTERVAL, |s| !*s)
                .unwrap_or_else(|e| e.into_inner());
            if *stopped {
                return;
            }
        }
        if inner.log.failure().is_none() && inner.wants_compaction() {
            if let Err(e) = inner.compact() {
                tracing::error!(error = %e, "durable store: compaction failed; the journal keeps growing and is retried");
            }
        }
    }
}
