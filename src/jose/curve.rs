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
mod tests;
