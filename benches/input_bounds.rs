//! What the largest input each parser accepts costs, for every loop that runs over caller or
//! client input: form parameters, scope values (a `scope` parameter and `scopes` lists), the
//! subset check against a client's or a token's scopes, the whole authorization request, its
//! `prompt`, an introspection's required scopes and resources, `jwtAtClaims` and `properties`.
//! Each case is the worst accepted input within a 64 KiB body (`server.max_body_bytes`), at
//! the bounds of docs/configuration.md ("Input limits"), and the summary at the end prints
//! each one's cost beside the 1 ms it must stay under. The last cases are the request that was
//! once quadratic, 16,300 distinct 3-character scopes, now refused after 256 values.
//!
//! `cargo bench --bench input_bounds -- --warm-up-time 1 --measurement-time 2`
use criterion::{criterion_group, criterion_main, Criterion};
use dpopd::api::fields::{bounded, JwtAtClaims};
use dpopd::api::token::TokenRequest;
use dpopd::clock::UnixTime;
use dpopd::config::{ClientSettings, Settings};
use dpopd::oauth::authorization::{self, Endpoint};
use dpopd::oauth::clients::{AuthMethod, GrantType};
use dpopd::oauth::introspection::{self, IntrospectionCall, MAX_RESOURCES};
use dpopd::oauth::params::Params;
use dpopd::oauth::scope::{self, MAX_SCOPES};
use dpopd::oauth::tokens::MAX_EXTRA_CLAIMS;
use dpopd::oauth::tokens::{self, AccessGrant};
use dpopd::oauth::{Core, Property, MAX_PROPERTIES};
use dpopd::store::memory::MemoryStore;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BODY: usize = 64 * 1024;
const NOW: UnixTime = UnixTime(1_700_000_000);
const CLIENT: &str = "many-scopes";
const REDIRECT_URI: &str = "https://app.example.com/cb";
const SCOPES: usize = MAX_SCOPES;
const RESOURCES: usize = MAX_RESOURCES;
/// The review's request: 16,300 distinct 3-character scopes, about 64 KiB.
const ATTACK_SCOPES: usize = 16_300;

/// `n` (at most 62³) distinct scope tokens, each `len` (at least 3) characters long: three
/// base-62 digits, padded.
fn scopes(n: usize, len: usize) -> Vec<String> {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..n)
        .map(|i| {
            let id: String = [i / (62 * 62), i / 62 % 62, i % 62]
                .iter()
                .map(|&d| DIGITS[d] as char)
                .collect();
            format!("{id}{}", "s".repeat(len - 3))
        })
        .collect()
}

fn core() -> Core {
    let mut settings = Settings::development();
    settings.clients.push(ClientSettings {
        client_id: CLIENT.into(),
        client_secret: None,
        client_secret_sha256: None,
        auth_method: AuthMethod::None,
        grant_types: vec![GrantType::AuthorizationCode],
        scopes: scopes(SCOPES, 3),
        redirect_uris: vec![REDIRECT_URI.into()],
        dpop_bound_access_tokens: false,
        dpop_algs: vec![],
        dpop_nonce_required: false,
        require_par: false,
        audience: vec![],
        id_token_signed_response_alg: dpopd::jose::Alg::ES256,
        userinfo_signed_response_alg: None,
        jwks: None,
        jwks_uri: None,
        auth_signing_algs: dpopd::config::default_auth_signing_algs(),
        profile: dpopd::oauth::fapi2::Profile::None,
    });
    Core::from_settings(&settings, Arc::new(MemoryStore::new(1000))).expect("core")
}

/// An authorization request of the code flow with `scope` and `extra` parameters.
fn authorization_request(scope: &str, extra: &str) -> String {
    format!(
        "response_type=code&client_id={CLIENT}&redirect_uri={}&code_challenge={}&code_challenge_method=S256&scope={}{extra}",
        REDIRECT_URI.replace(':', "%3A").replace('/', "%2F"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        scope.replace(' ', "+"),
    )
}

struct Case {
    name: &'static str,
    run: Box<dyn Fn()>,
}

fn cases(core: &Arc<Core>) -> Vec<Case> {
    let mut out = Vec::new();
    let mut case = |name: &'static str, run: Box<dyn Fn()>| out.push(Case { name, run });

    // Form parameters: 64 of them filling the body.
    let params: String = (0..64)
        .map(|i| format!("p{i:02}={}", "v".repeat(BODY / 64 - 6)))
        .collect::<Vec<_>>()
        .join("&");
    case(
        "params: 64 parameters, 64 KiB",
        Box::new(move || assert!(Params::parse(black_box(&params)).is_ok())),
    );

    // A scope parameter: the most values, then the longest values.
    let short = scopes(SCOPES, 3).join(" ");
    case(
        "scope::parse: 256 distinct 3-character values",
        Box::new(move || assert!(scope::parse(black_box(&short)).is_ok())),
    );
    let long = scopes(SCOPES, BODY / SCOPES - 1).join(" ");
    case(
        "scope::parse: 256 distinct values, 64 KiB",
        Box::new(move || assert!(scope::parse(black_box(&long)).is_ok())),
    );
    let list = scopes(SCOPES, BODY / SCOPES - 8);
    case(
        "scope::parse_list: 256 entries, 64 KiB",
        Box::new(move || assert!(scope::parse_list(black_box(&list)).is_ok())),
    );
    let (requested, allowed) = (scopes(SCOPES, 3), scopes(SCOPES, 3));
    case(
        "scope::all_within: 256 requested of 256 allowed",
        Box::new(move || assert!(scope::all_within(black_box(&requested), &allowed))),
    );

    // The whole authorization request, as /auth/authorization and PAR validate it.
    let client = || core.clients.get(CLIENT).expect("client");
    let full = Params::parse(&authorization_request(&scopes(SCOPES, 3).join(" "), "")).unwrap();
    case(
        "authorization: request with 256 scopes",
        Box::new({
            let core = Arc::clone(core);
            move || {
                let client = core.clients.get(CLIENT).expect("client");
                assert!(authorization::validate(client, &full, Endpoint::Authorization).is_ok())
            }
        }),
    );
    let prompt = "login+".repeat((BODY - 400) / 6);
    let prompts = Params::parse(&authorization_request("", &format!("&prompt={prompt}"))).unwrap();
    assert!(authorization::validate(client(), &prompts, Endpoint::Authorization).is_ok());
    case(
        "authorization: prompt of 64 KiB",
        Box::new({
            let core = Arc::clone(core);
            move || {
                let client = core.clients.get(CLIENT).expect("client");
                assert!(authorization::validate(client, &prompts, Endpoint::Pushed).is_ok())
            }
        }),
    );

    // Introspection: a token with 256 scopes and 64 audiences, every one required.
    let token_scopes = scopes(SCOPES, 3);
    let audience: Vec<String> = (0..RESOURCES)
        .map(|i| format!("https://rs{i}.example.com"))
        .collect();
    let token = tokens::mint(
        &core.keys,
        &core.sealer,
        &core.issuer,
        AccessGrant {
            subject: "alice",
            client_id: CLIENT,
            scopes: &token_scopes,
            audience: &audience,
            jkt: None,
            lifetime_secs: 3600,
            properties: &[],
            extra: &Default::default(),
            grant_id: None,
        },
        NOW,
    )
    .expect("token")
    .token;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    case(
        "introspection: 256 required scopes, 64 resources",
        Box::new({
            let core = Arc::clone(core);
            move || {
                let call = IntrospectionCall {
                    token: Some(&token),
                    scopes: &token_scopes,
                    resources: &audience,
                    ..Default::default()
                };
                let outcome = rt.block_on(introspection::introspect(&core, &call, NOW));
                assert!(outcome.result.is_ok());
            }
        }),
    );

    // jwtAtClaims: the most members, filling the body.
    let member = BODY / MAX_EXTRA_CLAIMS - 12;
    let claims = format!(
        "{{{}}}",
        (0..MAX_EXTRA_CLAIMS)
            .map(|i| format!("\"c{i:03}\":\"{}\"", "x".repeat(member)))
            .collect::<Vec<_>>()
            .join(",")
    );
    case(
        "jwtAtClaims: 256 members, 64 KiB",
        Box::new(move || assert!(JwtAtClaims::parse(Some(black_box(&claims))).is_ok())),
    );

    // properties: the most entries, filling the body: the call parsed, the list bounded and
    // serialized as sealing does first (sealing then refuses it for its size).
    let value = BODY / MAX_PROPERTIES - 40;
    let properties: Vec<Property> = (0..MAX_PROPERTIES)
        .map(|i| Property {
            key: format!("k{i:03}"),
            value: "v".repeat(value),
            hidden: i % 2 == 0,
        })
        .collect();
    let request = serde_json::json!({ "parameters": "grant_type=client_credentials", "properties": properties })
        .to_string();
    case(
        "properties: 256 entries, 64 KiB",
        Box::new(move || {
            let req: TokenRequest = serde_json::from_str(black_box(&request)).expect("request");
            let list = bounded("properties", req.properties, MAX_PROPERTIES).expect("bounded");
            assert!(serde_json::to_vec(&list).is_ok());
        }),
    );

    // The review's request, once quadratic: now refused after the first 256 values.
    let attack = scopes(ATTACK_SCOPES, 3).join(" ");
    assert!(attack.len() <= BODY);
    case(
        "scope::parse: 16,300 distinct values (refused)",
        Box::new({
            let attack = attack.clone();
            move || {
                assert!(scope::parse(black_box(&attack)).is_err());
            }
        }),
    );
    let attack = Params::parse(&authorization_request(&attack, "")).unwrap();
    case(
        "authorization: 16,300 distinct scopes (refused)",
        Box::new({
            let core = Arc::clone(core);
            move || {
                let client = core.clients.get(CLIENT).expect("client");
                assert!(authorization::validate(client, &attack, Endpoint::Pushed).is_err());
            }
        }),
    );
    out
}

/// Best of `rounds` runs of `op`: the cost without the machine's noise.
fn best_of(rounds: usize, op: &dyn Fn()) -> Duration {
    (0..rounds)
        .map(|_| {
            let started = Instant::now();
            op();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let core = Arc::new(core());
    let cases = cases(&core);
    let mut group = c.benchmark_group("input_bounds");
    group.sample_size(10);
    for case in &cases {
        group.bench_function(case.name, |b| b.iter(|| (case.run)()));
    }
    group.finish();
    println!(
        "\ninput_bounds: the largest accepted input of each parser, and the review's request (best of 20 runs)"
    );
    for case in &cases {
        let cost = best_of(20, &*case.run);
        let verdict = if cost < Duration::from_millis(1) {
            "under 1 ms"
        } else {
            "OVER 1 ms"
        };
        println!(
            "  {:<52} {:>10.1} µs  {verdict}",
            case.name,
            cost.as_secs_f64() * 1e6
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
