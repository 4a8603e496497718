//! The token endpoint (RFC 6749 §3.2, §5) as one domain call: parse the form, authenticate the
//! client, prepare the grant, validate the DPoP proof (RFC 9449 §5), then — only once every
//! stateless check passed — record the proof and consume single-use state, and issue tokens.
//! A failed call consumes nothing.
mod authorization_code;
mod client_credentials;
mod issue;
mod refresh_token;

use crate::clock::UnixTime;
use crate::dpop::input::DpopInput;
use crate::dpop::proof::{CheckedProof, DpopError, Validator};
use crate::jose::jwk::Jkt;
use crate::oauth::client_assertion;
use crate::oauth::client_proof;
use crate::oauth::clients::{Client, ClientAuthError, ClientCredentials, GrantType};
use crate::oauth::params::{Params, ParamsError};
use crate::oauth::tokens::TokenType;
use crate::oauth::{Core, Property};

pub(crate) use issue::{issue, Binding, Plan};
pub use issue::{Issued, Lifetimes};
pub use refresh_token::revoke_grant;

/// One call of the token endpoint, as the caller forwarded it and the API checked it.
#[derive(Debug, Clone, Default)]
pub struct TokenCall<'a> {
    /// The form body the token endpoint received.
    pub parameters: &'a str,
    pub credentials: ClientCredentials<'a>,
    pub dpop: DpopInput,
    pub lifetimes: Lifetimes,
    pub jwt_at_claims: serde_json::Map<String, serde_json::Value>,
    pub properties: Vec<Property>,
}

pub struct TokenOutcome {
    pub result: Result<Issued, TokenError>,
    /// Set whenever nonces are required for this call, success included (docs/api.md,
    /// "Proof validation").
    pub dpop_nonce: Option<String>,
}

/// Why the token endpoint refused; one variant per OAuth error the caller relays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("invalid request: {0}")]
    InvalidRequest(RequestProblem),
    #[error("unsupported grant type")]
    UnsupportedGrantType,
    #[error("client authentication failed: {0}")]
    Client(ClientAuthError),
    #[error("client may not use the {} grant", .0.name())]
    UnauthorizedClient(GrantType),
    #[error("requested scope is not allowed")]
    InvalidScope,
    /// The client is registered with `dpop_bound_access_tokens` and sent no proof.
    #[error("DPoP proof required")]
    DpopRequired,
    /// FAPI 2.0 §5.3.2.1: a `fapi2` client's access tokens are sender-constrained (DPoP here),
    /// and it sent no proof.
    #[error("profile fapi2: DPoP proof required")]
    Fapi2DpopRequired,
    #[error("DPoP proof rejected: {0}")]
    Dpop(DpopError),
    #[error("invalid grant: {0}")]
    InvalidGrant(GrantProblem),
    /// The store did not answer: fail closed, never an accepted replay.
    #[error("store unavailable")]
    StoreUnavailable,
    /// Properties and `jwtAtClaims` make a sealed part of the tokens (`prp`, the refresh
    /// token) too large to issue: the caller gave too much, here or when it issued the code.
    #[error("properties and jwtAtClaims make a token too large")]
    TooLarge,
    /// Signing or sealing failed.
    #[error("token signing failed")]
    Signing,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestProblem {
    #[error("{0}")]
    Params(ParamsError),
    #[error("grant_type is missing")]
    MissingGrantType,
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("scope is malformed")]
    BadScope,
    #[error("scope has more than {} values", crate::oauth::scope::MAX_SCOPES)]
    TooManyScopes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantProblem {
    #[error("refresh token is invalid")]
    RefreshInvalid,
    #[error("refresh token has expired")]
    RefreshExpired,
    #[error("refresh token was issued to another client")]
    RefreshOtherClient,
    /// RFC 9449 §5: a public client's refresh token needs a proof with the bound key.
    #[error("refresh token is bound to another DPoP key")]
    RefreshKeyMismatch,
    /// A rotated refresh token came back: the whole family is revoked.
    #[error("refresh token was already used; its family is revoked")]
    RefreshReused,
    #[error("refresh token has been revoked")]
    RefreshRevoked,
    #[error("authorization code is invalid")]
    CodeInvalid,
    #[error("authorization code has expired")]
    CodeExpired,
    #[error("authorization code was issued to another client")]
    CodeOtherClient,
    /// RFC 6749 §4.1.3: `redirect_uri` must be identical to the authorization request's.
    #[error("redirect_uri does not match the authorization request")]
    CodeRedirectUriMismatch,
    /// RFC 7636 §4.6.
    #[error("PKCE: {0}")]
    Pkce(crate::oauth::pkce::VerifierError),
    /// RFC 9449 §10: the code is bound by `dpop_jkt` to another key, or no proof was sent.
    #[error("authorization code is bound to another DPoP key")]
    CodeKeyMismatch,
    /// RFC 6749 §4.1.2: a second redemption; the tokens of the first are revoked.
    #[error("authorization code was already used; its tokens are revoked")]
    CodeReused,
}

/// What the client presented to get tokens, besides its credentials.
pub(crate) enum Presented {
    /// Nothing: client credentials, or delegated issuance.
    Nothing,
    RefreshToken(refresh_token::PresentedRefreshToken),
    Code(authorization_code::PresentedCode),
}

impl Presented {
    /// RFC 9449 §5, §10: a refresh token or code bound to a key needs a proof made with it.
    fn check_binding(&self, proof_jkt: Option<&Jkt>) -> Result<(), TokenError> {
        match self {
            Presented::Nothing => Ok(()),
            Presented::RefreshToken(rt) => rt.check_binding(proof_jkt),
            Presented::Code(code) => code.check_binding(proof_jkt),
        }
    }

    /// The stateful part, run last: the refresh token or code is spent.
    async fn consume(
        &self,
        core: &Core,
        client: &Client,
        plan: Plan,
        now: UnixTime,
    ) -> Result<(), TokenError> {
        match self {
            Presented::Nothing => Ok(()),
            Presented::RefreshToken(rt) => rt.consume(core, client, now).await,
            Presented::Code(code) => code.consume(core, plan.grant_end(), now).await,
        }
    }
}

/// The state a grant carries from its stateless preparation to issuance.
pub(crate) struct Prepared {
    pub grant: GrantType,
    pub subject: String,
    pub scopes: Vec<String>,
    pub properties: Vec<Property>,
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub presented: Presented,
}

pub async fn token(core: &Core, call: TokenCall<'_>, now: UnixTime) -> TokenOutcome {
    let step = async |nonce_required: &mut bool| run(core, &call, now, nonce_required).await;
    let (result, dpop_nonce) = core
        .with_dpop_nonce(now, call.dpop.nonce_required, step)
        .await;
    TokenOutcome { result, dpop_nonce }
}

async fn run(
    core: &Core,
    call: &TokenCall<'_>,
    now: UnixTime,
    nonce_required: &mut bool,
) -> Result<Issued, TokenError> {
    let params = Params::parse(call.parameters)
        .map_err(|e| TokenError::InvalidRequest(RequestProblem::Params(e)))?;
    let grant = match params.get("grant_type") {
        None => return Err(TokenError::InvalidRequest(RequestProblem::MissingGrantType)),
        Some(name) => match GrantType::parse(name) {
            None => return Err(TokenError::UnsupportedGrantType),
            Some(g) => g,
        },
    };
    let client = client_assertion::authenticate(core, call.credentials, &params, now)
        .await
        .map_err(TokenError::Client)?;
    *nonce_required |= client.dpop_nonce_required;
    if !client.may_use(grant) {
        return Err(TokenError::UnauthorizedClient(grant));
    }
    let prepared = match grant {
        GrantType::ClientCredentials => client_credentials::prepare(client, &params, call)?,
        GrantType::RefreshToken => refresh_token::prepare(core, client, &params, now)?,
        GrantType::AuthorizationCode => authorization_code::prepare(core, client, &params, now)?,
    };
    let checked = check_proof(core, client, &call.dpop, *nonce_required, now)?;
    prepared
        .presented
        .check_binding(checked.as_ref().map(CheckedProof::jkt))?;
    let proof = match checked {
        Some(c) => Some(
            Validator::record(c, core.store.as_ref())
                .await
                .map_err(TokenError::Dpop)?,
        ),
        None => None,
    };
    let plan = Plan::new(core, client, call.lifetimes, &prepared, now);
    prepared.presented.consume(core, client, plan, now).await?;
    issue::issue(
        core,
        client,
        plan,
        prepared,
        Binding::of(proof.as_ref()),
        now,
    )
}

/// RFC 9449 §5: a proof, when present, must pass every stateless check; without one the
/// token is a Bearer token unless the client must use DPoP, or the client's request had a
/// `DPoP` header the caller did not relay.
fn check_proof(
    core: &Core,
    client: &Client,
    dpop: &DpopInput,
    nonce_required: bool,
    now: UnixTime,
) -> Result<Option<CheckedProof>, TokenError> {
    let checked =
        client_proof::check(core, client, dpop, nonce_required, now).map_err(TokenError::Dpop)?;
    if checked.is_none() && client.profile.is_fapi2() {
        return Err(TokenError::Fapi2DpopRequired);
    }
    if checked.is_none() && (client.dpop_bound_access_tokens || dpop.lost_its_proof()) {
        return Err(TokenError::DpopRequired);
    }
    Ok(checked)
}

/// RFC 9449 §5, §10: a refresh token or code bound to a key needs a proof made with that key.
fn proof_matches(bound: Option<&Jkt>, proof_jkt: Option<&Jkt>) -> bool {
    match (bound, proof_jkt) {
        (None, _) => true,
        (Some(bound), Some(jkt)) => jkt.ct_eq(bound),
        (Some(_), None) => false,
    }
}

/// A `scope` parameter that does not parse (RFC 6749 §3.3), in either grant that takes one.
fn bad_scope(e: crate::oauth::scope::ScopeError) -> TokenError {
    use crate::oauth::scope::ScopeError;
    TokenError::InvalidRequest(match e {
        ScopeError::Malformed => RequestProblem::BadScope,
        ScopeError::TooMany => RequestProblem::TooManyScopes,
    })
}

fn token_type(jkt: Option<&Jkt>) -> TokenType {
    if jkt.is_some() {
        TokenType::DPoP
    } else {
        TokenType::Bearer
    }
}
