//! The master of a Sentinel-managed group: found by asking the sentinels, checked with `ROLE`,
//! and kept until a call on it fails or it turns out to be a replica, when the next call asks
//! the sentinels again (docs/operations.md, "Sentinel").
use super::link::{connection_config, Conn};
use super::options::RedisOptions;
use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{AsyncConnectionConfig, ConnectionAddr, ErrorKind, RedisError, RedisResult, TlsMode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

/// The master of a Sentinel-managed group, found through the sentinels and kept until a call
/// on it fails.
pub(super) struct SentinelLink {
    /// Asking the sentinels takes `&mut`; the lock also makes concurrent calls wait for one
    /// answer instead of each asking.
    sentinels: tokio::sync::Mutex<SentinelClient>,
    master_name: String,
    config: AsyncConnectionConfig,
    current: RwLock<Option<(u64, MultiplexedConnection)>>,
    generations: AtomicU64,
}

impl SentinelLink {
    pub(super) fn new(
        sentinels: &[redis::ConnectionInfo],
        master: &str,
        auth: &Option<(Option<String>, String)>,
        options: &RedisOptions,
    ) -> RedisResult<SentinelLink> {
        let addresses = sentinels.iter().map(|s| s.addr().clone());
        let mut builder =
            SentinelClientBuilder::new(addresses, master, SentinelServerType::Master)?;
        // The URLs' credentials and database are the master's (checked equal on every URL).
        let data = sentinels[0].redis_settings();
        if let Some(username) = data.username() {
            builder = builder.set_client_to_redis_username(username);
        }
        if let Some(password) = data.password() {
            builder = builder.set_client_to_redis_password(password);
        }
        if data.db() != 0 {
            builder = builder.set_client_to_redis_db(data.db());
        }
        if let Some((username, password)) = auth {
            if let Some(username) = username {
                builder = builder.set_client_to_sentinel_username(username);
            }
            builder = builder.set_client_to_sentinel_password(password);
        }
        if matches!(sentinels[0].addr(), ConnectionAddr::TcpTls { .. }) {
            builder = builder
                .set_client_to_redis_tls_mode(TlsMode::Secure)
                .set_client_to_sentinel_tls_mode(TlsMode::Secure);
            if let Some(certificates) = &options.tls {
                builder = builder
                    .set_client_to_redis_certificates(certificates.clone())
                    .set_client_to_sentinel_certificates(certificates.clone());
            }
        }
        Ok(SentinelLink {
            sentinels: tokio::sync::Mutex::new(builder.build()?),
            master_name: master.to_owned(),
            config: connection_config(options.timeout),
            current: RwLock::new(None),
            generations: AtomicU64::new(0),
        })
    }

    fn current(&self) -> Option<Conn> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current.as_ref().map(|(generation, conn)| Conn::Master {
            generation: *generation,
            conn: conn.clone(),
        })
    }

    pub(super) async fn master(&self) -> RedisResult<Conn> {
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        let mut sentinels = self.sentinels.lock().await;
        // Another call may have found the master while this one waited for the lock.
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        // The crate asks each sentinel for the master, then checks with `ROLE` that the server
        // it names is a master indeed: during a failover both can fail, and the call with them.
        let client = sentinels.async_get_client().await.map_err(|e| {
            RedisError::from((
                ErrorKind::Io,
                "no master (failover in progress?)",
                format!(
                    "the sentinels name no reachable master `{}`: {e}",
                    self.master_name
                ),
            ))
        })?;
        let conn = client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await?;
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) =
            Some((generation, conn.clone()));
        tracing::info!(
            master = %self.master_name,
            address = %address(client.get_connection_info().addr()),
            "redis: connected to the master the sentinels name"
        );
        Ok(Conn::Master { generation, conn })
    }

    pub(super) fn forget(&self, generation: u64) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|(g, _)| *g == generation) {
            *current = None;
            tracing::warn!(
                master = %self.master_name,
                "redis: lost the master; the next call asks the sentinels again"
            );
        }
    }
}

fn address(addr: &ConnectionAddr) -> String {
    match addr {
        ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
        ConnectionAddr::TcpTls { host, port, .. } => format!("{host}:{port} (TLS)"),
        other => format!("{other:?}"),
    }
}
