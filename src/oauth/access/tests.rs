//! RFC 9068 §4 verification at a pinned clock: one refusal per `AccessError` variant, and the
//! verified-token cache, which must never serve an expired or revoked token.
use super::*;
use crate::config::Settings;
use crate::jose::keys::SigningKey;
use crate::jose::{b64, Alg, KeySet};
use crate::oauth::tokens::{self, AccessGrant};
use crate::store::memory::MemoryStore;
use serde_json::json;

pub(crate) const NOW: UnixTime = UnixTime(1_700_000_000);

/// A core on the development defaults with a fresh memory store.
pub(crate) fn core() -> Core {
    Core::from_settings(&Settings::development(), Arc::new(MemoryStore::new(10_000))).unwrap()
}

/// A token of `core` for subject `alice` with scopes `read write`, living an hour from `iat`.
pub(crate) fn mint(core: &Core, jkt: Option<&Jkt>, iat: UnixTime) -> String {
    let scopes = ["read".to_owned(), "write".to_owned()];
    let properties = [Property {
        key: "tier".into(),
        value: "gold".into(),
        hidden: true,
    }];
    let grant = AccessGrant {
        subject: "alice",
        client_id: "client-1",
        scopes: &scopes,
        audience: &["https://rs.example.com".into()],
        jkt,
        lifetime_secs: 3600,
        properties: &properties,
        extra: &Default::default(),
        grant_id: None,
    };
    tokens::mint(&core.keys, &core.sealer, &core.issuer, grant, iat)
        .unwrap()
        .token
}

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

/// `claims` signed by the core's own key with header type `typ`.
fn signed(core: &Core, typ: &str, claims: serde_json::Value) -> String {
    core.keys
        .active()
        .sign_compact(typ, claims.to_string().as_bytes())
        .unwrap()
}

fn claims(core: &Core) -> serde_json::Value {
    json!({ "iss": core.issuer, "sub": "alice", "aud": "x", "client_id": "c", "iat": NOW.secs(), "exp": NOW.secs() + 60, "jti": "j1" })
}

#[test]
fn an_own_token_verifies_with_its_sealed_properties() {
    let core = core();
    let jkt = Jkt::parse("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I").unwrap();
    let token = mint(&core, Some(&jkt), NOW);
    let access = block_on(verify(&core, &token, NOW)).unwrap();
    assert_eq!(access.claims.sub, "alice");
    assert_eq!(access.scopes, ["read", "write"]);
    assert_eq!(access.jkt.as_ref(), Some(&jkt));
    assert_eq!(access.token_type(), TokenType::DPoP);
    assert_eq!(
        access.properties[0].value, "gold",
        "prp opens with the core's sealer"
    );
    assert_eq!(access.expires_at(), NOW.plus(3600));
}

#[test]
fn every_refusal_names_its_reason() {
    let core = core();
    let good = mint(&core, None, NOW);
    let (input, sig) = good.rsplit_once('.').unwrap();
    let (header, _) = input.split_once('.').unwrap();
    let stranger =
        SigningKey::generate(Alg::ES256, Some(core.keys.active().kid().to_owned())).unwrap();
    let foreign = stranger
        .sign_compact("at+jwt", claims(&core).to_string().as_bytes())
        .unwrap();
    let none_header = b64::encode(
        format!(
            r#"{{"alg":"none","typ":"at+jwt","kid":"{}"}}"#,
            core.keys.active().kid()
        )
        .as_bytes(),
    );
    let tampered_payload = b64::encode(
        claims(&core)
            .to_string()
            .replace("alice", "mallory")
            .as_bytes(),
    );
    let mut other_iss = claims(&core);
    other_iss["iss"] = "https://evil.example.com".into();
    let mut bad_cnf = claims(&core);
    bad_cnf["cnf"] = json!({ "jkt": "not-a-thumbprint" });
    let mut future = claims(&core);
    future["iat"] = (NOW.secs() + 16).into();
    let mut nbf = claims(&core);
    nbf["nbf"] = (NOW.secs() + 100).into();
    let cases: Vec<(&str, String, AccessError)> = vec![
        (
            "not a JWS",
            "abc".into(),
            AccessError::Unverified(VerifyError::Jws(crate::jose::JwsError::NotCompact)),
        ),
        (
            "signed by a key of another service",
            foreign,
            AccessError::Unverified(VerifyError::BadSignature),
        ),
        (
            "alg none",
            format!("{none_header}.{}.{sig}", input.split_once('.').unwrap().1),
            AccessError::Unverified(VerifyError::AlgMismatch),
        ),
        (
            "tampered payload",
            format!("{header}.{tampered_payload}.{sig}"),
            AccessError::Unverified(VerifyError::BadSignature),
        ),
        (
            "typ JWT",
            signed(&core, "JWT", claims(&core)),
            AccessError::WrongType,
        ),
        (
            "typ dpop+jwt",
            signed(&core, "dpop+jwt", claims(&core)),
            AccessError::WrongType,
        ),
        (
            "no sub",
            signed(
                &core,
                "at+jwt",
                json!({ "iss": core.issuer, "exp": NOW.secs() + 60 }),
            ),
            AccessError::Claims,
        ),
        (
            "cnf.jkt not a thumbprint",
            signed(&core, "at+jwt", bad_cnf),
            AccessError::Claims,
        ),
        (
            "an issuer neither dpopd's nor trusted",
            signed(&core, "at+jwt", other_iss),
            AccessError::UnknownIssuer,
        ),
        (
            "a kid dpopd has no key of",
            SigningKey::generate(Alg::ES256, Some("unknown".into()))
                .unwrap()
                .sign_compact("at+jwt", claims(&core).to_string().as_bytes())
                .unwrap(),
            AccessError::UnknownKid,
        ),
        (
            "iat beyond the skew",
            signed(&core, "at+jwt", future),
            AccessError::NotYetValid,
        ),
        (
            "nbf in the future",
            signed(&core, "at+jwt", nbf),
            AccessError::NotYetValid,
        ),
    ];
    for (why, token, expected) in cases {
        assert_eq!(
            block_on(verify(&core, &token, NOW)).unwrap_err(),
            expected,
            "{why}"
        );
    }
    let expiring = signed(&core, "at+jwt", claims(&core));
    assert!(block_on(verify_signed(&core, &expiring, NOW.plus(59))).is_ok());
    assert_eq!(
        block_on(verify_signed(&core, &expiring, NOW.plus(60))).unwrap_err(),
        AccessError::Expired,
        "exp itself is past"
    );
}

#[test]
fn typ_compares_as_a_media_type() {
    let core = core();
    for typ in ["at+jwt", "AT+JWT", "application/at+jwt"] {
        assert!(
            block_on(verify_signed(
                &core,
                &signed(&core, typ, claims(&core)),
                NOW
            ))
            .is_ok(),
            "{typ}"
        );
    }
}

#[test]
fn a_cached_token_skips_the_signature_but_not_the_clock() {
    let mut core = core();
    let cached = mint(&core, None, NOW);
    let uncached = mint(&core, None, NOW);
    block_on(verify_signed(&core, &cached, NOW)).unwrap();
    // With the signing key gone, only a cache hit can still verify a token.
    let other = SigningKey::generate(Alg::ES256, Some("other".into())).unwrap();
    core.keys = KeySet::new(other, Vec::new());
    assert!(
        block_on(verify_signed(&core, &cached, NOW.plus(1))).is_ok(),
        "served from the cache"
    );
    assert!(matches!(
        block_on(verify_signed(&core, &uncached, NOW)),
        Err(AccessError::UnknownKid)
    ));
    assert_eq!(
        block_on(verify_signed(&core, &cached, NOW.plus(3600))).unwrap_err(),
        AccessError::Expired,
        "the cache never outlives exp"
    );
    core.verified_access.forget(&cached);
    assert!(
        matches!(
            block_on(verify_signed(&core, &cached, NOW.plus(1))),
            Err(AccessError::UnknownKid)
        ),
        "forgotten"
    );
}

#[test]
fn a_revoked_jti_is_refused_even_when_cached() {
    let core = core();
    let token = mint(&core, None, NOW);
    let access = block_on(verify(&core, &token, NOW)).unwrap();
    block_on(core.store.insert_if_absent(
        Namespace::RevokedToken,
        access.claims.jti.as_bytes(),
        Duration::from_secs(60),
    ))
    .unwrap();
    assert_eq!(
        block_on(verify(&core, &token, NOW)).unwrap_err(),
        AccessError::Revoked
    );
}

#[test]
fn an_unreachable_deny_list_fails_closed() {
    struct Down;
    fn down<T: Send + 'static>() -> crate::store::StoreFuture<'static, T> {
        Box::pin(std::future::ready(Err(
            crate::store::StoreError::Unavailable("down".into()),
        )))
    }
    impl crate::store::SeenStore for Down {
        fn insert<'a>(
            &'a self,
            _: crate::store::Entry<'a>,
        ) -> crate::store::StoreFuture<'a, crate::store::Inserted> {
            down()
        }
        fn advance<'a>(
            &'a self,
            _: crate::store::Entry<'a>,
            _: i64,
        ) -> crate::store::StoreFuture<'a, crate::store::Advanced> {
            down()
        }
        fn lookup<'a>(
            &'a self,
            _: &'a [(Namespace, &'a [u8])],
        ) -> crate::store::StoreFuture<'a, Vec<Option<i64>>> {
            down()
        }
        fn ping(&self) -> crate::store::StoreFuture<'_, ()> {
            Box::pin(std::future::ready(Ok(())))
        }
    }
    let mut core = core();
    core.store = Arc::new(Down);
    let token = mint(&core, None, NOW);
    assert_eq!(
        block_on(verify(&core, &token, NOW)).unwrap_err(),
        AccessError::StoreUnavailable
    );
}

#[test]
fn cache_entries_live_at_most_until_exp_and_the_cap() {
    let core = core();
    let token = mint(&core, None, NOW);
    let access = block_on(verify_signed(&core, &token, NOW)).unwrap();
    let ttl = |now: UnixTime| {
        let cache = AccessCache::new(10);
        cache.put([0; 32], Arc::clone(&access), now);
        cache.cache.get(&[0; 32]).unwrap().ttl.as_secs()
    };
    assert_eq!(
        ttl(NOW),
        MAX_CACHED_SECS as u64,
        "an hour-long token is capped"
    );
    assert_eq!(ttl(NOW.plus(3590)), 10, "ten seconds before exp");
}

const TRUSTED: &str = "https://login.example.org";

/// A core trusting [`TRUSTED`] (inline key `t1`, audience `https://rs.example.com`, ES256,
/// scopes in `scope_claim`), and that issuer's key.
fn trusting(scope_claim: crate::config::ScopeClaim) -> (Core, SigningKey) {
    let key = SigningKey::generate(Alg::ES256, Some("t1".into())).unwrap();
    let mut settings = Settings::development();
    settings.issuers = vec![crate::config::IssuerSettings {
        issuer: TRUSTED.into(),
        jwks_uri: None,
        jwks: Some(json!({ "keys": [key.public_jwk()] }).to_string()),
        audience: vec!["https://rs.example.com".into()],
        algs: vec![Alg::ES256],
        require_typ: true,
        scope_claim,
    }];
    settings.check().unwrap();
    let core = Core::from_settings(&settings, Arc::new(MemoryStore::new(10_000))).unwrap();
    (core, key)
}

fn trusted_claims() -> serde_json::Value {
    json!({ "iss": TRUSTED, "sub": "bob", "aud": ["https://rs.example.com", "other"], "client_id": "their-client", "scope": "read write", "iat": NOW.secs(), "exp": NOW.secs() + 60, "jti": "t-1" })
}

#[test]
fn a_trusted_issuers_token_verifies_with_its_keys_and_rules() {
    let (core, key) = trusting(crate::config::ScopeClaim::Scope);
    let token = key
        .sign_compact("at+jwt", trusted_claims().to_string().as_bytes())
        .unwrap();
    let access = block_on(verify(&core, &token, NOW)).unwrap();
    assert!(!access.is_own());
    assert_eq!(access.claims.iss, TRUSTED);
    assert_eq!(access.scopes, ["read", "write"]);
    let cached = block_on(verify(&core, &token, NOW.plus(1))).unwrap();
    assert!(Arc::ptr_eq(&access, &cached), "served from the one cache");

    let sign = |claims: serde_json::Value| {
        key.sign_compact("at+jwt", claims.to_string().as_bytes())
            .unwrap()
    };
    let mut other_aud = trusted_claims();
    other_aud["aud"] = "https://elsewhere.example.com".into();
    let mut scope_array = trusted_claims();
    scope_array["scope"] = json!(["read"]);
    let mut bad_scope = trusted_claims();
    bad_scope["scope"] = "read \"quoted\"".into();
    let mut with_prp = trusted_claims();
    with_prp["prp"] = "not dpopd's".into();
    let cases = [
        (
            "aud of another resource server",
            sign(other_aud),
            AccessError::WrongAudience,
        ),
        ("scope an array", sign(scope_array), AccessError::ScopeClaim),
        (
            "scope not scope tokens",
            sign(bad_scope),
            AccessError::ScopeClaim,
        ),
        (
            "typ JWT, at+jwt required",
            key.sign_compact("JWT", trusted_claims().to_string().as_bytes())
                .unwrap(),
            AccessError::WrongType,
        ),
    ];
    for (why, token, expected) in cases {
        assert_eq!(
            block_on(verify(&core, &token, NOW)).unwrap_err(),
            expected,
            "{why}"
        );
    }
    let access = block_on(verify(&core, &sign(with_prp), NOW)).unwrap();
    assert!(
        access.properties.is_empty(),
        "prp is dpopd's sealed format only"
    );
}

#[test]
fn scp_is_read_as_an_array_of_scopes() {
    let (core, key) = trusting(crate::config::ScopeClaim::Scp);
    let mut claims = trusted_claims();
    claims["scp"] = json!(["read", "profile"]);
    let token = key
        .sign_compact("at+jwt", claims.to_string().as_bytes())
        .unwrap();
    assert_eq!(
        block_on(verify(&core, &token, NOW)).unwrap().scopes,
        ["read", "profile"]
    );
    claims["scp"] = "read profile".into();
    let token = key
        .sign_compact("at+jwt", claims.to_string().as_bytes())
        .unwrap();
    assert_eq!(
        block_on(verify(&core, &token, NOW)).unwrap_err(),
        AccessError::ScopeClaim
    );
}

#[test]
fn a_trusted_token_signed_by_another_key_or_alg_is_refused() {
    let (core, _) = trusting(crate::config::ScopeClaim::Scope);
    let payload = trusted_claims().to_string();
    let impostor = SigningKey::generate(Alg::ES256, Some("t1".into())).unwrap();
    let stranger = SigningKey::generate(Alg::ES256, Some("t9".into())).unwrap();
    let ed = SigningKey::generate(Alg::EdDSA, Some("t1".into())).unwrap();
    let cases = [
        (
            impostor,
            AccessError::Signature(JwksVerifyError::BadSignature),
        ),
        (stranger, AccessError::UnknownKid),
        (ed, AccessError::AlgNotAllowed),
    ];
    for (key, expected) in cases {
        let token = key.sign_compact("at+jwt", payload.as_bytes()).unwrap();
        assert_eq!(block_on(verify(&core, &token, NOW)).unwrap_err(), expected);
    }
}
