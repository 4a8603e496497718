//! Caller authentication (docs/api.md, "Calls"): `Authorization: Basic base64(key:secret)` or
//! `Bearer <secret>`, secrets compared as SHA-256 digests in constant time, and roles —
//! `as` for authorization-server APIs, `rs` for resource-server APIs — checked per route.
use super::result_code::ResultCode;
use super::ApiError;
use crate::config::{CallerSettings, Role};
use crate::jose::ct_eq;
use crate::jose::secrets::sha256;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use base64::Engine;
use std::future::{ready, Ready};
use std::marker::PhantomData;

struct CallerEntry {
    key: String,
    secret_sha256: [u8; 32],
    roles: Vec<Role>,
}

pub struct Callers(Vec<CallerEntry>);

impl Callers {
    /// The callers of checked settings ([`crate::config::Settings::check`]); a caller with
    /// neither a secret nor its digest could never authenticate and is left out.
    pub fn new(list: &[CallerSettings]) -> Callers {
        let entries = list
            .iter()
            .filter_map(|c| {
                let secret_sha256 = match (&c.secret, &c.secret_sha256) {
                    (Some(secret), _) => sha256(secret.expose().as_bytes()),
                    (None, Some(digest)) => digest.0,
                    (None, None) => return None,
                };
                Some(CallerEntry {
                    key: c.key.clone(),
                    secret_sha256,
                    roles: c.roles.clone(),
                })
            })
            .collect();
        Callers(entries)
    }

    /// The roles of the caller that sent `authorization`, if its credentials are valid.
    fn authenticate(&self, authorization: &str) -> Option<&[Role]> {
        let (scheme, value) = authorization.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (key, secret) = text.split_once(':')?;
            let given = sha256(secret.as_bytes());
            let entry = self.0.iter().find(|e| e.key == key);
            // An unknown key is compared too, against a digest standing in for its secret, so
            // that it is refused after the same work as a wrong secret: the time taken does not
            // tell which keys exist.
            let expected = entry.map_or(&crate::jose::STAND_IN_SHA256, |e| &e.secret_sha256);
            match (entry, ct_eq(&given, expected)) {
                (Some(entry), true) => Some(entry.roles.as_slice()),
                _ => None,
            }
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let given = sha256(value.trim().as_bytes());
            // Every entry is compared so the time taken does not tell which one matched.
            let mut found = None;
            for entry in &self.0 {
                if ct_eq(&given, &entry.secret_sha256) {
                    found = Some(entry.roles.as_slice());
                }
            }
            found
        } else {
            None
        }
    }
}

pub trait RoleMarker {
    const ROLE: Role;
}

pub struct AsRole;
pub struct RsRole;

impl RoleMarker for AsRole {
    const ROLE: Role = Role::As;
}
impl RoleMarker for RsRole {
    const ROLE: Role = Role::Rs;
}

/// Extractor: the request comes from an authenticated caller holding role `R`.
pub struct Authorized<R: RoleMarker>(PhantomData<R>);

pub type AsCaller = Authorized<AsRole>;
pub type RsCaller = Authorized<RsRole>;

impl<R: RoleMarker> FromRequest for Authorized<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The request's configuration, which its handler then runs on too.
        let live = crate::live::Live::of(req);
        let header = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let outcome = match (live, header) {
            (None, _) => Err(ApiError::new(ResultCode::InternalError)),
            (_, None) => Err(ApiError::new(ResultCode::CallerUnauthenticated)),
            (Some(live), Some(h)) => match live.callers.authenticate(h) {
                None => Err(ApiError::new(ResultCode::CallerUnauthenticated)),
                Some(roles) if !roles.contains(&R::ROLE) => {
                    Err(ApiError::new(ResultCode::CallerForbidden))
                }
                Some(_) => Ok(Authorized(PhantomData)),
            },
        };
        ready(outcome)
    }
}

#[cfg(test)]
mod tests;
