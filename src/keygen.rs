//! `dpopd keygen`: prints a new private signing JWK and its public JWK, ready to paste into
//! `[[keys.signing]]`, plus a fresh sealing key and nonce secret. ES256 (default), ES384 and
//! EdDSA are generated with ring; ring cannot generate RSA keys, so RSA keys come from OpenSSL
//! as PEM files (`pem_file`).
use crate::jose::{Alg, SigningKey};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeygenError {
    #[error("{0}")]
    Unsupported(String),
}

/// The configuration text of a new `alg` signing key named `kid` (generated when absent), a
/// sealing key and a nonce secret.
pub fn run(alg: Alg, kid: Option<String>) -> Result<String, KeygenError> {
    if alg.family() == crate::jose::alg::KeyFamily::Rsa {
        return Err(KeygenError::Unsupported(
            "RSA keys: `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out signing.pem`, \
             then `pem_file = \"signing.pem\"` with `alg = \"PS256\"` in [[keys.signing]]"
                .into(),
        ));
    }
    let key =
        SigningKey::generate(alg, kid).map_err(|e| KeygenError::Unsupported(e.to_string()))?;
    let secret =
        |n: usize| crate::jose::b64::encode(&crate::jose::secrets::random_bytes::<32>()[..n]);
    Ok(format!(
        "# Private signing key ({alg}, kid {kid}). Secret: keep it out of logs and version control.\n\
         [[keys.signing]]\njwk = '{private}'\n\n\
         # Its public JWK, as /service/jwks publishes it:\n# {public}\n\n\
         # A sealing key (AES-256-GCM) and a nonce secret, if this deployment needs new ones:\n\
         [[keys.sealing]]\nkid = \"seal-{kid}\"\nkey = \"{seal}\"\n\n[dpop]\nnonce_secret = \"{nonce}\"\n",
        alg = key.alg(),
        kid = key.kid(),
        private = key.private_jwk(),
        public = key.public_jwk(),
        seal = secret(32),
        nonce = secret(32),
    ))
}

#[cfg(test)]
mod tests;
