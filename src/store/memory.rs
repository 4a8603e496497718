//! In-process store for one node, forgotten at exit (`store.kind = "memory"`: tests and
//! throw-away instances): the [`Tables`] alone, with nothing written down. Room, owner quotas
//! and refusals are the tables' (src/store/tables.rs).
use super::tables::{random_salt, timed, Tables};
use super::{Advanced, Entry, Inserted, Namespace, SeenStore, StoreError, StoreFuture, StoreOp};
use std::time::Instant;

/// The default of `store.max_entries_per_owner`.
pub const DEFAULT_MAX_ENTRIES_PER_OWNER: u64 = 10_000;

pub struct MemoryStore {
    tables: Tables,
}

impl MemoryStore {
    /// `max_entries` split between the namespaces by their share, with the default per-owner cap.
    pub fn new(max_entries: u64) -> MemoryStore {
        MemoryStore::with_owner_cap(max_entries, DEFAULT_MAX_ENTRIES_PER_OWNER)
    }

    pub fn with_owner_cap(max_entries: u64, max_entries_per_owner: u64) -> MemoryStore {
        MemoryStore {
            tables: Tables::new(max_entries, max_entries_per_owner, random_salt()),
        }
    }

    /// Registers every series this store records, at zero.
    pub fn register_metrics() {
        super::tables::register_metrics();
    }

    /// The number of live entries of `ns` this store can hold.
    pub fn capacity(&self, ns: Namespace) -> u64 {
        self.tables.capacity(ns)
    }

    /// Live entries of every namespace, after dropping expired ones.
    pub fn entry_count(&self) -> u64 {
        self.tables.entry_count()
    }

    /// Drops expired entries now (inserts otherwise do it as they pass by).
    pub fn purge_expired(&self) {
        let _ = self.tables.entry_count();
    }
}

impl SeenStore for MemoryStore {
    fn insert<'a>(&'a self, entry: Entry<'a>) -> StoreFuture<'a, Inserted> {
        let started = Instant::now();
        let result = self.tables.insert(entry, &()).map(|(inserted, _)| inserted);
        Box::pin(std::future::ready(timed(StoreOp::Insert, started, result)))
    }

    fn advance<'a>(&'a self, entry: Entry<'a>, expected: i64) -> StoreFuture<'a, Advanced> {
        let started = Instant::now();
        let result = self
            .tables
            .advance(entry, expected, &())
            .map(|(advanced, _)| advanced);
        Box::pin(std::future::ready(timed(StoreOp::Advance, started, result)))
    }

    fn lookup<'a>(
        &'a self,
        keys: &'a [(Namespace, &'a [u8])],
    ) -> StoreFuture<'a, Vec<Option<i64>>> {
        let started = Instant::now();
        let result = timed(StoreOp::Lookup, started, Ok(self.tables.lookup(keys)));
        Box::pin(std::future::ready(result))
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        let result = match self.tables.full_namespace() {
            Some(ns) => Err(StoreError::Full(ns)),
            None => Ok(()),
        };
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests;
