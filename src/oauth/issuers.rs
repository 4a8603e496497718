//! Trusted issuers (docs/configuration.md, "[[issuers]]"): other authorization servers whose
//! RFC 9068 access tokens introspection and userinfo accept. Each is data for the one
//! verification of [`crate::oauth::access`]: its key source, the `aud` values one of which a
//! token must hold (RFC 9068 §4), its `alg` allow-list, whether `typ` must be `at+jwt`, and
//! the claim holding its scopes.
use crate::config::{ConfigError, IssuerSettings, ScopeClaim, Settings};
use crate::jose::Alg;
use crate::remote_keys::{KeySource, KeySources, SourceKeys};
use std::collections::HashMap;
use std::sync::Arc;

/// One trusted issuer.
#[derive(Debug)]
pub struct TrustedIssuer {
    pub issuer: String,
    pub keys: SourceKeys,
    pub audience: Vec<String>,
    pub algs: Vec<Alg>,
    pub require_typ: bool,
    pub scope_claim: ScopeClaim,
}

/// The trusted issuers of one configuration, by `iss`.
#[derive(Debug, Default)]
pub struct TrustedIssuers {
    by_iss: HashMap<String, Arc<TrustedIssuer>>,
}

impl TrustedIssuers {
    /// Builds every issuer of `settings`, its keys from `sources` (so a reload keeps the cache
    /// of a `jwks_uri` it leaves as it was).
    pub fn new(settings: &Settings, sources: &KeySources) -> Result<TrustedIssuers, ConfigError> {
        let mut by_iss = HashMap::with_capacity(settings.issuers.len());
        for (i, s) in settings.issuers.iter().enumerate() {
            let source = key_source(s, settings, i)?;
            let keys = sources.source(&s.issuer, source).map_err(|e| {
                ConfigError::invalid(format!("issuers[{i}].jwks_uri"), e.to_string())
            })?;
            let issuer = TrustedIssuer {
                issuer: s.issuer.clone(),
                keys,
                audience: s.audience.clone(),
                algs: s.algs.clone(),
                require_typ: s.require_typ,
                scope_claim: s.scope_claim,
            };
            by_iss.insert(s.issuer.clone(), Arc::new(issuer));
        }
        Ok(TrustedIssuers { by_iss })
    }

    pub fn get(&self, iss: &str) -> Option<&Arc<TrustedIssuer>> {
        self.by_iss.get(iss)
    }
}

fn key_source(s: &IssuerSettings, settings: &Settings, i: usize) -> Result<KeySource, ConfigError> {
    if let Some(uri) = &s.jwks_uri {
        return Ok(KeySource::Remote { uri: uri.clone() });
    }
    match s.inline_jwks(&settings.jwks_limits()) {
        Some(Ok(set)) => Ok(KeySource::Inline(set)),
        Some(Err(e)) => Err(ConfigError::invalid(format!("issuers[{i}].jwks"), e)),
        None => Err(ConfigError::invalid(
            format!("issuers[{i}].jwks_uri"),
            "set exactly one of jwks_uri, jwks",
        )),
    }
}
