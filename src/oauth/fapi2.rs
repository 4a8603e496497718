//! The `fapi2` client profile: what the FAPI 2.0 Security Profile (final) §5.3.2 asks of an
//! authorization server that dpopd can enforce (README, "FAPI 2.0"). The registration rules
//! are checked when the configuration is loaded ([`check_client`]); the request rules are
//! checked where the request is: pushed requests only, `redirect_uri` sent and PKCE in
//! `authorization::request`, a DPoP-bound code at PAR (`par`), a proof at the token endpoint
//! (`grants`), and the lifetimes of codes and `request_uri`s ([`Profile`]).
use crate::config::{ClientSettings, ConfigError};
use crate::dpop::proof::AlgSet;
use crate::jose::Alg;
use crate::oauth::clients::{AuthMethod, GrantType};

/// FAPI 2.0 §5.3.2.2: "shall issue authorization codes with a maximum lifetime of 60 seconds".
pub const MAX_CODE_LIFETIME_SECS: i64 = 60;
/// FAPI 2.0 §5.3.2.2: the PAR `request_uri` lifetime is less than 600 seconds.
pub const MAX_REQUEST_URI_LIFETIME_SECS: i64 = 599;
/// FAPI 2.0 §5.4.1: PS256, ES256 or EdDSA.
pub const ALGS: [Alg; 3] = [Alg::PS256, Alg::ES256, Alg::EdDSA];

/// A security profile a client is held to, on top of its other settings
/// (docs/configuration.md, `profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The client's settings alone apply.
    #[default]
    None,
    /// FAPI 2.0 Security Profile (final).
    Fapi2,
}

impl Profile {
    pub fn is_fapi2(self) -> bool {
        self == Profile::Fapi2
    }

    /// The lifetime of the client's authorization codes: the configured one, capped by
    /// FAPI 2.0 §5.3.2.2 for `fapi2`.
    pub fn code_lifetime_secs(self, configured: i64) -> i64 {
        match self {
            Profile::None => configured,
            Profile::Fapi2 => configured.min(MAX_CODE_LIFETIME_SECS),
        }
    }

    /// The lifetime of the client's `request_uri`s: the configured one, capped by
    /// FAPI 2.0 §5.3.2.2 for `fapi2`.
    pub fn request_uri_lifetime_secs(self, configured: i64) -> i64 {
        match self {
            Profile::None => configured,
            Profile::Fapi2 => configured.min(MAX_REQUEST_URI_LIFETIME_SECS),
        }
    }

    /// The DPoP algs the client's proofs may use, from the client's own list or the service's
    /// (`allowed`): for `fapi2`, only those of FAPI 2.0 §5.4.1.
    pub fn dpop_algs(self, allowed: AlgSet) -> AlgSet {
        match self {
            Profile::None => allowed,
            Profile::Fapi2 => allowed.intersect(AlgSet::of(ALGS)),
        }
    }
}

/// A `fapi2` request that breaks a rule of FAPI 2.0 §5.3.2.2; all are `invalid_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Fapi2Problem {
    /// "shall reject authorization requests sent without [RFC9126]".
    #[error("profile fapi2: the request must be pushed (PAR)")]
    ParRequired,
    /// "shall require the redirect_uri parameter in pushed authorization requests".
    #[error("profile fapi2: redirect_uri must be sent")]
    RedirectUriRequired,
    /// "shall require [RFC7636] with S256 as the code challenge method".
    #[error("profile fapi2: PKCE with S256 is required")]
    PkceRequired,
}

/// FAPI 2.0 §5.3.2.1, §5.3.2.2 and §5.4.1 for a client with `profile = "fapi2"`: a
/// confidential client authenticating with `private_key_jwt` (mTLS, the other method the
/// profile allows, is not offered by dpopd), with registered redirect URIs, the authorization
/// code grant (and refresh), and algs from §5.4.1. `service_dpop_algs` is `dpop.algs`.
pub fn check_client(
    c: &ClientSettings,
    service_dpop_algs: AlgSet,
    key: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    if !c.profile.is_fapi2() {
        return Ok(());
    }
    let refuse = |field: &str, problem: &str| Err(ConfigError::invalid(key(field), problem));
    if c.auth_method != AuthMethod::PrivateKeyJwt {
        return refuse(
            "auth_method",
            "profile fapi2 requires private_key_jwt (FAPI 2.0 §5.3.2.1: confidential clients only)",
        );
    }
    if c.redirect_uris.is_empty() {
        return refuse(
            "redirect_uris",
            "profile fapi2 requires at least one redirect URI",
        );
    }
    let code_flow_only = c.grant_types.contains(&GrantType::AuthorizationCode)
        && c.grant_types
            .iter()
            .all(|g| matches!(g, GrantType::AuthorizationCode | GrantType::RefreshToken));
    if !code_flow_only {
        return refuse(
            "grant_types",
            "profile fapi2 allows authorization_code, with or without refresh_token, only",
        );
    }
    let fapi_alg = |alg: &Alg| ALGS.contains(alg);
    if !c.auth_signing_algs.iter().all(fapi_alg) {
        return refuse(
            "auth_signing_algs",
            "profile fapi2 allows PS256, ES256 and EdDSA only (FAPI 2.0 §5.4.1)",
        );
    }
    if !fapi_alg(&c.id_token_signed_response_alg) {
        return refuse(
            "id_token_signed_response_alg",
            "profile fapi2 allows PS256, ES256 and EdDSA only (FAPI 2.0 §5.4.1)",
        );
    }
    let allowed = match c.dpop_algs.is_empty() {
        true => service_dpop_algs,
        false => AlgSet::of(c.dpop_algs.iter().copied()).intersect(service_dpop_algs),
    };
    if Profile::Fapi2.dpop_algs(allowed).is_empty() {
        return refuse(
            "dpop_algs",
            "profile fapi2 needs a DPoP alg of PS256, ES256, EdDSA among those allowed",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
