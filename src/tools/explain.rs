//! `dpopd explain`: every check of RFC 9449 §4.3 on one proof, PASS, FAIL or SKIP with what
//! was expected and what was received, for a proof copied from a log. Offline it applies the
//! default `[dpop]` policy (docs/configuration.md) at the given time and compares a given
//! nonce as text; with `--server` it asks a running dpopd (`POST /auth/dpop/explain`), whose
//! own allow-list, nonce secret, clock and replay store then decide.
use super::time;
use super::ToolError;
use crate::clock::UnixTime;
use crate::dpop::htu::Htu;
use crate::dpop::nonce::NonceService;
use crate::dpop::proof::explain::{NonceRule, Report, Verdict};
use crate::dpop::proof::{Expectation, ProofPolicy, Validator};
use crate::jose::Jkt;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What the proof was meant for.
#[derive(Debug, Clone, Default)]
pub struct ExplainRequest {
    pub proof: String,
    pub htm: Option<String>,
    pub htu: Option<String>,
    /// Offline: the time to judge `iat` at (default: now).
    pub time: Option<UnixTime>,
    /// Offline: the nonce the server gave the client; a proof must carry exactly it.
    pub nonce: Option<String>,
    /// The access token the proof is presented with (a resource request).
    pub access_token: Option<String>,
    /// Offline: the thumbprint the token is bound to (default: the `cnf.jkt` of a JWT token).
    pub jkt: Option<String>,
    /// With `--server`: the client whose alg list and nonce policy apply at the token endpoint.
    pub client_id: Option<String>,
}

/// An explanation and what the endpoint would have answered: the answer of
/// `/auth/dpop/explain` without its head, and what `--json` prints.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explained {
    #[serde(flatten)]
    pub report: Report,
    /// From a server: the refusal its endpoint would have answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<WouldAnswer>,
    /// Where the values came from, for the reader.
    #[serde(skip)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WouldAnswer {
    pub action: String,
    pub result_code: String,
    pub error: Option<String>,
}

/// The proof as pasted: surrounding whitespace and a `DPoP: ` header name are dropped.
pub fn clean_proof(text: &str) -> String {
    let text = text.trim();
    let text = match text.split_once(':') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("dpop") => value.trim(),
        _ => text,
    };
    text.to_owned()
}

/// Explains `req` here, with the default policy, at `req.time` or `now`.
pub fn offline(req: &ExplainRequest, now: UnixTime) -> Result<Explained, ToolError> {
    let htm = req
        .htm
        .as_deref()
        .ok_or_else(|| ToolError::Usage("--htm is required (or ask a server)".into()))?;
    let htu_text = req
        .htu
        .as_deref()
        .ok_or_else(|| ToolError::Usage("--htu is required (or ask a server)".into()))?;
    let htu =
        Htu::parse(htu_text).map_err(|e| ToolError::Usage(format!("--htu {htu_text:?}: {e}")))?;
    let mut notes = vec![
        "policy: the default [dpop] settings (docs/configuration.md); --server URL applies a server's own".to_owned(),
    ];
    let bound = match (&req.jkt, &req.access_token) {
        (Some(jkt), _) => Some(
            Jkt::parse(jkt)
                .map_err(|_| ToolError::Usage("--jkt is not a SHA-256 JWK thumbprint".into()))?,
        ),
        (None, Some(token)) => {
            let jkt = cnf_jkt(token);
            if jkt.is_some() {
                notes.push(
                    "bound key: the access token's cnf.jkt (its signature is not checked here)"
                        .into(),
                );
            }
            jkt
        }
        (None, None) => None,
    };
    let settings = crate::config::Settings::development();
    let policy = ProofPolicy::from_settings(&settings.dpop);
    let algs = policy.algs;
    // No server secret here: no nonce of the service's can pass, so only a given one counts.
    let secret = crate::jose::secrets::random_bytes::<32>();
    let validator = Validator::new(
        policy,
        NonceService::new(
            &secret,
            settings.dpop.nonce_step_secs,
            settings.dpop.nonce_lifetime_secs,
        ),
    );
    let expect = Expectation {
        header_count: 1,
        htm,
        htu: &htu,
        access_token: req.access_token.as_deref(),
        bound_jkt: bound.as_ref(),
        nonce_required: req.nonce.is_some(),
        algs,
        now: req.time.unwrap_or(now),
    };
    let rule = match &req.nonce {
        Some(nonce) => NonceRule::Given(nonce),
        None => NonceRule::Service,
    };
    let mut report = validator
        .explain(&req.proof, &expect, rule)
        .without_store()
        .report;
    if req.nonce.is_none() {
        for row in report.checks.iter_mut().filter(|r| r.check == "nonce") {
            if row.detail.is_some() {
                row.detail = Some("not checked here: give --nonce with the nonce the server sent, or ask it with --server".into());
            }
        }
    }
    Ok(Explained {
        report,
        refusal: None,
        notes,
    })
}

/// The `cnf.jkt` of a JWT access token, read without verifying it.
fn cnf_jkt(token: &str) -> Option<Jkt> {
    let payload = token.split('.').nth(1)?;
    let bytes = crate::jose::b64::decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Jkt::parse(claims.get("cnf")?.get("jkt")?.as_str()?).ok()
}

/// Asks the dpopd at `server` (its base URL) to explain `req`, as `caller` (`key`, `secret`).
pub async fn ask(
    server: &str,
    caller: (&str, &str),
    req: &ExplainRequest,
) -> Result<Explained, ToolError> {
    let url = format!("{}/auth/dpop/explain", server.trim_end_matches('/'));
    let body = serde_json::json!({
        "dpop": req.proof,
        "htm": req.htm,
        "htu": req.htu,
        "token": req.access_token,
        "clientId": req.client_id,
    });
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| ToolError::Server(e.to_string()))?
        .post(&url)
        .basic_auth(caller.0, Some(caller.1))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| ToolError::Server(format!("{url}: {e}")))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| ToolError::Server(format!("{url}: {e}")))?;
    if status != 200 {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["resultMessage"].as_str().map(str::to_owned))
            .unwrap_or_else(|| crate::api::truncate(&text, 200));
        return Err(ToolError::Server(format!(
            "{url} answered {status}: {message}"
        )));
    }
    let mut explained: Explained = serde_json::from_str(&text)
        .map_err(|e| ToolError::Server(format!("{url}: unexpected answer: {e}")))?;
    explained.notes.push(format!(
        "asked {server}: its configuration, clock and replay store"
    ));
    Ok(explained)
}

/// The explanation as text: the request, the decoded proof, one block per check, the verdict.
pub fn render(e: &Explained) -> String {
    let r = &e.report;
    let mut out = String::new();
    let now = UnixTime(r.now);
    let _ = writeln!(
        out,
        "DPoP proof for {} {} at {} ({})",
        r.htm,
        r.htu,
        r.now,
        time::format(now)
    );
    for note in &e.notes {
        let _ = writeln!(out, "  {note}");
    }
    out.push('\n');
    let json = |v: &Option<serde_json::Value>| {
        v.as_ref().map_or_else(
            || "(not JSON)".to_owned(),
            |v| crate::api::truncate(&v.to_string(), 600),
        )
    };
    let _ = writeln!(out, "header  {}", json(&r.header));
    let _ = writeln!(out, "claims  {}", json(&r.claims));
    if let Some(jkt) = &r.jkt {
        let _ = writeln!(out, "jkt     {jkt}");
    }
    if let Some(offset) = r.iat_offset {
        let _ = writeln!(
            out,
            "clock   iat - now = {offset:+} s (the proof's iat is {})",
            time::format(now.plus(offset))
        );
    }
    out.push('\n');
    for row in &r.checks {
        let verdict = match row.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "SKIP",
        };
        let _ = writeln!(out, "{:<8} {:<10} {verdict}", row.step, row.check);
        if row.verdict != Verdict::Skip || !row.expected.is_empty() {
            let _ = writeln!(out, "    expected  {}", row.expected);
            let _ = writeln!(out, "    received  {}", row.received);
        }
        if let Some(detail) = &row.detail {
            let _ = writeln!(out, "    {detail}");
        }
    }
    out.push('\n');
    match (&r.failed_check, &e.refusal) {
        (None, _) => out.push_str("verdict: ACCEPTED\n"),
        (Some(check), Some(would)) => {
            let _ = writeln!(
                out,
                "verdict: REFUSED at check {check}: the endpoint answers {} {} ({})",
                would.action,
                would.error.as_deref().unwrap_or("-"),
                would.result_code
            );
        }
        (Some(check), None) => {
            let _ = writeln!(out, "verdict: REFUSED at check {check}");
        }
    }
    out
}

#[cfg(test)]
mod tests;
