//! Request fields several endpoints share, and the one place each is checked and turned into a
//! typed value before the domain is called (docs/api.md, "Calls"). A field of the caller's that
//! dpopd cannot use is the caller's mistake, answered 400 with `A001205` and a detail naming
//! it; nothing here is ever the client's refusal.
use super::result_code::ResultCode as R;
use super::{truncate, ApiError};
use crate::dpop::htu::Htu;
use crate::dpop::input::{DpopInput, ProofInput};
use crate::oauth::clients::ClientCredentials;
use crate::oauth::grants::Lifetimes;
use crate::oauth::tokens::{TokenType, MAX_EXTRA_CLAIMS, RESERVED_CLAIMS};
use serde::{Deserialize, Deserializer};

/// The DPoP fields of every call that can carry a client's proof (docs/api.md, "The DPoP fields
/// of a call"), flattened into each request type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DpopFields {
    /// The client's `DPoP` header, verbatim.
    pub dpop: Option<String>,
    /// How many `DPoP` headers the client's request had.
    pub dpop_header_count: Option<u32>,
    /// The client's request method.
    pub htm: Option<String>,
    /// The URL the client called.
    pub htu: Option<String>,
    pub dpop_nonce_required: Option<bool>,
}

impl DpopFields {
    /// The typed input: `htm` defaults to `default_htm`, `htu` to the endpoint's configured
    /// URL when it has one. A proof relayed without an `htu` dpopd can use is the caller's
    /// mistake.
    pub fn into_input(
        self,
        default_htm: &str,
        default_htu: Option<&Htu>,
    ) -> Result<DpopInput, ApiError> {
        let htu = match self.htu.as_deref() {
            Some(text) => Some(Htu::parse(text).map_err(|_| {
                ApiError::with_detail(R::InvalidField, "htu is not a valid http(s) URL")
            })?),
            None => default_htu.cloned(),
        };
        let proof = match (self.dpop, htu) {
            (None, _) => None,
            (Some(jws), Some(htu)) => Some(ProofInput {
                jws,
                htm: self.htm.unwrap_or_else(|| default_htm.to_owned()),
                htu,
            }),
            (Some(_), None) => {
                return Err(ApiError::with_detail(
                    R::InvalidField,
                    "htu is required to check a DPoP proof",
                ))
            }
        };
        Ok(DpopInput {
            proof,
            header_count: self.dpop_header_count.unwrap_or(0) as usize,
            nonce_required: self.dpop_nonce_required.unwrap_or(false),
        })
    }
}

/// The client's `Authorization: Basic` header as the caller relays it: decoded (`clientId`,
/// `clientSecret`, Authlete's shape) or verbatim (`clientAuthorization`, decoded by dpopd per
/// RFC 6749 §2.3.1), flattened into each request type that authenticates clients.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientFields {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_authorization: Option<String>,
}

impl ClientFields {
    /// A blank `clientAuthorization` counts as absent (RFC 9110 §5.5: a field value has no
    /// surrounding whitespace, so nothing was sent); relaying the same header twice, decoded
    /// and verbatim, is the caller's mistake.
    pub fn credentials(&self) -> Result<ClientCredentials<'_>, ApiError> {
        let header = self
            .client_authorization
            .as_deref()
            .filter(|h| !h.trim_matches([' ', '\t']).is_empty());
        if header.is_some() && (self.client_id.is_some() || self.client_secret.is_some()) {
            return Err(ApiError::with_detail(
                R::InvalidField,
                "clientAuthorization and clientId/clientSecret relay the same header: send one",
            ));
        }
        Ok(ClientCredentials {
            basic_id: self.client_id.as_deref(),
            basic_secret: self.client_secret.as_deref(),
            header,
        })
    }
}

/// `jwtAtClaims`: extra access-token claims, a JSON object written as text (Authlete's format),
/// read and checked when the request is: at most [`MAX_EXTRA_CLAIMS`] members, none of dpopd's
/// own claims. Absent, `null` or blank is no claims.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JwtAtClaims(pub serde_json::Map<String, serde_json::Value>);

impl<'de> Deserialize<'de> for JwtAtClaims {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = Option::<String>::deserialize(de)?;
        JwtAtClaims::parse(text.as_deref()).map_err(field_error)
    }
}

impl JwtAtClaims {
    /// The claims of `text`, or why they are refused.
    pub fn parse(text: Option<&str>) -> Result<JwtAtClaims, String> {
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            return Ok(JwtAtClaims::default());
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|_| "jwtAtClaims is not valid JSON".to_owned())?;
        let serde_json::Value::Object(map) = value else {
            return Err("jwtAtClaims is not a JSON object".into());
        };
        if map.len() > MAX_EXTRA_CLAIMS {
            return Err(format!(
                "jwtAtClaims has {} members; at most {MAX_EXTRA_CLAIMS} are accepted",
                map.len()
            ));
        }
        if let Some(reserved) = map.keys().find(|k| RESERVED_CLAIMS.contains(&k.as_str())) {
            return Err(format!(
                "jwtAtClaims may not set {}",
                truncate(reserved, 40)
            ));
        }
        Ok(JwtAtClaims(map))
    }
}

/// `tokenScheme`: how the client presented the token, `DPoP` or `Bearer` in any case
/// (RFC 9110 §11.1); absent or empty when the resource server does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenScheme(pub Option<TokenType>);

impl<'de> Deserialize<'de> for TokenScheme {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let name = Option::<String>::deserialize(de)?;
        match name.as_deref().filter(|n| !n.is_empty()) {
            None => Ok(TokenScheme(None)),
            Some(name) => [TokenType::DPoP, TokenType::Bearer]
                .into_iter()
                .find(|t| t.name().eq_ignore_ascii_case(name))
                .map(|t| TokenScheme(Some(t)))
                .ok_or_else(|| field_error("tokenScheme must be DPoP or Bearer".to_owned())),
        }
    }
}

/// What a field-level error says, marked so that the body extractor answers it as the
/// caller's field mistake (`A001205`) rather than as malformed JSON (`A001203`).
const FIELD_ERROR: &str = "field: ";

fn field_error<E: serde::de::Error>(detail: String) -> E {
    E::custom(format!("{FIELD_ERROR}{detail}"))
}

/// The detail of a field-level error in a JSON extractor's message, if it is one (serde_json
/// appends the position to every message).
pub fn field_error_detail(message: &str) -> Option<&str> {
    let detail = message.strip_prefix(FIELD_ERROR)?;
    Some(detail.rsplit_once(" at line ").map_or(detail, |(d, _)| d))
}

/// A list of the caller's, refused above `max` entries, naming the field and the count.
pub fn bounded<T>(field: &str, list: Option<Vec<T>>, max: usize) -> Result<Vec<T>, ApiError> {
    match list {
        Some(list) if list.len() > max => Err(ApiError::with_detail(
            R::InvalidField,
            format!(
                "{field} has {} entries; at most {max} are accepted",
                list.len()
            ),
        )),
        other => Ok(other.unwrap_or_default()),
    }
}

/// `accessTokenDuration` and `refreshTokenDuration` (seconds; 0 or absent means not set) at
/// `/auth/token` and `/auth/token/create`. Above `tokens.max_lifetime_override_secs` it is the
/// caller's mistake, refused before any grant runs: a silent cap would issue a token living
/// shorter than asked without saying so.
pub fn lifetimes(
    access: Option<u64>,
    refresh: Option<u64>,
    max: i64,
) -> Result<Lifetimes, ApiError> {
    let check = |name: &str, secs: Option<u64>| match secs {
        Some(s) if i64::try_from(s).map_or(true, |s| s > max) => Err(ApiError::with_detail(
            R::DurationTooLong,
            format!("{name} {s} is above tokens.max_lifetime_override_secs ({max})"),
        )),
        other => Ok(other),
    };
    Ok(Lifetimes {
        access: check("accessTokenDuration", access)?,
        refresh: check("refreshTokenDuration", refresh)?,
    })
}

#[cfg(test)]
mod tests;
