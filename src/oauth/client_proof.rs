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

/// The caller's `htu`, or `default` (the endpoint's configured URL) when it names none.
pub fn htu_or(text: Option<&str>, default: &Htu) -> Result<Htu, &'static str> {
    match text {
        Some(text) => Htu::parse(text).map_err(|_| "htu is not a valid http(s) URL"),
        None => Ok(default.clone()),
    }
}

/// RFC 9449 §4.3 checks 1–9 for `client`'s proof.
pub fn check(core: &Core, client: &Client, input: ClientProof<'_>, now: UnixTime) -> Result<CheckedProof, DpopError> {
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
