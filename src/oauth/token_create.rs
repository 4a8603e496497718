//! Delegated issuance (Authlete's `/auth/token/create`): a server that keeps its own grant
//! logic has already decided that a client gets tokens for a subject and scopes; dpopd mints
//! them as it would at its token endpoint (RFC 9068 access token, sealed refresh token). The
//! key binding (RFC 9449 §6.1 `cnf.jkt`) comes from a proof dpopd validates itself (RFC 9449
//! §4.3, with the token endpoint as default `htu`) or from a thumbprint the caller verified
//! (`dpopKeyThumbprint`); when both are given they must agree.
use crate::clock::UnixTime;
use crate::dpop::input::DpopInput;
use crate::dpop::proof::{DpopError, Validator};
use crate::jose::jwk::Jkt;
use crate::oauth::client_proof;
use crate::oauth::clients::GrantType;
use crate::oauth::grants::{
    self, Binding, Issued, Lifetimes, Plan, Prepared, Presented, TokenError,
};
use crate::oauth::{scope, Core, Property};

/// One delegated issuance, as the caller forwarded it and the API checked it.
#[derive(Debug, Clone, Default)]
pub struct CreateCall<'a> {
    /// `AUTHORIZATION_CODE`, `CLIENT_CREDENTIALS` or `REFRESH_TOKEN` (or the RFC 6749 names).
    pub grant_type: &'a str,
    pub client_id: &'a str,
    /// Required except for `CLIENT_CREDENTIALS`, whose subject is the client.
    pub subject: Option<&'a str>,
    pub scopes: &'a [String],
    pub lifetimes: Lifetimes,
    pub properties: Vec<Property>,
    pub jwt_at_claims: serde_json::Map<String, serde_json::Value>,
    /// The proof's `htu` defaults to the configured token endpoint.
    pub dpop: DpopInput,
    pub dpop_key_thumbprint: Option<&'a str>,
}

pub struct CreateOutcome {
    pub result: Result<Issued, CreateError>,
    /// Set whenever nonces are required for this call, success included.
    pub dpop_nonce: Option<String>,
}

/// Why delegated issuance refused; the caller's request, not a client's, is at fault unless
/// the variant is about the proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    #[error("grant type is not supported for delegated issuance")]
    GrantTypeUnsupported,
    #[error("unknown client")]
    UnknownClient,
    #[error("subject is missing")]
    SubjectMissing,
    #[error("a scope is malformed")]
    BadScope,
    #[error("client may not use the {} grant", .0.name())]
    GrantNotAllowed(GrantType),
    #[error("a scope is not allowed for the client")]
    ScopeNotAllowed,
    /// RFC 7638: a thumbprint is 43 base64url characters of a SHA-256 digest.
    #[error("dpopKeyThumbprint is not a base64url SHA-256 thumbprint")]
    BadThumbprint,
    #[error("dpopKeyThumbprint differs from the DPoP proof's key")]
    ThumbprintMismatch,
    /// The client is registered with `dpop_bound_access_tokens` and no key was given.
    #[error("the client's tokens must be DPoP-bound")]
    DpopRequired,
    /// `dpopHeaderCount` says the request had a `DPoP` header, and neither its proof nor a
    /// thumbprint came with the call.
    #[error("DPoP proof required: dpopHeaderCount counts a DPoP header but no dpop was given")]
    ProofMissing,
    #[error("DPoP proof rejected: {0}")]
    Dpop(DpopError),
    #[error("store unavailable")]
    StoreUnavailable,
    /// `properties` and `jwtAtClaims` make a sealed part of the tokens too large to issue.
    #[error("properties and jwtAtClaims make a token too large")]
    TooLarge,
    #[error("token signing failed")]
    Signing,
}

pub async fn create(core: &Core, call: CreateCall<'_>, now: UnixTime) -> CreateOutcome {
    let step = async |nonce_required: &mut bool| run(core, &call, now, nonce_required).await;
    let (result, dpop_nonce) = core
        .with_dpop_nonce(now, call.dpop.nonce_required, step)
        .await;
    CreateOutcome { result, dpop_nonce }
}

async fn run(
    core: &Core,
    call: &CreateCall<'_>,
    now: UnixTime,
    nonce_required: &mut bool,
) -> Result<Issued, CreateError> {
    let grant = parse_grant(call.grant_type).ok_or(CreateError::GrantTypeUnsupported)?;
    let client = core
        .clients
        .get(call.client_id)
        .ok_or(CreateError::UnknownClient)?;
    *nonce_required |= client.dpop_nonce_required;
    // RFC 6749 §4.4: client credentials are for confidential clients only, as at /auth/token.
    if !client.may_use(grant) || (grant == GrantType::ClientCredentials && client.is_public()) {
        return Err(CreateError::GrantNotAllowed(grant));
    }
    let subject = match (call.subject.filter(|s| !s.is_empty()), grant) {
        (Some(subject), _) => subject.to_owned(),
        (None, GrantType::ClientCredentials) => client.id.clone(),
        (None, _) => return Err(CreateError::SubjectMissing),
    };
    let scopes = scope::parse_list(call.scopes).map_err(|_| CreateError::BadScope)?;
    if !scope::all_within(&scopes, &client.scopes) {
        return Err(CreateError::ScopeNotAllowed);
    }
    let thumbprint = match call.dpop_key_thumbprint {
        Some(text) => Some(Jkt::parse(text).map_err(|_| CreateError::BadThumbprint)?),
        None => None,
    };
    let checked = client_proof::check(core, client, &call.dpop, *nonce_required, now)
        .map_err(CreateError::Dpop)?;
    // A caller that verified the proof itself passes its thumbprint instead.
    if call.dpop.lost_its_proof() && thumbprint.is_none() {
        return Err(CreateError::ProofMissing);
    }
    if let (Some(checked), Some(thumbprint)) = (&checked, &thumbprint) {
        if !checked.jkt().ct_eq(thumbprint) {
            return Err(CreateError::ThumbprintMismatch);
        }
    }
    if checked.is_none() && thumbprint.is_none() && client.dpop_bound_access_tokens {
        return Err(CreateError::DpopRequired);
    }
    let binding = match checked {
        Some(checked) => Binding::of(Some(
            &Validator::record(checked, core.store.as_ref())
                .await
                .map_err(CreateError::Dpop)?,
        )),
        None => Binding {
            jkt: thumbprint,
            proof_iat: None,
        },
    };
    let prepared = Prepared {
        grant,
        subject,
        scopes,
        properties: call.properties.clone(),
        extra: call.jwt_at_claims.clone(),
        presented: Presented::Nothing,
    };
    let plan = Plan::new(core, client, call.lifetimes, &prepared, now);
    grants::issue(core, client, plan, prepared, binding, now).map_err(|e| match e {
        TokenError::StoreUnavailable => CreateError::StoreUnavailable,
        TokenError::TooLarge => CreateError::TooLarge,
        _ => CreateError::Signing,
    })
}

/// Authlete's enum names, or the RFC 6749 `grant_type` values.
fn parse_grant(name: &str) -> Option<GrantType> {
    GrantType::parse(name)
        .or_else(|| GrantType::parse(&name.to_ascii_lowercase()).filter(|g| g.api_name() == name))
}
