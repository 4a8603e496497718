//! Pushed authorization requests (RFC 9126) with DPoP (RFC 9449 §10.1): the client
//! authenticates as at the token endpoint, its request is validated as at the authorization
//! endpoint, and a proof, when sent, binds the future code to its key as `dpop_jkt` would (an
//! explicit `dpop_jkt` must then name the same key). The answer is a `request_uri` that is the
//! sealed, validated request itself, so no database holds it; it is used once.
use crate::clock::UnixTime;
use crate::dpop::input::DpopInput;
use crate::dpop::proof::{DpopError, Validator};
use crate::jose::Jkt;
use crate::oauth::authorization::{
    validate, Endpoint, Kind, Pending, PendingError, Refusal, RequestUriProblem, Untrusted,
};
use crate::oauth::client_assertion;
use crate::oauth::client_proof;
use crate::oauth::clients::{Client, ClientAuthError, ClientCredentials};
use crate::oauth::params::{Params, ParamsError};
use crate::oauth::Core;

/// RFC 9126 §2.2: the URN prefix of every `request_uri`.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// One call of the PAR endpoint, as the caller forwarded it and the API checked it.
#[derive(Debug, Clone, Default)]
pub struct ParCall<'a> {
    /// The form body the PAR endpoint received.
    pub parameters: &'a str,
    pub credentials: ClientCredentials<'a>,
    /// The proof's `htu` defaults to the configured PAR endpoint (RFC 9449 §10.1).
    pub dpop: DpopInput,
}

pub struct ParOutcome {
    pub result: Result<Pushed, ParError>,
    /// Set whenever nonces are required for this call, success included.
    pub dpop_nonce: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Pushed {
    pub request_uri: String,
    pub expires_in: i64,
    pub client_id: String,
    /// The thumbprint the code will be bound to, if any.
    pub jkt: Option<Jkt>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParError {
    #[error("{0}")]
    Params(ParamsError),
    #[error("client authentication failed: {0}")]
    Client(ClientAuthError),
    /// The authorization request's own checks; at PAR nothing is redirected.
    #[error("{0}")]
    Request(Refusal),
    /// RFC 9449 §10.1: `dpop_jkt` and the proof's key differ.
    #[error("dpop_jkt does not match the DPoP proof key")]
    DpopJktMismatch,
    #[error("DPoP proof rejected: {0}")]
    Dpop(DpopError),
    /// `dpopHeaderCount` says the request had a `DPoP` header and no proof came with it.
    #[error("DPoP proof required: dpopHeaderCount counts a DPoP header but no dpop was given")]
    ProofMissing,
    /// FAPI 2.0 §5.3.2.2, RFC 9449 §10: a `fapi2` client's code is bound to a DPoP key, so its
    /// pushed request needs a proof or `dpop_jkt`.
    #[error("profile fapi2: a DPoP proof or dpop_jkt is required")]
    Fapi2DpopBindingRequired,
    #[error("store unavailable")]
    StoreUnavailable,
    /// The validated request is too large to seal into a `request_uri`.
    #[error("the request is too large to carry in a request_uri")]
    TooLarge,
    #[error("sealing the request failed")]
    Sealing,
}

pub async fn push(core: &Core, call: ParCall<'_>, now: UnixTime) -> ParOutcome {
    let step = async |nonce_required: &mut bool| run(core, &call, now, nonce_required).await;
    let (result, dpop_nonce) = core
        .with_dpop_nonce(now, call.dpop.nonce_required, step)
        .await;
    ParOutcome { result, dpop_nonce }
}

async fn run(
    core: &Core,
    call: &ParCall<'_>,
    now: UnixTime,
    nonce_required: &mut bool,
) -> Result<Pushed, ParError> {
    let params = Params::parse(call.parameters).map_err(ParError::Params)?;
    let client = client_assertion::authenticate(core, call.credentials, &params, now)
        .await
        .map_err(ParError::Client)?;
    *nonce_required |= client.dpop_nonce_required;
    let mut request = validate(client, &params, Endpoint::Pushed).map_err(ParError::Request)?;
    let checked = client_proof::check(core, client, &call.dpop, *nonce_required, now)
        .map_err(ParError::Dpop)?;
    if call.dpop.lost_its_proof() {
        return Err(ParError::ProofMissing);
    }
    if let Some(checked) = &checked {
        let jkt = checked.jkt();
        match &request.dpop_jkt {
            Some(explicit) if !explicit.ct_eq(jkt) => return Err(ParError::DpopJktMismatch),
            _ => request.dpop_jkt = Some(jkt.clone()),
        }
    }
    if client.profile.is_fapi2() && request.dpop_jkt.is_none() {
        return Err(ParError::Fapi2DpopBindingRequired);
    }
    if let Some(checked) = checked {
        Validator::record(checked, core.store.as_ref())
            .await
            .map_err(ParError::Dpop)?;
    }
    let lifetime = client
        .profile
        .request_uri_lifetime_secs(core.request_uri_lifetime_secs);
    let pending = Pending::new(request, now, lifetime);
    let sealed = pending
        .seal(&core.sealer, Kind::RequestUri)
        .map_err(|e| e.too_large_or(ParError::TooLarge, ParError::Sealing))?;
    Ok(Pushed {
        request_uri: format!("{REQUEST_URI_PREFIX}{sealed}"),
        expires_in: lifetime,
        client_id: client.id.clone(),
        jkt: pending.req.dpop_jkt,
    })
}

/// RFC 9126 §4: the pushed request behind `uri`, if `client` pushed it and it is still
/// valid. Spending it is the caller's last step.
pub fn open_request_uri(
    core: &Core,
    client: &Client,
    uri: &str,
    now: UnixTime,
) -> Result<Pending, Untrusted> {
    let problem = |p| Untrusted::RequestUri(p);
    let sealed = uri
        .strip_prefix(REQUEST_URI_PREFIX)
        .ok_or(problem(RequestUriProblem::Invalid))?;
    let pending =
        Pending::open(&core.sealer, Kind::RequestUri, sealed, now).map_err(|e| match e {
            PendingError::Expired => problem(RequestUriProblem::Expired),
            _ => problem(RequestUriProblem::Invalid),
        })?;
    if pending.req.client_id != client.id {
        return Err(problem(RequestUriProblem::OtherClient));
    }
    Ok(pending)
}
