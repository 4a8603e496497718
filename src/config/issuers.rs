//! The start-up checks of `[[issuers]]` (docs/configuration.md, "[[issuers]]"): each trusted
//! issuer on its own and against the others and dpopd's own issuer.
use super::{ConfigError, IssuerSettings, Settings};
use crate::jose::jwks::{JwkSet, JwksLimits};
use crate::jose::Alg;
use std::collections::HashSet;

/// The `alg` values an issuer's tokens may use: RFC 9068 §4 requires RS256; the others are the
/// asymmetric algorithms in common use. `none` and `HS*` are never an [`Alg`].
pub const ISSUER_ALGS: [Alg; 5] = [Alg::RS256, Alg::PS256, Alg::ES256, Alg::ES384, Alg::EdDSA];

pub(super) fn default_algs() -> Vec<Alg> {
    ISSUER_ALGS.to_vec()
}

pub(super) fn default_require_typ() -> bool {
    true
}

impl IssuerSettings {
    /// The inline `jwks`, read under the limits of a fetched set.
    pub fn inline_jwks(&self, limits: &JwksLimits) -> Option<Result<JwkSet, String>> {
        let text = self.jwks.as_deref()?;
        Some(JwkSet::parse(text.as_bytes(), limits).map_err(|e| e.to_string()))
    }
}

impl Settings {
    /// The limits every JWK Set is read under, inline ones included.
    pub fn jwks_limits(&self) -> JwksLimits {
        JwksLimits {
            max_bytes: self.jwks.max_body_bytes,
            max_keys: self.jwks.max_keys,
        }
    }

    pub(super) fn check_issuers(&self) -> Result<(), ConfigError> {
        let mut seen = HashSet::new();
        for (i, issuer) in self.issuers.iter().enumerate() {
            let key = |field: &str| format!("issuers[{i}].{field}");
            let name = issuer.issuer.as_str();
            if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ConfigError::invalid(
                    key("issuer"),
                    "must be non-empty, without spaces or control characters",
                ));
            }
            // dpopd's own tokens are verified with its own keys, revocation and all.
            if name == self.service.issuer {
                return Err(ConfigError::invalid(
                    key("issuer"),
                    "must not be service.issuer",
                ));
            }
            if !seen.insert(name) {
                return Err(ConfigError::invalid(key("issuer"), "must be unique"));
            }
            check_keys(issuer, &self.jwks_limits(), &key)?;
            // RFC 9068 §4: the resource server MUST validate `aud`.
            if issuer.audience.is_empty() || issuer.audience.iter().any(String::is_empty) {
                return Err(ConfigError::invalid(
                    key("audience"),
                    "must name at least one non-empty audience",
                ));
            }
            if issuer.algs.is_empty() {
                return Err(ConfigError::invalid(
                    key("algs"),
                    "must name at least one alg",
                ));
            }
            if let Some(alg) = issuer.algs.iter().find(|a| !ISSUER_ALGS.contains(a)) {
                return Err(ConfigError::invalid(
                    key("algs"),
                    format!("{alg} is not one of RS256, PS256, ES256, ES384, EdDSA"),
                ));
            }
        }
        Ok(())
    }
}

fn check_keys(
    issuer: &IssuerSettings,
    limits: &JwksLimits,
    key: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    match (&issuer.jwks_uri, issuer.inline_jwks(limits)) {
        (Some(_), None) => Ok(()),
        (None, Some(Ok(set))) if set.is_empty() => Err(ConfigError::invalid(
            key("jwks"),
            "has no key dpopd can verify with",
        )),
        (None, Some(Ok(_))) => Ok(()),
        (None, Some(Err(e))) => Err(ConfigError::invalid(key("jwks"), e)),
        _ => Err(ConfigError::invalid(
            key("jwks_uri"),
            "set exactly one of jwks_uri, jwks",
        )),
    }
}
