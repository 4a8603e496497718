//! Redis store for several replicas: `SET key 1 NX PX ttl` through an async `ConnectionManager`,
//! keys namespaced and hashed, every call bounded by a timeout so a dead Redis fails closed.
use super::{Inserted, Namespace, SeenStore, StoreError, StoreFuture};
use std::time::Duration;

pub struct RedisStore { /* private */ }

impl RedisStore {
    /// Connects (bounded by `timeout`); `prefix` namespaces every key (default `dpopd:`).
    pub async fn connect(url: &str, prefix: &str, timeout: Duration) -> Result<RedisStore, StoreError> {
        unimplemented!()
    }
}

impl SeenStore for RedisStore {
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
