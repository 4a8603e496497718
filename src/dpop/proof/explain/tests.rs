//! Explaining a proof: every row filled in order, several failures reported at once with the
//! validator's first one as the verdict, and check 11 looked up without recording anything.
use super::report::shown;
use super::*;
use crate::dpop::client::{self, ProofClaims};
use crate::jose::keys::SigningKey;
use crate::store::memory::MemoryStore;

const NOW: UnixTime = UnixTime(1_700_000_000);
const HTU: &str = "https://server.example.com/token";

fn validator() -> Validator {
    let policy = ProofPolicy {
        algs: AlgSet::of([Alg::ES256, Alg::EdDSA]),
        max_proof_bytes: 8192,
        rsa_min_bits: 2048,
        rsa_max_bits: 4096,
        max_age_secs: 60,
        clock_skew_secs: 15,
    };
    Validator::new(
        policy,
        NonceService::new(b"0123456789abcdef0123456789abcdef", 60, 120),
    )
}

fn expect(htu: &Htu) -> Expectation<'_> {
    Expectation {
        header_count: 1,
        htm: "POST",
        htu,
        access_token: None,
        bound_jkt: None,
        nonce_required: false,
        algs: AlgSet::of([Alg::ES256, Alg::EdDSA]),
        now: NOW,
    }
}

fn verdicts(report: &Report) -> Vec<(&str, Verdict)> {
    report
        .checks
        .iter()
        .map(|r| (r.check.as_str(), r.verdict))
        .collect()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_good_proof_passes_every_check_that_applies() {
    let key = SigningKey::generate(Alg::ES256, None).unwrap();
    let htu = Htu::parse(HTU).unwrap();
    let proof = client::mint(&key, "POST", HTU, NOW.plus(-5), &ProofClaims::default()).unwrap();
    let explained = validator()
        .explain(&proof, &expect(&htu), NonceRule::Service)
        .without_store();
    let report = &explained.report;
    assert!(report.accepted && explained.error.is_none(), "{report:?}");
    use Verdict::*;
    assert_eq!(
        verdicts(report),
        [
            ("syntax", Pass),
            ("typ", Pass),
            ("alg", Pass),
            ("jwk", Pass),
            ("signature", Pass),
            ("claims", Pass),
            ("htm", Pass),
            ("htu", Pass),
            ("iat", Pass),
            ("nonce", Pass),
            ("ath", Skip),
            ("jkt", Skip),
            ("replay", Skip),
        ]
    );
    assert_eq!(
        report.jkt.as_deref(),
        Some(key.public().thumbprint().as_str())
    );
    assert_eq!(report.iat_offset, Some(-5));
    assert_eq!(report.header.as_ref().unwrap()["typ"], "dpop+jwt");
    assert_eq!(report.claims.as_ref().unwrap()["htu"], HTU);
    let iat = &report.checks[8];
    assert_eq!(
        iat.expected,
        "1699999925..=1700000015 (now 1700000000 - 60 s max age - 15 s skew .. now + 15 s skew)"
    );
    assert_eq!(iat.received, "1699999995 (iat - now = -5 s)");
}

#[test]
fn every_failure_is_reported_and_the_first_is_the_verdict() {
    let key = SigningKey::generate(Alg::ES256, None).unwrap();
    let htu = Htu::parse(HTU).unwrap();
    let token = "the-access-token";
    let proof = client::mint(
        &key,
        "GET",
        "https://server.example.com/other",
        NOW.plus(-3600),
        &ProofClaims {
            access_token: Some("another-token"),
            ..Default::default()
        },
    )
    .unwrap();
    let other = SigningKey::generate(Alg::ES256, None).unwrap();
    let bound = other.public().thumbprint();
    let e = Expectation {
        access_token: Some(token),
        bound_jkt: Some(&bound),
        ..expect(&htu)
    };
    let explained = validator().explain(&proof, &e, NonceRule::Service);
    // The validator stops at htm; the explanation goes on.
    assert!(matches!(
        validator().check(&proof, &e),
        Err(DpopError::HtmMismatch { .. })
    ));
    assert!(matches!(
        explained.error,
        Some(DpopError::HtmMismatch { .. })
    ));
    let report = &explained.report;
    assert_eq!(report.failed_check.as_deref(), Some("htm"));
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|r| r.verdict == Verdict::Fail)
        .map(|r| r.check.as_str())
        .collect();
    assert_eq!(failed, ["htm", "htu", "iat", "ath", "jkt"]);
    let htm = &report.checks[6];
    assert_eq!(
        (htm.expected.as_str(), htm.received.as_str()),
        ("POST", "GET")
    );
    let ath = &report.checks[10];
    assert_eq!(ath.expected, ath_of(token));
    assert_eq!(ath.received, ath_of("another-token"));
    assert_eq!(report.checks[11].expected, bound.as_str());
    assert_eq!(report.iat_offset, Some(-3600));
}

#[test]
fn an_unreadable_proof_skips_what_depends_on_it() {
    let htu = Htu::parse(HTU).unwrap();
    let explained = validator().explain("not.a-jws", &expect(&htu), NonceRule::Service);
    let report = &explained.report;
    assert_eq!(report.failed_check.as_deref(), Some("syntax"));
    assert!(report.checks[1..]
        .iter()
        .all(|r| r.verdict == Verdict::Skip && r.detail.is_some()));
    assert!(report.header.is_none() && report.jkt.is_none());
}

#[test]
fn a_given_nonce_is_compared_as_text_offline() {
    let key = SigningKey::generate(Alg::EdDSA, None).unwrap();
    let htu = Htu::parse(HTU).unwrap();
    let with_nonce = |nonce: Option<&str>| {
        client::mint(
            &key,
            "POST",
            HTU,
            NOW,
            &ProofClaims {
                nonce,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let required = Expectation {
        nonce_required: true,
        ..expect(&htu)
    };
    let v = validator();
    let given = NonceRule::Given("server-nonce");
    let ok = v.explain(&with_nonce(Some("server-nonce")), &required, given);
    assert!(ok.report.accepted, "{:?}", ok.report);
    let other = v.explain(&with_nonce(Some("old-nonce")), &required, given);
    assert_eq!(
        other.error,
        Some(DpopError::UseNonce(NonceProblem::Invalid(
            NonceError::Foreign
        )))
    );
    let none = v.explain(&with_nonce(None), &required, given);
    assert_eq!(none.error, Some(DpopError::UseNonce(NonceProblem::Missing)));
    // The service's own nonces: one it issued dates the proof.
    let issued = v.nonces().current(NOW);
    let dated = with_nonce(Some(&issued));
    let later = Expectation {
        now: NOW.plus(100),
        ..required
    };
    let explained = v.explain(&dated, &later, NonceRule::Service);
    assert!(explained.report.accepted, "{:?}", explained.report);
    assert!(explained.report.checks[8]
        .expected
        .starts_with("any: the server nonce dates the proof"));
}

#[test]
fn the_replay_check_looks_up_and_records_nothing() {
    let key = SigningKey::generate(Alg::ES256, None).unwrap();
    let htu = Htu::parse(HTU).unwrap();
    let v = validator();
    let store = MemoryStore::new(100);
    let proof = client::mint(&key, "POST", HTU, NOW, &ProofClaims::default()).unwrap();
    for _ in 0..2 {
        let explained = block_on(
            v.explain(&proof, &expect(&htu), NonceRule::Service)
                .look_up_replay(&store),
        );
        assert!(explained.report.accepted, "{:?}", explained.report);
        assert_eq!(explained.report.checks[12].verdict, Verdict::Pass);
    }
    // Nothing was recorded: the proof is still accepted once, then refused as a replay.
    assert!(block_on(v.verify(&proof, &expect(&htu), &store)).is_ok());
    let explained = block_on(
        v.explain(&proof, &expect(&htu), NonceRule::Service)
            .look_up_replay(&store),
    );
    assert_eq!(explained.error, Some(DpopError::Replayed));
    assert_eq!(explained.report.failed_check.as_deref(), Some("replay"));
    assert_eq!(explained.report.checks[12].received, "accepted before");
}

#[test]
fn received_text_is_bounded_and_escaped() {
    assert_eq!(shown("GET\r\nX-Forged: 1"), "GET\\r\\nX-Forged: 1");
    assert_eq!(shown(&"x".repeat(400)).chars().count(), 301);
}
