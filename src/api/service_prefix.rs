//! Authlete API V3 paths (README.md, "Point an Authlete SDK at dpopd"): an Authlete SDK in V3
//! mode calls `/api/{serviceId}/auth/token` where in V2 mode it calls `/api/auth/token`. Every
//! route served under `/api/` is also served under `/api/{serviceId}/`, `serviceId` being
//! `service.id` (docs/configuration.md). The path is rewritten before routing, so a route added
//! under `/api/` is served under the prefix too, with nothing more to register. Another id, or
//! any id when `service.id` is unset, is answered 404 with `A001207`.
use super::result_code::ResultCode;
use super::ApiError;
use crate::startup::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::uri::{PathAndQuery, Uri};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use serde::{Deserialize, Deserializer};

/// The prefix as `openapi.yaml` writes it in front of each `/api/...` path.
pub const TEMPLATE: &str = "/api/{serviceId}";

/// The V3 path template of each `/api/...` path in `paths` (`/api/auth/token` gives
/// `/api/{serviceId}/auth/token`).
pub fn templates(paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .filter_map(|p| p.strip_prefix("/api"))
        .filter(|rest| rest.starts_with('/'))
        .map(|rest| format!("{TEMPLATE}{rest}"))
        .collect()
}

/// `service.id`: one path segment of RFC 3986 §2.3 unreserved characters, so that it appears
/// in the path exactly as configured, as Authlete's service ids (digits) do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceId(String);

impl ServiceId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<ServiceId, &'static str> {
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        if text.is_empty() || text.len() > Self::MAX_LEN {
            return Err("must be 1 to 64 characters");
        }
        if !text.bytes().all(unreserved) {
            return Err("may hold only letters, digits and - . _ ~ (one path segment)");
        }
        // RFC 3986 §3.3: `.` and `..` are dot-segments, which clients remove from paths.
        if text == "." || text == ".." {
            return Err("may not be . or ..");
        }
        Ok(ServiceId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ServiceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `service.id` in configuration: empty means unset. A number is taken as its digits, since
/// an environment variable of digits (`DPOPD__SERVICE__ID=715948317`) arrives as one.
pub fn deserialize_optional<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<Option<ServiceId>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Text(String),
        Number(u64),
    }
    let text = match Text::deserialize(de)? {
        Text::Text(text) => text,
        Text::Number(n) => n.to_string(),
    };
    if text.is_empty() {
        return Ok(None);
    }
    ServiceId::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// Routed by its own path: not under the prefix, or served at that path as it is.
    AsIs,
    /// The route at this `/api/...` path, called under the prefix with the configured id.
    Api(String),
    /// A route under the prefix with another id, or with any id when none is configured.
    OtherService,
}

/// Where the request for `path` goes, given the configured id and what is served. A path
/// that is served as it is keeps its route, so that no id can hide a V2 path; a prefixed path
/// whose remainder is not served is left to the router's 404 like any unknown path.
pub fn target(path: &str, configured: Option<&ServiceId>, served: impl Fn(&str) -> bool) -> Target {
    let Some((id, rest)) = path
        .strip_prefix("/api/")
        .and_then(|after| after.split_once('/'))
    else {
        return Target::AsIs;
    };
    if served(path) {
        return Target::AsIs;
    }
    let api_path = format!("/api/{rest}");
    if !served(&api_path) {
        return Target::AsIs;
    }
    match configured {
        Some(configured) if configured.as_str() == id => Target::Api(api_path),
        _ => Target::OtherService,
    }
}

/// Serves `/api/{serviceId}/...` as `/api/...` for the configured id, and answers another id
/// 404 with `A001207`. Registered innermost, so the request's span logs the path as called.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let target = {
        let configured = req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| state.service_id.as_ref());
        target(req.path(), configured, |p| {
            req.resource_map().has_resource(p)
        })
    };
    match target {
        Target::AsIs => Ok(next.call(req).await?.map_into_left_body()),
        Target::Api(path) => {
            route_to(&mut req, &path)?;
            Ok(next.call(req).await?.map_into_left_body())
        }
        Target::OtherService => {
            let refusal = ApiError::new(ResultCode::UnknownService).error_response();
            Ok(req.into_response(refusal).map_into_right_body())
        }
    }
}

/// Replaces the request's path with `path`, keeping its query, before the router reads it.
fn route_to(req: &mut ServiceRequest, path: &str) -> Result<(), ApiError> {
    let mut parts = req.head().uri.clone().into_parts();
    let path_and_query = match parts.path_and_query.as_ref().and_then(|pq| pq.query()) {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let internal = |_| ApiError::new(ResultCode::InternalError);
    parts.path_and_query = Some(PathAndQuery::try_from(path_and_query).map_err(internal)?);
    let uri = Uri::from_parts(parts).map_err(|_| ApiError::new(ResultCode::InternalError))?;
    req.match_info_mut().get_mut().update(&uri);
    req.head_mut().uri = uri;
    Ok(())
}

#[cfg(test)]
mod tests;
