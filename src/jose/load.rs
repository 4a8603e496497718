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
        kty: jwk.kty.clone(),
        crv: jwk.crv.clone(),
        x: jwk.x.clone(),
        y: jwk.y.clone(),
        n: jwk.n.clone(),
        e: jwk.e.clone(),
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
mod tests {
    use super::*;
    use crate::jose::jwk::tests::{RFC8037_X, RFC9449_X};
    use crate::jose::testdata;
    use serde_json::json;

    /// RFC 8037 Appendix A.1 private key.
    const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";

    fn invalid_contains(result: Result<SigningKey, KeyError>, text: &str) {
        match result {
            Err(KeyError::Invalid(reason)) => {
                assert!(reason.contains(text), "{reason:?} lacks {text:?}")
            }
            other => panic!("expected Invalid({text:?}), got {other:?}"),
        }
    }

    #[test]
    fn loads_openssl_pem() {
        let cases = [
            (testdata::RSA_PKCS8, Alg::RS256, testdata::RSA_JKT),
            (testdata::RSA_PKCS1, Alg::RS256, testdata::RSA_JKT),
            (testdata::EC_P256_PKCS8, Alg::ES256, testdata::EC_P256_JKT),
            (testdata::EC_P384_PKCS8, Alg::ES384, testdata::EC_P384_JKT),
            (testdata::ED25519_PKCS8, Alg::EdDSA, testdata::ED25519_JKT),
        ];
        for (pem, alg, jkt) in cases {
            let key = SigningKey::from_pem(pem, None, None).unwrap();
            assert_eq!((key.alg(), key.kid()), (alg, jkt));
            assert_eq!(key.public().thumbprint().as_str(), jkt);
            let key = SigningKey::from_pem(pem, Some(alg), Some("kid-1".into())).unwrap();
            assert_eq!((key.alg(), key.kid()), (alg, "kid-1"));
        }
        let rsa = SigningKey::from_pem(testdata::RSA_PKCS1, Some(Alg::PS384), None).unwrap();
        assert_eq!(rsa.alg(), Alg::PS384);
        assert_eq!(rsa.public().rsa_bits(), Some(2048));
        // PKCS#1 and PKCS#8 forms of one key give the same private members.
        let pkcs8 = SigningKey::from_pem(testdata::RSA_PKCS8, Some(Alg::PS384), None).unwrap();
        assert_eq!(rsa.private_jwk(), pkcs8.private_jwk());
        // Surrounding text and CRLF line ends are tolerated.
        let crlf = format!(
            "comment\r\n{}",
            testdata::EC_P256_PKCS8.replace('\n', "\r\n")
        );
        assert_eq!(
            SigningKey::from_pem(&crlf, None, None).unwrap().kid(),
            testdata::EC_P256_JKT
        );
    }

    #[test]
    fn refuses_bad_pem() {
        let ec = testdata::EC_P256_PKCS8;
        let cases: Vec<(String, Option<Alg>, &str)> = vec![
            (ec.into(), Some(Alg::ES384), "does not fit"),
            (ec.into(), Some(Alg::RS256), "does not fit"),
            (testdata::RSA_PKCS8.into(), Some(Alg::ES256), "does not fit"),
            (
                testdata::ED25519_PKCS8.into(),
                Some(Alg::ES256),
                "does not fit",
            ),
            (testdata::RSA_PKCS1.into(), Some(Alg::EdDSA), "does not fit"),
            (String::new(), None, "no PEM BEGIN"),
            ("MIIB".into(), None, "no PEM BEGIN"),
            (
                ec.replace("-----END PRIVATE KEY-----\n", ""),
                None,
                "no PEM END",
            ),
            (
                ec.replace("END PRIVATE KEY", "END RSA PRIVATE KEY"),
                None,
                "does not match",
            ),
            (ec.replace("MIGHAgEA", "MIGHAgE*"), None, "not base64"),
            (
                ec.replace("PRIVATE KEY", "PUBLIC KEY"),
                None,
                "unsupported PEM label",
            ),
            (ec.replace("PRIVATE KEY", "EC PRIVATE KEY"), None, "SEC 1"),
            (
                ec.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"),
                None,
                "encrypted",
            ),
            (
                ec.replace("PRIVATE KEY", "RSA PRIVATE KEY"),
                None,
                "rejected the key",
            ),
            (
                testdata::RSA_PKCS1.replace("RSA PRIVATE KEY", "PRIVATE KEY"),
                None,
                "not an EC",
            ),
        ];
        for (pem, alg, reason) in cases {
            invalid_contains(SigningKey::from_pem(&pem, alg, None), reason);
        }
    }

    #[test]
    fn rfc8037_private_key_loads_from_jwk() {
        let jwk = json!({"kty":"OKP","crv":"Ed25519","d":RFC8037_D,"x":RFC8037_X});
        let key = SigningKey::from_jwk(&jwk).unwrap();
        assert_eq!(
            key.public(),
            &PublicJwk::Ed25519 {
                x: b64::decode(RFC8037_X).unwrap().try_into().unwrap()
            }
        );
        assert_eq!(key.alg(), Alg::EdDSA);
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        // RFC 8037 A.4: Ed25519 is deterministic, so the RFC's signature is reproduced.
        let sig = key
            .sign(b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc")
            .unwrap();
        assert_eq!(
            b64::encode(sig.as_ref()),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
        // A seed that does not derive `x` is refused.
        let mut wrong = jwk.clone();
        wrong["x"] = RFC9449_X.into();
        invalid_contains(SigningKey::from_jwk(&wrong), "InconsistentComponents");
    }

    #[test]
    fn jwk_members_and_alg() {
        let ec = SigningKey::generate(Alg::ES256, Some("ec".into()))
            .unwrap()
            .private_jwk();
        let rsa = SigningKey::from_pem(testdata::RSA_PKCS8, None, None)
            .unwrap()
            .private_jwk();
        let with = |base: &serde_json::Value, name: &str, value: serde_json::Value| {
            let mut jwk = base.clone();
            jwk[name] = value;
            jwk
        };
        let without = |base: &serde_json::Value, name: &str| {
            let mut jwk = base.clone();
            jwk.as_object_mut().unwrap().remove(name);
            jwk
        };
        // `kid` and `alg` are optional: thumbprint and key-type default.
        let bare = without(&without(&ec, "kid"), "alg");
        let key = SigningKey::from_jwk(&bare).unwrap();
        assert_eq!(
            (key.alg(), key.kid()),
            (Alg::ES256, key.public().thumbprint().as_str())
        );
        let key = SigningKey::from_jwk(&with(&rsa, "alg", "PS256".into())).unwrap();
        assert_eq!(key.alg(), Alg::PS256);
        assert!(SigningKey::from_jwk(&with(&ec, "use", "sig".into())).is_ok());

        let other = SigningKey::generate(Alg::ES256, None)
            .unwrap()
            .private_jwk();
        let short_d = b64::encode(&b64::decode(ec["d"].as_str().unwrap()).unwrap()[1..]);
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (with(&ec, "alg", "ES384".into()), "does not fit"),
            (with(&ec, "alg", "RS256".into()), "does not fit"),
            (with(&rsa, "alg", "ES256".into()), "does not fit"),
            (with(&ec, "alg", "none".into()), "unknown alg"),
            (with(&ec, "alg", "HS256".into()), "unknown alg"),
            (with(&ec, "alg", "es256".into()), "unknown alg"),
            (with(&ec, "use", "enc".into()), "use"),
            (with(&ec, "kid", 7.into()), "invalid type"),
            (without(&ec, "d"), "no d"),
            (with(&ec, "d", "AA==".into()), "d is not base64url"),
            (with(&ec, "d", short_d.into()), "curve's length"),
            (
                with(&with(&ec, "x", other["x"].clone()), "y", other["y"].clone()),
                "rejected the key: InconsistentComponents",
            ),
            (
                with(&ec, "x", other["x"].clone()),
                "EC public key is not a point on the curve",
            ),
            (with(&ec, "crv", "P-521".into()), "curve"),
            (without(&rsa, "p"), "no p"),
            (without(&rsa, "qi"), "no qi"),
            (with(&rsa, "dp", rsa["dq"].clone()), "cannot sign"),
            (with(&rsa, "oth", json!([])), "oth"),
            (json!({"kty":"oct","k":"AAAA"}), "symmetric"),
            (json!({"kty":"EC","k":"AAAA"}), "symmetric"),
            (
                json!({"kty":"OKP","crv":"Ed25519","x":RFC8037_X,"d":b64::encode(&[1; 32])}),
                "InconsistentComponents",
            ),
            (
                json!({"kty":"OKP","crv":"Ed25519","x":RFC8037_X,"d":b64::encode(&[1; 31])}),
                "InvalidEncoding",
            ),
            (json!({"kty":"RSA"}), "jwk member n is missing"),
            (json!({}), "no kty"),
            (json!([]), "not a JSON object"),
            (json!(["EC", "P-256"]), "not a JSON object"),
        ];
        for (jwk, reason) in cases {
            invalid_contains(SigningKey::from_jwk(&jwk), reason);
        }
    }
}
