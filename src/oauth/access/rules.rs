//! The steps of RFC 9068 §4 that do not depend on time, for every issuer alike: the verifier
//! is chosen by the token's `iss`, then the signature, `typ`, claims, `iss`, `aud`, `cnf.jkt`
//! and scopes are checked by the one code below, with the issuer's rules as data.
use super::{AccessError, Origin, VerifiedAccess};
use crate::clock::UnixTime;
use crate::config::ScopeClaim;
use crate::jose::jwk::Jkt;
use crate::jose::jwks_verify::JwksVerifyError;
use crate::jose::jws::{typ_is, CompactJws};
use crate::jose::VerifyError;
use crate::oauth::issuers::TrustedIssuer;
use crate::oauth::scope;
use crate::oauth::tokens::AccessClaims;
use crate::oauth::Core;
use crate::remote_keys::KeysError;
use serde::Deserialize;

/// RFC 9068 §2.1 / RFC 7515 §4.1.9: the media type of an access token JWT.
const AT_TYP: &str = "at+jwt";

/// The rules a token is verified under, chosen by its `iss`.
enum Verifier<'a> {
    Own,
    Trusted(&'a TrustedIssuer),
}

/// What the signature check hands on: the header's `typ`, the payload, and who verified it.
struct Signed {
    typ: Option<String>,
    payload: Vec<u8>,
    origin: Origin,
}

pub(super) async fn verify_uncached(
    core: &Core,
    token: &str,
    now: UnixTime,
) -> Result<VerifiedAccess, AccessError> {
    let verifier = select(core, token)?;
    let signed = match verifier {
        Verifier::Own => {
            let jwt = core.keys.verify(token).map_err(|e| match e {
                VerifyError::UnknownKid => AccessError::UnknownKid,
                other => AccessError::Unverified(other),
            })?;
            Signed {
                typ: jwt.typ,
                payload: jwt.payload,
                origin: Origin::Own,
            }
        }
        Verifier::Trusted(issuer) => {
            let (jws, set) = issuer
                .keys
                .verify_in_set(token, &issuer.algs, now)
                .await
                .map_err(keys_error)?;
            Signed {
                typ: jws.typ,
                payload: jws.payload,
                origin: Origin::Trusted { set },
            }
        }
    };
    accept(core, &verifier, signed)
}

/// The verifier of the token's `iss`, read from the payload before anything is verified:
/// dpopd's own for its issuer and for a token whose payload cannot be read (its verification
/// says why), a trusted issuer's, or none.
fn select<'c>(core: &'c Core, token: &str) -> Result<Verifier<'c>, AccessError> {
    #[derive(Deserialize)]
    struct Iss {
        iss: Option<String>,
    }
    let claimed = CompactJws::parse(token)
        .ok()
        .and_then(|jws| jws.payload_as::<Iss>().ok())
        .and_then(|p| p.iss);
    match claimed {
        None => Ok(Verifier::Own),
        Some(iss) if iss == core.issuer => Ok(Verifier::Own),
        Some(iss) => core
            .issuers
            .get(&iss)
            .map(|issuer| Verifier::Trusted(issuer.as_ref()))
            .ok_or(AccessError::UnknownIssuer),
    }
}

fn keys_error(e: KeysError) -> AccessError {
    match e {
        KeysError::NoKeySet => AccessError::KeysUnavailable,
        KeysError::Jws(JwksVerifyError::UnknownKid) => AccessError::UnknownKid,
        KeysError::Jws(JwksVerifyError::AlgNotAllowed(_)) => AccessError::AlgNotAllowed,
        KeysError::Jws(other) => AccessError::Signature(other),
    }
}

/// The checks after the signature, the same for every issuer.
fn accept(
    core: &Core,
    verifier: &Verifier<'_>,
    signed: Signed,
) -> Result<VerifiedAccess, AccessError> {
    let (expected_iss, require_typ) = match verifier {
        Verifier::Own => (core.issuer.as_str(), true),
        Verifier::Trusted(issuer) => (issuer.issuer.as_str(), issuer.require_typ),
    };
    check_typ(signed.typ.as_deref(), require_typ)?;
    let claims: AccessClaims = match serde_json::from_slice(&signed.payload) {
        Ok(claims) => claims,
        Err(_) => return Err(claims_error(verifier, &signed.payload)),
    };
    if claims.iss != expected_iss {
        return Err(AccessError::WrongIssuer);
    }
    let jkt = match &claims.cnf {
        Some(cnf) => Some(Jkt::parse(&cnf.jkt).map_err(|_| AccessError::Claims)?),
        None => None,
    };
    let (scopes, properties) = match verifier {
        Verifier::Own => (scope_list(&claims.scope), own_properties(core, &claims)?),
        Verifier::Trusted(issuer) => {
            // RFC 9068 §4: the resource server MUST validate that `aud` names it.
            if !issuer.audience.iter().any(|a| claims.aud.contains(a)) {
                return Err(AccessError::WrongAudience);
            }
            // `prp` is dpopd's sealed format: another issuer's tokens carry no properties.
            (trusted_scopes(issuer, &claims)?, Vec::new())
        }
    };
    Ok(VerifiedAccess {
        claims,
        origin: signed.origin,
        scopes,
        jkt,
        properties,
    })
}

/// RFC 9068 §4 and RFC 8725 §3.11: `at+jwt`; an issuer that does not require it may also
/// leave `typ` out or send `JWT`, but no other type (a DPoP proof, a logout token, ...).
fn check_typ(typ: Option<&str>, require: bool) -> Result<(), AccessError> {
    let fits = match typ {
        Some(typ) => typ_is(typ, AT_TYP) || (!require && typ_is(typ, "JWT")),
        None => !require,
    };
    if fits {
        Ok(())
    } else {
        Err(AccessError::WrongType)
    }
}

/// A payload that is not an access token's claims: for a trusted issuer whose scope claim is
/// `scope`, a `scope` that is not a string is said to be that.
fn claims_error(verifier: &Verifier<'_>, payload: &[u8]) -> AccessError {
    #[derive(Deserialize)]
    struct Scope {
        scope: Option<serde_json::Value>,
    }
    if let Verifier::Trusted(issuer) = verifier {
        let scope = serde_json::from_slice::<Scope>(payload)
            .ok()
            .and_then(|s| s.scope);
        if issuer.scope_claim == ScopeClaim::Scope && scope.is_some_and(|s| !s.is_string()) {
            return AccessError::ScopeClaim;
        }
    }
    AccessError::Claims
}

fn scope_list(scope: &str) -> Vec<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn own_properties(
    core: &Core,
    claims: &AccessClaims,
) -> Result<Vec<crate::oauth::Property>, AccessError> {
    match &claims.prp {
        Some(sealed) => {
            let json = core
                .sealer
                .open("prp", sealed)
                .map_err(|_| AccessError::Claims)?;
            serde_json::from_slice(&json).map_err(|_| AccessError::Claims)
        }
        None => Ok(Vec::new()),
    }
}

/// The scopes of a trusted issuer's token from its scope claim: `scope`, a space-separated
/// string (RFC 9068 §2.2.3), or `scp`, an array of strings; absent means none. Each must be a
/// scope token (RFC 6749 §3.3).
fn trusted_scopes(
    issuer: &TrustedIssuer,
    claims: &AccessClaims,
) -> Result<Vec<String>, AccessError> {
    let scopes = match issuer.scope_claim {
        ScopeClaim::Scope => scope_list(&claims.scope),
        ScopeClaim::Scp => match claims.extra.get("scp") {
            None => Vec::new(),
            Some(serde_json::Value::Array(values)) => values
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or(AccessError::ScopeClaim))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(AccessError::ScopeClaim),
        },
    };
    if scopes.len() > scope::MAX_SCOPES || !scopes.iter().all(|s| scope::is_token(s)) {
        return Err(AccessError::ScopeClaim);
    }
    Ok(scopes)
}
