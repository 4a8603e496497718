//! [`RedisOptions::from_settings`]: each invalid `[store]` combination is refused naming its
//! key and never showing a password; the redactor removes credentials as written and decoded.
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
        let path =
            std::env::temp_dir().join(format!("dpopd-redis-opts-{}-{name}", std::process::id()));
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
        .expect_err("refused")
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
