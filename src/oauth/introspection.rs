//! The resource server's decision (RFC 6750 §3, RFC 9449 §7) as one domain call: is the token
//! one of this service's and usable now, was it presented as it must be (a DPoP-bound token
//! needs a proof with `ath` and the bound key, and is never accepted as a Bearer token), and
//! does it grant what the resource requires (scopes, subject, audience). The OpenID Connect
//! userinfo endpoint (OIDC Core §5.3) is the same decision with the `openid` scope required.
//! The proof's replay record (RFC 9449 §4.3 check 11) runs last, so a refused call consumes
//! nothing.
//!
//! A resource server that learns a token's binding elsewhere (an opaque token it introspects
//! at its own authorization server, which answers `cnf.jkt`) gives that thumbprint with the
//! token: then the token is not read at all, and the decision is the proof's alone — every
//! check of RFC 9449 §4.3 with `ath` over the token and the key bound to the thumbprint, the
//! nonce, the replay record, and no Bearer downgrade (docs/api.md, "Opaque tokens").
use crate::clock::UnixTime;
use crate::dpop::input::{DpopInput, ProofInput};
use crate::dpop::proof::{CheckedProof, DpopError, Expectation, Validator, VerifiedProof};
use crate::jose::jwk::Jkt;
use crate::oauth::access::{self, AccessError, VerifiedAccess};
use crate::oauth::tokens::TokenType;
use crate::oauth::{scope, Core};
use std::sync::Arc;

/// One introspection call, as the resource server forwarded it and the API checked it (every
/// required scope a scope token, every list within its bound).
#[derive(Debug, Clone, Default)]
pub struct IntrospectionCall<'a> {
    /// The token from `Authorization: DPoP|Bearer`: `None` when the request carried none,
    /// empty when the header carried a scheme and no credentials.
    pub token: Option<&'a str>,
    /// Scopes the resource requires, every one of them.
    pub scopes: &'a [String],
    /// The subject the resource belongs to, when the token must be that subject's.
    pub subject: Option<&'a str>,
    /// Resource indicators (RFC 8707) that must all be in the token's `aud`.
    pub resources: &'a [String],
    /// How the client presented the token, when the resource server says.
    pub scheme: Option<TokenType>,
    /// The proof and the resource request it must be for (method default `GET`).
    pub dpop: DpopInput,
    /// The resource is DPoP-only (RFC 9449 §7.1): a token that is not DPoP-bound, or is
    /// presented without a valid proof, is refused, and no Bearer challenge is offered.
    pub dpop_required: bool,
    /// The thumbprint the token is bound to, as the resource server learned it: the token is
    /// then not read, and only the proof is judged (`scopes`, `subject` and `resources` are
    /// empty: nothing here could check them).
    pub thumbprint: Option<Jkt>,
}

pub struct IntrospectionOutcome {
    pub result: Result<Introspected, IntrospectionError>,
    /// The token once it verified and was found not revoked, also on refusals decided after
    /// that (the proof, the scopes).
    pub access: Option<Arc<VerifiedAccess>>,
    /// The token verified and grants every required scope (whatever the proof).
    pub sufficient: bool,
    /// The challenge scheme (RFC 9449 §7.1): `DPoP` when the token is bound or was presented
    /// as DPoP or the resource is DPoP-only, `Bearer` otherwise.
    pub challenge: TokenType,
    /// The resource takes Bearer tokens: not DPoP-only.
    pub bearer_accepted: bool,
    /// Set whenever nonces are required for this call, success included (docs/api.md, "Proof
    /// validation").
    pub dpop_nonce: Option<String>,
}

/// A token the resource may serve: verified, presented correctly, sufficient.
#[derive(Debug)]
pub struct Introspected {
    /// The verified token; `None` when the call gave the thumbprint and only the proof was
    /// judged.
    pub access: Option<Arc<VerifiedAccess>>,
    /// The accepted proof; for an unbound token presented as DPoP, the proof is reported here.
    pub proof: Option<VerifiedProof>,
}

/// Why the resource must refuse; one variant per decision the wire answers differently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntrospectionError {
    /// RFC 6750 §3.1 / RFC 9449 §7.2: no token at all: a bare challenge, no error code.
    #[error("no access token")]
    NoToken,
    /// RFC 6750 §3.1 `invalid_request`: the token is the empty string, an `Authorization`
    /// header with a scheme and no credentials (RFC 6750 §2.1 requires 1 or more characters).
    #[error("the access token is empty")]
    EmptyToken,
    /// RFC 6750 §3.1 `invalid_token`.
    #[error("access token is not usable: {0}")]
    InvalidToken(AccessError),
    /// RFC 9449 §7.1: a DPoP-bound token presented with the Bearer scheme (a downgrade).
    #[error("DPoP-bound token presented as a Bearer token")]
    Downgrade,
    /// RFC 9449 §7.1: the token is bound or presented as DPoP and no proof came with it.
    #[error("no DPoP proof")]
    ProofMissing,
    /// RFC 9449 §7.1: the resource requires DPoP and the token is not DPoP-bound, whatever
    /// scheme or proof it came with.
    #[error("the resource is DPoP-only and the access token is not DPoP-bound")]
    TokenNotBound,
    /// RFC 9449 §4.3 checks 1–11 (`KeyMismatch` is `invalid_token`, `UseNonce` `use_dpop_nonce`).
    #[error("DPoP proof rejected: {0}")]
    Dpop(DpopError),
    /// RFC 6750 §3.1 `insufficient_scope`: a required scope is not granted. `required` is
    /// every scope the resource requires, space-separated (the challenge's `scope`).
    #[error("a required scope is not granted (required: {required})")]
    InsufficientScope { required: String },
    /// The token was issued for another subject than the one the resource belongs to.
    #[error("token subject does not match")]
    SubjectMismatch,
    /// RFC 8707 §2 / RFC 9068 §4: a required resource is not in the token's `aud`.
    #[error("a resource is not in the token audience")]
    ResourceNotInAudience,
    /// The store did not answer: fail closed.
    #[error("store unavailable")]
    StoreUnavailable,
}

/// The most `resources` one call may require (RFC 8707 resource indicators): a resource server
/// names the one or few it serves. Required `scopes` are bounded by [`scope::MAX_SCOPES`].
pub const MAX_RESOURCES: usize = 64;

/// OIDC Core §3.1.2.1: the scope every userinfo call needs.
pub const USERINFO_SCOPE: &str = "openid";

pub async fn introspect(
    core: &Core,
    call: &IntrospectionCall<'_>,
    now: UnixTime,
) -> IntrospectionOutcome {
    let nonce_required = call.dpop.nonce_required || core.rs_nonce_required;
    let mut outcome = IntrospectionOutcome {
        result: Err(IntrospectionError::NoToken),
        access: None,
        sufficient: false,
        challenge: if presented_as_dpop(call) || call.dpop_required {
            TokenType::DPoP
        } else {
            TokenType::Bearer
        },
        bearer_accepted: !call.dpop_required,
        dpop_nonce: nonce_required.then(|| core.dpop.nonces().current(now)),
    };
    outcome.result = run(core, call, now, nonce_required, &mut outcome).await;
    outcome
}

/// OIDC Core §5.3.1: userinfo needs a token granting `openid`; otherwise as [`introspect`].
pub async fn userinfo(
    core: &Core,
    call: &IntrospectionCall<'_>,
    now: UnixTime,
) -> IntrospectionOutcome {
    let openid = [String::from(USERINFO_SCOPE)];
    let call = IntrospectionCall {
        scopes: &openid,
        subject: None,
        resources: &[],
        ..call.clone()
    };
    introspect(core, &call, now).await
}

/// RFC 9449 §7.1: the `DPoP` scheme, or, when the resource server does not say, a proof.
fn presented_as_dpop(call: &IntrospectionCall<'_>) -> bool {
    match call.scheme {
        Some(scheme) => scheme == TokenType::DPoP,
        None => call.dpop.proof.is_some(),
    }
}

async fn run(
    core: &Core,
    call: &IntrospectionCall<'_>,
    now: UnixTime,
    nonce_required: bool,
    outcome: &mut IntrospectionOutcome,
) -> Result<Introspected, IntrospectionError> {
    let token = match call.token {
        None => return Err(IntrospectionError::NoToken),
        Some("") => return Err(IntrospectionError::EmptyToken),
        Some(token) => token,
    };
    if let Some(jkt) = &call.thumbprint {
        outcome.challenge = TokenType::DPoP;
        let checked = check_bound_proof(core, call, token, None, jkt, nonce_required, now)?;
        let proof = Validator::record(checked, core.store.as_ref())
            .await
            .map_err(IntrospectionError::Dpop)?;
        return Ok(Introspected {
            access: None,
            proof: Some(proof),
        });
    }
    // The token is judged completely, deny list included, before its presentation, so a
    // refusal for the proof still says truthfully whether the token exists.
    let access = access::verify(core, token, now)
        .await
        .map_err(invalid_token)?;
    outcome.access = Some(Arc::clone(&access));
    outcome.sufficient = scope::all_within(call.scopes, &access.scopes);
    if access.jkt.is_some() {
        outcome.challenge = TokenType::DPoP;
    }
    let checked = check_proof(core, call, token, &access, nonce_required, now)?;
    check_grants(call, &access, outcome.sufficient)?;
    let proof = match checked {
        Some(c) => Some(
            Validator::record(c, core.store.as_ref())
                .await
                .map_err(IntrospectionError::Dpop)?,
        ),
        None => None,
    };
    Ok(Introspected {
        access: Some(access),
        proof,
    })
}

/// RFC 9449 §7.1: a bound token needs a proof with `ath` and the bound key and is never a
/// Bearer token; an unbound token presented as DPoP needs a valid proof with `ath` (RFC 9449
/// §7: the proof is checked and reported); an unbound Bearer token needs none, and a proof
/// sent along with `tokenScheme: Bearer` is not looked at (RFC 6750 knows no proofs). A
/// DPoP-only resource refuses every unbound token.
fn check_proof(
    core: &Core,
    call: &IntrospectionCall<'_>,
    token: &str,
    access: &VerifiedAccess,
    nonce_required: bool,
    now: UnixTime,
) -> Result<Option<CheckedProof>, IntrospectionError> {
    if let Some(jkt) = &access.jkt {
        return check_bound_proof(core, call, token, Some(access), jkt, nonce_required, now)
            .map(Some);
    }
    if call.dpop_required {
        return Err(IntrospectionError::TokenNotBound);
    }
    if !presented_as_dpop(call) {
        return Ok(None);
    }
    presented_proof(core, call, token, Some(access), None, nonce_required, now).map(Some)
}

/// RFC 9449 §7.1 for a token bound to `jkt`: never a Bearer token, and a proof of that key.
fn check_bound_proof(
    core: &Core,
    call: &IntrospectionCall<'_>,
    token: &str,
    access: Option<&VerifiedAccess>,
    jkt: &Jkt,
    nonce_required: bool,
    now: UnixTime,
) -> Result<CheckedProof, IntrospectionError> {
    if call.scheme == Some(TokenType::Bearer) {
        return Err(IntrospectionError::Downgrade);
    }
    presented_proof(core, call, token, access, Some(jkt), nonce_required, now)
}

/// RFC 9449 §4.3 checks 1–10 of the presented proof, with `ath` over `token` and, when the
/// token is bound, its key.
fn presented_proof(
    core: &Core,
    call: &IntrospectionCall<'_>,
    token: &str,
    access: Option<&VerifiedAccess>,
    bound_jkt: Option<&Jkt>,
    nonce_required: bool,
    now: UnixTime,
) -> Result<CheckedProof, IntrospectionError> {
    if call.dpop.has_several_headers() {
        return Err(IntrospectionError::Dpop(DpopError::MultipleProofs));
    }
    let proof = call
        .dpop
        .proof
        .as_ref()
        .ok_or(IntrospectionError::ProofMissing)?;
    let expect = Expectation {
        bound_jkt,
        ..resource_expectation(
            core,
            access,
            token,
            proof,
            call.dpop.header_count,
            nonce_required,
            now,
        )
    };
    core.dpop
        .check(&proof.jws, &expect)
        .map_err(IntrospectionError::Dpop)
}

/// What a proof presented with `token` at a resource must be (RFC 9449 §4.3 check 10, §7.1):
/// bound to the token by `ath` and, when the token is bound, to its key, with the service's
/// alg list narrowed to the token client's. `access` is `None` for a token that did not
/// verify: then only the service's list and `ath` apply (`/auth/dpop/explain`).
pub fn resource_expectation<'a>(
    core: &Core,
    access: Option<&'a VerifiedAccess>,
    token: &'a str,
    proof: &'a ProofInput,
    header_count: usize,
    nonce_required: bool,
    now: UnixTime,
) -> Expectation<'a> {
    // Another issuer's `client_id` names none of dpopd's clients.
    let client_algs = access
        .filter(|a| a.is_own())
        .and_then(|a| core.clients.get(&a.claims.client_id))
        .and_then(|c| c.dpop_algs);
    Expectation {
        header_count: header_count.max(1),
        htm: &proof.htm,
        htu: &proof.htu,
        access_token: Some(token),
        bound_jkt: access.and_then(|a| a.jkt.as_ref()),
        nonce_required,
        algs: client_algs.unwrap_or(core.service_algs),
        now,
    }
}

/// What the token grants against what the resource requires: 403s, decided after every 401.
fn check_grants(
    call: &IntrospectionCall<'_>,
    access: &VerifiedAccess,
    sufficient: bool,
) -> Result<(), IntrospectionError> {
    if !sufficient {
        return Err(IntrospectionError::InsufficientScope {
            required: scope::join(call.scopes),
        });
    }
    if call.subject.is_some_and(|s| s != access.claims.sub) {
        return Err(IntrospectionError::SubjectMismatch);
    }
    if !access.claims.aud.contains_all(call.resources) {
        return Err(IntrospectionError::ResourceNotInAudience);
    }
    Ok(())
}

fn invalid_token(e: AccessError) -> IntrospectionError {
    match e {
        AccessError::StoreUnavailable => IntrospectionError::StoreUnavailable,
        other => IntrospectionError::InvalidToken(other),
    }
}

#[cfg(test)]
mod tests;
