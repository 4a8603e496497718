//! A proof explained (docs/api.md, "Explaining a proof"): the steps of [`Validator::check`] run
//! in its order, each outcome kept with what was expected and what was received, instead of
//! stopping at the first failure; the replay record (RFC 9449 §4.3 check 11) is looked up but
//! never made. `dpopd explain` and `POST /auth/dpop/explain` print the same [`Report`], so a
//! support engineer reads exactly the rules the endpoints apply. The first failure in the
//! validator's order is the error the endpoint would have answered.
mod report;

use super::*;
use report::{row_of, Table};
pub use report::{CheckReport, Report, Verdict};
use serde_json::Value;

/// A report and the error the endpoint would have answered.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub report: Report,
    pub error: Option<DpopError>,
    /// The replay key, when the checks before it came that far.
    replay_key: Option<Vec<u8>>,
}

/// Which nonces check 9 accepts.
#[derive(Debug, Clone, Copy)]
pub enum NonceRule<'a> {
    /// This service's nonces (HMAC under `dpop.nonce_secret`), as every endpoint checks them.
    Service,
    /// Without the server's secret: the nonce the server gave the client, compared as text. It
    /// cannot date the proof, so check 8 judges `iat`.
    Given(&'a str),
}

fn absent_or(value: Option<&str>) -> String {
    value.map_or_else(|| "(absent)".to_owned(), str::to_owned)
}

fn json_of(bytes: &[u8]) -> Option<Value> {
    serde_json::from_slice(bytes).ok()
}

impl Validator {
    /// Every check of [`Validator::check`] on `proof`, in its order, each with what it
    /// expected and received; a failure does not stop the checks that do not depend on it.
    /// Nothing is recorded: see [`Explanation::look_up_replay`] for check 11.
    pub fn explain(
        &self,
        proof: &str,
        expect: &Expectation<'_>,
        nonce_rule: NonceRule<'_>,
    ) -> Explanation {
        let mut t = Table::new();
        let p = &self.policy;
        let mut report = Report {
            accepted: false,
            failed_check: None,
            htm: expect.htm.to_owned(),
            htu: expect.htu.as_str().to_owned(),
            now: expect.now.secs(),
            header: None,
            claims: None,
            jkt: None,
            iat_offset: None,
            checks: Vec::new(),
        };
        let mut replay_key = None;

        // (1)
        let syntax = format!(
            "one DPoP header; at most {} bytes; a compact JWS of JSON objects",
            p.max_proof_bytes
        );
        let count = expect.header_count.max(1);
        let size = format!("{count} header(s); {} bytes", proof.len());
        let jws = t.judge(
            Check::Syntax,
            self.parse(proof, expect.header_count),
            &syntax,
            &size,
        );
        if let Some(jws) = &jws {
            report.header = json_of(&jws.header);
            report.claims = json_of(&jws.payload);
        }
        let header = jws
            .as_ref()
            .and_then(|j| t.judge(Check::Syntax, header_of(j), &syntax, &size));
        // (2)–(3)
        let (alg, jwk) = match &header {
            Some(header) => self.explain_key(&mut t, header, report.header.as_ref(), expect),
            None => {
                for check in [Check::Typ, Check::Alg, Check::Jwk] {
                    t.skip(check, "the header could not be read (check 1)");
                }
                (None, None)
            }
        };
        report.jkt = jwk.as_ref().map(|(_, jkt)| jkt.as_str().to_owned());

        // (4)
        match (&jws, alg, &jwk) {
            (Some(jws), Some(alg), Some((key, _))) => {
                let rule = format!("{} signature by the header's jwk", alg.name());
                let outcome = check_signature(jws, key, alg);
                let received = if outcome.is_ok() {
                    "verifies"
                } else {
                    "does not verify"
                };
                t.judge(Check::Signature, outcome, &rule, received);
            }
            _ => t.skip(
                Check::Signature,
                "needs an allowed alg and an acceptable jwk",
            ),
        }

        // (5)
        let claims = jws.as_ref().and_then(|j| {
            let present = report
                .claims
                .as_ref()
                .and_then(Value::as_object)
                .map_or_else(
                    || "(not a JSON object)".to_owned(),
                    |o| o.keys().cloned().collect::<Vec<_>>().join(", "),
                );
            let rule = "jti (1-256 characters), htm, htu: strings; iat: a NumericDate";
            t.judge(
                Check::Claims,
                claims_of(j, expect.nonce_required),
                rule,
                &present,
            )
        });
        let Some(claims) = claims else {
            t.skip(Check::Claims, "the payload is not a JSON object (check 1)");
            for check in [Check::Htm, Check::Htu, Check::Iat, Check::Nonce, Check::Ath] {
                t.skip(check, "the claims could not be read (check 5)");
            }
            self.key_binding(&mut t, jwk.as_ref().map(|(_, j)| j), expect);
            t.skip(Check::Replay, "the claims could not be read (check 5)");
            return finish(report, t, None);
        };

        // (6), (7), (9), (8)
        explain_request(&mut t, &claims, expect);
        self.explain_time(&mut t, &claims, expect, nonce_rule);
        report.iat_offset = Some(claims.iat - expect.now.secs());

        // (10)
        match expect.access_token {
            Some(token) => {
                let received = absent_or(claims.ath.as_deref());
                t.judge(
                    Check::Ath,
                    check_ath(&claims, expect),
                    &ath_of(token),
                    &received,
                );
            }
            None => t.skip(Check::Ath, "no access token: not a resource call"),
        }
        let jkt = self.key_binding(&mut t, jwk.as_ref().map(|(_, j)| j), expect);
        if let Some(jkt) = jkt {
            replay_key = Some(super::replay_key(jkt, &claims.jti));
        }
        t.skip(Check::Replay, "not looked up");
        finish(report, t, replay_key)
    }

    /// (2)–(3): `typ`, `alg`, the `jwk` and how they fit; the alg and key when acceptable.
    fn explain_key(
        &self,
        t: &mut Table,
        header: &ProofHeader<'_>,
        raw_header: Option<&Value>,
        expect: &Expectation<'_>,
    ) -> (Option<Alg>, Option<(PublicJwk, Jkt)>) {
        let p = &self.policy;
        let text = |name: &str| {
            let value = raw_header.and_then(|h| h.get(name));
            absent_or(
                value
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .as_deref(),
            )
        };
        t.judge(Check::Typ, check_typ(header), "dpop+jwt", &text("typ"));
        let allowed = expect.algs.names().join(" ");
        let alg = t.judge(
            Check::Alg,
            check_alg(header, expect.algs),
            &allowed,
            &text("alg"),
        );
        let key_rule = format!(
            "an embedded public jwk (EC P-256/P-384, OKP Ed25519, RSA {}-{} bits), no private members",
            p.rsa_min_bits, p.rsa_max_bits
        );
        let members = header.jwk.as_ref().ok_or(DpopError::MissingJwk);
        let key = members.and_then(|m| {
            PublicJwk::from_members(m)
                .map(|k| (k, m))
                .map_err(DpopError::BadJwk)
        });
        let described = raw_header
            .and_then(|h| h.get("jwk"))
            .map_or_else(|| "(absent)".to_owned(), describe_jwk);
        let Some((key, members)) = t.judge(Check::Jwk, key, &key_rule, &described) else {
            return (alg, None);
        };
        if let Some(a) = alg {
            let fit = format!("{} with a {} key", a.name(), described);
            match self.check_key_fits(&key, a) {
                Ok(()) => t.pass(Check::Jwk, &key_rule, &described),
                Err(e) if e.check() == Check::Alg => t.fail(e, &allowed, &fit),
                Err(e) => t.fail(e, &key_rule, &described),
            }
        }
        let jkt = key.thumbprint_of_members(members);
        (alg, Some((key, jkt)))
    }

    /// (9), then (8): the nonce, and the time it may date.
    fn explain_time(
        &self,
        t: &mut Table,
        claims: &Claims<'_>,
        expect: &Expectation<'_>,
        nonce_rule: NonceRule<'_>,
    ) {
        let p = &self.policy;
        let nonce_time = self.explain_nonce(t, claims, expect, nonce_rule);
        let (earliest, latest) = self.iat_window(expect.now);
        let window = match nonce_time {
            Some(issued) => format!(
                "any: the server nonce dates the proof (issued at {})",
                issued.secs()
            ),
            None => format!(
                "{earliest}..={latest} (now {} - {} s max age - {} s skew .. now + {} s skew)",
                expect.now.secs(),
                p.max_age_secs,
                p.clock_skew_secs,
                p.clock_skew_secs
            ),
        };
        let offset = claims.iat - expect.now.secs();
        let received = format!("{} (iat - now = {offset:+} s)", claims.iat);
        t.judge(
            Check::Iat,
            self.check_iat(claims.iat, nonce_time, expect.now),
            &window,
            &received,
        );
    }

    /// (9) as [`Validator::check_nonce`], or against a given nonce; its row filled.
    fn explain_nonce(
        &self,
        t: &mut Table,
        claims: &Claims<'_>,
        expect: &Expectation<'_>,
        rule: NonceRule<'_>,
    ) -> Option<UnixTime> {
        let received = absent_or(claims.nonce.as_deref());
        match rule {
            NonceRule::Service => {
                let expected = if expect.nonce_required {
                    "a valid server nonce (required)"
                } else {
                    "not required (a valid one dates the proof)"
                };
                let outcome = self.check_nonce(claims, expect);
                let ignored = matches!(outcome, Ok(None)) && claims.nonce.is_some();
                let issued = t
                    .judge(Check::Nonce, outcome, expected, &received)
                    .flatten();
                if ignored {
                    t.row(Check::Nonce).detail = Some(
                        "not a valid nonce of this server; ignored, as none is required".into(),
                    );
                }
                issued
            }
            NonceRule::Given(given) => {
                let outcome = match claims.nonce.as_deref() {
                    Some(n) if n == given => Ok(None),
                    Some(_) => Err(DpopError::UseNonce(NonceProblem::Invalid(
                        NonceError::Foreign,
                    ))),
                    None => Err(DpopError::UseNonce(NonceProblem::Missing)),
                };
                t.judge(Check::Nonce, outcome, given, &received).flatten()
            }
        }
    }

    /// (10) The key binding, when the key could be read: its row filled; the thumbprint.
    fn key_binding<'k>(
        &self,
        t: &mut Table,
        jkt: Option<&'k Jkt>,
        expect: &Expectation<'_>,
    ) -> Option<&'k Jkt> {
        let jkt = match jkt {
            Some(jkt) => jkt,
            None => {
                t.skip(Check::Jkt, "no acceptable jwk (check 3)");
                return None;
            }
        };
        match expect.bound_jkt {
            Some(bound) => {
                t.judge(
                    Check::Jkt,
                    check_binding(jkt, expect),
                    bound.as_str(),
                    jkt.as_str(),
                );
            }
            None => t.skip(Check::Jkt, "no bound token: nothing to match"),
        }
        Some(jkt)
    }
}

/// (6), (7): the method and the URL.
fn explain_request(t: &mut Table, claims: &Claims<'_>, expect: &Expectation<'_>) {
    t.judge(
        Check::Htm,
        check_htm(claims, expect),
        expect.htm,
        &claims.htm,
    );
    let received = match Htu::parse(&claims.htu) {
        Ok(h) if h.as_str() != claims.htu => {
            format!("{} (normalised: {})", claims.htu, h.as_str())
        }
        _ => claims.htu.clone().into_owned(),
    };
    t.judge(
        Check::Htu,
        check_htu(claims, expect),
        expect.htu.as_str(),
        &received,
    );
}

/// `kty` and, for EC and OKP, `crv`; for RSA the modulus size.
fn describe_jwk(jwk: &Value) -> String {
    let member = |name: &str| jwk.get(name).and_then(Value::as_str).unwrap_or("?");
    match member("kty") {
        "RSA" => {
            let bits = jwk
                .get("n")
                .and_then(Value::as_str)
                .and_then(|n| crate::jose::b64::decode(n).ok())
                .map(|n| {
                    let start = n.iter().position(|&b| b != 0).unwrap_or(n.len());
                    n.get(start)
                        .map_or(0, |b| (n.len() - start) * 8 - b.leading_zeros() as usize)
                });
            match bits {
                Some(bits) => format!("kty RSA, {bits} bits"),
                None => "kty RSA".into(),
            }
        }
        kty => format!("kty {kty}, crv {}", member("crv")),
    }
}

fn finish(mut report: Report, t: Table, replay_key: Option<Vec<u8>>) -> Explanation {
    report.accepted = t.first.is_none();
    report.failed_check = t
        .first
        .as_ref()
        .map(|e| row_of(e.check()).label().to_owned());
    report.checks = t.rows;
    Explanation {
        report,
        error: t.first,
        replay_key,
    }
}

impl Explanation {
    /// Check 11 without recording: whether this `(jkt, jti)` was accepted before. A store
    /// that does not answer fails the check, as it fails the call at every endpoint.
    pub async fn look_up_replay(mut self, store: &dyn SeenStore) -> Explanation {
        let Some(key) = self.replay_key.take() else {
            return self;
        };
        let expected = "a (jkt, jti) not accepted before; explaining records nothing";
        let outcome = match crate::store::contains(store, Namespace::DpopJti, &key).await {
            Ok(false) => Ok("not seen"),
            Ok(true) => Err(DpopError::Replayed),
            Err(_) => Err(DpopError::StoreUnavailable),
        };
        let mut t = Table {
            rows: std::mem::take(&mut self.report.checks),
            first: self.error.take(),
        };
        let received = match &outcome {
            Ok(seen) => *seen,
            Err(DpopError::Replayed) => "accepted before",
            Err(_) => "the store did not answer",
        };
        t.row(Check::Replay).detail = None;
        t.judge(Check::Replay, outcome, expected, received);
        finish(self.report, t, None)
    }

    /// Check 11 where no store is at hand (`dpopd explain` without `--server`).
    pub fn without_store(mut self) -> Explanation {
        self.replay_key = None;
        if let Some(row) = self.report.checks.iter_mut().find(|r| r.check == "replay") {
            if row.detail.as_deref() == Some("not looked up") {
                row.detail =
                    Some("no replay store here: the server accepts each (jkt, jti) once".into());
            }
        }
        self
    }
}

#[cfg(test)]
mod tests;
