//! `POST /pushed_auth_req` (and `/api/pushed_auth_req`), role `as`: the AS forwards what its
//! PAR endpoint (RFC 9126 §2) received — the form body, the client's credentials and `DPoP`
//! header — and relays the `request_uri` answer (201) or the error (docs/api.md, "Authorization
//! code flow").
use super::action::Action;
use super::answer::{accept, refuse, Api, Body, Head};
use super::body::ApiJson;
use super::caller::AsCaller;
use super::fields::{ClientFields, DpopFields};
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::clock::UnixTime;
use crate::jose::Jkt;
use crate::live::Live;
use crate::oauth::par::{self, ParCall, ParOutcome};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParRequest {
    /// The form body the PAR endpoint received, verbatim.
    pub parameters: String,
    #[serde(flatten)]
    pub client: ClientFields,
    #[serde(flatten)]
    pub dpop: DpopFields,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParResponse {
    /// `CREATED`: `{"request_uri","expires_in"}` (RFC 9126 §2.2); otherwise the error body.
    #[serde(flatten)]
    pub head: Head,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jkt: Option<Jkt>,
}

pub async fn pushed_auth_req(
    _caller: AsCaller,
    live: Live,
    body: ApiJson<ParRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let now = UnixTime::now();
    let call = ParCall {
        parameters: &req.parameters,
        credentials: req.client.credentials()?,
        dpop: req.dpop.into_input("POST", Some(&live.core.par_htu))?,
    };
    let outcome = par::push(&live.core, call, now).await;
    Ok(HttpResponse::Ok().json(answer(outcome)))
}

fn answer(outcome: ParOutcome) -> ParResponse {
    let response = match outcome.result {
        Ok(pushed) => {
            let content = serde_json::json!({ "request_uri": pushed.request_uri, "expires_in": pushed.expires_in });
            ParResponse {
                head: accept(
                    Api::Par,
                    Action::Created,
                    R::RequestUriCreated,
                    Some(content.to_string()),
                ),
                request_uri: Some(pushed.request_uri),
                client_id: Some(pushed.client_id),
                jkt: pushed.jkt,
            }
        }
        Err(error) => ParResponse {
            head: refuse(Api::Par, &error, Body::Json),
            request_uri: None,
            client_id: None,
            jkt: None,
        },
    };
    ParResponse {
        head: response.head.with_nonce(outcome.dpop_nonce),
        ..response
    }
}

pub const PATHS: &[&str] = &["/pushed_auth_req", "/api/pushed_auth_req"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(route(path, Api::Par).route(web::post().to(pushed_auth_req)));
    }
}
