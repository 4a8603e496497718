//! `POST /auth/dpop/explain` (and `/api/auth/dpop/explain`), role `as` (a proof for the token
//! endpoint) or `rs` (a proof presented with an access token): a support tool. The caller sends a client's proof with the DPoP fields of the call it came with (and
//! the access token, for a resource call); dpopd runs the checks the token endpoint or
//! introspection would, against its own configuration and clock, and answers every check of
//! RFC 9449 §4.3 with what was expected and received, and the refusal the endpoint would have
//! answered. The `jti` is not recorded and nothing is issued. Each caller has a budget of
//! `explain_per_minute` calls (docs/api.md, "Explaining a proof").
use super::action::Action;
use super::answer::{accept, Api, Head, Refusal, Refuse};
use super::body::ApiJson;
use super::caller::AnyCaller;
use super::fields::DpopFields;
use super::refusals::AtResource;
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::clock::UnixTime;
use crate::config::Role;
use crate::dpop::proof::explain::Report;
use crate::live::Live;
use crate::oauth::access::AccessError;
use crate::oauth::dpop_explain::{self, ExplainCall, ExplainError, ExplainOutcome};
use crate::oauth::grants::TokenError;
use crate::oauth::introspection::IntrospectionError;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainRequest {
    /// `dpop` (required), `dpopHeaderCount`, `htm`, `htu`, `dpopNonceRequired`.
    #[serde(flatten)]
    pub dpop: DpopFields,
    /// A resource call: the access token the proof was presented with.
    pub token: Option<String>,
    /// At the token endpoint: the client whose alg list and nonce policy apply.
    pub client_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainResponse {
    #[serde(flatten)]
    pub head: Head,
    #[serde(flatten)]
    pub report: Report,
    /// What the endpoint would have answered, when it would have refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<WouldAnswer>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WouldAnswer {
    pub action: Action,
    pub result_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
}

impl From<Refusal> for WouldAnswer {
    fn from(r: Refusal) -> WouldAnswer {
        WouldAnswer {
            action: r.action,
            result_code: r.code.code(),
            error: r.error,
        }
    }
}

pub async fn explain(
    caller: AnyCaller,
    live: Live,
    body: ApiJson<ExplainRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    // The role of the endpoint explained: a proof is no way around the role of introspection.
    let role = if req.token.is_some() {
        Role::Rs
    } else {
        Role::As
    };
    if !caller.0.has(role) {
        return Err(ApiError::new(R::CallerForbidden));
    }
    if !live
        .callers
        .take_explain_call(&caller.0, std::time::Instant::now())
    {
        return Err(ApiError::new(R::ExplainRateLimited));
    }
    let now = UnixTime::now();
    let core = &live.core;
    let dpop = match req.token {
        Some(_) => req.dpop.into_input("GET", None)?,
        None => req.dpop.into_input("POST", Some(&core.token_htu))?,
    };
    let proof = dpop.proof.as_ref().ok_or_else(|| {
        ApiError::with_detail(
            R::MalformedRequest,
            "dpop: the proof to explain is required",
        )
    })?;
    let call = ExplainCall {
        proof,
        header_count: dpop.header_count,
        nonce_required: dpop.nonce_required,
        client_id: req.client_id.as_deref(),
        token: req.token.as_deref(),
    };
    let outcome = dpop_explain::explain(core, &call, now)
        .await
        .map_err(|ExplainError::ClientUnknown| ApiError::new(R::ExplainClientUnknown))?;
    let report = &outcome.explanation.report;
    tracing::info!(
        api = Api::DpopExplain.label(),
        accepted = report.accepted,
        failed_check = report.failed_check.as_deref().unwrap_or("-"),
        "proof explained"
    );
    let refusal = would_answer(&outcome);
    let head = accept(Api::DpopExplain, Action::Ok, R::ProofExplained, None)
        .with_nonce(outcome.dpop_nonce);
    Ok(HttpResponse::Ok().json(ExplainResponse {
        head,
        report: outcome.explanation.report,
        refusal,
    }))
}

/// The refusal the endpoint would have answered, from the same tables it answers with.
fn would_answer(outcome: &ExplainOutcome) -> Option<WouldAnswer> {
    let at_resource = |error: &IntrospectionError| {
        AtResource {
            error,
            userinfo: false,
        }
        .refusal()
    };
    let refusal = match (&outcome.token_error, &outcome.explanation.error) {
        (Some(AccessError::StoreUnavailable), _) => {
            at_resource(&IntrospectionError::StoreUnavailable)
        }
        (Some(e), _) => at_resource(&IntrospectionError::InvalidToken(e.clone())),
        (None, Some(e)) if outcome.at_resource => at_resource(&IntrospectionError::Dpop(e.clone())),
        (None, Some(e)) => TokenError::Dpop(e.clone()).refusal(),
        (None, None) => return None,
    };
    Some(refusal.into())
}

pub const PATHS: &[&str] = &["/auth/dpop/explain", "/api/auth/dpop/explain"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(route(path, Api::DpopExplain).route(web::post().to(explain)));
    }
}
