//! The registered claims of a `private_key_jwt` assertion (RFC 7523 §3 (1)–(6)) and their
//! checks against the client and the service's [`AssertionPolicy`], at a given `now`.
use super::{AssertionError, AssertionPolicy};
use crate::clock::UnixTime;
use crate::jose::jwks_verify::VerifiedJws;
use crate::oauth::clients::Client;
use serde_json::{Map, Value};

/// The registered claims of RFC 7523 §3 as the assertion has them.
#[derive(Debug)]
pub(super) struct Claims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Option<Value>,
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
    pub jti: Option<String>,
}

impl Claims {
    pub(super) fn read(verified: &VerifiedJws) -> Result<Claims, AssertionError> {
        let mut map: Map<String, Value> = verified
            .claims()
            .map_err(|e| AssertionError::Malformed(e.to_string()))?;
        let string = |map: &mut Map<String, Value>, name: &'static str| match map.remove(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(AssertionError::Malformed(format!("{name} is not a string"))),
        };
        // RFC 7519 §2 NumericDate: a JSON number of seconds, fractions allowed (truncated).
        let date = |map: &mut Map<String, Value>, name: &'static str| match map.remove(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| AssertionError::Malformed(format!("{name} is not a NumericDate"))),
            Some(_) => Err(AssertionError::Malformed(format!(
                "{name} is not a NumericDate"
            ))),
        };
        Ok(Claims {
            iss: string(&mut map, "iss")?,
            sub: string(&mut map, "sub")?,
            jti: string(&mut map, "jti")?,
            exp: date(&mut map, "exp")?,
            nbf: date(&mut map, "nbf")?,
            iat: date(&mut map, "iat")?,
            aud: map.remove("aud"),
        })
    }

    /// RFC 7523 §3 (1)–(6), in order.
    pub(super) fn check(
        &self,
        client: &Client,
        policy: &AssertionPolicy,
        now: UnixTime,
    ) -> Result<(), AssertionError> {
        let id = Some(client.id.as_str());
        if self.iss.as_deref() != id || self.sub.as_deref() != id {
            return Err(AssertionError::IssuerSubject);
        }
        // FAPI 2.0 §5.3.2.1: the issuer identifier as a string. A one-member array says the
        // same (RFC 7519 §4.1.3); several members would make the assertion good at each of
        // them, so it is refused.
        let aud = match &self.aud {
            Some(Value::String(aud)) => Some(aud.as_str()),
            Some(Value::Array(list)) if list.len() == 1 && !client.profile.is_fapi2() => {
                list[0].as_str()
            }
            _ => None,
        };
        // A `fapi2` client is held to the letter of FAPI 2.0 §5.3.2.1: "only" the issuer
        // identifier, the first of the audiences, and only as a string.
        let accepted = match client.profile.is_fapi2() {
            true => &policy.audiences[..policy.audiences.len().min(1)],
            false => &policy.audiences[..],
        };
        if !aud.is_some_and(|aud| accepted.iter().any(|a| a == aud)) {
            return Err(AssertionError::Audience);
        }
        let skew = policy.skew_secs;
        let exp = self.exp.ok_or(AssertionError::ExpMissing)?;
        if exp.saturating_add(skew) <= now.secs() {
            return Err(AssertionError::Expired);
        }
        let limit = now
            .secs()
            .saturating_add(policy.max_lifetime_secs)
            .saturating_add(skew);
        if exp > limit {
            return Err(AssertionError::LifetimeTooLong);
        }
        let future = |t: Option<i64>| t.is_some_and(|t| t > now.secs().saturating_add(skew));
        if future(self.nbf) {
            return Err(AssertionError::NotYetValid);
        }
        if future(self.iat) {
            return Err(AssertionError::IssuedInFuture);
        }
        if self.jti.as_deref().is_none_or(str::is_empty) {
            return Err(AssertionError::JtiMissing);
        }
        Ok(())
    }
}
