//! The configuration a reload replaces (docs/configuration.md, "Reload"): clients, callers,
//! signing and sealing keys, DPoP policy, token lifetimes and what is derived from them, held
//! as one immutable [`Reloadable`] that a reload swaps whole. A request reads it once, through
//! the [`Live`] extractor, and keeps that one to the end, so a request in flight finishes on
//! the configuration it started with and never sees half of two.
use crate::api::caller::Callers;
use crate::api::gateway::settings::Gateway;
use crate::api::result_code::ResultCode;
use crate::api::ApiError;
use crate::clock::UnixTime;
use crate::config::{ConfigError, Settings};
use crate::oauth::Core;
use crate::startup::AppState;
use crate::store::SeenStore;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use std::future::{ready, Ready};
use std::sync::Arc;

/// One configuration's worth of what the handlers use, built whole before it serves.
pub struct Reloadable {
    pub core: Core,
    pub callers: Callers,
    pub jwks_json: String,
    pub configuration_json: String,
    /// `[gateway]`, checked (docs/gateway.md).
    pub gateway: Gateway,
    /// The settings it was built from.
    pub settings: Settings,
}

impl Reloadable {
    /// Builds the set of `settings` on `store`, the one store of the process. `previous` is the
    /// set it replaces at `now`, if any: see [`Core::follow`].
    pub fn build(
        settings: Settings,
        store: Arc<dyn SeenStore>,
        previous: Option<&Reloadable>,
        now: UnixTime,
    ) -> Result<Reloadable, ConfigError> {
        let gateway = settings.gateway.build()?;
        let mut core = Core::from_settings_after(&settings, store, previous.map(|p| &p.core))?;
        let jwks_json = core.keys.jwks().to_string();
        if let Some(previous) = previous {
            let keep_verified =
                previous.jwks_json == jwks_json && verifies_alike(&previous.settings, &settings);
            core.follow(&previous.core, keep_verified, now);
        }
        let configuration_json =
            crate::api::service::configuration_document(&core, &settings).to_string();
        Ok(Reloadable {
            callers: Callers::new(&settings.callers),
            core,
            jwks_json,
            configuration_json,
            gateway,
            settings,
        })
    }
}

/// Whether an access token verified under `old` verifies alike under `new`, given the same
/// verification keys: what `oauth::access` checks besides the signature is the issuer, the
/// sealed `prp` and the trusted issuers' rules, and the cache's size is its own. (A trusted
/// issuer's cached token also checks, at each use, that the issuer's key set is unchanged.)
fn verifies_alike(old: &Settings, new: &Settings) -> bool {
    old.service.issuer == new.service.issuer
        && old.keys.sealing == new.keys.sealing
        && old.issuers == new.issuers
        && old.tokens.verified_cache_entries == new.tokens.verified_cache_entries
}

/// Extractor: the configuration this request runs on, read at its first use in the request
/// (the caller check, before the handler) and the same at every later one.
#[derive(Clone)]
pub struct Live(Arc<Reloadable>);

impl Live {
    /// The request's configuration; `None` when the application has no [`AppState`].
    pub fn of(req: &HttpRequest) -> Option<Live> {
        if let Some(live) = req.extensions().get::<Live>() {
            return Some(live.clone());
        }
        let state = req.app_data::<web::Data<AppState>>()?;
        let live = Live(state.live());
        req.extensions_mut().insert(live.clone());
        Some(live)
    }
}

impl std::ops::Deref for Live {
    type Target = Reloadable;

    fn deref(&self) -> &Reloadable {
        &self.0
    }
}

impl FromRequest for Live {
    type Error = ApiError;
    type Future = Ready<Result<Live, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Live::of(req).ok_or_else(|| ApiError::new(ResultCode::InternalError)))
    }
}

#[cfg(test)]
mod tests;
