//! What the resource-server tests share: access tokens minted with the app's own keys (for
//! lifetimes and scopes the token endpoint would not issue), resource proofs, and an RFC 9110
//! §11.6.1 parser that every `WWW-Authenticate` value dpopd returns must pass.
use crate::helpers::*;
use dpopd::clock::UnixTime;
use dpopd::dpop::client::ProofClaims;
use dpopd::jose::jwk::Jkt;
use dpopd::oauth::tokens::{self, AccessGrant};
use serde_json::{json, Value};

pub const RS_URL: &str = "https://rs.example.com/resource";
/// The default `dpop.algs`, in the order of `Alg::ALL`.
pub const ALGS: &str = "ES256 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA";

/// A token of `app` as the token endpoint would mint it, with every knob exposed.
pub struct Mint<'a> {
    pub scopes: &'a [&'a str],
    pub jkt: Option<String>,
    pub subject: &'a str,
    pub client_id: &'a str,
    pub iat: UnixTime,
    pub lifetime: i64,
}

impl Default for Mint<'_> {
    fn default() -> Self {
        Mint {
            scopes: &["read"],
            jkt: None,
            subject: "alice",
            client_id: CONFIDENTIAL.0,
            iat: UnixTime::now(),
            lifetime: 3600,
        }
    }
}

pub fn mint(app: &TestApp, spec: Mint<'_>) -> String {
    let core = &app.state.live().core;
    let scopes: Vec<String> = spec.scopes.iter().map(|s| s.to_string()).collect();
    let jkt = spec.jkt.map(|j| Jkt::parse(&j).expect("jkt"));
    let grant = AccessGrant {
        subject: spec.subject,
        client_id: spec.client_id,
        scopes: &scopes,
        audience: &core.default_audience,
        jkt: jkt.as_ref(),
        lifetime_secs: spec.lifetime,
        properties: &[],
        extra: &Default::default(),
        grant_id: None,
    };
    tokens::mint(&core.keys, &core.sealer, &core.issuer, grant, spec.iat)
        .expect("token")
        .token
}

/// A proof for `GET RS_URL` bound to `token` with `ath`.
pub fn resource_proof(key: &TestKey, token: &str) -> String {
    key.proof_with(
        "GET",
        RS_URL,
        UnixTime::now(),
        &ProofClaims {
            access_token: Some(token),
            ..Default::default()
        },
    )
}

/// An introspection body for `token` presented with `scheme` and `dpop`, requiring `read`.
pub fn introspection(token: &str, scheme: &str, dpop: Option<&str>) -> Value {
    json!({ "token": token, "tokenScheme": scheme, "dpop": dpop, "htm": "GET", "htu": RS_URL, "scopes": ["read"] })
}

pub async fn introspect(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.post("/auth/introspection", body).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// An RFC 9110 §11.6.1 challenge: the scheme and its auth-params in order.
pub type Challenge = (String, Vec<(String, String)>);

/// Parses a `WWW-Authenticate` value, refusing anything RFC 9110 §11.6.1 does not allow and,
/// in quoted values, anything outside the printable ASCII RFC 6750 §3 allows.
pub fn parse_challenges(text: &str) -> Result<Vec<Challenge>, String> {
    let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let token = |i: &mut usize| -> Result<String, String> {
        let start = *i;
        while *i < chars.len() && is_tchar(chars[*i]) {
            *i += 1;
        }
        if *i == start {
            Err(format!("token expected at {start} in {text}"))
        } else {
            Ok(chars[start..*i].iter().collect())
        }
    };
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i] == ' ' {
            *i += 1
        }
    };
    let mut out: Vec<Challenge> = Vec::new();
    // After `scheme 1*SP` the first auth-param follows without a comma.
    let mut after_scheme = false;
    loop {
        let name = token(&mut i)?;
        skip_ws(&mut i);
        let is_param = i < chars.len() && chars[i] == '=';
        if after_scheme && !is_param {
            return Err(format!("two schemes without a comma in {text}"));
        }
        after_scheme = false;
        if is_param {
            let current = out.last_mut().ok_or("auth-param before any scheme")?;
            i += 1;
            skip_ws(&mut i);
            let value = if chars.get(i) == Some(&'"') {
                i += 1;
                let mut value = String::new();
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated quoted-string".into()),
                        Some('"') => break,
                        Some('\\') => {
                            value.push(*chars.get(i + 1).ok_or("dangling backslash")?);
                            i += 2;
                        }
                        Some(&c) if c == '\t' || (' '..='~').contains(&c) => {
                            value.push(c);
                            i += 1;
                        }
                        Some(c) => return Err(format!("{c:?} is not qdtext")),
                    }
                }
                i += 1;
                value
            } else {
                token(&mut i)?
            };
            current.1.push((name, value));
        } else {
            out.push((name, Vec::new()));
            if chars.get(i).is_some_and(|c| is_tchar(*c)) {
                after_scheme = true;
                continue;
            }
        }
        skip_ws(&mut i);
        match chars.get(i) {
            None => return Ok(out),
            Some(',') => {
                i += 1;
                skip_ws(&mut i);
            }
            Some(c) => return Err(format!("unexpected {c:?} at {i} in {text}")),
        }
    }
}

/// Asserts the answer's `action`, that `responseContent` is one valid challenge of `scheme`
/// naming `error`, and, for `DPoP`, that it lists the service's algs. Returns the params.
pub fn assert_challenge(
    answer: &Value,
    action: &str,
    scheme: &str,
    error: &str,
) -> Vec<(String, String)> {
    assert_eq!(answer["action"], action, "{answer}");
    let text = answer["responseContent"].as_str().expect("responseContent");
    let challenges = parse_challenges(text).unwrap_or_else(|e| panic!("not RFC 9110: {e}"));
    assert_eq!(challenges.len(), 1, "{text}");
    let (name, params) = challenges.into_iter().next().expect("one challenge");
    assert_eq!(name, scheme, "{text}");
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("error"), Some(error), "{text}");
    assert!(
        get("error_description").is_some_and(|d| !d.is_empty()),
        "{text}"
    );
    assert_eq!(
        get("algs"),
        (scheme == "DPoP").then_some(ALGS),
        "algs only and always on DPoP: {text}"
    );
    params
}

#[test]
fn the_challenge_parser_follows_rfc9110_and_rfc6750() {
    let parsed =
        parse_challenges(r#"Bearer, DPoP algs="ES256 PS256", Basic realm="a\"b", x=y"#).unwrap();
    assert_eq!(parsed.len(), 3);
    assert_eq!(
        parsed[2].1,
        vec![("realm".into(), "a\"b".into()), ("x".into(), "y".into())]
    );
    for bad in [
        r#"DPoP Bearer"#,
        r#"DPoP error="a"b""#,
        "DPoP error=\"a\nb\"",
        r#"DPoP error="open"#,
        "=x",
        r#"DPoP error="é""#,
    ] {
        assert!(parse_challenges(bad).is_err(), "{bad}");
    }
}
