//! The table of an explained proof: one row per check of RFC 9449 §4.3, in order, each with
//! its verdict and what was expected and received ([`Report`], the wire form of `dpopd
//! explain` and `/auth/dpop/explain`), and the [`Table`] the explanation fills.
use super::super::{Check, DpopError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Pass,
    Fail,
    /// Not run: it does not apply to this call, or depends on a check that failed.
    Skip,
}

/// One row of the table: a check of RFC 9449 §4.3 and what it saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// The check's label (`dpopd_dpop_failures_total`'s `check`).
    pub check: String,
    /// The step of RFC 9449 §4.3 it stands for, `(1)` to `(11)`.
    pub step: String,
    pub verdict: Verdict,
    pub expected: String,
    pub received: String,
    /// Why it failed or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Every check of one proof, in order, and what the proof says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Every check passed (skipped ones do not apply).
    pub accepted: bool,
    /// The label of the first failed check in the validator's order: what the endpoint
    /// would have refused the proof for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_check: Option<String>,
    /// The request the proof was checked against.
    pub htm: String,
    pub htu: String,
    /// The time the checks ran at (seconds since the epoch).
    pub now: i64,
    /// The decoded protected header and claims, when they are JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Value>,
    /// The RFC 7638 thumbprint of the header's `jwk`, when it is an acceptable key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// `iat − now` in seconds: the client's clock difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat_offset: Option<i64>,
    pub checks: Vec<CheckReport>,
}

/// The rows in the order of [`Check`]: every check but the last, `Store`, which is the replay
/// row's failure.
const ORDER: &[Check] = match Check::ALL.split_last() {
    Some((Check::Store, rows)) => rows,
    _ => panic!("Check::ALL ends with Store"),
};

fn step(check: Check) -> &'static str {
    match check {
        Check::Syntax => "(1)",
        Check::Typ | Check::Alg => "(2)",
        Check::Jwk => "(2)-(3)",
        Check::Signature => "(4)",
        Check::Claims => "(5)",
        Check::Htm => "(6)",
        Check::Htu => "(7)",
        Check::Iat => "(8)",
        Check::Nonce => "(9)",
        Check::Ath | Check::Jkt => "(10)",
        Check::Replay | Check::Store => "(11)",
    }
}

pub(super) fn row_of(check: Check) -> Check {
    match check {
        Check::Store => Check::Replay,
        other => other,
    }
}

/// Received text as it may be shown: at most 300 characters, control characters escaped.
pub(super) fn shown(text: &str) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == 300 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The rows being filled: one per check, the first failure in the validator's order kept.
pub(super) struct Table {
    pub(super) rows: Vec<CheckReport>,
    pub(super) first: Option<DpopError>,
}

impl Table {
    pub(super) fn new() -> Table {
        let rows = ORDER
            .iter()
            .map(|c| CheckReport {
                check: c.label().into(),
                step: step(*c).into(),
                verdict: Verdict::Skip,
                expected: String::new(),
                received: String::new(),
                detail: None,
            })
            .collect();
        Table { rows, first: None }
    }

    pub(super) fn row(&mut self, check: Check) -> &mut CheckReport {
        let index = ORDER.iter().position(|c| *c == row_of(check)).unwrap_or(0);
        &mut self.rows[index]
    }

    fn set(&mut self, check: Check, expected: &str, received: &str) {
        let row = self.row(check);
        row.expected = shown(expected);
        row.received = shown(received);
    }

    /// A pass, unless the row already failed (two steps can share a row).
    pub(super) fn pass(&mut self, check: Check, expected: &str, received: &str) {
        if self.row(check).verdict == Verdict::Fail {
            return;
        }
        self.set(check, expected, received);
        self.row(check).verdict = Verdict::Pass;
    }

    pub(super) fn fail(&mut self, error: DpopError, expected: &str, received: &str) {
        let check = error.check();
        if self.row(check).verdict == Verdict::Fail {
            return;
        }
        self.set(check, expected, received);
        let row = self.row(check);
        row.verdict = Verdict::Fail;
        row.detail = Some(shown(&error.to_string()));
        self.first.get_or_insert(error);
    }

    pub(super) fn skip(&mut self, check: Check, why: &str) {
        let row = self.row(check);
        if row.verdict == Verdict::Skip && row.detail.is_none() {
            row.detail = Some(why.to_owned());
        }
    }

    /// Records `outcome` of `check`; on success, its value.
    pub(super) fn judge<T>(
        &mut self,
        check: Check,
        outcome: Result<T, DpopError>,
        expected: &str,
        received: &str,
    ) -> Option<T> {
        match outcome {
            Ok(value) => {
                self.pass(check, expected, received);
                Some(value)
            }
            Err(e) => {
                self.fail(e, expected, received);
                None
            }
        }
    }
}
