//! Unit tests of `config`.
use super::*;

#[test]
fn embedded_defaults_deserialize_and_pass_checks() {
    let s = Settings::development();
    assert_eq!(s.server.port, 8080);
    assert_eq!(s.dpop.proof_max_age_secs, 60);
    assert!(!s.dpop.algs.contains(&Alg::ES384), "ES384 is opt-in");
    s.check().expect("defaults are valid");
}

#[test]
fn a_bad_value_names_its_key() {
    let dir = std::env::temp_dir().join(format!("dpopd-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[server]\nport = \"eighty\"\n").unwrap();
    let err = Settings::load(Some(&path)).unwrap_err().to_string();
    assert!(err.contains("server.port"), "{err}");
}

#[test]
fn an_unknown_key_is_refused() {
    let dir = std::env::temp_dir().join(format!("dpopd-cfg2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("typo.toml");
    std::fs::write(&path, "[dpop]\nproof_max_agee_secs = 5\n").unwrap();
    let err = Settings::load(Some(&path)).unwrap_err().to_string();
    assert!(err.contains("proof_max_agee_secs"), "{err}");
}

#[test]
fn production_mode_requires_keys_and_secrets() {
    let mut s = Settings::development();
    s.development = false;
    let err = s.check().unwrap_err().to_string();
    assert!(err.contains("keys.signing"), "{err}");
}

/// Enumerated values are read as their types: an unknown one stops start-up naming the
/// key and the value, never becomes another value or is silently dropped.
#[test]
fn an_unknown_enumerated_value_names_its_key() {
    let cases = [
        ("[dpop]\nalgs = [\"ES256\", \"HS256\"]\n", "dpop.algs", "HS256"),
        (
            "[[callers]]\nkey = \"c\"\nsecret = \"s\"\nroles = [\"as\", \"admin\"]\n",
            "roles",
            "admin",
        ),
        (
            "[[clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\nauth_method = \"client_secret_jwtx\"\n",
            "auth_method",
            "client_secret_jwtx",
        ),
        (
            "[[clients]]\nclient_id = \"c\"\nauth_method = \"none\"\ngrant_types = [\"password\"]\n",
            "grant_types",
            "password",
        ),
        (
            "[[callers]]\nkey = \"c\"\nsecret_sha256 = \"abc\"\nroles = [\"as\"]\n",
            "secret_sha256",
            "64 hex digits",
        ),
    ];
    let dir = std::env::temp_dir().join(format!("dpopd-cfg3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (text, key, value)) in cases.into_iter().enumerate() {
        let path = dir.join(format!("enum{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let err = Settings::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains(key) && err.contains(value), "{err}");
    }
}

#[test]
fn only_the_value_1_opts_development_mode_into_every_interface() {
    use std::ffi::OsStr;
    let cases = [
        ("unset", None, Some(DevListen::LoopbackOnly)),
        ("empty", Some(""), Some(DevListen::LoopbackOnly)),
        ("0", Some("0"), Some(DevListen::LoopbackOnly)),
        ("1", Some("1"), Some(DevListen::AnyInterface)),
        ("true is not 1", Some("true"), None),
        ("yes is not 1", Some("yes"), None),
        ("1 with a space", Some(" 1"), None),
    ];
    for (why, value, want) in cases {
        let got = DevListen::from_env_value(value.map(OsStr::new));
        match want {
            Some(want) => assert_eq!(got.unwrap(), want, "{why}"),
            None => {
                let err = got.unwrap_err().to_string();
                assert!(err.contains(DEV_LISTEN_ANY_INTERFACE), "{why}: {err}");
            }
        }
    }
}

#[test]
fn a_zero_request_timeout_is_refused() {
    let mut s = Settings::development();
    s.server.client_request_timeout_ms = 0;
    let err = s.check().unwrap_err().to_string();
    assert!(err.contains("server.client_request_timeout_ms"), "{err}");
}

#[test]
fn redis_settings_are_checked_when_the_store_is_redis() {
    let mut s = Settings::development();
    s.store.redis_mode = RedisMode::Sentinel;
    s.check().expect("not read while the store is in memory");
    s.store.kind = StoreKind::Redis;
    let err = s.check().unwrap_err().to_string();
    assert!(err.contains("store.redis_urls"), "{err}");
}

#[test]
fn the_durable_store_is_the_default_and_development_mode_keeps_it_in_a_new_temporary_directory() {
    let s = Settings::load(None).expect("development defaults load");
    assert_eq!(s.store.kind, StoreKind::Durable);
    assert!(
        Path::new(&s.store.data_dir).starts_with(std::env::temp_dir()),
        "{}",
        s.store.data_dir
    );
    let production = Settings::development().store;
    assert_eq!(
        production.data_dir_or_default(false),
        Path::new(StoreSettings::DEFAULT_DATA_DIR)
    );
}

#[test]
fn a_replay_sync_window_above_ten_seconds_is_refused() {
    let mut s = Settings::development();
    s.store.replay_sync_ms = 10_001;
    let err = s.check().unwrap_err().to_string();
    assert!(err.contains("store.replay_sync_ms"), "{err}");
    s.store.replay_sync_ms = 0;
    s.check().expect("0 syncs every record before answering");
}

#[test]
fn secrets_are_redacted_in_debug() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s:?}"), "[redacted]");
}

#[test]
fn redirect_uris_must_be_absolute_without_fragment() {
    for (uri, ok) in [
        ("https://app.example.com/cb?x=1", true),
        ("com.example.app:/oauth2redirect", true),
        ("http://127.0.0.1:3000/callback", true),
        ("https://app.example.com/cb#frag", false),
        ("/relative/cb", false),
        ("https://app.example.com/c b", false),
        ("", false),
    ] {
        assert_eq!(is_redirect_uri(uri), ok, "{uri}");
    }
}

fn from_toml(text: &str) -> Result<Settings, config::ConfigError> {
    config::Config::builder()
        .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
        .add_source(config::File::from_str(text, config::FileFormat::Toml))
        .build()?
        .try_deserialize()
}

/// `service.id`: empty is none, a string or a bare number is the id, anything that is not one
/// path segment of unreserved characters stops start-up naming the key.
#[test]
fn service_id_is_one_path_segment_or_none() {
    let id = |text: &str| from_toml(text).map(|s| s.service.id.map(|i| i.to_string()));
    assert_eq!(Settings::development().service.id, None);
    assert_eq!(id("[service]\nid = \"\"\n").unwrap(), None);
    assert_eq!(
        id("[service]\nid = \"715948317\"\n").unwrap(),
        Some("715948317".into())
    );
    assert_eq!(
        id("[service]\nid = 715948317\n").unwrap(),
        Some("715948317".into())
    );
    assert_eq!(
        id("[service]\nid = \"demo-service\"\n").unwrap(),
        Some("demo-service".into())
    );
    for bad in ["\"a/b\"", "\"..\"", "\"a b\"", "-1", "true"] {
        let err = id(&format!("[service]\nid = {bad}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("service.id"), "{bad}: {err}");
    }
}

/// `private_key_jwt` clients: `jwks` as a TOML table or as JSON text, or a `jwks_uri`;
/// exactly one of them, no secret, at least one alg, and a set that has a usable key.
#[test]
fn private_key_jwt_clients_need_exactly_one_usable_key_source_and_no_secret() {
    let key = crate::jose::SigningKey::generate(Alg::ES256, Some("k1".into())).unwrap();
    let public = key.public_jwk();
    let (x, y) = (public["x"].as_str().unwrap(), public["y"].as_str().unwrap());
    let table = format!(
        "jwks = {{ keys = [ {{ kty = \"EC\", crv = \"P-256\", x = \"{x}\", y = \"{y}\", kid = \"k1\" }} ] }}"
    );
    let text = format!("jwks = '{}'", serde_json::json!({ "keys": [public] }));
    let private = format!(
        "jwks = '{}'",
        serde_json::json!({ "keys": [key.private_jwk()] })
    );
    let client = |extra: &str| {
        format!("[[clients]]\nclient_id = \"c\"\nauth_method = \"private_key_jwt\"\n{extra}\n")
    };
    let check = |toml: String| {
        let settings = from_toml(&toml).map_err(|e| e.to_string())?;
        settings.check_clients().map_err(|e| e.to_string())?;
        Ok::<_, String>(settings)
    };
    let from_table = check(client(&table)).expect("a TOML table");
    assert_eq!(
        from_table.clients[0].auth_signing_algs,
        vec![Alg::PS256, Alg::ES256, Alg::EdDSA]
    );
    check(client(&text)).expect("JSON text");
    check(client("jwks_uri = \"https://client.example.com/jwks\"")).expect("a jwks_uri");
    let refused = [
        ("neither", client(""), "clients[0].jwks"),
        (
            "both",
            client(&format!("{text}\njwks_uri = \"https://client.example.com/jwks\"")),
            "clients[0].jwks",
        ),
        ("a secret too", client(&format!("{text}\nclient_secret = \"s\"")), "clients[0].client_secret"),
        ("only private keys", client(&private), "clients[0].jwks"),
        ("no alg", client(&format!("{text}\nauth_signing_algs = []")), "clients[0].auth_signing_algs"),
        ("plain http", client("jwks_uri = \"http://client.example.com/jwks\""), "https"),
        ("HS256", client(&format!("{text}\nauth_signing_algs = [\"HS256\"]")), "HS256"),
        (
            "jwks on a secret client",
            format!("[[clients]]\nclient_id = \"c\"\nauth_method = \"client_secret_basic\"\nclient_secret = \"s\"\n{text}\n"),
            "clients[0].jwks",
        ),
    ];
    for (description, toml, named) in refused {
        let err = check(toml).map(|_| ()).unwrap_err();
        assert!(err.contains(named), "{description}: {err}");
    }
}

#[test]
fn every_rule_of_a_trusted_issuer_names_its_key() {
    let key = crate::jose::SigningKey::generate(Alg::ES256, Some("k".into())).unwrap();
    let jwks = serde_json::json!({ "keys": [key.public_jwk()] }).to_string();
    let good = IssuerSettings {
        issuer: "https://login.example.org".into(),
        jwks_uri: None,
        jwks: Some(jwks.clone()),
        audience: vec!["https://api.example.com".into()],
        algs: vec![Alg::ES256],
        require_typ: true,
        scope_claim: ScopeClaim::Scope,
    };
    let mut s = Settings::development();
    s.issuers = vec![good.clone()];
    s.check().expect("a valid issuer");
    let uri = crate::remote_keys::JwksUri::parse("https://login.example.org/jwks").unwrap();
    let own = s.service.issuer.clone();
    let cases: Vec<(&str, Vec<IssuerSettings>, &str)> = vec![
        (
            "dpopd's own issuer",
            vec![IssuerSettings {
                issuer: own,
                ..good.clone()
            }],
            "issuers[0].issuer",
        ),
        (
            "an empty issuer",
            vec![IssuerSettings {
                issuer: String::new(),
                ..good.clone()
            }],
            "issuers[0].issuer",
        ),
        (
            "the same issuer twice",
            vec![good.clone(), good.clone()],
            "issuers[1].issuer",
        ),
        (
            "no audience",
            vec![IssuerSettings {
                audience: vec![],
                ..good.clone()
            }],
            "issuers[0].audience",
        ),
        (
            "an empty audience",
            vec![IssuerSettings {
                audience: vec![String::new()],
                ..good.clone()
            }],
            "issuers[0].audience",
        ),
        (
            "no alg",
            vec![IssuerSettings {
                algs: vec![],
                ..good.clone()
            }],
            "issuers[0].algs",
        ),
        (
            "RS384, not in the list",
            vec![IssuerSettings {
                algs: vec![Alg::RS384],
                ..good.clone()
            }],
            "issuers[0].algs",
        ),
        (
            "both jwks and jwks_uri",
            vec![IssuerSettings {
                jwks_uri: Some(uri),
                ..good.clone()
            }],
            "issuers[0].jwks_uri",
        ),
        (
            "neither jwks nor jwks_uri",
            vec![IssuerSettings {
                jwks: None,
                ..good.clone()
            }],
            "issuers[0].jwks_uri",
        ),
        (
            "jwks not a set",
            vec![IssuerSettings {
                jwks: Some("[]".into()),
                ..good.clone()
            }],
            "issuers[0].jwks",
        ),
        (
            "jwks without a usable key",
            vec![IssuerSettings {
                jwks: Some(r#"{"keys":[]}"#.into()),
                ..good.clone()
            }],
            "issuers[0].jwks",
        ),
    ];
    for (why, issuers, key) in cases {
        s.issuers = issuers;
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains(&format!("`{key}`")), "{why}: {err}");
    }
}

#[test]
fn a_trusted_issuer_reads_from_toml_with_its_defaults() {
    let s = from_toml(
        r#"
        [[issuers]]
        issuer = "https://login.example.org"
        jwks_uri = "https://login.example.org/jwks"
        audience = ["https://api.example.com"]
        "#,
    )
    .unwrap();
    let issuer = &s.issuers[0];
    assert_eq!(issuer.algs, issuers::ISSUER_ALGS.to_vec());
    assert!(issuer.require_typ);
    assert_eq!(issuer.scope_claim, ScopeClaim::Scope);
    assert!(from_toml("[[issuers]]\nissuer = \"x\"\njwks_uri = \"http://login.example.org/jwks\"\naudience = [\"a\"]\n").is_err(), "plain http beyond loopback");
    assert!(
        from_toml(
            "[[issuers]]\nissuer = \"x\"\njwks = \"{}\"\naudience = [\"a\"]\nalgs = [\"HS256\"]\n"
        )
        .is_err(),
        "HS256 is no alg"
    );
}
