//! The connection to Redis for each topology, behind one [`Link`]:
//!
//! - one server: the `redis` crate's `ConnectionManager`, which reconnects by itself, one per
//!   thread that calls ([`SingleLink`]);
//! - Sentinel: a connection to the master the sentinels name, asked again whenever that
//!   connection fails or the server stops being the master (a failover), so writes go to the
//!   new master without a restart;
//! - Cluster: the crate's cluster connection, which routes each key to its slot's primary,
//!   follows `MOVED`/`ASK` and splits an `MGET` by slot.
//!
//! A [`Conn`] is what one call uses. Whatever fails is reported to [`Link::failed`], and the
//! call itself fails closed; no command is retried on another server.
use super::options::{RedisOptions, Topology};
use super::sentinel::SentinelLink;
use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster_async::ClusterConnection;
use redis::{
    AsyncConnectionConfig, Client, ErrorKind, RedisError, RedisFuture, RedisResult,
    ServerErrorKind, Value,
};
use std::cell::RefCell;
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;
use thread_local::ThreadLocal;

/// Retries of one reconnection inside the manager: none. Every call waiting for the connection
/// waits on the same reconnection, so retries with back-off held each call made while Redis was
/// away for the whole round (50–300 ms) before refusing it; at a few thousand calls a second
/// that piled up hundreds of requests, and their buffers (about 20 KiB each) stayed in dpopd's
/// resident memory after the outage (docs/operations.md, "Soak test"). With one attempt, a
/// refused connection refuses the calls waiting on it at once, and the next call starts the
/// next attempt, so dpopd reconnects on the first call after Redis is back.
const RECONNECT_RETRIES: usize = 0;
/// Redirections and retries of one cluster request: enough for a `MOVED` and an `ASK` during a
/// resharding, few enough that a redirection loop ends well inside the store's timeout.
const CLUSTER_RETRIES: u32 = 3;
const CLUSTER_MIN_RETRY_WAIT_MS: u64 = 10;
const CLUSTER_MAX_RETRY_WAIT_MS: u64 = 100;

#[derive(Clone)]
pub(super) enum Link {
    Single(Arc<SingleLink>),
    Cluster(ClusterConnection),
    Sentinel(Arc<SentinelLink>),
}

impl Link {
    pub(super) async fn connect(options: &RedisOptions) -> RedisResult<Link> {
        let timeout = options.timeout;
        match &options.topology {
            Topology::Single(node) => {
                let client = match &options.tls {
                    Some(certificates) => {
                        Client::build_with_tls(node.clone(), certificates.clone())?
                    }
                    None => Client::open(node.clone())?,
                };
                // The start-up check: one plain connection, closed once it has answered. A
                // manager would retry a failed handshake (a refused certificate) until the
                // deadline and report only the timeout. Each worker makes its own manager on its
                // first call ([`SingleLink`]).
                client
                    .get_multiplexed_async_connection_with_config(&connection_config(timeout))
                    .await?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(RECONNECT_RETRIES);
                Ok(Link::Single(Arc::new(SingleLink {
                    client,
                    config,
                    managers: ThreadLocal::new(),
                })))
            }
            Topology::Cluster(seeds) => {
                let mut builder = redis::cluster::ClusterClientBuilder::new(seeds.clone())
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    .overall_response_timeout(Some(timeout))
                    .retries(CLUSTER_RETRIES)
                    .min_retry_wait(CLUSTER_MIN_RETRY_WAIT_MS)
                    .max_retry_wait(CLUSTER_MAX_RETRY_WAIT_MS);
                if let Some(certificates) = &options.tls {
                    builder = builder.certs(certificates.clone());
                }
                let connection = builder.build()?.get_async_connection().await?;
                Ok(Link::Cluster(connection))
            }
            Topology::Sentinel {
                sentinels,
                master,
                auth,
            } => {
                let link = SentinelLink::new(sentinels, master, auth, options)?;
                link.master().await?;
                Ok(Link::Sentinel(Arc::new(link)))
            }
        }
    }

    /// The connection for one call; with Sentinel, the current master's (asked for if unknown).
    pub(super) async fn conn(&self) -> RedisResult<Conn> {
        match self {
            Link::Single(link) => Ok(Conn::Single(link.manager().await?)),
            Link::Cluster(cluster) => Ok(Conn::Cluster(cluster.clone())),
            Link::Sentinel(link) => link.master().await,
        }
    }

    /// A call on `conn` failed with `error` (`None`: it timed out). With Sentinel, a failure of
    /// the connection or a refused write (`READONLY`: the server is a replica now) drops the
    /// master, so the next call asks the sentinels where it is. The other topologies heal by
    /// themselves.
    pub(super) fn failed(&self, conn: &Conn, error: Option<&RedisError>) {
        let (Link::Sentinel(link), Conn::Master { generation, .. }) = (self, conn) else {
            return;
        };
        let lost = error.is_none_or(|e| {
            e.is_io_error()
                || e.is_connection_dropped()
                || e.is_connection_refusal()
                || e.is_timeout()
                || e.is_unrecoverable_error()
                || matches!(
                    e.kind(),
                    ErrorKind::Server(ServerErrorKind::ReadOnly | ServerErrorKind::MasterDown)
                )
        });
        if lost {
            link.forget(*generation);
        }
    }

    /// Readiness. One server: `PING`. Sentinel: `ROLE`, so a master that was turned into a
    /// replica is noticed even when no write has run into it. Cluster: `CLUSTER INFO` on every
    /// primary `CLUSTER SLOTS` names, so a node that does not answer, or a cluster that reports
    /// itself down, is noticed (the crate's own fan-out of `PING` skips nodes it has no
    /// connection to).
    pub(super) async fn check(&self, conn: &mut Conn) -> RedisResult<()> {
        match (self, conn) {
            (Link::Sentinel(link), Conn::Master { generation, conn }) => {
                let role: redis::Role = redis::cmd("ROLE").query_async(conn).await?;
                if matches!(role, redis::Role::Primary { .. }) {
                    return Ok(());
                }
                link.forget(*generation);
                Err(not_ready(
                    "the server the sentinels named is no longer the master (failover in progress?)",
                ))
            }
            (Link::Cluster(_), Conn::Cluster(cluster)) => cluster_check(cluster).await,
            (_, conn) => redis::cmd("PING").query_async(conn).await,
        }
    }
}

/// One server, with a `ConnectionManager` per thread that calls: made on the thread's first
/// call, its connection task runs on that thread's runtime. A worker's commands then never wait
/// on another thread. With one manager for the process, its task ran on the thread that
/// connected at start, and each command was handed to that thread and its reply handed back:
/// two thread switches per command (docs/performance.md, "Redis: a connection per worker").
pub(super) struct SingleLink {
    client: Client,
    config: ConnectionManagerConfig,
    /// Each calling thread's manager, with the thread it was made on: `ThreadLocal` gives an
    /// exited thread's slot to the next new thread, whose runtime never drove that manager.
    managers: ThreadLocal<RefCell<Option<(ThreadId, ConnectionManager)>>>,
}

impl SingleLink {
    /// This thread's manager, connected on its first call (calls that arrive together on a
    /// thread without one each connect, and the last one is kept). A failed connection is not
    /// kept: the call fails closed and the thread's next call connects again.
    async fn manager(&self) -> RedisResult<ConnectionManager> {
        let thread = std::thread::current().id();
        let kept = self
            .managers
            .get_or_default()
            .borrow()
            .as_ref()
            .filter(|(made_on, _)| *made_on == thread)
            .map(|(_, manager)| manager.clone());
        if let Some(manager) = kept {
            return Ok(manager);
        }
        let manager =
            ConnectionManager::new_with_config(self.client.clone(), self.config.clone()).await?;
        // A multi-threaded runtime may resume this call on another thread: keep the manager
        // there, under that thread's id.
        *self.managers.get_or_default().borrow_mut() =
            Some((std::thread::current().id(), manager.clone()));
        Ok(manager)
    }
}

fn not_ready(why: &'static str) -> RedisError {
    RedisError::from((ErrorKind::Io, "not ready", why.to_owned()))
}

async fn cluster_check(cluster: &mut ClusterConnection) -> RedisResult<()> {
    use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
    let slots: Vec<Value> = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query_async(cluster)
        .await?;
    let mut primaries: Vec<(String, u16)> = slots
        .iter()
        .filter_map(|range| match range {
            // [first slot, last slot, [host, port, id, ..], replicas..]
            Value::Array(items) => items.get(2).and_then(node_address),
            _ => None,
        })
        .collect();
    primaries.sort();
    primaries.dedup();
    if primaries.is_empty() {
        return Err(not_ready("the cluster names no primary"));
    }
    // One after the other: readiness is polled every few seconds, and a dead node ends the
    // check at its first refusal.
    for (host, port) in primaries {
        let mut info = redis::cmd("CLUSTER");
        info.arg("INFO");
        let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port });
        let text: String = redis::from_redis_value(cluster.route_command(info, route).await?)?;
        if !text.contains("cluster_state:ok") {
            return Err(not_ready(
                "the cluster reports itself down (cluster_state:fail)",
            ));
        }
    }
    Ok(())
}

fn node_address(node: &Value) -> Option<(String, u16)> {
    let Value::Array(fields) = node else {
        return None;
    };
    let host: String = redis::from_redis_value_ref(fields.first()?).ok()?;
    let port: u16 = redis::from_redis_value_ref(fields.get(1)?).ok()?;
    Some((host, port))
}

/// One call's connection.
pub(super) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    Master {
        /// Which resolution of the master this is, so a late failure report never drops a
        /// newer master.
        generation: u64,
        conn: MultiplexedConnection,
    },
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a redis::Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
            Conn::Master { conn, .. } => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Master { conn, .. } => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
            Conn::Master { conn, .. } => conn.get_db(),
        }
    }
}

pub(super) fn connection_config(timeout: Duration) -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
}
