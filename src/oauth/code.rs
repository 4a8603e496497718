//! Authorization codes (RFC 6749 §4.1.2): sealed records of what the user granted — client,
//! subject, scopes, redirect URI, PKCE challenge (RFC 7636) and the DPoP key the code is bound
//! to (RFC 9449 §10) — with their own expiry. dpopd keeps no database: single use is enforced
//! by recording the code's id in the store when it is redeemed.
//!
//! Revocation on reuse (RFC 6749 §4.1.2: "the authorization server ... SHOULD revoke (when
//! possible) all tokens previously issued based on that authorization code") needs no stored
//! token: the grant a code starts is named after it. Its refresh family, which is also the
//! grant id (`gid`) of every access token of the grant, is derived from the code's id
//! ([`CodeRecord::refresh_family`]), and the code's single-use record holds the grant's end.
//! A second redemption revokes that grant until then — the first access token, every refresh
//! token rotated from it and every access token those refreshes minted — with nothing but the
//! code in hand.
use crate::clock::UnixTime;
use crate::jose::seal::{SealError, Sealer};
use crate::jose::Jkt;
use crate::oauth::id_token::Authentication;
use crate::oauth::pkce::CodeChallenge;
use crate::oauth::Property;
use serde::{Deserialize, Serialize};

const PURPOSE: &str = "authorization_code";

/// What an authorization code carries, sealed. The serialized names are short because every
/// one is part of the code's length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    /// Random; the single-use record's key and the seed of the names of its tokens.
    pub id: String,
    #[serde(rename = "cid")]
    pub client_id: String,
    #[serde(rename = "sub")]
    pub subject: String,
    #[serde(rename = "scp")]
    pub scopes: Vec<String>,
    /// The redirect URI of the authorization response (RFC 6749 §4.1.3).
    #[serde(rename = "ru")]
    pub redirect_uri: String,
    /// Whether the authorization request named `redirect_uri`: then the token request must.
    #[serde(rename = "rg", default)]
    pub redirect_uri_given: bool,
    #[serde(rename = "cc", default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<CodeChallenge>,
    /// RFC 9449 §10: the key the code is bound to (`dpop_jkt`, or the proof at PAR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<Jkt>,
    pub iat: i64,
    pub exp: i64,
    #[serde(rename = "prp", default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    /// `jwtAtClaims` given at issue, carried to the access token.
    #[serde(
        rename = "ext",
        default,
        skip_serializing_if = "serde_json::Map::is_empty"
    )]
    pub extra_claims: serde_json::Map<String, serde_json::Value>,
    /// OpenID Connect: what the grant's ID tokens are made of.
    #[serde(rename = "oi", default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<Authentication>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("authorization code is not valid")]
    Invalid(SealError),
    #[error("authorization code has expired")]
    Expired,
}

impl CodeRecord {
    pub fn seal(&self, sealer: &Sealer) -> Result<String, SealError> {
        sealer.seal_json(PURPOSE, self)
    }

    pub fn open(sealer: &Sealer, code: &str, now: UnixTime) -> Result<CodeRecord, CodeError> {
        let record: CodeRecord = sealer
            .open_json(PURPOSE, code)
            .map_err(CodeError::Invalid)?;
        if now.secs() >= record.exp {
            return Err(CodeError::Expired);
        }
        Ok(record)
    }

    /// The `jti` of the access token issued for this code.
    pub fn access_token_jti(&self) -> String {
        derive("access_token", &self.id)
    }

    /// The rotation family of the refresh token issued for this code.
    pub fn refresh_family(&self) -> String {
        derive("refresh_family", &self.id)
    }

    pub fn expires_at(&self) -> UnixTime {
        UnixTime(self.exp)
    }
}

/// 16 octets of SHA-256(label ‖ 0 ‖ id), base64url: unlinkable to the id, distinct per label.
fn derive(label: &str, id: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(label.as_bytes());
    ctx.update(&[0]);
    ctx.update(id.as_bytes());
    crate::jose::b64::encode(&ctx.finish().as_ref()[..16])
}

#[cfg(test)]
mod tests;
