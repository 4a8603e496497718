//! Hostile input against the running application. Every case is a named row (or a standalone
//! test) that states the exact refusal: `action`, OAuth error, `resultCode`, the failed check as
//! `resultMessage` reports it to the operator and, for resource calls, the challenge scheme and
//! error. `proofs` forges DPoP proofs (RFC 9449 §4.3), `tokens` access tokens (RFC 9068 §4),
//! `forms` token-endpoint bodies (RFC 6749 §2.3, §3.1), `replay` the replay record and the
//! acceptance window at a pinned clock, `endpoints` the same proofs at PAR, delegated issuance
//! and userinfo, `calls` the API call around a proof, `bounds` input at and past dpopd's limits,
//! `development` an instance started without configuration that faces the network, `grants`
//! the store under pressure and the revocation of whole grants.
mod bounds;
mod calls;
mod development;
mod endpoints;
mod forms;
mod grants;
mod proofs;
mod replay;
mod tokens;

use crate::helpers::*;
use crate::resource::{parse_challenges, ALGS};
use dpopd::clock::UnixTime;
use dpopd::dpop::client::{self, ProofClaims};
use serde_json::Value;

/// How a token-endpoint call must be refused.
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    pub action: &'static str,
    pub error: &'static str,
    pub code: &'static str,
    /// A fragment of `resultMessage`: the failed check as the operator's log shows it.
    pub detail: &'static str,
}

/// An invalid proof at the token endpoint (A254301), naming `detail`.
pub fn bad_proof(detail: &'static str) -> Refusal {
    Refusal {
        action: "BAD_REQUEST",
        error: "invalid_dpop_proof",
        code: "A254301",
        detail,
    }
}

/// Asserts a token-endpoint answer is exactly `want`, with the row's `name` on any failure.
pub fn assert_refused(name: &str, answer: &Value, want: &Refusal) {
    assert_eq!(answer["action"], want.action, "{name}: {answer}");
    assert_eq!(answer["resultCode"], want.code, "{name}: {answer}");
    let text = answer["responseContent"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no responseContent: {answer}"));
    let body: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{name}: responseContent is not JSON ({e}): {text}"));
    assert_eq!(body["error"], want.error, "{name}: {body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{name}: {body}"
    );
    let message = answer["resultMessage"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("[{}] ", want.code)),
        "{name}: {message}"
    );
    assert!(
        message.contains(want.detail),
        "{name}: resultMessage should name {:?}: {message}",
        want.detail
    );
    assert!(
        answer.get("accessToken").is_none(),
        "{name}: a refusal carries no token"
    );
}

/// How a resource call must be refused: the answer's action and code, and the one challenge.
#[derive(Debug, Clone, Copy)]
pub struct Challenged {
    pub action: &'static str,
    pub scheme: &'static str,
    pub error: &'static str,
    pub code: &'static str,
    pub detail: &'static str,
}

/// An invalid proof at introspection (A056308), naming `detail`.
pub fn bad_resource_proof(detail: &'static str) -> Challenged {
    Challenged {
        action: "UNAUTHORIZED",
        scheme: "DPoP",
        error: "invalid_dpop_proof",
        code: "A056308",
        detail,
    }
}

/// Asserts an introspection answer is exactly `want`: one RFC 9110 challenge of `scheme`
/// naming `error`, with `algs` on (and only on) the DPoP scheme.
pub fn assert_challenged(name: &str, answer: &Value, want: &Challenged) {
    assert_eq!(answer["action"], want.action, "{name}: {answer}");
    assert_eq!(answer["resultCode"], want.code, "{name}: {answer}");
    let text = answer["responseContent"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no challenge: {answer}"));
    let challenges = parse_challenges(text).unwrap_or_else(|e| panic!("{name}: not RFC 9110: {e}"));
    assert_eq!(challenges.len(), 1, "{name}: {text}");
    let (scheme, params) = &challenges[0];
    assert_eq!(scheme, want.scheme, "{name}: {text}");
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("error"), Some(want.error), "{name}: {text}");
    assert!(
        get("error_description").is_some_and(|d| !d.is_empty()),
        "{name}: {text}"
    );
    assert_eq!(
        get("algs"),
        (want.scheme == "DPoP").then_some(ALGS),
        "{name}: {text}"
    );
    let message = answer["resultMessage"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!("[{}] ", want.code)),
        "{name}: {message}"
    );
    assert!(
        message.contains(want.detail),
        "{name}: resultMessage should name {:?}: {message}",
        want.detail
    );
}

/// Asserts `answer` does not carry `secret` (a proof or token) back, whole or its signature:
/// what the caller logs must not replay it (docs/api.md, "State and operations").
pub fn assert_not_echoed(name: &str, answer: &Value, secret: &str) {
    let text = answer.to_string();
    let signature = secret.rsplit('.').next().unwrap_or_default();
    for part in [secret, signature] {
        if part.len() >= 16 {
            assert!(
                !text.contains(part),
                "{name}: the answer echoes the input: {text}"
            );
        }
    }
}

/// Collects the rows of a table that failed, so that one run names every one of them.
#[derive(Default)]
pub struct Rows {
    failed: Vec<String>,
    checked: usize,
}

impl Rows {
    /// Runs the assertions of row `name`; a panic is recorded rather than propagated.
    pub fn check(&mut self, name: &str, assertions: impl FnOnce()) {
        self.checked += 1;
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(assertions)).is_err() {
            self.failed.push(name.to_owned());
        }
    }

    /// Fails if any row failed, naming each; returns how many rows were checked.
    pub fn finish(self) -> usize {
        assert!(
            self.failed.is_empty(),
            "{} of {} rows failed: {:#?}",
            self.failed.len(),
            self.checked,
            self.failed
        );
        self.checked
    }
}

/// Where a forged proof is aimed: the key that signs it, the request it claims, and for
/// resource calls the access token its `ath` covers.
pub struct Target<'a> {
    pub key: &'a TestKey,
    pub htm: &'a str,
    pub htu: &'a str,
    pub token: Option<&'a str>,
}

impl Target<'_> {
    /// The header of a well-formed proof by the target's key.
    pub fn header(&self) -> Value {
        Value::Object(client::proof_header(&self.key.0))
    }

    /// The claims of a well-formed proof at the current time, with a fresh `jti`.
    pub fn claims(&self) -> Value {
        self.claims_at(UnixTime::now())
    }

    pub fn claims_at(&self, iat: UnixTime) -> Value {
        let extra = ProofClaims {
            access_token: self.token,
            ..ProofClaims::default()
        };
        Value::Object(client::proof_claims(self.htm, self.htu, iat, &extra))
    }

    /// `header` and `claims` signed by the target's key.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        client::sign_parts(&self.key.0, header, claims).expect("signed")
    }

    /// Raw header and payload text (duplicate members, deep nesting) signed by the target's key.
    pub fn sign_text(&self, header: &str, payload: &str) -> String {
        client::sign_bytes(&self.key.0, header.as_bytes(), payload.as_bytes()).expect("signed")
    }

    /// A well-formed proof.
    pub fn proof(&self) -> String {
        self.sign(&self.header(), &self.claims())
    }
}

/// `value` with member `name` set to `member`.
pub fn with(mut value: Value, name: &str, member: Value) -> Value {
    value
        .as_object_mut()
        .expect("an object")
        .insert(name.into(), member);
    value
}

/// `value` without member `name`.
pub fn without(mut value: Value, name: &str) -> Value {
    value.as_object_mut().expect("an object").remove(name);
    value
}

/// `proof` with its signature part replaced by the base64url of `signature`.
pub fn resigned(proof: &str, signature: &[u8]) -> String {
    let (input, _) = proof.rsplit_once('.').expect("three parts");
    format!("{input}.{}", dpopd::jose::b64::encode(signature))
}

/// The decoded signature of a compact JWS.
pub fn signature_of(jws: &str) -> Vec<u8> {
    dpopd::jose::b64::decode(jws.rsplit_once('.').expect("three parts").1).expect("base64url")
}
