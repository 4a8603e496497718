//! Unit tests of `reload`: what a reload swaps, what it keeps, what it refuses.
use super::*;
use crate::config::{
    ClientSettings, LogFormat, SealingKeySettings, Secret, SigningKeySettings, StoreKind,
};
use crate::jose::secrets::random_bytes;
use crate::jose::{Alg, SigningKey};
use crate::oauth::clients::AuthMethod;
use crate::startup::Application;

const NOW: UnixTime = UnixTime(1_700_000_000);

fn key(kid: &str) -> SigningKey {
    SigningKey::generate(Alg::ES256, Some(kid.into())).unwrap()
}

/// A configured (not development) instance's settings, signing with `signing[0]`.
pub(crate) fn settings(signing: &[&SigningKey]) -> Settings {
    let mut s = Settings::development();
    s.development = false;
    s.server.port = 0;
    s.server.workers = 1;
    s.store.kind = StoreKind::Memory;
    s.keys.signing = signing
        .iter()
        .map(|k| SigningKeySettings {
            jwk: Some(Secret::new(k.private_jwk().to_string())),
            ..Default::default()
        })
        .collect();
    s.keys.sealing = vec![SealingKeySettings {
        kid: "seal-1".into(),
        key: Secret::new(crate::jose::b64::encode(&random_bytes::<32>())),
    }];
    s.dpop.nonce_secret = Secret::new(crate::jose::b64::encode(&random_bytes::<32>()));
    s
}

fn client(id: &str) -> ClientSettings {
    ClientSettings {
        client_id: id.into(),
        client_secret: Some(Secret::new("secret")),
        client_secret_sha256: None,
        auth_method: AuthMethod::ClientSecretBasic,
        grant_types: vec![],
        scopes: vec![],
        redirect_uris: vec![],
        dpop_bound_access_tokens: false,
        dpop_algs: vec![],
        dpop_nonce_required: false,
        require_par: false,
        audience: vec![],
        id_token_signed_response_alg: crate::jose::Alg::ES256,
        userinfo_signed_response_alg: None,
        jwks: None,
        jwks_uri: None,
        auth_signing_algs: crate::config::default_auth_signing_algs(),
        profile: crate::oauth::fapi2::Profile::None,
    }
}

#[test]
fn restart_bound_changes_name_each_setting_read_only_at_start() {
    let started = settings(&[&key("k1")]);
    assert_eq!(
        restart_bound_changes(&started, &started.clone()),
        Vec::<&str>::new()
    );
    let mut loaded = started.clone();
    loaded.server.port = 9090;
    loaded.store.kind = StoreKind::Redis;
    loaded.store.redis_url = Secret::new("redis://elsewhere:6379");
    loaded.log.format = LogFormat::Json;
    // Reloadable: not reported.
    loaded.clients.push(client("new"));
    loaded.tokens.access_token_lifetime_secs = 60;
    loaded.dpop.proof_max_age_secs = 30;
    loaded.keys.signing.reverse();
    assert_eq!(
        restart_bound_changes(&started, &loaded),
        ["server.port", "store.kind", "store.redis_url", "log.format"]
    );
}

#[tokio::test]
async fn a_reload_swaps_the_whole_set_and_a_request_keeps_the_one_it_started_with() {
    let k1 = key("k1");
    let started = settings(&[&k1]);
    let app = Application::build(started.clone()).await.unwrap();
    let state = app.state();
    let in_flight = state.live();

    let mut next = started.clone();
    next.clients.push(client("new"));
    next.tokens.access_token_lifetime_secs = 60;
    next.server.port = 9090;
    let applied = apply(&state, next, NOW).unwrap();
    assert_eq!(applied.ignored, ["server.port"]);

    let now_serving = state.live();
    assert!(now_serving.core.clients.get("new").is_some());
    assert_eq!(now_serving.core.access_lifetime_secs, 60);
    assert!(in_flight.core.clients.get("new").is_none());
    assert_eq!(in_flight.core.access_lifetime_secs, 3600);
    assert!(
        Arc::ptr_eq(&in_flight.core.store, &now_serving.core.store),
        "one store across reloads: replay records and revocations survive"
    );
}

#[tokio::test]
async fn a_reload_that_does_not_build_changes_nothing_and_names_the_key() {
    let started = settings(&[&key("k1")]);
    let app = Application::build(started.clone()).await.unwrap();
    let state = app.state();
    let before = state.live();
    let mut broken = started.clone();
    broken.keys.signing[0].jwk = Some(Secret::new("not a JWK"));
    let error = apply(&state, broken, NOW).unwrap_err();
    assert!(error.to_string().contains("keys.signing[0]"), "{error}");
    let mut broken = started;
    broken.keys.sealing[0].key = Secret::new("c2hvcnQ");
    let error = apply(&state, broken, NOW).unwrap_err();
    assert!(error.to_string().contains("keys.sealing[0].key"), "{error}");
    assert!(Arc::ptr_eq(&before, &state.live()));
}

#[tokio::test]
async fn the_verified_token_cache_is_kept_only_while_what_it_checked_is_unchanged() {
    let (k1, k2) = (key("k1"), key("k2"));
    let started = settings(&[&k1]);
    let app = Application::build(started.clone()).await.unwrap();
    let state = app.state();
    let cache = |s: &AppState| Arc::clone(&s.live().core.verified_access);

    let first = cache(&state);
    let mut more_clients = started.clone();
    more_clients.clients.push(client("new"));
    apply(&state, more_clients.clone(), NOW).unwrap();
    assert!(Arc::ptr_eq(&first, &cache(&state)), "a new client");

    let mut rotated = more_clients.clone();
    rotated.keys.signing = settings(&[&k2, &k1]).keys.signing;
    let changes: [(&str, Settings); 4] = [
        ("a new signing key", rotated),
        ("another issuer", {
            let mut s = more_clients.clone();
            s.service.issuer = "https://other.example.com".into();
            s
        }),
        ("other sealing keys", {
            let mut s = more_clients.clone();
            s.keys.sealing[0].kid = "seal-2".into();
            s
        }),
        ("another cache size", {
            let mut s = more_clients.clone();
            s.tokens.verified_cache_entries = 10;
            s
        }),
    ];
    for (why, changed) in changes {
        apply(&state, more_clients.clone(), NOW).unwrap();
        let before = cache(&state);
        apply(&state, changed, NOW).unwrap();
        assert!(!Arc::ptr_eq(&before, &cache(&state)), "{why}");
    }
}

#[tokio::test]
async fn reload_file_applies_a_good_file_and_rejects_a_bad_one() {
    let k1 = key("k1");
    let app = Application::build(settings(&[&k1])).await.unwrap();
    let state = app.state();
    let file = std::env::temp_dir().join(format!(
        "dpopd-reload-unit-{}-{}.toml",
        std::process::id(),
        crate::jose::b64::encode(&random_bytes::<6>())
    ));
    let secret = || crate::jose::b64::encode(&random_bytes::<32>());
    let good = format!(
        "[store]\nkind = \"memory\"\n[dpop]\nnonce_secret = \"{}\"\n\
         [[keys.signing]]\njwk = '{}'\n[[keys.sealing]]\nkid = \"s\"\nkey = \"{}\"\n",
        secret(),
        key("k2").private_jwk(),
        secret()
    );
    std::fs::write(&file, &good).unwrap();
    assert_eq!(
        reload_file(state.clone(), file.clone()).await,
        Outcome::Applied
    );
    assert_eq!(state.live().core.keys.active().kid(), "k2");
    let serving = state.live();
    std::fs::write(&file, good.replace("[store]", "[stor]")).unwrap();
    assert_eq!(
        reload_file(state.clone(), file.clone()).await,
        Outcome::Rejected
    );
    assert!(Arc::ptr_eq(&serving, &state.live()));
    std::fs::remove_file(&file).unwrap();
    assert_eq!(reload_file(state.clone(), file).await, Outcome::Rejected);
    assert!(Arc::ptr_eq(&serving, &state.live()));
}
