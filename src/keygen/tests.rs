//! Unit tests of `keygen`.
use super::*;

#[test]
fn generated_key_loads_back_and_signs() {
    for alg in ["ES256", "EdDSA", "ES384"] {
        let out = run(&["--alg".into(), alg.into(), "--kid".into(), "k1".into()]).unwrap();
        let jwk = out
            .lines()
            .find_map(|l| l.strip_prefix("jwk = '"))
            .and_then(|l| l.strip_suffix('\''))
            .unwrap();
        let key = SigningKey::from_jwk(&serde_json::from_str(jwk).unwrap()).unwrap();
        assert_eq!((key.alg().name(), key.kid()), (alg, "k1"));
        let sealing = out
            .lines()
            .find_map(|l| l.strip_prefix("key = \""))
            .unwrap()
            .trim_end_matches('"');
        assert_eq!(crate::jose::b64::decode(sealing).unwrap().len(), 32);
    }
}

#[test]
fn rsa_and_bad_flags_are_explained() {
    assert!(
        matches!(run(&["--alg".into(), "PS256".into()]), Err(KeygenError::Unsupported(m)) if m.contains("openssl"))
    );
    assert_eq!(run(&["--alg".into()]), Err(KeygenError::Usage));
    assert_eq!(run(&["--bits".into(), "1".into()]), Err(KeygenError::Usage));
}
