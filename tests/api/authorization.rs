//! `/auth/authorization` (RFC 6749 §4.1.1), PAR (RFC 9126) and the ticket APIs `/issue` and
//! `/fail` (RFC 6749 §4.1.2, RFC 9207 `iss`): what is validated, what is redirected and what
//! is only shown, and that tickets and `request_uri`s are sealed and used once.
use crate::code_flow::*;
use crate::helpers::*;
use dpopd::clock::UnixTime;
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::seal::{MAX_PLAINTEXT_OCTETS, MAX_SEALED_CHARS};
use dpopd::jose::Alg;
use dpopd::oauth::authorization::MAX_STATE_CHARS;
use serde_json::{json, Value};

/// A `state` of `n` printable characters that JSON escapes to two characters each (`"` and
/// `\`) in the sealed ticket or `request_uri`.
fn escaped_state(n: usize) -> String {
    ['"', '\\'].into_iter().cycle().take(n).collect()
}

/// The public client's request with [`escaped_state`] of `n` characters.
fn escaped_state_request(n: usize) -> String {
    let state = escaped_state(n);
    form(&[
        ("response_type", "code"),
        ("client_id", PUBLIC),
        ("state", &state),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ])
}

/// An app whose public client is registered with 30 scopes of 100 characters, which every
/// ticket and `request_uri` of a request without `scope` carries: with a long
/// [`escaped_state`], how a client can make its request too large to seal.
async fn spawn_app_with_wide_scopes() -> TestApp {
    let mut settings = test_settings();
    let public = settings
        .clients
        .iter_mut()
        .find(|c| c.client_id == PUBLIC)
        .expect("the public client");
    public.scopes = (0..30)
        .map(|i| format!("scope-{i:02}-{}", "s".repeat(91)))
        .collect();
    spawn_app_with(settings).await
}

fn assert_too_large(answer: &Value, why: &str) {
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A004313")),
        "{why}: {answer}"
    );
    assert_eq!(
        content(answer)["error"],
        "invalid_request",
        "{why}: a JSON error, not a redirect"
    );
    assert!(
        answer.get("ticket").is_none() && answer.get("requestUri").is_none(),
        "{why}: nothing issued"
    );
}

#[tokio::test]
async fn a_redirect_uri_mismatch_is_shown_never_redirected() {
    let app = spawn_app().await;
    let cases = [
        (
            "unregistered redirect_uri",
            public_request(&[("redirect_uri", "https://evil.example.com/cb")]),
            "A004303",
        ),
        (
            "several registered, none sent",
            form(&[("response_type", "code"), ("client_id", WEB.0)]),
            "A004303",
        ),
        (
            "unknown client",
            form(&[("response_type", "code"), ("client_id", "nobody")]),
            "A004302",
        ),
        (
            "repeated parameter",
            format!("{}&state=again", public_request(&[])),
            "A004301",
        ),
    ];
    for (why, parameters, code) in cases {
        let answer = authorize(&app, &parameters).await;
        assert_eq!(answer["action"], "BAD_REQUEST", "{why}");
        assert_eq!(answer["resultCode"], code, "{why}");
        assert_eq!(
            content(&answer)["error"],
            "invalid_request",
            "{why}: a JSON error, not a URL"
        );
        assert!(answer.get("ticket").is_none(), "{why}");
    }
}

#[tokio::test]
async fn problems_with_a_trusted_redirect_uri_are_redirected_with_state_and_iss() {
    let app = spawn_app().await;
    let web = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", WEB.0),
            ("redirect_uri", WEB_REDIRECT_URIS[1]),
            ("state", "st-1"),
        ];
        pairs.extend_from_slice(extra);
        form(&pairs)
    };
    let cases = [
        (
            "scope beyond the client's",
            public_request(&[("scope", "admin")]),
            REDIRECT_URI,
            "invalid_scope",
            "A004306",
        ),
        (
            "plain PKCE",
            public_request(&[("code_challenge_method", "plain")])
                .replace("&code_challenge_method=S256", ""),
            REDIRECT_URI,
            "invalid_request",
            "A004307",
        ),
        (
            "public client without PKCE",
            form(&[
                ("response_type", "code"),
                ("client_id", PUBLIC),
                ("state", "st-1"),
            ]),
            REDIRECT_URI,
            "invalid_request",
            "A004307",
        ),
        (
            "malformed dpop_jkt",
            public_request(&[("dpop_jkt", "not-a-thumbprint")]),
            REDIRECT_URI,
            "invalid_request",
            "A004308",
        ),
        (
            "implicit flow",
            public_request(&[]).replace("response_type=code", "response_type=token"),
            REDIRECT_URI,
            "unsupported_response_type",
            "A004305",
        ),
        (
            "a client that must use PAR",
            web(&[]),
            WEB_REDIRECT_URIS[1],
            "invalid_request",
            "A004309",
        ),
    ];
    for (why, parameters, redirect_uri, error, code) in cases {
        let answer = authorize(&app, &parameters).await;
        assert_eq!(answer["action"], "LOCATION", "{why}: {answer}");
        assert_eq!(answer["resultCode"], code, "{why}");
        let location = answer["responseContent"].as_str().unwrap();
        assert!(
            location.starts_with(&format!("{redirect_uri}?")),
            "{why}: {location}"
        );
        let params = redirect_params(location);
        assert_eq!(params["error"], error, "{why}");
        assert_eq!(params["state"], "st-1", "{why}");
        assert_eq!(params["iss"], ISSUER, "{why}");
        assert!(params.contains_key("error_description"), "{why}");
    }
}

/// RFC 6749 Appendix A.5: `state = 1*VSCHAR`. A state with a control character is refused on
/// the redirect URI without being echoed there, and PAR refuses it too.
#[tokio::test]
async fn a_state_with_a_control_character_is_refused_and_not_echoed() {
    let app = spawn_app().await;
    let parameters = form(&[
        ("response_type", "code"),
        ("client_id", PUBLIC),
        ("state", "st\r\n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let answer = authorize(&app, &parameters).await;
    assert_eq!(
        (answer["action"].as_str(), answer["resultCode"].as_str()),
        (Some("LOCATION"), Some("A004311")),
        "{answer}"
    );
    assert!(
        answer.get("ticket").is_none() && answer.get("state").is_none(),
        "{answer}"
    );
    let location = answer["responseContent"].as_str().unwrap();
    assert!(
        location.starts_with(&format!("{REDIRECT_URI}?")),
        "{location}"
    );
    let params = redirect_params(location);
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(
        params["error_description"],
        "The state parameter has characters other than printable ASCII."
    );
    assert_eq!(params["iss"], ISSUER);
    assert!(
        !params.contains_key("state"),
        "the refused state is not echoed: {location}"
    );

    let (_, pushed) = app
        .post("/pushed_auth_req", &json!({ "parameters": parameters }))
        .await;
    assert_eq!(
        (pushed["action"].as_str(), pushed["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A004311")),
        "{pushed}"
    );
    assert_eq!(content(&pushed)["error"], "invalid_request");
    assert!(pushed.get("requestUri").is_none(), "{pushed}");
}

#[tokio::test]
async fn tampered_ticket_code_and_request_uri_are_rejected() {
    let app = spawn_app().await;
    let flip = |text: &str| {
        let mut chars: Vec<char> = text.chars().collect();
        let i = chars.len() / 2;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let interaction = authorize(&app, &public_request(&[])).await;
    let ticket = interaction["ticket"].as_str().unwrap();
    let forged = issue(&app, &flip(ticket)).await;
    assert_eq!(
        (forged["action"].as_str(), forged["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A040201"))
    );

    let code = code_for(&app, &public_request(&[])).await;
    let forged = redeem(&app, &flip(&code), VERIFIER, None).await;
    assert_eq!(
        (
            content(&forged)["error"].as_str(),
            forged["resultCode"].as_str()
        ),
        (Some("invalid_grant"), Some("A050301"))
    );
    let ticket_as_code = redeem(&app, ticket, VERIFIER, None).await;
    assert_eq!(
        ticket_as_code["resultCode"], "A050301",
        "a ticket never opens as a code"
    );

    let (_, pushed) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": public_request(&[]) }),
        )
        .await;
    let request_uri = content(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let forged = authorize(
        &app,
        &form(&[("client_id", PUBLIC), ("request_uri", &flip(&request_uri))]),
    )
    .await;
    assert_eq!(
        (forged["action"].as_str(), forged["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A004304"))
    );
    assert_eq!(content(&forged)["error"], "invalid_request_uri");
    let other_client = authorize(
        &app,
        &form(&[("client_id", WEB.0), ("request_uri", &request_uri)]),
    )
    .await;
    assert_eq!(
        other_client["resultCode"], "A004304",
        "another client's request_uri"
    );
}

#[tokio::test]
async fn a_request_uri_and_a_ticket_are_used_once() {
    let app = spawn_app().await;
    let (_, pushed) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": public_request(&[]) }),
        )
        .await;
    let request_uri = content(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let parameters = form(&[("client_id", PUBLIC), ("request_uri", &request_uri)]);
    let first = authorize(&app, &parameters).await;
    assert_eq!(first["action"], "INTERACTION");
    let again = authorize(&app, &parameters).await;
    assert_eq!(
        (again["action"].as_str(), again["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A004304"))
    );

    let ticket = first["ticket"].as_str().unwrap();
    assert_eq!(issue(&app, ticket).await["action"], "LOCATION");
    let twice = issue(&app, ticket).await;
    assert_eq!(
        (twice["action"].as_str(), twice["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A040203"))
    );
}

#[tokio::test]
async fn fail_reasons_map_to_oauth_errors_on_the_redirect_uri() {
    let app = spawn_app().await;
    let cases = [
        ("DENIED", "access_denied"),
        ("NOT_LOGGED_IN", "login_required"),
        ("CONSENT_REQUIRED", "consent_required"),
        ("ACCOUNT_SELECTION_REQUIRED", "account_selection_required"),
        ("INTERACTION_REQUIRED", "interaction_required"),
        ("SERVER_ERROR", "server_error"),
    ];
    for (reason, error) in cases {
        let ticket = authorize(&app, &public_request(&[])).await["ticket"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, answer) = app
            .post(
                "/auth/authorization/fail",
                &json!({ "ticket": ticket, "reason": reason }),
            )
            .await;
        assert_eq!(answer["action"], "LOCATION", "{reason}");
        assert_eq!(answer["resultCode"], "A040002", "{reason}");
        let params = redirect_params(answer["responseContent"].as_str().unwrap());
        assert_eq!(params["error"], error, "{reason}");
        assert_eq!(params["state"], "st-1", "{reason}");
        assert_eq!(params["iss"], ISSUER, "{reason}");
        assert_eq!(
            issue(&app, &ticket).await["resultCode"],
            "A040203",
            "{reason}: a failed ticket yields no code"
        );
    }
    let ticket = authorize(&app, &public_request(&[])).await["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, custom) = app
        .post(
            "/auth/authorization/fail",
            &json!({ "ticket": ticket, "reason": "DENIED", "description": "Not today." }),
        )
        .await;
    assert_eq!(
        redirect_params(custom["responseContent"].as_str().unwrap())["error_description"],
        "Not today."
    );
    let (status, _) = app
        .post(
            "/auth/authorization/fail",
            &json!({ "ticket": ticket, "reason": "BORED" }),
        )
        .await;
    assert_eq!(status, 400, "an unknown reason is a malformed call");
}

#[tokio::test]
async fn par_checks_dpop_jkt_against_the_proof_and_answers_nonce_challenges() {
    let mut settings = test_settings();
    settings.dpop.nonce_required = true;
    let app = spawn_app_with(settings).await;
    let key = TestKey::new(Alg::ES256);
    let nonce = app.state.live().core.dpop.nonces().current(UnixTime::now());
    let proof = |n: Option<&str>| {
        key.proof_with(
            "POST",
            PAR_HTU,
            UnixTime::now(),
            &ProofClaims {
                nonce: n,
                ..Default::default()
            },
        )
    };
    let other_jkt = TestKey::new(Alg::ES256).jkt();
    let (_, mismatch) = app.post("/pushed_auth_req", &json!({ "parameters": public_request(&[("dpop_jkt", &other_jkt)]), "dpop": proof(Some(&nonce)) })).await;
    assert_eq!(
        (mismatch["action"].as_str(), mismatch["resultCode"].as_str()),
        (Some("BAD_REQUEST"), Some("A046304"))
    );
    assert_eq!(content(&mismatch)["error"], "invalid_request");

    let (_, challenge) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": public_request(&[]), "dpop": proof(None) }),
        )
        .await;
    assert_eq!(content(&challenge)["error"], "use_dpop_nonce");
    let fresh = challenge["dpopNonce"]
        .as_str()
        .expect("a nonce with the challenge");
    let (_, created) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": public_request(&[]), "dpop": proof(Some(fresh)) }),
        )
        .await;
    assert_eq!(created["action"], "CREATED", "{created}");
    assert!(
        created["dpopNonce"].is_string(),
        "the nonce is returned on success too"
    );
    let (status, body) = app.post("/pushed_auth_req", &json!({ "parameters": public_request(&[]), "dpop": proof(Some(fresh)), "htu": "not a url" })).await;
    assert_eq!(
        (status, body["resultCode"].as_str()),
        (400, Some("A001205")),
        "an unusable htu is the caller's mistake"
    );
    let (_, bad) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": public_request(&[("scope", "admin")]) }),
        )
        .await;
    assert_eq!(
        (bad["action"].as_str(), content(&bad)["error"].as_str()),
        (Some("BAD_REQUEST"), Some("invalid_scope")),
        "PAR never redirects"
    );
}

#[tokio::test]
async fn discovery_names_the_authorization_and_par_endpoints() {
    let app = spawn_app().await;
    let doc: Value = serde_json::from_str(&app.get("/service/configuration").await.1).unwrap();
    assert!(doc["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("authorization_code")));
    assert!(doc["authorization_endpoint"].is_string());
    assert_eq!(doc["pushed_authorization_request_endpoint"], PAR_HTU);
    assert_eq!(doc["require_pushed_authorization_requests"], false);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
}

#[tokio::test]
async fn the_ticket_apis_need_the_as_role() {
    let app = spawn_app().await;
    for path in [
        "/auth/authorization",
        "/api/auth/authorization/issue",
        "/auth/authorization/fail",
        "/pushed_auth_req",
    ] {
        let (status, body) = app
            .post_as(
                path,
                &json!({ "parameters": "", "ticket": "t", "subject": "s", "reason": "DENIED" }),
                Some(RS_ONLY_CALLER),
            )
            .await;
        assert_eq!(
            (status, body["resultCode"].as_str()),
            (403, Some("A001202")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_authorization_request_too_large_for_a_ticket_is_refused_and_the_largest_ticket_is_redeemable(
) {
    let app = spawn_app_with_wide_scopes().await;
    assert_too_large(
        &authorize(&app, &escaped_state_request(MAX_STATE_CHARS)).await,
        "the longest state allowed",
    );
    // The longest state that still gets a ticket, by bisection: every answer is one or the other.
    let (mut fits, mut too_large) = (0, MAX_STATE_CHARS);
    while too_large - fits > 1 {
        let n = (fits + too_large) / 2;
        let answer = authorize(&app, &escaped_state_request(n)).await;
        if answer["action"] == "INTERACTION" {
            fits = n;
        } else {
            assert_too_large(&answer, &format!("state of {n}"));
            too_large = n;
        }
    }
    let largest = authorize(&app, &escaped_state_request(fits)).await;
    let ticket = largest["ticket"].as_str().expect("a ticket");
    assert!(
        ticket.len() <= MAX_SEALED_CHARS && ticket.len() > MAX_SEALED_CHARS - 10,
        "{} characters",
        ticket.len()
    );
    let issued = issue(&app, ticket).await;
    assert_eq!(
        issued["action"], "LOCATION",
        "the largest ticket dpopd issues is redeemed: {issued}"
    );
    assert_eq!(
        redirect_params(issued["responseContent"].as_str().unwrap())["state"],
        escaped_state(fits)
    );
}

#[tokio::test]
async fn a_pushed_request_too_large_for_a_request_uri_is_refused() {
    let app = spawn_app_with_wide_scopes().await;
    let (status, refused) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": escaped_state_request(MAX_STATE_CHARS) }),
        )
        .await;
    assert_eq!(status, 200);
    assert_too_large(&refused, "pushed");
    // A request that fits goes from request_uri to ticket to code.
    let (_, pushed) = app
        .post(
            "/pushed_auth_req",
            &json!({ "parameters": escaped_state_request(MAX_STATE_CHARS / 4) }),
        )
        .await;
    assert_eq!(pushed["action"], "CREATED", "{pushed}");
    let request_uri = pushed["requestUri"].as_str().unwrap();
    let interaction = authorize(
        &app,
        &form(&[("client_id", PUBLIC), ("request_uri", request_uri)]),
    )
    .await;
    assert_eq!(interaction["action"], "INTERACTION", "{interaction}");
    assert_eq!(
        issue(&app, interaction["ticket"].as_str().unwrap()).await["action"],
        "LOCATION"
    );
}

#[tokio::test]
async fn a_code_too_large_to_seal_is_refused_and_the_ticket_is_not_spent() {
    let app = spawn_app().await;
    let ticket = authorize(&app, &public_request(&[])).await["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        (
            "properties",
            json!({ "properties": [{ "key": "k", "value": "v".repeat(MAX_PLAINTEXT_OCTETS) }] }),
        ),
        (
            "jwtAtClaims",
            json!({ "jwtAtClaims": json!({ "big": "v".repeat(MAX_PLAINTEXT_OCTETS) }).to_string() }),
        ),
    ];
    for (why, extra) in cases {
        let mut request = json!({ "ticket": ticket, "subject": "alice" });
        request
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (_, refused) = app.post("/auth/authorization/issue", &request).await;
        assert_eq!(
            (refused["action"].as_str(), refused["resultCode"].as_str()),
            (Some("BAD_REQUEST"), Some("A040205")),
            "{why}: {refused}"
        );
        assert!(refused.get("authorizationCode").is_none(), "{why}");
    }
    assert_eq!(
        issue(&app, &ticket).await["action"],
        "LOCATION",
        "the refused calls spent nothing"
    );
}
