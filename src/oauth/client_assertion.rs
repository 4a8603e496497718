//! `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, OpenID Connect Core §9,
//! FAPI 2.0 Security Profile §5.3.2.1): the client sends `client_assertion_type` =
//! `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion`, a JWT it
//! signed with a key of its registered JWK Set (`jwks` or `jwks_uri`).
//!
//! The rules, in the order they are checked, each failure its own [`AssertionError`]:
//! one authentication method per request (RFC 6749 §2.3); the client named by `client_id`, or
//! else by the assertion's `sub`, is registered for `private_key_jwt`; the header names no key
//! of its own (`jwk`, `jku`, `x5u`, `x5c`) and no `crit`; `alg` is in the client's
//! `auth_signing_algs` (never `none` or an `HS*` MAC); the signature verifies with a key of
//! that client's set; `iss` = `sub` = the client id; `aud` is the issuer identifier or a
//! configured `service.client_assertion_audiences` value, and only one value; `exp` is present,
//! not past, and at most `tokens.client_assertion_max_lifetime_secs` ahead; `nbf` and `iat` are
//! not in the future (each time rule with `dpop.clock_skew_secs`); `jti` is present and was
//! never accepted before from this client — recorded in the store until the assertion expires
//! (RFC 7523 §3 (7)). The stateless checks run before the store is written.
//!
//! A `kid` the client's set has is verified from memory; only an unknown one may fetch its
//! `jwks_uri` ([`crate::remote_keys`]). The assertion itself is never logged.
use crate::clock::UnixTime;
use crate::jose::jwks_verify::{self, JwksVerifyError};
use crate::oauth::clients::{AuthMethod, Client, ClientAuthError, ClientCredentials};
use crate::oauth::params::Params;
use crate::oauth::Core;
use crate::remote_keys::KeysError;
use crate::store::{Inserted, Namespace};
use claims::Claims;
use serde_json::{Map, Value};
use std::time::Duration;

/// RFC 7523 §2.2: the only `client_assertion_type` dpopd accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Why a client assertion was refused; one variant per rule, each answered `invalid_client`
/// (RFC 7523 §3.2) with its own result code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    /// RFC 7523 §2.2: `client_assertion_type` is missing or not the JWT bearer type.
    #[error("client_assertion_type is missing or not {JWT_BEARER}")]
    TypeUnsupported,
    /// RFC 7523 §2.2: `client_assertion_type` without a `client_assertion`.
    #[error("client_assertion is missing")]
    Missing,
    /// RFC 7519 §7.2: not a compact JWS with JSON header and claims, or a claim of the wrong
    /// type.
    #[error("not a well-formed JWT: {0}")]
    Malformed(String),
    /// RFC 8725 §3.10, RFC 7515 §4.1.11: `jwk`, `jku`, `x5u`, `x5c` or `crit` in the header.
    #[error("header member {0} is not accepted")]
    HeaderKey(&'static str),
    /// RFC 8725 §3.1: `alg` is not in the client's `auth_signing_algs` (`none`, `HS256`).
    #[error("alg {0:?} is not allowed for this client")]
    AlgNotAllowed(String),
    /// RFC 7517 §4.5: no key of the client's set has the header's `kid` (or, without one, no
    /// single key fits), even after a refresh allowed now.
    #[error("no key of the client's set matches")]
    UnknownKey,
    /// The client's `jwks_uri` has given no usable set (never fetched, or stale): fail closed.
    #[error("no usable key set is known for the client")]
    NoKeys,
    /// RFC 7515 §5.2: the signature does not verify with the client's key (a key of another
    /// client, a forged token), or the key does not permit `alg`.
    #[error("signature does not verify with the client's key")]
    BadSignature,
    /// RFC 7523 §3 (1), (2): `iss` and `sub` must both be the client id.
    #[error("iss and sub must both be the client id")]
    IssuerSubject,
    /// RFC 7523 §3 (3), FAPI 2.0 §5.3.2.1: `aud` is not the issuer identifier (or a configured
    /// audience), or has more than one value.
    #[error("aud is not this authorization server's issuer identifier")]
    Audience,
    /// RFC 7523 §3 (4): `exp` is required.
    #[error("exp is missing")]
    ExpMissing,
    /// RFC 7523 §3 (4): `exp` has passed (with the clock skew).
    #[error("the assertion has expired")]
    Expired,
    /// `exp` is further ahead than `tokens.client_assertion_max_lifetime_secs` (with the skew):
    /// a long-lived assertion would be a bearer credential.
    #[error("exp is too far in the future")]
    LifetimeTooLong,
    /// RFC 7523 §3 (5): `nbf` is in the future (with the clock skew).
    #[error("the assertion is not yet valid")]
    NotYetValid,
    /// RFC 7523 §3 (6): `iat` is in the future (with the clock skew).
    #[error("iat is in the future")]
    IssuedInFuture,
    /// RFC 7523 §3 (7), OpenID Connect Core §9: `jti` is required to refuse replays.
    #[error("jti is missing")]
    JtiMissing,
    /// RFC 7523 §3 (7): this client's `jti` was accepted before.
    #[error("the assertion has been used before")]
    Replayed,
    /// The store did not record the `jti` (unreachable or full): fail closed.
    #[error("the assertion's jti could not be recorded")]
    StoreUnavailable,
}

impl From<AssertionError> for ClientAuthError {
    fn from(e: AssertionError) -> ClientAuthError {
        ClientAuthError::Assertion(e)
    }
}

/// The service's rules for assertions, from settings.
#[derive(Debug, Clone)]
pub struct AssertionPolicy {
    /// The accepted `aud` values: the issuer identifier, then
    /// `service.client_assertion_audiences`.
    pub audiences: Vec<String>,
    /// `tokens.client_assertion_max_lifetime_secs`.
    pub max_lifetime_secs: i64,
    /// `dpop.clock_skew_secs`.
    pub skew_secs: i64,
}

/// RFC 6749 §2.3: authenticates the client of a token-endpoint, PAR or revocation request —
/// by its assertion when the form carries one, otherwise as
/// [`ClientRegistry::authenticate`](crate::oauth::clients::ClientRegistry::authenticate) does.
pub async fn authenticate<'c>(
    core: &'c Core,
    credentials: ClientCredentials<'_>,
    params: &Params,
    now: UnixTime,
) -> Result<&'c Client, ClientAuthError> {
    let kind = params.get("client_assertion_type");
    let assertion = params.get("client_assertion");
    if kind.is_none() && assertion.is_none() {
        return core.clients.authenticate(credentials, params);
    }
    // RFC 6749 §2.3: one method per request; a Basic header or a secret beside an assertion
    // is a second one.
    let header = credentials
        .header
        .filter(|h| !h.trim_matches([' ', '\t']).is_empty());
    if credentials.basic_id.is_some()
        || credentials.basic_secret.is_some()
        || header.is_some()
        || params.get("client_secret").is_some()
    {
        return Err(ClientAuthError::MultipleMethods);
    }
    if kind != Some(JWT_BEARER) {
        return Err(AssertionError::TypeUnsupported.into());
    }
    let assertion = assertion.ok_or(AssertionError::Missing)?;
    let client = identify(core, params, assertion)?;
    let verified = verify(client, assertion, now).await?;
    let claims = Claims::read(&verified)?;
    claims.check(client, &core.client_assertion, now)?;
    record_jti(core, client, &claims, now).await?;
    Ok(client)
}

/// The client the assertion claims to be: `client_id` when the form has one (RFC 7521 §4.2:
/// optional, and if present it must identify the client — checked against `iss` and `sub`
/// once the signature verifies), else the assertion's `sub`, read before verification only to
/// choose whose keys must verify it.
fn identify<'c>(
    core: &'c Core,
    params: &Params,
    assertion: &str,
) -> Result<&'c Client, ClientAuthError> {
    let id = match params.get("client_id") {
        Some(id) => id.to_owned(),
        None => {
            let claims: Map<String, Value> = jwks_verify::peek_claims(assertion)
                .map_err(|e| AssertionError::Malformed(e.to_string()))?;
            match claims.get("sub") {
                Some(Value::String(sub)) => sub.clone(),
                _ => return Err(ClientAuthError::MissingClientId),
            }
        }
    };
    let client = core
        .clients
        .get(&id)
        .ok_or(ClientAuthError::UnknownClient)?;
    if client.auth_method != AuthMethod::PrivateKeyJwt {
        return Err(ClientAuthError::WrongMethod {
            used: AuthMethod::PrivateKeyJwt.name(),
            registered: client.auth_method.name(),
        });
    }
    Ok(client)
}

async fn verify(
    client: &Client,
    assertion: &str,
    now: UnixTime,
) -> Result<jwks_verify::VerifiedJws, AssertionError> {
    let keys = client
        .assertion_keys
        .as_ref()
        .ok_or(AssertionError::NoKeys)?;
    keys.keys
        .verify(assertion, &keys.algs, now)
        .await
        .map_err(|e| match e {
            KeysError::NoKeySet => AssertionError::NoKeys,
            KeysError::Jws(JwksVerifyError::Malformed(e)) => {
                AssertionError::Malformed(e.to_string())
            }
            KeysError::Jws(JwksVerifyError::ForbiddenHeader(name)) => {
                AssertionError::HeaderKey(name)
            }
            KeysError::Jws(JwksVerifyError::AlgNotAllowed(alg)) => {
                AssertionError::AlgNotAllowed(alg)
            }
            KeysError::Jws(JwksVerifyError::UnknownKid | JwksVerifyError::KidRequired) => {
                AssertionError::UnknownKey
            }
            KeysError::Jws(JwksVerifyError::AlgKeyMismatch | JwksVerifyError::BadSignature) => {
                AssertionError::BadSignature
            }
        })
}

/// RFC 7523 §3 (7): records `(client_id, jti)` until the assertion can no longer pass the
/// `exp` check — `exp` plus the skew, one second more for whole seconds — in one atomic
/// insert; a `jti` already there is a replay.
async fn record_jti(
    core: &Core,
    client: &Client,
    claims: &Claims,
    now: UnixTime,
) -> Result<(), AssertionError> {
    let jti = claims.jti.as_deref().unwrap_or_default();
    let key = jti_key(&client.id, jti);
    let exp = claims.exp.unwrap_or_else(|| now.secs());
    let ttl = exp
        .saturating_add(core.client_assertion.skew_secs)
        .saturating_sub(now.secs())
        .saturating_add(1)
        .max(1);
    let entry = crate::store::Entry::new(
        Namespace::ClientAssertionJti,
        &key,
        Duration::from_secs(ttl as u64),
    );
    match core.store.insert(entry).await {
        Ok(Inserted::New) => Ok(()),
        Ok(Inserted::AlreadyPresent(_)) => Err(AssertionError::Replayed),
        Err(e) => {
            tracing::warn!(client_id = %client.id, error = %e, "client assertion jti not recorded; refused");
            Err(AssertionError::StoreUnavailable)
        }
    }
}

/// The client id, a zero octet and the SHA-256 of the `jti` (always the last 32 octets, so
/// the split is unambiguous): two clients' `jti`s never meet, and no raw `jti` is stored.
fn jti_key(client_id: &str, jti: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(client_id.len() + 33);
    key.extend_from_slice(client_id.as_bytes());
    key.push(0);
    key.extend_from_slice(&crate::jose::secrets::sha256(jti.as_bytes()));
    key
}

mod claims;

#[cfg(test)]
mod tests;
