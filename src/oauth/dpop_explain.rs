//! The decision behind `POST /auth/dpop/explain` (docs/api.md, "Explaining a proof"): the
//! expectation the token endpoint or introspection would build for a proof — this service's
//! alg list narrowed by the client's, its nonce policy, and on a resource call the token's own
//! binding — and [`Validator::explain`] on it at this service's clock. The replay record
//! (RFC 9449 §4.3 check 11) is looked up and never made, and nothing is issued, so the same
//! proof can still be used at the endpoint it was made for.
use crate::clock::UnixTime;
use crate::dpop::input::ProofInput;
use crate::dpop::proof::explain::{Explanation, NonceRule};
use crate::oauth::access::{self, AccessError};
use crate::oauth::client_proof;
use crate::oauth::introspection::resource_expectation;
use crate::oauth::Core;

/// One explain call, as the API checked it.
#[derive(Debug, Clone)]
pub struct ExplainCall<'a> {
    pub proof: &'a ProofInput,
    /// How many `DPoP` headers the client's request had (0: not said).
    pub header_count: usize,
    /// The caller demands a server nonce, as `dpopNonceRequired` does at the endpoints.
    pub nonce_required: bool,
    /// At the token endpoint: the client whose alg list and nonce policy apply.
    pub client_id: Option<&'a str>,
    /// A resource call: the access token the proof was presented with.
    pub token: Option<&'a str>,
}

/// The explanation and what decided it.
#[derive(Debug)]
pub struct ExplainOutcome {
    pub explanation: Explanation,
    /// Introspection's rules applied (an access token was given), not the token endpoint's.
    pub at_resource: bool,
    /// The access token is not usable: introspection refuses it before looking at the proof.
    pub token_error: Option<AccessError>,
    /// The current nonce, when one is required (as the endpoints answer it).
    pub dpop_nonce: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// `clientId` names no registered client.
    #[error("clientId names no registered client")]
    ClientUnknown,
}

pub async fn explain(
    core: &Core,
    call: &ExplainCall<'_>,
    now: UnixTime,
) -> Result<ExplainOutcome, ExplainError> {
    let proof = call.proof;
    // Introspection judges the token first; it names the client and the key.
    let (access, token_error) = match call.token {
        Some(token) => match access::verify(core, token, now).await {
            Ok(access) => (Some(access), None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    };
    // The expectation each endpoint builds, from the same functions.
    let expect = match call.token {
        Some(token) => resource_expectation(
            core,
            access.as_deref(),
            token,
            proof,
            call.header_count,
            call.nonce_required || core.rs_nonce_required,
            now,
        ),
        // The token endpoint (PAR and delegated issuance apply the same rules).
        None => {
            let client = match call.client_id {
                Some(id) => Some(core.clients.get(id).ok_or(ExplainError::ClientUnknown)?),
                None => None,
            };
            let nonce_required = call.nonce_required
                || core.nonce_required
                || client.is_some_and(|c| c.dpop_nonce_required);
            client_proof::expectation(core, client, proof, call.header_count, nonce_required, now)
        }
    };
    let explanation = core
        .dpop
        .explain(&proof.jws, &expect, NonceRule::Service)
        .look_up_replay(core.store.as_ref())
        .await;
    Ok(ExplainOutcome {
        explanation,
        at_resource: call.token.is_some(),
        token_error,
        dpop_nonce: expect
            .nonce_required
            .then(|| core.dpop.nonces().current(now)),
    })
}
