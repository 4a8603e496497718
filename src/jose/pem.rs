//! PEM armour (RFC 7468) and just enough DER walking to take the private members out of
//! PKCS#8 (RFC 5208/5958) and PKCS#1 (RFC 8017 Appendix A.1.2) documents. ring has validated
//! every document before it gets here; this only recovers what ring does not hand back, for
//! `SigningKey::private_jwk`.
use super::keys::KeyError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

fn invalid(reason: &str) -> KeyError {
    KeyError::Invalid(reason.to_owned())
}

/// RFC 7468 §2: the first BEGIN line, base64 body lines, and the matching END line.
pub(super) fn decode(text: &str) -> Result<(&str, Vec<u8>), KeyError> {
    let mut lines = text.lines().map(str::trim);
    let label = lines
        .by_ref()
        .find_map(|line| line.strip_prefix("-----BEGIN ")?.strip_suffix("-----"))
        .ok_or_else(|| invalid("no PEM BEGIN line"))?;
    let mut body = String::new();
    for line in lines {
        if let Some(end) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            if end != label {
                return Err(invalid("PEM END label does not match BEGIN"));
            }
            return STANDARD
                .decode(&body)
                .map(|der| (label, der))
                .map_err(|_| invalid("PEM body is not base64"));
        }
        body.push_str(line);
    }
    Err(invalid("no PEM END line"))
}

const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const SEQUENCE: u8 = 0x30;

/// A forward-only DER reader over input ring has already validated.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The contents of the next element, which must have tag `tag`.
    fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (&t, rest) = self.0.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            // X.690 §8.1.3.5 long form; three length octets cover any key ring accepts.
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 3 || rest.len() < count {
                return None;
            }
            let (octets, tail) = rest.split_at(count);
            rest = tail;
            octets.iter().fold(0, |acc, &b| acc << 8 | usize::from(b))
        };
        if t != tag || rest.len() < len {
            return None;
        }
        let (value, tail) = rest.split_at(len);
        self.0 = tail;
        Some(value)
    }
}

/// RFC 5208 §5: `SEQUENCE { version, privateKeyAlgorithm, privateKey OCTET STRING, ... }`.
fn pkcs8_private_key(der: &[u8]) -> Result<&[u8], KeyError> {
    let walk = || {
        let mut info = Der(Der(der).read(SEQUENCE)?);
        info.read(INTEGER)?;
        info.read(SEQUENCE)?;
        info.read(OCTET_STRING)
    };
    walk().ok_or_else(|| invalid("malformed PKCS#8"))
}

/// RFC 5915 §3: `ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, ... }`; `d` is
/// left-padded to the coordinate length as RFC 7518 §6.2.2.1 requires.
pub(super) fn pkcs8_ec_d(pkcs8: &[u8], len: usize) -> Result<Vec<u8>, KeyError> {
    let inner = pkcs8_private_key(pkcs8)?;
    let walk = || {
        let mut key = Der(Der(inner).read(SEQUENCE)?);
        key.read(INTEGER)?;
        key.read(OCTET_STRING)
    };
    let d = walk().ok_or_else(|| invalid("malformed ECPrivateKey"))?;
    let pad = len
        .checked_sub(d.len())
        .ok_or_else(|| invalid("EC private key too long"))?;
    let mut out = vec![0; pad];
    out.extend_from_slice(d);
    Ok(out)
}

/// RSA `d`, `p`, `q`, `dp`, `dq`, `qi` from a PKCS#8 document.
pub(super) fn pkcs8_rsa_parts(pkcs8: &[u8]) -> Result<[Vec<u8>; 6], KeyError> {
    pkcs1_rsa_parts(pkcs8_private_key(pkcs8)?)
}

/// RFC 8410 §7: privateKey holds `CurvePrivateKey ::= OCTET STRING`, the 32-octet seed.
pub(super) fn pkcs8_ed25519_seed(pkcs8: &[u8]) -> Result<Vec<u8>, KeyError> {
    let seed = Der(pkcs8_private_key(pkcs8)?).read(OCTET_STRING);
    seed.map(<[u8]>::to_vec)
        .ok_or_else(|| invalid("malformed Ed25519 private key"))
}

/// RFC 8017 A.1.2: `RSAPrivateKey ::= SEQUENCE { version, n, e, d, p, q, dP, dQ, qInv }`;
/// returns `d`, `p`, `q`, `dp`, `dq`, `qi`.
pub(super) fn pkcs1_rsa_parts(der: &[u8]) -> Result<[Vec<u8>; 6], KeyError> {
    let walk = || {
        let mut key = Der(Der(der).read(SEQUENCE)?);
        for _ in 0..3 {
            key.read(INTEGER)?; // version, n, e
        }
        let mut next = || key.read(INTEGER).map(unsigned);
        Some([next()?, next()?, next()?, next()?, next()?, next()?])
    };
    walk().ok_or_else(|| invalid("malformed RSAPrivateKey"))
}

/// A DER INTEGER's content octets as a JWK Base64urlUInt value (RFC 7518 §2): no leading zeros.
fn unsigned(int: &[u8]) -> Vec<u8> {
    let start = int.iter().position(|&b| b != 0).unwrap_or(int.len());
    int[start..].to_vec()
}

#[cfg(test)]
mod tests;
