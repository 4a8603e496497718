//! A client's DPoP proof at an authorization-server endpoint (token, PAR, delegated issuance):
//! the stateless checks of RFC 9449 §4.3 with the client's own alg list. The replay record
//! (check 11) stays with the caller, which makes it last, after every other check of its
//! request.
use crate::clock::UnixTime;
use crate::dpop::input::{DpopInput, ProofInput};
use crate::dpop::proof::{CheckedProof, DpopError, Expectation};
use crate::oauth::clients::Client;
use crate::oauth::Core;

/// RFC 9449 §4.3 checks 1–10 for the proof `client` sent, if any: two or more `DPoP` headers
/// are refused whatever was relayed; without a proof there is nothing to check (each endpoint
/// decides whether it needs one).
pub fn check(
    core: &Core,
    client: &Client,
    dpop: &DpopInput,
    nonce_required: bool,
    now: UnixTime,
) -> Result<Option<CheckedProof>, DpopError> {
    if dpop.has_several_headers() {
        return Err(DpopError::MultipleProofs);
    }
    let Some(proof) = &dpop.proof else {
        return Ok(None);
    };
    let expect = expectation(
        core,
        Some(client),
        proof,
        dpop.header_count,
        nonce_required,
        now,
    );
    core.dpop.check(&proof.jws, &expect).map(Some)
}

/// What a proof sent to an authorization-server endpoint must be: the service's alg list,
/// narrowed to the client's own when it has one (`/auth/dpop/explain` builds the same).
pub fn expectation<'a>(
    core: &Core,
    client: Option<&Client>,
    proof: &'a ProofInput,
    header_count: usize,
    nonce_required: bool,
    now: UnixTime,
) -> Expectation<'a> {
    Expectation {
        header_count: header_count.max(1),
        htm: &proof.htm,
        htu: &proof.htu,
        access_token: None,
        bound_jkt: None,
        nonce_required,
        algs: client
            .and_then(|c| c.dpop_algs)
            .unwrap_or(core.service_algs),
        now,
    }
}
