//! The journal writer: every change is appended to a buffer under its shard's lock (so the
//! journal holds one key's changes in the order they were made), written to the file before the
//! call answers, and made durable (`fdatasync`) by one syncing thread for every caller waiting
//! at that moment (group commit).
//!
//! Two classes of record: replay records (`DpopJti`) are written before the call answers, so a
//! killed process loses none, and synced at least every `store.replay_sync_ms`, which bounds
//! what a power loss can take; every other record is synced before its call answers. A failed
//! write or sync leaves the journal failed for good: every later write is refused
//! ([`StoreError::Unavailable`]) until dpopd restarts, because after a failed `fsync` the kernel
//! may have dropped the unwritten pages and a retry would report success for data that is gone.
use super::record::{encode, DiskRecord};
use crate::store::tables::{Change, Journal};
use crate::store::{Namespace, StoreError, StoreOp};
use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How far the journal must be written for one call to answer: `end` is the journal position
/// (octets appended since the store opened) just after the call's record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    end: u64,
    durable: bool,
}

struct Pending {
    bytes: Vec<u8>,
    /// The journal position after the last appended octet.
    end: u64,
}

struct Io {
    file: Arc<File>,
    /// The journal position after the last octet handed to the kernel.
    written: u64,
    spare: Vec<u8>,
}

/// What the syncing thread publishes to callers waiting for their record to be durable.
#[derive(Debug, Clone, Copy)]
struct Synced {
    upto: u64,
    failed: bool,
}

pub(crate) struct Log {
    epoch_unix_ms: u64,
    /// Replay records are synced before the call answers too (`store.replay_sync_ms = 0`).
    sync_replay: bool,
    pending: Mutex<Pending>,
    io: Mutex<Io>,
    written: AtomicU64,
    /// The file the syncing thread syncs; held while it does, and while the file is switched.
    sync_file: Mutex<Arc<File>>,
    synced: watch::Sender<Synced>,
    /// The highest position a caller waits to see synced, and whether the store is closing.
    demand: Mutex<(u64, bool)>,
    wake: Condvar,
    failed: AtomicBool,
    failure: Mutex<Option<String>>,
}

impl Log {
    /// A journal appending to `file` (already holding its header), with `epoch_unix_ms`
    /// the wall-clock time of the tables' clock zero.
    pub(crate) fn new(file: File, epoch_unix_ms: u64, sync_replay: bool) -> Log {
        let file = Arc::new(file);
        Log {
            epoch_unix_ms,
            sync_replay,
            pending: Mutex::new(Pending {
                bytes: Vec::with_capacity(64 * 1024),
                end: 0,
            }),
            io: Mutex::new(Io {
                file: Arc::clone(&file),
                written: 0,
                spare: Vec::with_capacity(64 * 1024),
            }),
            written: AtomicU64::new(0),
            sync_file: Mutex::new(file),
            synced: watch::Sender::new(Synced {
                upto: 0,
                failed: false,
            }),
            demand: Mutex::new((0, false)),
            wake: Condvar::new(),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
        }
    }

    /// Octets appended since the store opened.
    pub(crate) fn appended(&self) -> u64 {
        lock(&self.pending).end
    }

    #[cfg(test)]
    pub(crate) fn synced_upto(&self) -> u64 {
        self.synced.borrow().upto
    }

    /// Why the journal refuses writes, if it does.
    pub(crate) fn failure(&self) -> Option<StoreError> {
        if !self.failed.load(Ordering::Acquire) {
            return None;
        }
        let reason = lock(&self.failure).clone().unwrap_or_default();
        Some(StoreError::Unavailable(format!(
            "durable store: journal failed ({reason}); writes are refused until dpopd restarts"
        )))
    }

    fn fail(&self, what: &str, error: &std::io::Error) -> StoreError {
        let mut failure = lock(&self.failure);
        if failure.is_none() {
            tracing::error!(error = %error, "durable store: journal {what} failed; every write is refused until dpopd restarts (docs/operations.md, durability)");
            *failure = Some(format!("{what}: {error}"));
        }
        drop(failure);
        self.failed.store(true, Ordering::Release);
        self.synced.send_modify(|s| s.failed = true);
        metrics::counter!("dpopd_store_errors_total", "op" => StoreOp::Journal.label())
            .increment(1);
        self.failure()
            .unwrap_or_else(|| StoreError::Unavailable("durable store: journal failed".into()))
    }

    /// Hands the record of `ticket`, and everything appended before it, to the kernel.
    pub(crate) fn write(&self, ticket: Ticket) -> Result<(), StoreError> {
        self.write_through(ticket.end)
    }

    /// Hands every octet up to `end` to the kernel (one `write` for whatever is pending): from
    /// then on a killed process loses nothing of it.
    pub(crate) fn write_through(&self, end: u64) -> Result<(), StoreError> {
        if self.written.load(Ordering::Acquire) >= end {
            return Ok(());
        }
        let mut io = lock(&self.io);
        if io.written >= end {
            return Ok(());
        }
        if let Some(error) = self.failure() {
            return Err(error);
        }
        self.write_pending(&mut io)
    }

    fn write_pending(&self, io: &mut Io) -> Result<(), StoreError> {
        let end = {
            let mut pending = lock(&self.pending);
            std::mem::swap(&mut pending.bytes, &mut io.spare);
            pending.end
        };
        let Io {
            file,
            written,
            spare,
        } = io;
        let result = file.as_ref().write_all(spare);
        spare.clear();
        match result {
            Ok(()) => {
                *written = end;
                self.written.store(end, Ordering::Release);
                Ok(())
            }
            Err(e) => Err(self.fail("write", &e)),
        }
    }

    /// Waits until the record of `ticket` is durable, if its class asks for that.
    pub(crate) async fn settle(&self, ticket: Ticket) -> Result<(), StoreError> {
        if !ticket.durable {
            return Ok(());
        }
        let mut synced = self.synced.subscribe();
        if synced.borrow().upto >= ticket.end {
            return Ok(());
        }
        {
            let mut demand = lock(&self.demand);
            demand.0 = demand.0.max(ticket.end);
        }
        self.wake.notify_one();
        let reached = synced
            .wait_for(|s| s.upto >= ticket.end || s.failed)
            .await
            .is_ok_and(|s| s.upto >= ticket.end);
        if reached {
            return Ok(());
        }
        Err(self
            .failure()
            .unwrap_or_else(|| StoreError::Unavailable("durable store: journal closed".into())))
    }

    /// The syncing thread: syncs when a caller waits, and at least every `interval` while
    /// anything is unsynced, until [`Log::close`]; then syncs a last time.
    pub(crate) fn run_syncer(&self, interval: Duration) {
        loop {
            let closing = {
                let mut demand = lock(&self.demand);
                if demand.0 <= self.synced.borrow().upto && !demand.1 {
                    demand = self
                        .wake
                        .wait_timeout(demand, interval)
                        .map_or_else(|e| e.into_inner().0, |(d, _)| d);
                }
                demand.1
            };
            let _ = self.sync_now();
            if closing {
                return;
            }
        }
    }

    /// Writes whatever is pending and syncs the journal file.
    pub(crate) fn sync_now(&self) -> Result<(), StoreError> {
        self.write_through(self.appended())?;
        let file = lock(&self.sync_file);
        let upto = self.written.load(Ordering::Acquire);
        if upto <= self.synced.borrow().upto {
            return Ok(());
        }
        if let Some(error) = self.failure() {
            return Err(error);
        }
        let started = Instant::now();
        if let Err(e) = file.sync_data() {
            return Err(self.fail("fsync", &e));
        }
        metrics::histogram!("dpopd_store_fsync_seconds").record(started.elapsed().as_secs_f64());
        self.synced.send_modify(|s| s.upto = s.upto.max(upto));
        Ok(())
    }

    /// Stops the syncing thread after a last sync.
    pub(crate) fn close(&self) {
        lock(&self.demand).1 = true;
        self.wake.notify_one();
    }

    /// Appends from now on to `next` (a new, empty journal file with its header, already
    /// synced): what was appended before is written and synced to the previous file first.
    pub(crate) fn switch_to(&self, next: File) -> Result<(), StoreError> {
        let next = Arc::new(next);
        let mut sync_file = lock(&self.sync_file);
        let (previous, upto) = {
            let mut io = lock(&self.io);
            if let Some(error) = self.failure() {
                return Err(error);
            }
            self.write_pending(&mut io)?;
            let previous = std::mem::replace(&mut io.file, Arc::clone(&next));
            (previous, io.written)
        };
        if let Err(e) = previous.sync_data() {
            return Err(self.fail("fsync", &e));
        }
        *sync_file = next;
        self.synced.send_modify(|s| s.upto = s.upto.max(upto));
        Ok(())
    }
}

impl Journal for Log {
    type Ticket = Ticket;

    fn append(&self, change: &Change) -> Result<Ticket, StoreError> {
        if let Some(error) = self.failure() {
            return Err(error);
        }
        let record = DiskRecord {
            ns: change.ns,
            digest: change.digest,
            expiry_unix_ms: self.epoch_unix_ms.saturating_add(change.expiry),
            value: change.value,
            owner: change.owner,
        };
        let mut pending = lock(&self.pending);
        let before = pending.bytes.len();
        encode(&record, &mut pending.bytes);
        pending.end += (pending.bytes.len() - before) as u64;
        Ok(Ticket {
            end: pending.end,
            durable: change.ns != Namespace::DpopJti || self.sync_replay,
        })
    }
}

/// A panic while a lock was held leaves each field consistent (every step is one assignment).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
