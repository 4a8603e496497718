//! What every [`SeenStore`] promises, as test steps each implementation's tests run against a
//! fresh store of its own: one atomic insert-if-absent per key, namespaces that never meet,
//! and entries that leave when their own TTL runs out. Implementation-specific behaviour
//! (capacity eviction, salting, key layout, timeouts) is tested beside the implementation.
use super::{Inserted, Namespace, SeenStore};
use std::sync::Arc;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// The first insert of a key is `New`, every later one `AlreadyPresent`; `contains` agrees.
pub(crate) async fn new_then_already_present(store: &dyn SeenStore) {
    assert_eq!(store.ping().await, Ok(()));
    assert_eq!(
        store.contains(Namespace::DpopJti, b"jti-1").await,
        Ok(false)
    );
    assert_eq!(
        store
            .insert_if_absent(Namespace::DpopJti, b"jti-1", HOUR)
            .await,
        Ok(Inserted::New)
    );
    assert_eq!(
        store
            .insert_if_absent(Namespace::DpopJti, b"jti-1", HOUR)
            .await,
        Ok(Inserted::AlreadyPresent)
    );
    assert_eq!(store.contains(Namespace::DpopJti, b"jti-1").await, Ok(true));
    assert_eq!(
        store
            .insert_if_absent(Namespace::DpopJti, b"jti-2", HOUR)
            .await,
        Ok(Inserted::New)
    );
}

/// The same bytes in two namespaces are two keys: a jti never shadows a code or a revocation.
pub(crate) async fn namespaces_are_independent(store: &dyn SeenStore) {
    assert_eq!(
        store
            .insert_if_absent(Namespace::DpopJti, b"same", HOUR)
            .await,
        Ok(Inserted::New)
    );
    assert_eq!(
        store.insert_if_absent(Namespace::Code, b"same", HOUR).await,
        Ok(Inserted::New)
    );
    assert_eq!(
        store.contains(Namespace::RevokedToken, b"same").await,
        Ok(false)
    );
    assert_eq!(
        store.contains(Namespace::RefreshRotated, b"same").await,
        Ok(false)
    );
    assert_eq!(
        store.insert_if_absent(Namespace::Code, b"same", HOUR).await,
        Ok(Inserted::AlreadyPresent)
    );
    assert_eq!(
        store
            .insert_if_absent(Namespace::DpopJti, b"same", HOUR)
            .await,
        Ok(Inserted::AlreadyPresent)
    );
}

/// An entry is absent once its own TTL has passed, and can then be recorded again; a
/// neighbour with a longer TTL stays; a sub-millisecond TTL still records the key.
pub(crate) async fn entries_expire_after_their_own_ttl(store: &dyn SeenStore) {
    let short = Duration::from_millis(100);
    assert_eq!(
        store
            .insert_if_absent(Namespace::Ticket, b"short", short)
            .await,
        Ok(Inserted::New)
    );
    assert_eq!(
        store
            .insert_if_absent(Namespace::Ticket, b"long", HOUR)
            .await,
        Ok(Inserted::New)
    );
    assert_eq!(store.contains(Namespace::Ticket, b"short").await, Ok(true));
    // Both stores keep time by the wall clock (an `Instant`, the Redis server's), not tokio's.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(store.contains(Namespace::Ticket, b"short").await, Ok(false));
    assert_eq!(store.contains(Namespace::Ticket, b"long").await, Ok(true));
    assert_eq!(
        store
            .insert_if_absent(Namespace::Ticket, b"short", short)
            .await,
        Ok(Inserted::New)
    );
    assert_eq!(
        store
            .insert_if_absent(Namespace::Ticket, b"tiny", Duration::from_micros(10))
            .await,
        Ok(Inserted::New)
    );
}

/// Racing inserts of one key: exactly one caller sees `New`. Run on a multi-threaded runtime.
pub(crate) async fn concurrent_inserts_of_one_key_yield_one_new(store: Arc<dyn SeenStore>) {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(
                async move { store.insert_if_absent(Namespace::Code, b"code", HOUR).await },
            )
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    let new = results.iter().filter(|r| **r == Ok(Inserted::New)).count();
    let present = results
        .iter()
        .filter(|r| **r == Ok(Inserted::AlreadyPresent))
        .count();
    assert_eq!((new, present), (1, 15), "{results:?}");
}
