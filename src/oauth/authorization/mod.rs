//! The authorization endpoint of the code flow (RFC 6749 §4.1) as domain calls. The caller
//! keeps the user interface: [`authorize`] validates the request (directly, or by its PAR
//! `request_uri`, RFC 9126 §4) and hands back a ticket; once the user is logged in and has
//! consented, [`issue`] turns the ticket into a code on the redirect URI, or [`fail`] into an
//! error redirect. Tickets and `request_uri`s are sealed [`Pending`] requests with an expiry,
//! each usable once (docs/api.md, "Authorization code flow").
mod request;
mod ticket;

pub use request::{
    redirect_location, validate, AuthRequest, Endpoint, ErrorTarget, Problem, Prompt, Refusal,
    RequestUriProblem, Untrusted, MAX_STATE_CHARS,
};
pub use ticket::{fail, issue, CodeIssued, FailCall, FailReason, IssueCall, TicketError};

use crate::clock::UnixTime;
use crate::jose::seal::{SealError, Sealer};
use crate::oauth::params::Params;
use crate::oauth::Core;
use crate::store::{Inserted, Namespace, SeenStore};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A validated request waiting for its next step, sealed as a ticket or a `request_uri`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Random; the single-use record's key.
    pub id: String,
    pub exp: i64,
    pub req: AuthRequest,
}

/// What a [`Pending`] request is sealed as: the purpose (so one never opens as the other) and
/// the store namespace of its single use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ticket,
    RequestUri,
}

impl Kind {
    fn purpose(self) -> &'static str {
        match self {
            Kind::Ticket => "ticket",
            Kind::RequestUri => "request_uri",
        }
    }

    fn namespace(self) -> Namespace {
        match self {
            Kind::Ticket => Namespace::Ticket,
            Kind::RequestUri => Namespace::RequestUri,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PendingError {
    #[error("not one dpopd sealed, or tampered with")]
    Invalid,
    #[error("expired")]
    Expired,
    #[error("already used")]
    Used,
    #[error("store unavailable")]
    StoreUnavailable,
}

impl Pending {
    pub fn new(req: AuthRequest, now: UnixTime, lifetime_secs: i64) -> Pending {
        Pending {
            id: crate::jose::secrets::random_id(),
            exp: now.plus(lifetime_secs).secs(),
            req,
        }
    }

    pub fn seal(&self, sealer: &Sealer, kind: Kind) -> Result<String, SealError> {
        sealer.seal_json(kind.purpose(), self)
    }

    pub fn open(
        sealer: &Sealer,
        kind: Kind,
        sealed: &str,
        now: UnixTime,
    ) -> Result<Pending, PendingError> {
        let pending: Pending = sealer
            .open_json(kind.purpose(), sealed)
            .map_err(|_| PendingError::Invalid)?;
        if now.secs() >= pending.exp {
            return Err(PendingError::Expired);
        }
        Ok(pending)
    }

    /// Spends the request: a second use is [`PendingError::Used`]. Run last, after every
    /// stateless check, so a refused call consumes nothing.
    pub async fn consume(
        &self,
        store: &dyn SeenStore,
        kind: Kind,
        now: UnixTime,
    ) -> Result<(), PendingError> {
        let ttl = Duration::from_secs((self.exp - now.secs()).max(1) as u64);
        match store
            .insert_if_absent(kind.namespace(), self.id.as_bytes(), ttl)
            .await
        {
            Ok(Inserted::New) => Ok(()),
            Ok(Inserted::AlreadyPresent(_)) => Err(PendingError::Used),
            Err(_) => Err(PendingError::StoreUnavailable),
        }
    }
}

/// One call of the authorization endpoint: the query string or form body it received.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthorizationCall<'a> {
    pub parameters: &'a str,
}

/// The request is valid: the caller logs the user in and asks for consent, then calls
/// [`issue`] or [`fail`] with the ticket.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub ticket: String,
    pub request: AuthRequest,
    /// The request came through PAR.
    pub pushed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizationError {
    #[error("{0}")]
    Refused(Refusal),
    /// The store did not answer: fail closed.
    #[error("store unavailable")]
    StoreUnavailable,
    /// The validated request, as JSON, is too large to seal into a ticket: a long `state` of
    /// `"` and `\` (two characters each once escaped) with a client's many or long scopes.
    #[error("the request is too large to carry in a ticket")]
    TooLarge,
    #[error("sealing the ticket failed")]
    Sealing,
}

impl From<Untrusted> for AuthorizationError {
    fn from(untrusted: Untrusted) -> AuthorizationError {
        AuthorizationError::Refused(Refusal::Untrusted(untrusted))
    }
}

pub async fn authorize(
    core: &Core,
    call: AuthorizationCall<'_>,
    now: UnixTime,
) -> Result<Interaction, AuthorizationError> {
    let params = Params::parse(call.parameters).map_err(Untrusted::Params)?;
    let client_id = params.get("client_id").ok_or(Untrusted::MissingClientId)?;
    let client = core
        .clients
        .get(client_id)
        .ok_or(Untrusted::UnknownClient)?;
    let pushed = match params.get("request_uri") {
        Some(uri) => Some(crate::oauth::par::open_request_uri(core, client, uri, now)?),
        None => None,
    };
    let request = match &pushed {
        // RFC 9101 §6.3 (which RFC 9126 §4 follows): only the pushed parameters count.
        Some(pending) => pending.req.clone(),
        None => validate(client, &params, Endpoint::Authorization)
            .map_err(AuthorizationError::Refused)?,
    };
    let ticket = Pending::new(request, now, core.ticket_lifetime_secs);
    let sealed = ticket
        .seal(&core.sealer, Kind::Ticket)
        .map_err(|e| e.too_large_or(AuthorizationError::TooLarge, AuthorizationError::Sealing))?;
    if let Some(pending) = &pushed {
        pending
            .consume(core.store.as_ref(), Kind::RequestUri, now)
            .await
            .map_err(|e| match e {
                PendingError::StoreUnavailable => AuthorizationError::StoreUnavailable,
                _ => Untrusted::RequestUri(RequestUriProblem::Used).into(),
            })?;
    }
    Ok(Interaction {
        ticket: sealed,
        request: ticket.req,
        pushed: pushed.is_some(),
    })
}
