//! JWK Sets published by other parties (RFC 7517 §5) — an issuer's `jwks_uri`, a client's
//! `jwks` — read into the keys dpopd may verify signatures with.
//!
//! A real set carries keys dpopd has no use for (encryption keys, curves it does not support),
//! so a key that cannot be used is skipped with its reason kept for the log, never failing the
//! whole set. Refused outright are only what is not a JWK Set at all, and sets past the size or
//! key-count bounds. A key with private or symmetric members (`d`, `k`, ...) is never used.
//!
//! Key material is read by [`PublicJwk::from_members`], with two leniencies DPoP proofs do not
//! get (RFC 9449 keys must be canonical, for their thumbprints): big integers with leading zero
//! octets (RSA `n`/`e`, as encoders of signed integers such as Java's `BigInteger` write them)
//! and EC coordinates shortened by their leading zero octets. Both describe one and the same
//! key, and a key here is found by `kid`, never by thumbprint.
use super::alg::Alg;
use super::b64;
use super::jwk::{EcCurve, JwkError, JwkMembers, PublicJwk};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// Bounds on a set, checked before any key is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksLimits {
    /// Bytes of JSON text.
    pub max_bytes: usize,
    /// Entries of `keys`, usable or not.
    pub max_keys: usize,
}

impl Default for JwksLimits {
    fn default() -> JwksLimits {
        JwksLimits {
            max_bytes: 64 * 1024,
            max_keys: 100,
        }
    }
}

/// Why a whole set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("JWK Set is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// Not JSON, or nested deeper than serde_json's recursion limit.
    #[error("JWK Set is not JSON: {0}")]
    NotJson(String),
    /// RFC 7517 §5: a JSON object whose `keys` member is an array.
    #[error("not a JWK Set: expected an object with a keys array")]
    NotASet,
    #[error("JWK Set has {count} keys, more than {limit}")]
    TooManyKeys { count: usize, limit: usize },
}

/// Why one key of a set is not used. Kept for the log; the other keys stay usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    /// RFC 7517 §4: not an object, or a member of the wrong JSON type.
    #[error("not a well-formed JWK: {0}")]
    Malformed(String),
    /// The key material: private or symmetric members, unsupported `kty` or curve, not a key.
    #[error("{0}")]
    Key(JwkError),
    /// RFC 7517 §4.2: `use: enc`.
    #[error("use is enc: an encryption key")]
    Encryption,
    /// RFC 7517 §4.2: a `use` value other than `sig` or `enc`.
    #[error("use is neither sig nor enc")]
    UnknownUse,
    /// RFC 7517 §4.3: `key_ops` without `verify`.
    #[error("key_ops does not include verify")]
    NoVerifyOp,
    /// RFC 7517 §4.4: an `alg` that is not a signature algorithm dpopd verifies
    /// (`RSA-OAEP`, `HS256`, `none`, `ES512`, ...).
    #[error("alg is not a supported signature algorithm")]
    UnsupportedAlg,
    /// RFC 7518 §3.1: `alg` names another key type (`ES256` on an RSA key).
    #[error("alg does not fit the key type")]
    AlgKeyMismatch,
    /// RFC 7518 §3.3: RSA moduli of 2048 to 8192 bits (what ring verifies).
    #[error("RSA modulus of {bits} bits is outside 2048..=8192")]
    RsaSize { bits: usize },
    /// RFC 7517 §4.5: an earlier usable key has this `kid` for an alg this key allows too,
    /// so a token naming it would not say which key signed it.
    #[error("kid is used by an earlier key for the same algorithms")]
    DuplicateKid,
}

/// A key of a set that may verify signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    kid: Option<String>,
    /// RFC 7517 §4.4: when set, the only algorithm this key is used with.
    alg: Option<Alg>,
    key: PublicJwk,
}

impl VerificationKey {
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key's own `alg` member, if it has one.
    pub fn alg(&self) -> Option<Alg> {
        self.alg
    }

    pub fn key(&self) -> &PublicJwk {
        &self.key
    }

    /// Whether a signature by `alg` may be verified with this key: the key's own `alg`
    /// if it has one, otherwise every algorithm of its key type (RFC 8725 §3.1).
    pub fn permits(&self, alg: Alg) -> bool {
        self.key.accepts(alg) && self.alg.is_none_or(|own| own == alg)
    }
}

/// A key that was skipped: its position in `keys`, its `kid` if readable, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    pub index: usize,
    pub kid: Option<String>,
    pub reason: SkipReason,
}

/// The usable keys of a JWK Set, in the order published, and the skipped ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwkSet {
    keys: Vec<VerificationKey>,
    skipped: Vec<SkippedKey>,
}

/// The members of a set entry beside the key material (RFC 7517 §4.2–4.5). Other members
/// (`x5c`, `x5t`, `x5u`, `issuer`, ...) are ignored: no key is found or trusted through them.
#[derive(Deserialize)]
struct Params {
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
}

impl JwkSet {
    /// Reads a set from JSON text (a fetched body, an inline configuration value).
    pub fn parse(text: &[u8], limits: &JwksLimits) -> Result<JwkSet, JwksError> {
        if text.len() > limits.max_bytes {
            return Err(JwksError::TooLarge {
                limit: limits.max_bytes,
            });
        }
        let doc: Value =
            serde_json::from_slice(text).map_err(|e| JwksError::NotJson(e.to_string()))?;
        JwkSet::from_value(doc, limits)
    }

    /// Reads a set already parsed as JSON (the byte bound is the caller's).
    pub fn from_value(doc: Value, limits: &JwksLimits) -> Result<JwkSet, JwksError> {
        let Value::Object(mut doc) = doc else {
            return Err(JwksError::NotASet);
        };
        let Some(Value::Array(entries)) = doc.remove("keys") else {
            return Err(JwksError::NotASet);
        };
        if entries.len() > limits.max_keys {
            return Err(JwksError::TooManyKeys {
                count: entries.len(),
                limit: limits.max_keys,
            });
        }
        let mut set = JwkSet::default();
        for (index, entry) in entries.iter().enumerate() {
            let kid = entry.get("kid").and_then(Value::as_str).map(str::to_owned);
            match read_key(entry).and_then(|key| set.check_kid(key)) {
                Ok(key) => set.keys.push(key),
                Err(reason) => set.skipped.push(SkippedKey { index, kid, reason }),
            }
        }
        Ok(set)
    }

    /// The usable keys, in the order published.
    pub fn keys(&self) -> &[VerificationKey] {
        &self.keys
    }

    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Refuses `key` when an earlier usable key has its `kid` for an alg both allow.
    fn check_kid(&self, key: VerificationKey) -> Result<VerificationKey, SkipReason> {
        let Some(kid) = key.kid.as_deref() else {
            return Ok(key);
        };
        let clash = self.keys.iter().any(|earlier| {
            earlier.kid.as_deref() == Some(kid)
                && Alg::ALL
                    .into_iter()
                    .any(|alg| earlier.permits(alg) && key.permits(alg))
        });
        if clash {
            return Err(SkipReason::DuplicateKid);
        }
        Ok(key)
    }
}

/// One entry of `keys`: its key material first, so that published private material is
/// always reported as such, then its parameters.
fn read_key(entry: &Value) -> Result<VerificationKey, SkipReason> {
    // Through the trait: its impl refuses an entry that is not a JSON object.
    let mut members = <JwkMembers as Deserialize>::deserialize(entry)
        .map_err(|e| SkipReason::Malformed(e.to_string()))?;
    let params = Params::deserialize(entry).map_err(|e| SkipReason::Malformed(e.to_string()))?;
    widen_integers(&mut members);
    let key = PublicJwk::from_members(&members).map_err(SkipReason::Key)?;
    // RFC 7517 §4.2: only signature keys; §4.3: `key_ops` must allow verification.
    match params.use_.as_deref() {
        None | Some("sig") => {}
        Some("enc") => return Err(SkipReason::Encryption),
        Some(_) => return Err(SkipReason::UnknownUse),
    }
    if let Some(ops) = &params.key_ops {
        if !ops.iter().any(|op| op == "verify") {
            return Err(SkipReason::NoVerifyOp);
        }
    }
    let alg = match params.alg.as_deref() {
        None => None,
        Some(name) => Some(Alg::from_name(name).ok_or(SkipReason::UnsupportedAlg)?),
    };
    if alg.is_some_and(|alg| !key.accepts(alg)) {
        return Err(SkipReason::AlgKeyMismatch);
    }
    if let PublicJwk::Rsa { e, .. } = &key {
        let bits = key.rsa_bits().unwrap_or(0);
        if !(2048..=8192).contains(&bits) {
            return Err(SkipReason::RsaSize { bits });
        }
        // ring verifies with exponents of at most 33 bits; a key it would refuse at every
        // signature is refused here, where the log can say why.
        if e.len() > 5 || (e.len() == 5 && e[0] > 1) {
            return Err(SkipReason::Key(JwkError::InvalidKey));
        }
    }
    Ok(VerificationKey {
        kid: params.kid,
        alg,
        key,
    })
}

/// Rewrites the big-integer members of `m` into the canonical form `from_members` reads:
/// RSA `n` and `e` without leading zero octets, EC coordinates at the curve's full length.
/// Values that do not decode are left for `from_members` to refuse.
fn widen_integers(m: &mut JwkMembers<'_>) {
    match (m.kty.as_deref(), m.crv.as_deref()) {
        (Some("RSA"), _) => {
            for member in [&mut m.n, &mut m.e] {
                rewrite(member, |bytes| strip_zeros(bytes).to_vec());
            }
        }
        (Some("EC"), Some(crv)) => {
            let len = match crv {
                "P-256" => EcCurve::P256.coordinate_len(),
                "P-384" => EcCurve::P384.coordinate_len(),
                _ => return,
            };
            for member in [&mut m.x, &mut m.y] {
                rewrite(member, |bytes| {
                    let digits = strip_zeros(bytes);
                    if digits.len() > len {
                        // Too long to be a coordinate: left as sent, refused as such.
                        return bytes.to_vec();
                    }
                    let mut full = vec![0; len - digits.len()];
                    full.extend_from_slice(digits);
                    full
                });
            }
        }
        _ => {}
    }
}

/// Replaces a base64url member with the encoding of `f` applied to its octets.
fn rewrite(member: &mut Option<Cow<'_, str>>, f: impl Fn(&[u8]) -> Vec<u8>) {
    if let Some(bytes) = member.as_deref().and_then(|text| b64::decode(text).ok()) {
        *member = Some(Cow::Owned(b64::encode(&f(&bytes))));
    }
}

/// `bytes` without its leading zero octets (all of them, for a zero value: `from_members`
/// then refuses the empty integer).
fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
pub(crate) mod tests;
