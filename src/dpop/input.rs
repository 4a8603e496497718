//! What a call says about the client's DPoP proof, already checked at the API edge
//! (docs/api.md, "The DPoP fields of a call"): the proof's text, the method and the parsed URL
//! it must be for, how many `DPoP` headers the client's request had, and whether a server
//! nonce is demanded on this call.
use super::htu::Htu;

/// The DPoP side of one call.
#[derive(Debug, Clone, Default)]
pub struct DpopInput {
    /// The client's proof, when the call relays one.
    pub proof: Option<ProofInput>,
    /// How many `DPoP` headers the client's request had (RFC 9449 §4.3 check 1); 0 when the
    /// caller does not say.
    pub header_count: usize,
    /// The caller demands a server nonce on this call (RFC 9449 §8, §9).
    pub nonce_required: bool,
}

/// A relayed proof and the request it must match.
#[derive(Debug, Clone)]
pub struct ProofInput {
    pub jws: String,
    pub htm: String,
    pub htu: Htu,
}

impl DpopInput {
    /// More than one `DPoP` header: refused whatever was relayed (RFC 9449 §4.3 check 1).
    pub fn has_several_headers(&self) -> bool {
        self.header_count > 1
    }

    /// The client's request had a `DPoP` header and the call relays no proof: the header was
    /// lost on the way, and no endpoint answers as if the client had sent none.
    pub fn lost_its_proof(&self) -> bool {
        self.header_count > 0 && self.proof.is_none()
    }
}
