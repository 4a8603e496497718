//! What every [`SeenStore`] promises, as test steps each implementation's tests run against a
//! fresh store of its own: one atomic insert-if-absent per key, namespaces that never meet,
//! entries that leave when their own TTL runs out, values kept with their keys and advanced
//! atomically. Implementation-specific behaviour (room and quotas, salting, key layout,
//! timeouts) is tested beside the implementation.
use super::{contains, Advanced, Entry, Inserted, Namespace, SeenStore};
use std::sync::Arc;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// The first insert of a key is `New`, every later one `AlreadyPresent`; `contains` agrees.
pub(crate) async fn new_then_already_present(store: &dyn SeenStore) {
    assert_eq!(store.ping().await, Ok(()));
    assert_eq!(
        contains(store, Namespace::DpopJti, b"jti-1").await,
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
        Ok(Inserted::AlreadyPresent(1))
    );
    assert_eq!(
        contains(store, Namespace::DpopJti, b"jti-1").await,
        Ok(true)
    );
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
        contains(store, Namespace::RevokedToken, b"same").await,
        Ok(false)
    );
    assert_eq!(
        contains(store, Namespace::RefreshGeneration, b"same").await,
        Ok(false)
    );
    assert_eq!(
        store.insert_if_absent(Namespace::Code, b"same", HOUR).await,
        Ok(Inserted::AlreadyPresent(1))
    );
    assert_eq!(
        store
            .insert_if_absent(Namespace::DpopJti, b"same", HOUR)
            .await,
        Ok(Inserted::AlreadyPresent(1))
    );
    // A client assertion's jti is its own key, recorded once.
    for expected in [Inserted::New, Inserted::AlreadyPresent(1)] {
        assert_eq!(
            store
                .insert_if_absent(Namespace::ClientAssertionJti, b"same", HOUR)
                .await,
            Ok(expected)
        );
    }
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
    assert_eq!(contains(store, Namespace::Ticket, b"short").await, Ok(true));
    // Both stores keep time by the wall clock (an `Instant`, the Redis server's), not tokio's.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        contains(store, Namespace::Ticket, b"short").await,
        Ok(false)
    );
    assert_eq!(contains(store, Namespace::Ticket, b"long").await, Ok(true));
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
        .filter(|r| **r == Ok(Inserted::AlreadyPresent(1)))
        .count();
    assert_eq!((new, present), (1, 15), "{results:?}");
}

/// Values are kept with their key, returned by `lookup` and by an insert that finds the key;
/// `advance` sets a value only from the expected one (an absent key counts as expected).
pub(crate) async fn values_are_kept_and_advanced_atomically(store: &dyn SeenStore) {
    let code = Entry::new(Namespace::Code, b"code", HOUR).value(1_700_000_600);
    assert_eq!(store.insert(code).await, Ok(Inserted::New));
    assert_eq!(
        store.insert(code.value(5)).await,
        Ok(Inserted::AlreadyPresent(1_700_000_600))
    );
    let generation = Entry::new(Namespace::RefreshGeneration, b"family", HOUR);
    assert_eq!(
        store.advance(generation.value(1), 0).await,
        Ok(Advanced::Done)
    );
    assert_eq!(
        store.advance(generation.value(2), 1).await,
        Ok(Advanced::Done)
    );
    assert_eq!(
        store.advance(generation.value(2), 1).await,
        Ok(Advanced::Conflict(2))
    );
    let keys = [
        (Namespace::Code, &b"code"[..]),
        (Namespace::RefreshGeneration, b"family"),
        (Namespace::RefreshGeneration, b"other"),
        (Namespace::GrantRevoked, b"family"),
    ];
    assert_eq!(
        store.lookup(&keys).await,
        Ok(vec![Some(1_700_000_600), Some(2), None, None])
    );
    // An absent key is advanced from any expected value: a family the store does not know.
    let unknown = Entry::new(Namespace::RefreshGeneration, b"unknown", HOUR).value(8);
    assert_eq!(store.advance(unknown, 7).await, Ok(Advanced::Done));
}

/// Racing advances from one value (of an absent key): exactly one caller sees `Done`.
pub(crate) async fn concurrent_advances_of_one_key_yield_one_done(store: Arc<dyn SeenStore>) {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let entry = Entry::new(Namespace::RefreshGeneration, b"fam", HOUR).value(4);
                store.advance(entry, 3).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    let done = results.iter().filter(|r| **r == Ok(Advanced::Done)).count();
    let conflicts = results
        .iter()
        .filter(|r| **r == Ok(Advanced::Conflict(4)))
        .count();
    assert_eq!((done, conflicts), (1, 15), "{results:?}");
}
