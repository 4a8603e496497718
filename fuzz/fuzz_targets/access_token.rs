//! Verification of the service's own access tokens on arbitrary text: `KeySet::verify` (the
//! compact JWS, `kid` lookup, `alg` agreement and signature) and `oauth::access::verify_signed`
//! (RFC 9068 §4: `typ`, claims, `iss`, sealed properties, time claims), with a fixed key set
//! (an active ES256 key, verify-only EdDSA and PS256 keys) at a pinned clock, the verified-token
//! cache off so every input is verified from scratch.
//!
//! Asserts: no panic; an accepted JWT names a listed `kid` with that key's `alg`; an accepted
//! access token is also an accepted `at+jwt` of this issuer, not expired. For an input that
//! starts with '~', the rest is signed instead: a token minted with it as subject verifies with
//! that subject, and the rest signed as a payload verifies to itself and not with its
//! signature altered.
#![no_main]
use dpopd::clock::UnixTime;
use dpopd::config::{SealingKeySettings, Secret, Settings, SigningKeySettings};
use dpopd::jose::{b64, Alg, CompactJws, SigningKey};
use dpopd::oauth::access::verify_signed;
use dpopd::oauth::tokens::{mint, AccessGrant};
use dpopd::oauth::Core;
use dpopd::store::memory::MemoryStore;
use libfuzzer_sys::fuzz_target;
use std::future::Future;
use std::sync::{Arc, OnceLock};

const NOW: UnixTime = UnixTime(1_700_000_000);

/// Runs `verify_signed` to its end. With no trusted issuer configured it never waits (only an
/// issuer's key fetch could), so one poll finishes it; a pending future would be a defect.
fn verify_now(
    core: &Core,
    token: &str,
) -> Result<Arc<dpopd::oauth::access::VerifiedAccess>, dpopd::oauth::access::AccessError> {
    let future = std::pin::pin!(verify_signed(core, token, NOW));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.poll(&mut context) {
        std::task::Poll::Ready(result) => result,
        std::task::Poll::Pending => panic!("verifying an own token waited"),
    }
}
const ISSUER: &str = "https://as.example.com";

// Keys made for fuzzing only, fixed so that the seed tokens carry valid signatures.
const ES256: &str = r#"{"alg":"ES256","crv":"P-256","d":"zJd2ip2AuE-lGPGHBe6N48Na8BJUYW2MqS4iIR9HmYE","kid":"fuzz-es256","kty":"EC","x":"aWaSaoUIOye0pWHGt6lAq8BoSptyvhzj0PlNN4yEQac","y":"s6YNTcRegBpkuKc9QC5TKuOdclS1dF90kd_SeWg2Y-I"}"#;
const EDDSA: &str = r#"{"alg":"EdDSA","crv":"Ed25519","d":"VWBPwP5bLVIWmbNLB7TMCt19-Dp9OHqmqIGIzAkk9WA","kid":"fuzz-eddsa","kty":"OKP","x":"C6dabVO0mOHzlkBGb0jJku7PK9SDVgUdZh-flcO9mXo"}"#;
const RSA_PEM: &str = include_str!("../../tests/keys/rsa2048.pem");

fn core() -> &'static Core {
    static CORE: OnceLock<Core> = OnceLock::new();
    CORE.get_or_init(|| {
        let rsa = SigningKey::from_pem(RSA_PEM, Some(Alg::PS256), Some("fuzz-rsa".into()))
            .expect("fixed key");
        let jwk = |text: String| SigningKeySettings {
            jwk: Some(Secret::new(text)),
            ..Default::default()
        };
        let mut s = Settings::development();
        s.development = false;
        s.service.issuer = ISSUER.into();
        s.keys.signing = vec![
            jwk(ES256.into()),
            jwk(EDDSA.into()),
            jwk(rsa.private_jwk().to_string()),
        ];
        s.keys.sealing = vec![SealingKeySettings {
            kid: "fuzz-seal".into(),
            key: Secret::new(b64::encode(&[7u8; 32])),
        }];
        s.dpop.nonce_secret = Secret::new(b64::encode(&[9u8; 32]));
        s.tokens.verified_cache_entries = 0;
        Core::from_settings(&s, Arc::new(MemoryStore::new(1024))).expect("fuzz settings are valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let core = core();
    // Inputs starting with '~' (never part of a compact JWS) are payloads to sign and verify
    // again; every other input is a token to verify. Signing costs more than refusing, so the
    // split keeps most executions on the hostile-token path.
    match data.split_first() {
        Some((b'~', payload)) => round_trips(core, payload),
        _ => {
            if let Ok(token) = std::str::from_utf8(data) {
                check_arbitrary(core, token);
            }
        }
    }
});

fn round_trips(core: &Core, data: &[u8]) {
    if let Ok(subject) = std::str::from_utf8(data) {
        // The input as the subject of a genuine token: claims are escaped, not interpreted.
        let grant = AccessGrant {
            subject,
            client_id: "fuzz-client",
            scopes: &["read".to_owned()],
            audience: &[ISSUER.to_owned()],
            jkt: None,
            lifetime_secs: 60,
            properties: &[],
            extra: &Default::default(),
            grant_id: None,
        };
        let minted =
            mint(&core.keys, &core.sealer, ISSUER, grant, NOW).expect("minting never fails");
        let access = verify_now(core, &minted.token).expect("a token just minted verifies");
        assert_eq!(access.claims.sub, subject);
    }

    // An empty payload signs, but its compact form has an empty part, which verification
    // refuses by design (RFC 7515 Appendix F detached content); a JWT payload is never empty.
    if data.is_empty() {
        return;
    }
    let token = core
        .keys
        .active()
        .sign_compact("at+jwt", data)
        .expect("signing never fails");
    let jwt = core
        .keys
        .verify(&token)
        .expect("a token just signed verifies");
    assert_eq!(
        (jwt.kid.as_str(), jwt.typ.as_deref()),
        ("fuzz-es256", Some("at+jwt"))
    );
    assert_eq!(jwt.payload, data);
    // An ES256 signature is 64 octets, 86 characters whose last one carries 2 signature bits
    // and 4 zero bits: 'A', 'Q', 'g' or 'w'. Swapping within those stays canonical base64url.
    let (rest, last) = token.split_at(token.len() - 1);
    let altered = format!("{rest}{}", if last == "A" { "Q" } else { "A" });
    assert!(
        core.keys.verify(&altered).is_err(),
        "altered signature accepted"
    );
}

fn check_arbitrary(core: &Core, token: &str) {
    if let Ok(jwt) = core.keys.verify(token) {
        let alg = listed_alg(&jwt.kid).expect("accepted under a listed kid");
        let jws = CompactJws::parse(token).expect("an accepted token is a compact JWS");
        let header: serde_json::Value = jws.header_as().expect("JSON header");
        assert_eq!(header["alg"].as_str(), Some(alg.name()));
        assert_eq!(jwt.payload, jws.payload);
    }
    if let Ok(access) = verify_now(core, token) {
        let jwt = core
            .keys
            .verify(token)
            .expect("an accepted access token verifies as a JWT");
        assert!(jwt
            .typ
            .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt")
                || t.eq_ignore_ascii_case("application/at+jwt")));
        assert_eq!(access.claims.iss, ISSUER);
        assert!(access.claims.exp > NOW.secs(), "expired token accepted");
    }
}

fn listed_alg(kid: &str) -> Option<Alg> {
    match kid {
        "fuzz-es256" => Some(Alg::ES256),
        "fuzz-eddsa" => Some(Alg::EdDSA),
        "fuzz-rsa" => Some(Alg::PS256),
        _ => None,
    }
}
