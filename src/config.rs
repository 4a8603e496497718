//! Typed settings, loaded at start and again on each reload (`SIGHUP`, see `reload`): embedded
//! defaults (`config/defaults.toml`), then a TOML file (`--config` or `DPOPD_CONFIG`), then
//! environment variables `DPOPD__SECTION__KEY`. Unknown keys and bad values stop start-up, or
//! are refused by a reload, with a message that names the key.
//! With no configuration file dpopd runs in development mode: see [`Settings::development`].
use crate::api::service_prefix::ServiceId;
use crate::dpop::htu::Htu;
use crate::jose::Alg;
use crate::oauth::clients::{AuthMethod, GrantType};
use serde::Deserialize;
use std::path::Path;

mod issuers;

pub const DEFAULTS: &str = include_str!("../config/defaults.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub service: ServiceSettings,
    pub dpop: DpopSettings,
    pub tokens: TokenSettings,
    pub keys: KeySettings,
    pub store: StoreSettings,
    pub jwks: crate::remote_keys::JwksSettings,
    #[serde(default)]
    pub gateway: crate::api::gateway::settings::GatewaySettings,
    pub log: LogSettings,
    pub callers: Vec<CallerSettings>,
    pub clients: Vec<ClientSettings>,
    /// Other authorization servers whose access tokens introspection and userinfo accept.
    pub issuers: Vec<IssuerSettings>,
    /// Set by the loader, never read from a file: true when no configuration file was given.
    #[serde(skip)]
    pub development: bool,
    /// Set by the loader from [`DEV_LISTEN_ANY_INTERFACE`], never read from a file: where
    /// development mode may listen (see `development::check_listen_addresses`).
    #[serde(skip)]
    pub dev_listen: DevListen,
}

/// The environment variable that lets development mode listen beyond loopback. The name says
/// what it costs so that nobody sets it by accident; like `DPOPD_CONFIG` it has a single
/// underscore after `DPOPD` and is not a configuration key.
pub const DEV_LISTEN_ANY_INTERFACE: &str =
    "DPOPD_DEV_LISTEN_ANY_INTERFACE_WITH_PUBLISHED_DEMO_SECRETS";

/// Where development mode may listen: its demo caller's secret is published, so whoever
/// reaches it can mint tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevListen {
    /// Loopback addresses only.
    #[default]
    LoopbackOnly,
    /// Any address: [`DEV_LISTEN_ANY_INTERFACE`] is `1`.
    AnyInterface,
}

impl DevListen {
    /// The value of [`DEV_LISTEN_ANY_INTERFACE`]: `1` opts in; unset, empty or `0` does not;
    /// anything else stops start-up, so that `true` or `yes` is not mistaken for either.
    pub fn from_env_value(value: Option<&std::ffi::OsStr>) -> Result<DevListen, ConfigError> {
        match value.map(|v| v.to_str()) {
            None | Some(Some("" | "0")) => Ok(DevListen::LoopbackOnly),
            Some(Some("1")) => Ok(DevListen::AnyInterface),
            Some(_) => Err(ConfigError::Environment {
                name: DEV_LISTEN_ANY_INTERFACE,
                problem: "must be 1 to opt in (or unset)",
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub max_body_bytes: usize,
    pub keep_alive_secs: u64,
    pub client_request_timeout_ms: u64,
    pub client_disconnect_timeout_ms: u64,
    pub max_connections: usize,
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// The `serviceId` of the Authlete V3 paths `/api/{serviceId}/...`; empty in configuration
    /// means none, and then every such path is answered 404 (`api::service_prefix`).
    #[serde(deserialize_with = "crate::api::service_prefix::deserialize_optional")]
    pub id: Option<ServiceId>,
    pub issuer: String,
    pub token_endpoint: Htu,
    pub authorization_endpoint: String,
    pub par_endpoint: Htu,
    pub default_audience: Vec<String>,
    /// URLs of the AS's other endpoints, published in the discovery document; empty: left out.
    pub jwks_uri: String,
    pub introspection_endpoint: String,
    pub revocation_endpoint: String,
    pub userinfo_endpoint: String,
    /// RFC 9126 §5: every client must push its authorization requests.
    pub require_pushed_authorization_requests: bool,
    /// `scopes_supported`; empty: every scope some client may request.
    pub scopes_supported: Vec<String>,
    /// `aud` values a `private_key_jwt` client assertion may carry besides the issuer
    /// identifier (FAPI 2.0 Security Profile §5.3.2.1), such as the token endpoint URL.
    pub client_assertion_audiences: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpopSettings {
    pub algs: Vec<Alg>,
    pub proof_max_age_secs: u64,
    pub clock_skew_secs: u64,
    pub max_proof_bytes: usize,
    pub rsa_max_bits: usize,
    pub nonce_required: bool,
    pub rs_nonce_required: bool,
    pub nonce_step_secs: u64,
    pub nonce_lifetime_secs: u64,
    pub nonce_secret: Secret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub access_token_lifetime_secs: u64,
    pub refresh_token_lifetime_secs: u64,
    pub max_lifetime_override_secs: u64,
    /// Capacity of the verified-access-token cache of introspection; 0 disables it.
    pub verified_cache_entries: u64,
    pub code_lifetime_secs: u64,
    pub ticket_lifetime_secs: u64,
    pub request_uri_lifetime_secs: u64,
    pub id_token_lifetime_secs: u64,
    /// How far ahead of now a `private_key_jwt` client assertion's `exp` may be (RFC 7523 §3).
    pub client_assertion_max_lifetime_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    pub signing: Vec<SigningKeySettings>,
    pub sealing: Vec<SealingKeySettings>,
}

/// One signing key: exactly one of `jwk` (inline private JWK JSON), `jwk_file` or `pem_file`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeySettings {
    pub jwk: Option<Secret>,
    pub jwk_file: Option<String>,
    pub pem_file: Option<String>,
    pub alg: Option<Alg>,
    pub kid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealingKeySettings {
    pub kid: String,
    /// base64url of 32 random octets (AES-256-GCM).
    pub key: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// In-process, journaled to `store.data_dir`: survives a restart and a crash (the default).
    Durable,
    /// In-process only: forgotten at exit (tests, throw-away instances).
    Memory,
    Redis,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    pub kind: StoreKind,
    pub max_entries: u64,
    pub max_entries_per_owner: u64,
    /// The durable store's directory; empty means [`StoreSettings::DEFAULT_DATA_DIR`], or a
    /// fresh temporary directory in development mode (filled in by [`Settings::load`]).
    pub data_dir: String,
    /// The longest a DPoP replay record may wait for `fsync` (the loss window of a power cut);
    /// 0 syncs each one before its call answers.
    pub replay_sync_ms: u64,
    pub redis_url: Secret,
    pub redis_prefix: String,
    pub timeout_ms: u64,
    pub redis_mode: RedisMode,
    /// The sentinels (`sentinel`) or the seed nodes (`cluster`); credentials may be inside.
    pub redis_urls: Vec<Secret>,
    pub redis_sentinel_master: String,
    pub redis_sentinel_username: String,
    pub redis_sentinel_password: Secret,
    /// PEM files; empty means unset (the system roots, no client certificate).
    pub redis_tls_ca_file: String,
    pub redis_tls_cert_file: String,
    pub redis_tls_key_file: String,
    pub redis_wait_replicas: u32,
}

/// How dpopd finds its Redis (docs/operations.md, "Redis").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedisMode {
    /// One server (`store.redis_url`), or a fixed address in front of the current primary.
    Single,
    /// The primary that Sentinel names, followed across failovers.
    Sentinel,
    /// Redis Cluster: keys spread over the slots of every primary.
    Cluster,
}

impl StoreSettings {
    pub const DEFAULT_DATA_DIR: &'static str = "/var/lib/dpopd";
    /// The largest `store.replay_sync_ms`.
    pub const MAX_REPLAY_SYNC_MS: u64 = 10_000;

    /// The data directory to use: the configured one, else the production default, or in
    /// development mode a new directory under the system's temporary directory.
    pub fn data_dir_or_default(&self, development: bool) -> std::path::PathBuf {
        if !self.data_dir.is_empty() {
            return self.data_dir.clone().into();
        }
        if !development {
            return Self::DEFAULT_DATA_DIR.into();
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        std::env::temp_dir().join(format!("dpopd-dev-{}-{nanos:08x}", std::process::id()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallerSettings {
    pub key: String,
    pub secret: Option<Secret>,
    /// Hex SHA-256 of the secret, so configuration need not hold the secret itself.
    pub secret_sha256: Option<Sha256Hex>,
    pub roles: Vec<Role>,
    /// Introspection and userinfo for this caller accept only DPoP-bound tokens with valid
    /// proofs, unless a call sets `dpopRequired` (docs/api.md, "DPoP-only resources").
    #[serde(default)]
    pub dpop_only: bool,
    /// Calls of `/auth/dpop/explain` this caller may make a minute (a token bucket of this
    /// size); 0 refuses them all.
    #[serde(default = "default_explain_per_minute")]
    pub explain_per_minute: u32,
}

/// The default of `explain_per_minute`: a person debugging, not a load.
pub const DEFAULT_EXPLAIN_PER_MINUTE: u32 = 30;

fn default_explain_per_minute() -> u32 {
    DEFAULT_EXPLAIN_PER_MINUTE
}

/// What a caller may call (docs/api.md, "Callers and roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The authorization-server APIs: token, token create, authorization, PAR, revocation.
    As,
    /// The resource-server APIs: introspection, userinfo, standard introspection.
    Rs,
}

/// A SHA-256 digest written in configuration as 64 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sha256Hex(pub [u8; 32]);

impl<'de> Deserialize<'de> for Sha256Hex {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        crate::jose::secrets::parse_hex32(&text)
            .map(Sha256Hex)
            .ok_or_else(|| serde::de::Error::custom("must be 64 hex digits"))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSettings {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub client_secret_sha256: Option<Sha256Hex>,
    pub auth_method: AuthMethod,
    #[serde(default = "default_grants")]
    pub grant_types: Vec<GrantType>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Authlete's `dpopRequired`: a token request without a proof is refused.
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// Narrows the service's DPoP alg allow-list for this client.
    #[serde(default)]
    pub dpop_algs: Vec<Alg>,
    #[serde(default)]
    pub dpop_nonce_required: bool,
    #[serde(default)]
    pub require_par: bool,
    #[serde(default)]
    pub audience: Vec<String>,
    /// OIDC Registration §2: the alg of the client's ID tokens; a service signing key of that
    /// alg must exist.
    #[serde(default = "default_id_token_alg")]
    pub id_token_signed_response_alg: Alg,
    /// OIDC Registration §2: the userinfo response is a JWT signed with this alg; absent: JSON.
    #[serde(default)]
    pub userinfo_signed_response_alg: Option<Alg>,
    /// `private_key_jwt`: the client's public keys, a JWK Set (RFC 7517 §5) written as a table
    /// or as JSON text.
    #[serde(default)]
    pub jwks: Option<InlineJwks>,
    /// `private_key_jwt`: where the client publishes its JWK Set.
    #[serde(default)]
    pub jwks_uri: Option<crate::remote_keys::JwksUri>,
    /// `private_key_jwt`: the algs the client's assertions may be signed with (RFC 7591 §2
    /// `token_endpoint_auth_signing_alg`, as a list).
    #[serde(default = "default_auth_signing_algs")]
    pub auth_signing_algs: Vec<Alg>,
    /// `fapi2`: the FAPI 2.0 Security Profile's rules apply to the client (README, "FAPI 2.0").
    #[serde(default)]
    pub profile: crate::oauth::fapi2::Profile,
}

/// FAPI 2.0 Security Profile §5.4.1: PS256, ES256 or EdDSA.
pub fn default_auth_signing_algs() -> Vec<Alg> {
    vec![Alg::PS256, Alg::ES256, Alg::EdDSA]
}

/// A JWK Set given in configuration: a table, or the same as JSON text. Read as a JWK Set,
/// under the `[jwks]` limits, when the client registry is built.
#[derive(Debug, Clone, PartialEq)]
pub struct InlineJwks(pub serde_json::Value);

impl<'de> Deserialize<'de> for InlineJwks {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(de)? {
            serde_json::Value::String(text) => serde_json::from_str(&text)
                .map(InlineJwks)
                .map_err(|e| serde::de::Error::custom(format!("jwks is not JSON: {e}"))),
            value => Ok(InlineJwks(value)),
        }
    }
}

impl InlineJwks {
    /// The set, read under `limits` as a fetched one is (its JSON text counts for the size).
    pub fn read(
        &self,
        limits: &crate::jose::jwks::JwksLimits,
    ) -> Result<crate::jose::jwks::JwkSet, crate::jose::jwks::JwksError> {
        let text = serde_json::to_vec(&self.0).unwrap_or_default();
        crate::jose::jwks::JwkSet::parse(&text, limits)
    }
}

fn default_id_token_alg() -> Alg {
    Alg::ES256
}

fn default_grants() -> Vec<GrantType> {
    vec![GrantType::ClientCredentials, GrantType::RefreshToken]
}

/// A configuration value that must never be printed: `Debug` shows `[redacted]`.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A trusted issuer (docs/configuration.md, "[[issuers]]"): another authorization server whose
/// RFC 9068 access tokens `/auth/introspection` and `/auth/userinfo` accept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerSettings {
    /// The `iss` of its tokens, compared exactly (RFC 9068 §4).
    pub issuer: String,
    /// Where its JWK Set is published. Set exactly one of `jwks_uri`, `jwks`.
    pub jwks_uri: Option<crate::remote_keys::JwksUri>,
    /// Its JWK Set as JSON text.
    pub jwks: Option<String>,
    /// Values one of which the token's `aud` must hold (RFC 9068 §4).
    pub audience: Vec<String>,
    /// The `alg` values its tokens may be signed with.
    #[serde(default = "issuers::default_algs")]
    pub algs: Vec<Alg>,
    /// Whether the token's `typ` must be `at+jwt` (RFC 9068 §2.1, §4).
    #[serde(default = "issuers::default_require_typ")]
    pub require_typ: bool,
    /// The claim holding the scopes: `scope` (a space-separated string) or `scp` (an array).
    #[serde(default)]
    pub scope_claim: ScopeClaim,
}

/// Where a trusted issuer's tokens carry their scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeClaim {
    /// RFC 9068 §2.2.3: `scope`, a space-separated string (RFC 8693 §4.2).
    #[default]
    Scope,
    /// `scp`, an array of strings.
    Scp,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {problem}")]
    Invalid { key: String, problem: String },
    /// An environment variable outside the `DPOPD__` keys has an unusable value.
    #[error("environment variable {name}: {problem}")]
    Environment {
        name: &'static str,
        problem: &'static str,
    },
}

impl ConfigError {
    pub fn invalid(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: key.into(),
            problem: problem.into(),
        }
    }
}

impl Settings {
    /// Loads defaults → `file` (if any) → environment. No file means development mode.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        builder = builder.add_source(
            config::Environment::with_prefix("DPOPD")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("dpop.algs")
                .with_list_parse_key("service.default_audience")
                .with_list_parse_key("service.client_assertion_audiences")
                .with_list_parse_key("store.redis_urls")
                .try_parsing(true),
        );
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        // `try_parsing` reads an environment value of digits as a number, which would drop the
        // leading zeros of a service id such as `007`: the id is taken from its text.
        if let Some(text) = std::env::var_os("DPOPD__SERVICE__ID") {
            let text = text.to_str().ok_or_else(|| {
                ConfigError::invalid("service.id", "DPOPD__SERVICE__ID is not UTF-8")
            })?;
            settings.service.id = match text {
                "" => None,
                text => Some(
                    ServiceId::parse(text).map_err(|e| ConfigError::invalid("service.id", e))?,
                ),
            };
        }
        settings.development = file.is_none();
        settings.dev_listen =
            DevListen::from_env_value(std::env::var_os(DEV_LISTEN_ANY_INTERFACE).as_deref())?;
        if settings.store.kind == StoreKind::Durable {
            settings.store.data_dir = settings
                .store
                .data_dir_or_default(settings.development)
                .to_string_lossy()
                .into_owned();
        }
        settings.check()?;
        Ok(settings)
    }

    /// The embedded defaults alone, as development mode starts from (tests build on this).
    pub fn development() -> Settings {
        let loaded = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize::<Settings>());
        match loaded {
            Ok(mut settings) => {
                settings.development = true;
                settings
            }
            // The embedded file is part of the binary and covered by a unit test.
            Err(e) => panic!("embedded defaults are invalid: {e}"),
        }
    }

    /// Checks that need more than a type: ranges, enumerations, cross-field rules.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.jwks.check("jwks")?;
        let d = &self.dpop;
        if d.algs.is_empty() {
            return Err(ConfigError::invalid(
                "dpop.algs",
                "must name at least one alg",
            ));
        }
        positive("dpop.proof_max_age_secs", d.proof_max_age_secs)?;
        positive("dpop.nonce_step_secs", d.nonce_step_secs)?;
        if d.nonce_lifetime_secs < d.nonce_step_secs {
            return Err(ConfigError::invalid(
                "dpop.nonce_lifetime_secs",
                "must be at least dpop.nonce_step_secs",
            ));
        }
        // ring verifies RSA moduli of at most 8192 bits.
        if !(2048..=8192).contains(&d.rsa_max_bits) {
            return Err(ConfigError::invalid(
                "dpop.rsa_max_bits",
                "must be between 2048 and 8192",
            ));
        }
        if !(256..=65536).contains(&d.max_proof_bytes) {
            return Err(ConfigError::invalid(
                "dpop.max_proof_bytes",
                "must be between 256 and 65536",
            ));
        }
        positive(
            "tokens.access_token_lifetime_secs",
            self.tokens.access_token_lifetime_secs,
        )?;
        positive(
            "tokens.refresh_token_lifetime_secs",
            self.tokens.refresh_token_lifetime_secs,
        )?;
        // RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED."
        if !(1..=600).contains(&self.tokens.code_lifetime_secs) {
            return Err(ConfigError::invalid(
                "tokens.code_lifetime_secs",
                "must be between 1 and 600",
            ));
        }
        positive(
            "tokens.ticket_lifetime_secs",
            self.tokens.ticket_lifetime_secs,
        )?;
        positive(
            "tokens.request_uri_lifetime_secs",
            self.tokens.request_uri_lifetime_secs,
        )?;
        positive(
            "tokens.client_assertion_max_lifetime_secs",
            self.tokens.client_assertion_max_lifetime_secs,
        )?;
        positive("server.max_body_bytes", self.server.max_body_bytes as u64)?;
        // Every request's deadline derives from it: 0 would refuse every request.
        positive(
            "server.client_request_timeout_ms",
            self.server.client_request_timeout_ms,
        )?;
        positive("store.max_entries", self.store.max_entries)?;
        positive(
            "store.max_entries_per_owner",
            self.store.max_entries_per_owner,
        )?;
        positive("store.timeout_ms", self.store.timeout_ms)?;
        if self.store.kind == StoreKind::Redis {
            crate::store::redis::RedisOptions::from_settings(&self.store)?;
        }
        if self.store.replay_sync_ms > StoreSettings::MAX_REPLAY_SYNC_MS {
            return Err(ConfigError::invalid(
                "store.replay_sync_ms",
                format!(
                    "must be at most {} (the replay records a power cut may lose)",
                    StoreSettings::MAX_REPLAY_SYNC_MS
                ),
            ));
        }
        for (i, caller) in self.callers.iter().enumerate() {
            let key = format!("callers[{i}]");
            if caller.secret.is_none() == caller.secret_sha256.is_none() {
                return Err(ConfigError::invalid(
                    key,
                    "set exactly one of secret, secret_sha256",
                ));
            }
        }
        self.check_clients()?;
        self.check_issuers()?;

        if !self.development {
            if self.keys.signing.is_empty() {
                return Err(ConfigError::invalid(
                    "keys.signing",
                    "at least one signing key is required",
                ));
            }
            if d.nonce_secret.is_empty() {
                return Err(ConfigError::invalid(
                    "dpop.nonce_secret",
                    "required outside development mode",
                ));
            }
            if self.keys.sealing.is_empty() {
                return Err(ConfigError::invalid(
                    "keys.sealing",
                    "at least one sealing key is required",
                ));
            }
        }
        Ok(())
    }
}

impl Settings {
    /// Each client's registration on its own and against the others and the service.
    fn check_clients(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.clients.iter().enumerate() {
            let key = |field: &str| format!("clients[{i}].{field}");
            if c.client_id.is_empty() || !seen.insert(c.client_id.as_str()) {
                return Err(ConfigError::invalid(
                    key("client_id"),
                    "must be non-empty and unique",
                ));
            }
            let has_secret = match (&c.client_secret, &c.client_secret_sha256) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError::invalid(
                        key("client_secret"),
                        "set only one of client_secret, client_secret_sha256",
                    ))
                }
                (None, None) => false,
                _ => true,
            };
            let secret_based = matches!(
                c.auth_method,
                AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
            );
            if secret_based != has_secret {
                return Err(ConfigError::invalid(
                    key("client_secret"),
                    "required for client_secret_basic and client_secret_post, forbidden otherwise",
                ));
            }
            self.check_client_keys(c, &key)?;
            let service = crate::dpop::proof::AlgSet::of(self.dpop.algs.iter().copied());
            if !c.dpop_algs.is_empty()
                && crate::dpop::proof::AlgSet::of(c.dpop_algs.iter().copied())
                    .intersect(service)
                    .is_empty()
            {
                return Err(ConfigError::invalid(
                    key("dpop_algs"),
                    "allows no alg of dpop.algs",
                ));
            }
            crate::oauth::fapi2::check_client(c, service, &key)?;
            if let Some(bad) = c.redirect_uris.iter().find(|u| !is_redirect_uri(u)) {
                return Err(ConfigError::invalid(
                    key("redirect_uris"),
                    format!("{bad:?} is not an absolute URI without fragment"),
                ));
            }
        }
        Ok(())
    }

    /// `private_key_jwt` (RFC 7523 §2.2): exactly one of `jwks`, `jwks_uri`, an inline set that
    /// reads under the `[jwks]` limits, and at least one alg; other methods set none of them.
    fn check_client_keys(
        &self,
        c: &ClientSettings,
        key: &dyn Fn(&str) -> String,
    ) -> Result<(), ConfigError> {
        if c.auth_method != AuthMethod::PrivateKeyJwt {
            if c.jwks.is_some() || c.jwks_uri.is_some() {
                return Err(ConfigError::invalid(
                    key("jwks"),
                    "jwks and jwks_uri are for auth_method private_key_jwt",
                ));
            }
            return Ok(());
        }
        match (&c.jwks, &c.jwks_uri) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ConfigError::invalid(
                    key("jwks"),
                    "private_key_jwt needs exactly one of jwks, jwks_uri",
                ))
            }
            (Some(jwks), None) => {
                let set = jwks
                    .read(&self.jwks.limits())
                    .map_err(|e| ConfigError::invalid(key("jwks"), e.to_string()))?;
                if set.is_empty() {
                    return Err(ConfigError::invalid(
                        key("jwks"),
                        "has no key dpopd can verify with (a public EC P-256/P-384, RSA or Ed25519 key)",
                    ));
                }
            }
            (None, Some(_)) => {}
        }
        if c.auth_signing_algs.is_empty() {
            return Err(ConfigError::invalid(
                key("auth_signing_algs"),
                "must name at least one alg",
            ));
        }
        Ok(())
    }
}

/// RFC 6749 §3.1.2: a redirection endpoint URI is absolute (a scheme, so custom schemes of
/// native apps per RFC 8252 §7.1 qualify) and has no fragment, so the response's query can be
/// appended to it.
fn is_redirect_uri(uri: &str) -> bool {
    let scheme_ok = uri.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    scheme_ok && !uri.contains('#') && !uri.chars().any(char::is_whitespace)
}

fn positive(key: &str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(ConfigError::invalid(key, "must be greater than 0"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
