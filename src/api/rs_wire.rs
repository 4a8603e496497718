//! The one place where resource-server outcomes (introspection, userinfo) become wire answers:
//! `action`, `resultCode`, and as `responseContent` the `WWW-Authenticate` value to send
//! (RFC 6750 §3, RFC 9449 §7.1). The scheme is `DPoP` (with `algs`) when the token is bound or
//! was presented as DPoP, `Bearer` otherwise. A request without a token is `UNAUTHORIZED` with
//! both schemes offered and no error named (RFC 6750 §3.1, RFC 9449 §7.2); an empty token, a
//! scheme with no credentials, is a malformed request: `BAD_REQUEST`, `invalid_request` (RFC 6750
//! §3.1). Parameter values are RFC 9110 §5.6.4 quoted strings with `"` and
//! `\` escaped; client-facing descriptions are fixed per refusal and never echo input. A dpopd
//! failure answers `INTERNAL_SERVER_ERROR` with no `WWW-Authenticate` value at all.
use super::action::Action;
use super::introspection::IntrospectionResponse;
use super::result_code::ResultCode as R;
use super::token_wire::dpop_description;
use super::{truncate, ApiError};
use crate::dpop::proof::{AlgSet, DpopError};
use crate::oauth::access::AccessError;
use crate::oauth::introspection::{IntrospectionError, IntrospectionOutcome};
use crate::oauth::tokens::TokenType;

/// Which API answers: they differ only in the success code and the `openid` refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsApi {
    Introspection,
    UserInfo,
}

impl RsApi {
    fn label(self) -> &'static str {
        match self {
            RsApi::Introspection => "introspection",
            RsApi::UserInfo => "userinfo",
        }
    }
}

/// How one refusal is answered.
struct Refusal {
    action: Action,
    code: R,
    /// RFC 6750 §3.1 / RFC 9449 §7.1 error code; `None` for the bare no-token challenge.
    error: Option<&'static str>,
    description: &'static str,
}

pub fn answer(
    outcome: IntrospectionOutcome,
    api: RsApi,
    algs: AlgSet,
) -> Result<IntrospectionResponse, ApiError> {
    let mut response = IntrospectionResponse::default();
    if let Some(access) = &outcome.access {
        response.client_id = Some(access.claims.client_id.clone());
        response.subject = Some(access.claims.sub.clone());
        response.scopes = Some(access.scopes.clone());
        response.expires_at = Some(access.expires_at().millis());
        response.jkt = access.jkt.as_ref().map(|j| j.as_str().to_owned());
        response.properties = Some(access.properties.clone()).filter(|p| !p.is_empty());
        response.existent = true;
        response.usable = true;
    }
    response.sufficient = outcome.sufficient;
    response.dpop_nonce = outcome.dpop_nonce;
    match outcome.result {
        Ok(ok) => {
            let code = match (api, &ok.proof) {
                (RsApi::UserInfo, _) => R::UserInfoOk,
                (RsApi::Introspection, Some(_)) if ok.access.jkt.is_none() => {
                    R::IntrospectionOkUnboundDpop
                }
                (RsApi::Introspection, _) => R::IntrospectionOk,
            };
            if let Some(proof) = &ok.proof {
                let offset = proof.iat().secs() - crate::clock::UnixTime::now().secs();
                metrics::histogram!("dpopd_proof_iat_offset_seconds").record(offset as f64);
            }
            response.action = Some(Action::Ok);
            response.result_code = code.code();
            response.result_message = code.message();
        }
        Err(IntrospectionError::Caller(problem)) => {
            return Err(ApiError::with_detail(R::InvalidField, problem))
        }
        Err(error) => refuse(&mut response, &error, outcome.challenge, api, algs),
    }
    if let Some(action) = response.action {
        metrics::counter!("dpopd_requests_total", "api" => api.label(), "action" => action.name())
            .increment(1);
    }
    Ok(response)
}

fn refuse(
    response: &mut IntrospectionResponse,
    error: &IntrospectionError,
    scheme: TokenType,
    api: RsApi,
    algs: AlgSet,
) {
    let refusal = classify(error, api);
    if let IntrospectionError::Dpop(e) = error {
        metrics::counter!("dpopd_dpop_failures_total", "check" => e.check()).increment(1);
    }
    let detail = truncate(&error.to_string(), 512);
    tracing::info!(api = api.label(), result = refusal.code.code(), detail = %detail, "resource request refused");
    if let IntrospectionError::InvalidToken(AccessError::Expired | AccessError::NotYetValid) = error
    {
        response.existent = true;
    }
    response.action = Some(refusal.action);
    response.result_code = refusal.code.code();
    response.result_message = refusal.code.message_with(&detail);
    response.response_content = match (error, refusal.error) {
        (IntrospectionError::StoreUnavailable, _) => None,
        (_, None) => Some(format!("Bearer, {}", challenge(TokenType::DPoP, &[], algs))),
        (_, Some(code)) => {
            let mut params = vec![("error", code), ("error_description", refusal.description)];
            if let IntrospectionError::InsufficientScope { required } = error {
                params.push(("scope", required.as_str()));
            }
            Some(challenge(scheme, &params, algs))
        }
    };
}

/// (action, result code, error code, client-facing description) for each refusal.
fn classify(error: &IntrospectionError, api: RsApi) -> Refusal {
    use Action::{BadRequest, Forbidden, InternalServerError, Unauthorized};
    let (action, code, error, description) = match error {
        // RFC 6750 §3.1: a request that lacks any authentication information gets a
        // challenge without an error code, with 401.
        IntrospectionError::NoToken => (Unauthorized, R::AccessTokenMissing, None, ""),
        IntrospectionError::EmptyToken => (
            BadRequest,
            R::AccessTokenEmpty,
            Some("invalid_request"),
            "The access token is empty.",
        ),
        IntrospectionError::InvalidToken(e) => {
            let (code, text) = match e {
                AccessError::Expired => (R::AccessTokenExpired, "The access token has expired."),
                AccessError::NotYetValid => (
                    R::AccessTokenNotYetValid,
                    "The access token is not yet valid.",
                ),
                AccessError::Revoked => {
                    (R::AccessTokenRevoked, "The access token has been revoked.")
                }
                _ => (R::AccessTokenInvalid, "The access token is invalid."),
            };
            (Unauthorized, code, Some("invalid_token"), text)
        }
        IntrospectionError::Downgrade => (
            Unauthorized,
            R::DpopBoundTokenAsBearer,
            Some("invalid_token"),
            "The access token is DPoP-bound and must be presented with the DPoP scheme.",
        ),
        IntrospectionError::ProofMissing => (
            Unauthorized,
            R::ResourceDpopProofMissing,
            Some("invalid_dpop_proof"),
            "A DPoP proof is required.",
        ),
        IntrospectionError::Dpop(e) => dpop(e),
        IntrospectionError::InsufficientScope { .. } => {
            let code = if api == RsApi::UserInfo {
                R::UserInfoOpenidMissing
            } else {
                R::InsufficientScope
            };
            (
                Forbidden,
                code,
                Some("insufficient_scope"),
                "The access token does not grant the required scope.",
            )
        }
        IntrospectionError::SubjectMismatch => (
            Forbidden,
            R::SubjectMismatch,
            Some("insufficient_scope"),
            "The access token was not issued for this resource owner.",
        ),
        IntrospectionError::ResourceNotInAudience => (
            Forbidden,
            R::ResourceNotInAudience,
            Some("insufficient_scope"),
            "The access token is not intended for this resource.",
        ),
        IntrospectionError::StoreUnavailable | IntrospectionError::Caller(_) => (
            InternalServerError,
            R::IntrospectionStoreUnavailable,
            None,
            "",
        ),
    };
    Refusal {
        action,
        code,
        error,
        description,
    }
}

fn dpop(e: &DpopError) -> (Action, R, Option<&'static str>, &'static str) {
    let (code, error, description) = match e {
        DpopError::UseNonce(_) => (
            R::ResourceDpopNonceRequired,
            "use_dpop_nonce",
            "Resource server requires nonce in DPoP proof.",
        ),
        // RFC 9449 §7.1: a proof by another key than the token's is a token problem.
        DpopError::KeyMismatch => (
            R::ResourceDpopKeyMismatch,
            "invalid_token",
            "The DPoP proof key does not match the token binding.",
        ),
        DpopError::Replayed => (
            R::ResourceDpopProofReplayed,
            "invalid_dpop_proof",
            dpop_description(e),
        ),
        _ => (
            R::ResourceDpopProofInvalid,
            "invalid_dpop_proof",
            dpop_description(e),
        ),
    };
    (Action::Unauthorized, code, Some(error), description)
}

/// An RFC 9110 §11.6.1 challenge: `scheme name="value", ...`, and `algs` last for `DPoP`.
fn challenge(scheme: TokenType, params: &[(&str, &str)], algs: AlgSet) -> String {
    let mut out = String::from(scheme.name());
    let names = algs.names().join(" ");
    let algs_param = [("algs", names.as_str())];
    let extra: &[(&str, &str)] = if scheme == TokenType::DPoP {
        &algs_param
    } else {
        &[]
    };
    for (i, (name, value)) in params.iter().chain(extra).enumerate() {
        out.push_str(if i == 0 { " " } else { ", " });
        out.push_str(name);
        out.push('=');
        push_quoted(&mut out, value);
    }
    out
}

/// RFC 9110 §5.6.4 quoted-string: `"` and `\` become quoted-pairs; characters RFC 6750 §3
/// does not allow in these values (controls, non-ASCII) are dropped rather than sent.
fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {}
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::Alg;

    #[test]
    fn challenges_are_rfc9110_auth_params() {
        let algs = AlgSet::of([Alg::ES256, Alg::EdDSA]);
        let params = [
            ("error", "invalid_token"),
            ("error_description", "The access token is invalid."),
        ];
        assert_eq!(
            challenge(TokenType::DPoP, &params, algs),
            r#"DPoP error="invalid_token", error_description="The access token is invalid.", algs="ES256 EdDSA""#
        );
        assert_eq!(
            challenge(TokenType::Bearer, &params, algs),
            r#"Bearer error="invalid_token", error_description="The access token is invalid.""#
        );
        assert_eq!(
            challenge(TokenType::DPoP, &[], algs),
            r#"DPoP algs="ES256 EdDSA""#
        );
    }

    #[test]
    fn a_store_failure_answers_without_a_challenge() {
        let outcome = IntrospectionOutcome {
            result: Err(IntrospectionError::StoreUnavailable),
            access: None,
            sufficient: false,
            challenge: TokenType::DPoP,
            dpop_nonce: None,
        };
        let response = answer(outcome, RsApi::Introspection, AlgSet::of([Alg::ES256])).unwrap();
        assert_eq!(response.action, Some(Action::InternalServerError));
        assert_eq!(response.result_code, "A056101");
        assert_eq!(
            response.response_content, None,
            "no WWW-Authenticate on a dpopd failure"
        );
    }

    #[test]
    fn no_token_is_unauthorized_without_an_error_and_an_empty_one_is_invalid_request() {
        let algs = AlgSet::of([Alg::ES256]);
        let refused = |error, challenge| {
            let outcome = IntrospectionOutcome {
                result: Err(error),
                access: None,
                sufficient: false,
                challenge,
                dpop_nonce: None,
            };
            let r = answer(outcome, RsApi::UserInfo, algs).unwrap();
            (r.action, r.result_code, r.response_content)
        };
        let cases = [
            (
                IntrospectionError::NoToken,
                TokenType::Bearer,
                Action::Unauthorized,
                "A056301",
                r#"Bearer, DPoP algs="ES256""#,
            ),
            (
                IntrospectionError::EmptyToken,
                TokenType::Bearer,
                Action::BadRequest,
                "A056315",
                r#"Bearer error="invalid_request", error_description="The access token is empty.""#,
            ),
            (
                IntrospectionError::EmptyToken,
                TokenType::DPoP,
                Action::BadRequest,
                "A056315",
                r#"DPoP error="invalid_request", error_description="The access token is empty.", algs="ES256""#,
            ),
        ];
        for (error, scheme, action, code, content) in cases {
            assert_eq!(
                refused(error.clone(), scheme),
                (Some(action), code, Some(content.to_owned())),
                "{error:?} {scheme:?}"
            );
        }
    }

    #[test]
    fn quoted_strings_escape_quotes_and_backslashes_and_drop_controls() {
        let mut out = String::new();
        push_quoted(&mut out, "a\"b\\c\r\nd\u{7f}é");
        assert_eq!(out, r#""a\"b\\cd""#);
    }
}
