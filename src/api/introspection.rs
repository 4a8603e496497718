//! `POST /auth/introspection` (and `/api/auth/introspection`), role `rs`: the resource server
//! forwards the access token, its `DPoP` header, method and URL and what the resource requires;
//! dpopd answers with the `action` and, on a refusal, the `WWW-Authenticate` value to send
//! (docs/api.md, "Introspection and userinfo"; RFC 6750 §3, RFC 9449 §7). The token may be
//! dpopd's own or a trusted issuer's; with `dpopKeyThumbprint` it may be any token at all, and
//! only the proof is judged (docs/api.md, "Opaque tokens").
use super::action::Action;
use super::answer::{accept, record_proof_time, refuse, Api, Body, Head};
use super::body::ApiJson;
use super::caller::{Caller, RsCaller};
use super::fields::{bounded, DpopFields, TokenScheme};
use super::refusals::AtResource;
use super::request_time::route;
use super::result_code::ResultCode as R;
use super::ApiError;
use crate::clock::UnixTime;
use crate::dpop::proof::AlgSet;
use crate::jose::jwk::Jkt;
use crate::json::JsonObject;
use crate::live::{Live, Reloadable};
use crate::oauth::access::AccessError;
use crate::oauth::introspection::{
    self, IntrospectionCall, IntrospectionError, IntrospectionOutcome, MAX_RESOURCES,
};
use crate::oauth::scope::{self, MAX_SCOPES};
use crate::oauth::Property;
use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntrospectionRequest {
    /// Optional on the wire so that "no token at all" is a protocol answer, not a 400.
    pub token: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub subject: Option<String>,
    #[serde(flatten)]
    pub dpop: DpopFields,
    pub resources: Option<Vec<String>>,
    /// `DPoP` or `Bearer`: how the client presented the token.
    #[serde(default)]
    pub token_scheme: TokenScheme,
    /// The resource is DPoP-only (absent: the caller's `dpop_only`).
    pub dpop_required: Option<bool>,
    /// `cnf.jkt` of a token dpopd does not read (an opaque token the resource server
    /// introspected elsewhere): only the proof is judged, bound to this key.
    pub dpop_key_thumbprint: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntrospectionResponse {
    /// On every answer but `OK` and `INTERNAL_SERVER_ERROR`: the `WWW-Authenticate` value.
    #[serde(flatten)]
    pub head: Head,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The token's `iss`: dpopd's issuer or a trusted issuer's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Vec<Property>>,
    /// Userinfo: the claims the token allows (OIDC Core §5.4, §5.5), `sub` aside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<String>>,
    /// The token is one of this service's and not revoked, or a trusted issuer's (it may
    /// have expired); `false` when only the proof was judged (`dpopKeyThumbprint`).
    pub existent: bool,
    /// `existent`, and valid now.
    pub usable: bool,
    /// `usable`, and every required scope is granted.
    pub sufficient: bool,
}

impl IntrospectionResponse {
    /// The JSON text `serde_json::to_string(self)` gives, members in the same order (a test
    /// holds the two together), written without serde's flattening.
    pub fn to_json(&self) -> String {
        let content = self.head.response_content.as_deref().unwrap_or_default();
        let mut json = JsonObject::with_capacity(384 + content.len());
        self.head.write(&mut json);
        json.opt_str("clientId", self.client_id.as_deref())
            .opt_str("issuer", self.issuer.as_deref())
            .opt_str("subject", self.subject.as_deref());
        if let Some(scopes) = &self.scopes {
            json.serialized("scopes", scopes);
        }
        json.opt_int("expiresAt", self.expires_at)
            .opt_str("jkt", self.jkt.as_deref());
        if let Some(properties) = &self.properties {
            json.serialized("properties", properties);
        }
        if let Some(claims) = &self.claims {
            json.serialized("claims", claims);
        }
        json.bool("existent", self.existent)
            .bool("usable", self.usable)
            .bool("sufficient", self.sufficient);
        json.finish()
    }

    /// A refusal decided before the token was looked at.
    pub fn refused(head: Head) -> IntrospectionResponse {
        IntrospectionResponse {
            head,
            client_id: None,
            subject: None,
            scopes: None,
            expires_at: None,
            jkt: None,
            properties: None,
            claims: None,
            issuer: None,
            existent: false,
            usable: false,
            sufficient: false,
        }
    }
}

pub async fn introspect(
    caller: RsCaller,
    live: Live,
    body: ApiJson<IntrospectionRequest>,
) -> Result<HttpResponse, ApiError> {
    let response = introspection_answer(&live, caller.0, body.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(response.to_json()))
}

/// The answer to `req` from `caller` on the configuration `live`: everything the endpoint does
/// past HTTP, so that another server can serve it alike (examples/hyper_server.rs).
pub async fn introspection_answer(
    live: &Reloadable,
    caller: Caller,
    req: IntrospectionRequest,
) -> Result<IntrospectionResponse, ApiError> {
    let now = UnixTime::now();
    let scopes = bounded("scopes", req.scopes, MAX_SCOPES)?;
    if !scopes.iter().all(|s| scope::is_token(s)) {
        return Err(ApiError::with_detail(
            R::InvalidField,
            "scopes must be scope tokens (RFC 6749 §3.3)",
        ));
    }
    let resources = bounded("resources", req.resources, MAX_RESOURCES)?;
    let thumbprint = thumbprint(
        req.dpop_key_thumbprint.as_deref(),
        &scopes,
        &resources,
        &req.subject,
    )?;
    let dpop = req.dpop.into_input("GET", None)?;
    let call = IntrospectionCall {
        token: req.token.as_deref(),
        scopes: &scopes,
        subject: req.subject.as_deref(),
        resources: &resources,
        scheme: req.token_scheme.0,
        dpop,
        dpop_required: req.dpop_required.unwrap_or(caller.dpop_only()),
        thumbprint,
    };
    let outcome = introspection::introspect(&live.core, &call, now).await;
    Ok(answer(
        outcome,
        Api::Introspection,
        live.core.service_algs,
        now,
    ))
}

/// `dpopKeyThumbprint`: an RFC 7638 SHA-256 thumbprint, given alone — dpopd does not read the
/// token, so it could check none of `scopes`, `subject` and `resources`.
fn thumbprint(
    text: Option<&str>,
    scopes: &[String],
    resources: &[String],
    subject: &Option<String>,
) -> Result<Option<Jkt>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    let jkt = Jkt::parse(text).map_err(|_| ApiError::new(R::IntrospectionThumbprintInvalid))?;
    if !scopes.is_empty() || !resources.is_empty() || subject.is_some() {
        return Err(ApiError::new(R::IntrospectionThumbprintWithRequirements));
    }
    Ok(Some(jkt))
}

/// The answer of a resource-server API (introspection, userinfo): the token's data whenever it
/// verified, and on a refusal the challenge to send.
pub(super) fn answer(
    outcome: IntrospectionOutcome,
    api: Api,
    algs: AlgSet,
    now: UnixTime,
) -> IntrospectionResponse {
    let access = outcome.access.as_ref();
    let head = match &outcome.result {
        Ok(ok) => {
            let code = match (api, &ok.access, &ok.proof) {
                (Api::UserInfo, _, _) => R::UserInfoOk,
                (_, None, _) => R::IntrospectionOkProofOnly,
                (_, Some(access), Some(_)) if access.jkt.is_none() => R::IntrospectionOkUnboundDpop,
                _ => R::IntrospectionOk,
            };
            if let Some(proof) = &ok.proof {
                record_proof_time(proof.iat(), now);
            }
            accept(api, Action::Ok, code, None)
        }
        Err(error) => {
            let scope = match error {
                IntrospectionError::InsufficientScope { required } => Some(required.as_str()),
                _ => None,
            };
            let refusal = AtResource {
                error,
                userinfo: api == Api::UserInfo,
            };
            let body = Body::Challenge {
                scheme: outcome.challenge,
                bearer: outcome.bearer_accepted,
                algs,
                scope,
            };
            refuse(api, &refusal, body)
        }
    };
    // An expired or not yet valid token is one of this service's: it exists.
    let existent = access.is_some()
        || matches!(
            outcome.result,
            Err(IntrospectionError::InvalidToken(
                AccessError::Expired | AccessError::NotYetValid
            ))
        );
    // Judged by its proof alone: the key is the one the caller named.
    let proof_jkt = match &outcome.result {
        Ok(ok) if ok.access.is_none() => ok.proof.as_ref().map(|p| p.jkt().as_str().to_owned()),
        _ => None,
    };
    IntrospectionResponse {
        head: head.with_nonce(outcome.dpop_nonce),
        client_id: access.map(|a| a.claims.client_id.clone()),
        issuer: access.map(|a| a.claims.iss.clone()),
        subject: access.map(|a| a.claims.sub.clone()),
        scopes: access.map(|a| a.scopes.clone()),
        expires_at: access.map(|a| a.expires_at().millis()),
        jkt: access
            .and_then(|a| a.jkt.as_ref().map(|j| j.as_str().to_owned()))
            .or(proof_jkt),
        properties: access
            .map(|a| a.properties.clone())
            .filter(|p| !p.is_empty()),
        claims: access
            .filter(|_| api == Api::UserInfo)
            .map(|a| crate::oauth::userinfo::allowed_claims(a)),
        existent,
        usable: access.is_some(),
        sufficient: outcome.sufficient,
    }
}

pub const PATHS: &[&str] = &["/auth/introspection", "/api/auth/introspection"];

pub fn routes(cfg: &mut web::ServiceConfig) {
    for path in PATHS {
        cfg.service(route(path, Api::Introspection).route(web::post().to(introspect)));
    }
}

#[cfg(test)]
mod tests;
