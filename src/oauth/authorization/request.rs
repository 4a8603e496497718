//! Validation of an authorization request (RFC 6749 §4.1.1) for the code flow, shared by the
//! authorization endpoint and PAR (RFC 9126 §2.1): the redirect URI first, because an error
//! may only be redirected to a URI registered for the client (RFC 6749 §4.1.2.1, exact match
//! per RFC 9700 §4.1.3); then `response_type=code`, scopes, PKCE (RFC 7636, `S256` only),
//! `dpop_jkt` (RFC 9449 §10), `prompt` and `state` (RFC 6749 Appendix A.5); for a `fapi2`
//! client also pushed requests only, `redirect_uri` sent and PKCE (FAPI 2.0 §5.3.2.2).
use crate::jose::jwk::Jkt;
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::fapi2::Fapi2Problem;
use crate::oauth::id_token::{OidcProblem, OidcRequest, OPENID};
use crate::oauth::params::{Params, ParamsError};
use crate::oauth::pkce::{CodeChallenge, PkceError};
use crate::oauth::scope::{self, ScopeError};
use serde::{Deserialize, Serialize};

/// `state` is echoed to the client and carried in tickets and codes, so it is bounded.
pub const MAX_STATE_CHARS: usize = 2048;

/// OpenID Connect Core §3.1.2.1 `prompt` values, passed to the caller's login page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    None,
    Login,
    Consent,
    SelectAccount,
    Create,
}

impl Prompt {
    const ALL: [Prompt; 5] = [
        Prompt::None,
        Prompt::Login,
        Prompt::Consent,
        Prompt::SelectAccount,
        Prompt::Create,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Prompt::None => "none",
            Prompt::Login => "login",
            Prompt::Consent => "consent",
            Prompt::SelectAccount => "select_account",
            Prompt::Create => "create",
        }
    }

    /// The Authlete-style enum value (`SELECT_ACCOUNT`).
    pub fn api_name(self) -> &'static str {
        match self {
            Prompt::None => "NONE",
            Prompt::Login => "LOGIN",
            Prompt::Consent => "CONSENT",
            Prompt::SelectAccount => "SELECT_ACCOUNT",
            Prompt::Create => "CREATE",
        }
    }
}

/// A validated authorization request: what tickets and `request_uri`s carry. Short field
/// names keep the sealed values short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    #[serde(rename = "cid")]
    pub client_id: String,
    /// The redirect URI the response goes to: the one sent, or the client's only one.
    #[serde(rename = "ru")]
    pub redirect_uri: String,
    /// RFC 6749 §4.1.3: when the request named `redirect_uri`, the token request must too.
    #[serde(rename = "rg", default)]
    pub redirect_uri_given: bool,
    #[serde(rename = "scp", default)]
    pub scopes: Vec<String>,
    #[serde(rename = "st", default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(rename = "cc", default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<CodeChallenge>,
    /// RFC 9449 §10: the thumbprint the code is bound to (`dpop_jkt`, or the proof at PAR).
    #[serde(rename = "jkt", default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<Jkt>,
    #[serde(rename = "pr", default, skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<Prompt>,
    /// OpenID Connect parameters, when the scope has `openid` (OIDC Core §3.1.2.1).
    #[serde(rename = "oi", default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcRequest>,
}

impl AuthRequest {
    /// OIDC Core §3.1.2.1: an OpenID Connect request.
    pub fn is_openid(&self) -> bool {
        self.scopes.iter().any(|s| s == OPENID)
    }
}

/// Where the request is validated: the endpoints differ in how `request_uri` is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The authorization endpoint, for a request that did not come through PAR.
    Authorization,
    /// The PAR endpoint (RFC 9126 §2.1).
    Pushed,
}

/// The client or its redirect URI cannot be trusted: the error is shown to the user, never
/// redirected (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untrusted {
    #[error("{0}")]
    Params(ParamsError),
    #[error("client_id is missing")]
    MissingClientId,
    #[error("unknown client")]
    UnknownClient,
    /// No `redirect_uri`, and the client has not exactly one registered.
    #[error("redirect_uri is required for this client")]
    RedirectUriMissing,
    /// RFC 6749 §3.1.2.3, RFC 9700 §4.1.3: not one of the client's URIs, compared exactly.
    #[error("redirect_uri is not registered for the client")]
    RedirectUriMismatch,
    #[error("request_uri {0}")]
    RequestUri(RequestUriProblem),
}

/// RFC 9126 §4: why a `request_uri` cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestUriProblem {
    #[error("is not one dpopd issued, or was tampered with")]
    Invalid,
    #[error("has expired")]
    Expired,
    #[error("was pushed by another client")]
    OtherClient,
    /// RFC 9126 §7.3: a `request_uri` is used once.
    #[error("was already used")]
    Used,
}

/// A problem with a request whose client and redirect URI are trusted: redirected to the
/// client by the authorization endpoint, answered as JSON by PAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("response_type is missing")]
    ResponseTypeMissing,
    /// Only the code flow is served.
    #[error("response_type is not code")]
    ResponseTypeUnsupported,
    /// The client is not registered for the authorization_code grant.
    #[error("client may not use the authorization code flow")]
    UnauthorizedClient,
    #[error("scope is malformed")]
    BadScope,
    #[error("scope has more than {} values", scope::MAX_SCOPES)]
    TooManyScopes,
    #[error("scope is not allowed for the client")]
    ScopeNotAllowed,
    #[error("{0}")]
    Pkce(PkceError),
    /// RFC 9449 §10: `dpop_jkt` is a base64url SHA-256 thumbprint.
    #[error("dpop_jkt is not a base64url SHA-256 thumbprint")]
    BadDpopJkt,
    /// RFC 9126 §5: the client must push its requests.
    #[error("the client must use pushed authorization requests")]
    ParRequired,
    /// RFC 9126 §2.1: a pushed request may not itself name a `request_uri`.
    #[error("request_uri is not allowed in a pushed request")]
    RequestUriNotAllowed,
    /// RFC 9101 request objects are not supported (`request_not_supported`).
    #[error("request objects are not supported")]
    RequestObjectUnsupported,
    #[error("prompt has an unknown value or combines none with another")]
    BadPrompt,
    /// Only the default, `query`, response mode is served.
    #[error("response_mode is not supported")]
    ResponseModeUnsupported,
    #[error("state is longer than {MAX_STATE_CHARS} characters")]
    StateTooLong,
    /// RFC 6749 Appendix A.5: `state = 1*VSCHAR`, printable ASCII (%x20-7E) only.
    #[error("state has characters other than printable ASCII")]
    StateMalformed,
    #[error("{0}")]
    Oidc(OidcProblem),
    /// The client's `fapi2` profile (FAPI 2.0 §5.3.2.2).
    #[error("{0}")]
    Fapi2(Fapi2Problem),
}

/// Where an error about a trusted request goes (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorTarget {
    pub redirect_uri: String,
    pub state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Untrusted(Untrusted),
    #[error("{problem}")]
    Problem { problem: Problem, to: ErrorTarget },
}

/// Validates the request of `client` (already identified) at `endpoint`.
pub fn validate(
    client: &Client,
    params: &Params,
    endpoint: Endpoint,
) -> Result<AuthRequest, Refusal> {
    let (redirect_uri, redirect_uri_given) =
        redirect_uri(client, params).map_err(Refusal::Untrusted)?;
    let state = params.get("state");
    let state_problem = state.and_then(|s| check_state(s).err());
    let to = ErrorTarget {
        redirect_uri: redirect_uri.clone(),
        // A refused state is not echoed: the redirect carries only a state RFC 6749 allows.
        state: state.filter(|_| state_problem.is_none()).map(str::to_owned),
    };
    let refuse = |problem| Refusal::Problem {
        problem,
        to: to.clone(),
    };
    let checked = check(client, params, endpoint).map_err(refuse)?;
    if let Some(problem) = state_problem {
        return Err(refuse(problem));
    }
    Ok(AuthRequest {
        client_id: client.id.clone(),
        redirect_uri,
        redirect_uri_given,
        scopes: checked.scopes,
        state: to.state,
        code_challenge: checked.code_challenge,
        dpop_jkt: checked.dpop_jkt,
        prompts: checked.prompts,
        oidc: checked.oidc,
    })
}

/// RFC 6749 §3.1.2.3: a client with one registered URI may omit it; otherwise it must send
/// one of its URIs, compared as strings.
fn redirect_uri(client: &Client, params: &Params) -> Result<(String, bool), Untrusted> {
    match (params.get("redirect_uri"), client.redirect_uris.as_slice()) {
        (Some(given), registered) if registered.iter().any(|r| r == given) => {
            Ok((given.to_owned(), true))
        }
        (Some(_), _) => Err(Untrusted::RedirectUriMismatch),
        (None, [only]) => Ok((only.clone(), false)),
        (None, _) => Err(Untrusted::RedirectUriMissing),
    }
}

/// RFC 6749 Appendix A.5: `state = 1*VSCHAR` (%x20-7E), and bounded here. Empty parameters
/// never get this far: [`Params`] treats them as omitted.
fn check_state(state: &str) -> Result<(), Problem> {
    if state.len() > MAX_STATE_CHARS {
        return Err(Problem::StateTooLong);
    }
    if !state.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        return Err(Problem::StateMalformed);
    }
    Ok(())
}

struct Checked {
    scopes: Vec<String>,
    code_challenge: Option<CodeChallenge>,
    dpop_jkt: Option<Jkt>,
    prompts: Vec<Prompt>,
    oidc: Option<OidcRequest>,
}

fn check(client: &Client, params: &Params, endpoint: Endpoint) -> Result<Checked, Problem> {
    let fapi2 = client.profile.is_fapi2();
    match endpoint {
        Endpoint::Authorization if fapi2 => return Err(Problem::Fapi2(Fapi2Problem::ParRequired)),
        Endpoint::Authorization if client.require_par => return Err(Problem::ParRequired),
        Endpoint::Pushed if params.contains("request_uri") => {
            return Err(Problem::RequestUriNotAllowed)
        }
        _ => {}
    }
    if params.contains("request") {
        return Err(Problem::RequestObjectUnsupported);
    }
    match params.get("response_type") {
        None => return Err(Problem::ResponseTypeMissing),
        Some("code") => {}
        Some(_) => return Err(Problem::ResponseTypeUnsupported),
    }
    if !client.may_use(GrantType::AuthorizationCode) {
        return Err(Problem::UnauthorizedClient);
    }
    if params.get("response_mode").is_some_and(|m| m != "query") {
        return Err(Problem::ResponseModeUnsupported);
    }
    // FAPI 2.0 §5.3.2.2: sent even when the client has only one registered URI.
    if fapi2 && !params.contains("redirect_uri") {
        return Err(Problem::Fapi2(Fapi2Problem::RedirectUriRequired));
    }
    // RFC 6749 §3.3: without `scope`, the client's registered scopes are the default.
    let scopes = match params.get("scope") {
        Some(text) => scope::parse(text).map_err(|e| match e {
            ScopeError::Malformed => Problem::BadScope,
            ScopeError::TooMany => Problem::TooManyScopes,
        })?,
        None => client.scopes.clone(),
    };
    if !scope::all_within(&scopes, &client.scopes) {
        return Err(Problem::ScopeNotAllowed);
    }
    let code_challenge = CodeChallenge::from_request(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    )
    .map_err(Problem::Pkce)?;
    if code_challenge.is_none() && fapi2 {
        return Err(Problem::Fapi2(Fapi2Problem::PkceRequired));
    }
    if code_challenge.is_none() && client.is_public() {
        return Err(Problem::Pkce(PkceError::Required));
    }
    let dpop_jkt = match params.get("dpop_jkt") {
        Some(text) => Some(Jkt::parse(text).map_err(|_| Problem::BadDpopJkt)?),
        None => None,
    };
    let prompts = prompts(params.get("prompt"))?;
    let oidc = match scopes.iter().any(|s| s == OPENID) {
        true => Some(OidcRequest::parse(|name| params.get(name)).map_err(Problem::Oidc)?),
        false => None,
    };
    Ok(Checked {
        scopes,
        code_challenge,
        dpop_jkt,
        prompts,
        oidc,
    })
}

/// OpenID Connect Core §3.1.2.1: space-separated values; `none` stands alone.
fn prompts(text: Option<&str>) -> Result<Vec<Prompt>, Problem> {
    let mut out: Vec<Prompt> = Vec::new();
    for value in text.unwrap_or("").split(' ').filter(|v| !v.is_empty()) {
        let prompt = Prompt::ALL
            .into_iter()
            .find(|p| p.name() == value)
            .ok_or(Problem::BadPrompt)?;
        if !out.contains(&prompt) {
            out.push(prompt);
        }
    }
    if out.contains(&Prompt::None) && out.len() > 1 {
        return Err(Problem::BadPrompt);
    }
    Ok(out)
}

/// `redirect_uri` with `pairs` added to its query, keeping any query it already has
/// (RFC 6749 §3.1.2).
pub fn redirect_location(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    let separator = match redirect_uri.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some(_) => "&",
    };
    format!("{redirect_uri}{separator}{}", query.finish())
}

impl ErrorTarget {
    /// RFC 6749 §4.1.2.1 error response, with `iss` per RFC 9207 §2.
    pub fn location(&self, issuer: &str, error: &str, description: &str) -> String {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(state) = &self.state {
            pairs.push(("state", state));
        }
        pairs.push(("iss", issuer));
        redirect_location(&self.redirect_uri, &pairs)
    }
}

#[cfg(test)]
mod tests;
