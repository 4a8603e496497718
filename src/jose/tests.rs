//! Unit tests of `jose`.
use super::secrets::ct_eq_calls::during;
use super::{Alg, Jkt, SigningKey};
use crate::clock::UnixTime;
use crate::dpop::client::{mint, ProofClaims};
use crate::dpop::htu::Htu;
use crate::dpop::nonce::{NonceError, NonceService};
use crate::dpop::proof::{AlgSet, DpopError, Expectation, ProofPolicy, Validator};
use crate::oauth::clients::{ClientAuthError, ClientCredentials, ClientRegistry};
use crate::oauth::params::Params;

const NOW: UnixTime = UnixTime(1_700_000_000);
const HTU: &str = "https://as.example.com/token";

#[test]
fn ct_eq_compares_bytes_and_lengths() {
    assert!(super::ct_eq(b"abc", b"abc"));
    assert!(!super::ct_eq(b"abc", b"abd"));
    assert!(!super::ct_eq(b"abc", b"abcd"));
    assert!(super::ct_eq(b"", b""));
    assert_eq!(during(|| super::ct_eq(b"a", b"b")).1, 1);
}

#[test]
fn thumbprints_compare_in_constant_time() {
    let a = Jkt::parse("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I").unwrap();
    let b = Jkt::parse("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k").unwrap();
    assert_eq!(during(|| a.ct_eq(&a.clone())), (true, 1));
    assert_eq!(during(|| a.ct_eq(&b)), (false, 1));
}

#[test]
fn nonce_tags_compare_in_constant_time() {
    let nonces = NonceService::new(b"0123456789abcdef0123456789abcdef", 60, 120);
    let nonce = nonces.current(NOW);
    assert_eq!(during(|| nonces.check(&nonce, NOW)).1, 1);
    // The last character holds tag bits only: a forged tag is found by the comparison.
    let forged = format!(
        "{}{}",
        &nonce[..31],
        if nonce.ends_with('A') { 'B' } else { 'A' }
    );
    assert_eq!(
        during(|| nonces.check(&forged, NOW)),
        (Err(NonceError::Foreign), 1)
    );
}

fn validator() -> Validator {
    let policy = ProofPolicy {
        algs: AlgSet::of([Alg::ES256]),
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

#[test]
fn ath_and_key_binding_compare_in_constant_time() {
    let key = SigningKey::generate(Alg::ES256, None).unwrap();
    let htu = Htu::parse(HTU).unwrap();
    let claims = ProofClaims {
        access_token: Some("token-a"),
        ..ProofClaims::default()
    };
    let proof = mint(&key, "GET", HTU, NOW, &claims).unwrap();
    let expect = Expectation {
        header_count: 1,
        htm: "GET",
        htu: &htu,
        access_token: Some("token-a"),
        bound_jkt: None,
        nonce_required: false,
        algs: AlgSet::of([Alg::ES256]),
        now: NOW,
    };
    let v = validator();
    let (result, calls) = during(|| v.check(&proof, &expect).map(|c| c.jkt().clone()));
    assert_eq!(
        (result.as_ref().ok(), calls),
        (Some(&key.public().thumbprint()), 1)
    );
    let other_token = Expectation {
        access_token: Some("token-b"),
        ..expect
    };
    let (result, calls) = during(|| v.check(&proof, &other_token).err());
    assert_eq!((result, calls), (Some(DpopError::AthMismatch), 1));

    let own = key.public().thumbprint();
    let stranger = Jkt::parse("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k").unwrap();
    let bound = Expectation {
        bound_jkt: Some(&own),
        ..expect
    };
    assert_eq!(during(|| v.check(&proof, &bound).is_ok()), (true, 2));
    let foreign = Expectation {
        bound_jkt: Some(&stranger),
        ..expect
    };
    assert_eq!(
        during(|| v.check(&proof, &foreign).err()),
        (Some(DpopError::KeyMismatch), 2)
    );
}

#[test]
fn pkce_verifiers_compare_in_constant_time() {
    use crate::oauth::pkce::{CodeChallenge, VerifierError};
    // RFC 7636 Appendix B.
    let challenge = CodeChallenge::from_request(
        Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        Some("S256"),
    );
    let challenge = challenge.unwrap().unwrap();
    assert_eq!(
        during(|| challenge.verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")),
        (Ok(()), 1)
    );
    assert_eq!(
        during(|| challenge.verify(&"x".repeat(43))),
        (Err(VerifierError::Mismatch), 1)
    );
}

#[test]
fn client_secrets_compare_in_constant_time() {
    let mut settings = crate::config::Settings::development();
    crate::development::add_demo_credentials(&mut settings);
    let sources = crate::remote_keys::KeySources::default();
    let registry =
        ClientRegistry::new(&settings.clients, AlgSet::of(Alg::ALL), &sources).expect("registry");
    let basic = |secret| ClientCredentials {
        basic_id: Some(crate::development::DEMO_CLIENT_ID),
        basic_secret: Some(secret),
        header: None,
    };
    let params = Params::default();
    let (result, calls) = during(|| {
        registry
            .authenticate(basic(crate::development::DEMO_CLIENT_SECRET), &params)
            .is_ok()
    });
    assert_eq!((result, calls), (true, 1));
    let (result, calls) = during(|| registry.authenticate(basic("wrong"), &params).err());
    assert_eq!((result, calls), (Some(ClientAuthError::BadSecret), 1));
}
