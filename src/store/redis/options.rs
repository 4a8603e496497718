//! What `[store]` says about Redis, checked once and before dpopd listens: the topology (one
//! server, the master Sentinel names, a cluster), the TLS files, and the secrets that every
//! error text must leave out (docs/configuration.md, `[store]`; docs/operations.md, "Redis").
//!
//! Every problem is a [`ConfigError`] naming its key. Server certificates are always checked,
//! name included: a `rediss://` URL ending in `#insecure` is refused.
use crate::config::{ConfigError, RedisMode, StoreSettings};
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, TlsCertificates};
use std::time::Duration;

/// Everything [`super::RedisStore::connect`] needs, parsed and checked.
pub struct RedisOptions {
    pub(super) topology: Topology,
    /// CA and client certificate for `rediss://`; `None`: the system roots, no client certificate.
    pub(super) tls: Option<TlsCertificates>,
    pub(super) prefix: String,
    pub(super) timeout: Duration,
    pub(super) wait_replicas: u32,
    pub(super) redactor: Redactor,
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("mode", &self.topology.mode())
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("wait_replicas", &self.wait_replicas)
            .finish_non_exhaustive()
    }
}

pub(super) enum Topology {
    Single(ConnectionInfo),
    /// The URLs' addresses are the sentinels; their scheme, user, password and database are
    /// those of the master (and of the sentinels' TLS).
    Sentinel {
        sentinels: Vec<ConnectionInfo>,
        master: String,
        /// The sentinels' own ACL user and password, when they require one.
        auth: Option<(Option<String>, String)>,
    },
    Cluster(Vec<ConnectionInfo>),
}

impl Topology {
    pub(super) fn mode(&self) -> RedisMode {
        match self {
            Topology::Single(_) => RedisMode::Single,
            Topology::Sentinel { .. } => RedisMode::Sentinel,
            Topology::Cluster(_) => RedisMode::Cluster,
        }
    }

    fn uses_tls(&self) -> bool {
        let nodes = match self {
            Topology::Single(node) => std::slice::from_ref(node),
            Topology::Sentinel { sentinels, .. } => sentinels,
            Topology::Cluster(seeds) => seeds,
        };
        nodes
            .iter()
            .any(|n| matches!(n.addr(), ConnectionAddr::TcpTls { .. }))
    }
}

impl RedisOptions {
    pub fn from_settings(s: &StoreSettings) -> Result<RedisOptions, ConfigError> {
        let mut redactor = Redactor::default();
        redactor.add_url(s.redis_url.expose());
        for url in &s.redis_urls {
            redactor.add_url(url.expose());
        }
        redactor.add(s.redis_sentinel_password.expose());
        let topology = match s.redis_mode {
            RedisMode::Single => single(s, &mut redactor)?,
            RedisMode::Sentinel => sentinel(s, &mut redactor)?,
            RedisMode::Cluster => cluster(s, &mut redactor)?,
        };
        let tls = tls::certificates(s, topology.uses_tls())?;
        if s.redis_wait_replicas > 16 {
            return Err(ConfigError::invalid(
                "store.redis_wait_replicas",
                "must be at most 16",
            ));
        }
        Ok(RedisOptions {
            topology,
            tls,
            prefix: s.redis_prefix.clone(),
            timeout: Duration::from_millis(s.timeout_ms),
            wait_replicas: s.redis_wait_replicas,
            redactor,
        })
    }
}

fn single(s: &StoreSettings, redactor: &mut Redactor) -> Result<Topology, ConfigError> {
    unused_outside(
        "store.redis_urls",
        !s.redis_urls.is_empty(),
        "sentinel or cluster (single mode uses store.redis_url)",
    )?;
    no_sentinel_keys(s)?;
    let node = parse("store.redis_url", s.redis_url.expose(), redactor)?;
    redactor.add_parsed(&node);
    Ok(Topology::Single(node))
}

fn sentinel(s: &StoreSettings, redactor: &mut Redactor) -> Result<Topology, ConfigError> {
    let sentinels = parse_list(s, redactor)?;
    if s.redis_sentinel_master.is_empty() {
        return Err(ConfigError::invalid(
            "store.redis_sentinel_master",
            "required with store.redis_mode = \"sentinel\": the name the sentinels monitor the master under",
        ));
    }
    let auth = (!s.redis_sentinel_password.is_empty()).then(|| {
        let user = Some(s.redis_sentinel_username.clone()).filter(|u| !u.is_empty());
        (user, s.redis_sentinel_password.expose().to_owned())
    });
    if auth.is_none() && !s.redis_sentinel_username.is_empty() {
        return Err(ConfigError::invalid(
            "store.redis_sentinel_username",
            "set without store.redis_sentinel_password",
        ));
    }
    Ok(Topology::Sentinel {
        sentinels,
        master: s.redis_sentinel_master.clone(),
        auth,
    })
}

fn cluster(s: &StoreSettings, redactor: &mut Redactor) -> Result<Topology, ConfigError> {
    no_sentinel_keys(s)?;
    let seeds = parse_list(s, redactor)?;
    if seeds.iter().any(|n| n.redis_settings().db() != 0) {
        return Err(ConfigError::invalid(
            "store.redis_urls",
            "a cluster has only database 0: remove the /db from the URLs",
        ));
    }
    // A hash tag in the prefix would put every key in one slot (one node).
    if s.redis_prefix.contains(['{', '}']) {
        return Err(ConfigError::invalid(
            "store.redis_prefix",
            "must not contain { or } in cluster mode: a hash tag would put every key on one node",
        ));
    }
    Ok(Topology::Cluster(seeds))
}

fn unused_outside(key: &str, set: bool, modes: &str) -> Result<(), ConfigError> {
    if set {
        return Err(ConfigError::invalid(
            key,
            format!("only used with store.redis_mode = {modes}"),
        ));
    }
    Ok(())
}

fn no_sentinel_keys(s: &StoreSettings) -> Result<(), ConfigError> {
    for (key, set) in [
        (
            "store.redis_sentinel_master",
            !s.redis_sentinel_master.is_empty(),
        ),
        (
            "store.redis_sentinel_username",
            !s.redis_sentinel_username.is_empty(),
        ),
        (
            "store.redis_sentinel_password",
            !s.redis_sentinel_password.is_empty(),
        ),
    ] {
        unused_outside(key, set, "\"sentinel\"")?;
    }
    Ok(())
}

/// The URLs of `store.redis_urls`: at least one, all with one scheme, user, password and
/// database (the credentials of the data nodes).
fn parse_list(
    s: &StoreSettings,
    redactor: &mut Redactor,
) -> Result<Vec<ConnectionInfo>, ConfigError> {
    const KEY: &str = "store.redis_urls";
    if s.redis_urls.is_empty() {
        return Err(ConfigError::invalid(
            KEY,
            "required with store.redis_mode = \"sentinel\" or \"cluster\": at least one URL",
        ));
    }
    let nodes = s
        .redis_urls
        .iter()
        .map(|url| parse(KEY, url.expose(), redactor))
        .collect::<Result<Vec<_>, _>>()?;
    for node in &nodes {
        redactor.add_parsed(node);
    }
    let same = |a: &ConnectionInfo, b: &ConnectionInfo| {
        let (a_tls, b_tls) = (
            matches!(a.addr(), ConnectionAddr::TcpTls { .. }),
            matches!(b.addr(), ConnectionAddr::TcpTls { .. }),
        );
        let (a, b) = (a.redis_settings(), b.redis_settings());
        a_tls == b_tls
            && a.username() == b.username()
            && a.password() == b.password()
            && a.db() == b.db()
    };
    if nodes.iter().any(|n| !same(n, &nodes[0])) {
        return Err(ConfigError::invalid(
            KEY,
            "every URL must have the same scheme, user, password and database",
        ));
    }
    if nodes
        .iter()
        .any(|n| matches!(n.addr(), ConnectionAddr::Unix(_)))
    {
        return Err(ConfigError::invalid(
            KEY,
            "sentinels and cluster nodes are reached over TCP (redis:// or rediss://)",
        ));
    }
    Ok(nodes)
}

fn parse(key: &str, url: &str, redactor: &Redactor) -> Result<ConnectionInfo, ConfigError> {
    let info = url.into_connection_info().map_err(|e| {
        ConfigError::invalid(key, redactor.redact(&format!("not a Redis URL: {e}")))
    })?;
    if let ConnectionAddr::TcpTls { insecure: true, .. } = info.addr() {
        return Err(ConfigError::invalid(
            key,
            "#insecure would turn off the check of the server's certificate; dpopd always checks it (set store.redis_tls_ca_file for a private CA)",
        ));
    }
    Ok(info)
}

/// Removes every configured Redis password (and URL userinfo) from a text before it is logged,
/// shown by `/readyz` or printed at start-up.
#[derive(Default, Clone)]
pub(super) struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(..)")
    }
}

impl Redactor {
    fn add(&mut self, secret: &str) {
        if !secret.is_empty() && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_owned());
            // The longest first, so a password inside a userinfo never leaves the user visible.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// The URL's userinfo and password, as written and as percent-decoded.
    pub(super) fn add_url(&mut self, url: &str) {
        let userinfo = url
            .split_once("://")
            .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
            .and_then(|authority| authority.rsplit_once('@'))
            .map(|(userinfo, _)| userinfo);
        let Some(userinfo) = userinfo else {
            return;
        };
        self.add(userinfo);
        if let Some((_, password)) = userinfo.split_once(':') {
            self.add(password);
        }
    }

    /// The password as the parsed URL holds it: percent-decoded.
    fn add_parsed(&mut self, info: &ConnectionInfo) {
        if let Some(password) = info.redis_settings().password() {
            self.add(password);
        }
    }

    pub(super) fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "***");
        }
        out
    }
}

mod tls;

#[cfg(test)]
mod tests;
