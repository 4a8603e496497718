//! The client side of DPoP (RFC 9449 §4.2): minting proofs with a [`SigningKey`]. dpopd's own
//! tests, benchmarks and load generator use it; a Rust client can too.
use crate::clock::UnixTime;
use crate::jose::b64;
use crate::jose::keys::{KeyError, SigningKey};
use serde_json::{Map, Value};

/// A proof's claims beyond the required ones.
#[derive(Debug, Clone, Default)]
pub struct ProofClaims<'a> {
    pub jti: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub nonce: Option<&'a str>,
}

/// The protected header of a well-formed proof made with `key`.
pub fn proof_header(key: &SigningKey) -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("typ".into(), "dpop+jwt".into());
    header.insert("alg".into(), key.alg().name().into());
    header.insert("jwk".into(), Value::Object(key.public().to_json()));
    header
}

/// The claims of a well-formed proof.
pub fn proof_claims(
    htm: &str,
    htu: &str,
    iat: UnixTime,
    extra: &ProofClaims<'_>,
) -> Map<String, Value> {
    let jti = extra
        .jti
        .map(str::to_owned)
        .unwrap_or_else(crate::jose::secrets::random_id);
    let mut map = Map::new();
    map.insert("jti".into(), jti.into());
    map.insert("htm".into(), htm.into());
    map.insert("htu".into(), htu.into());
    map.insert("iat".into(), iat.secs().into());
    if let Some(token) = extra.access_token {
        map.insert("ath".into(), super::proof::ath_of(token).into());
    }
    if let Some(nonce) = extra.nonce {
        map.insert("nonce".into(), nonce.into());
    }
    map
}

/// A proof for `htm` `htu` at `iat`, with a fresh random `jti` unless one is given.
pub fn mint(
    key: &SigningKey,
    htm: &str,
    htu: &str,
    iat: UnixTime,
    extra: &ProofClaims<'_>,
) -> Result<String, KeyError> {
    sign_parts(
        key,
        &Value::Object(proof_header(key)),
        &Value::Object(proof_claims(htm, htu, iat, extra)),
    )
}

/// Signs any header and payload JSON as a compact JWS: for tests that forge malformed proofs.
pub fn sign_parts(key: &SigningKey, header: &Value, payload: &Value) -> Result<String, KeyError> {
    sign_bytes(
        key,
        header.to_string().as_bytes(),
        payload.to_string().as_bytes(),
    )
}

/// Signs raw header and payload bytes (which need not be JSON) as a compact JWS.
pub fn sign_bytes(key: &SigningKey, header: &[u8], payload: &[u8]) -> Result<String, KeyError> {
    let mut out = b64::encode(header);
    out.push('.');
    out.push_str(&b64::encode(payload));
    let signature = key.sign_raw(out.as_bytes())?;
    out.push('.');
    out.push_str(&b64::encode(&signature));
    Ok(out)
}
