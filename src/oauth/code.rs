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
use crate::oauth::pkce::CodeChallenge;
use crate::oauth::Property;
use serde::{Deserialize, Serialize};

const PURPOSE: &str = "authorization_code";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    /// Random; the single-use record's key and the seed of the names of its tokens.
    pub id: String,
    pub cid: String,
    pub sub: String,
    pub scp: Vec<String>,
    /// The redirect URI of the authorization response (RFC 6749 §4.1.3).
    pub ru: String,
    /// Whether the authorization request named `redirect_uri`: then the token request must.
    #[serde(default)]
    pub rg: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<CodeChallenge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prp: Vec<Property>,
    /// `jwtAtClaims` given at issue, carried to the access token.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub ext: serde_json::Map<String, serde_json::Value>,
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
mod tests {
    use super::*;

    fn record() -> CodeRecord {
        CodeRecord {
            id: "code-1".into(),
            cid: "c".into(),
            sub: "alice".into(),
            scp: vec!["read".into()],
            ru: "https://app.example.com/cb".into(),
            rg: true,
            cc: None,
            jkt: None,
            iat: 100,
            exp: 160,
            prp: vec![],
            ext: Default::default(),
        }
    }

    #[test]
    fn opens_until_expiry_only_and_not_as_another_purpose() {
        let sealer = Sealer::new(&[("k".into(), [3; 32])]).unwrap();
        let code = record().seal(&sealer).unwrap();
        assert_eq!(
            CodeRecord::open(&sealer, &code, UnixTime(159)).unwrap(),
            record()
        );
        assert_eq!(
            CodeRecord::open(&sealer, &code, UnixTime(160)),
            Err(CodeError::Expired)
        );
        let ticket = sealer.seal_json("ticket", &record()).unwrap();
        assert_eq!(
            CodeRecord::open(&sealer, &ticket, UnixTime(150)),
            Err(CodeError::Invalid(SealError::Forged))
        );
    }

    #[test]
    fn the_names_of_a_codes_tokens_are_stable_distinct_and_hide_the_id() {
        let a = record();
        let b = CodeRecord {
            id: "code-2".into(),
            ..record()
        };
        assert_eq!(a.access_token_jti(), record().access_token_jti());
        assert_ne!(a.access_token_jti(), a.refresh_family());
        assert_ne!(a.access_token_jti(), b.access_token_jti());
        assert!(!a.access_token_jti().contains("code-1"));
        assert_eq!(a.access_token_jti().len(), 22);
    }
}
