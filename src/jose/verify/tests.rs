//! Unit tests of `jose::verify`.
use super::*;
use crate::jose::b64;
use crate::jose::jwk::tests::{parse, RFC7638_N, RFC9449_X, RFC9449_Y};
use crate::jose::jwk::JwkMembers;
use crate::jose::jws::CompactJws;
use serde::Deserialize;

/// RFC 9449 §4.1 Figure 4.
const RFC9449_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
/// The same claims signed with the RFC 8037 Appendix A Ed25519 key.
const EDDSA_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVkRFNBIiwiandrIjp7Imt0eSI6Ik9LUCIsImNydiI6IkVkMjU1MTkiLCJ4IjoiMTFxWUFZS3hDcmZWU183VHlXUUhPZzdoY3ZQYXBpTWxyd0lhYVBjSFVSbyJ9fQ.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.gcDRjExW3ZIHJ5dBAZKOJdHZuJYnSYQcO58EG_WF3r5f70D0yMhPC9CTdsUb2KroDTUvWwEPS68WErHc70ptDA";

#[derive(Deserialize)]
struct ProofHeader<'a> {
    alg: String,
    #[serde(borrow)]
    jwk: JwkMembers<'a>,
}

/// The proof's signing input, signature, header alg and key.
fn open(token: &str) -> (String, Vec<u8>, Alg, PublicJwk) {
    let jws = CompactJws::parse(token).unwrap();
    let header: ProofHeader = jws.header_borrowed().unwrap();
    let key = PublicJwk::from_members(&header.jwk).unwrap();
    let alg = Alg::from_name(&header.alg).unwrap();
    (
        jws.signing_input.to_owned(),
        jws.signature.clone(),
        alg,
        key,
    )
}

#[test]
fn rfc9449_figure_4_proof_verifies() {
    let (input, sig, alg, key) = open(RFC9449_PROOF);
    assert_eq!(alg, Alg::ES256);
    assert_eq!(
        key.thumbprint().as_str(),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
    assert_eq!(key.verify(alg, input.as_bytes(), &sig), Ok(()));
}

/// Key, alg, signing input, signature and the expected error.
type Case<'a> = (&'a PublicJwk, Alg, &'a [u8], &'a [u8], SignatureError);

#[test]
fn ecdsa_failures_are_classified() {
    let (input, sig, alg, key) = open(RFC9449_PROOF);
    let input = input.as_bytes();
    let mut flipped = sig.clone();
    flipped[10] ^= 0x01;
    // A DER `Ecdsa-Sig-Value` of two 33-octet INTEGERs: 2 + 2 * (2 + 33) = 72; a
    // typical one is 70-72 octets. Either way not R || S.
    let mut der = vec![0x30, 68, 0x02, 32];
    der.extend_from_slice(&sig[..32]);
    der.extend_from_slice(&[0x02, 32]);
    der.extend_from_slice(&sig[32..]);
    assert_eq!(der.len(), 70);
    let PublicJwk::Ec { curve, x, mut y } = key.clone() else {
        panic!("EC key")
    };
    y[5] ^= 0x01;
    let off_curve = PublicJwk::Ec {
        curve,
        x: x.clone(),
        y,
    };
    // The curve's prime p itself is out of range for a coordinate.
    let p256 = b64::decode("_____wAAAAEAAAAAAAAAAAAAAAD_______________8").unwrap();
    let unreduced = PublicJwk::Ec {
        curve,
        x: p256,
        y: b64::decode(RFC9449_Y).unwrap(),
    };
    let short = PublicJwk::Ec {
        curve,
        x: x[..31].to_vec(),
        y: x.clone(),
    };
    let cases: Vec<Case> = vec![
        (&key, alg, input, &flipped, SignatureError::Invalid),
        (&key, alg, b"other input", &sig, SignatureError::Invalid),
        (&key, alg, input, &der, SignatureError::BadLength),
        (&key, alg, input, &sig[..63], SignatureError::BadLength),
        (&key, alg, input, &[], SignatureError::BadLength),
        (
            &key,
            Alg::ES384,
            input,
            &sig,
            SignatureError::AlgKeyMismatch,
        ),
        (
            &key,
            Alg::RS256,
            input,
            &sig,
            SignatureError::AlgKeyMismatch,
        ),
        (
            &key,
            Alg::EdDSA,
            input,
            &sig,
            SignatureError::AlgKeyMismatch,
        ),
        (
            &off_curve,
            alg,
            input,
            &sig,
            SignatureError::PointNotOnCurve,
        ),
        (
            &unreduced,
            alg,
            input,
            &sig,
            SignatureError::PointNotOnCurve,
        ),
        (&short, alg, input, &sig, SignatureError::PointNotOnCurve),
    ];
    for (i, (key, alg, input, sig, want)) in cases.into_iter().enumerate() {
        assert_eq!(key.verify(alg, input, sig), Err(want), "case {i}");
    }
}

#[test]
fn eddsa_proof_verifies() {
    let (input, sig, alg, key) = open(EDDSA_PROOF);
    assert_eq!(alg, Alg::EdDSA);
    assert_eq!(key.verify(alg, input.as_bytes(), &sig), Ok(()));
    let mut flipped = sig.clone();
    flipped[63] ^= 0x40;
    let cases: Vec<(Alg, &[u8], SignatureError)> = vec![
        (alg, &flipped, SignatureError::Invalid),
        (alg, &sig[..63], SignatureError::BadLength),
        (Alg::ES256, &sig, SignatureError::AlgKeyMismatch),
        (Alg::PS256, &sig, SignatureError::AlgKeyMismatch),
    ];
    for (alg, sig, want) in cases {
        assert_eq!(key.verify(alg, input.as_bytes(), sig), Err(want), "{alg}");
    }
}

#[test]
fn accepts_follows_the_key_family() {
    let p256 = parse(&format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{RFC9449_X}","y":"{RFC9449_Y}"}}"#
    ))
    .unwrap();
    let p384 = PublicJwk::Ec {
        curve: EcCurve::P384,
        x: vec![1; 48],
        y: vec![1; 48],
    };
    let rsa = parse(&format!(r#"{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB"}}"#)).unwrap();
    let ed = PublicJwk::Ed25519 { x: [0; 32] };
    for alg in Alg::ALL {
        let want = [
            (&p256, alg == Alg::ES256),
            (&p384, alg == Alg::ES384),
            (
                &rsa,
                alg.name().starts_with("RS") || alg.name().starts_with("PS"),
            ),
            (&ed, alg == Alg::EdDSA),
        ];
        for (key, accepted) in want {
            assert_eq!(key.accepts(alg), accepted, "{alg} {key:?}");
        }
    }
    // RFC 8017 §8.2.2: an RSA signature must be exactly the modulus length.
    let sig = vec![1u8; 255];
    assert_eq!(
        rsa.verify(Alg::RS256, b"x", &sig),
        Err(SignatureError::BadLength)
    );
    let sig = vec![1u8; 256];
    assert_eq!(
        rsa.verify(Alg::PS512, b"x", &sig),
        Err(SignatureError::Invalid)
    );
}
