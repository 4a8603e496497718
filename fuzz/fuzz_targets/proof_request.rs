//! The DPoP proof validator with the request taken from the input too: the input is
//! `htm '\n' htu '\n' proof ['\n' access token]`, so the fuzzer also explores the `htm`, `htu`
//! and `ath` comparisons. Asserts: no panic, and an accepted proof names the expected method
//! exactly, a URI that normalises to the expected one, and the `ath` of the access token.
#![no_main]
use dpopd::clock::UnixTime;
use dpopd::dpop::htu::Htu;
use dpopd::dpop::nonce::NonceService;
use dpopd::dpop::proof::{ath_of, AlgSet, Expectation, ProofPolicy, Validator};
use dpopd::jose::{Alg, CompactJws};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::OnceLock;

/// The clock of RFC 9449 Figure 4; Figures 7 and 14 are within the window too when the
/// seed names their own request.
const NOW: UnixTime = UnixTime(1_562_262_616);

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let policy = ProofPolicy {
            algs: AlgSet::of(Alg::ALL),
            max_proof_bytes: 8192,
            rsa_min_bits: 2048,
            rsa_max_bits: 4096,
            max_age_secs: 60,
            clock_skew_secs: 15,
        };
        Validator::new(
            policy,
            NonceService::new(b"fuzz-nonce-secret-fuzz-nonce-secret", 60, 120),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = text.splitn(4, '\n');
    let (Some(htm), Some(htu), Some(proof)) = (fields.next(), fields.next(), fields.next()) else {
        return;
    };
    let access_token = fields.next();
    let Ok(htu) = Htu::parse(htu) else { return };
    let expect = Expectation {
        header_count: 1,
        htm,
        htu: &htu,
        access_token,
        bound_jkt: None,
        nonce_required: false,
        algs: AlgSet::of(Alg::ALL),
        now: NOW,
    };
    if validator().check(proof, &expect).is_err() {
        return;
    }
    let jws = CompactJws::parse(proof).expect("an accepted proof is a compact JWS");
    let claims: Value = jws.payload_as().expect("an accepted proof has JSON claims");
    assert_eq!(claims["htm"].as_str(), Some(htm), "htm must match exactly");
    let claimed = claims["htu"]
        .as_str()
        .expect("an accepted proof has an htu");
    assert_eq!(
        Htu::parse(claimed).as_ref(),
        Ok(&htu),
        "htu must normalise to the expected one"
    );
    if let Some(token) = access_token {
        assert_eq!(
            claims["ath"].as_str(),
            Some(ath_of(token).as_str()),
            "ath must be the token's"
        );
    }
});
