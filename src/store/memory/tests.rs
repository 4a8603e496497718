//! Unit tests of `store::memory`.
use super::*;
use crate::store::contract;
use crate::store::tables::room;
use std::sync::Arc;

#[tokio::test]
async fn new_then_already_present() {
    let store = MemoryStore::new(100_000);
    contract::new_then_already_present(&store).await;
    assert_eq!(store.entry_count(), 2);
}

#[tokio::test]
async fn namespaces_are_independent() {
    let store = MemoryStore::new(100_000);
    contract::namespaces_are_independent(&store).await;
    // A jti, a code and a client assertion's jti.
    assert_eq!(store.entry_count(), 3);
}

#[tokio::test]
async fn entries_expire_after_their_own_ttl() {
    contract::entries_expire_after_their_own_ttl(&MemoryStore::new(100_000)).await;
}

#[tokio::test]
async fn values_are_kept_and_advanced_atomically() {
    contract::values_are_kept_and_advanced_atomically(&MemoryStore::new(100_000)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_inserts_yield_one_new() {
    contract::concurrent_inserts_of_one_key_yield_one_new(Arc::new(MemoryStore::new(100_000)))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_advances_yield_one_done() {
    contract::concurrent_advances_of_one_key_yield_one_done(Arc::new(MemoryStore::new(100_000)))
        .await;
}

#[tokio::test]
async fn a_full_namespace_refuses_and_keeps_every_live_entry() {
    let store = MemoryStore::new(100);
    room::a_full_namespace_refuses_and_keeps_every_live_entry(&store, |ns| store.capacity(ns))
        .await;
}

#[tokio::test]
async fn one_namespace_cannot_take_the_room_of_another() {
    let store = MemoryStore::new(100);
    room::one_namespace_cannot_take_the_room_of_another(&store, |ns| store.capacity(ns)).await;
}

#[tokio::test]
async fn one_owner_cannot_take_the_room_of_others() {
    room::one_owner_cannot_take_the_room_of_others(&MemoryStore::with_owner_cap(100_000, 3)).await;
}

#[tokio::test]
async fn expired_entries_make_room() {
    let store = MemoryStore::new(100);
    room::expired_entries_make_room(&store, |ns| store.capacity(ns)).await;
}

#[test]
fn threads_released_together_on_one_key_yield_one_new() {
    room::threads_released_together_on_one_key_yield_one_new(|| {
        Arc::new(MemoryStore::new(100_000))
    });
}
