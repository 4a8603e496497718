//! In-process store on moka (one node). Each entry expires after its own TTL. Capacity is
//! bounded by configuration; an entry evicted for capacity before its expiry is a replay hole,
//! so every such eviction is counted in `dpopd_store_live_evictions_total`.
use super::{Inserted, Namespace, SeenStore, StoreFuture};
use std::time::Duration;

pub struct MemoryStore { /* private */ }

impl MemoryStore {
    pub fn new(max_entries: u64) -> MemoryStore {
        unimplemented!()
    }
}

impl SeenStore for MemoryStore {
    fn insert_if_absent<'a>(&'a self, ns: Namespace, key: &'a [u8], ttl: Duration) -> StoreFuture<'a, Inserted> {
        unimplemented!()
    }

    fn contains<'a>(&'a self, ns: Namespace, key: &'a [u8]) -> StoreFuture<'a, bool> {
        unimplemented!()
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        unimplemented!()
    }
}
