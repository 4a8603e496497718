//! Registered clients and client authentication at the token endpoint (RFC 6749 §2.3):
//! `client_secret_basic`, `client_secret_post` and `none` here, `private_key_jwt` in
//! [`client_assertion`](super::client_assertion); a client must use the method it is
//! registered with, and secrets are compared as SHA-256 digests in constant time. Basic
//! credentials arrive decoded by the caller or as the header itself, which
//! `client_auth_header` decodes (RFC 6749 §2.3.1).
use crate::config::{ClientSettings, ConfigError};
use crate::dpop::proof::AlgSet;
use crate::jose::secrets::sha256;
use crate::jose::Alg;
use crate::oauth::client_assertion::AssertionError;
use crate::oauth::client_auth_header::{BasicCredentials, HeaderError};
use crate::oauth::fapi2::Profile;
use crate::oauth::params::Params;
use crate::remote_keys::{KeySource, KeySources, SourceKeys};
use std::collections::HashMap;

/// How a client authenticates (RFC 6749 §2.3, RFC 7591 §2 `token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// RFC 7523 §2.2, OpenID Connect Core §9: a JWT signed with the client's private key.
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }
}

/// The grants dpopd runs (RFC 6749 §4.1, §4.4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    RefreshToken,
}

impl GrantType {
    /// Every grant: what `parse` knows and the `grant` label values registered at start.
    pub const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
        }
    }

    pub fn parse(name: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.name() == name)
    }

    /// The Authlete-style enum value (`CLIENT_CREDENTIALS`).
    pub fn api_name(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "AUTHORIZATION_CODE",
            GrantType::ClientCredentials => "CLIENT_CREDENTIALS",
            GrantType::RefreshToken => "REFRESH_TOKEN",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    secret_sha256: Option<[u8; 32]>,
    pub auth_method: AuthMethod,
    pub grant_types: Vec<GrantType>,
    pub scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub dpop_bound_access_tokens: bool,
    /// `None`: the service's list applies.
    pub dpop_algs: Option<AlgSet>,
    pub dpop_nonce_required: bool,
    pub require_par: bool,
    pub audience: Vec<String>,
    /// The alg of the client's ID tokens (OIDC Registration §2).
    pub id_token_alg: crate::jose::Alg,
    /// The alg of its signed userinfo responses; `None`: JSON.
    pub userinfo_alg: Option<crate::jose::Alg>,
    /// `private_key_jwt`: the keys and algs its assertions are verified with.
    pub assertion_keys: Option<AssertionKeys>,
    /// `fapi2` also sets `require_par` and `dpop_bound_access_tokens` and narrows `dpop_algs`
    /// (FAPI 2.0 §5.3.2.1, §5.3.2.2, §5.4.1).
    pub profile: Profile,
}

/// The keys of a `private_key_jwt` client (its `jwks` or `jwks_uri`) and the algs its
/// assertions may use.
#[derive(Debug, Clone)]
pub struct AssertionKeys {
    pub keys: SourceKeys,
    pub algs: Vec<Alg>,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == AuthMethod::None
    }

    pub fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

/// Why client authentication failed (RFC 6749 §5.2 `invalid_client`, or `invalid_request`
/// when the request itself is ambiguous).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientAuthError {
    #[error("no client identifier")]
    MissingClientId,
    #[error("unknown client")]
    UnknownClient,
    #[error("client authentication failed")]
    BadSecret,
    #[error("client used {used} but is registered for {registered}")]
    WrongMethod {
        used: &'static str,
        registered: &'static str,
    },
    /// RFC 6749 §2.3: a client must not use more than one authentication method.
    #[error("more than one client authentication method")]
    MultipleMethods,
    #[error("client_id in the body differs from the authenticated client")]
    ClientIdMismatch,
    /// RFC 7523 §3: the `private_key_jwt` assertion failed a rule.
    #[error("client assertion: {0}")]
    Assertion(AssertionError),
    /// The client's `Authorization` header could not be read as Basic credentials.
    #[error("{0}")]
    Header(HeaderError),
}

/// The client's `Authorization: Basic` header as the caller relayed it: decoded (the API's
/// `clientId`/`clientSecret`, Authlete's shape) or verbatim (`clientAuthorization`, decoded
/// here per RFC 6749 §2.3.1). The API never relays both.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientCredentials<'a> {
    pub basic_id: Option<&'a str>,
    pub basic_secret: Option<&'a str>,
    /// The header's value verbatim; blank counts as absent.
    pub header: Option<&'a str>,
}

pub struct ClientRegistry {
    clients: HashMap<String, Client>,
}

impl ClientRegistry {
    /// The clients of checked settings ([`crate::config::Settings::check`]); the keys of
    /// `private_key_jwt` clients come from `sources`.
    pub fn new(
        list: &[ClientSettings],
        service_algs: AlgSet,
        sources: &KeySources,
    ) -> Result<ClientRegistry, ConfigError> {
        let clients = list
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let secret_sha256 = match (&c.client_secret, &c.client_secret_sha256) {
                    (Some(secret), _) => Some(sha256(secret.expose().as_bytes())),
                    (None, Some(digest)) => Some(digest.0),
                    (None, None) => None,
                };
                let dpop_algs = match (c.dpop_algs.is_empty(), c.profile) {
                    (true, Profile::None) => None,
                    (true, profile) => Some(profile.dpop_algs(service_algs)),
                    (false, profile) => Some(profile.dpop_algs(
                        AlgSet::of(c.dpop_algs.iter().copied()).intersect(service_algs),
                    )),
                };
                let client = Client {
                    id: c.client_id.clone(),
                    secret_sha256,
                    auth_method: c.auth_method,
                    grant_types: c.grant_types.clone(),
                    scopes: c.scopes.clone(),
                    redirect_uris: c.redirect_uris.clone(),
                    dpop_bound_access_tokens: c.dpop_bound_access_tokens || c.profile.is_fapi2(),
                    dpop_algs,
                    dpop_nonce_required: c.dpop_nonce_required,
                    require_par: c.require_par || c.profile.is_fapi2(),
                    audience: c.audience.clone(),
                    id_token_alg: c.id_token_signed_response_alg,
                    userinfo_alg: c.userinfo_signed_response_alg,
                    assertion_keys: assertion_keys(c, sources)
                        .map_err(|e| ConfigError::invalid(format!("clients[{i}].jwks"), e))?,
                    profile: c.profile,
                };
                Ok((c.client_id.clone(), client))
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(ClientRegistry { clients })
    }

    pub fn get(&self, id: &str) -> Option<&Client> {
        self.clients.get(id)
    }

    /// RFC 6749 §2.3: identifies and authenticates the client of a token-endpoint request,
    /// from its relayed `Authorization` header (decoded here when relayed verbatim) and its
    /// form parameters.
    pub fn authenticate(
        &self,
        credentials: ClientCredentials<'_>,
        params: &Params,
    ) -> Result<&Client, ClientAuthError> {
        let header = credentials
            .header
            .filter(|h| !h.trim_matches([' ', '\t']).is_empty());
        let Some(header) = header else {
            return self.authenticate_decoded(
                credentials.basic_id,
                credentials.basic_secret,
                params,
            );
        };
        // Two presentations of one header.
        if credentials.basic_id.is_some() || credentials.basic_secret.is_some() {
            return Err(ClientAuthError::MultipleMethods);
        }
        let basic = BasicCredentials::parse(header).map_err(ClientAuthError::Header)?;
        self.authenticate_decoded(Some(basic.id()), Some(basic.secret()), params)
    }

    /// The clients, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.clients.values()
    }

    /// RFC 6749 §2.3 with the Basic credentials decoded.
    fn authenticate_decoded(
        &self,
        basic_id: Option<&str>,
        basic_secret: Option<&str>,
        params: &Params,
    ) -> Result<&Client, ClientAuthError> {
        let post_secret = params.get("client_secret");
        let body_id = params.get("client_id");
        // RFC 7617 §2: Basic credentials are an id and a secret. A secret alone would be
        // ignored below, and a public client named in the body would pass with it unchecked.
        if basic_secret.is_some() && basic_id.is_none() {
            return Err(ClientAuthError::MissingClientId);
        }
        if basic_secret.is_some() && post_secret.is_some() {
            return Err(ClientAuthError::MultipleMethods);
        }
        let (id, secret, used) = match (basic_id, post_secret) {
            (Some(id), _) => {
                if body_id.is_some_and(|b| b != id) {
                    return Err(ClientAuthError::ClientIdMismatch);
                }
                (id, basic_secret, AuthMethod::ClientSecretBasic)
            }
            (None, Some(secret)) => (
                body_id.ok_or(ClientAuthError::MissingClientId)?,
                Some(secret),
                AuthMethod::ClientSecretPost,
            ),
            (None, None) => (
                body_id.ok_or(ClientAuthError::MissingClientId)?,
                None,
                AuthMethod::None,
            ),
        };
        let client = self.clients.get(id);
        // Every identified request hashes what it presented and compares it, an unknown or
        // public client against a stand-in digest, before anything is decided: the time taken
        // tells neither which clients exist nor how they authenticate.
        let expected = client
            .and_then(|c| c.secret_sha256.as_ref())
            .unwrap_or(&crate::jose::STAND_IN_SHA256);
        let given = sha256(secret.unwrap_or("").as_bytes());
        match (client, crate::jose::ct_eq(&given, expected)) {
            (None, _) => Err(ClientAuthError::UnknownClient),
            (Some(client), _) if used != client.auth_method => Err(ClientAuthError::WrongMethod {
                used: used.name(),
                registered: client.auth_method.name(),
            }),
            (Some(client), false) if client.secret_sha256.is_some() => {
                Err(ClientAuthError::BadSecret)
            }
            (Some(client), _) => Ok(client),
        }
    }
}

/// The key source of a `private_key_jwt` client (RFC 7523 §2.2): its inline `jwks`, or its
/// `jwks_uri` through `sources`, which keeps a remote source's cache across reloads.
fn assertion_keys(
    c: &ClientSettings,
    sources: &KeySources,
) -> Result<Option<AssertionKeys>, String> {
    if c.auth_method != AuthMethod::PrivateKeyJwt {
        return Ok(None);
    }
    let source = match (&c.jwks, &c.jwks_uri) {
        (Some(jwks), _) => {
            KeySource::Inline(jwks.read(&sources.limits()).map_err(|e| e.to_string())?)
        }
        (None, Some(uri)) => KeySource::Remote { uri: uri.clone() },
        (None, None) => return Err("private_key_jwt needs jwks or jwks_uri".to_owned()),
    };
    let keys = sources
        .source(&c.client_id, source)
        .map_err(|e| e.to_string())?;
    Ok(Some(AssertionKeys {
        keys,
        algs: c.auth_signing_algs.clone(),
    }))
}

#[cfg(test)]
mod tests;
