//! Unit tests of `jose::load`.
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
