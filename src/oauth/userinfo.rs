//! The claims of the OpenID Connect userinfo endpoint (OIDC Core §5.3). `/auth/userinfo` makes
//! the resource decision — the token, its proof, the `openid` scope — and names the subject and
//! the claims the token allows ([`allowed_claims`]); the caller looks their values up and hands
//! them to [`issue`], which keeps the allowed ones and builds the body: JSON, or a JWT signed
//! with the client's `userinfo_signed_response_alg` (OIDC Core §5.3.2).
use crate::clock::UnixTime;
use crate::oauth::access::{self, VerifiedAccess};
use crate::oauth::id_token::{claim_names, OPENID};
use crate::oauth::introspection::IntrospectionError;
use crate::oauth::Core;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The access token claim naming the claims its `claims` request parameter asked for at the
/// userinfo endpoint (OIDC Core §5.5), beyond those its scopes allow. Reserved: a caller's
/// `jwtAtClaims` cannot set it.
pub const USERINFO_CLAIMS: &str = "uic";

/// The most bytes of the caller's claim values.
pub const MAX_CLAIMS_BYTES: usize = 65_536;

/// The claims `access` allows at the userinfo endpoint: those of its scopes (OIDC Core §5.4)
/// and those its request named for userinfo, in order and once each; `sub` is always given.
pub fn allowed_claims(access: &VerifiedAccess) -> Vec<String> {
    let named = access
        .claims
        .extra
        .get(USERINFO_CLAIMS)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    claim_names(&access.scopes, named)
}

/// The body the caller sends from its userinfo endpoint.
#[derive(Debug, Clone)]
pub struct UserInfo {
    pub body: String,
    /// `application/json`, or `application/jwt` when the client registered a signing alg.
    pub content_type: &'static str,
    /// The token, for the answer's `subject` and `clientId`.
    pub access: Arc<VerifiedAccess>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The token is not usable, or does not grant `openid`: answered as `/auth/userinfo`
    /// answers it.
    #[error("{0}")]
    Token(IntrospectionError),
    /// The caller's `claims` is not the text of a JSON object within the bound.
    #[error("claims is not the text of a JSON object of at most {MAX_CLAIMS_BYTES} bytes")]
    BadClaims,
    #[error("signing the userinfo response failed")]
    Signing,
}

/// The userinfo response for `token` with the caller's claim values `claims` (a JSON object as
/// text). The token is checked again (signature, expiry, revocation, `openid`) but not its
/// proof, which `/auth/userinfo` checked and recorded for this request; `sub` is the token's.
pub async fn issue(
    core: &Core,
    token: &str,
    claims: Option<&str>,
    now: UnixTime,
) -> Result<UserInfo, IssueError> {
    let given = match claims {
        None => Map::new(),
        Some(text) if text.len() > MAX_CLAIMS_BYTES => return Err(IssueError::BadClaims),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => return Err(IssueError::BadClaims),
        },
    };
    let access = access::verify(core, token, now)
        .await
        .map_err(|e| IssueError::Token(IntrospectionError::InvalidToken(e)))?;
    if !access.scopes.iter().any(|s| s == OPENID) {
        return Err(IssueError::Token(IntrospectionError::InsufficientScope {
            required: OPENID.to_owned(),
        }));
    }
    let allowed = allowed_claims(&access);
    let mut body = Map::new();
    body.insert("sub".into(), access.claims.sub.clone().into());
    for (name, value) in given {
        if allowed.contains(&name) {
            body.entry(name).or_insert(value);
        }
    }
    let client = core.clients.get(&access.claims.client_id);
    let (body, content_type) = match client.and_then(|c| c.userinfo_alg) {
        // OIDC Core §5.3.2: signed, with `iss` and `aud` added.
        Some(alg) => {
            body.insert("iss".into(), core.issuer.clone().into());
            body.insert("aud".into(), access.claims.client_id.clone().into());
            let key = core.keys.signer(alg).ok_or(IssueError::Signing)?;
            let payload = serde_json::to_vec(&body).map_err(|_| IssueError::Signing)?;
            let jwt = key
                .sign_compact("JWT", &payload)
                .map_err(|_| IssueError::Signing)?;
            (jwt, "application/jwt")
        }
        None => (Value::Object(body).to_string(), "application/json"),
    };
    Ok(UserInfo {
        body,
        content_type,
        access,
    })
}
