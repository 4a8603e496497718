//! Caller authentication (docs/api.md, "Calls"): `Authorization: Basic base64(key:secret)` or
//! `Bearer <secret>`, secrets compared as SHA-256 digests in constant time, and roles —
//! `as` for authorization-server APIs, `rs` for resource-server APIs — checked per route. Each
//! caller also carries its DPoP-only default (docs/api.md, "DPoP-only resources") and its
//! budget of explain calls (docs/api.md, "Explaining a proof").
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
use std::sync::Mutex;
use std::time::Instant;

struct CallerEntry {
    key: String,
    secret_sha256: [u8; 32],
    roles: Vec<Role>,
    dpop_only: bool,
    explain: Mutex<Bucket>,
}

/// A token bucket: `capacity` calls, refilled continuously at `capacity` a minute.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl Bucket {
    fn new(per_minute: u32) -> Bucket {
        let capacity = f64::from(per_minute);
        Bucket {
            capacity,
            tokens: capacity,
            last: None,
        }
    }

    /// Takes one call's token at `now`, if there is one.
    fn take(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let refill = now.saturating_duration_since(last).as_secs_f64() * self.capacity / 60.0;
            self.tokens = (self.tokens + refill).min(self.capacity);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
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
                    dpop_only: c.dpop_only,
                    explain: Mutex::new(Bucket::new(c.explain_per_minute)),
                })
            })
            .collect();
        Callers(entries)
    }

    /// Whether the caller `caller` may make one more explain call at `now` (its
    /// `explain_per_minute` bucket); a poisoned lock refuses.
    pub fn take_explain_call(&self, caller: &Caller, now: Instant) -> bool {
        self.0
            .get(caller.index)
            .and_then(|e| e.explain.lock().ok().map(|mut b| b.take(now)))
            .unwrap_or(false)
    }

    /// The index and entry of the caller that sent `authorization`, if its credentials are
    /// valid.
    fn authenticate(&self, authorization: &str) -> Option<(usize, &CallerEntry)> {
        let (scheme, value) = authorization.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (key, secret) = text.split_once(':')?;
            let given = sha256(secret.as_bytes());
            let entry = self.0.iter().enumerate().find(|(_, e)| e.key == key);
            // An unknown key is compared too, against a digest standing in for its secret, so
            // that it is refused after the same work as a wrong secret: the time taken does not
            // tell which keys exist.
            let expected = entry.map_or(&crate::jose::STAND_IN_SHA256, |(_, e)| &e.secret_sha256);
            match (entry, ct_eq(&given, expected)) {
                (Some(entry), true) => Some(entry),
                _ => None,
            }
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let given = sha256(value.trim().as_bytes());
            // Every entry is compared so the time taken does not tell which one matched.
            let mut found = None;
            for (index, entry) in self.0.iter().enumerate() {
                if ct_eq(&given, &entry.secret_sha256) {
                    found = Some((index, entry));
                }
            }
            found
        } else {
            None
        }
    }
}

pub trait RoleMarker {
    /// Whether a caller with `roles` may call the route.
    fn allows(roles: &[Role]) -> bool;
}

pub struct AsRole;
pub struct RsRole;
/// Either role: the support tools both kinds of caller use.
pub struct AsOrRsRole;

impl RoleMarker for AsRole {
    fn allows(roles: &[Role]) -> bool {
        roles.contains(&Role::As)
    }
}
impl RoleMarker for RsRole {
    fn allows(roles: &[Role]) -> bool {
        roles.contains(&Role::Rs)
    }
}
impl RoleMarker for AsOrRsRole {
    fn allows(roles: &[Role]) -> bool {
        roles.contains(&Role::As) || roles.contains(&Role::Rs)
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    index: usize,
    dpop_only: bool,
    as_role: bool,
    rs_role: bool,
}

impl Caller {
    /// Whether the caller holds `role`: the routes open to either role check it per call.
    pub fn has(&self, role: Role) -> bool {
        match role {
            Role::As => self.as_role,
            Role::Rs => self.rs_role,
        }
    }

    /// The caller's resources accept DPoP-bound tokens with valid proofs only, unless a call
    /// says otherwise (`dpopRequired`).
    pub fn dpop_only(&self) -> bool {
        self.dpop_only
    }
}

/// Extractor: the request comes from an authenticated caller holding role `R`.
pub struct Authorized<R: RoleMarker>(pub Caller, PhantomData<R>);

pub type AsCaller = Authorized<AsRole>;
pub type RsCaller = Authorized<RsRole>;
pub type AnyCaller = Authorized<AsOrRsRole>;

impl<R: RoleMarker> FromRequest for Authorized<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        ready(Authorized::from_header(req, header))
    }
}

impl<R: RoleMarker> Authorized<R> {
    /// The caller whose credentials are `header` (an `Authorization` value, or the header a
    /// gateway's sub-request carries them in), if they are valid and it holds role `R`.
    pub fn from_header(req: &HttpRequest, header: Option<&str>) -> Result<Self, ApiError> {
        // The request's configuration, which its handler then runs on too.
        match crate::live::Live::of(req) {
            None => Err(ApiError::new(ResultCode::InternalError)),
            Some(live) => Authorized::check(&live.callers, header),
        }
    }

    /// The caller among `callers` whose credentials are `header`, if they are valid and it
    /// holds role `R`: the check of [`Authorized::from_header`] without actix-web's request.
    pub fn check(callers: &Callers, header: Option<&str>) -> Result<Self, ApiError> {
        let header = header.ok_or_else(|| ApiError::new(ResultCode::CallerUnauthenticated))?;
        match callers.authenticate(header) {
            None => Err(ApiError::new(ResultCode::CallerUnauthenticated)),
            Some((_, entry)) if !R::allows(&entry.roles) => {
                Err(ApiError::new(ResultCode::CallerForbidden))
            }
            Some((index, entry)) => Ok(Authorized(
                Caller {
                    index,
                    dpop_only: entry.dpop_only,
                    as_role: entry.roles.contains(&Role::As),
                    rs_role: entry.roles.contains(&Role::Rs),
                },
                PhantomData,
            )),
        }
    }
}

#[cfg(test)]
mod tests;
