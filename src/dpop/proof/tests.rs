//! RFC 9449 vectors at pinned clocks, and one negative case per `DpopError` variant.
use super::*;
use crate::dpop::client::{self, sign_parts, ProofClaims};
use crate::jose::keys::SigningKey;
use crate::store::memory::MemoryStore;
use crate::store::{Advanced, Entry, StoreError, StoreFuture};
use serde_json::{json, Value};

const NOW: UnixTime = UnixTime(1_700_000_000);
const HTU: &str = "https://server.example.com/token";
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn validator() -> Validator {
    let policy = ProofPolicy {
        algs: AlgSet::of([Alg::ES256, Alg::RS256, Alg::PS256, Alg::EdDSA]),
        max_proof_bytes: 8192,
        rsa_min_bits: 2048,
        rsa_max_bits: 4096,
        max_age_secs: 60,
        clock_skew_secs: 15,
    };
    Validator::new(policy, NonceService::new(SECRET, 60, 120))
}

fn es256() -> SigningKey {
    SigningKey::generate(Alg::ES256, None).unwrap()
}

fn expect(htu: &Htu) -> Expectation<'_> {
    Expectation {
        header_count: 1,
        htm: "POST",
        htu,
        access_token: None,
        bound_jkt: None,
        nonce_required: false,
        algs: AlgSet::of([Alg::ES256, Alg::RS256, Alg::PS256, Alg::EdDSA]),
        now: NOW,
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn header(key: &SigningKey) -> Value {
    Value::Object(client::proof_header(key))
}

fn claims(iat: UnixTime) -> Value {
    Value::Object(client::proof_claims(
        "POST",
        HTU,
        iat,
        &ProofClaims::default(),
    ))
}

fn with(mut value: Value, name: &str, member: Value) -> Value {
    value.as_object_mut().unwrap().insert(name.into(), member);
    value
}

fn without(mut value: Value, name: &str) -> Value {
    value.as_object_mut().unwrap().remove(name);
    value
}

#[test]
fn rfc9449_figures_verify_at_their_pinned_clock() {
    // (name, proof, htm, htu, access token, jkt, pinned now)
    let fig4 = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
    let fig7 = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjY1Mjk2fQ.pAqut2IRDm_De6PR93SYmGBPXpwrAk90e8cP2hjiaG5QsGSuKDYW7_X620BxqhvYC8ynrrvZLTk41mSRroapUA";
    let fig14 = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
    let eddsa = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVkRFNBIiwiandrIjp7Imt0eSI6Ik9LUCIsImNydiI6IkVkMjU1MTkiLCJ4IjoiMTFxWUFZS3hDcmZWU183VHlXUUhPZzdoY3ZQYXBpTWxyd0lhYVBjSFVSbyJ9fQ.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.gcDRjExW3ZIHJ5dBAZKOJdHZuJYnSYQcO58EG_WF3r5f70D0yMhPC9CTdsUb2KroDTUvWwEPS68WErHc70ptDA";
    let ec_jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let at = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    let cases = [
        (
            "rfc9449_fig4_token_request",
            fig4,
            "POST",
            HTU,
            None,
            ec_jkt,
            1_562_262_616,
        ),
        (
            "rfc9449_fig7_refresh_request",
            fig7,
            "POST",
            HTU,
            None,
            ec_jkt,
            1_562_265_296,
        ),
        (
            "rfc9449_fig14_resource_request",
            fig14,
            "GET",
            "https://resource.example.org/protectedresource",
            Some(at),
            ec_jkt,
            1_562_262_618,
        ),
        (
            "derived_eddsa_rfc8037_key_token_request",
            eddsa,
            "POST",
            HTU,
            None,
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
            1_562_262_616,
        ),
    ];
    for (name, proof, htm, htu, token, jkt, now) in cases {
        // fig4 and fig7 share a jti: each vector gets its own replay store.
        let store = MemoryStore::new(100);
        let htu = Htu::parse(htu).unwrap();
        let bound = Jkt::parse(jkt).unwrap();
        let e = Expectation {
            htm,
            access_token: token,
            bound_jkt: token.map(|_| &bound),
            now: UnixTime(now),
            ..expect(&htu)
        };
        let verified = block_on(validator().verify(proof, &e, &store))
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(verified.jkt().as_str(), jkt, "{name}");
        assert_eq!(verified.iat(), UnixTime(now), "{name}");
    }
}

#[test]
fn rfc9449_fig14_ath_vector() {
    assert_eq!(
        ath_of("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
}

#[test]
fn well_formed_proofs_of_every_key_type_verify() {
    let rsa =
        SigningKey::from_pem(crate::jose::testdata::RSA_PKCS8, Some(Alg::PS256), None).unwrap();
    let rs256 =
        SigningKey::from_pem(crate::jose::testdata::RSA_PKCS8, Some(Alg::RS256), None).unwrap();
    let ed = SigningKey::generate(Alg::EdDSA, None).unwrap();
    let htu = Htu::parse(HTU).unwrap();
    for key in [es256(), rsa, rs256, ed] {
        let proof = client::mint(&key, "POST", HTU, NOW, &ProofClaims::default()).unwrap();
        let store = MemoryStore::new(100);
        let verified = block_on(validator().verify(&proof, &expect(&htu), &store)).unwrap();
        assert_eq!(
            verified.jkt(),
            &key.public().thumbprint(),
            "{:?}",
            key.alg()
        );
        assert_eq!(verified.alg(), key.alg());
    }
}

#[test]
fn acceptance_window_edges() {
    let key = es256();
    let htu = Htu::parse(HTU).unwrap();
    let v = validator();
    for (why, iat, ok) in [
        ("oldest accepted: now - max_age - skew", NOW.plus(-75), true),
        ("one second older", NOW.plus(-76), false),
        ("newest accepted: now + skew", NOW.plus(15), true),
        ("one second newer", NOW.plus(16), false),
    ] {
        let proof = client::mint(&key, "POST", HTU, iat, &ProofClaims::default()).unwrap();
        assert_eq!(v.check(&proof, &expect(&htu)).is_ok(), ok, "{why}");
    }
}

#[test]
fn typ_compares_as_a_media_type() {
    let key = es256();
    let htu = Htu::parse(HTU).unwrap();
    for typ in [
        "dpop+jwt",
        "DPoP+JWT",
        "application/dpop+jwt",
        "Application/DPOP+jwt",
    ] {
        let proof = sign_parts(&key, &with(header(&key), "typ", typ.into()), &claims(NOW)).unwrap();
        assert!(validator().check(&proof, &expect(&htu)).is_ok(), "{typ}");
    }
}

#[test]
fn a_valid_nonce_dates_the_proof_and_a_required_one_is_enforced() {
    let key = es256();
    let htu = Htu::parse(HTU).unwrap();
    let v = validator();
    let nonce = v.nonces().current(NOW);
    let old_iat = NOW.plus(-3600);
    let extra = ProofClaims {
        nonce: Some(&nonce),
        ..Default::default()
    };
    let proof = client::mint(&key, "POST", HTU, old_iat, &extra).unwrap();
    let required = Expectation {
        nonce_required: true,
        ..expect(&htu)
    };
    let checked = v.check(&proof, &required).unwrap();
    assert_eq!(
        checked.proof.nonce_time(),
        Some(v.nonces().check(&nonce, NOW).unwrap())
    );
}

#[test]
fn an_off_curve_key_is_a_jwk_failure_however_it_is_found() {
    assert_eq!(
        DpopError::BadSignature(SignatureError::PointNotOnCurve).check(),
        Check::Jwk
    );
    assert_eq!(
        DpopError::BadSignature(SignatureError::Invalid).check(),
        Check::Signature
    );
    assert_eq!(
        DpopError::BadSignature(SignatureError::BadLength).check(),
        Check::Signature
    );
}

#[test]
fn replay_ttl_covers_the_whole_acceptance_window() {
    // A proof passing at now = first..=last (whole seconds) is acceptable for
    // last − first + 1 real seconds, which the record must outlive.
    let key = es256();
    let htu = Htu::parse(HTU).unwrap();
    let v = validator();
    let real_seconds = |proof: &str, nonce_required: bool| {
        let passes: Vec<i64> = (-300..=300)
            .filter(|d| {
                v.check(
                    proof,
                    &Expectation {
                        now: NOW.plus(*d),
                        nonce_required,
                        ..expect(&htu)
                    },
                )
                .is_ok()
            })
            .collect();
        (passes[passes.len() - 1] - passes[0] + 1) as u64
    };
    let by_iat = client::mint(&key, "POST", HTU, NOW, &ProofClaims::default()).unwrap();
    // iat passes from now − 15 to now + 75: 91 whole seconds.
    assert_eq!(real_seconds(&by_iat, false), 91);
    let nonce = v.nonces().current(NOW);
    let by_nonce = client::mint(
        &key,
        "POST",
        HTU,
        NOW,
        &ProofClaims {
            nonce: Some(&nonce),
            ..Default::default()
        },
    )
    .unwrap();
    // A nonce passes from one 60 s step before its issue time to 120 s after: 181 seconds.
    assert_eq!(real_seconds(&by_nonce, true), 181);
    assert_eq!(v.replay_ttl(), Duration::from_secs(181));
}

struct DownStore;

fn down<T: Send + 'static>() -> StoreFuture<'static, T> {
    Box::pin(std::future::ready(Err(StoreError::Unavailable(
        "down".into(),
    ))))
}

impl SeenStore for DownStore {
    fn insert<'a>(&'a self, _: Entry<'a>) -> StoreFuture<'a, Inserted> {
        down()
    }
    fn advance<'a>(&'a self, _: Entry<'a>, _: i64) -> StoreFuture<'a, Advanced> {
        down()
    }
    fn lookup<'a>(&'a self, _: &'a [(Namespace, &'a [u8])]) -> StoreFuture<'a, Vec<Option<i64>>> {
        down()
    }
    fn ping(&self) -> StoreFuture<'_, ()> {
        down()
    }
}

#[test]
fn replay_is_refused_and_a_dead_store_fails_closed() {
    let key = es256();
    let htu = Htu::parse(HTU).unwrap();
    let v = validator();
    let proof = client::mint(&key, "POST", HTU, NOW, &ProofClaims::default()).unwrap();
    let store = MemoryStore::new(100);
    assert!(block_on(v.verify(&proof, &expect(&htu), &store)).is_ok());
    assert_eq!(
        block_on(v.verify(&proof, &expect(&htu), &store)).unwrap_err(),
        DpopError::Replayed
    );
    let fresh = client::mint(&key, "POST", HTU, NOW, &ProofClaims::default()).unwrap();
    assert_eq!(
        block_on(v.verify(&fresh, &expect(&htu), &DownStore)).unwrap_err(),
        DpopError::StoreUnavailable
    );
}

/// An RSA public JWK of `bytes` modulus octets; the signature check is never reached.
fn rsa_jwk_of(bytes: usize) -> Value {
    let mut n = vec![0xC5u8; bytes];
    n[bytes - 1] = 0x01;
    json!({ "kty": "RSA", "n": crate::jose::b64::encode(&n), "e": "AQAB" })
}

#[test]
fn each_check_refuses_with_its_own_error() {
    let key = es256();
    let other = es256();
    let htu = Htu::parse(HTU).unwrap();
    let v = validator();
    let good = |c: Value| sign_parts(&key, &header(&key), &c).unwrap();
    let hdr = |h: Value| sign_parts(&key, &h, &claims(NOW)).unwrap();
    let token = "an-access-token";
    let resource = Expectation {
        access_token: Some(token),
        ..expect(&htu)
    };
    let other_jkt = other.public().thumbprint();
    let bound = Expectation {
        bound_jkt: Some(&other_jkt),
        ..expect(&htu)
    };
    let flipped = {
        let p = good(claims(NOW));
        let mut sig = crate::jose::b64::decode(p.rsplit('.').next().unwrap()).unwrap();
        sig[10] ^= 0x01;
        format!(
            "{}.{}",
            p.rsplit_once('.').unwrap().0,
            crate::jose::b64::encode(&sig)
        )
    };
    let with_ath = |ath: &str| good(with(claims(NOW), "ath", ath.into()));
    let cases: Vec<(&str, String, Expectation, DpopError)> = vec![
        (
            "(1) two DPoP headers",
            good(claims(NOW)),
            Expectation {
                header_count: 2,
                ..expect(&htu)
            },
            DpopError::MultipleProofs,
        ),
        (
            "(1) larger than max_proof_bytes",
            good(with(claims(NOW), "pad", "x".repeat(9000).into())),
            expect(&htu),
            DpopError::TooLarge { limit: 8192 },
        ),
        (
            "(1) two parts",
            "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30".into(),
            expect(&htu),
            DpopError::Malformed(JwsError::NotCompact),
        ),
        (
            "(1) header is a JSON array",
            sign_parts(&key, &json!([1]), &claims(NOW)).unwrap(),
            expect(&htu),
            DpopError::Malformed(JwsError::BadJson {
                part: "header",
                reason: "not a JSON object".into(),
            }),
        ),
        (
            "(2) typ missing",
            hdr(without(header(&key), "typ")),
            expect(&htu),
            DpopError::BadTyp,
        ),
        (
            "(2) typ JWT",
            hdr(with(header(&key), "typ", "JWT".into())),
            expect(&htu),
            DpopError::BadTyp,
        ),
        (
            "(2) alg none",
            hdr(with(header(&key), "alg", "none".into())),
            expect(&htu),
            DpopError::AlgNotAllowed("none".into()),
        ),
        (
            "(2) alg HS256",
            hdr(with(header(&key), "alg", "HS256".into())),
            expect(&htu),
            DpopError::AlgNotAllowed("HS256".into()),
        ),
        (
            "(2) alg ES384 not configured",
            hdr(with(header(&key), "alg", "ES384".into())),
            expect(&htu),
            DpopError::AlgNotAllowed("ES384".into()),
        ),
        (
            "(2) alg RS256 with an EC key",
            hdr(with(header(&key), "alg", "RS256".into())),
            expect(&htu),
            DpopError::AlgKeyMismatch,
        ),
        (
            "(2) crit",
            hdr(with(header(&key), "crit", json!(["exp"]))),
            expect(&htu),
            DpopError::Crit,
        ),
        (
            "(2) crit null",
            hdr(with(header(&key), "crit", Value::Null)),
            expect(&htu),
            DpopError::Crit,
        ),
        (
            "(2) key only by kid",
            hdr(with(without(header(&key), "jwk"), "kid", "k1".into())),
            expect(&htu),
            DpopError::MissingJwk,
        ),
        (
            "(3) private key in jwk",
            hdr(with(
                header(&key),
                "jwk",
                with(Value::Object(key.public().to_json()), "d", "AAAA".into()),
            )),
            expect(&htu),
            DpopError::BadJwk(JwkError::PrivateMember("d")),
        ),
        (
            "(3) symmetric jwk",
            hdr(with(
                header(&key),
                "jwk",
                json!({"kty": "oct", "k": "AAAA"}),
            )),
            expect(&htu),
            DpopError::BadJwk(JwkError::PrivateMember("k")),
        ),
        (
            "(3) RSA key below 2048 bits",
            hdr(with(
                with(header(&key), "alg", "RS256".into()),
                "jwk",
                rsa_jwk_of(128),
            )),
            expect(&htu),
            DpopError::RsaKeySize { bits: 1024 },
        ),
        (
            "(3) RSA key above the cap",
            hdr(with(
                with(header(&key), "alg", "RS256".into()),
                "jwk",
                rsa_jwk_of(513),
            )),
            expect(&htu),
            DpopError::RsaKeySize { bits: 4104 },
        ),
        (
            "(4) signature by another key",
            sign_parts(&other, &header(&key), &claims(NOW)).unwrap(),
            expect(&htu),
            DpopError::BadSignature(SignatureError::Invalid),
        ),
        (
            "(4) one signature bit flipped",
            flipped,
            expect(&htu),
            DpopError::BadSignature(SignatureError::Invalid),
        ),
        (
            "(5) jti missing",
            good(without(claims(NOW), "jti")),
            expect(&htu),
            DpopError::MissingClaim("jti"),
        ),
        (
            "(5) htm missing",
            good(without(claims(NOW), "htm")),
            expect(&htu),
            DpopError::MissingClaim("htm"),
        ),
        (
            "(5) htu missing",
            good(without(claims(NOW), "htu")),
            expect(&htu),
            DpopError::MissingClaim("htu"),
        ),
        (
            "(5) iat missing",
            good(without(claims(NOW), "iat")),
            expect(&htu),
            DpopError::MissingClaim("iat"),
        ),
        (
            "(5) iat a string",
            good(with(claims(NOW), "iat", "1700000000".into())),
            expect(&htu),
            DpopError::InvalidClaim("iat"),
        ),
        (
            "(5) jti a number",
            good(with(claims(NOW), "jti", 7.into())),
            expect(&htu),
            DpopError::InvalidClaim("jti"),
        ),
        (
            "(5) jti of 257 chars",
            good(with(claims(NOW), "jti", "j".repeat(257).into())),
            expect(&htu),
            DpopError::InvalidClaim("jti"),
        ),
        (
            "(6) htm GET for POST",
            good(with(claims(NOW), "htm", "GET".into())),
            expect(&htu),
            DpopError::HtmMismatch {
                expected: "POST".into(),
                received: "GET".into(),
            },
        ),
        (
            "(6) htm is case-sensitive",
            good(with(claims(NOW), "htm", "post".into())),
            expect(&htu),
            DpopError::HtmMismatch {
                expected: "POST".into(),
                received: "post".into(),
            },
        ),
        (
            "(7) htu of another path",
            good(with(
                claims(NOW),
                "htu",
                "https://server.example.com/other".into(),
            )),
            expect(&htu),
            DpopError::HtuMismatch {
                expected: HTU.into(),
                received: "https://server.example.com/other".into(),
            },
        ),
        (
            "(7) htu not a URL",
            good(with(claims(NOW), "htu", "token".into())),
            expect(&htu),
            DpopError::BadHtu(HtuError::NotHttpUri),
        ),
        (
            "(8) iat too old",
            good(claims(NOW.plus(-76))),
            expect(&htu),
            DpopError::IatTooOld {
                iat: NOW.secs() - 76,
                now: NOW.secs(),
            },
        ),
        (
            "(8) iat in the future",
            good(claims(NOW.plus(16))),
            expect(&htu),
            DpopError::IatInFuture {
                iat: NOW.secs() + 16,
                now: NOW.secs(),
            },
        ),
        (
            "(9) nonce required, none sent",
            good(claims(NOW)),
            Expectation {
                nonce_required: true,
                ..expect(&htu)
            },
            DpopError::UseNonce(NonceProblem::Missing),
        ),
        (
            "(9) nonce required, garbage sent",
            good(with(claims(NOW), "nonce", "garbage".into())),
            Expectation {
                nonce_required: true,
                ..expect(&htu)
            },
            DpopError::UseNonce(NonceProblem::Invalid(NonceError::Malformed)),
        ),
        (
            "(9) nonce required, a number sent",
            good(with(claims(NOW), "nonce", 12345.into())),
            Expectation {
                nonce_required: true,
                ..expect(&htu)
            },
            DpopError::UseNonce(NonceProblem::Invalid(NonceError::Malformed)),
        ),
        (
            "(5) nonce not required, a number sent",
            good(with(claims(NOW), "nonce", 12345.into())),
            expect(&htu),
            DpopError::InvalidClaim("nonce"),
        ),
        (
            "(6) before (9): a number nonce does not hide an htm mismatch",
            good(with(
                with(claims(NOW), "nonce", 1.into()),
                "htm",
                "GET".into(),
            )),
            Expectation {
                nonce_required: true,
                ..expect(&htu)
            },
            DpopError::HtmMismatch {
                expected: "POST".into(),
                received: "GET".into(),
            },
        ),
        (
            "(10) resource call without ath",
            good(claims(NOW)),
            resource,
            DpopError::MissingAth,
        ),
        (
            "(10) ath of another token",
            with_ath(&ath_of("another-token")),
            resource,
            DpopError::AthMismatch,
        ),
        (
            "(10) proof key is not the bound key",
            good(claims(NOW)),
            bound,
            DpopError::KeyMismatch,
        ),
    ];
    for (why, proof, expectation, expected) in cases {
        match v.check(&proof, &expectation) {
            Ok(_) => panic!("{why}: accepted"),
            Err(got) => assert_eq!(got, expected, "{why}"),
        }
        // `dpopd explain` names the same failure, in the same check.
        let explained = v.explain(&proof, &expectation, explain::NonceRule::Service);
        assert_eq!(explained.error.as_ref(), Some(&expected), "{why}: explain");
        let label = expected.check().label();
        let row = explained.report.checks.iter().find(|r| r.check == label);
        assert_eq!(
            row.map(|r| r.verdict),
            Some(explain::Verdict::Fail),
            "{why}: explain's row"
        );
        assert_eq!(
            explained.report.failed_check.as_deref(),
            Some(label),
            "{why}"
        );
    }
}

/// Claims are read without `serde_json::Value` (strings borrowed from the payload): every JSON
/// form a claim can take is still judged as before — escapes decoded, `null` absent, numbers of
/// every kind for `iat`, any other type refused by name, a duplicated claim malformed — and an
/// `htu` in another spelling of the expected URL is still normalised before comparison.
#[test]
fn claims_of_every_json_form_are_judged_by_value() {
    let key = es256();
    let htu = Htu::parse(HTU).unwrap();
    let v = validator();
    let good = |c: Value| sign_parts(&key, &header(&key), &c).unwrap();
    let check = |proof: &str| {
        v.check(proof, &expect(&htu))
            .map(|c| c.proof.jti().to_owned())
    };
    // Escaped strings are decoded, in the jti kept and in the htm and htu compared.
    let escaped = with(claims(NOW), "jti", "a\"b\\u00e9".into());
    assert_eq!(check(&good(escaped)), Ok("a\"b\\u00e9".to_owned()));
    let raw = r#"{"jti":"x\u0041\n","htm":"\u0050OST","htu":"https:\/\/server.example.com\/token","iat":1700000000}"#;
    let proof =
        client::sign_bytes(&key, header(&key).to_string().as_bytes(), raw.as_bytes()).unwrap();
    assert_eq!(check(&proof), Ok("xA\n".to_owned()));
    // iat: integer, fraction, exponent; out of range or not a number is invalid.
    for (iat, ok) in [
        (json!(1_700_000_000), true),
        (json!(1_700_000_000.9), true),
        (json!(1.7e9), true),
        (json!(-1), false),
        (json!(u64::MAX), false),
        (json!(1e300), false),
        (json!(true), false),
        (json!([NOW.secs()]), false),
    ] {
        let got = check(&good(with(claims(NOW), "iat", iat.clone())));
        assert_eq!(got.is_ok(), ok, "iat {iat}: {got:?}");
        if !ok {
            assert_eq!(got, Err(DpopError::InvalidClaim("iat")), "iat {iat}");
        }
    }
    // null is absent; other types are invalid, by name.
    assert_eq!(
        check(&good(with(claims(NOW), "jti", Value::Null))),
        Err(DpopError::MissingClaim("jti"))
    );
    assert_eq!(
        check(&good(with(claims(NOW), "iat", Value::Null))),
        Err(DpopError::MissingClaim("iat"))
    );
    assert!(check(&good(with(claims(NOW), "nonce", Value::Null))).is_ok());
    for (name, value) in [
        ("jti", json!({"a": [1, {"b": null}]})),
        ("htm", json!(false)),
        ("htu", json!(["x"])),
        ("ath", json!(1.5)),
    ] {
        assert_eq!(
            check(&good(with(claims(NOW), name, value))),
            Err(DpopError::InvalidClaim(name)),
            "{name}"
        );
    }
    // A duplicated claim is a malformed payload, not the first or the last value.
    let dup = format!(
        r#"{{"jti":"a","jti":"b","htm":"POST","htu":"{HTU}","iat":{}}}"#,
        NOW.secs()
    );
    let proof =
        client::sign_bytes(&key, header(&key).to_string().as_bytes(), dup.as_bytes()).unwrap();
    assert!(matches!(
        check(&proof),
        Err(DpopError::Malformed(JwsError::BadJson {
            part: "payload",
            ..
        }))
    ));
    // Another spelling of the expected URL is normalised and accepted; the exact normal form too.
    for spelling in [
        "HTTPS://Server.Example.com:443/token",
        "https://server.example.com/a/../token?q#f",
        HTU,
    ] {
        assert!(
            check(&good(with(claims(NOW), "htu", spelling.into()))).is_ok(),
            "{spelling}"
        );
    }
}

fn validator_with(max_age_secs: i64, nonce_lifetime: u64) -> Validator {
    let mut v = validator();
    v.policy.max_age_secs = max_age_secs;
    v.nonces = NonceService::new(SECRET, 60, nonce_lifetime);
    v
}

/// A reload that widens the window must not let a proof recorded under the narrower one
/// (its record lasting the narrower `replay_ttl`) pass again once that record is gone.
#[test]
fn after_a_reload_that_widens_the_window_proofs_older_than_the_window_of_before_are_refused() {
    let key = es256();
    let htu = Htu::parse(HTU).unwrap();
    let proof_at = |iat: UnixTime| sign_parts(&key, &header(&key), &claims(iat)).unwrap();
    let check_at = |v: &Validator, proof: &str, now: UnixTime| {
        v.check(
            proof,
            &Expectation {
                now,
                ..expect(&htu)
            },
        )
        .map(|_| ())
    };
    let narrow = validator_with(60, 120);
    // The window of before: 60 + 15 seconds; after: 300 + 15.
    let mut wide = validator_with(300, 120);
    wide.follow(&narrow, NOW);
    let old = proof_at(NOW.plus(-100));
    assert!(matches!(
        check_at(&wide, &old, NOW),
        Err(DpopError::IatTooOld { .. })
    ));
    assert_eq!(check_at(&wide, &proof_at(NOW.plus(-70)), NOW), Ok(()));
    // A nonce does not date a proof past the floor either: a proof recorded before could have
    // been dated by one.
    let nonce = wide.nonces().current(NOW);
    let nonce_dated = sign_parts(
        &key,
        &header(&key),
        &with(claims(NOW.plus(-100)), "nonce", nonce.into()),
    )
    .unwrap();
    assert!(matches!(
        check_at(&wide, &nonce_dated, NOW),
        Err(DpopError::IatTooOld { .. })
    ));
    // Once both replay lifetimes have passed, the wider window alone applies.
    let ended = NOW.plus((narrow.replay_ttl() + wide.replay_ttl()).as_secs() as i64);
    assert_eq!(check_at(&wide, &proof_at(ended.plus(-100)), ended), Ok(()));
    assert!(matches!(
        check_at(&wide, &proof_at(ended.plus(-100)), ended.plus(-1)),
        Err(DpopError::IatTooOld { .. })
    ));

    // A second reload during the transition keeps the floor, even with the same policy.
    let mut again = validator_with(300, 120);
    again.follow(&wide, NOW.plus(10));
    assert!(matches!(
        check_at(&again, &proof_at(NOW.plus(-90)), NOW.plus(10)),
        Err(DpopError::IatTooOld { .. })
    ));

    // A longer nonce lifetime alone widens the window too.
    let mut longer_nonces = validator_with(60, 600);
    longer_nonces.follow(&narrow, NOW);
    assert!(longer_nonces.floor_at(NOW).is_some());

    // A reload that keeps or narrows the window sets no floor.
    for (why, max_age) in [("same window", 60), ("narrower window", 30)] {
        let mut next = validator_with(max_age, 120);
        next.follow(&narrow, NOW);
        assert_eq!(next.floor_at(NOW), None, "{why}");
    }
}
