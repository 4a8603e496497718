//! JWK parsing (RFC 7517/7518/8037) and RFC 7638 thumbprints on arbitrary JSON: `JwkMembers`
//! from the bytes, `PublicJwk::from_members`, the thumbprint, and verification with the key.
//! Asserts: no panic; a thumbprint is a well-formed `Jkt`; the key's `to_json` parses back
//! into the same key with the same thumbprint; an all-zero signature never verifies.
#![no_main]
use dpopd::jose::{Alg, Jkt, JwkMembers, PublicJwk};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(members) = serde_json::from_slice::<JwkMembers>(data) else {
        return;
    };
    let Ok(key) = PublicJwk::from_members(&members) else {
        return;
    };
    let jkt = key.thumbprint();
    assert!(
        Jkt::parse(jkt.as_str()).is_ok(),
        "thumbprint {jkt:?} is not a Jkt"
    );

    let json = serde_json::Value::Object(key.to_json()).to_string();
    let again: JwkMembers = serde_json::from_str(&json).expect("to_json output is a JWK object");
    let again = PublicJwk::from_members(&again).expect("to_json output is a valid key");
    assert_eq!(again, key, "to_json round trip changed the key");
    assert_eq!(
        again.thumbprint(),
        jkt,
        "to_json round trip changed the thumbprint"
    );

    // Exercises the point and modulus checks behind verification; zeros are never a signature.
    for alg in Alg::ALL.into_iter().filter(|a| key.accepts(*a)) {
        let len = match &key {
            PublicJwk::Rsa { n, .. } => n.len(),
            _ if alg == Alg::ES384 => 96,
            _ => 64,
        };
        assert!(key.verify(alg, b"dpopd fuzz", &vec![0u8; len]).is_err());
    }
});
