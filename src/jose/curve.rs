//! Public key validation for P-256 and P-384 (SEC 1 §3.2.2.1, NIST SP 800-56A §5.6.2.3.3):
//! both affine coordinates are field elements, less than the prime p, and the point satisfies
//! the curve equation y² = x³ − 3x + b (mod p) of FIPS 186-4 §D.1.2. Both curves have cofactor
//! 1, so a point on the curve has the group's prime order, and the identity has no affine
//! coordinates: nothing else is left to check.
//!
//! ring runs this check inside every verification and ECDH but does not expose it, and reports
//! a failed check with the same error as a signature that does not verify. Doing it here lets
//! RFC 9449 §4.3 check 3 refuse such a key as a key, at the cost of a few field
//! multiplications rather than a second scalar multiplication. The inputs are public, so
//! nothing here needs to run in constant time.
use super::jwk::EcCurve;

/// Whether `(x, y)`, big-endian coordinates of `curve`'s length, is a point on `curve`.
pub fn is_on_curve(curve: EcCurve, x: &[u8], y: &[u8]) -> bool {
    match curve {
        EcCurve::P256 => P256.contains(x, y),
        EcCurve::P384 => P384.contains(x, y),
    }
}

/// A prime field of `N` 64-bit limbs (least significant first) and the curve's `b`.
struct Curve<const N: usize> {
    p: [u64; N],
    b: [u64; N],
    /// −p⁻¹ mod 2⁶⁴, for Montgomery reduction.
    p_inv: u64,
}

/// FIPS 186-4 §D.1.2.3.
const P256: Curve<4> = Curve::new(
    [
        0xffff_ffff_ffff_ffff,
        0x0000_0000_ffff_ffff,
        0x0000_0000_0000_0000,
        0xffff_ffff_0000_0001,
    ],
    [
        0x3bce_3c3e_27d2_604b,
        0x651d_06b0_cc53_b0f6,
        0xb3eb_bd55_7698_86bc,
        0x5ac6_35d8_aa3a_93e7,
    ],
);

/// FIPS 186-4 §D.1.2.4.
const P384: Curve<6> = Curve::new(
    [
        0x0000_0000_ffff_ffff,
        0xffff_ffff_0000_0000,
        0xffff_ffff_ffff_fffe,
        0xffff_ffff_ffff_ffff,
        0xffff_ffff_ffff_ffff,
        0xffff_ffff_ffff_ffff,
    ],
    [
        0x2a85_c8ed_d3ec_2aef,
        0xc656_398d_8a2e_d19d,
        0x0314_088f_5013_875a,
        0x181d_9c6e_fe81_4112,
        0x988e_056b_e3f8_2d19,
        0xb331_2fa7_e23e_e7e4,
    ],
);

impl<const N: usize> Curve<N> {
    const fn new(p: [u64; N], b: [u64; N]) -> Curve<N> {
        // Newton's iteration doubles the correct low bits of p₀⁻¹ each round: 1 → 64 in 6.
        let mut inv: u64 = 1;
        let mut round = 0;
        while round < 6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p[0].wrapping_mul(inv)));
            round += 1;
        }
        Curve {
            p,
            b,
            p_inv: inv.wrapping_neg(),
        }
    }

    fn contains(&self, x: &[u8], y: &[u8]) -> bool {
        let (Some(x), Some(y)) = (self.element(x), self.element(y)) else {
            return false;
        };
        let mut one = [0u64; N];
        one[0] = 1;
        // mul(a, b) is a·b·R⁻¹ (R = 2^(64·N)); every term is brought to the same factor R⁻²,
        // and R is invertible mod p, so the comparison is that of y² and x³ − 3x + b.
        let lhs = self.mul(&self.mul(&y, &y), &one);
        let x3 = self.mul(&self.mul(&x, &x), &x);
        let x1 = self.mul(&self.mul(&x, &one), &one);
        let b1 = self.mul(&self.mul(&self.b, &one), &one);
        let three_x = self.add(&self.add(&x1, &x1), &x1);
        let rhs = self.add(&self.sub(&x3, &three_x), &b1);
        lhs == rhs
    }

    /// The big-endian octets as limbs, when they are exactly `8·N` of them and less than p.
    fn element(&self, octets: &[u8]) -> Option<[u64; N]> {
        if octets.len() != 8 * N {
            return None;
        }
        let mut limbs = [0u64; N];
        for (i, chunk) in octets.rchunks_exact(8).enumerate() {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            limbs[i] = u64::from_be_bytes(word);
        }
        less_than(&limbs, &self.p).then_some(limbs)
    }

    /// (a + b) mod p, for a, b < p.
    fn add(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let (sum, carry) = add_limbs(a, b);
        if carry || !less_than(&sum, &self.p) {
            sub_limbs(&sum, &self.p).0
        } else {
            sum
        }
    }

    /// (a − b) mod p, for a, b < p.
    fn sub(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let (difference, borrow) = sub_limbs(a, b);
        if borrow {
            add_limbs(&difference, &self.p).0
        } else {
            difference
        }
    }

    /// Montgomery multiplication, a·b·R⁻¹ mod p for a, b < p (coarsely integrated operand
    /// scanning: Koç, Acar and Kaliski, "Analyzing and Comparing Montgomery Multiplication
    /// Algorithms", 1996).
    fn mul(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        // t has N + 2 limbs: N for the running value, two for its carries.
        let mut t = [0u64; 8];
        for &b_i in b {
            let mut carry = 0u128;
            for j in 0..N {
                let s = t[j] as u128 + a[j] as u128 * b_i as u128 + carry;
                t[j] = s as u64;
                carry = s >> 64;
            }
            let s = t[N] as u128 + carry;
            t[N] = s as u64;
            t[N + 1] = (s >> 64) as u64;
            // Adding m·p makes the lowest limb zero; dropping it divides by 2⁶⁴.
            let m = t[0].wrapping_mul(self.p_inv);
            let mut carry = (t[0] as u128 + m as u128 * self.p[0] as u128) >> 64;
            for j in 1..N {
                let s = t[j] as u128 + m as u128 * self.p[j] as u128 + carry;
                t[j - 1] = s as u64;
                carry = s >> 64;
            }
            let s = t[N] as u128 + carry;
            t[N - 1] = s as u64;
            t[N] = t[N + 1] + (s >> 64) as u64;
        }
        // Here t < 2p: one subtraction of p at most.
        let mut out = [0u64; N];
        out.copy_from_slice(&t[..N]);
        if t[N] != 0 || !less_than(&out, &self.p) {
            out = sub_limbs(&out, &self.p).0;
        }
        out
    }
}

fn less_than<const N: usize>(a: &[u64; N], b: &[u64; N]) -> bool {
    for i in (0..N).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

fn add_limbs<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], bool) {
    let mut out = [0u64; N];
    let mut carry = false;
    for i in 0..N {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(carry as u64);
        out[i] = s;
        carry = c1 || c2;
    }
    (out, carry)
}

fn sub_limbs<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], bool) {
    let mut out = [0u64; N];
    let mut borrow = false;
    for i in 0..N {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(borrow as u64);
        out[i] = d;
        borrow = b1 || b2;
    }
    (out, borrow)
}

#[cfg(test)]
mod tests {
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
}
