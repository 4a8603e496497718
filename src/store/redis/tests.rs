//! The Redis store against real servers: the store contract, key layout and TTLs, fail-closed
//! timing, reconnection, and the redaction of credentials. Topologies (TLS, ACL users,
//! Sentinel, Cluster) are driven through the application in tests/api/redis_topologies.rs.
use super::*;
use crate::config::{Secret, Settings, StoreKind, StoreSettings};
use crate::store::contract;
use std::process::{Child, Command, Stdio};

const TIMEOUT: Duration = Duration::from_millis(500);
const HOUR: Duration = Duration::from_secs(3600);

/// `[store]` of a single-server store on `url`.
fn store_settings(url: &str, prefix: &str, timeout: Duration) -> StoreSettings {
    let mut settings = Settings::development().store;
    settings.kind = StoreKind::Redis;
    settings.redis_url = Secret::new(url);
    settings.redis_prefix = prefix.to_owned();
    settings.timeout_ms = u64::try_from(timeout.as_millis()).unwrap();
    settings
}

/// A single-server store on `url`, as `[store]` would configure it.
async fn connect(url: &str, prefix: &str, timeout: Duration) -> Result<RedisStore, StoreError> {
    let options = RedisOptions::from_settings(&store_settings(url, prefix, timeout))
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    RedisStore::connect(&options).await
}

/// A raw connection of the store, for looking at what it wrote.
async fn raw(store: &RedisStore) -> link::Conn {
    store.link.conn().await.unwrap()
}

/// A prefix of its own per test, so parallel tests and reruns never see each other's keys.
fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("dpopd-test:{test}:{}:{nanos}:", std::process::id())
}

/// A store under a prefix of its own, on the Redis at `DPOPD_TEST_REDIS_URL` when that is
/// set, else on a redis-server of this test's own (stopped when the returned [`Server`]
/// drops). Without either the test is skipped with a message, unless
/// `DPOPD_REQUIRE_REDIS=1` (CI) makes that a failure.
async fn store_or_skip(test: &str) -> Option<(RedisStore, Option<Server>)> {
    let (url, server) = match std::env::var("DPOPD_TEST_REDIS_URL") {
        Ok(url) => (url, None),
        Err(_) => match own_server().await {
            Some((url, server)) => (url, Some(server)),
            None => return skip(test, "no redis-server binary"),
        },
    };
    match connect(&url, &unique_prefix(test), Duration::from_secs(2)).await {
        Ok(store) => Some((store, server)),
        Err(_) => skip(test, &format!("no Redis at {url}")),
    }
}

fn skip<T>(test: &str, why: &str) -> Option<T> {
    assert!(
        std::env::var("DPOPD_REQUIRE_REDIS").is_err(),
        "{test}: {why} (DPOPD_REQUIRE_REDIS is set)"
    );
    eprintln!("SKIPPED {test}: {why}");
    None
}

async fn own_server() -> Option<(String, Server)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let server = spawn_server(port)?;
    wait_listening(port)
        .await
        .then(|| (format!("redis://127.0.0.1:{port}"), server))
}

async fn keys(store: &RedisStore) -> Vec<String> {
    let mut conn = raw(store).await;
    redis::cmd("KEYS")
        .arg(format!("{}*", store.prefix))
        .query_async(&mut conn)
        .await
        .unwrap()
}

async fn cleanup(store: &RedisStore) {
    let keys = keys(store).await;
    if !keys.is_empty() {
        let mut conn = raw(store).await;
        let _: u64 = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn new_then_already_present() {
    let Some((store, _server)) = store_or_skip("insert").await else {
        return;
    };
    contract::new_then_already_present(&store).await;
    cleanup(&store).await;
}

/// Each thread that calls gets a connection of its own, driven by its own runtime, so a
/// worker's command never waits on the thread that connected at start (`link::SingleLink`).
/// Here that thread and its runtime are gone before the first call: with one connection for
/// the process, its task stopped with them, and every later call failed.
#[tokio::test]
async fn calls_do_not_depend_on_the_runtime_that_connected() {
    let built = std::thread::spawn(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(store_or_skip("own-runtime"))
    })
    .join()
    .unwrap();
    let Some((store, _server)) = built else {
        return;
    };
    contract::new_then_already_present(&store).await;
    assert_eq!(store.ping().await, Ok(()));
    cleanup(&store).await;
}

#[tokio::test]
async fn namespaces_are_independent() {
    let Some((store, _server)) = store_or_skip("namespaces").await else {
        return;
    };
    contract::namespaces_are_independent(&store).await;
    cleanup(&store).await;
}

#[tokio::test]
async fn entries_expire_after_their_own_ttl() {
    let Some((store, _server)) = store_or_skip("ttl").await else {
        return;
    };
    contract::entries_expire_after_their_own_ttl(&store).await;
    cleanup(&store).await;
}

#[tokio::test]
async fn values_are_kept_and_advanced_atomically() {
    let Some((store, _server)) = store_or_skip("values").await else {
        return;
    };
    contract::values_are_kept_and_advanced_atomically(&store).await;
    cleanup(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_advances_yield_one_done() {
    let Some((store, _server)) = store_or_skip("advances").await else {
        return;
    };
    let store = std::sync::Arc::new(store);
    contract::concurrent_advances_of_one_key_yield_one_done(store.clone()).await;
    cleanup(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_inserts_yield_one_new() {
    let Some((store, _server)) = store_or_skip("concurrent").await else {
        return;
    };
    let store = std::sync::Arc::new(store);
    contract::concurrent_inserts_of_one_key_yield_one_new(store.clone()).await;
    cleanup(&store).await;
}

/// The TTL reaches Redis as `PX`: the key itself expires, no sweep is needed.
#[tokio::test]
async fn the_ttl_is_set_on_the_key_in_milliseconds() {
    let Some((store, _server)) = store_or_skip("pttl").await else {
        return;
    };
    let ttl = Duration::from_millis(150);
    assert_eq!(
        store.insert_if_absent(Namespace::Ticket, b"t", ttl).await,
        Ok(Inserted::New)
    );
    let mut conn = raw(&store).await;
    let pttl: i64 = redis::cmd("PTTL")
        .arg(store.redis_key(Namespace::Ticket, b"t"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(pttl > 0 && pttl <= 150, "PTTL {pttl}");
    cleanup(&store).await;
}

#[tokio::test]
async fn keys_are_prefixed_and_hashed() {
    let Some((store, _server)) = store_or_skip("keys").await else {
        return;
    };
    let raw = b"raw-jti-value-that-must-not-leak";
    store
        .insert_if_absent(Namespace::DpopJti, raw, HOUR)
        .await
        .unwrap();
    let keys = keys(&store).await;
    assert_eq!(keys, vec![store.redis_key(Namespace::DpopJti, raw)]);
    for key in &keys {
        let rest = key.strip_prefix(&store.prefix).unwrap();
        assert_eq!(rest.len(), 64);
        assert!(rest.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!key.contains("raw-jti"));
    }
    cleanup(&store).await;
}

#[tokio::test]
async fn closed_port_fails_closed_fast() {
    let started = Instant::now();
    let result = connect(
        "redis://:s3cret-pw@127.0.0.1:1",
        "dpopd:",
        Duration::from_millis(300),
    )
    .await;
    let elapsed = started.elapsed();
    let Err(StoreError::Unavailable(text)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    assert!(!text.contains("s3cret-pw"), "{text}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

fn unacknowledged<T>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Unavailable(t)) if t.contains("0 of 1 replicas"))
}

/// `store.redis_wait_replicas`: a write that fewer replicas acknowledged refuses its call (a
/// failover could lose it), in time; the record stays, so what the call carried is never
/// accepted later either.
#[tokio::test]
async fn a_write_fewer_replicas_acknowledged_than_required_is_refused() {
    let Some((url, _server)) = own_server().await else {
        skip::<()>("wait", "no redis-server binary");
        return;
    };
    let mut settings = store_settings(&url, "dpopd-test:wait:", TIMEOUT);
    settings.redis_wait_replicas = 1;
    let store = RedisStore::connect(&RedisOptions::from_settings(&settings).unwrap())
        .await
        .unwrap();
    let started = Instant::now();
    let insert = store
        .insert_if_absent(Namespace::DpopJti, b"jti", HOUR)
        .await;
    assert!(unacknowledged(&insert), "{insert:?}");
    assert!(
        started.elapsed() < TIMEOUT,
        "WAIT ends before the call's deadline"
    );
    assert_eq!(
        store
            .insert_if_absent(Namespace::DpopJti, b"jti", HOUR)
            .await,
        Ok(Inserted::AlreadyPresent(1))
    );
    let generation = Entry::new(Namespace::RefreshGeneration, b"family", HOUR).value(1);
    let advance = store.advance(generation, 0).await;
    assert!(unacknowledged(&advance), "{advance:?}");
}

#[test]
fn ttl_is_rounded_up_to_whole_millis() {
    assert_eq!(ttl_millis(Duration::ZERO), 1);
    assert_eq!(ttl_millis(Duration::from_micros(1500)), 2);
    assert_eq!(ttl_millis(Duration::from_millis(250)), 250);
}

/// A redis-server child of this test, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_server(port: u16) -> Option<Server> {
    Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
        .map(Server)
}

async fn wait_listening(port: u16) -> bool {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Redis goes away: calls fail closed within the timeout. Redis comes back: the same store
/// works again without reconnecting by hand.
#[tokio::test]
async fn reconnects_after_redis_restarts() {
    let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(_) => return,
    };
    let Some(server) = spawn_server(port) else {
        eprintln!("SKIPPED: no redis-server binary to restart");
        return;
    };
    assert!(wait_listening(port).await, "redis-server did not start");
    let url = format!("redis://127.0.0.1:{port}");
    let store = connect(&url, "dpopd-test:restart:", TIMEOUT).await.unwrap();
    assert_eq!(
        store.insert_if_absent(Namespace::DpopJti, b"a", HOUR).await,
        Ok(Inserted::New)
    );

    // Killed and waited for: nothing listens on the port any more.
    drop(server);
    // Refused at once while nothing listens: calls do not wait out a reconnection's back-off,
    // so they do not pile up during an outage.
    let started = Instant::now();
    for _ in 0..5 {
        assert!(matches!(
            store.insert_if_absent(Namespace::DpopJti, b"b", HOUR).await,
            Err(StoreError::Unavailable(_))
        ));
    }
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "5 calls refused in {:?}",
        started.elapsed()
    );
    for _ in 0..3 {
        let started = Instant::now();
        let result = store.insert_if_absent(Namespace::DpopJti, b"b", HOUR).await;
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{result:?}"
        );
        assert!(started.elapsed() < TIMEOUT + Duration::from_millis(300));
        assert!(matches!(
            store.ping().await,
            Err(StoreError::Unavailable(_))
        ));
    }

    let _server = spawn_server(port).unwrap();
    assert!(wait_listening(port).await, "redis-server did not restart");
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.ping().await.is_err() {
        assert!(Instant::now() < deadline, "store did not reconnect");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The restarted server is empty (no persistence): "a" is new there.
    assert_eq!(
        store.insert_if_absent(Namespace::DpopJti, b"a", HOUR).await,
        Ok(Inserted::New)
    );
    assert_eq!(
        store.insert_if_absent(Namespace::DpopJti, b"a", HOUR).await,
        Ok(Inserted::AlreadyPresent(1))
    );
}
