//! DPoP (RFC 9449): the proof validator every endpoint shares, `htu` normalisation and
//! stateless server nonces.
pub mod client;
pub mod htu;
pub mod input;
pub mod nonce;
pub mod proof;
