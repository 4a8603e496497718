//! A client's DPoP proof at an authorization-server endpoint (token, PAR, delegated issuance):
//! the stateless checks of RFC 9449 §4.3 with the client's own alg list, and the `htu` the
//! caller names or the endpoint's configured URL. The replay record (check 11) stays with the
//! caller, which makes it last, after every other check of its request.
use crate::clock::UnixTime;
use crate::dpop::htu::Htu;
use crate::dpop::proof::{CheckedProof, DpopError, Expectation};
use crate::oauth::clients::Client;
use crate::oauth::Core;

/// A proof as the caller forwarded it.
#[derive(Debug, Clone, Copy)]
pub struct ClientProof<'a> {
    pub proof: &'a str,
    /// How many `DPoP` headers the request had; 1 when the caller does not say.
    pub header_count: usize,
    /// The client's request method; `POST` when the caller does not say.
    pub htm: Option<&'a str>,
    pub htu: &'a Htu,
    pub nonce_required: bool,
}

/// What the caller is told when its `htu` is unusable.
pub const BAD_HTU: &str = "htu is not a valid http(s) URL";

/// The caller's `htu`, or `default` (the endpoint's configured URL) when it names none.
pub fn htu_or(text: Option<&str>, default: &Htu) -> Result<Htu, &'static str> {
    match text {
        Some(text) => Htu::parse(text).map_err(|_| BAD_HTU),
        None => Ok(default.clone()),
    }
}

/// The DPoP fields of a call on which a proof is optional (PAR, delegated issuance).
#[derive(Debug, Clone, Copy, Default)]
pub struct SentProof<'a> {
    pub dpop: Option<&'a str>,
    /// How many `DPoP` headers the client's request had; 0 when the caller does not say.
    pub header_count: usize,
    pub htm: Option<&'a str>,
    pub htu: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SentProofError {
    /// The caller's `htu` is unusable: the caller's mistake, not the client's.
    #[error("htu is not a valid http(s) URL")]
    BadHtu,
    /// The request had a `DPoP` header (`header_count` > 0) and no proof came with the call:
    /// the token endpoint refuses this too rather than issue an unbound answer.
    #[error("dpopHeaderCount counts a DPoP header but no dpop was given")]
    ProofMissing,
    #[error("{0}")]
    Dpop(DpopError),
}

/// [`check`] for the proof of `sent`, if there is one; `default_htu` is the endpoint's URL.
/// The header count is judged as at the token endpoint: two or more headers are refused
/// whatever was relayed, and a counted header without a proof is [`SentProofError::ProofMissing`].
pub fn check_sent(
    core: &Core,
    client: &Client,
    sent: SentProof<'_>,
    default_htu: &Htu,
    nonce_required: bool,
    now: UnixTime,
) -> Result<Option<CheckedProof>, SentProofError> {
    // RFC 9449 §4.3 (1): not more than one DPoP header.
    if sent.header_count > 1 {
        return Err(SentProofError::Dpop(DpopError::MultipleProofs));
    }
    let Some(proof) = sent.dpop else {
        if sent.header_count > 0 {
            return Err(SentProofError::ProofMissing);
        }
        return Ok(None);
    };
    let htu = htu_or(sent.htu, default_htu).map_err(|_| SentProofError::BadHtu)?;
    let input = ClientProof {
        proof,
        header_count: sent.header_count,
        htm: sent.htm,
        htu: &htu,
        nonce_required,
    };
    check(core, client, input, now)
        .map(Some)
        .map_err(SentProofError::Dpop)
}

/// RFC 9449 §4.3 checks 1–9 for `client`'s proof.
pub fn check(
    core: &Core,
    client: &Client,
    input: ClientProof<'_>,
    now: UnixTime,
) -> Result<CheckedProof, DpopError> {
    let expect = Expectation {
        header_count: input.header_count.max(1),
        htm: input.htm.unwrap_or("POST"),
        htu: input.htu,
        access_token: None,
        bound_jkt: None,
        nonce_required: input.nonce_required,
        algs: client.dpop_algs.unwrap_or(core.service_algs),
        now,
    };
    core.dpop.check(input.proof, &expect)
}
