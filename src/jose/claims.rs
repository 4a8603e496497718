//! Registered JWT claims (RFC 7519 §4.1) of tokens signed by other parties, and one small
//! check per rule, each taking `now` (and `skew`, the seconds allowed for the clocks of the
//! signer and dpopd to disagree) as parameters. Callers compose the rules their profile needs:
//! RFC 9068 §4 for access tokens of another issuer, RFC 7523 §3 for client assertions.
use super::jws::typ_is;
use crate::clock::UnixTime;
use serde::Deserialize;

/// Why a claim check failed; one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// A claim the profile requires is absent.
    #[error("claim {0} is missing")]
    Missing(&'static str),
    /// RFC 7519 §4.1.4: `now` is on or after `exp` (plus skew).
    #[error("token has expired")]
    Expired,
    /// `exp` lies further ahead than the profile's maximum lifetime (plus skew).
    #[error("token expires further ahead than allowed")]
    LifetimeTooLong,
    /// RFC 7519 §4.1.5: `nbf` is after `now` (plus skew).
    #[error("token is not yet valid")]
    NotYetValid,
    /// RFC 7519 §4.1.6: `iat` is after `now` (plus skew).
    #[error("token is issued in the future")]
    IssuedInFuture,
    /// RFC 7519 §4.1.1: `iss` is not the expected issuer (compared exactly).
    #[error("token is from another issuer")]
    WrongIssuer,
    /// RFC 7519 §4.1.3: no `aud` value is one of the accepted audiences.
    #[error("token is not meant for this audience")]
    WrongAudience,
    /// RFC 7515 §4.1.9: the header's `typ` is not the expected media type.
    #[error("token typ is not the expected media type")]
    WrongType,
}

/// RFC 7519 §2 NumericDate: seconds since the epoch. The RFC allows non-integer values;
/// they are rounded down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NumericDate(pub i64);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<NumericDate, D::Error> {
        struct Seconds;
        impl serde::de::Visitor<'_> for Seconds {
            type Value = NumericDate;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a NumericDate (seconds since the epoch)")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<NumericDate, E> {
                Ok(NumericDate(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<NumericDate, E> {
                i64::try_from(v)
                    .map(NumericDate)
                    .map_err(|_| E::custom("NumericDate out of range"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<NumericDate, E> {
                // `as` saturates; the range check keeps a huge float from becoming i64::MAX.
                if v.is_finite() && v.abs() < 1e15 {
                    Ok(NumericDate(v.floor() as i64))
                } else {
                    Err(E::custom("NumericDate out of range"))
                }
            }
        }
        de.deserialize_any(Seconds)
    }
}

/// RFC 7519 §4.1.3: one audience as a string, or several as an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(aud) => aud == value,
            Audience::Many(auds) => auds.iter().any(|aud| aud == value),
        }
    }
}

/// The registered claims (RFC 7519 §4.1); other claims of the payload are ignored here.
/// Mistyped registered claims are a deserialisation error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RegisteredClaims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Option<Audience>,
    pub exp: Option<NumericDate>,
    pub nbf: Option<NumericDate>,
    pub iat: Option<NumericDate>,
    pub jti: Option<String>,
}

/// A claim the profile requires.
pub fn required<T>(claim: Option<T>, name: &'static str) -> Result<T, ClaimsError> {
    claim.ok_or(ClaimsError::Missing(name))
}

/// RFC 7519 §4.1.4: `exp` is present and after `now − skew`; with `max_lifetime_secs`, also
/// no further ahead than `now + max_lifetime_secs + skew` (a one-time assertion with a year's
/// validity is refused).
pub fn check_exp(
    exp: Option<NumericDate>,
    now: UnixTime,
    skew: i64,
    max_lifetime_secs: Option<i64>,
) -> Result<(), ClaimsError> {
    let exp = required(exp, "exp")?.0;
    let skew = skew.max(0);
    if now.secs() >= exp.saturating_add(skew) {
        return Err(ClaimsError::Expired);
    }
    if let Some(max) = max_lifetime_secs {
        if exp > now.secs().saturating_add(max).saturating_add(skew) {
            return Err(ClaimsError::LifetimeTooLong);
        }
    }
    Ok(())
}

/// RFC 7519 §4.1.5: an `nbf`, if present, is not after `now + skew`.
pub fn check_nbf(nbf: Option<NumericDate>, now: UnixTime, skew: i64) -> Result<(), ClaimsError> {
    match nbf {
        Some(nbf) if nbf.0 > now.secs().saturating_add(skew.max(0)) => {
            Err(ClaimsError::NotYetValid)
        }
        _ => Ok(()),
    }
}

/// RFC 7519 §4.1.6: an `iat`, if present, is not after `now + skew`. A profile that requires
/// `iat` (RFC 9068 §2.2) checks it with [`required`] too.
pub fn check_iat(iat: Option<NumericDate>, now: UnixTime, skew: i64) -> Result<(), ClaimsError> {
    match iat {
        Some(iat) if iat.0 > now.secs().saturating_add(skew.max(0)) => {
            Err(ClaimsError::IssuedInFuture)
        }
        _ => Ok(()),
    }
}

/// RFC 7519 §4.1.1: `iss` is exactly `expected` (case-sensitive, no normalisation).
pub fn check_iss(iss: Option<&str>, expected: &str) -> Result<(), ClaimsError> {
    if required(iss, "iss")? != expected {
        return Err(ClaimsError::WrongIssuer);
    }
    Ok(())
}

/// RFC 7519 §4.1.3: `aud` (a string or an array) holds one of `accepted`. An empty
/// `accepted` accepts nothing.
pub fn check_aud(aud: Option<&Audience>, accepted: &[&str]) -> Result<(), ClaimsError> {
    let aud = required(aud, "aud")?;
    if !accepted.iter().any(|value| aud.contains(value)) {
        return Err(ClaimsError::WrongAudience);
    }
    Ok(())
}

/// RFC 7515 §4.1.9: the header `typ` names `media_type` (given without `application/`,
/// compared as a media type: case-insensitively, the prefix optional), e.g. `at+jwt` for
/// RFC 9068 §4 access tokens.
pub fn check_typ(typ: Option<&str>, media_type: &str) -> Result<(), ClaimsError> {
    match typ {
        Some(typ) if typ_is(typ, media_type) => Ok(()),
        _ => Err(ClaimsError::WrongType),
    }
}

#[cfg(test)]
mod tests;
