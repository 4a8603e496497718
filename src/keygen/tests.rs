//! Unit tests of `keygen`.
use super::*;

#[test]
fn generated_key_loads_back_and_signs() {
    for alg in ["ES256", "EdDSA", "ES384"] {
        let out = run(alg.parse().unwrap(), Some("k1".into())).unwrap();
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
fn rsa_keys_are_explained() {
    let refused = run(Alg::PS256, None);
    assert!(
        matches!(&refused, Err(KeygenError::Unsupported(m)) if m.contains("openssl")),
        "{refused:?}"
    );
}
