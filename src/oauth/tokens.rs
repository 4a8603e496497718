//! Access tokens: RFC 9068 JWTs (`typ: at+jwt`) signed with the service's active key, with
//! `cnf.jkt` (RFC 9449 §6.1) when DPoP-bound. Properties travel sealed in the `prp` claim so a
//! client cannot read hidden ones, yet introspection needs no database.
use crate::clock::UnixTime;
use crate::jose::jwk::Jkt;
use crate::jose::keys::{KeyError, KeySet};
use crate::oauth::sealed::Sealer;
use crate::oauth::Property;
use serde::{Deserialize, Serialize};

/// Claims dpopd sets itself; `jwtAtClaims` may not override them.
pub const RESERVED_CLAIMS: &[&str] =
    &["iss", "sub", "aud", "client_id", "scope", "iat", "exp", "nbf", "jti", "cnf", "prp"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TokenType {
    DPoP,
    Bearer,
}

impl TokenType {
    pub fn name(self) -> &'static str {
        match self {
            TokenType::DPoP => "DPoP",
            TokenType::Bearer => "Bearer",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cnf {
    pub jkt: String,
}

/// The claims of an access token dpopd issues.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Cnf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prp: Option<String>,
    /// `jwtAtClaims` from the caller.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn from_list(mut list: Vec<String>) -> Audience {
        if list.len() == 1 {
            Audience::One(list.remove(0))
        } else {
            Audience::Many(list)
        }
    }

    pub fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(a) => a == value,
            Audience::Many(list) => list.iter().any(|a| a == value),
        }
    }
}

/// What an access token is issued for.
#[derive(Debug, Clone)]
pub struct AccessGrant<'a> {
    pub subject: &'a str,
    pub client_id: &'a str,
    pub scopes: &'a [String],
    pub audience: Vec<String>,
    pub jkt: Option<&'a Jkt>,
    pub lifetime_secs: i64,
    pub properties: &'a [Property],
    pub extra: serde_json::Map<String, serde_json::Value>,
}

pub struct Minted {
    pub token: String,
    pub jti: String,
    pub expires_at: UnixTime,
}

pub fn mint(
    keys: &KeySet,
    sealer: &Sealer,
    issuer: &str,
    grant: AccessGrant<'_>,
    now: UnixTime,
) -> Result<Minted, KeyError> {
    let jti = crate::oauth::random_id();
    let expires_at = now.plus(grant.lifetime_secs);
    let prp = if grant.properties.is_empty() {
        None
    } else {
        let json = serde_json::to_vec(grant.properties).map_err(|e| KeyError::Invalid(e.to_string()))?;
        Some(sealer.seal("prp", &json).map_err(|_| KeyError::SignFailed)?)
    };
    let claims = AccessClaims {
        iss: issuer.to_owned(),
        sub: grant.subject.to_owned(),
        aud: Audience::from_list(grant.audience),
        client_id: grant.client_id.to_owned(),
        scope: grant.scopes.join(" "),
        iat: now.secs(),
        exp: expires_at.secs(),
        jti: jti.clone(),
        cnf: grant.jkt.map(|j| Cnf { jkt: j.as_str().to_owned() }),
        prp,
        extra: grant.extra,
    };
    let payload = serde_json::to_vec(&claims).map_err(|e| KeyError::Invalid(e.to_string()))?;
    let token = keys.active().sign_compact("at+jwt", &payload)?;
    Ok(Minted { token, jti, expires_at })
}
