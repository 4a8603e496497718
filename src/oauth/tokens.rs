//! Access tokens: RFC 9068 JWTs (`typ: at+jwt`) signed with the service's active key, with
//! `cnf.jkt` (RFC 9449 §6.1) when DPoP-bound. Properties travel sealed in the `prp` claim so a
//! client cannot read hidden ones, yet introspection needs no database.
use crate::clock::UnixTime;
use crate::jose::jwk::Jkt;
use crate::jose::keys::{KeyError, KeySet};
use crate::jose::seal::Sealer;
use crate::json::JsonObject;
use crate::oauth::Property;
use serde::{Deserialize, Serialize};

/// The most top-level members `jwtAtClaims` may have: a JWT with more claims than this is no
/// access token a deployment means to issue.
pub const MAX_EXTRA_CLAIMS: usize = 256;

/// Claims dpopd sets itself; `jwtAtClaims` may not override them.
pub const RESERVED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "client_id",
    "scope",
    "iat",
    "exp",
    "nbf",
    "jti",
    "cnf",
    "prp",
    "gid",
    crate::oauth::userinfo::USERINFO_CLAIMS,
];

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
    /// The grant the token belongs to (its refresh family): revoking the grant (RFC 7009 §2.1,
    /// RFC 9700 §4.14.2, RFC 6749 §4.1.2 code reuse) refuses every token that carries it.
    /// Opaque to clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
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
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(a) => a == value,
            Audience::Many(list) => list.iter().any(|a| a == value),
        }
    }

    /// Whether every one of `values` is an audience, in time linear in both lists.
    pub fn contains_all(&self, values: &[String]) -> bool {
        match self {
            Audience::One(a) => values.iter().all(|v| v == a),
            Audience::Many(list) => crate::oauth::scope::all_within(values, list),
        }
    }
}

/// What an access token is issued for.
#[derive(Debug, Clone)]
pub struct AccessGrant<'a> {
    pub subject: &'a str,
    pub client_id: &'a str,
    pub scopes: &'a [String],
    pub audience: &'a [String],
    pub jkt: Option<&'a Jkt>,
    pub lifetime_secs: i64,
    pub properties: &'a [Property],
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
    /// The grant id (`gid`), when the token belongs to a grant that can be revoked as a whole.
    pub grant_id: Option<&'a str>,
}

/// Why no access token was minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    /// The properties are too large to seal into `prp`
    /// ([`crate::jose::seal::MAX_PLAINTEXT_OCTETS`]).
    #[error("properties are too large to seal")]
    TooLarge,
    #[error("{0}")]
    Key(#[from] KeyError),
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
) -> Result<Minted, MintError> {
    mint_named(
        keys,
        sealer,
        issuer,
        grant,
        crate::jose::secrets::random_id(),
        now,
    )
}

/// [`mint`] with a `jti` chosen in advance, so the token can be revoked by a name known
/// without it (a reused authorization code revokes the token issued for it).
pub fn mint_named(
    keys: &KeySet,
    sealer: &Sealer,
    issuer: &str,
    grant: AccessGrant<'_>,
    jti: String,
    now: UnixTime,
) -> Result<Minted, MintError> {
    let expires_at = now.plus(grant.lifetime_secs);
    let prp = if grant.properties.is_empty() {
        None
    } else {
        let json =
            serde_json::to_vec(grant.properties).map_err(|e| KeyError::Invalid(e.to_string()))?;
        Some(sealer.seal("prp", &json).map_err(|e| {
            e.too_large_or(MintError::TooLarge, MintError::Key(KeyError::SignFailed))
        })?)
    };
    let payload = claims_json(issuer, &grant, &jti, now, expires_at, prp.as_deref());
    let token = keys.active().sign_compact("at+jwt", payload.as_bytes())?;
    Ok(Minted {
        token,
        jti,
        expires_at,
    })
}

/// The JSON text of the token's [`AccessClaims`], member for member as `serde_json` writes the
/// struct (a test holds the two to the same text), written from the grant's borrowed values
/// instead of copying each into the struct first.
fn claims_json(
    issuer: &str,
    grant: &AccessGrant<'_>,
    jti: &str,
    now: UnixTime,
    expires_at: UnixTime,
    prp: Option<&str>,
) -> String {
    let scope = grant.scopes.join(" ");
    let mut json = JsonObject::with_capacity(256 + scope.len() + prp.map_or(0, str::len));
    json.str("iss", issuer).str("sub", grant.subject);
    // One audience is written as a string, none or several as an array (RFC 7519 §4.1.3).
    match grant.audience {
        [one] => json.str("aud", one),
        many => json.serialized("aud", &many),
    };
    json.str("client_id", grant.client_id);
    if !scope.is_empty() {
        json.str("scope", &scope);
    }
    json.int("iat", now.secs())
        .int("exp", expires_at.secs())
        .str("jti", jti);
    if let Some(jkt) = grant.jkt {
        json.object("cnf", |cnf| {
            cnf.str("jkt", jkt.as_str());
        });
    }
    json.opt_str("prp", prp).opt_str("gid", grant.grant_id);
    for (name, value) in grant.extra {
        json.serialized(name, value);
    }
    json.finish()
}

#[cfg(test)]
mod tests;
