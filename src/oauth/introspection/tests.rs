//! The resource-server decision at a pinned clock: RFC 9449 figure 14 (proof and `ath`), and
//! one case per branch of the scheme, proof and grant rules.
use super::*;
use crate::dpop::client::{self, ProofClaims};
use crate::jose::jwk::Jkt;
use crate::jose::keys::SigningKey;
use crate::jose::Alg;
use crate::oauth::access::tests::{block_on, core, mint, NOW};
use crate::oauth::tokens::{AccessClaims, Audience, Cnf};

const RS: &str = "https://rs.example.com/data";

/// The DPoP side of a resource call: `proof`, if any, for `htm` `htu`.
fn proof_input(proof: Option<&str>, htm: &str, htu: &str) -> DpopInput {
    DpopInput {
        proof: proof.map(|jws| crate::dpop::input::ProofInput {
            jws: jws.to_owned(),
            htm: htm.to_owned(),
            htu: crate::dpop::htu::Htu::parse(htu).unwrap(),
        }),
        ..DpopInput::default()
    }
}

/// RFC 9449 §7.1 Figure 14, and the token its `ath` was computed from (Figure 13).
const FIG14: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";
const FIG13_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
const FIG14_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
const FIG14_NOW: UnixTime = UnixTime(1_562_262_618);

/// The claims Figure 13's (opaque) token would carry: bound to Figure 14's key.
fn fig13_access() -> VerifiedAccess {
    let claims = AccessClaims {
        iss: "https://server.example.com".into(),
        sub: "someone@example.com".into(),
        aud: Audience::One("https://resource.example.org".into()),
        client_id: "client".into(),
        scope: String::new(),
        iat: FIG14_NOW.secs(),
        exp: FIG14_NOW.secs() + 60,
        jti: "fig13".into(),
        cnf: Some(Cnf {
            jkt: FIG14_JKT.into(),
        }),
        prp: None,
        gid: None,
        extra: Default::default(),
    };
    VerifiedAccess {
        claims,
        origin: crate::oauth::access::Origin::Own,
        scopes: vec![],
        jkt: Some(Jkt::parse(FIG14_JKT).unwrap()),
        properties: vec![],
    }
}

#[test]
fn rfc9449_figure_14_proof_and_ath_pass_the_resource_proof_check() {
    let core = core();
    let access = fig13_access();
    let call = IntrospectionCall {
        token: Some(FIG13_TOKEN),
        dpop: proof_input(
            Some(FIG14),
            "GET",
            "https://resource.example.org/protectedresource",
        ),
        scheme: Some(TokenType::DPoP),
        ..Default::default()
    };
    let checked = check_proof(&core, &call, FIG13_TOKEN, &access, false, FIG14_NOW)
        .unwrap()
        .expect("a proof");
    assert_eq!(checked.jkt().as_str(), FIG14_JKT);
    let proof = block_on(Validator::record(checked, core.store.as_ref())).unwrap();
    assert_eq!(proof.iat(), FIG14_NOW);

    let refusals = [
        (
            "another token: ath",
            FIG13_TOKEN.replace('K', "k"),
            FIG14_NOW,
            DpopError::AthMismatch,
        ),
        (
            "a day later: iat",
            FIG13_TOKEN.to_owned(),
            FIG14_NOW.plus(86_400),
            DpopError::IatTooOld {
                iat: FIG14_NOW.secs(),
                now: FIG14_NOW.secs() + 86_400,
            },
        ),
    ];
    for (why, token, now, expected) in refusals {
        let call = IntrospectionCall {
            token: Some(&token),
            ..call.clone()
        };
        let err = check_proof(&core, &call, &token, &access, false, now).unwrap_err();
        assert_eq!(err, IntrospectionError::Dpop(expected), "{why}");
    }
    let mut other_key = fig13_access();
    other_key.jkt = Some(
        SigningKey::generate(Alg::ES256, None)
            .unwrap()
            .public()
            .thumbprint(),
    );
    let err = check_proof(&core, &call, FIG13_TOKEN, &other_key, false, FIG14_NOW).unwrap_err();
    assert_eq!(err, IntrospectionError::Dpop(DpopError::KeyMismatch));
}

#[test]
fn a_bound_token_with_its_proof_introspects_at_a_pinned_clock() {
    let core = core();
    let key = SigningKey::generate(Alg::ES256, None).unwrap();
    let jkt = key.public().thumbprint();
    let token = mint(&core, Some(&jkt), NOW);
    let proof = client::mint(
        &key,
        "GET",
        RS,
        NOW.plus(5),
        &ProofClaims {
            access_token: Some(&token),
            ..Default::default()
        },
    )
    .unwrap();
    let scopes = ["read".to_owned()];
    let resources = ["https://rs.example.com".to_owned()];
    let call = IntrospectionCall {
        token: Some(&token),
        scopes: &scopes,
        subject: Some("alice"),
        dpop: proof_input(Some(&proof), "GET", RS),
        resources: &resources,
        scheme: Some(TokenType::DPoP),
        // A DPoP-only resource accepts a bound token with a valid proof.
        dpop_required: true,
        thumbprint: None,
    };
    let outcome = block_on(introspect(&core, &call, NOW.plus(5)));
    let ok = outcome.result.unwrap();
    assert_eq!(ok.proof.unwrap().jkt(), &jkt);
    assert_eq!(ok.access.unwrap().claims.sub, "alice");
    assert_eq!(outcome.challenge, TokenType::DPoP);
    assert!(outcome.dpop_nonce.is_none(), "no nonce unless required");

    let replay = block_on(introspect(&core, &call, NOW.plus(5)));
    assert_eq!(
        replay.result.unwrap_err(),
        IntrospectionError::Dpop(DpopError::Replayed)
    );
}

#[test]
fn each_rule_refuses_with_its_own_error() {
    let core = core();
    let key = SigningKey::generate(Alg::ES256, None).unwrap();
    let jkt = key.public().thumbprint();
    let bound = mint(&core, Some(&jkt), NOW);
    let bearer = mint(&core, None, NOW);
    let proof_for = |token: &str| {
        client::mint(
            &key,
            "GET",
            RS,
            NOW,
            &ProofClaims {
                access_token: Some(token),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let (bound_proof, bearer_proof) = (proof_for(&bound), proof_for(&bearer));
    let admin = ["admin".to_owned()];
    let elsewhere = ["https://other.example.com".to_owned()];
    let base = IntrospectionCall::default();
    let cases: Vec<(&str, IntrospectionCall, IntrospectionError, TokenType)> = vec![
        (
            "no token",
            IntrospectionCall {
                token: None,
                ..base.clone()
            },
            IntrospectionError::NoToken,
            TokenType::Bearer,
        ),
        (
            "an empty token",
            IntrospectionCall {
                token: Some(""),
                ..base.clone()
            },
            IntrospectionError::EmptyToken,
            TokenType::Bearer,
        ),
        (
            "an empty token presented as DPoP",
            IntrospectionCall {
                token: Some(""),
                scheme: Some(TokenType::DPoP),
                ..base.clone()
            },
            IntrospectionError::EmptyToken,
            TokenType::DPoP,
        ),
        (
            "garbage as Bearer",
            IntrospectionCall {
                token: Some("x.y.z"),
                ..base.clone()
            },
            IntrospectionError::InvalidToken(AccessError::Unverified(
                crate::jose::VerifyError::Jws(crate::jose::JwsError::BadBase64("header")),
            )),
            TokenType::Bearer,
        ),
        (
            "bound token as Bearer",
            IntrospectionCall {
                token: Some(&bound),
                scheme: Some(TokenType::Bearer),
                ..base.clone()
            },
            IntrospectionError::Downgrade,
            TokenType::DPoP,
        ),
        (
            "bound token without proof",
            IntrospectionCall {
                token: Some(&bound),
                ..base.clone()
            },
            IntrospectionError::ProofMissing,
            TokenType::DPoP,
        ),
        (
            "unbound token as DPoP without proof",
            IntrospectionCall {
                token: Some(&bearer),
                scheme: Some(TokenType::DPoP),
                ..base.clone()
            },
            IntrospectionError::ProofMissing,
            TokenType::DPoP,
        ),
        (
            "proof for the other token",
            IntrospectionCall {
                token: Some(&bound),
                dpop: proof_input(Some(&bearer_proof), "GET", RS),
                ..base.clone()
            },
            IntrospectionError::Dpop(DpopError::AthMismatch),
            TokenType::DPoP,
        ),
        (
            "proof for POST",
            IntrospectionCall {
                token: Some(&bound),
                dpop: proof_input(Some(&bound_proof), "POST", RS),
                ..base.clone()
            },
            IntrospectionError::Dpop(DpopError::HtmMismatch {
                expected: "POST".into(),
                received: "GET".into(),
            }),
            TokenType::DPoP,
        ),
        (
            "nonce required",
            IntrospectionCall {
                token: Some(&bound),
                dpop: DpopInput {
                    nonce_required: true,
                    ..proof_input(Some(&bound_proof), "GET", RS)
                },
                ..base.clone()
            },
            IntrospectionError::Dpop(DpopError::UseNonce(
                crate::dpop::proof::NonceProblem::Missing,
            )),
            TokenType::DPoP,
        ),
        (
            "scope",
            IntrospectionCall {
                token: Some(&bearer),
                scopes: &admin,
                ..base.clone()
            },
            IntrospectionError::InsufficientScope {
                required: "admin".into(),
            },
            TokenType::Bearer,
        ),
        (
            "subject",
            IntrospectionCall {
                token: Some(&bearer),
                subject: Some("bob"),
                ..base.clone()
            },
            IntrospectionError::SubjectMismatch,
            TokenType::Bearer,
        ),
        (
            "resource",
            IntrospectionCall {
                token: Some(&bearer),
                resources: &elsewhere,
                ..base.clone()
            },
            IntrospectionError::ResourceNotInAudience,
            TokenType::Bearer,
        ),
        (
            "DPoP-only: an unbound token as Bearer",
            IntrospectionCall {
                token: Some(&bearer),
                dpop_required: true,
                ..base.clone()
            },
            IntrospectionError::TokenNotBound,
            TokenType::DPoP,
        ),
        (
            "DPoP-only: an unbound token as DPoP with a valid proof",
            IntrospectionCall {
                token: Some(&bearer),
                scheme: Some(TokenType::DPoP),
                dpop: proof_input(Some(&bearer_proof), "GET", RS),
                dpop_required: true,
                ..base.clone()
            },
            IntrospectionError::TokenNotBound,
            TokenType::DPoP,
        ),
        (
            "DPoP-only: a bound token as Bearer",
            IntrospectionCall {
                token: Some(&bound),
                scheme: Some(TokenType::Bearer),
                dpop_required: true,
                ..base.clone()
            },
            IntrospectionError::Downgrade,
            TokenType::DPoP,
        ),
        (
            "DPoP-only: a bound token without a proof",
            IntrospectionCall {
                token: Some(&bound),
                dpop_required: true,
                ..base.clone()
            },
            IntrospectionError::ProofMissing,
            TokenType::DPoP,
        ),
        (
            "DPoP-only: no token",
            IntrospectionCall {
                token: None,
                dpop_required: true,
                ..base.clone()
            },
            IntrospectionError::NoToken,
            TokenType::DPoP,
        ),
    ];
    for (why, call, expected, challenge) in cases {
        let outcome = block_on(introspect(&core, &call, NOW));
        assert_eq!(outcome.result.unwrap_err(), expected, "{why}");
        assert_eq!(outcome.challenge, challenge, "{why}: challenge scheme");
        assert_eq!(outcome.bearer_accepted, !call.dpop_required, "{why}");
    }
    let expired = IntrospectionCall {
        token: Some(&bearer),
        ..base.clone()
    };
    assert_eq!(
        block_on(introspect(&core, &expired, NOW.plus(3600)))
            .result
            .unwrap_err(),
        IntrospectionError::InvalidToken(AccessError::Expired)
    );
    let accepted = IntrospectionCall {
        token: Some(&bearer),
        dpop: proof_input(Some(&bearer_proof), "GET", RS),
        scheme: Some(TokenType::DPoP),
        ..base.clone()
    };
    let ok = block_on(introspect(&core, &accepted, NOW)).result.unwrap();
    assert_eq!(
        ok.proof.unwrap().jkt(),
        &jkt,
        "an unbound token presented as DPoP: its proof is reported"
    );
}

#[test]
fn userinfo_requires_openid() {
    let core = core();
    let token = mint(&core, None, NOW);
    let call = IntrospectionCall {
        token: Some(&token),
        ..Default::default()
    };
    let outcome = block_on(userinfo(&core, &call, NOW));
    assert_eq!(
        outcome.result.unwrap_err(),
        IntrospectionError::InsufficientScope {
            required: "openid".into()
        }
    );
}

/// RFC 9449 Figure 13's token is opaque: given its binding (Figure 14's key), introspection
/// judges the proof alone and never reads the token.
#[test]
fn an_opaque_token_is_judged_by_the_proof_and_the_given_thumbprint() {
    let core = core();
    let call = IntrospectionCall {
        token: Some(FIG13_TOKEN),
        dpop: proof_input(
            Some(FIG14),
            "GET",
            "https://resource.example.org/protectedresource",
        ),
        scheme: Some(TokenType::DPoP),
        thumbprint: Some(Jkt::parse(FIG14_JKT).unwrap()),
        ..Default::default()
    };
    let other = Jkt::parse(&"A".repeat(43)).unwrap();
    let refusals = [
        (
            "another thumbprint",
            IntrospectionCall {
                thumbprint: Some(other),
                ..call.clone()
            },
            IntrospectionError::Dpop(DpopError::KeyMismatch),
        ),
        (
            "the Bearer scheme",
            IntrospectionCall {
                scheme: Some(TokenType::Bearer),
                ..call.clone()
            },
            IntrospectionError::Downgrade,
        ),
        (
            "no proof",
            IntrospectionCall {
                dpop: DpopInput::default(),
                ..call.clone()
            },
            IntrospectionError::ProofMissing,
        ),
    ];
    for (why, refused, expected) in refusals {
        let outcome = block_on(introspect(&core, &refused, FIG14_NOW));
        assert_eq!(outcome.result.unwrap_err(), expected, "{why}");
        assert_eq!(outcome.challenge, TokenType::DPoP, "{why}");
    }
    let outcome = block_on(introspect(&core, &call, FIG14_NOW));
    let ok = outcome.result.unwrap();
    assert!(ok.access.is_none(), "the token was not read");
    assert_eq!(ok.proof.unwrap().jkt().as_str(), FIG14_JKT);
    assert!(outcome.access.is_none() && !outcome.sufficient);
    let replayed = block_on(introspect(&core, &call, FIG14_NOW));
    assert!(matches!(
        replayed.result,
        Err(IntrospectionError::Dpop(DpopError::Replayed))
    ));
}
