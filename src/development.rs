//! Development mode: with no configuration file dpopd starts with an ephemeral signing key,
//! nonce secret and sealing key (see `oauth::core`), plus the demo caller and clients below,
//! and says so loudly. Every value here is documented in README.md. Because the demo caller's
//! secret is published, development mode listens on loopback addresses only unless
//! [`DEV_LISTEN_ANY_INTERFACE`] says otherwise (docs/configuration.md).
use crate::api::service_prefix::ServiceId;
use crate::config::{
    CallerSettings, ClientSettings, ConfigError, DevListen, Role, Secret, Settings, StoreKind,
    DEV_LISTEN_ANY_INTERFACE,
};
use crate::oauth::clients::{AuthMethod, GrantType};
use std::net::{IpAddr, SocketAddr};

pub const DEMO_CALLER_KEY: &str = "demo-caller";
pub const DEMO_CALLER_SECRET: &str = "demo-caller-secret";
pub const DEMO_CLIENT_ID: &str = "demo-client";
pub const DEMO_CLIENT_SECRET: &str = "demo-client-secret";
pub const DEMO_PUBLIC_CLIENT_ID: &str = "demo-public-client";
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:3000/callback";
/// The `serviceId` of the Authlete V3 paths in development mode: `/api/1000/auth/token`. Digits,
/// because the Java SDK reads a service id as a number.
pub const DEMO_SERVICE_ID: &str = "1000";

/// Adds the demo caller, clients and service id unless the environment configured some.
pub fn add_demo_credentials(settings: &mut Settings) {
    if settings.service.id.is_none() {
        settings.service.id = ServiceId::parse(DEMO_SERVICE_ID).ok();
    }
    if settings.callers.is_empty() {
        settings.callers.push(CallerSettings {
            key: DEMO_CALLER_KEY.into(),
            secret: Some(Secret::new(DEMO_CALLER_SECRET)),
            secret_sha256: None,
            roles: vec![Role::As, Role::Rs],
            dpop_only: false,
            explain_per_minute: crate::config::DEFAULT_EXPLAIN_PER_MINUTE,
        });
    }
    if settings.clients.is_empty() {
        let confidential = ClientSettings {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: Some(Secret::new(DEMO_CLIENT_SECRET)),
            client_secret_sha256: None,
            auth_method: AuthMethod::ClientSecretBasic,
            grant_types: vec![GrantType::ClientCredentials, GrantType::RefreshToken],
            scopes: vec!["read".into(), "write".into()],
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
        };
        let public = ClientSettings {
            client_id: DEMO_PUBLIC_CLIENT_ID.into(),
            client_secret: None,
            auth_method: AuthMethod::None,
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            redirect_uris: vec![DEMO_REDIRECT_URI.into()],
            ..confidential.clone()
        };
        settings.clients = vec![confidential, public];
    }
}

/// Refuses to let development mode listen on `addresses` (what `server.host` resolved to)
/// unless each is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped 127.0.0.0/8) or the
/// operator opted in: with the published demo secrets, anyone who reaches dpopd can mint
/// tokens. A name counts by what it resolves to, so a `localhost` that resolves elsewhere is
/// refused too.
pub fn check_listen_addresses(
    settings: &Settings,
    addresses: &[SocketAddr],
) -> Result<(), ConfigError> {
    if !settings.development || settings.dev_listen == DevListen::AnyInterface {
        return Ok(());
    }
    let beyond = addresses.iter().find(|a| !is_loopback(a.ip()));
    if addresses.is_empty() || beyond.is_some() {
        let host = &settings.server.host;
        let resolved = match beyond {
            Some(a) if a.ip().to_string() != host.trim_matches(['[', ']']) => {
                format!("{host:?} (resolved to {})", a.ip())
            }
            _ => format!("{host:?}"),
        };
        return Err(ConfigError::invalid(
            "server.host",
            format!(
                "{resolved} is not a loopback address, and development mode (no configuration \
                 file) listens on loopback only: its demo caller's secret is published, so \
                 anyone who reached it could mint tokens. Give a configuration file (--config \
                 FILE or DPOPD_CONFIG=FILE; in a container: -v $PWD/dpopd.toml:/etc/dpopd.toml \
                 -e DPOPD_CONFIG=/etc/dpopd.toml), or, to try dpopd on this machine only, set \
                 {DEV_LISTEN_ANY_INTERFACE}=1 and publish the port on loopback (docker run -p \
                 127.0.0.1:8080:8080 -e {DEV_LISTEN_ANY_INTERFACE}=1 dpopd)"
            ),
        ));
    }
    Ok(())
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

pub fn banner(settings: &Settings, port: u16) -> String {
    let listening = &settings.server.host;
    let host = match listening.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() => "127.0.0.1",
        _ => listening.as_str(),
    };
    let exposed = match settings.dev_listen {
        DevListen::LoopbackOnly => String::new(),
        DevListen::AnyInterface => format!(
            r#"
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
  LISTENING ON {listening} WITH THE PUBLISHED DEMO SECRETS ({DEV_LISTEN_ANY_INTERFACE}=1).
  ANYONE WHO CAN REACH THIS PORT CAN MINT TOKENS. Publish it on loopback only
  (docker run -p 127.0.0.1:8080:8080 ...) or run with a configuration file.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"#
        ),
    };
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
    let service_id = match &settings.service.id {
        Some(id) => format!("{id}  (Authlete SDKs in V3 mode: /api/{id}/auth/token ...)"),
        None => "none (every /api/{serviceId}/... path answers 404)".into(),
    };
    format!(
        r#"{exposed}
================================================================================
  dpopd DEVELOPMENT MODE: ephemeral keys, demo credentials. NOT FOR PRODUCTION.
  Pass --config FILE (or DPOPD_CONFIG) to run with real configuration.
--------------------------------------------------------------------------------
  caller (roles as, rs)   {DEMO_CALLER_KEY} : {DEMO_CALLER_SECRET}
  confidential client     {DEMO_CLIENT_ID} : {DEMO_CLIENT_SECRET}  (client_secret_basic, scope "read write")
  public client           {DEMO_PUBLIC_CLIENT_ID}  (auth method none)
  token endpoint (htu)    {htu}
  service id (V3 paths)   {service_id}
  store                   {store}

  A DPoP-bound token, then introspection with a fresh proof carrying ath (dpopd proof
  keeps its key in ~/.config/dpopd; `cargo install --path .` puts dpopd on your PATH):

{walkthrough}
================================================================================{exposed}"#,
        htu = settings.service.token_endpoint,
        walkthrough = indent(&dpop_walkthrough(
            &format!("http://{host}:{port}"),
            settings.service.token_endpoint.as_str()
        )),
    )
}

/// The resource URL of the walkthrough: the demo app's (its redirect URI's host).
pub const DEMO_RESOURCE_URL: &str = "http://127.0.0.1:3000/resource";

/// The shell commands that get a DPoP-bound token from the dpopd at `api` for the demo client
/// (a proof for `token_htu` minted by `dpopd proof`) and introspect it with a fresh proof
/// carrying `ath`. README.md shows them for the default address; a test runs them.
pub fn dpop_walkthrough(api: &str, token_htu: &str) -> String {
    format!(
        r#"TOKEN=$(curl -s -u {DEMO_CALLER_KEY}:{DEMO_CALLER_SECRET} {api}/auth/token \
  -H 'Content-Type: application/json' \
  -d "{{\"parameters\":\"grant_type=client_credentials&scope=read\",\"clientId\":\"{DEMO_CLIENT_ID}\",\"clientSecret\":\"{DEMO_CLIENT_SECRET}\",\"dpop\":\"$(dpopd proof --htm POST --htu {token_htu})\"}}" \
  | tee /dev/stderr | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')
curl -s -u {DEMO_CALLER_KEY}:{DEMO_CALLER_SECRET} {api}/auth/introspection \
  -H 'Content-Type: application/json' \
  -d "{{\"token\":\"$TOKEN\",\"tokenScheme\":\"DPoP\",\"htm\":\"GET\",\"htu\":\"{DEMO_RESOURCE_URL}\",\"dpop\":\"$(dpopd proof --htm GET --htu {DEMO_RESOURCE_URL} --access-token "$TOKEN")\"}}"
"#
    )
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
