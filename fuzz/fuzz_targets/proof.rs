//! The DPoP proof validator on arbitrary proof text: the compact JWS split, header and claim
//! parsing, the embedded JWK, the signature and every stateless check of RFC 9449 §4.3, at a
//! pinned clock and for two fixed requests (a token request and a resource request with an
//! access token). Asserts: no panic, and an accepted proof's thumbprint is the one of the key
//! in its header.
#![no_main]
use dpopd::clock::UnixTime;
use dpopd::dpop::htu::Htu;
use dpopd::dpop::nonce::NonceService;
use dpopd::dpop::proof::{AlgSet, Expectation, ProofPolicy, Validator};
use dpopd::jose::{Alg, CompactJws, Jkt, JwkMembers, PublicJwk};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// The clock of RFC 9449 Figure 4, so the RFC vectors in the seeds pass every check.
const NOW: UnixTime = UnixTime(1_562_262_616);
/// RFC 9449 Figure 14's access token.
const ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

struct Fixture {
    validator: Validator,
    token_htu: Htu,
    resource_htu: Htu,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let policy = ProofPolicy {
            algs: AlgSet::of(Alg::ALL),
            max_proof_bytes: 8192,
            rsa_min_bits: 2048,
            rsa_max_bits: 4096,
            max_age_secs: 60,
            clock_skew_secs: 15,
        };
        let nonces = NonceService::new(b"fuzz-nonce-secret-fuzz-nonce-secret", 60, 120);
        Fixture {
            validator: Validator::new(policy, nonces),
            token_htu: Htu::parse("https://server.example.com/token").expect("fixed htu"),
            resource_htu: Htu::parse("https://resource.example.org/protectedresource")
                .expect("fixed htu"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(proof) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixture();
    let token_request = Expectation {
        header_count: 1,
        htm: "POST",
        htu: &f.token_htu,
        access_token: None,
        bound_jkt: None,
        nonce_required: false,
        algs: AlgSet::of(Alg::ALL),
        now: NOW,
    };
    let resource_request = Expectation {
        htm: "GET",
        htu: &f.resource_htu,
        access_token: Some(ACCESS_TOKEN),
        ..token_request
    };
    let with_nonce = Expectation {
        nonce_required: true,
        ..token_request
    };
    for expect in [&token_request, &resource_request, &with_nonce] {
        if let Ok(checked) = f.validator.check(proof, expect) {
            assert_eq!(
                checked.jkt(),
                &header_thumbprint(proof),
                "accepted proof, other key"
            );
            assert!(Jkt::parse(checked.jkt().as_str()).is_ok());
        }
    }
});

fn header_thumbprint(proof: &str) -> Jkt {
    #[derive(serde::Deserialize)]
    struct Header<'a> {
        #[serde(borrow)]
        jwk: JwkMembers<'a>,
    }
    let jws = CompactJws::parse(proof).expect("an accepted proof is a compact JWS");
    let header: Header = jws.header_borrowed().expect("an accepted proof has a jwk");
    PublicJwk::from_members(&header.jwk)
        .expect("an accepted proof's jwk is valid")
        .thumbprint()
}
