//! Redis store for several replicas: `SET key value NX GET PX ttl` (Redis 7), `MGET` and one Lua
//! compare-and-set script through an async `ConnectionManager`, keys namespaced and hashed,
//! every call bounded by a timeout so a dead Redis fails closed.
//!
//! The `ConnectionManager` reconnects by itself after an I/O error: while Redis is down every
//! call returns `Unavailable` within the timeout, and once it is back calls succeed again
//! without restarting dpopd.
use super::{Advanced, Entry, Inserted, Namespace, SeenStore, StoreError, StoreFuture};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::future::Future;
use std::time::{Duration, Instant};

/// Reconnection attempts per failure inside the manager; kept small because every call is
/// bounded by `timeout` anyway, and the next call after a failure starts a new round.
const RECONNECT_RETRIES: usize = 2;
const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(50);
const RECONNECT_MAX_DELAY: Duration = Duration::from_secs(1);

pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects (bounded by `timeout`); `prefix` namespaces every key (default `dpopd:`).
    pub async fn connect(
        url: &str,
        prefix: &str,
        timeout: Duration,
    ) -> Result<RedisStore, StoreError> {
        let started = Instant::now();
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Unavailable(redact(&format!("redis url: {e}"), url)))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_min_delay(RECONNECT_MIN_DELAY)
            .set_max_delay(RECONNECT_MAX_DELAY);
        let result =
            tokio::time::timeout(timeout, ConnectionManager::new_with_config(client, config)).await;
        record("connect", started, result.as_ref().is_ok_and(|r| r.is_ok()));
        let conn = match result {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => {
                return Err(StoreError::Unavailable(redact(
                    &format!("redis connect: {e}"),
                    url,
                )))
            }
            Err(_) => {
                return Err(StoreError::Unavailable(format!(
                    "redis connect: no connection within {timeout:?}"
                )))
            }
        };
        Ok(RedisStore {
            conn,
            prefix: prefix.to_owned(),
            timeout,
        })
    }

    /// The Redis key for `(ns, key)`: prefix and the hex SHA-256 of namespace and key, so no
    /// raw jti or token reaches Redis.
    pub fn redis_key(&self, ns: Namespace, key: &[u8]) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hashed = super::hashed_key(ns, key);
        let mut out = String::with_capacity(self.prefix.len() + 2 * hashed.len());
        out.push_str(&self.prefix);
        for b in hashed {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        out
    }

    /// Runs one Redis call under the timeout, recording latency and errors.
    async fn call<T>(
        &self,
        op: &'static str,
        fut: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(StoreError::Unavailable(format!("redis {op}: {e}"))),
            Err(_) => Err(StoreError::Unavailable(format!(
                "redis {op}: no answer within {:?}",
                self.timeout
            ))),
        };
        record(op, started, result.is_ok());
        result
    }
}

fn record(op: &'static str, started: Instant, ok: bool) {
    metrics::histogram!("dpopd_store_seconds", "op" => op).record(started.elapsed().as_secs_f64());
    if !ok {
        metrics::counter!("dpopd_store_errors_total", "op" => op).increment(1);
    }
}

/// Removes the URL's userinfo (and password alone) from an error text before it is logged.
fn redact(text: &str, url: &str) -> String {
    let userinfo = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
        .and_then(|authority| authority.rsplit_once('@'))
        .map(|(userinfo, _)| userinfo);
    let mut out = text.to_owned();
    if let Some(userinfo) = userinfo {
        let password = userinfo.split_once(':').map(|(_, p)| p);
        for secret in [Some(userinfo), password].into_iter().flatten() {
            if !secret.is_empty() {
                out = out.replace(secret, "***");
            }
        }
    }
    out
}

/// `PX` in whole milliseconds, rounded up so a key never lives shorter than asked, at least 1
/// (Redis refuses `PX 0`).
fn ttl_millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_micros().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Compare-and-set: the value moves from `ARGV[1]` (or from nothing) to `ARGV[2]`
/// with a new `PX` of `ARGV[3]`; any other value is returned unchanged. One script, so the
/// read and the write are one step on the server.
const ADVANCE: &str = r"
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return false
end
return v
";

fn parse_value(op: &str, text: &str) -> Result<i64, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Unavailable(format!("redis {op}: a value is not a number")))
}

impl SeenStore for RedisStore {
    fn insert<'a>(&'a self, entry: Entry<'a>) -> StoreFuture<'a, Inserted> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.redis_key(entry.ns, entry.key))
            .arg(entry.value)
            .arg("NX")
            .arg("GET")
            .arg("PX")
            .arg(ttl_millis(entry.ttl));
        Box::pin(async move {
            let mut conn = self.conn.clone();
            // SET NX is atomic on the server: exactly one caller across all replicas gets the
            // key; with GET (Redis 7) the others learn its value in the same round trip.
            let previous: Option<String> = self.call("insert", cmd.query_async(&mut conn)).await?;
            match previous {
                None => Ok(Inserted::New),
                Some(text) => Ok(Inserted::AlreadyPresent(parse_value("insert", &text)?)),
            }
        })
    }

    fn advance<'a>(&'a self, entry: Entry<'a>, expected: i64) -> StoreFuture<'a, Advanced> {
        let key = self.redis_key(entry.ns, entry.key);
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let script = redis::Script::new(ADVANCE);
            let mut invocation = script.key(key);
            invocation
                .arg(expected)
                .arg(entry.value)
                .arg(ttl_millis(entry.ttl));
            let current: Option<String> = self
                .call("advance", invocation.invoke_async(&mut conn))
                .await?;
            match current {
                None => Ok(Advanced::Done),
                Some(text) => Ok(Advanced::Conflict(parse_value("advance", &text)?)),
            }
        })
    }

    fn lookup<'a>(
        &'a self,
        keys: &'a [(Namespace, &'a [u8])],
    ) -> StoreFuture<'a, Vec<Option<i64>>> {
        let mut cmd = redis::cmd("MGET");
        for (ns, key) in keys {
            cmd.arg(self.redis_key(*ns, key));
        }
        Box::pin(async move {
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            let mut conn = self.conn.clone();
            let values: Vec<Option<String>> =
                self.call("lookup", cmd.query_async(&mut conn)).await?;
            if values.len() != keys.len() {
                return Err(StoreError::Unavailable("redis lookup: short reply".into()));
            }
            values
                .into_iter()
                .map(|v| v.map(|text| parse_value("lookup", &text)).transpose())
                .collect()
        })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let cmd = redis::cmd("PING");
            let _pong: String = self.call("ping", cmd.query_async(&mut conn)).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contract;
    use std::process::{Child, Command, Stdio};

    const TIMEOUT: Duration = Duration::from_millis(500);
    const HOUR: Duration = Duration::from_secs(3600);

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
        match RedisStore::connect(&url, &unique_prefix(test), Duration::from_secs(2)).await {
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
        let mut conn = store.conn.clone();
        redis::cmd("KEYS")
            .arg(format!("{}*", store.prefix))
            .query_async(&mut conn)
            .await
            .unwrap()
    }

    async fn cleanup(store: &RedisStore) {
        let keys = keys(store).await;
        if !keys.is_empty() {
            let mut conn = store.conn.clone();
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
        let mut conn = store.conn.clone();
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
        let result = RedisStore::connect(
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

    #[tokio::test]
    async fn bad_url_is_unavailable_without_password() {
        let result = RedisStore::connect("redis://user:s3cret-pw@[bad", "dpopd:", TIMEOUT).await;
        let Err(StoreError::Unavailable(text)) = result else {
            panic!("expected Unavailable, got {result:?}");
        };
        assert!(!text.contains("s3cret-pw"), "{text}");
    }

    #[test]
    fn redact_removes_userinfo() {
        let url = "redis://admin:hunter2@db.internal:6379/0";
        assert_eq!(
            redact("failed for admin:hunter2 and hunter2", url),
            "failed for *** and ***"
        );
        assert_eq!(redact("nothing here", "redis://127.0.0.1"), "nothing here");
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
        let store = RedisStore::connect(&url, "dpopd-test:restart:", TIMEOUT)
            .await
            .unwrap();
        assert_eq!(
            store.insert_if_absent(Namespace::DpopJti, b"a", HOUR).await,
            Ok(Inserted::New)
        );

        drop(server);
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
}
