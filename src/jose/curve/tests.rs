//! Unit tests of `jose::curve`.
use super::*;
use crate::jose::b64;
use crate::jose::jwk::tests::{RFC9449_X, RFC9449_Y};
use proptest::prelude::*;
use ring::agreement;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use ring::signature::{EcdsaSigningAlgorithm, ECDSA_P384_SHA384_FIXED_SIGNING};

const CURVES: [(EcCurve, &EcdsaSigningAlgorithm, &agreement::Algorithm); 2] = [
    (
        EcCurve::P256,
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &agreement::ECDH_P256,
    ),
    (
        EcCurve::P384,
        &ECDSA_P384_SHA384_FIXED_SIGNING,
        &agreement::ECDH_P384,
    ),
];

/// ring's own public key validation, reached through ECDH with a throwaway key: the
/// reference every answer here is held to.
fn ring_accepts(alg: &'static agreement::Algorithm, x: &[u8], y: &[u8]) -> bool {
    let point = [&[4u8][..], x, y].concat();
    let ours = agreement::EphemeralPrivateKey::generate(alg, &SystemRandom::new()).unwrap();
    let peer = agreement::UnparsedPublicKey::new(alg, &point);
    agreement::agree_ephemeral(ours, &peer, |_| ()).is_ok()
}

/// The coordinates of a fresh ring key pair's public key.
fn generated(alg: &'static EcdsaSigningAlgorithm) -> (Vec<u8>, Vec<u8>) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref();
    let len = (point.len() - 1) / 2;
    (point[1..1 + len].to_vec(), point[1 + len..].to_vec())
}

fn be(limbs: &[u64]) -> Vec<u8> {
    limbs.iter().rev().flat_map(|l| l.to_be_bytes()).collect()
}

/// −y mod p: the other point with the same x.
fn negated(curve: EcCurve, y: &[u8]) -> Vec<u8> {
    match curve {
        EcCurve::P256 => be(&P256.sub(&[0; 4], &P256.element(y).unwrap())),
        EcCurve::P384 => be(&P384.sub(&[0; 6], &P384.element(y).unwrap())),
    }
}

fn prime(curve: EcCurve) -> Vec<u8> {
    match curve {
        EcCurve::P256 => be(&P256.p),
        EcCurve::P384 => be(&P384.p),
    }
}

/// `value` + `k` as a big-endian number of the same length (wrapping).
fn plus(value: &[u8], k: u8) -> Vec<u8> {
    let mut out = value.to_vec();
    let mut carry = k as u16;
    for byte in out.iter_mut().rev() {
        let s = *byte as u16 + carry;
        *byte = s as u8;
        carry = s >> 8;
    }
    out
}

#[test]
fn montgomery_constants_invert_the_prime() {
    assert_eq!(P256.p[0].wrapping_mul(P256.p_inv), u64::MAX);
    assert_eq!(P384.p[0].wrapping_mul(P384.p_inv), u64::MAX);
}

#[test]
fn rfc9449_figure_4_key_is_on_p256() {
    let x = b64::decode(RFC9449_X).unwrap();
    let y = b64::decode(RFC9449_Y).unwrap();
    assert!(is_on_curve(EcCurve::P256, &x, &y));
    let mut off = y.clone();
    off[31] ^= 1;
    assert!(!is_on_curve(EcCurve::P256, &x, &off));
}

#[test]
fn points_are_judged_as_ring_judges_them() {
    for (curve, signing, agreement) in CURVES {
        let len = curve.coordinate_len();
        let (x, y) = generated(signing);
        let p = prime(curve);
        let zero = vec![0u8; len];
        let mut flipped = y.clone();
        flipped[len - 1] ^= 1;
        let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
            ("a generated key", x.clone(), y.clone()),
            ("its negation", x.clone(), negated(curve, &y)),
            ("y with its last bit flipped", x.clone(), flipped),
            ("x and y swapped", y.clone(), x.clone()),
            ("y = p", x.clone(), p.clone()),
            ("x = p", p.clone(), y.clone()),
            ("x = p + 1", plus(&p, 1), y.clone()),
            ("y = p − 1", x.clone(), {
                let mut v = p.clone();
                v[len - 1] -= 1;
                v
            }),
            ("x = y = 0", zero.clone(), zero.clone()),
            ("x = 0, y = 0xff…", zero.clone(), vec![0xff; len]),
            ("all 0xff", vec![0xff; len], vec![0xff; len]),
        ];
        for (name, x, y) in cases {
            assert_eq!(
                is_on_curve(curve, &x, &y),
                ring_accepts(agreement, &x, &y),
                "{curve:?}: {name}"
            );
        }
        assert!(is_on_curve(curve, &x, &y), "{curve:?}");
        assert!(!is_on_curve(curve, &x[1..], &y), "{curve:?}: short x");
        assert!(
            !is_on_curve(curve, &x, &[&y[..], &[0]].concat()),
            "{curve:?}: long y"
        );
    }
}

#[test]
fn the_other_curves_keys_are_refused() {
    let (x, y) = generated(&ECDSA_P256_SHA256_FIXED_SIGNING);
    assert!(!is_on_curve(EcCurve::P384, &x, &y));
    let (x, y) = generated(&ECDSA_P384_SHA384_FIXED_SIGNING);
    assert!(!is_on_curve(EcCurve::P256, &x, &y));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Generated keys, their negations, and each with one bit of either coordinate
    /// flipped: the answer is always ring's.
    #[test]
    fn agrees_with_ring(curve_index in 0..2usize, bit in 0..384usize, in_x: bool) {
        let (curve, signing, agreement) = CURVES[curve_index];
        let (x, y) = generated(signing);
        let y_neg = negated(curve, &y);
        prop_assert!(is_on_curve(curve, &x, &y));
        prop_assert!(is_on_curve(curve, &x, &y_neg));
        let bit = bit % (8 * curve.coordinate_len());
        let (mut x2, mut y2) = (x.clone(), y.clone());
        let target = if in_x { &mut x2 } else { &mut y2 };
        target[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(is_on_curve(curve, &x2, &y2), ring_accepts(agreement, &x2, &y2));
    }

    /// Arbitrary coordinates, almost all off the curve.
    #[test]
    fn random_coordinates_agree_with_ring(
        curve_index in 0..2usize,
        x in proptest::collection::vec(any::<u8>(), 48),
        y in proptest::collection::vec(any::<u8>(), 48),
    ) {
        let (curve, _, agreement) = CURVES[curve_index];
        let len = curve.coordinate_len();
        let (x, y) = (&x[..len], &y[..len]);
        prop_assert_eq!(is_on_curve(curve, x, y), ring_accepts(agreement, x, y));
    }
}
