//! OpenID Connect (OIDC Core §2, §3.1): the parameters of an authentication request that the
//! caller's login page must honour ([`OidcRequest`], carried in tickets and `request_uri`s),
//! what the caller says about the authentication when it issues the code ([`Authentication`],
//! carried in the code and the grant's refresh tokens), and the ID token minted from both at the
//! token endpoint.
//!
//! Claims the caller supplies are released only when the request asked for them: by a scope
//! value of OIDC Core §5.4 (`profile`, `email`, `address`, `phone`) or by name in the `claims`
//! parameter's `id_token` member (§5.5). Claims asked for only in its `userinfo` member are for
//! the userinfo endpoint. The registered claims below are dpopd's and a caller's value never
//! replaces one.
use crate::clock::UnixTime;
use crate::jose::{Alg, KeySet};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// OIDC Core §3.1.2.1: the scope that makes a request an OpenID Connect one.
pub const OPENID: &str = "openid";

/// Bounds of what a request may carry into a ticket (every one is sealed into it).
pub const MAX_NONCE_CHARS: usize = 512;
pub const MAX_HINT_CHARS: usize = 512;
pub const MAX_CLAIMS_PARAM_BYTES: usize = 4096;
pub const MAX_ACR_VALUES: usize = 16;
/// Bounds of what the caller may put into an ID token at issue.
pub const MAX_CLAIMS_BYTES: usize = 8192;
pub const MAX_AMR_VALUES: usize = 16;

/// Claims of the ID token that dpopd sets and a caller's `claims` never replaces.
pub const REGISTERED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
    "at_hash",
    "c_hash",
    "s_hash",
    "cnf",
];

/// OIDC Core §5.4: the claims each scope value requests.
pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
        "email" => &["email", "email_verified"],
        "address" => &["address"],
        "phone" => &["phone_number", "phone_number_verified"],
        _ => &[],
    }
}

/// The claims `scopes` request (OIDC Core §5.4), then those `named`, in order and once each.
pub fn claim_names<'a>(
    scopes: &'a [String],
    named: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let by_scope = scopes.iter().flat_map(|s| scope_claims(s).iter().copied());
    let mut out: Vec<String> = Vec::new();
    for name in by_scope.chain(named) {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    }
    out
}

/// The OpenID Connect parameters of an authorization request (OIDC Core §3.1.2.1, §5.5),
/// validated. Short serialized names: every one is sealed into the ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcRequest {
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(rename = "ma", default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    #[serde(rename = "acr", default, skip_serializing_if = "Vec::is_empty")]
    pub acr_values: Vec<String>,
    /// Claim names the `claims` parameter asks for in the ID token.
    #[serde(rename = "ci", default, skip_serializing_if = "Vec::is_empty")]
    pub id_token_claims: Vec<String>,
    /// Claim names the `claims` parameter asks for at the userinfo endpoint.
    #[serde(rename = "cu", default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo_claims: Vec<String>,
    #[serde(rename = "lh", default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    #[serde(rename = "ul", default, skip_serializing_if = "Vec::is_empty")]
    pub ui_locales: Vec<String>,
}

/// Why the OpenID Connect parameters of a request are refused (`invalid_request`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OidcProblem {
    #[error("nonce is longer than {MAX_NONCE_CHARS} characters or not printable ASCII")]
    BadNonce,
    #[error("max_age is not a non-negative integer")]
    BadMaxAge,
    /// OIDC Core §5.5: a JSON object whose `id_token` and `userinfo` members are objects.
    #[error("claims is not a JSON object of id_token and userinfo requests, or is too large")]
    BadClaims,
    #[error("acr_values, login_hint or ui_locales is malformed or too long")]
    BadHint,
}

fn printable(text: &str, max: usize) -> bool {
    text.len() <= max && text.bytes().all(|b| (0x20..=0x7E).contains(&b))
}

fn words(text: Option<&str>, max: usize) -> Result<Vec<String>, OidcProblem> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    if !printable(text, MAX_HINT_CHARS) {
        return Err(OidcProblem::BadHint);
    }
    let list: Vec<String> = text
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if list.len() > max {
        return Err(OidcProblem::BadHint);
    }
    Ok(list)
}

/// The names one member (`id_token`, `userinfo`) of the `claims` parameter asks for.
fn member_names(claims: &Map<String, Value>, member: &str) -> Result<Vec<String>, OidcProblem> {
    match claims.get(member) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(requests)) => Ok(requests.keys().cloned().collect()),
        Some(_) => Err(OidcProblem::BadClaims),
    }
}

impl OidcRequest {
    /// Reads the parameters from the request's `get`; an empty one counts as absent.
    pub fn parse<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<OidcRequest, OidcProblem> {
        let nonce = match get("nonce") {
            Some(n) if !printable(n, MAX_NONCE_CHARS) => return Err(OidcProblem::BadNonce),
            other => other.map(str::to_owned),
        };
        let max_age = match get("max_age") {
            None => None,
            Some(text) => Some(text.parse::<u64>().map_err(|_| OidcProblem::BadMaxAge)?),
        };
        let (id_token_claims, userinfo_claims) = match get("claims") {
            None => (Vec::new(), Vec::new()),
            Some(text) if text.len() > MAX_CLAIMS_PARAM_BYTES => {
                return Err(OidcProblem::BadClaims)
            }
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(claims)) => (
                    member_names(&claims, "id_token")?,
                    member_names(&claims, "userinfo")?,
                ),
                _ => return Err(OidcProblem::BadClaims),
            },
        };
        let login_hint = match get("login_hint") {
            Some(h) if !printable(h, MAX_HINT_CHARS) => return Err(OidcProblem::BadHint),
            other => other.map(str::to_owned),
        };
        Ok(OidcRequest {
            nonce,
            max_age,
            acr_values: words(get("acr_values"), MAX_ACR_VALUES)?,
            id_token_claims,
            userinfo_claims,
            login_hint,
            ui_locales: words(get("ui_locales"), MAX_ACR_VALUES)?,
        })
    }

    /// Every claim name the request asks for, by scope or by the `claims` parameter, in order
    /// and once each: what the caller's consent page shows.
    pub fn requested_claims(&self, scopes: &[String]) -> Vec<String> {
        let named = self.id_token_claims.iter().chain(&self.userinfo_claims);
        claim_names(scopes, named.map(String::as_str))
    }

    /// Whether the ID token may carry the claim `name` (scope or `claims.id_token`).
    fn allows_in_id_token(&self, scopes: &[String], name: &str) -> bool {
        scopes.iter().any(|s| scope_claims(s).contains(&name))
            || self.id_token_claims.iter().any(|n| n == name)
    }
}

/// What the caller says about the user's authentication at `/auth/authorization/issue`, and
/// the request's `nonce`: everything the grant's ID tokens are made of besides the subject.
/// Sealed into the code and, without the `nonce`, into the grant's refresh tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(rename = "at", default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(rename = "acr", default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(rename = "amr", default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    #[serde(rename = "sid", default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The caller's claims the request allowed into the ID token.
    #[serde(rename = "cl", default, skip_serializing_if = "Map::is_empty")]
    pub claims: Map<String, Value>,
    /// Claim names the access token allows at the userinfo endpoint beyond its scopes.
    #[serde(rename = "cu", default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo_claims: Vec<String>,
}

/// Why the caller's account of the authentication is refused (its mistake, `BAD_REQUEST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthenticationProblem {
    #[error("claims is not the text of a JSON object, or is larger than {MAX_CLAIMS_BYTES} bytes")]
    BadClaims,
    #[error("authTime is in the future or not a time in seconds")]
    BadAuthTime,
    #[error("acr, amr or sid is empty, too long or has too many values")]
    BadValue,
}

/// The caller's inputs at issue, as received.
#[derive(Debug, Clone, Default)]
pub struct AuthenticationInput<'a> {
    pub auth_time: Option<i64>,
    pub acr: Option<&'a str>,
    pub amr: Vec<String>,
    pub sid: Option<&'a str>,
    /// Authlete's `claims`: the text of a JSON object of claim values.
    pub claims: Option<&'a str>,
}

impl Authentication {
    /// Checks the caller's account of the authentication of `request` and keeps the claims the
    /// request allowed into the ID token (OIDC Core §5.4, §5.5).
    pub fn new(
        request: &OidcRequest,
        scopes: &[String],
        input: AuthenticationInput<'_>,
        now: UnixTime,
    ) -> Result<Authentication, AuthenticationProblem> {
        let short = |v: &str| !v.is_empty() && printable(v, MAX_HINT_CHARS);
        if input.auth_time.is_some_and(|t| t < 0 || t > now.secs()) {
            return Err(AuthenticationProblem::BadAuthTime);
        }
        if input.acr.is_some_and(|v| !short(v))
            || input.sid.is_some_and(|v| !short(v))
            || input.amr.len() > MAX_AMR_VALUES
            || !input.amr.iter().all(|v| short(v))
        {
            return Err(AuthenticationProblem::BadValue);
        }
        let given = match input.claims {
            None => Map::new(),
            Some(text) if text.len() > MAX_CLAIMS_BYTES => {
                return Err(AuthenticationProblem::BadClaims)
            }
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                _ => return Err(AuthenticationProblem::BadClaims),
            },
        };
        let claims = given
            .into_iter()
            .filter(|(name, _)| !REGISTERED.contains(&name.as_str()))
            .filter(|(name, _)| request.allows_in_id_token(scopes, name))
            .collect();
        Ok(Authentication {
            nonce: request.nonce.clone(),
            auth_time: input.auth_time,
            acr: input.acr.map(str::to_owned),
            amr: input.amr,
            sid: input.sid.map(str::to_owned),
            claims,
            userinfo_claims: request.userinfo_claims.clone(),
        })
    }

    /// What a refresh token carries on: everything but the `nonce` (OIDC Core §12.2: an ID
    /// token from a refresh has none).
    pub fn for_refresh(&self) -> Authentication {
        Authentication {
            nonce: None,
            ..self.clone()
        }
    }
}

/// Why no ID token was minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    /// Start-up checks that a key of every client's `id_token_signed_response_alg` exists; a
    /// reload that removed it is refused too, so this is a defect if it happens.
    #[error("no signing key of alg {0:?}")]
    NoKey(Alg),
    #[error("signing the ID token failed")]
    Signing,
}

/// Whom an ID token is for and how it is signed.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub subject: &'a str,
    /// The client's `id_token_signed_response_alg`.
    pub alg: Alg,
    pub lifetime_secs: i64,
}

/// The ID token of a grant (OIDC Core §2), signed with the first service key of the client's
/// alg.
pub fn mint(
    keys: &KeySet,
    to: Audience<'_>,
    authentication: &Authentication,
    now: UnixTime,
) -> Result<String, IdTokenError> {
    let Audience {
        issuer,
        client_id,
        subject,
        alg,
        lifetime_secs,
    } = to;
    let key = keys.signer(alg).ok_or(IdTokenError::NoKey(alg))?;
    let mut claims = Map::new();
    claims.insert("iss".into(), issuer.into());
    claims.insert("sub".into(), subject.into());
    claims.insert("aud".into(), client_id.into());
    claims.insert("azp".into(), client_id.into());
    claims.insert("iat".into(), now.secs().into());
    claims.insert("exp".into(), now.plus(lifetime_secs).secs().into());
    let a = authentication;
    if let Some(t) = a.auth_time {
        claims.insert("auth_time".into(), t.into());
    }
    if let Some(n) = &a.nonce {
        claims.insert("nonce".into(), n.clone().into());
    }
    if let Some(acr) = &a.acr {
        claims.insert("acr".into(), acr.clone().into());
    }
    if !a.amr.is_empty() {
        claims.insert("amr".into(), a.amr.clone().into());
    }
    if let Some(sid) = &a.sid {
        claims.insert("sid".into(), sid.clone().into());
    }
    for (name, value) in &a.claims {
        claims.entry(name.clone()).or_insert_with(|| value.clone());
    }
    let payload = serde_json::to_vec(&claims).map_err(|_| IdTokenError::Signing)?;
    key.sign_compact("JWT", &payload)
        .map_err(|_| IdTokenError::Signing)
}

#[cfg(test)]
mod tests;
