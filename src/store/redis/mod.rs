//! Redis store for several replicas: `SET key value NX GET PX ttl` (Redis 7), `MGET` and one Lua
//! compare-and-set script, keys namespaced and hashed, every call bounded by a timeout so a
//! dead Redis fails closed. One server, a Sentinel-managed master or a cluster, each over TCP
//! or TLS ([`link`]; docs/operations.md, "Redis").
//!
//! The connection heals by itself: while Redis (or the master, or a cluster node) is away,
//! every call that needs it returns `Unavailable` within the timeout and is refused; once it is
//! back (or a replica has been promoted) calls succeed again without restarting dpopd.
//!
//! Every operation touches one key except [`SeenStore::lookup`], whose keys are independent
//! reads (a token's `jti` and its grant): in a cluster its `MGET` is split by slot and the
//! answers put back in order, which needs no hash tags and keeps keys spread over every node.
mod link;
mod options;
mod sentinel;
#[cfg(test)]
mod tests;

pub use options::RedisOptions;

use super::{Advanced, Entry, Inserted, Namespace, SeenStore, StoreError, StoreFuture, StoreOp};
use link::Link;
use options::Redactor;
use redis::{ErrorKind, FromRedisValue, RedisError, ServerErrorKind, Value};
use std::time::{Duration, Instant};

pub struct RedisStore {
    link: Link,
    prefix: String,
    timeout: Duration,
    /// Replicas that must acknowledge each write (`WAIT`) before it counts; 0: none.
    wait_replicas: u32,
    advance: redis::Script,
    redactor: Redactor,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("wait_replicas", &self.wait_replicas)
            .finish_non_exhaustive()
    }
}

/// Why a call got no answer.
enum Failure {
    Redis(RedisError),
    Timeout,
}

/// One request: a command, a pipeline (a write and its `WAIT`) in one round trip, or the
/// readiness check of the topology.
enum Request<'a> {
    Cmd(&'a redis::Cmd),
    Pipe(&'a redis::Pipeline),
    Readiness,
}

impl RedisStore {
    /// Connects (bounded by `store.timeout_ms`); dpopd does not start without its store.
    pub async fn connect(options: &RedisOptions) -> Result<RedisStore, StoreError> {
        let started = Instant::now();
        let result = tokio::time::timeout(options.timeout, Link::connect(options)).await;
        record(
            StoreOp::Connect,
            started,
            result.as_ref().is_ok_and(|r| r.is_ok()),
        );
        let link = match result {
            Ok(Ok(link)) => link,
            Ok(Err(e)) => {
                return Err(StoreError::Unavailable(
                    options.redactor.redact(&connect_failure(&e)),
                ))
            }
            Err(_) => {
                return Err(StoreError::Unavailable(format!(
                    "redis connect: no connection within {:?} (store.timeout_ms)",
                    options.timeout
                )))
            }
        };
        Ok(RedisStore {
            link,
            prefix: options.prefix.clone(),
            timeout: options.timeout,
            wait_replicas: options.wait_replicas,
            advance: redis::Script::new(ADVANCE),
            redactor: options.redactor.clone(),
        })
    }

    /// Registers every series this store records, at zero.
    pub fn register_metrics() {
        // Every call goes through `call` or `connect`, each timed and counted on failure.
        let timed = [
            StoreOp::Insert,
            StoreOp::Advance,
            StoreOp::Lookup,
            StoreOp::Ping,
            StoreOp::Connect,
        ];
        for op in timed {
            let _ = metrics::histogram!("dpopd_store_seconds", "op" => op.label());
        }
        for op in timed.into_iter().chain([StoreOp::Wait]) {
            metrics::counter!("dpopd_store_errors_total", "op" => op.label()).increment(0);
        }
    }

    /// The Redis key for `(ns, key)`: prefix and the hex SHA-256 of namespace and key, so no
    /// raw jti or token reaches Redis, and keys spread evenly over a cluster's slots.
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

    /// Sends one request under the timeout, which also bounds finding the connection (with
    /// Sentinel: asking where the master is). A failure is reported to the link so that a lost
    /// master is looked up again by the next call.
    async fn send<T: FromRedisValue>(&self, request: Request<'_>) -> Result<T, Failure> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut conn = match tokio::time::timeout_at(deadline, self.link.conn()).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(Failure::Redis(e)),
            Err(_) => return Err(Failure::Timeout),
        };
        let answer = tokio::time::timeout_at(deadline, async {
            match request {
                Request::Cmd(cmd) => cmd.query_async::<Value>(&mut conn).await,
                Request::Pipe(pipe) => pipe.query_async::<Value>(&mut conn).await,
                Request::Readiness => self.link.check(&mut conn).await.map(|()| Value::Okay),
            }
        })
        .await;
        match answer {
            Ok(Ok(value)) => redis::from_redis_value(value).map_err(|e| Failure::Redis(e.into())),
            Ok(Err(e)) => {
                self.link.failed(&conn, Some(&e));
                Err(Failure::Redis(e))
            }
            Err(_) => {
                self.link.failed(&conn, None);
                Err(Failure::Timeout)
            }
        }
    }

    /// [`RedisStore::send`], recording latency and errors, failures as `Unavailable`.
    async fn call<T: FromRedisValue>(
        &self,
        op: StoreOp,
        request: Request<'_>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = self.send(request).await;
        record(op, started, result.is_ok());
        result.map_err(|failure| self.unavailable(op, failure))
    }

    fn unavailable(&self, op: StoreOp, failure: Failure) -> StoreError {
        let op = op.label();
        StoreError::Unavailable(match failure {
            Failure::Redis(e) => self.redactor.redact(&format!("redis {op}: {e}")),
            Failure::Timeout => format!("redis {op}: no answer within {:?}", self.timeout),
        })
    }

    /// `WAIT numreplicas timeout`: half the store's timeout, so the answer comes before the
    /// call's own deadline (`WAIT` with 0 would block for ever).
    fn wait_command(&self) -> redis::Cmd {
        let mut wait = redis::cmd("WAIT");
        wait.arg(self.wait_replicas)
            .arg(ttl_millis(self.timeout / 2));
        wait
    }

    /// A write that fewer replicas acknowledged than `store.redis_wait_replicas` could be lost
    /// in a failover: the call is refused, so nothing is accepted on its strength.
    fn check_acknowledged(&self, op: StoreOp, acknowledged: u32) -> Result<(), StoreError> {
        if acknowledged >= self.wait_replicas {
            return Ok(());
        }
        metrics::counter!("dpopd_store_errors_total", "op" => StoreOp::Wait.label()).increment(1);
        Err(StoreError::Unavailable(format!(
            "redis {}: {acknowledged} of {} replicas acknowledged the write",
            op.label(),
            self.wait_replicas
        )))
    }
}

/// A start-up failure in plain words: a refused certificate says what dpopd trusts, or what
/// the server asked for.
fn connect_failure(e: &RedisError) -> String {
    let text = e.to_string();
    if text.contains("CertificateRequired") {
        format!(
            "redis connect: TLS handshake refused: {text} (the server asks for a client certificate: set store.redis_tls_cert_file and store.redis_tls_key_file)"
        )
    } else if text.contains("certificate") {
        format!(
            "redis connect: TLS handshake refused: {text} (the server's certificate must be issued for the host in the URL by a CA in store.redis_tls_ca_file, or in the system roots when that is unset)"
        )
    } else {
        format!("redis connect: {text}")
    }
}

fn record(op: StoreOp, started: Instant, ok: bool) {
    crate::telemetry::series().store_call(op, started.elapsed().as_secs_f64());
    if !ok {
        metrics::counter!("dpopd_store_errors_total", "op" => op.label()).increment(1);
    }
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

fn parse_value(op: StoreOp, text: &str) -> Result<i64, StoreError> {
    text.parse().map_err(|_| {
        StoreError::Unavailable(format!("redis {}: a value is not a number", op.label()))
    })
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
            // SET NX is atomic on the server: exactly one caller across all replicas gets the
            // key; with GET (Redis 7) the others learn its value in the same round trip.
            let previous: Option<String> = if self.wait_replicas == 0 {
                self.call(StoreOp::Insert, Request::Cmd(&cmd)).await?
            } else {
                let mut pipe = redis::pipe();
                pipe.add_command(cmd).add_command(self.wait_command());
                let (previous, acknowledged): (Option<String>, u32) =
                    self.call(StoreOp::Insert, Request::Pipe(&pipe)).await?;
                if previous.is_none() {
                    self.check_acknowledged(StoreOp::Insert, acknowledged)?;
                }
                previous
            };
            match previous {
                None => Ok(Inserted::New),
                Some(text) => Ok(Inserted::AlreadyPresent(parse_value(
                    StoreOp::Insert,
                    &text,
                )?)),
            }
        })
    }

    fn advance<'a>(&'a self, entry: Entry<'a>, expected: i64) -> StoreFuture<'a, Advanced> {
        let key = self.redis_key(entry.ns, entry.key);
        Box::pin(async move {
            let started = Instant::now();
            let script = |verb: &str, body: &str| {
                let mut cmd = redis::cmd(verb);
                cmd.arg(body)
                    .arg(1)
                    .arg(&key)
                    .arg(expected)
                    .arg(entry.value)
                    .arg(ttl_millis(entry.ttl));
                cmd
            };
            // EVALSHA, and EVAL when this server does not have the script yet (a restarted or
            // new node): one key, so it runs on the key's node in a cluster.
            let mut result = self
                .send(Request::Cmd(&script("EVALSHA", self.advance.get_hash())))
                .await;
            if matches!(&result, Err(Failure::Redis(e)) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript))
            {
                result = self.send(Request::Cmd(&script("EVAL", ADVANCE))).await;
            }
            record(StoreOp::Advance, started, result.is_ok());
            let current: Option<String> =
                result.map_err(|f| self.unavailable(StoreOp::Advance, f))?;
            match current {
                None => {
                    if self.wait_replicas > 0 {
                        let acknowledged: u32 = self
                            .call(StoreOp::Advance, Request::Cmd(&self.wait_command()))
                            .await?;
                        self.check_acknowledged(StoreOp::Advance, acknowledged)?;
                    }
                    Ok(Advanced::Done)
                }
                Some(text) => Ok(Advanced::Conflict(parse_value(StoreOp::Advance, &text)?)),
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
            let values: Vec<Option<String>> =
                self.call(StoreOp::Lookup, Request::Cmd(&cmd)).await?;
            if values.len() != keys.len() {
                return Err(StoreError::Unavailable("redis lookup: short reply".into()));
            }
            values
                .into_iter()
                .map(|v| {
                    v.map(|text| parse_value(StoreOp::Lookup, &text))
                        .transpose()
                })
                .collect()
        })
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move { self.call::<()>(StoreOp::Ping, Request::Readiness).await })
    }
}
