//! Public JWKs (RFC 7517, RFC 7518 §6, RFC 8037 §2) as an enum with one variant per key type,
//! and their RFC 7638 SHA-256 thumbprints.
use super::b64;
use ring::digest;
use serde::Deserialize;
use std::borrow::Cow;

/// The members of a JWK object as received. Known members are typed so that a duplicated or
/// mistyped member is a parse error; unknown members are ignored (RFC 7517 §4). The members
/// borrow from the text they are read from unless they had escapes (a proof's key is read
/// from every proof, so its members are not copied).
// `remote = "Self"` turns the derive into an inherent `JwkMembers::deserialize`, which the
// `Deserialize` impl below calls only for a JSON object: a derived struct would also accept
// an array of member values, and a JWK is an object (RFC 7517 §4). Call it through the trait
// (`serde_json::from_*`, or as a field); the inherent function skips the object check.
#[derive(Debug, Default, Deserialize)]
#[serde(remote = "Self")]
pub struct JwkMembers<'a> {
    #[serde(borrow)]
    pub kty: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub crv: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub x: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub y: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub n: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub e: Option<Cow<'a, str>>,
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

impl<'de: 'a, 'a> Deserialize<'de> for JwkMembers<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct ObjectOnly<'a>(std::marker::PhantomData<JwkMembers<'a>>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for ObjectOnly<'a> {
            type Value = JwkMembers<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JWK object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<JwkMembers<'a>, A::Error> {
                JwkMembers::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        de.deserialize_map(ObjectOnly(std::marker::PhantomData))
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
    pub fn from_members(m: &JwkMembers<'_>) -> Result<PublicJwk, JwkError> {
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
    pub fn thumbprint_of_members(&self, m: &JwkMembers<'_>) -> Jkt {
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

fn required<'a>(member: &'a Option<Cow<'_, str>>, name: &'static str) -> Result<&'a str, JwkError> {
    member.as_deref().ok_or(JwkError::MissingMember(name))
}

fn decode_member(member: &Option<Cow<'_, str>>, name: &'static str) -> Result<Vec<u8>, JwkError> {
    b64::decode(required(member, name)?).map_err(|_| JwkError::BadEncoding(name))
}

#[cfg(test)]
pub(crate) mod tests;
