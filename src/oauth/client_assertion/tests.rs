//! `private_key_jwt` at a pinned clock: one refusal per rule of RFC 7523 §3 and FAPI 2.0
//! §5.3.2.1, each with a description, then replay, the store failing closed, and the methods
//! a `private_key_jwt` client must not mix with its assertion.
use super::*;
use crate::config::{ClientSettings, InlineJwks, Secret, Settings};
use crate::jose::{b64, Alg, SigningKey};
use crate::oauth::clients::GrantType;
use crate::store::memory::MemoryStore;
use crate::store::{Advanced, Entry, SeenStore, StoreError, StoreFuture};
use serde_json::{json, Value};
use std::sync::Arc;

const NOW: UnixTime = UnixTime(1_700_000_000);
const CLIENT: &str = "pkjwt-client";
const OTHER: &str = "other-pkjwt-client";
const ISSUER: &str = "https://as.example.com";
const TOKEN_URL: &str = "https://as.example.com/token";

struct Fixture {
    core: Core,
    key: SigningKey,
    other_key: SigningKey,
}

fn jwks(key: &SigningKey) -> InlineJwks {
    InlineJwks(json!({ "keys": [key.public_jwk()] }))
}

fn assertion_client(id: &str, key: &SigningKey) -> ClientSettings {
    ClientSettings {
        client_id: id.into(),
        client_secret: None,
        client_secret_sha256: None,
        auth_method: AuthMethod::PrivateKeyJwt,
        grant_types: vec![GrantType::ClientCredentials],
        scopes: vec!["read".into()],
        redirect_uris: vec![],
        dpop_bound_access_tokens: false,
        dpop_algs: vec![],
        dpop_nonce_required: false,
        require_par: false,
        audience: vec![],
        id_token_signed_response_alg: crate::jose::Alg::ES256,
        userinfo_signed_response_alg: None,
        jwks: Some(jwks(key)),
        jwks_uri: None,
        auth_signing_algs: crate::config::default_auth_signing_algs(),
        profile: crate::oauth::fapi2::Profile::None,
    }
}

fn settings(key: &SigningKey, other_key: &SigningKey) -> Settings {
    let mut settings = Settings::development();
    settings.service.issuer = ISSUER.into();
    settings.service.client_assertion_audiences = vec![TOKEN_URL.into()];
    settings.tokens.client_assertion_max_lifetime_secs = 300;
    settings.dpop.clock_skew_secs = 15;
    let secret_client = ClientSettings {
        client_id: "secret-client".into(),
        client_secret: Some(Secret::new("s3cret")),
        auth_method: AuthMethod::ClientSecretBasic,
        jwks: None,
        ..assertion_client("secret-client", key)
    };
    settings.clients = vec![
        assertion_client(CLIENT, key),
        assertion_client(OTHER, other_key),
        secret_client,
    ];
    settings
}

fn fixture_with(store: Arc<dyn SeenStore>) -> Fixture {
    let key = SigningKey::generate(Alg::ES256, Some("k1".into())).expect("key");
    let other_key = SigningKey::generate(Alg::ES256, Some("k2".into())).expect("key");
    let core = Core::from_settings(&settings(&key, &other_key), store).expect("core");
    Fixture {
        core,
        key,
        other_key,
    }
}

fn fixture() -> Fixture {
    fixture_with(Arc::new(MemoryStore::new(10_000)))
}

fn claims() -> Value {
    json!({
        "iss": CLIENT, "sub": CLIENT, "aud": ISSUER, "jti": "jti-1",
        "iat": NOW.secs(), "exp": NOW.secs() + 60,
    })
}

/// A compact JWS of `header` and `claims` signed by `key` (whatever `alg` the header names).
fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(claims.to_string().as_bytes())
    );
    let signature = key.sign_raw(input.as_bytes()).expect("signature");
    format!("{input}.{}", b64::encode(&signature))
}

fn header(key: &SigningKey) -> Value {
    json!({ "alg": key.alg().name(), "kid": key.kid(), "typ": "JWT" })
}

fn assertion(key: &SigningKey, claims: &Value) -> String {
    sign(key, &header(key), claims)
}

fn form(assertion: &str) -> String {
    format!("grant_type=client_credentials&client_assertion_type={JWT_BEARER}&client_assertion={assertion}")
}

fn run(
    core: &Core,
    form: &str,
    credentials: ClientCredentials<'_>,
) -> Result<String, ClientAuthError> {
    let params = Params::parse(form).expect("params");
    block_on(authenticate(core, credentials, &params, NOW)).map(|c| c.id.clone())
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn with(changes: Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().expect("object") {
        if value.is_null() {
            claims.as_object_mut().expect("object").remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

#[test]
fn a_valid_assertion_authenticates_its_client() {
    let f = fixture();
    let token = assertion(&f.key, &claims());
    assert_eq!(
        run(&f.core, &form(&token), Default::default()),
        Ok(CLIENT.into())
    );
    // The same client with its client_id in the form, and the token endpoint as `aud`, a
    // configured audience.
    let token = assertion(&f.key, &with(json!({ "aud": TOKEN_URL, "jti": "jti-2" })));
    let named = format!("{}&client_id={CLIENT}", form(&token));
    assert_eq!(run(&f.core, &named, Default::default()), Ok(CLIENT.into()));
    // A one-member array is the same audience (RFC 7519 §4.1.3).
    let token = assertion(&f.key, &with(json!({ "aud": [ISSUER], "jti": "jti-3" })));
    assert_eq!(
        run(&f.core, &form(&token), Default::default()),
        Ok(CLIENT.into())
    );
}

/// One row per rule: what the assertion does wrong, and the refusal it gets.
#[test]
fn each_rule_refuses_with_its_own_error() {
    let f = fixture();
    let k = &f.key;
    let hs256 = {
        // HS256 keyed with the client's public key (RFC 8725 §2.1's key confusion).
        let public = k.public_jwk().to_string();
        let input = format!(
            "{}.{}",
            b64::encode(
                json!({ "alg": "HS256", "kid": "k1" })
                    .to_string()
                    .as_bytes()
            ),
            b64::encode(claims().to_string().as_bytes())
        );
        let mac_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, public.as_bytes());
        let tag = ring::hmac::sign(&mac_key, input.as_bytes());
        format!("{input}.{}", b64::encode(tag.as_ref()))
    };
    let unsecured = format!(
        "{}.{}.",
        b64::encode(br#"{"alg":"none"}"#),
        b64::encode(claims().to_string().as_bytes())
    );
    // `none` with a signature part, so that the header is what refuses it.
    let none = format!("{unsecured}{}", b64::encode(b"sig"));
    let mut jwk_header = header(k);
    jwk_header["jwk"] = k.public_jwk();
    let mut jku_header = header(k);
    jku_header["jku"] = json!("https://attacker.example/jwks");
    let mut x5u_header = header(k);
    x5u_header["x5u"] = json!("https://attacker.example/cert.pem");
    let mut unknown_kid = header(k);
    unknown_kid["kid"] = json!("not-published");
    let mut other_with_own_kid = header(&f.other_key);
    other_with_own_kid["kid"] = json!("k1");
    let now = NOW.secs();
    let cases: Vec<(&str, String, AssertionError)> = vec![
        (
            "aud is another server",
            assertion(k, &with(json!({ "aud": "https://other.example.com" }))),
            AssertionError::Audience,
        ),
        (
            "aud has the issuer among others",
            assertion(
                k,
                &with(json!({ "aud": [ISSUER, "https://other.example.com"] })),
            ),
            AssertionError::Audience,
        ),
        (
            "aud is missing",
            assertion(k, &with(json!({ "aud": null }))),
            AssertionError::Audience,
        ),
        (
            "expired beyond the skew",
            assertion(k, &with(json!({ "exp": now - 16 }))),
            AssertionError::Expired,
        ),
        (
            "exp too far ahead",
            assertion(k, &with(json!({ "exp": now + 300 + 16 }))),
            AssertionError::LifetimeTooLong,
        ),
        (
            "exp missing",
            assertion(k, &with(json!({ "exp": null }))),
            AssertionError::ExpMissing,
        ),
        (
            "nbf in the future",
            assertion(k, &with(json!({ "nbf": now + 16 }))),
            AssertionError::NotYetValid,
        ),
        (
            "iat in the future",
            assertion(k, &with(json!({ "iat": now + 16 }))),
            AssertionError::IssuedInFuture,
        ),
        (
            "jti missing",
            assertion(k, &with(json!({ "jti": null }))),
            AssertionError::JtiMissing,
        ),
        (
            "iss differs from sub",
            assertion(k, &with(json!({ "iss": OTHER }))),
            AssertionError::IssuerSubject,
        ),
        (
            "iss missing",
            assertion(k, &with(json!({ "iss": null }))),
            AssertionError::IssuerSubject,
        ),
        (
            "alg none",
            none,
            AssertionError::AlgNotAllowed("none".into()),
        ),
        (
            "an unsecured JWT (alg none, no signature)",
            unsecured,
            AssertionError::Malformed(
                "not a compact JWS: expected three dot-separated parts".into(),
            ),
        ),
        (
            "HS256 keyed with the public key",
            hs256,
            AssertionError::AlgNotAllowed("HS256".into()),
        ),
        (
            "jwk in the header",
            sign(k, &jwk_header, &claims()),
            AssertionError::HeaderKey("jwk"),
        ),
        (
            "jku in the header",
            sign(k, &jku_header, &claims()),
            AssertionError::HeaderKey("jku"),
        ),
        (
            "x5u in the header",
            sign(k, &x5u_header, &claims()),
            AssertionError::HeaderKey("x5u"),
        ),
        (
            "a kid the client never published",
            sign(k, &unknown_kid, &claims()),
            AssertionError::UnknownKey,
        ),
        (
            "another client's key, under its own kid",
            assertion(&f.other_key, &claims()),
            AssertionError::UnknownKey,
        ),
        (
            "another client's key, under this client's kid",
            sign(&f.other_key, &other_with_own_kid, &claims()),
            AssertionError::BadSignature,
        ),
        (
            "exp is not a number",
            assertion(k, &with(json!({ "exp": "soon" }))),
            AssertionError::Malformed("exp is not a NumericDate".into()),
        ),
    ];
    for (description, token, expected) in cases {
        assert_eq!(
            run(&f.core, &form(&token), Default::default()),
            Err(ClientAuthError::Assertion(expected)),
            "{description}"
        );
    }
}

#[test]
fn the_clock_skew_applies_to_exp_nbf_and_iat() {
    let f = fixture();
    let now = NOW.secs();
    for (i, changes) in [
        json!({ "exp": now - 14 }),
        json!({ "exp": now + 300 + 15 }),
        json!({ "nbf": now + 15 }),
        json!({ "iat": now + 15 }),
    ]
    .into_iter()
    .enumerate()
    {
        let mut claims = with(changes.clone());
        claims["jti"] = json!(format!("skew-{i}"));
        let token = assertion(&f.key, &claims);
        assert_eq!(
            run(&f.core, &form(&token), Default::default()),
            Ok(CLIENT.into()),
            "{changes}"
        );
    }
}

#[test]
fn a_replayed_jti_is_refused_and_another_client_may_use_the_same_jti() {
    let f = fixture();
    let token = assertion(&f.key, &claims());
    assert_eq!(
        run(&f.core, &form(&token), Default::default()),
        Ok(CLIENT.into())
    );
    assert_eq!(
        run(&f.core, &form(&token), Default::default()),
        Err(ClientAuthError::Assertion(AssertionError::Replayed))
    );
    let other = assertion(&f.other_key, &with(json!({ "iss": OTHER, "sub": OTHER })));
    assert_eq!(
        run(&f.core, &form(&other), Default::default()),
        Ok(OTHER.into())
    );
}

#[test]
fn the_client_is_named_by_client_id_or_sub_and_must_use_private_key_jwt() {
    let f = fixture();
    let token = assertion(&f.key, &claims());
    let cases: Vec<(&str, String, ClientAuthError)> = vec![
        (
            "client_id of another private_key_jwt client: its keys do not verify",
            format!("{}&client_id={OTHER}", form(&token)),
            ClientAuthError::Assertion(AssertionError::UnknownKey),
        ),
        (
            "client_id of a secret client",
            format!("{}&client_id=secret-client", form(&token)),
            ClientAuthError::WrongMethod {
                used: "private_key_jwt",
                registered: "client_secret_basic",
            },
        ),
        (
            "sub of an unknown client",
            form(&assertion(
                &f.key,
                &with(json!({ "iss": "nobody", "sub": "nobody" })),
            )),
            ClientAuthError::UnknownClient,
        ),
        (
            "no client_id and no sub",
            form(&assertion(&f.key, &with(json!({ "sub": null })))),
            ClientAuthError::MissingClientId,
        ),
        (
            "an assertion that is not a JWT",
            form("not-a-jwt"),
            ClientAuthError::Assertion(AssertionError::Malformed(
                "not a compact JWS (three base64url parts)".into(),
            )),
        ),
        (
            "another assertion type",
            form(&token).replace("jwt-bearer", "saml2-bearer"),
            ClientAuthError::Assertion(AssertionError::TypeUnsupported),
        ),
        (
            "an assertion without its type",
            format!("grant_type=client_credentials&client_assertion={token}"),
            ClientAuthError::Assertion(AssertionError::TypeUnsupported),
        ),
        (
            "a type without an assertion",
            format!("grant_type=client_credentials&client_assertion_type={JWT_BEARER}"),
            ClientAuthError::Assertion(AssertionError::Missing),
        ),
    ];
    for (description, form, expected) in cases {
        let got = run(&f.core, &form, Default::default());
        match (&got, &expected) {
            // The parser's wording is its own; the variant is what matters here.
            (
                Err(ClientAuthError::Assertion(AssertionError::Malformed(_))),
                ClientAuthError::Assertion(AssertionError::Malformed(_)),
            ) => {}
            _ => assert_eq!(got, Err(expected), "{description}"),
        }
    }
}

/// RFC 6749 §2.3: one method per request; a private_key_jwt client using a secret, or no
/// authentication at all, used the wrong method.
#[test]
fn an_assertion_beside_a_secret_or_basic_header_is_refused_and_a_secret_alone_is_the_wrong_method()
{
    let f = fixture();
    let token = assertion(&f.key, &claims());
    let basic = ClientCredentials {
        basic_id: Some(CLIENT),
        basic_secret: Some("guess"),
        header: None,
    };
    let header = ClientCredentials {
        header: Some("Basic cGtqd3QtY2xpZW50Omd1ZXNz"),
        ..Default::default()
    };
    let cases: Vec<(&str, String, ClientCredentials<'_>, ClientAuthError)> = vec![
        (
            "assertion and client_secret",
            format!("{}&client_secret=guess", form(&token)),
            Default::default(),
            ClientAuthError::MultipleMethods,
        ),
        (
            "assertion and decoded Basic",
            form(&token),
            basic,
            ClientAuthError::MultipleMethods,
        ),
        (
            "assertion and a Basic header",
            form(&token),
            header,
            ClientAuthError::MultipleMethods,
        ),
        (
            "a secret alone",
            format!("grant_type=client_credentials&client_id={CLIENT}&client_secret=guess"),
            Default::default(),
            ClientAuthError::WrongMethod {
                used: "client_secret_post",
                registered: "private_key_jwt",
            },
        ),
        (
            "Basic alone",
            "grant_type=client_credentials".into(),
            basic,
            ClientAuthError::WrongMethod {
                used: "client_secret_basic",
                registered: "private_key_jwt",
            },
        ),
        (
            "nothing but client_id",
            format!("grant_type=client_credentials&client_id={CLIENT}"),
            Default::default(),
            ClientAuthError::WrongMethod {
                used: "none",
                registered: "private_key_jwt",
            },
        ),
    ];
    for (description, form, credentials, expected) in cases {
        assert_eq!(
            run(&f.core, &form, credentials),
            Err(expected),
            "{description}"
        );
    }
    // None of these spent the assertion.
    assert_eq!(
        run(&f.core, &form(&token), Default::default()),
        Ok(CLIENT.into())
    );
}

/// A store that refuses every write, as a full or unreachable one does.
struct RefusingStore;

impl SeenStore for RefusingStore {
    fn insert<'a>(&'a self, entry: Entry<'a>) -> StoreFuture<'a, Inserted> {
        Box::pin(async move { Err(StoreError::Full(entry.ns)) })
    }
    fn advance<'a>(&'a self, entry: Entry<'a>, _: i64) -> StoreFuture<'a, Advanced> {
        Box::pin(async move { Err(StoreError::Full(entry.ns)) })
    }
    fn lookup<'a>(
        &'a self,
        keys: &'a [(Namespace, &'a [u8])],
    ) -> StoreFuture<'a, Vec<Option<i64>>> {
        Box::pin(async move { Ok(vec![None; keys.len()]) })
    }
    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

#[test]
fn a_store_that_cannot_record_the_jti_fails_closed() {
    let f = fixture_with(Arc::new(RefusingStore));
    let token = assertion(&f.key, &claims());
    assert_eq!(
        run(&f.core, &form(&token), Default::default()),
        Err(ClientAuthError::Assertion(AssertionError::StoreUnavailable))
    );
}

/// Records every insert's key and TTL, and accepts it.
#[derive(Default)]
struct RecordingStore(std::sync::Mutex<Vec<(Namespace, Vec<u8>, std::time::Duration)>>);

impl SeenStore for RecordingStore {
    fn insert<'a>(&'a self, entry: Entry<'a>) -> StoreFuture<'a, Inserted> {
        self.0
            .lock()
            .expect("lock")
            .push((entry.ns, entry.key.to_vec(), entry.ttl));
        Box::pin(async { Ok(Inserted::New) })
    }
    fn advance<'a>(&'a self, _: Entry<'a>, _: i64) -> StoreFuture<'a, Advanced> {
        Box::pin(async { Ok(Advanced::Done) })
    }
    fn lookup<'a>(
        &'a self,
        keys: &'a [(Namespace, &'a [u8])],
    ) -> StoreFuture<'a, Vec<Option<i64>>> {
        Box::pin(async move { Ok(vec![None; keys.len()]) })
    }
    fn ping(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

/// RFC 7523 §3 (7): the jti is kept exactly as long as the assertion could still pass the
/// `exp` check — `exp` plus the skew, and a second for whole seconds — keyed by the client.
#[test]
fn the_jti_is_recorded_per_client_until_exp_plus_the_skew() {
    let store = Arc::new(RecordingStore::default());
    let f = fixture_with(store.clone());
    let token = assertion(&f.key, &with(json!({ "exp": NOW.secs() + 100 })));
    assert_eq!(
        run(&f.core, &form(&token), Default::default()),
        Ok(CLIENT.into())
    );
    let recorded = store.0.lock().expect("lock").clone();
    assert_eq!(
        recorded,
        vec![(
            Namespace::ClientAssertionJti,
            jti_key(CLIENT, "jti-1"),
            std::time::Duration::from_secs(100 + 15 + 1)
        )]
    );
    assert_ne!(jti_key(CLIENT, "jti-1"), jti_key(OTHER, "jti-1"));
}

/// docs/configuration.md, "Reload": the registry is rebuilt from the new settings, so a
/// client's keys are the reloaded ones — a removed key no longer verifies.
#[test]
fn a_reload_gives_the_client_its_new_keys() {
    let f = fixture();
    let new_key = SigningKey::generate(Alg::ES256, Some("k9".into())).expect("key");
    let reloaded = Core::from_settings_after(
        &settings(&new_key, &f.other_key),
        Arc::clone(&f.core.store),
        Some(&f.core),
    )
    .expect("reloaded core");
    assert_eq!(
        run(
            &reloaded,
            &form(&assertion(&f.key, &claims())),
            Default::default()
        ),
        Err(ClientAuthError::Assertion(AssertionError::UnknownKey))
    );
    let token = assertion(&new_key, &with(json!({ "jti": "after-reload" })));
    assert_eq!(
        run(&reloaded, &form(&token), Default::default()),
        Ok(CLIENT.into())
    );
}
