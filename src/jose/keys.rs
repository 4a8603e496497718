//! The service's own keys: signing keys loaded from private JWKs or PEM (PKCS#8, PKCS#1 for RSA)
//! or generated, and the key set that signs with the active key and verifies with any listed key.
use super::alg::Alg;
use super::b64;
use super::jwk::PublicJwk;
use super::load;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use serde::Serialize;
use serde_json::Value;

// The key set is in keyset.rs; these names stay importable from here.
pub use super::keyset::{KeySet, VerifiedJwt, VerifyError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key material is invalid: {0}")]
    Invalid(String),
    #[error("alg {0} is not supported for this operation")]
    Unsupported(&'static str),
    #[error("signing failed")]
    SignFailed,
}

/// The ring key pair behind a `SigningKey`.
pub(super) enum Pair {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// The private JWK members (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2), kept only so that
/// `private_jwk` can write the key out again: ring does not hand private material back.
pub(super) enum Secret {
    /// EC `d`, exactly the coordinate length.
    Ec { d: Vec<u8> },
    /// Ed25519 `d`: the 32-octet seed.
    Ed25519 { d: Vec<u8> },
    /// RSA `d`, `p`, `q`, `dp`, `dq`, `qi`, each without leading zero octets.
    Rsa([Vec<u8>; 6]),
}

/// `typ` values whose encoded protected header is computed once, at construction.
const CACHED_TYPS: [&str; 2] = ["at+jwt", "JWT"];

/// A private key able to sign, with its `kid`, `alg` and public JWK.
pub struct SigningKey {
    kid: String,
    alg: Alg,
    pair: Pair,
    public: PublicJwk,
    secret: Secret,
    rng: SystemRandom,
    /// BASE64URL(protected header) for each of `CACHED_TYPS`, in that order.
    cached_headers: Vec<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SigningKey {{ kid: {:?}, alg: {} }}",
            self.kid(),
            self.alg()
        )
    }
}

#[derive(Serialize)]
struct SignedHeader<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

impl SigningKey {
    /// A fresh key (ES256, ES384 or EdDSA; ring cannot generate RSA). `kid` defaults to the
    /// key's RFC 7638 thumbprint.
    pub fn generate(alg: Alg, kid: Option<String>) -> Result<SigningKey, KeyError> {
        load::generate(alg, kid)
    }

    /// A private JWK object (EC with `d`, OKP Ed25519 with `d`, RSA with
    /// `d`,`p`,`q`,`dp`,`dq`,`qi`).
    /// `alg` comes from the JWK's `alg` member, else ES256/ES384/EdDSA/RS256 by key type.
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<SigningKey, KeyError> {
        load::from_jwk(jwk)
    }

    /// A PEM file: `PRIVATE KEY` (PKCS#8: EC P-256/P-384, Ed25519, RSA) or `RSA PRIVATE KEY`.
    pub fn from_pem(
        pem: &str,
        alg: Option<Alg>,
        kid: Option<String>,
    ) -> Result<SigningKey, KeyError> {
        load::from_pem(pem, alg, kid)
    }

    /// Puts a loaded key together. The caller has checked that `alg` fits `public` and that
    /// `pair`, `public` and `secret` are the same key.
    pub(super) fn assemble(
        kid: Option<String>,
        alg: Alg,
        pair: Pair,
        public: PublicJwk,
        secret: Secret,
    ) -> Result<SigningKey, KeyError> {
        let kid = kid.unwrap_or_else(|| public.thumbprint().as_str().to_owned());
        let mut key = SigningKey {
            kid,
            alg,
            pair,
            public,
            secret,
            rng: SystemRandom::new(),
            cached_headers: Vec::new(),
        };
        key.cached_headers = CACHED_TYPS
            .iter()
            .map(|typ| key.encode_header(typ))
            .collect::<Result<_, _>>()?;
        // ring checks RSA dP, dQ against n and e only when signing; one signature verified
        // with the public key makes a key whose parts disagree fail here, at load.
        let probe = b"dpopd key self-test";
        let sig = key.sign(probe).map_err(|_| {
            KeyError::Invalid("key parts are inconsistent: it cannot sign".to_owned())
        })?;
        if key.public.verify(alg, probe, sig.as_ref()).is_err() {
            return Err(KeyError::Invalid(
                "signature does not verify with the public key".to_owned(),
            ));
        }
        Ok(key)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    pub fn public(&self) -> &PublicJwk {
        &self.public
    }

    /// Compact JWS with protected header `{"alg","typ","kid"}` over `payload` (JSON bytes).
    pub fn sign_compact(&self, typ: &str, payload: &[u8]) -> Result<String, KeyError> {
        let fresh;
        let header = match CACHED_TYPS.iter().position(|t| *t == typ) {
            Some(i) => self.cached_headers.get(i).ok_or(KeyError::SignFailed)?,
            None => {
                fresh = self.encode_header(typ)?;
                &fresh
            }
        };
        let len = header.len()
            + b64::encoded_len(payload.len())
            + b64::encoded_len(self.signature_len())
            + 2;
        let mut out = String::with_capacity(len);
        out.push_str(header);
        out.push('.');
        b64::encode_into(payload, &mut out);
        // RFC 7515 §5.1 step 5: the signature covers ASCII(BASE64URL(header) '.'
        // BASE64URL(payload)).
        let sig = self.sign(out.as_bytes())?;
        out.push('.');
        b64::encode_into(sig.as_ref(), &mut out);
        Ok(out)
    }

    /// The JWS signature over a caller-built signing input `BASE64URL(header) '.'
    /// BASE64URL(payload)` (RFC 7515 §5.1 step 5), for JWSs whose header is not the
    /// `{"alg","typ","kid"}` of `sign_compact`, such as DPoP proofs carrying `jwk`.
    pub fn sign_raw(&self, signing_input: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.sign(signing_input).map(|sig| sig.as_ref().to_vec())
    }

    /// The private JWK (with `kid`, `alg`), for `dpopd keygen`. Secret: never log it.
    pub fn private_jwk(&self) -> serde_json::Value {
        let mut map = self.public.to_json();
        let mut put = |name: &str, bytes: &[u8]| {
            map.insert(name.to_owned(), Value::String(b64::encode(bytes)));
        };
        match &self.secret {
            Secret::Ec { d } | Secret::Ed25519 { d } => put("d", d),
            Secret::Rsa(parts) => {
                for (name, bytes) in ["d", "p", "q", "dp", "dq", "qi"].iter().zip(parts) {
                    put(name, bytes);
                }
            }
        }
        map.insert("kid".to_owned(), Value::String(self.kid.clone()));
        map.insert("alg".to_owned(), Value::String(self.alg.name().to_owned()));
        Value::Object(map)
    }

    /// The public JWK as published in JWKS: key members plus `kid`, `alg`, `use: "sig"`.
    pub fn public_jwk(&self) -> serde_json::Value {
        published_jwk(&self.kid, self.alg, &self.public)
    }

    fn encode_header(&self, typ: &str) -> Result<String, KeyError> {
        let header = SignedHeader {
            alg: self.alg.name(),
            typ,
            kid: &self.kid,
        };
        // serde_json escapes `typ` and `kid`; the member order is the struct's.
        let json = serde_json::to_vec(&header).map_err(|_| KeyError::SignFailed)?;
        Ok(b64::encode(&json))
    }

    fn signature_len(&self) -> usize {
        match &self.pair {
            Pair::Ecdsa(_) if self.alg == Alg::ES384 => 96,
            Pair::Ecdsa(_) | Pair::Ed25519(_) => 64,
            Pair::Rsa(pair) => pair.public().modulus_len(),
        }
    }

    /// The raw JWS signature over `input` (RFC 7515 §5.1 step 5).
    pub(super) fn sign(&self, input: &[u8]) -> Result<Signature, KeyError> {
        match &self.pair {
            Pair::Ecdsa(pair) => {
                let sig = pair
                    .sign(&self.rng, input)
                    .map_err(|_| KeyError::SignFailed)?;
                Ok(Signature::Ring(sig))
            }
            Pair::Ed25519(pair) => Ok(Signature::Ring(pair.sign(input))),
            Pair::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    Alg::RS256 => &signature::RSA_PKCS1_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_SHA384,
                    Alg::PS512 => &signature::RSA_PSS_SHA512,
                    _ => return Err(KeyError::Unsupported(self.alg.name())),
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &self.rng, input, &mut sig)
                    .map_err(|_| KeyError::SignFailed)?;
                Ok(Signature::Heap(sig))
            }
        }
    }
}

/// ECDSA and Ed25519 signatures come back from ring as a value; RSA ones are written into a
/// buffer of the modulus length.
pub(super) enum Signature {
    Ring(signature::Signature),
    Heap(Vec<u8>),
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        match self {
            Signature::Ring(sig) => sig.as_ref(),
            Signature::Heap(sig) => sig,
        }
    }
}

/// A JWKS entry: the public members plus `kid`, `alg` and `use` (RFC 7517 §4.2–4.5).
pub(super) fn published_jwk(kid: &str, alg: Alg, public: &PublicJwk) -> Value {
    let mut map = public.to_json();
    map.insert("kid".to_owned(), Value::String(kid.to_owned()));
    map.insert("alg".to_owned(), Value::String(alg.name().to_owned()));
    map.insert("use".to_owned(), Value::String("sig".to_owned()));
    Value::Object(map)
}

#[cfg(test)]
mod tests;
