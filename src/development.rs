//! Development mode: with no configuration file dpopd starts with an ephemeral signing key,
//! nonce secret and sealing key (see `oauth::core`), plus the demo caller and clients below,
//! and says so loudly. Every value here is documented in README.md.
use crate::config::{CallerSettings, ClientSettings, Secret, Settings, StoreKind};

pub const DEMO_CALLER_KEY: &str = "demo-caller";
pub const DEMO_CALLER_SECRET: &str = "demo-caller-secret";
pub const DEMO_CLIENT_ID: &str = "demo-client";
pub const DEMO_CLIENT_SECRET: &str = "demo-client-secret";
pub const DEMO_PUBLIC_CLIENT_ID: &str = "demo-public-client";
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:3000/callback";

/// Adds the demo caller and clients unless the environment configured some.
pub fn add_demo_credentials(settings: &mut Settings) {
    if settings.callers.is_empty() {
        settings.callers.push(CallerSettings {
            key: DEMO_CALLER_KEY.into(),
            secret: Some(Secret::new(DEMO_CALLER_SECRET)),
            secret_sha256: None,
            roles: vec!["as".into(), "rs".into()],
        });
    }
    if settings.clients.is_empty() {
        let confidential = ClientSettings {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: Some(Secret::new(DEMO_CLIENT_SECRET)),
            client_secret_sha256: None,
            auth_method: "client_secret_basic".into(),
            grant_types: vec!["client_credentials".into(), "refresh_token".into()],
            scopes: vec!["read".into(), "write".into()],
            redirect_uris: vec![],
            dpop_bound_access_tokens: false,
            dpop_algs: vec![],
            dpop_nonce_required: false,
            require_par: false,
            audience: vec![],
        };
        let public = ClientSettings {
            client_id: DEMO_PUBLIC_CLIENT_ID.into(),
            client_secret: None,
            auth_method: "none".into(),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            redirect_uris: vec![DEMO_REDIRECT_URI.into()],
            ..confidential.clone()
        };
        settings.clients = vec![confidential, public];
    }
}

pub fn banner(settings: &Settings, port: u16) -> String {
    let host = &settings.server.host;
    let store = match settings.store.kind {
        StoreKind::Durable
            if std::path::Path::new(&settings.store.data_dir).starts_with(std::env::temp_dir()) =>
        {
            format!(
                "durable, in the new temporary directory {}",
                settings.store.data_dir
            )
        }
        StoreKind::Durable => format!("durable, in {}", settings.store.data_dir),
        StoreKind::Memory => "in memory, forgotten at exit".into(),
        StoreKind::Redis => "redis".into(),
    };
    format!(
        r#"
================================================================================
  dpopd DEVELOPMENT MODE: ephemeral keys, demo credentials. NOT FOR PRODUCTION.
  Pass --config FILE (or DPOPD_CONFIG) to run with real configuration.
--------------------------------------------------------------------------------
  caller (roles as, rs)   {DEMO_CALLER_KEY} : {DEMO_CALLER_SECRET}
  confidential client     {DEMO_CLIENT_ID} : {DEMO_CLIENT_SECRET}  (client_secret_basic, scope "read write")
  public client           {DEMO_PUBLIC_CLIENT_ID}  (auth method none)
  token endpoint (htu)    {htu}
  store                   {store}

  curl -s -u {DEMO_CALLER_KEY}:{DEMO_CALLER_SECRET} http://{host}:{port}/auth/token \
    -H 'Content-Type: application/json' \
    -d '{{"parameters":"grant_type=client_credentials&scope=read","clientId":"{DEMO_CLIENT_ID}","clientSecret":"{DEMO_CLIENT_SECRET}"}}'
================================================================================"#,
        htu = settings.service.token_endpoint,
    )
}
