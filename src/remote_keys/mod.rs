//! Keys of other signers — a client's for `private_key_jwt` (RFC 7523 §2.2, OpenID Connect
//! Core §9), another issuer's for its access tokens (RFC 9068 §4) — given inline or fetched
//! from a `jwks_uri`, cached, refreshed, and used to verify their JWSs.
//!
//! Guarantees of a remote source ([`KeySource::Remote`]):
//!
//! - **When a fetch happens.** Once at start ([`SourceKeys::start`]), then in the background
//!   when due: after the answer's `Cache-Control: max-age`, held within `[min_refresh_secs,
//!   max_refresh_secs]`, or `refresh_secs` without one; `min_refresh_secs` after a failure.
//!   On the request path only when a token names a `kid` the set does not have (or the source
//!   has no set), and then at most once per `min_refresh_secs` per source, counting every
//!   fetch; requests arriving while a fetch is under way wait for it (at most `timeout_ms`)
//!   and share its result (one fetch for any number of them). A token whose `kid` is known
//!   never waits for the network: it is verified from an in-memory snapshot, under a read lock held for an `Arc`
//!   clone.
//! - **What a fetch accepts.** `https` only (plain `http` to the loopback interface only); no
//!   redirect followed; the connection and the whole exchange under `connect_timeout_ms` and
//!   `timeout_ms`; `200` with a JSON body of at most `max_body_bytes` (a larger one is refused
//!   as soon as its length or its bytes show it) holding a JWK Set of at most `max_keys` keys.
//!   Keys dpopd cannot use are skipped; a set whose keys are all unusable still replaces the
//!   previous one, because the publisher's current set is the authority on its keys.
//! - **Fail closed.** Before the first successful fetch the source has no keys, and every
//!   token of it is refused ([`KeysError::NoKeySet`]). A failed fetch leaves the last good set
//!   serving — a signer's server that is briefly down costs nothing — until `max_stale_secs`
//!   after that set was fetched; from then on the source has no keys again. An unknown `kid`
//!   that a fetch allowed now does not bring is refused, as is one met while no fetch is
//!   allowed.
//!
//! Inline sources ([`KeySource::Inline`]) never fetch and never go stale.
//!
//! Metrics: `dpopd_jwks_fetches_total{source,outcome}` (`ok`, `unreachable`, `timeout`,
//! `http_error`, `too_large`, `invalid`) and the gauge `dpopd_jwks_keys{source}`, the usable
//! keys of each source (0 once stale). `source` is the name the source was configured under,
//! never its URL. Logs name the source and its host, and never hold key material.
mod fetch;
mod settings;
mod source;
mod sources;

pub use fetch::FetchError;
pub use settings::{JwksSettings, JwksUri, JwksUriError};
pub use source::{KeysError, NoRuntime, SourceKeys};
pub use sources::KeySources;

use crate::config::ConfigError;
use crate::jose::jwks::{JwkSet, JwksLimits};
use std::sync::Arc;

/// Where a signer's keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A set given in configuration (a client's `jwks`, an issuer's inline `jwks`).
    Inline(JwkSet),
    /// A set published at a `jwks_uri`.
    Remote { uri: JwksUri },
}

/// Why a [`JwksFetcher`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FetcherError {
    #[error(transparent)]
    Settings(#[from] ConfigError),
    /// The TLS set-up, such as a system trust store with no usable certificate.
    #[error("JWKS HTTP client: {0}")]
    Client(reqwest::Error),
}

/// The HTTP client and settings every source shares; builds the sources.
#[derive(Debug, Clone)]
pub struct JwksFetcher {
    client: reqwest::Client,
    settings: Arc<JwksSettings>,
}

impl JwksFetcher {
    /// Checks `settings` and builds the HTTPS client (rustls, the system's trust roots).
    pub fn new(settings: &JwksSettings) -> Result<JwksFetcher, FetcherError> {
        settings.check("jwks")?;
        let client = fetch::client(settings).map_err(FetcherError::Client)?;
        Ok(JwksFetcher {
            client,
            settings: Arc::new(settings.clone()),
        })
    }

    pub fn settings(&self) -> &JwksSettings {
        &self.settings
    }

    /// The bounds an inline set is read under, the same as a fetched one's.
    pub fn limits(&self) -> JwksLimits {
        self.settings.limits()
    }

    /// The keys of the signer known as `name` (a client id, an issuer label: short, and
    /// never a URL with credentials, since it labels metrics and logs). A remote source has no
    /// keys until it is fetched: call [`SourceKeys::start`] at start-up.
    pub fn source(&self, name: &str, source: KeySource) -> SourceKeys {
        let name: Arc<str> = Arc::from(name);
        match source {
            KeySource::Inline(set) => SourceKeys::inline(name, set),
            KeySource::Remote { uri } => {
                SourceKeys::remote(name, uri, self.client.clone(), Arc::clone(&self.settings))
            }
        }
    }
}

#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;
