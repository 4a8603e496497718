//! The one place where an outcome becomes a wire answer (docs/api.md, "Calls"): every answer
//! starts with the same [`Head`] — `action`, `resultCode`, `resultMessage`, `responseContent`,
//! `dpopNonce` — and every refusal, whatever the endpoint, goes through [`refuse`], which counts
//! it, logs it (the detail truncated and escaped, never a token or proof in full) and writes
//! the body the caller relays: an RFC 6749 §5.2 error, a `WWW-Authenticate` challenge (RFC 6750
//! §3, RFC 9449 §7.1) or an error redirect (RFC 6749 §4.1.2.1). Client-facing text is fixed per
//! refusal and never echoes input; what failed goes to `resultMessage` and the log.
use super::action::Action;
use super::result_code::ResultCode;
use super::truncate;
use crate::clock::UnixTime;
use crate::dpop::proof::{AlgSet, Check, DpopError};
use crate::json::JsonObject;
use crate::oauth::authorization::ErrorTarget;
use crate::oauth::tokens::TokenType;
use serde::Serialize;

/// Which API answers: the `api` label of `dpopd_requests_total` and of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Token,
    TokenCreate,
    Authorization,
    AuthorizationIssue,
    AuthorizationFail,
    Par,
    Revocation,
    Introspection,
    IntrospectionStandard,
    UserInfo,
    TokenRevoke,
    DpopExplain,
    Gateway,
}

impl Api {
    /// Every API, in the order of the enum (`Api::ALL[api as usize] == api`): the label values
    /// registered at start (docs/operations.md, "Metrics").
    pub const ALL: [Api; 13] = [
        Api::Token,
        Api::TokenCreate,
        Api::Authorization,
        Api::AuthorizationIssue,
        Api::AuthorizationFail,
        Api::Par,
        Api::Revocation,
        Api::Introspection,
        Api::IntrospectionStandard,
        Api::UserInfo,
        Api::TokenRevoke,
        Api::DpopExplain,
        Api::Gateway,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Api::Token => "token",
            Api::TokenCreate => "token_create",
            Api::Authorization => "authorization",
            Api::AuthorizationIssue => "authorization_issue",
            Api::AuthorizationFail => "authorization_fail",
            Api::Par => "par",
            Api::Revocation => "revocation",
            Api::Introspection => "introspection",
            Api::IntrospectionStandard => "introspection_standard",
            Api::UserInfo => "userinfo",
            Api::TokenRevoke => "token_revoke",
            Api::DpopExplain => "dpop_explain",
            Api::Gateway => "gateway",
        }
    }
}

/// The members every answer starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Head {
    pub action: Action,
    pub result_code: &'static str,
    pub result_message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpop_nonce: Option<String>,
}

impl Head {
    pub fn with_nonce(self, dpop_nonce: Option<String>) -> Head {
        Head { dpop_nonce, ..self }
    }

    /// The members as `serde_json` writes this struct flattened into an answer, for the
    /// answers written by [`JsonObject`] (token, introspection).
    pub fn write(&self, json: &mut JsonObject) {
        json.str("action", self.action.name())
            .str("resultCode", self.result_code)
            .str("resultMessage", &self.result_message)
            .opt_str("responseContent", self.response_content.as_deref())
            .opt_str("dpopNonce", self.dpop_nonce.as_deref());
    }
}

/// How one refusal is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub action: Action,
    pub code: ResultCode,
    /// The OAuth error (RFC 6749 §5.2, RFC 6750 §3.1, RFC 9449 §7.1); `None` only for the
    /// bare challenge of a resource request without credentials.
    pub error: Option<&'static str>,
    /// Client-facing text, fixed per refusal.
    pub description: &'static str,
}

impl Refusal {
    pub const fn new(
        action: Action,
        code: ResultCode,
        error: &'static str,
        description: &'static str,
    ) -> Refusal {
        Refusal {
            action,
            code,
            error: Some(error),
            description,
        }
    }

    /// A dpopd failure: `server_error`, nothing the client can do.
    pub const fn server(code: ResultCode) -> Refusal {
        Refusal::new(
            Action::InternalServerError,
            code,
            "server_error",
            "The server could not process the request.",
        )
    }
}

/// A domain error the wire answers: each variant's refusal, and its text for the operator.
pub trait Refuse: std::fmt::Display {
    fn refusal(&self) -> Refusal;

    /// The proof check that failed, when the refusal is about a DPoP proof (for
    /// `dpopd_dpop_failures_total`).
    fn failed_check(&self) -> Option<Check> {
        None
    }
}

/// What the caller relays with a refusal.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// An RFC 6749 §5.2 JSON error body.
    Json,
    /// A `WWW-Authenticate` value with the `scheme` the token was presented or bound with;
    /// none at all for a dpopd failure (the resource answers 500 and offers nothing).
    Challenge {
        scheme: TokenType,
        /// The resource takes Bearer tokens too: a request without credentials is offered both
        /// schemes. A DPoP-only resource offers `DPoP` alone (RFC 9449 §7.1).
        bearer: bool,
        algs: AlgSet,
        /// RFC 6750 §3: the scopes the resource requires, on `insufficient_scope`.
        scope: Option<&'a str>,
    },
    /// An RFC 6749 §4.1.2.1 error redirect to the client's trusted redirect URI.
    Redirect {
        to: &'a ErrorTarget,
        issuer: &'a str,
    },
    /// Nothing: the answer is for the caller alone (`/auth/token/revoke`).
    Nothing,
}

/// Counts, logs and answers a refusal.
pub fn refuse(api: Api, error: &dyn Refuse, body: Body<'_>) -> Head {
    let refusal = error.refusal();
    if let Some(check) = error.failed_check() {
        crate::telemetry::series().dpop_failure(check).increment(1);
    }
    let detail = truncate(&error.to_string(), 512);
    tracing::info!(api = api.label(), result = refusal.code.code(), detail = %detail, "request refused");
    count(api, refusal.action);
    let error_code = refusal.error.unwrap_or("server_error");
    let response_content = match body {
        Body::Json => Some(json_error(error_code, refusal.description)),
        Body::Challenge { .. } if refusal.action == Action::InternalServerError => None,
        Body::Challenge { algs, bearer, .. } if refusal.error.is_none() => {
            // RFC 6750 §3.1, RFC 9449 §7.2: no credentials at all; every scheme, no error.
            let dpop = challenge(TokenType::DPoP, &[], algs);
            Some(if bearer {
                format!("Bearer, {dpop}")
            } else {
                dpop
            })
        }
        Body::Challenge {
            scheme,
            algs,
            scope,
            ..
        } => {
            let mut params = vec![
                ("error", error_code),
                ("error_description", refusal.description),
            ];
            if let Some(scope) = scope {
                params.push(("scope", scope));
            }
            Some(challenge(scheme, &params, algs))
        }
        Body::Redirect { to, issuer } => Some(to.location(issuer, error_code, refusal.description)),
        Body::Nothing => None,
    };
    Head {
        action: refusal.action,
        result_code: refusal.code.code(),
        result_message: refusal.code.message_with(&detail),
        response_content,
        dpop_nonce: None,
    }
}

/// Counts and answers a success.
pub fn accept(
    api: Api,
    action: Action,
    code: ResultCode,
    response_content: Option<String>,
) -> Head {
    count(api, action);
    Head {
        action,
        result_code: code.code(),
        result_message: code.message(),
        response_content,
        dpop_nonce: None,
    }
}

/// `iat − now` of an accepted proof: the client's clock drift, for operators.
pub fn record_proof_time(iat: UnixTime, now: UnixTime) {
    crate::telemetry::series()
        .proof_iat_offset()
        .record((iat.secs() - now.secs()) as f64);
}

fn count(api: Api, action: Action) {
    crate::telemetry::series().request(api, action).increment(1);
}

/// RFC 6749 §5.2: `{"error", "error_description"}`.
pub fn json_error(error: &str, description: &str) -> String {
    serde_json::json!({ "error": error, "error_description": description }).to_string()
}

/// A refused proof at an authorization-server endpoint (token, PAR, delegated issuance):
/// RFC 9449 §4.3's `invalid_dpop_proof`, or §8's `use_dpop_nonce`.
pub fn dpop_at_authorization_server(e: &DpopError) -> Refusal {
    use ResultCode as R;
    let (code, error) = match e {
        DpopError::UseNonce(_) => (R::DpopNonceRequired, "use_dpop_nonce"),
        DpopError::Replayed => (R::DpopProofReplayed, "invalid_dpop_proof"),
        _ => (R::DpopProofInvalid, "invalid_dpop_proof"),
    };
    Refusal::new(Action::BadRequest, code, error, e.check().description())
}

/// A refused proof at a resource (RFC 9449 §7.1): `401` with the challenge; a proof by another
/// key than the token's is a token problem (`invalid_token`).
pub fn dpop_at_resource(e: &DpopError) -> Refusal {
    use ResultCode as R;
    let (code, error, description) = match e {
        DpopError::UseNonce(_) => (
            R::ResourceDpopNonceRequired,
            "use_dpop_nonce",
            "Resource server requires nonce in DPoP proof.",
        ),
        DpopError::KeyMismatch => (
            R::ResourceDpopKeyMismatch,
            "invalid_token",
            e.check().description(),
        ),
        DpopError::Replayed => (
            R::ResourceDpopProofReplayed,
            "invalid_dpop_proof",
            e.check().description(),
        ),
        _ => (
            R::ResourceDpopProofInvalid,
            "invalid_dpop_proof",
            e.check().description(),
        ),
    };
    Refusal::new(Action::Unauthorized, code, error, description)
}

/// An RFC 9110 §11.6.1 challenge: `scheme name="value", ...`, and `algs` last for `DPoP`.
pub fn challenge(scheme: TokenType, params: &[(&str, &str)], algs: AlgSet) -> String {
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
mod tests;
