//! Loading the service's private keys: generation, private JWKs (RFC 7517, RFC 7518 §6.2.2 and
//! §6.3.2, RFC 8037 §2), and PEM files holding PKCS#8 or PKCS#1 DER. ring does all key
//! validation; pem.rs recovers the private members ring does not hand back.
use super::alg::Alg;
use super::b64;
use super::jwk::{EcCurve, JwkMembers, PublicJwk};
use super::keys::{KeyError, Pair, Secret, SigningKey};
use super::pem;
use ring::rand::SystemRandom;
use ring::rsa::{KeyPairComponents, PublicKeyComponents};
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde::Deserialize;
use std::borrow::Cow;

fn invalid(reason: impl std::fmt::Display) -> KeyError {
    KeyError::Invalid(reason.to_string())
}

fn rejected(e: ring::error::KeyRejected) -> KeyError {
    invalid(format_args!("ring rejected the key: {e}"))
}

pub(super) fn generate(alg: Alg, kid: Option<String>) -> Result<SigningKey, KeyError> {
    let rng = SystemRandom::new();
    let pkcs8 = match alg {
        Alg::ES256 | Alg::ES384 => EcdsaKeyPair::generate_pkcs8(ecdsa_alg(alg_curve(alg)), &rng)
            .map_err(|_| invalid("key generation failed"))?,
        Alg::EdDSA => {
            Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| invalid("key generation failed"))?
        }
        _ => return Err(KeyError::Unsupported(alg.name())),
    };
    from_pkcs8(pkcs8.as_ref(), Some(alg), kid)
}

fn alg_curve(alg: Alg) -> EcCurve {
    if alg == Alg::ES384 {
        EcCurve::P384
    } else {
        EcCurve::P256
    }
}

fn ecdsa_alg(curve: EcCurve) -> &'static signature::EcdsaSigningAlgorithm {
    match curve {
        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
    }
}

/// `alg` if given, else the key type's default; either way it must fit the key.
fn choose_alg(public: &PublicJwk, alg: Option<Alg>) -> Result<Alg, KeyError> {
    let alg = alg.unwrap_or(match public {
        PublicJwk::Ec {
            curve: EcCurve::P256,
            ..
        } => Alg::ES256,
        PublicJwk::Ec {
            curve: EcCurve::P384,
            ..
        } => Alg::ES384,
        PublicJwk::Rsa { .. } => Alg::RS256,
        PublicJwk::Ed25519 { .. } => Alg::EdDSA,
    });
    if !public.accepts(alg) {
        return Err(invalid(format_args!("alg {alg} does not fit the key type")));
    }
    Ok(alg)
}

/// SEC 1 §2.3.3: ring gives the uncompressed point 0x04 || X || Y.
fn ec_public(pair: &EcdsaKeyPair, curve: EcCurve) -> Result<PublicJwk, KeyError> {
    let point = pair.public_key().as_ref();
    let len = curve.coordinate_len();
    match point.split_first() {
        Some((0x04, xy)) if xy.len() == 2 * len => {
            let (x, y) = xy.split_at(len);
            Ok(PublicJwk::Ec {
                curve,
                x: x.to_vec(),
                y: y.to_vec(),
            })
        }
        _ => Err(invalid("unexpected EC public key encoding")),
    }
}

fn ed25519_public(pair: &Ed25519KeyPair) -> Result<PublicJwk, KeyError> {
    let x = pair.public_key().as_ref().try_into();
    x.map(|x| PublicJwk::Ed25519 { x })
        .map_err(|_| invalid("unexpected Ed25519 public key"))
}

fn rsa_public(pair: &RsaKeyPair) -> PublicJwk {
    // ring's components are big-endian without leading zeros, as RFC 7518 §6.3.1 wants.
    let parts = PublicKeyComponents::<Vec<u8>>::from(pair.public());
    PublicJwk::Rsa {
        n: parts.n,
        e: parts.e,
    }
}

pub(super) fn from_pem(
    pem: &str,
    alg: Option<Alg>,
    kid: Option<String>,
) -> Result<SigningKey, KeyError> {
    let (label, der) = pem::decode(pem)?;
    match label {
        "PRIVATE KEY" => from_pkcs8(&der, alg, kid),
        "RSA PRIVATE KEY" => {
            let pair = RsaKeyPair::from_der(&der).map_err(rejected)?;
            let public = rsa_public(&pair);
            let secret = Secret::Rsa(pem::pkcs1_rsa_parts(&der)?);
            finish(Pair::Rsa(pair), public, secret, alg, kid)
        }
        "ENCRYPTED PRIVATE KEY" => Err(invalid("encrypted PEM is not supported")),
        "EC PRIVATE KEY" => Err(invalid(
            "SEC 1 EC keys are not supported; convert with `openssl pkcs8 -topk8 -nocrypt`",
        )),
        other => Err(invalid(format_args!("unsupported PEM label {other:?}"))),
    }
}

/// PKCS#8 `PrivateKeyInfo`/`OneAsymmetricKey`: whichever ring loader accepts it decides the key
/// type, and ring validates it (private and public halves consistent).
fn from_pkcs8(der: &[u8], alg: Option<Alg>, kid: Option<String>) -> Result<SigningKey, KeyError> {
    let rng = SystemRandom::new();
    for curve in [EcCurve::P256, EcCurve::P384] {
        if let Ok(pair) = EcdsaKeyPair::from_pkcs8(ecdsa_alg(curve), der, &rng) {
            let public = ec_public(&pair, curve)?;
            let secret = Secret::Ec {
                d: pem::pkcs8_ec_d(der, curve.coordinate_len())?,
            };
            return finish(Pair::Ecdsa(pair), public, secret, alg, kid);
        }
    }
    // OpenSSL writes PKCS#8 v1 Ed25519 keys, without the public key.
    if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
        let public = ed25519_public(&pair)?;
        let secret = Secret::Ed25519 {
            d: pem::pkcs8_ed25519_seed(der)?,
        };
        return finish(Pair::Ed25519(pair), public, secret, alg, kid);
    }
    match RsaKeyPair::from_pkcs8(der) {
        Ok(pair) => {
            let public = rsa_public(&pair);
            let secret = Secret::Rsa(pem::pkcs8_rsa_parts(der)?);
            finish(Pair::Rsa(pair), public, secret, alg, kid)
        }
        Err(e) => Err(invalid(format_args!(
            "not an EC P-256/P-384, Ed25519 or RSA PKCS#8 key ({e})"
        ))),
    }
}

fn finish(
    pair: Pair,
    public: PublicJwk,
    secret: Secret,
    alg: Option<Alg>,
    kid: Option<String>,
) -> Result<SigningKey, KeyError> {
    let alg = choose_alg(&public, alg)?;
    SigningKey::assemble(kid, alg, pair, public, secret)
}

/// The members of a private JWK this loader reads; unknown members are ignored.
#[derive(Deserialize)]
struct PrivateJwk {
    kty: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<String>,
    p: Option<String>,
    q: Option<String>,
    dp: Option<String>,
    dq: Option<String>,
    qi: Option<String>,
    oth: Option<serde::de::IgnoredAny>,
    k: Option<serde::de::IgnoredAny>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
}

fn private_member(value: &Option<String>, name: &str) -> Result<Vec<u8>, KeyError> {
    let text = value
        .as_deref()
        .ok_or_else(|| invalid(format_args!("private JWK has no {name}")))?;
    b64::decode(text)
        .map_err(|_| invalid(format_args!("private JWK member {name} is not base64url")))
}

pub(super) fn from_jwk(value: &serde_json::Value) -> Result<SigningKey, KeyError> {
    // A derived struct would also take an array of member values.
    if !value.is_object() {
        return Err(invalid("private JWK is not a JSON object"));
    }
    let jwk = PrivateJwk::deserialize(value).map_err(invalid)?;
    if jwk.k.is_some() || jwk.kty.as_deref() == Some("oct") {
        return Err(invalid("symmetric (oct) keys cannot be signing keys here"));
    }
    if jwk.oth.is_some() {
        return Err(invalid("multi-prime RSA keys (oth) are not supported"));
    }
    // RFC 7517 §4.2: a key meant for encryption is not used to sign.
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err(invalid("JWK use is not \"sig\""));
    }
    let members = JwkMembers {
        kty: jwk.kty.as_deref().map(Cow::Borrowed),
        crv: jwk.crv.as_deref().map(Cow::Borrowed),
        x: jwk.x.as_deref().map(Cow::Borrowed),
        y: jwk.y.as_deref().map(Cow::Borrowed),
        n: jwk.n.as_deref().map(Cow::Borrowed),
        e: jwk.e.as_deref().map(Cow::Borrowed),
        ..JwkMembers::default()
    };
    let public = PublicJwk::from_members(&members).map_err(invalid)?;
    let alg = match jwk.alg.as_deref() {
        Some(name) => Some(
            Alg::from_name(name).ok_or_else(|| invalid(format_args!("unknown alg {name:?}")))?,
        ),
        None => None,
    };
    let alg = choose_alg(&public, alg)?;
    let d = private_member(&jwk.d, "d")?;
    let (pair, secret) = match &public {
        PublicJwk::Ec { curve, x, y } => {
            // RFC 7518 §6.2.2.1: `d` is exactly the coordinate length.
            if d.len() != curve.coordinate_len() {
                return Err(invalid("EC d is not the curve's length"));
            }
            let point = [&[0x04][..], x, y].concat();
            let rng = SystemRandom::new();
            let pair =
                EcdsaKeyPair::from_private_key_and_public_key(ecdsa_alg(*curve), &d, &point, &rng)
                    .map_err(rejected)?;
            (Pair::Ecdsa(pair), Secret::Ec { d })
        }
        PublicJwk::Ed25519 { x } => {
            // Checks that the seed derives `x`.
            let pair = Ed25519KeyPair::from_seed_and_public_key(&d, x).map_err(rejected)?;
            (Pair::Ed25519(pair), Secret::Ed25519 { d })
        }
        PublicJwk::Rsa { n, e } => {
            let parts = [
                d,
                private_member(&jwk.p, "p")?,
                private_member(&jwk.q, "q")?,
                private_member(&jwk.dp, "dp")?,
                private_member(&jwk.dq, "dq")?,
                private_member(&jwk.qi, "qi")?,
            ];
            let [d, p, q, dp, dq, qi] = &parts;
            let components = KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                },
                d: d.as_slice(),
                p: p.as_slice(),
                q: q.as_slice(),
                dP: dp.as_slice(),
                dQ: dq.as_slice(),
                qInv: qi.as_slice(),
            };
            let pair = RsaKeyPair::from_components(&components).map_err(rejected)?;
            (Pair::Rsa(pair), Secret::Rsa(parts))
        }
    };
    SigningKey::assemble(jwk.kid, alg, pair, public, secret)
}

#[cfg(test)]
mod tests;
