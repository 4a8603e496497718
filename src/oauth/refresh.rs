//! Refresh tokens: sealed records of what was granted (client, subject, scopes, expiry),
//! the DPoP key they are bound to for public clients (RFC 9449 §5), and a rotation family id
//! so that reuse of a rotated token can revoke every token descended from the same grant.
use crate::clock::UnixTime;
use crate::jose::seal::{SealError, Sealer};
use crate::jose::Jkt;
use crate::oauth::id_token::Authentication;
use crate::oauth::Property;
use serde::{Deserialize, Serialize};

const PURPOSE: &str = "refresh_token";

/// What a refresh token carries, sealed. The serialized names are short because every one is
/// part of the token's length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// Unique per token.
    pub jti: String,
    /// Shared by every token rotated from the same grant: the grant id (`gid`) of its access
    /// tokens.
    #[serde(rename = "fam")]
    pub family: String,
    /// The rotation generation: 0 for the grant's first refresh token, one more for each
    /// rotation. A public client's token is accepted only while the store's generation of the
    /// family is this one (RFC 9700 §4.14.2).
    #[serde(rename = "gen", default, skip_serializing_if = "is_zero")]
    pub generation: u32,
    #[serde(rename = "cid")]
    pub client_id: String,
    #[serde(rename = "sub")]
    pub subject: String,
    #[serde(rename = "scp")]
    pub scopes: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    /// RFC 9449 §5: the key a public client's refresh token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<Jkt>,
    #[serde(rename = "prp", default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    /// `jwtAtClaims` of the original grant, carried to refreshed access tokens.
    #[serde(
        rename = "ext",
        default,
        skip_serializing_if = "serde_json::Map::is_empty"
    )]
    pub extra_claims: serde_json::Map<String, serde_json::Value>,
    /// OpenID Connect: what a refresh's ID token is made of (no `nonce`, OIDC Core §12.2).
    #[serde(rename = "oi", default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<Box<Authentication>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    #[error("refresh token is not valid")]
    Invalid(SealError),
    #[error("refresh token has expired")]
    Expired,
}

fn is_zero(gen: &u32) -> bool {
    *gen == 0
}

impl RefreshRecord {
    pub fn seal(&self, sealer: &Sealer) -> Result<String, SealError> {
        sealer.seal_json(PURPOSE, self)
    }

    pub fn open(
        sealer: &Sealer,
        token: &str,
        now: UnixTime,
    ) -> Result<RefreshRecord, RefreshError> {
        let record: RefreshRecord = sealer
            .open_json(PURPOSE, token)
            .map_err(RefreshError::Invalid)?;
        if now.secs() >= record.exp {
            return Err(RefreshError::Expired);
        }
        Ok(record)
    }

    pub fn expires_at(&self) -> UnixTime {
        UnixTime(self.exp)
    }
}

#[cfg(test)]
mod tests;
