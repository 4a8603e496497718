//! Signature verification with a public JWK on ring (RFC 7518 §3.3–3.5, RFC 8037 §3.1), and
//! telling an off-curve EC key apart from a bad signature.
use super::alg::{Alg, KeyFamily};
use super::curve;
use super::jwk::{EcCurve, PublicJwk, SignatureError};
use ring::signature;

impl PublicJwk {
    /// Whether `alg` may be used with this key (ES256↔P-256, ES384↔P-384, RS*/PS*↔RSA,
    /// EdDSA↔Ed25519).
    pub fn accepts(&self, alg: Alg) -> bool {
        let family = match self {
            PublicJwk::Ec {
                curve: EcCurve::P256,
                ..
            } => KeyFamily::EcP256,
            PublicJwk::Ec {
                curve: EcCurve::P384,
                ..
            } => KeyFamily::EcP384,
            PublicJwk::Rsa { .. } => KeyFamily::Rsa,
            PublicJwk::Ed25519 { .. } => KeyFamily::Ed25519,
        };
        alg.family() == family
    }

    /// Verifies `signature` over `message` with ring.
    pub fn verify(&self, alg: Alg, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        if !self.accepts(alg) {
            return Err(SignatureError::AlgKeyMismatch);
        }
        match self {
            PublicJwk::Ec { curve, x, y } => verify_ecdsa(*curve, x, y, message, signature),
            PublicJwk::Rsa { n, e } => {
                // RFC 8017 §8.2.2 step 1: the signature is exactly the modulus length.
                if signature.len() != n.len() {
                    return Err(SignatureError::BadLength);
                }
                let params: &'static signature::RsaParameters = match alg {
                    Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
                    Alg::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
                    _ => return Err(SignatureError::AlgKeyMismatch),
                };
                signature::RsaPublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                }
                .verify(params, message, signature)
                .map_err(|_| SignatureError::Invalid)
            }
            PublicJwk::Ed25519 { x } => {
                // RFC 8032 §5.1.7: R || S, 64 octets.
                if signature.len() != 64 {
                    return Err(SignatureError::BadLength);
                }
                signature::UnparsedPublicKey::new(&signature::ED25519, x)
                    .verify(message, signature)
                    .map_err(|_| SignatureError::Invalid)
            }
        }
    }
}

/// RFC 7518 §3.4: the signature is R || S, each the curve's coordinate length.
fn verify_ecdsa(
    curve: EcCurve,
    x: &[u8],
    y: &[u8],
    message: &[u8],
    sig: &[u8],
) -> Result<(), SignatureError> {
    let verify_alg = match curve {
        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
    };
    let len = curve.coordinate_len();
    if sig.len() != 2 * len {
        return Err(SignatureError::BadLength);
    }
    // The variant's fields are public, so lengths are re-checked rather than trusted; wrong
    // lengths cannot encode a point.
    if x.len() != len || y.len() != len {
        return Err(SignatureError::PointNotOnCurve);
    }
    // SEC 1 §2.3.3 uncompressed point: 0x04 || X || Y.
    let mut buf = [0u8; 1 + 2 * 48];
    buf[0] = 0x04;
    buf[1..1 + len].copy_from_slice(x);
    buf[1 + len..1 + 2 * len].copy_from_slice(y);
    let point = &buf[..1 + 2 * len];
    match signature::UnparsedPublicKey::new(verify_alg, point).verify(message, sig) {
        Ok(()) => Ok(()),
        // ring reports an invalid key and a bad signature alike. A key from `from_members` is
        // on the curve already; for any other the point check (a few field multiplications,
        // no scalar multiplication) tells them apart, so a refusal costs what an acceptance does.
        Err(_) if curve::is_on_curve(curve, x, y) => Err(SignatureError::Invalid),
        Err(_) => Err(SignatureError::PointNotOnCurve),
    }
}

#[cfg(test)]
mod tests;
