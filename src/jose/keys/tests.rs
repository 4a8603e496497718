//! Unit tests of `jose::keys`.
use super::*;
use crate::jose::jws::CompactJws;
use crate::jose::testdata;

/// Checks `token` against `key`'s public JWK and returns its header and payload.
fn check(key: &SigningKey, token: &str) -> (Value, Vec<u8>) {
    let jws = CompactJws::parse(token).unwrap();
    let input = jws.signing_input.as_bytes();
    assert_eq!(
        key.public().verify(key.alg(), input, &jws.signature),
        Ok(()),
        "{key:?}"
    );
    (jws.header_as().unwrap(), jws.payload)
}

fn all_keys() -> Vec<SigningKey> {
    let mut keys: Vec<SigningKey> = [Alg::ES256, Alg::ES384, Alg::EdDSA]
        .into_iter()
        .map(|alg| SigningKey::generate(alg, None).unwrap())
        .collect();
    for alg in [
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
    ] {
        keys.push(
            SigningKey::from_pem(testdata::RSA_PKCS8, Some(alg), Some(alg.name().into())).unwrap(),
        );
    }
    keys
}

#[test]
fn sign_verify_round_trips() {
    for key in all_keys() {
        for typ in ["at+jwt", "JWT", "dpop+jwt", "a\"b\\c\u{1}"] {
            let payload = br#"{"sub":"alice","n":1}"#;
            let token = key.sign_compact(typ, payload).unwrap();
            let (header, body) = check(&key, &token);
            let want = serde_json::json!({"alg": key.alg().name(), "typ": typ, "kid": key.kid()});
            assert_eq!(header, want, "{key:?} {typ:?}");
            assert_eq!(body, payload);
            // Header members in the documented order, whether cached or not.
            let raw = String::from_utf8(CompactJws::parse(&token).unwrap().header).unwrap();
            assert!(
                raw.starts_with(&format!("{{\"alg\":\"{}\",\"typ\":", key.alg())),
                "{raw}"
            );
            // Tampering with the signed payload breaks the signature.
            let jws = CompactJws::parse(&token).unwrap();
            let mut other = jws.signing_input.to_owned();
            other.push('A');
            assert!(key
                .public()
                .verify(key.alg(), other.as_bytes(), &jws.signature)
                .is_err());
        }
    }
}

#[test]
fn sign_raw_signs_any_input() {
    for key in all_keys() {
        let input = b"eyJhbGciOiJFUzI1NiJ9.e30";
        let sig = key.sign_raw(input).unwrap();
        assert_eq!(
            key.public().verify(key.alg(), input, &sig),
            Ok(()),
            "{key:?}"
        );
    }
}

#[test]
fn generated_keys_default_kid_to_thumbprint() {
    for alg in [Alg::ES256, Alg::ES384, Alg::EdDSA] {
        let key = SigningKey::generate(alg, None).unwrap();
        assert_eq!(key.alg(), alg);
        assert_eq!(key.kid(), key.public().thumbprint().as_str());
        assert!(key.public().accepts(alg));
        let named = SigningKey::generate(alg, Some("k1".into())).unwrap();
        assert_eq!(named.kid(), "k1");
    }
    for alg in [Alg::RS256, Alg::PS512] {
        assert_eq!(
            SigningKey::generate(alg, None).unwrap_err(),
            KeyError::Unsupported(alg.name())
        );
    }
}

#[test]
fn private_jwk_round_trips() {
    for key in all_keys() {
        let private = key.private_jwk();
        assert_eq!(private["kid"], key.kid());
        assert_eq!(private["alg"], key.alg().name());
        assert!(private.get("d").is_some());
        let again = SigningKey::from_jwk(&private).unwrap();
        assert_eq!(again.kid(), key.kid());
        assert_eq!(again.alg(), key.alg());
        assert_eq!(again.public(), key.public());
        assert_eq!(again.private_jwk(), private);
        // A token from the reloaded key verifies with the original public key.
        check(&key, &again.sign_compact("JWT", b"{}").unwrap());
    }
}

#[test]
fn public_jwk_is_public() {
    for key in all_keys() {
        let public = key.public_jwk();
        let mut want = key.public().to_json();
        want.insert("kid".into(), key.kid().into());
        want.insert("alg".into(), key.alg().name().into());
        want.insert("use".into(), "sig".into());
        assert_eq!(public, Value::Object(want));
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(public.get(private).is_none());
        }
    }
}

#[test]
fn keys_can_be_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<SigningKey>();
    shared::<KeySet>();
}

#[test]
fn debug_does_not_show_secrets() {
    let key = SigningKey::generate(Alg::ES256, Some("k".into())).unwrap();
    assert_eq!(format!("{key:?}"), "SigningKey { kid: \"k\", alg: ES256 }");
}
