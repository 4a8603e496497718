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
            RedisMode::Single => {
                unused_outside(
                    "store.redis_urls",
                    !s.redis_urls.is_empty(),
                    "sentinel or cluster (single mode uses store.redis_url)",
                )?;
                no_sentinel_keys(s)?;
                let node = parse("store.redis_url", s.redis_url.expose(), &redactor)?;
                redactor.add_parsed(&node);
                Topology::Single(node)
            }
            RedisMode::Sentinel => {
                let sentinels = parse_list(s, &mut redactor)?;
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
                Topology::Sentinel {
                    sentinels,
                    master: s.redis_sentinel_master.clone(),
                    auth,
                }
            }
            RedisMode::Cluster => {
                no_sentinel_keys(s)?;
                let seeds = parse_list(s, &mut redactor)?;
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
                Topology::Cluster(seeds)
            }
        };
        let tls = tls_certificates(s, topology.uses_tls())?;
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

/// The PEM files of `store.redis_tls_*`, read and parsed now so that a wrong path or file
/// stops start-up naming its key. The key file's path is never repeated in a message.
fn tls_certificates(s: &StoreSettings, tls: bool) -> Result<Option<TlsCertificates>, ConfigError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let files = [
        ("store.redis_tls_ca_file", &s.redis_tls_ca_file),
        ("store.redis_tls_cert_file", &s.redis_tls_cert_file),
        ("store.redis_tls_key_file", &s.redis_tls_key_file),
    ];
    if let Some((key, _)) = files.iter().find(|(_, path)| !path.is_empty()) {
        if !tls {
            return Err(ConfigError::invalid(
                *key,
                "set, but no Redis URL uses rediss:// (TLS)",
            ));
        }
    }
    match (
        s.redis_tls_cert_file.is_empty(),
        s.redis_tls_key_file.is_empty(),
    ) {
        (false, true) => {
            return Err(ConfigError::invalid(
                "store.redis_tls_key_file",
                "required with store.redis_tls_cert_file (mutual TLS needs both)",
            ))
        }
        (true, false) => {
            return Err(ConfigError::invalid(
                "store.redis_tls_cert_file",
                "required with store.redis_tls_key_file (mutual TLS needs both)",
            ))
        }
        _ => {}
    }
    let read = |key: &str, path: &str, show_path: bool| {
        std::fs::read(path).map_err(|e| {
            let shown = if show_path {
                format!(" {path}")
            } else {
                String::new()
            };
            ConfigError::invalid(key, format!("cannot read{shown}: {e}"))
        })
    };
    let certificates = |key: &str, pem: &[u8]| {
        let count = CertificateDer::pem_slice_iter(pem)
            .map(|c| c.map(|_| ()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::invalid(key, format!("not a PEM certificate file: {e}")))?
            .len();
        if count == 0 {
            return Err(ConfigError::invalid(key, "holds no PEM certificate"));
        }
        Ok(())
    };
    let root_cert = match s.redis_tls_ca_file.as_str() {
        "" => None,
        path => {
            let pem = read("store.redis_tls_ca_file", path, true)?;
            certificates("store.redis_tls_ca_file", &pem)?;
            Some(pem)
        }
    };
    let client_tls = match s.redis_tls_cert_file.as_str() {
        "" => None,
        path => {
            let client_cert = read("store.redis_tls_cert_file", path, true)?;
            certificates("store.redis_tls_cert_file", &client_cert)?;
            let client_key = read("store.redis_tls_key_file", &s.redis_tls_key_file, false)?;
            PrivateKeyDer::from_pem_slice(&client_key).map_err(|_| {
                ConfigError::invalid(
                    "store.redis_tls_key_file",
                    "holds no PEM private key (PKCS#8, SEC 1 or PKCS#1)",
                )
            })?;
            Some(redis::ClientTlsConfig {
                client_cert,
                client_key,
            })
        }
    };
    Ok(
        (root_cert.is_some() || client_tls.is_some()).then_some(TlsCertificates {
            client_tls,
            root_cert,
        }),
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Secret, Settings, StoreKind};

    const PASSWORD: &str = "s3cret-pw";

    fn store() -> StoreSettings {
        let mut s = Settings::development().store;
        s.kind = StoreKind::Redis;
        s.redis_url = Secret::new(format!("redis://dpopd:{PASSWORD}@127.0.0.1:6379"));
        s
    }

    fn urls(list: &[&str]) -> Vec<Secret> {
        list.iter().map(|u| Secret::new(*u)).collect()
    }

    fn sentinel() -> StoreSettings {
        let mut s = store();
        s.redis_mode = RedisMode::Sentinel;
        s.redis_urls = urls(&["redis://127.0.0.1:26379", "redis://127.0.0.1:26380"]);
        s.redis_sentinel_master = "mymaster".into();
        s
    }

    fn cluster() -> StoreSettings {
        let mut s = store();
        s.redis_mode = RedisMode::Cluster;
        s.redis_urls = urls(&["redis://127.0.0.1:7000"]);
        s
    }

    /// A PEM file of this test process, removed at the end of the test that wrote it.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn with(name: &str, content: &str) -> TempFile {
            let path = std::env::temp_dir()
                .join(format!("dpopd-redis-opts-{}-{name}", std::process::id()));
            std::fs::write(&path, content).unwrap();
            TempFile(path)
        }

        fn path(&self) -> String {
            self.0.display().to_string()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn valid_settings_of_each_mode_are_accepted() {
        assert_eq!(
            RedisOptions::from_settings(&store())
                .unwrap()
                .topology
                .mode(),
            RedisMode::Single
        );
        assert_eq!(
            RedisOptions::from_settings(&sentinel())
                .unwrap()
                .topology
                .mode(),
            RedisMode::Sentinel
        );
        assert_eq!(
            RedisOptions::from_settings(&cluster())
                .unwrap()
                .topology
                .mode(),
            RedisMode::Cluster
        );
    }

    #[test]
    fn each_invalid_combination_names_its_key() {
        let not_pem = TempFile::with("not-pem", "hello");
        let cases: Vec<(&str, StoreSettings, &str)> = vec![
            (
                "sentinel URLs in single mode",
                StoreSettings {
                    redis_urls: urls(&["redis://h:1"]),
                    ..store()
                },
                "store.redis_urls",
            ),
            (
                "a master name in single mode",
                StoreSettings {
                    redis_sentinel_master: "m".into(),
                    ..store()
                },
                "store.redis_sentinel_master",
            ),
            (
                "a sentinel password in cluster mode",
                StoreSettings {
                    redis_sentinel_password: Secret::new("x"),
                    ..cluster()
                },
                "store.redis_sentinel_password",
            ),
            (
                "no sentinels",
                StoreSettings {
                    redis_urls: vec![],
                    ..sentinel()
                },
                "store.redis_urls",
            ),
            (
                "no master name",
                StoreSettings {
                    redis_sentinel_master: String::new(),
                    ..sentinel()
                },
                "store.redis_sentinel_master",
            ),
            (
                "a sentinel user without password",
                StoreSettings {
                    redis_sentinel_username: "u".into(),
                    ..sentinel()
                },
                "store.redis_sentinel_username",
            ),
            (
                "no seed nodes",
                StoreSettings {
                    redis_urls: vec![],
                    ..cluster()
                },
                "store.redis_urls",
            ),
            (
                "a database in cluster mode",
                StoreSettings {
                    redis_urls: urls(&["redis://h:1/2"]),
                    ..cluster()
                },
                "store.redis_urls",
            ),
            (
                "a hash tag in the prefix in cluster mode",
                StoreSettings {
                    redis_prefix: "{dpopd}:".into(),
                    ..cluster()
                },
                "store.redis_prefix",
            ),
            (
                "URLs with different schemes",
                StoreSettings {
                    redis_urls: urls(&["redis://h:1", "rediss://h:2"]),
                    ..cluster()
                },
                "store.redis_urls",
            ),
            (
                "URLs with different passwords",
                StoreSettings {
                    redis_urls: urls(&["redis://:a@h:1", "redis://:b@h:2"]),
                    ..sentinel()
                },
                "store.redis_urls",
            ),
            (
                "a unix socket for a sentinel",
                StoreSettings {
                    redis_urls: urls(&["unix:///tmp/s.sock"]),
                    ..sentinel()
                },
                "store.redis_urls",
            ),
            (
                "not a URL",
                StoreSettings {
                    redis_url: Secret::new(format!("redis://u:{PASSWORD}@[bad")),
                    ..store()
                },
                "store.redis_url",
            ),
            (
                "certificate checks turned off",
                StoreSettings {
                    redis_url: Secret::new("rediss://h:1/#insecure"),
                    ..store()
                },
                "store.redis_url",
            ),
            (
                "a CA file without rediss://",
                StoreSettings {
                    redis_tls_ca_file: "/ca.pem".into(),
                    ..store()
                },
                "store.redis_tls_ca_file",
            ),
            (
                "a client certificate without its key",
                StoreSettings {
                    redis_url: Secret::new("rediss://h:1"),
                    redis_tls_cert_file: "/c.pem".into(),
                    ..store()
                },
                "store.redis_tls_key_file",
            ),
            (
                "a client key without its certificate",
                StoreSettings {
                    redis_url: Secret::new("rediss://h:1"),
                    redis_tls_key_file: "/k.pem".into(),
                    ..store()
                },
                "store.redis_tls_cert_file",
            ),
            (
                "a CA file that does not exist",
                StoreSettings {
                    redis_url: Secret::new("rediss://h:1"),
                    redis_tls_ca_file: "/nonexistent/ca.pem".into(),
                    ..store()
                },
                "store.redis_tls_ca_file",
            ),
            (
                "a CA file without a certificate",
                StoreSettings {
                    redis_url: Secret::new("rediss://h:1"),
                    redis_tls_ca_file: not_pem.path(),
                    ..store()
                },
                "store.redis_tls_ca_file",
            ),
            (
                "too many replicas to wait for",
                StoreSettings {
                    redis_wait_replicas: 17,
                    ..store()
                },
                "store.redis_wait_replicas",
            ),
        ];
        for (description, settings, key) in cases {
            let error = RedisOptions::from_settings(&settings)
                .err()
                .unwrap_or_else(|| panic!("{description}: accepted"))
                .to_string();
            assert!(
                error.contains(&format!("`{key}`")),
                "{description}: {error}"
            );
            assert!(!error.contains(PASSWORD), "{description}: {error}");
        }
    }

    #[test]
    fn a_key_file_that_holds_no_key_is_refused_without_its_path() {
        let cert = TempFile::with(
            "cert.pem",
            "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
        );
        let key = TempFile::with("key.pem", "not a key");
        let settings = StoreSettings {
            redis_url: Secret::new("rediss://h:1"),
            redis_tls_cert_file: cert.path(),
            redis_tls_key_file: key.path(),
            ..store()
        };
        let error = RedisOptions::from_settings(&settings)
            .err()
            .expect("refused")
            .to_string();
        assert!(error.contains("`store.redis_tls_key_file`"), "{error}");
        assert!(!error.contains(&key.path()), "{error}");
    }

    #[test]
    fn redactor_removes_userinfo_and_passwords_as_written_and_decoded() {
        let mut redactor = Redactor::default();
        redactor.add_url("redis://admin:hun%40ter2@db.internal:6379/0");
        let info = "redis://admin:hun%40ter2@db.internal:6379/0"
            .into_connection_info()
            .unwrap();
        redactor.add_parsed(&info);
        assert_eq!(
            redactor.redact("failed for admin:hun%40ter2, hun%40ter2 and hun@ter2"),
            "failed for ***, *** and ***"
        );
        assert_eq!(redactor.redact("nothing here"), "nothing here");
    }
}
