//! The end of an authorization request: the caller has logged the user in and asked for
//! consent, and hands the ticket back. [`issue`] answers with the authorization response
//! (RFC 6749 §4.1.2: `code` and `state`, plus `iss` per RFC 9207 §2); [`fail`] with the error
//! response (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6) for the reason the caller gives.
//! Either spends the ticket.
use super::request::{redirect_location, ErrorTarget};
use super::{Kind, Pending, PendingError};
use crate::clock::UnixTime;
use crate::oauth::code::CodeRecord;
use crate::oauth::id_token::{Authentication, AuthenticationInput, AuthenticationProblem, OPENID};
use crate::oauth::{scope, Core, Property};
use serde::Deserialize;

#[derive(Debug, Clone, Default)]
pub struct IssueCall<'a> {
    pub ticket: &'a str,
    pub subject: &'a str,
    /// Replaces the requested scopes (what the user consented to); within the client's.
    pub scopes: Option<Vec<String>>,
    pub properties: Vec<Property>,
    pub jwt_at_claims: serde_json::Map<String, serde_json::Value>,
    /// The user's authentication and the claims for the ID token (OpenID Connect requests).
    pub authentication: AuthenticationInput<'a>,
}

#[derive(Debug, Clone)]
pub struct CodeIssued {
    /// The redirect URI with `code`, `state` and `iss`.
    pub location: String,
    pub code: String,
    pub client_id: String,
    pub subject: String,
    pub scopes: Vec<String>,
}

/// Why the caller gives up on the request (Authlete's `reason` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailReason {
    Unknown,
    NotLoggedIn,
    MaxAgeNotSupported,
    ExceedsMaxAge,
    DifferentSubject,
    AcrNotSatisfied,
    Denied,
    ServerError,
    NotAuthenticated,
    AccountSelectionRequired,
    ConsentRequired,
    InteractionRequired,
    InvalidTarget,
    TemporarilyUnavailable,
}

impl FailReason {
    /// The OAuth error (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6, RFC 8707 §2) and the
    /// description sent when the caller gives none.
    pub fn error(self) -> (&'static str, &'static str) {
        use FailReason::*;
        match self {
            Denied => ("access_denied", "The resource owner denied the request."),
            NotLoggedIn | NotAuthenticated => ("login_required", "The end-user is not logged in."),
            MaxAgeNotSupported | ExceedsMaxAge => {
                ("login_required", "The end-user must authenticate again.")
            }
            DifferentSubject => (
                "login_required",
                "The end-user is not the requested subject.",
            ),
            AcrNotSatisfied => (
                "login_required",
                "The requested authentication context could not be met.",
            ),
            AccountSelectionRequired => (
                "account_selection_required",
                "The end-user must select an account.",
            ),
            ConsentRequired => ("consent_required", "The end-user must consent."),
            InteractionRequired => (
                "interaction_required",
                "The end-user must interact with the server.",
            ),
            InvalidTarget => ("invalid_target", "The requested resource is invalid."),
            TemporarilyUnavailable => (
                "temporarily_unavailable",
                "The server is temporarily unavailable.",
            ),
            Unknown | ServerError => ("server_error", "The server could not process the request."),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct FailCall<'a> {
    pub ticket: &'a str,
    pub reason: FailReason,
    /// Replaces the default `error_description`; RFC 6749 §4.1.2.1 characters only.
    pub description: Option<&'a str>,
}

/// Why a ticket call is refused; every variant but the last two is the caller's mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("ticket is not one dpopd issued, or was tampered with")]
    Invalid,
    #[error("ticket has expired")]
    Expired,
    #[error("ticket was already used")]
    Used,
    #[error("subject is empty")]
    SubjectMissing,
    #[error("scopes are malformed or not allowed for the client")]
    ScopeNotAllowed,
    #[error("{0}")]
    Authentication(AuthenticationProblem),
    /// RFC 6749 §4.1.2.1: `error_description` is `%x20-21 / %x23-5B / %x5D-7E`, bounded here.
    #[error("description has characters RFC 6749 does not allow, or is too long")]
    BadDescription,
    /// Properties and `jwtAtClaims` make the sealed code longer than dpopd accepts back.
    #[error("properties and jwtAtClaims make the code too large")]
    TooLarge,
    #[error("store unavailable")]
    StoreUnavailable,
    #[error("sealing the code failed")]
    Sealing,
}

const MAX_DESCRIPTION_CHARS: usize = 512;

pub async fn issue(
    core: &Core,
    call: IssueCall<'_>,
    now: UnixTime,
) -> Result<CodeIssued, TicketError> {
    if call.subject.is_empty() {
        return Err(TicketError::SubjectMissing);
    }
    let ticket = open(core, call.ticket, now)?;
    let req = &ticket.req;
    let client = core
        .clients
        .get(&req.client_id)
        .ok_or(TicketError::Invalid)?;
    let scopes = match call.scopes {
        Some(list) => {
            let parsed = scope::parse_list(&list).map_err(|_| TicketError::ScopeNotAllowed)?;
            if !scope::all_within(&parsed, &client.scopes) {
                return Err(TicketError::ScopeNotAllowed);
            }
            parsed
        }
        None => req.scopes.clone(),
    };
    let oidc = match scopes.iter().any(|s| s == OPENID) {
        true => {
            let request = req.oidc.clone().unwrap_or_default();
            let authentication = Authentication::new(&request, &scopes, call.authentication, now)
                .map_err(TicketError::Authentication)?;
            Some(authentication)
        }
        false => None,
    };
    let record = CodeRecord {
        id: crate::jose::secrets::random_id(),
        client_id: req.client_id.clone(),
        subject: call.subject.to_owned(),
        scopes,
        redirect_uri: req.redirect_uri.clone(),
        redirect_uri_given: req.redirect_uri_given,
        code_challenge: req.code_challenge.clone(),
        jkt: req.dpop_jkt.clone(),
        iat: now.secs(),
        exp: now
            .plus(client.profile.code_lifetime_secs(core.code_lifetime_secs))
            .secs(),
        properties: call.properties,
        extra_claims: call.jwt_at_claims,
        oidc,
    };
    let code = record
        .seal(&core.sealer)
        .map_err(|e| e.too_large_or(TicketError::TooLarge, TicketError::Sealing))?;
    spend(core, &ticket, now).await?;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &req.state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", &core.issuer));
    let location = redirect_location(&req.redirect_uri, &pairs);
    Ok(CodeIssued {
        location,
        code,
        client_id: record.client_id,
        subject: record.subject,
        scopes: record.scopes,
    })
}

/// The error redirect for `call.reason`.
pub async fn fail(core: &Core, call: FailCall<'_>, now: UnixTime) -> Result<String, TicketError> {
    let (error, default_description) = call.reason.error();
    let description = match call.description {
        Some(text) if !is_description(text) => return Err(TicketError::BadDescription),
        Some(text) => text,
        None => default_description,
    };
    let ticket = open(core, call.ticket, now)?;
    spend(core, &ticket, now).await?;
    let to = ErrorTarget {
        redirect_uri: ticket.req.redirect_uri,
        state: ticket.req.state,
    };
    Ok(to.location(&core.issuer, error, description))
}

fn open(core: &Core, ticket: &str, now: UnixTime) -> Result<Pending, TicketError> {
    Pending::open(&core.sealer, Kind::Ticket, ticket, now).map_err(ticket_error)
}

async fn spend(core: &Core, ticket: &Pending, now: UnixTime) -> Result<(), TicketError> {
    ticket
        .consume(core.store.as_ref(), Kind::Ticket, now)
        .await
        .map_err(ticket_error)
}

fn ticket_error(e: PendingError) -> TicketError {
    match e {
        PendingError::Invalid => TicketError::Invalid,
        PendingError::Expired => TicketError::Expired,
        PendingError::Used => TicketError::Used,
        PendingError::StoreUnavailable => TicketError::StoreUnavailable,
    }
}

fn is_description(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_DESCRIPTION_CHARS
        && text
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

#[cfg(test)]
mod tests;
