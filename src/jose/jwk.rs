//! Public JWKs (RFC 7517, RFC 7518 §6, RFC 8037 §2) as an enum with one variant per key type,
//! and their RFC 7638 SHA-256 thumbprints.
use super::b64;
use ring::digest;
use serde::Deserialize;

/// The members of a JWK object as received. Known members are typed so that a duplicated or
/// mistyped member is a parse error; unknown members are ignored (RFC 7517 §4).
// `remote = "Self"` turns the derive into an inherent `JwkMembers::deserialize`, which the
// `Deserialize` impl below calls only for a JSON object: a derived struct would also accept
// an array of member values, and a JWK is an object (RFC 7517 §4). Call it through the trait
// (`serde_json::from_*`, or as a field); the inherent function skips the object check.
#[derive(Debug, Default, Deserialize)]
#[serde(remote = "Self")]
pub struct JwkMembers {
    pub kty: Option<String>,
    pub crv: Option<String>,
    pub x: Option<String>,
    pub y: Option<String>,
    pub n: Option<String>,
    pub e: Option<String>,
    // private or symmetric members: their presence alone is a refusal (even as `null`, which
    // serde would otherwise read as absent)
    #[serde(default, deserialize_with = "present")]
    pub d: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    pub p: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    pub q: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    pub dp: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    pub dq: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    pub qi: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    pub oth: Option<serde::de::IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    pub k: Option<serde::de::IgnoredAny>,
}

impl<'de> Deserialize<'de> for JwkMembers {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct ObjectOnly;
        impl<'de> serde::de::Visitor<'de> for ObjectOnly {
            type Value = JwkMembers;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JWK object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<JwkMembers, A::Error> {
                JwkMembers::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        de.deserialize_map(ObjectOnly)
    }
}

pub(super) fn present<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<serde::de::IgnoredAny>, D::Error> {
    serde::de::IgnoredAny::deserialize(de).map(Some)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwkError {
    #[error("jwk has no kty")]
    MissingKty,
    #[error("jwk kty is not supported")]
    UnsupportedKty,
    #[error("jwk curve is not supported")]
    UnsupportedCurve,
    #[error("jwk member {0} is missing")]
    MissingMember(&'static str),
    #[error("jwk member {0} is not valid base64url")]
    BadEncoding(&'static str),
    /// EC coordinates not exactly the curve's length, or RSA `n`/`e` with leading zero octets.
    #[error("jwk member {0} is not in canonical form")]
    NonCanonical(&'static str),
    /// RFC 9449 §4.3 check 3: the proof key must not carry private or symmetric material.
    #[error("jwk carries the private member {0}")]
    PrivateMember(&'static str),
    #[error("jwk is not a valid public key")]
    InvalidKey,
    /// SEC 1 §3.2.2.1: EC coordinates that are not a point on the curve (or not less than
    /// the field's prime). Such a key verifies nothing; it is refused as a key.
    #[error("EC public key is not a point on the curve")]
    PointNotOnCurve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcCurve {
    P256,
    P384,
}

impl EcCurve {
    /// The JWK `crv` name (RFC 7518 §6.2.1.1).
    pub fn name(self) -> &'static str {
        match self {
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
        }
    }

    /// Octets per coordinate (RFC 7518 §6.2.1.2: the full field-element length).
    pub fn coordinate_len(self) -> usize {
        match self {
            EcCurve::P256 => 32,
            EcCurve::P384 => 48,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicJwk {
    /// `x` and `y` are exactly the curve's coordinate length (32 or 48 octets).
    Ec {
        curve: EcCurve,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    /// `n` and `e` big-endian without leading zero octets.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ed25519 {
        x: [u8; 32],
    },
}

/// An RFC 7638 SHA-256 thumbprint, base64url without padding: always 43 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Jkt(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a base64url SHA-256 thumbprint")]
pub struct BadJkt;

/// Sealed records carry thumbprints; one that does not parse makes the record unreadable.
impl serde::Serialize for Jkt {
    fn serialize<S: serde::Serializer>(&self, se: S) -> Result<S::Ok, S::Error> {
        se.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Jkt {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(de)?;
        Jkt::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Jkt {
    /// Accepts only a 43-character base64url string that decodes to 32 octets.
    pub fn parse(text: &str) -> Result<Jkt, BadJkt> {
        if text.len() != 43 {
            return Err(BadJkt);
        }
        match b64::decode(text) {
            Ok(bytes) if bytes.len() == 32 => Ok(Jkt(text.to_owned())),
            _ => Err(BadJkt),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison.
    pub fn ct_eq(&self, other: &Jkt) -> bool {
        super::ct_eq(self.0.as_bytes(), other.0.as_bytes())
    }

    /// Wraps a SHA-256 output (32 octets), e.g. one computed over the JWK by the caller.
    pub(crate) fn from_sha256(digest: &[u8]) -> Jkt {
        debug_assert_eq!(digest.len(), 32, "a SHA-256 digest is 32 octets");
        Jkt(b64::encode(digest))
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("alg does not match the key type")]
    AlgKeyMismatch,
    /// ECDSA signatures must be raw r||s of twice the coordinate length (RFC 7518 §3.4).
    #[error("signature has the wrong length")]
    BadLength,
    /// Only for a key built without [`PublicJwk::from_members`], which refuses such a key.
    #[error("EC public key is not a point on the curve")]
    PointNotOnCurve,
    #[error("signature does not verify")]
    Invalid,
}

// `accepts` and `verify` are in verify.rs, with the ring signature code they need.
impl PublicJwk {
    /// Parses and canonical-checks a received JWK (check 3 of RFC 9449 §4.3).
    pub fn from_members(m: &JwkMembers) -> Result<PublicJwk, JwkError> {
        // First, so that a private or symmetric key is always reported as such whatever else
        // is wrong with it.
        let private = [
            ("d", m.d.is_some()),
            ("p", m.p.is_some()),
            ("q", m.q.is_some()),
            ("dp", m.dp.is_some()),
            ("dq", m.dq.is_some()),
            ("qi", m.qi.is_some()),
            ("oth", m.oth.is_some()),
            ("k", m.k.is_some()),
        ];
        if let Some((name, _)) = private.iter().find(|(_, present)| *present) {
            return Err(JwkError::PrivateMember(name));
        }
        match m.kty.as_deref().ok_or(JwkError::MissingKty)? {
            "EC" => {
                let curve = match required(&m.crv, "crv")? {
                    "P-256" => EcCurve::P256,
                    "P-384" => EcCurve::P384,
                    _ => return Err(JwkError::UnsupportedCurve),
                };
                // RFC 7518 §6.2.1.2/3: coordinates are the full field length, never shortened.
                let x = decode_member(&m.x, "x")?;
                if x.len() != curve.coordinate_len() {
                    return Err(JwkError::NonCanonical("x"));
                }
                let y = decode_member(&m.y, "y")?;
                if y.len() != curve.coordinate_len() {
                    return Err(JwkError::NonCanonical("y"));
                }
                if !super::curve::is_on_curve(curve, &x, &y) {
                    return Err(JwkError::PointNotOnCurve);
                }
                Ok(PublicJwk::Ec { curve, x, y })
            }
            "RSA" => {
                // RFC 7518 §6.3.1: Base64urlUInt, the minimum number of octets; a leading zero
                // would give one key two thumbprints.
                let n = decode_member(&m.n, "n")?;
                match n.first() {
                    None => return Err(JwkError::InvalidKey),
                    Some(0) => return Err(JwkError::NonCanonical("n")),
                    Some(_) => {}
                }
                let e = decode_member(&m.e, "e")?;
                match e.first() {
                    None => return Err(JwkError::InvalidKey),
                    Some(0) => return Err(JwkError::NonCanonical("e")),
                    Some(_) => {}
                }
                // An even or tiny exponent is no RSA public key.
                let odd = e.last().is_some_and(|b| b & 1 == 1);
                if !odd || (e.len() == 1 && e[0] < 3) {
                    return Err(JwkError::InvalidKey);
                }
                Ok(PublicJwk::Rsa { n, e })
            }
            "OKP" => {
                // RFC 8037 §2: only the Ed25519 signature curve; X25519 is key agreement.
                if required(&m.crv, "crv")? != "Ed25519" {
                    return Err(JwkError::UnsupportedCurve);
                }
                let x = decode_member(&m.x, "x")?;
                let x: [u8; 32] = x.try_into().map_err(|_| JwkError::NonCanonical("x"))?;
                // A point of small order signs for everyone: with A of order 1, R = identity
                // and S = 0 verify for every message (order 8: one message in eight), so a
                // proof by such a key proves possession of nothing.
                if is_small_order_ed25519(&x) {
                    return Err(JwkError::InvalidKey);
                }
                Ok(PublicJwk::Ed25519 { x })
            }
            "oct" => Err(JwkError::PrivateMember("k")),
            _ => Err(JwkError::UnsupportedKty),
        }
    }

    /// RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace.
    pub fn thumbprint(&self) -> Jkt {
        // The member values are base64url or fixed names, so nothing needs JSON escaping
        // (RFC 7638 §3.3) and the string can be assembled directly.
        let mut json = String::with_capacity(160);
        match self {
            PublicJwk::Ec { curve, x, y } => {
                json.push_str("{\"crv\":\"");
                json.push_str(curve.name());
                json.push_str("\",\"kty\":\"EC\",\"x\":\"");
                b64::encode_into(x, &mut json);
                json.push_str("\",\"y\":\"");
                b64::encode_into(y, &mut json);
            }
            PublicJwk::Rsa { n, e } => {
                json.push_str("{\"e\":\"");
                b64::encode_into(e, &mut json);
                json.push_str("\",\"kty\":\"RSA\",\"n\":\"");
                b64::encode_into(n, &mut json);
            }
            PublicJwk::Ed25519 { x } => {
                json.push_str("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"");
                b64::encode_into(x, &mut json);
            }
        }
        json.push_str("\"}");
        Jkt::from_sha256(digest::digest(&digest::SHA256, json.as_bytes()).as_ref())
    }

    /// [`thumbprint`](Self::thumbprint) hashed straight from the member text `m` this key was
    /// parsed from by [`from_members`](Self::from_members), without encoding the key again:
    /// strict base64url decoding accepts only the canonical encoding of each member, and
    /// `from_members` refuses shortened EC coordinates and leading zeros in RSA `n` and `e`, so
    /// the received text is exactly what RFC 7638 §3 hashes. (For a 2048-bit RSA key this
    /// saves encoding 256 octets of `n` and a buffer.)
    pub fn thumbprint_of_members(&self, m: &JwkMembers) -> Jkt {
        let mut ctx = digest::Context::new(&digest::SHA256);
        let parts: [&str; 5] = match (
            self,
            m.x.as_deref(),
            m.y.as_deref(),
            m.n.as_deref(),
            m.e.as_deref(),
        ) {
            (PublicJwk::Ec { curve, .. }, Some(x), Some(y), _, _) => {
                let crv = match curve {
                    EcCurve::P256 => "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"",
                    EcCurve::P384 => "{\"crv\":\"P-384\",\"kty\":\"EC\",\"x\":\"",
                };
                [crv, x, "\",\"y\":\"", y, "\"}"]
            }
            (PublicJwk::Rsa { .. }, _, _, Some(n), Some(e)) => {
                ["{\"e\":\"", e, "\",\"kty\":\"RSA\",\"n\":\"", n, "\"}"]
            }
            (PublicJwk::Ed25519 { .. }, Some(x), _, _, _) => [
                "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"",
                x,
                "\"}",
                "",
                "",
            ],
            // Not the members this key came from: hash the key itself.
            _ => return self.thumbprint(),
        };
        for part in parts {
            ctx.update(part.as_bytes());
        }
        let jkt = Jkt::from_sha256(ctx.finish().as_ref());
        debug_assert_eq!(
            jkt,
            self.thumbprint(),
            "members are not the ones the key was parsed from"
        );
        jkt
    }

    /// Bit length of an RSA modulus; `None` for other key types.
    pub fn rsa_bits(&self) -> Option<usize> {
        let PublicJwk::Rsa { n, .. } = self else {
            return None;
        };
        // Leading zeros are skipped even though `from_members` never produces them, since the
        // variant can be built directly.
        let Some(start) = n.iter().position(|&b| b != 0) else {
            return Some(0);
        };
        Some((n.len() - start) * 8 - n[start].leading_zeros() as usize)
    }

    /// The public members as a JSON object (`kty`, `crv`, `x`, `y` / `n`, `e`).
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        let mut put = |name: &str, value: String| {
            map.insert(name.to_owned(), serde_json::Value::String(value));
        };
        match self {
            PublicJwk::Ec { curve, x, y } => {
                put("kty", "EC".to_owned());
                put("crv", curve.name().to_owned());
                put("x", b64::encode(x));
                put("y", b64::encode(y));
            }
            PublicJwk::Rsa { n, e } => {
                put("kty", "RSA".to_owned());
                put("n", b64::encode(n));
                put("e", b64::encode(e));
            }
            PublicJwk::Ed25519 { x } => {
                put("kty", "OKP".to_owned());
                put("crv", "Ed25519".to_owned());
                put("x", b64::encode(x));
            }
        }
        map
    }
}

/// RFC 8032 §5.1.2 encodings of the y-coordinates of the eight Ed25519 points of order 1, 2,
/// 4 and 8 (0, 1, p−1, the two of order 8, and p, p+1, the non-canonical forms of 0 and 1),
/// with the sign bit of x cleared; the blocklist libsodium applies to public keys.
const ED25519_SMALL_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    small_order_high(0xec),
    small_order_high(0xed),
    small_order_high(0xee),
];

/// `first` followed by 0xff octets and 0x7f: p − 1, p and p + 1 little-endian.
const fn small_order_high(first: u8) -> [u8; 32] {
    let mut out = [0xff; 32];
    out[0] = first;
    out[31] = 0x7f;
    out
}

fn is_small_order_ed25519(x: &[u8; 32]) -> bool {
    ED25519_SMALL_ORDER
        .iter()
        .any(|point| point[..31] == x[..31] && point[31] == x[31] & 0x7f)
}

fn required<'a>(member: &'a Option<String>, name: &'static str) -> Result<&'a str, JwkError> {
    member.as_deref().ok_or(JwkError::MissingMember(name))
}

fn decode_member(member: &Option<String>, name: &'static str) -> Result<Vec<u8>, JwkError> {
    b64::decode(required(member, name)?).map_err(|_| JwkError::BadEncoding(name))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// RFC 7638 §3.1 example key.
    pub(crate) const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    /// The same modulus with a leading zero octet.
    const RFC7638_N_PADDED: &str = "ANL8e2oKHmxnEErrj4iyV2abTfZ53a0Jm1xKbNmogBW1oTO_C4VseHG23wALVU_Os8LtUSu2jxRcboQ0dS-rUqHPwSRAj3m1ikV4wWQohVeJ96JJ44TLLZ-uLWf9lvuSbBmOB3OZ_cgVwK8Jfd5are_0TecOgn9IeEMkOb_uuWBo0EdPxQ1tkL86mN-vEEDInALWkqs7PCiWYJ2G_XO3dM4HQGR87uqjEL0S-YWo659Z_dQmzqWyEg9PKjS8q3ZLfmxU1oQCOLzEBYelnmbtHzOJRXdjXEcK91z5LCDR2kPhv8QZ4iKm8NC7NYxeOPnLBQrq_pBIFPGsGqScyp6gyoM";
    /// RFC 8037 Appendix A.2 public key.
    pub(crate) const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    /// RFC 9449 §4.1 Figure 4 proof key.
    pub(crate) const RFC9449_X: &str = "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs";
    pub(crate) const RFC9449_Y: &str = "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA";

    pub(crate) fn parse(json: &str) -> Result<PublicJwk, JwkError> {
        let members: JwkMembers = serde_json::from_str(json).expect("test JWK is valid JSON");
        PublicJwk::from_members(&members)
    }

    fn rsa(n: &str, e: &str) -> String {
        format!(r#"{{"kty":"RSA","n":"{n}","e":"{e}"}}"#)
    }

    fn ec(crv: &str, x: &str, y: &str) -> String {
        format!(r#"{{"kty":"EC","crv":"{crv}","x":"{x}","y":"{y}"}}"#)
    }

    #[test]
    fn rfc7638_section_3_1_thumbprint() {
        let key = parse(&rsa(RFC7638_N, "AQAB")).unwrap();
        assert_eq!(
            key.thumbprint().as_str(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert_eq!(key.rsa_bits(), Some(2048));
    }

    #[test]
    fn rfc8037_appendix_a_3_thumbprint() {
        let key = parse(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}"}}"#
        ));
        let key = key.unwrap();
        assert_eq!(
            key.thumbprint().as_str(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        assert_eq!(key.rsa_bits(), None);
    }

    #[test]
    fn rfc9449_ec_key_thumbprint() {
        let key = parse(&ec("P-256", RFC9449_X, RFC9449_Y)).unwrap();
        assert_eq!(
            key.thumbprint().as_str(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        // Unknown and extra members do not change the key or its thumbprint (RFC 7638 §3.2).
        let extra = format!(
            r#"{{"y":"{RFC9449_Y}","use":"sig","x":"{RFC9449_X}","kty":"EC","crv":"P-256","n":"AQAB","kid":"k"}}"#
        );
        assert_eq!(parse(&extra).unwrap(), key);
    }

    #[test]
    fn refuses_bad_keys() {
        let x32 = RFC9449_X;
        let x48 = b64::encode(&[7u8; 48]);
        let x31 = b64::encode(&[7u8; 31]);
        let x33 = b64::encode(&[7u8; 33]);
        let cases: Vec<(String, JwkError)> = vec![
            // Private and symmetric members win over every other problem.
            (
                r#"{"kty":"EC","d":"AA"}"#.into(),
                JwkError::PrivateMember("d"),
            ),
            (r#"{"d":null}"#.into(), JwkError::PrivateMember("d")),
            (
                r#"{"kty":"RSA","n":"AQAB","e":"AQAB","p":"x"}"#.into(),
                JwkError::PrivateMember("p"),
            ),
            (
                r#"{"kty":"RSA","q":1}"#.into(),
                JwkError::PrivateMember("q"),
            ),
            (
                r#"{"kty":"RSA","dp":"x"}"#.into(),
                JwkError::PrivateMember("dp"),
            ),
            (
                r#"{"kty":"RSA","dq":"x"}"#.into(),
                JwkError::PrivateMember("dq"),
            ),
            (
                r#"{"kty":"RSA","qi":"x"}"#.into(),
                JwkError::PrivateMember("qi"),
            ),
            (
                r#"{"kty":"RSA","oth":[]}"#.into(),
                JwkError::PrivateMember("oth"),
            ),
            (
                r#"{"kty":"oct","k":"AAAA"}"#.into(),
                JwkError::PrivateMember("k"),
            ),
            (r#"{"kty":"oct"}"#.into(), JwkError::PrivateMember("k")),
            (
                r#"{"kty":"nope","k":"AAAA"}"#.into(),
                JwkError::PrivateMember("k"),
            ),
            (
                format!(
                    r#"{{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}}"#
                ),
                JwkError::PrivateMember("d"),
            ),
            // kty
            ("{}".into(), JwkError::MissingKty),
            (r#"{"kty":"ec"}"#.into(), JwkError::UnsupportedKty),
            (r#"{"kty":"EC2"}"#.into(), JwkError::UnsupportedKty),
            // EC
            (
                r#"{"kty":"EC","x":"AA","y":"AA"}"#.into(),
                JwkError::MissingMember("crv"),
            ),
            (ec("P-521", x32, x32), JwkError::UnsupportedCurve),
            (ec("secp256k1", x32, x32), JwkError::UnsupportedCurve),
            (ec("p-256", x32, x32), JwkError::UnsupportedCurve),
            (
                r#"{"kty":"EC","crv":"P-256"}"#.into(),
                JwkError::MissingMember("x"),
            ),
            (
                format!(r#"{{"kty":"EC","crv":"P-256","x":"{x32}"}}"#),
                JwkError::MissingMember("y"),
            ),
            (ec("P-256", "AA==", x32), JwkError::BadEncoding("x")),
            (ec("P-256", x32, "+AAA"), JwkError::BadEncoding("y")),
            (ec("P-256", &x31, x32), JwkError::NonCanonical("x")),
            (ec("P-256", &x33, x32), JwkError::NonCanonical("x")),
            (ec("P-256", x32, &x31), JwkError::NonCanonical("y")),
            (ec("P-256", &x48, &x48), JwkError::NonCanonical("x")),
            (ec("P-384", x32, x32), JwkError::NonCanonical("x")),
            (ec("P-384", &x48, x32), JwkError::NonCanonical("y")),
            (ec("P-256", x32, x32), JwkError::PointNotOnCurve),
            (ec("P-256", RFC9449_Y, RFC9449_X), JwkError::PointNotOnCurve),
            (
                ec("P-256", x32, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                JwkError::PointNotOnCurve,
            ),
            (
                // x = p, the field's prime: not a field element.
                ec(
                    "P-256",
                    "_____wAAAAEAAAAAAAAAAAAAAAD_______________8",
                    RFC9449_Y,
                ),
                JwkError::PointNotOnCurve,
            ),
            (ec("P-384", &x48, &x48), JwkError::PointNotOnCurve),
            // RSA
            (rsa(RFC7638_N, "AAEAAQ"), JwkError::NonCanonical("e")),
            (rsa(RFC7638_N_PADDED, "AQAB"), JwkError::NonCanonical("n")),
            (
                r#"{"kty":"RSA","e":"AQAB"}"#.into(),
                JwkError::MissingMember("n"),
            ),
            (
                format!(r#"{{"kty":"RSA","n":"{RFC7638_N}"}}"#),
                JwkError::MissingMember("e"),
            ),
            (rsa("", "AQAB"), JwkError::InvalidKey),
            (rsa(RFC7638_N, ""), JwkError::InvalidKey),
            (rsa(RFC7638_N, "AQ"), JwkError::InvalidKey), // e = 1
            (rsa(RFC7638_N, "Ag"), JwkError::InvalidKey), // e = 2
            (rsa(RFC7638_N, "AQAA"), JwkError::InvalidKey), // e = 65536
            (rsa("0vx7=", "AQAB"), JwkError::BadEncoding("n")),
            (rsa(RFC7638_N, "AQAB "), JwkError::BadEncoding("e")),
            // OKP
            (
                format!(r#"{{"kty":"OKP","crv":"X25519","x":"{RFC8037_X}"}}"#),
                JwkError::UnsupportedCurve,
            ),
            (
                format!(r#"{{"kty":"OKP","crv":"Ed448","x":"{RFC8037_X}"}}"#),
                JwkError::UnsupportedCurve,
            ),
            (
                format!(r#"{{"kty":"OKP","x":"{RFC8037_X}"}}"#),
                JwkError::MissingMember("crv"),
            ),
            (
                r#"{"kty":"OKP","crv":"Ed25519"}"#.into(),
                JwkError::MissingMember("x"),
            ),
            (
                format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x31}"}}"#),
                JwkError::NonCanonical("x"),
            ),
            (
                format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x33}"}}"#),
                JwkError::NonCanonical("x"),
            ),
        ];
        for (json, want) in cases {
            assert_eq!(parse(&json), Err(want), "{json}");
        }
        assert_eq!(parse(&rsa(RFC7638_N, "Aw")).unwrap().rsa_bits(), Some(2048));
        // e = 3
    }

    #[test]
    fn ed25519_keys_of_small_order_are_refused() {
        for point in ED25519_SMALL_ORDER {
            for sign in [0, 0x80] {
                let mut x = point;
                x[31] |= sign;
                let json = format!(
                    r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
                    b64::encode(&x)
                );
                assert_eq!(parse(&json), Err(JwkError::InvalidKey), "{json}");
            }
        }
        // The identity point "verifies" R = identity, S = 0 over any message.
        let identity = PublicJwk::Ed25519 {
            x: ED25519_SMALL_ORDER[1],
        };
        let mut forged = ED25519_SMALL_ORDER[1].to_vec();
        forged.extend_from_slice(&[0; 32]);
        assert_eq!(
            identity.verify(crate::jose::Alg::EdDSA, b"any message", &forged),
            Ok(())
        );
    }

    #[test]
    fn duplicated_or_mistyped_members_are_parse_errors() {
        for json in [
            r#"{"kty":"EC","kty":"EC"}"#,
            r#"{"kty":"EC","crv":"P-256","x":"AA","x":"AB"}"#,
            r#"{"kty":"EC","d":1,"d":2}"#,
            r#"{"kty":1}"#,
            r#"{"kty":"RSA","n":["AQAB"]}"#,
            r#"["EC","P-256","AA","AA"]"#,
            r#"[]"#,
            r#""EC""#,
        ] {
            assert!(serde_json::from_str::<JwkMembers>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn jkt_parse_and_compare() {
        let good = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
        let jkt = Jkt::parse(good).unwrap();
        assert_eq!(jkt.as_str(), good);
        assert!(jkt.ct_eq(
            &parse(&ec("P-256", RFC9449_X, RFC9449_Y))
                .unwrap()
                .thumbprint()
        ));
        assert!(!jkt.ct_eq(&Jkt::parse("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k").unwrap()));
        for bad in [
            "",
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4", // 42 chars
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I=", // padded
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4J", // non-canonical trailing bits
            "0ZcOCORZNYy+DWpqq30jZyJGHTN0d2HglBV3uiguA4I", // standard alphabet
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I0ZcO", // 47 chars
        ] {
            assert_eq!(Jkt::parse(bad), Err(BadJkt), "{bad:?}");
        }
    }

    #[test]
    fn to_json_has_public_members_only() {
        let key = parse(&ec("P-256", RFC9449_X, RFC9449_Y)).unwrap();
        let json = serde_json::Value::Object(key.to_json());
        let want = serde_json::json!({"kty":"EC","crv":"P-256","x":RFC9449_X,"y":RFC9449_Y});
        assert_eq!(json, want);
        let key = parse(&rsa(RFC7638_N, "AQAB")).unwrap();
        let want = serde_json::json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB"});
        assert_eq!(serde_json::Value::Object(key.to_json()), want);
        let key = parse(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}"}}"#
        ))
        .unwrap();
        let want = serde_json::json!({"kty":"OKP","crv":"Ed25519","x":RFC8037_X});
        assert_eq!(serde_json::Value::Object(key.to_json()), want);
        // to_json output parses back into the same key.
        let members: JwkMembers = serde_json::from_value(want).unwrap();
        assert_eq!(PublicJwk::from_members(&members), Ok(key));
    }
}
