//! Property tests of the parsers that see attacker-controlled input, at a pinned clock:
//! - a valid DPoP proof with any one byte changed is refused by `Validator::check`;
//! - an RFC 7638 thumbprint depends on neither member order nor optional or unknown members;
//! - `htu` normalisation is idempotent and equates two paths exactly when a reference
//!   implementation of RFC 3986 §6.2.2 (unreserved decoding, then §5.2.4 remove_dot_segments)
//!   does;
//! - a sealed value opens with no other key, and not with any one byte changed.
use dpopd::clock::UnixTime;
use dpopd::dpop::client::{self, ProofClaims};
use dpopd::dpop::htu::Htu;
use dpopd::dpop::nonce::NonceService;
use dpopd::dpop::proof::{AlgSet, Expectation, ProofPolicy, Validator};
use dpopd::jose::seal::{SealError, Sealer};
use dpopd::jose::{b64, Alg, Jkt, JwkMembers, PublicJwk, SigningKey};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::Value;
use std::sync::OnceLock;

const NOW: UnixTime = UnixTime(1_700_000_000);
const MAX_AGE: i64 = 60;
const SKEW: i64 = 15;
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

/// Proof keys made once: key generation is not what is under test.
fn proof_keys() -> &'static [SigningKey] {
    static KEYS: OnceLock<Vec<SigningKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        [Alg::ES256, Alg::EdDSA, Alg::ES256, Alg::EdDSA]
            .into_iter()
            .map(|alg| SigningKey::generate(alg, None).expect("key"))
            .collect()
    })
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let policy = ProofPolicy {
            algs: AlgSet::of(Alg::ALL),
            max_proof_bytes: 8192,
            rsa_min_bits: 2048,
            rsa_max_bits: 4096,
            max_age_secs: MAX_AGE,
            clock_skew_secs: SKEW,
        };
        Validator::new(
            policy,
            NonceService::new(b"properties-nonce-secret-0123456789", 60, 120),
        )
    })
}

fn expectation<'a>(htm: &'a str, htu: &'a Htu) -> Expectation<'a> {
    Expectation {
        header_count: 1,
        htm,
        htu,
        access_token: None,
        bound_jkt: None,
        nonce_required: false,
        algs: AlgSet::of(Alg::ALL),
        now: NOW,
    }
}

/// One changed byte: another base64url (or separator) character, or any other byte.
#[derive(Debug, Clone)]
enum Change {
    Alphabet(Index),
    Byte(u8),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        any::<Index>().prop_map(Change::Alphabet),
        any::<u8>().prop_map(Change::Byte)
    ]
}

fn htm() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]).prop_map(str::to_owned),
        "[A-Z]{1,10}",
    ]
}

fn http_uri() -> impl Strategy<Value = String> {
    (
        "https?",
        "[a-z0-9-]{1,12}\\.example\\.(com|org)",
        "(:[0-9]{1,4})?",
        "(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,8}){0,4}",
    )
        .prop_map(|(scheme, host, port, path)| {
            format!("{scheme}://{host}{port}{}", path.replace('%', "%25"))
        })
}

proptest! {
    #![proptest_config(config())]

    /// RFC 9449 §4.3 checks 1 and 4: the signature covers every byte of header and payload,
    /// and strict base64url leaves no second spelling of a part, so no single-byte change of
    /// a valid proof is ever accepted.
    #[test]
    fn a_proof_with_one_byte_changed_is_refused(
        key in select((0..4).collect::<Vec<usize>>()),
        jti in "\\PC{1,64}",
        htm in htm(),
        htu in http_uri(),
        age in -SKEW..=MAX_AGE + SKEW,
        at in any::<Index>(),
        change in change(),
    ) {
        let key = &proof_keys()[key];
        let expected_htu = Htu::parse(&htu).expect("generated URIs are valid");
        let expect = expectation(&htm, &expected_htu);
        let claims = ProofClaims { jti: Some(&jti), ..ProofClaims::default() };
        let proof = client::mint(key, &htm, &htu, UnixTime(NOW.0 - age), &claims).expect("proof");
        let checked = validator().check(&proof, &expect);
        prop_assert!(checked.is_ok(), "the unchanged proof must pass: {:?}", checked.err());

        let mut bytes = proof.clone().into_bytes();
        let i = at.index(bytes.len());
        let replacement = match change {
            Change::Alphabet(c) => {
                let alphabet = [B64URL, b"."].concat();
                alphabet[c.index(alphabet.len())]
            }
            Change::Byte(b) => b,
        };
        prop_assume!(replacement != bytes[i]);
        bytes[i] = replacement;
        // A proof that is not UTF-8 never reaches the validator: header values are text.
        if let Ok(changed) = String::from_utf8(bytes) {
            let result = validator().check(&changed, &expect);
            prop_assert!(result.is_err(), "byte {} of {:?} changed to {:?} was accepted", i, proof, changed);
        }
    }
}

/// The public keys of the thumbprint property and their RFC 7638 thumbprints.
fn thumbprint_keys() -> &'static [(Value, Jkt)] {
    static KEYS: OnceLock<Vec<(Value, Jkt)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: Vec<PublicJwk> = [Alg::ES256, Alg::ES384, Alg::EdDSA]
            .into_iter()
            .map(|alg| SigningKey::generate(alg, None).expect("key").public().clone())
            .collect();
        let rsa = SigningKey::from_pem(include_str!("keys/rsa2048.pem"), Some(Alg::PS256), None).expect("rsa key");
        keys.push(rsa.public().clone());
        let mut out: Vec<(Value, Jkt)> = keys.into_iter().map(|k| (Value::Object(k.to_json()), k.thumbprint())).collect();
        // RFC 7638 §3.1 and RFC 8037 Appendix A.3, with their published thumbprints.
        out.push((
            serde_json::json!({"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}),
            Jkt::parse("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs").expect("jkt"),
        ));
        out.push((
            serde_json::json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
            Jkt::parse("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k").expect("jkt"),
        ));
        out
    })
}

/// Member names `JwkMembers` knows: an extra member must not be one of them.
const KNOWN_MEMBERS: [&str; 14] = [
    "kty", "crv", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi", "oth", "k",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Optional members (`kid`, `alg`, `use`, `key_ops`) and unknown ones, as (name, value) pairs.
fn optional_members() -> impl Strategy<Value = Vec<(String, Value)>> {
    (
        proptest::option::of("\\PC{0,16}"),
        proptest::option::of(select(vec![
            "ES256", "ES384", "EdDSA", "RS256", "PS256", "none",
        ])),
        proptest::option::of(select(vec!["sig", "enc"])),
        proptest::option::of(prop::collection::vec(
            select(vec!["sign", "verify", "encrypt"]),
            0..3,
        )),
        prop::collection::btree_map("[a-z_]{1,6}", json_value(), 0..4),
    )
        .prop_map(|(kid, alg, use_, key_ops, extra)| {
            let mut members = Vec::new();
            if let Some(kid) = kid {
                members.push(("kid".to_owned(), Value::String(kid)));
            }
            if let Some(alg) = alg {
                members.push(("alg".to_owned(), Value::from(alg)));
            }
            if let Some(use_) = use_ {
                members.push(("use".to_owned(), Value::from(use_)));
            }
            if let Some(ops) = key_ops {
                members.push(("key_ops".to_owned(), Value::from(ops)));
            }
            let taken = |name: &str| {
                KNOWN_MEMBERS.contains(&name) || ["kid", "alg", "use", "key_ops"].contains(&name)
            };
            members.extend(extra.into_iter().filter(|(name, _)| !taken(name)));
            members
        })
}

/// A JSON object written member by member in the given order.
fn object_text(members: &[(String, Value)]) -> String {
    let body: Vec<String> = members
        .iter()
        .map(|(name, value)| format!("{}:{value}", Value::from(name.as_str())))
        .collect();
    format!("{{{}}}", body.join(","))
}

proptest! {
    #![proptest_config(config())]

    /// RFC 7638 §3.2/§3.3: only the required members count, in lexicographic order, so the
    /// order a client wrote them in and any other member leave the thumbprint as it is.
    #[test]
    fn thumbprint_ignores_member_order_and_optional_members(
        (key, members) in (0..6usize, optional_members()).prop_flat_map(|(key, optional)| {
            let (jwk, _) = &thumbprint_keys()[key];
            let mut members: Vec<(String, Value)> = jwk.as_object().expect("object").clone().into_iter().collect();
            members.extend(optional);
            (Just(key), Just(members).prop_shuffle())
        }),
    ) {
        let (_, want) = &thumbprint_keys()[key];
        let text = object_text(&members);
        let parsed: JwkMembers = serde_json::from_str(&text).expect("a JWK object");
        let jwk = PublicJwk::from_members(&parsed);
        prop_assert_eq!(jwk.map(|k| k.thumbprint()), Ok(want.clone()), "{}", text);
    }
}

/// RFC 3986 §6.2.2 on a path, written from the RFC text independently of `dpop::htu`:
/// percent-encodings of unreserved characters decoded and the others upper-cased (§6.2.2.1,
/// §6.2.2.2), then §5.2.4 remove_dot_segments, then an empty path is "/" (§6.2.3).
fn reference_path(path: &str) -> String {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    let bytes = path.as_bytes();
    let mut decoded = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = &path[i + 1..i + 3];
            let byte = u8::from_str_radix(hex, 16).expect("generated encodings are valid");
            if unreserved(byte) {
                decoded.push(char::from(byte));
            } else {
                decoded.push('%');
                decoded.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            decoded.push(char::from(bytes[i]));
            i += 1;
        }
    }
    let normal = remove_dot_segments(&decoded);
    if normal.is_empty() {
        "/".to_owned()
    } else {
        normal
    }
}

/// RFC 3986 §5.2.4, step by step with its input and output buffers.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path.to_owned();
    let mut output = String::new();
    let drop_last_segment = |output: &mut String| {
        let cut = output.rfind('/').unwrap_or(0);
        output.truncate(cut);
    };
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            input = rest.to_owned(); // A
        } else if input.starts_with("/./") {
            input = input[2..].to_owned(); // B
        } else if input == "/." {
            input = "/".to_owned(); // B
        } else if input.starts_with("/../") {
            input = input[3..].to_owned(); // C
            drop_last_segment(&mut output);
        } else if input == "/.." {
            input = "/".to_owned(); // C
            drop_last_segment(&mut output);
        } else if input == "." || input == ".." {
            input.clear(); // D
        } else {
            // E: the first segment, with its leading "/" if any, up to the next "/".
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            output.push_str(&input[..end]);
            input = input[end..].to_owned();
        }
    }
    output
}

fn segment() -> impl Strategy<Value = String> {
    let piece = select(vec![
        "a", "b", "A", "~", "-", ".", "..", "%2E", "%2e", "%2E%2E", ".%2E", "%41", "%61", "%7E",
        "%7e", "%2F", "%2f", "%25", "%3A", "%3a", ":", "@", "!", "%C3%A9", "%c3%a9", "",
    ]);
    prop::collection::vec(piece, 1..3).prop_map(|p| p.concat())
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 0..6)
        .prop_map(|segments| segments.iter().map(|s| format!("/{s}")).collect())
}

proptest! {
    #![proptest_config(config())]

    /// RFC 9449 §4.3 check 7 compares normal forms: normalising twice changes nothing, and
    /// two request paths match exactly when RFC 3986 says they are equivalent, so a
    /// normalisation step can never make two different resources look the same.
    #[test]
    fn htu_normalisation_is_idempotent_and_follows_rfc3986(a in path(), b in path()) {
        let uri = |path: &str| format!("https://Server.Example.com:443{path}?q=1#f");
        let (ha, hb) = (Htu::parse(&uri(&a)).expect("valid"), Htu::parse(&uri(&b)).expect("valid"));
        prop_assert_eq!(ha.as_str(), format!("https://server.example.com{}", reference_path(&a)), "{}", a);
        prop_assert_eq!(Htu::parse(ha.as_str()), Ok(ha.clone()), "not idempotent: {}", a);
        prop_assert_eq!(ha == hb, reference_path(&a) == reference_path(&b), "{} vs {}", a, b);
    }
}

fn sealer(kid: &str, key: [u8; 32]) -> Sealer {
    Sealer::new(&[(kid.to_owned(), key)]).expect("sealer")
}

proptest! {
    #![proptest_config(config())]

    /// AES-256-GCM authenticates every byte: a sealed value opens only with the key that
    /// sealed it, and not with any one byte of version, key tag, nonce, ciphertext or tag
    /// changed.
    #[test]
    fn a_sealed_value_opens_with_its_key_only_and_unchanged_only(
        key in any::<[u8; 32]>(),
        other in any::<[u8; 32]>(),
        same_kid in any::<bool>(),
        purpose in "[a-z_]{1,12}",
        plaintext in prop::collection::vec(any::<u8>(), 0..512),
        at in any::<Index>(),
        flip in 1..=255u8,
    ) {
        prop_assume!(key != other);
        let sealing = sealer("k1", key);
        let sealed = sealing.seal(&purpose, &plaintext).expect("seal");
        prop_assert_eq!(sealing.open(&purpose, &sealed), Ok(plaintext.clone()));

        let stranger = sealer(if same_kid { "k1" } else { "k2" }, other);
        let want = if same_kid { SealError::Forged } else { SealError::UnknownKey };
        prop_assert_eq!(stranger.open(&purpose, &sealed), Err(want));

        let mut raw = b64::decode(&sealed).expect("base64url");
        let i = at.index(raw.len());
        raw[i] ^= flip;
        prop_assert!(sealing.open(&purpose, &b64::encode(&raw)).is_err(), "byte {} changed and still opened", i);
    }
}

/// Found by the `htu` fuzz target: an input of exactly the length limit with an empty path
/// normalised to one character more, which `Htu::parse` then refused.
#[test]
fn htu_at_the_length_limit_is_idempotent_or_refused() {
    for input in [
        "https://".to_owned() + &"a".repeat(4096 - 8),
        "https://".to_owned() + &"a".repeat(4095 - 8),
    ] {
        if let Ok(htu) = Htu::parse(&input) {
            assert_eq!(
                Htu::parse(htu.as_str()),
                Ok(htu.clone()),
                "{} characters",
                input.len()
            );
        }
    }
    assert!(
        Htu::parse(&("https://".to_owned() + &"a".repeat(4095 - 8))).is_ok(),
        "one under the limit is fine"
    );
}
