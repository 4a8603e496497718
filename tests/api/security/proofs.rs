//! Forged DPoP proofs (RFC 9449 §4.3 checks 1–8), each refused with `invalid_dpop_proof` and
//! the failed check named for the operator. One table, run at the token endpoint and at
//! introspection with a DPoP-bound token: the validator is the same for every endpoint.
use super::*;
use crate::helpers::*;
use crate::resource::{introspect, introspection, RS_URL};
use dpopd::clock::UnixTime;
use dpopd::dpop::client;
use dpopd::jose::{b64, Alg};
use serde_json::{json, Value};

/// (attack, proof, fragment of `resultMessage` naming the failed check)
pub type ProofRow = (&'static str, String, &'static str);

/// The P-256 group order n (FIPS 186-4 D.1.2.3), big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// An ECDSA raw `r‖s` signature as the DER `Ecdsa-Sig-Value` (RFC 3279 §2.2.3) X.509 uses.
pub fn der_of(raw: &[u8]) -> Vec<u8> {
    let integer = |bytes: &[u8]| {
        let mut v: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        if v.first().is_none_or(|b| b & 0x80 != 0) {
            v.insert(0, 0);
        }
        [vec![0x02, v.len() as u8], v].concat()
    };
    let (r, s) = raw.split_at(raw.len() / 2);
    let body = [integer(r), integer(s)].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

/// `depth` nested JSON arrays.
pub fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn jwk_text(key: &TestKey) -> String {
    Value::Object(key.0.public().to_json()).to_string()
}

/// An RSA public JWK whose modulus has `bits` bits (never a real key: the size check comes
/// before the signature).
fn rsa_jwk_of_bits(bits: usize) -> Value {
    let bytes = bits.div_ceil(8);
    let mut n = vec![0xC5u8; bytes];
    n[0] = if bits.is_multiple_of(8) {
        0xC5
    } else {
        (1u8 << (bits % 8)) - 1
    };
    n[bytes - 1] |= 1;
    json!({ "kty": "RSA", "n": b64::encode(&n), "e": "AQAB" })
}

/// A member of `jwk` decoded, changed by `f`, and encoded again.
fn edit_member(jwk: &Value, name: &str, f: impl FnOnce(&mut Vec<u8>)) -> Value {
    let mut bytes = b64::decode(jwk[name].as_str().expect("member")).expect("base64url");
    f(&mut bytes);
    with(jwk.clone(), name, b64::encode(&bytes).into())
}

/// A well-formed proof whose signature contains `-` or `_`, so that the standard base64
/// alphabet spells it differently.
fn proof_with_urlsafe_signature(t: &Target<'_>) -> String {
    (0..200)
        .map(|_| t.proof())
        .find(|p| {
            p.rsplit_once('.')
                .is_some_and(|(_, s)| s.contains(['-', '_']))
        })
        .expect("a signature with - or _ within 200 tries")
}

/// Every forged proof, aimed at `t` (its method, URL and token), refused at checks 1–8.
pub fn proof_rows(t: &Target<'_>) -> Vec<ProofRow> {
    let now = UnixTime::now();
    let h = t.header();
    // Fresh claims (a new `jti`) for every row, so that no row can pass as another's replay.
    let c = || t.claims();
    let jwk = h["jwk"].clone();
    let rsa = TestKey::rsa(Alg::RS256);
    let rsa_jwk = Value::Object(rsa.0.public().to_json());
    let es384 = TestKey::new(Alg::ES384);
    let other = TestKey::new(Alg::ES256);
    // Proofs whose header alg and key are chosen freely; the signature is `t`'s, which is
    // never reached.
    let alg_jwk =
        |alg: &str, key: Value| t.sign(&with(with(h.clone(), "alg", alg.into()), "jwk", key), &c());
    let hdr = |header: Value| t.sign(&header, &c());
    let body = |claims: Value| t.sign(&h, &claims);
    let rsa_signed = |key: Value| {
        let header = with(with(h.clone(), "alg", "RS256".into()), "jwk", key);
        client::sign_parts(&rsa.0, &header, &c()).expect("signed")
    };
    let good = t.proof();
    let (input, sig) = good.rsplit_once('.').unwrap();
    let (hb, pb) = input.split_once('.').unwrap();
    let raw_sig = signature_of(&good);
    let jwk_json = jwk_text(t.key);
    let header_text =
        |extra: &str| format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{jwk_json}{extra}}}"#);
    let claims_text = || c().to_string();
    let claims_with = |extra: &str| {
        let text = claims_text();
        format!("{}{extra}}}", &text[..text.len() - 1])
    };
    let htu_variant =
        |from: &str, to: &str| body(with(c(), "htu", t.htu.replacen(from, to, 1).into()));
    let (scheme_host, path) = t.htu.split_at(t.htu[8..].find('/').expect("a path") + 8);
    let mut flipped = raw_sig.clone();
    flipped[7] ^= 0x10;
    let mut order_sig = P256_ORDER.to_vec();
    order_sig.extend_from_slice(&P256_ORDER);
    let urlsafe = proof_with_urlsafe_signature(t);
    let standard_alphabet = {
        let (input, sig) = urlsafe.rsplit_once('.').unwrap();
        format!("{input}.{}", sig.replace('-', "+").replace('_', "/"))
    };
    // RFC 8032 §5.1.7 with A the identity point: R = identity and S = 0 satisfy
    // [S]B = R + [k]A for every message, so anyone can "sign" for this key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let small_order = {
        let header = json!({ "typ": "dpop+jwt", "alg": "EdDSA", "jwk": { "kty": "OKP", "crv": "Ed25519", "x": b64::encode(&identity) } });
        let input = format!(
            "{}.{}",
            b64::encode(header.to_string().as_bytes()),
            b64::encode(c().to_string().as_bytes())
        );
        format!(
            "{input}.{}",
            b64::encode(&[identity.as_slice(), &[0u8; 32]].concat())
        )
    };

    vec![
        // (1) one compact JWS of JSON objects, within the size limit
        (
            "larger than 8 KiB",
            body(with(c(), "pad", "x".repeat(8300).into())),
            "proof is larger than 8192 bytes",
        ),
        ("two parts", input.to_owned(), "not a compact JWS"),
        ("four parts", format!("{good}.{sig}"), "not a compact JWS"),
        (
            "empty header part",
            format!(".{pb}.{sig}"),
            "not a compact JWS",
        ),
        (
            "empty payload part (detached payload)",
            format!("{hb}..{sig}"),
            "not a compact JWS",
        ),
        (
            "empty signature (unsecured JWS)",
            format!("{input}."),
            "not a compact JWS",
        ),
        ("only dots", "..".into(), "not a compact JWS"),
        ("empty string", String::new(), "not a compact JWS"),
        (
            "padding after the header",
            format!("{hb}=.{pb}.{sig}"),
            "JWS header is not valid base64url",
        ),
        (
            "padded signature",
            format!("{good}=="),
            "JWS signature is not valid base64url",
        ),
        (
            "signature in the standard base64 alphabet (+ and /)",
            standard_alphabet,
            "JWS signature is not valid base64url",
        ),
        (
            "newline inside the payload",
            format!("{hb}.{}\n{}.{sig}", &pb[..10], &pb[10..]),
            "JWS payload is not valid base64url",
        ),
        (
            "space after the header",
            format!("{hb} .{pb}.{sig}"),
            "JWS header is not valid base64url",
        ),
        (
            "trailing whitespace",
            format!("{good} "),
            "JWS signature is not valid base64url",
        ),
        (
            "two proofs folded into one header value",
            format!("{good}, {}", t.proof()),
            "not a compact JWS",
        ),
        (
            "header is a JSON array",
            t.sign_text(&format!("[{jwk_json}]"), &claims_text()),
            "not a JSON object",
        ),
        (
            "payload is a JSON string",
            t.sign_text(&header_text(""), "\"claims\""),
            "JWS payload is not a valid JSON object",
        ),
        (
            "payload is not JSON",
            t.sign_text(&header_text(""), "jti=1&htm=POST"),
            "JWS payload is not a valid JSON object",
        ),
        (
            "header with a UTF-8 byte order mark",
            t.sign_text(&format!("\u{feff}{}", header_text("")), &claims_text()),
            "not a JSON object",
        ),
        (
            "alg twice in the header",
            t.sign_text(
                &format!(r#"{{"typ":"dpop+jwt","alg":"ES256","alg":"ES256","jwk":{jwk_json}}}"#),
                &claims_text(),
            ),
            "duplicate field `alg`",
        ),
        (
            "alg twice, once as an escaped name",
            t.sign_text(
                &format!(
                    r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{jwk_json},"\u0061lg":"none"}}"#
                ),
                &claims_text(),
            ),
            "duplicate field `alg`",
        ),
        (
            "jwk twice in the header",
            t.sign_text(
                &header_text(&format!(r#","jwk":{}"#, jwk_text(&other))),
                &claims_text(),
            ),
            "duplicate field `jwk`",
        ),
        (
            "x twice inside the jwk",
            t.sign_text(
                &format!(
                    r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{},"x":"{}"}}}}"#,
                    &jwk_json[..jwk_json.len() - 1],
                    jwk["x"].as_str().unwrap()
                ),
                &claims_text(),
            ),
            "duplicate field `x`",
        ),
        (
            "htu twice in the payload",
            t.sign_text(
                &header_text(""),
                &claims_with(r#","htu":"https://attacker.example/""#),
            ),
            "duplicate field `htu`",
        ),
        (
            "jti twice in the payload",
            t.sign_text(&header_text(""), &claims_with(r#","jti":"second""#)),
            "duplicate field `jti`",
        ),
        (
            "200 nested arrays in an unknown header member",
            t.sign_text(
                &header_text(&format!(r#","x":{}"#, nested(200))),
                &claims_text(),
            ),
            "nested deeper than 32 levels",
        ),
        (
            "200 nested arrays in an unknown jwk member",
            t.sign_text(
                &format!(
                    r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{},"x5":{}}}}}"#,
                    &jwk_json[..jwk_json.len() - 1],
                    nested(200)
                ),
                &claims_text(),
            ),
            "nested deeper than 32 levels",
        ),
        (
            "200 nested arrays in an unknown claim",
            t.sign_text(
                &header_text(""),
                &claims_with(&format!(r#","x":{}"#, nested(200))),
            ),
            "nested deeper than 32 levels",
        ),
        (
            "200 nested arrays as htu",
            t.sign_text(
                &header_text(""),
                &format!(
                    r#"{{"jti":"n1","htm":"{}","htu":{},"iat":{}}}"#,
                    t.htm,
                    nested(200),
                    now.secs()
                ),
            ),
            "nested deeper than 32 levels",
        ),
        // (2) typ, alg, crit; keys only from `jwk`
        (
            "typ missing",
            hdr(without(h.clone(), "typ")),
            "typ is not dpop+jwt",
        ),
        (
            "typ JWT",
            hdr(with(h.clone(), "typ", "JWT".into())),
            "typ is not dpop+jwt",
        ),
        (
            "typ dpop+jws",
            hdr(with(h.clone(), "typ", "dpop+jws".into())),
            "typ is not dpop+jwt",
        ),
        (
            "typ at+jwt (an access token header)",
            hdr(with(h.clone(), "typ", "at+jwt".into())),
            "typ is not dpop+jwt",
        ),
        (
            "typ a number",
            hdr(with(h.clone(), "typ", 1.into())),
            "invalid type",
        ),
        (
            "alg none",
            hdr(with(h.clone(), "alg", "none".into())),
            "alg none is not allowed",
        ),
        (
            "alg none without a signature",
            format!(
                "{}.{pb}.",
                b64::encode(with(h.clone(), "alg", "none".into()).to_string().as_bytes())
            ),
            "not a compact JWS",
        ),
        (
            "alg HS256 keyed with the jwk's x",
            {
                let header = with(h.clone(), "alg", "HS256".into());
                let input = format!("{}.{pb}", b64::encode(header.to_string().as_bytes()));
                let key = ring::hmac::Key::new(
                    ring::hmac::HMAC_SHA256,
                    jwk["x"].as_str().unwrap().as_bytes(),
                );
                format!(
                    "{input}.{}",
                    b64::encode(ring::hmac::sign(&key, input.as_bytes()).as_ref())
                )
            },
            "alg HS256 is not allowed",
        ),
        (
            "alg es256 in lower case",
            hdr(with(h.clone(), "alg", "es256".into())),
            "alg es256 is not allowed",
        ),
        (
            "alg missing",
            hdr(without(h.clone(), "alg")),
            "alg  is not allowed",
        ),
        (
            "alg ES384 when not configured",
            client::mint(
                &es384.0,
                t.htm,
                t.htu,
                now,
                &dpopd::dpop::client::ProofClaims {
                    access_token: t.token,
                    ..Default::default()
                },
            )
            .unwrap(),
            "alg ES384 is not allowed",
        ),
        (
            "alg ES512 with a P-521 key",
            alg_jwk(
                "ES512",
                json!({ "kty": "EC", "crv": "P-521", "x": b64::encode(&[1; 66]), "y": b64::encode(&[1; 66]) }),
            ),
            "alg ES512 is not allowed",
        ),
        (
            "alg ES256K with a secp256k1 key",
            alg_jwk("ES256K", with(jwk.clone(), "crv", "secp256k1".into())),
            "alg ES256K is not allowed",
        ),
        (
            "ES256 header with an RSA jwk",
            alg_jwk("ES256", rsa_jwk.clone()),
            "alg does not match the jwk key type",
        ),
        (
            "RS256 header with an EC jwk",
            alg_jwk("RS256", jwk.clone()),
            "alg does not match the jwk key type",
        ),
        (
            "EdDSA header with an EC jwk",
            alg_jwk("EdDSA", jwk.clone()),
            "alg does not match the jwk key type",
        ),
        (
            "PS256 header with an Ed25519 jwk",
            alg_jwk(
                "PS256",
                json!({ "kty": "OKP", "crv": "Ed25519", "x": b64::encode(&[9; 32]) }),
            ),
            "alg does not match the jwk key type",
        ),
        (
            "crit naming exp",
            hdr(with(h.clone(), "crit", json!(["exp"]))),
            "unsupported crit header",
        ),
        (
            "crit empty",
            hdr(with(h.clone(), "crit", json!([]))),
            "unsupported crit header",
        ),
        (
            "crit null",
            hdr(with(h.clone(), "crit", Value::Null)),
            "unsupported crit header",
        ),
        (
            "unencoded payload (RFC 7797 b64 false)",
            hdr(with(
                with(h.clone(), "b64", false.into()),
                "crit",
                json!(["b64"]),
            )),
            "unsupported crit header",
        ),
        (
            "jwk missing",
            hdr(without(h.clone(), "jwk")),
            "header has no jwk",
        ),
        (
            "jwk null",
            hdr(with(h.clone(), "jwk", Value::Null)),
            "header has no jwk",
        ),
        (
            "key only by kid",
            hdr(with(without(h.clone(), "jwk"), "kid", t.key.jkt().into())),
            "header has no jwk",
        ),
        (
            "key only by jku",
            hdr(with(
                without(h.clone(), "jwk"),
                "jku",
                "https://attacker.example/jwks".into(),
            )),
            "header has no jwk",
        ),
        (
            "key only by x5u",
            hdr(with(
                without(h.clone(), "jwk"),
                "x5u",
                "https://attacker.example/cert.pem".into(),
            )),
            "header has no jwk",
        ),
        (
            "key only by x5c",
            hdr(with(
                without(h.clone(), "jwk"),
                "x5c",
                json!([b64::encode(b"not a certificate")]),
            )),
            "header has no jwk",
        ),
        // (3) the jwk: public, supported, canonical
        (
            "jwk with the private d",
            hdr(with(
                h.clone(),
                "jwk",
                with(jwk.clone(), "d", b64::encode(&[7; 32]).into()),
            )),
            "jwk carries the private member d",
        ),
        (
            "jwk with d null",
            hdr(with(h.clone(), "jwk", with(jwk.clone(), "d", Value::Null))),
            "jwk carries the private member d",
        ),
        (
            "RSA jwk with the private p",
            rsa_signed(with(rsa_jwk.clone(), "p", "AQAB".into())),
            "jwk carries the private member p",
        ),
        (
            "symmetric jwk (kty oct)",
            hdr(with(
                h.clone(),
                "jwk",
                json!({ "kty": "oct", "k": jwk["x"] }),
            )),
            "jwk carries the private member k",
        ),
        (
            "jwk without kty",
            hdr(with(h.clone(), "jwk", without(jwk.clone(), "kty"))),
            "jwk has no kty",
        ),
        (
            "jwk is a string",
            hdr(with(h.clone(), "jwk", jwk.to_string().into())),
            "invalid type",
        ),
        (
            "jwk of an unknown kty",
            hdr(with(
                h.clone(),
                "jwk",
                with(jwk.clone(), "kty", "ec".into()),
            )),
            "jwk kty is not supported",
        ),
        (
            "ES256 header naming a P-521 key",
            alg_jwk(
                "ES256",
                json!({ "kty": "EC", "crv": "P-521", "x": b64::encode(&[1; 66]), "y": b64::encode(&[1; 66]) }),
            ),
            "jwk curve is not supported",
        ),
        (
            "ES256 header naming a secp256k1 key",
            alg_jwk("ES256", with(jwk.clone(), "crv", "secp256k1".into())),
            "jwk curve is not supported",
        ),
        (
            "EdDSA header with an X25519 key",
            alg_jwk(
                "EdDSA",
                json!({ "kty": "OKP", "crv": "X25519", "x": b64::encode(&[9; 32]) }),
            ),
            "jwk curve is not supported",
        ),
        (
            "EC x of 31 bytes",
            hdr(with(
                h.clone(),
                "jwk",
                edit_member(&jwk, "x", |x| {
                    x.remove(0);
                }),
            )),
            "jwk member x is not in canonical form",
        ),
        (
            "EC x of 33 bytes (a leading zero)",
            hdr(with(
                h.clone(),
                "jwk",
                edit_member(&jwk, "x", |x| x.insert(0, 0)),
            )),
            "jwk member x is not in canonical form",
        ),
        (
            "EC y of 31 bytes",
            hdr(with(
                h.clone(),
                "jwk",
                edit_member(&jwk, "y", |y| {
                    y.pop();
                }),
            )),
            "jwk member y is not in canonical form",
        ),
        (
            "EC x with base64 padding",
            hdr(with(
                h.clone(),
                "jwk",
                with(
                    jwk.clone(),
                    "x",
                    format!("{}=", jwk["x"].as_str().unwrap()).into(),
                ),
            )),
            "jwk member x is not valid base64url",
        ),
        (
            "RSA n with a leading zero octet",
            rsa_signed(edit_member(&rsa_jwk, "n", |n| n.insert(0, 0))),
            "jwk member n is not in canonical form",
        ),
        (
            "RSA e with a leading zero octet",
            rsa_signed(with(rsa_jwk.clone(), "e", "AAEAAQ".into())),
            "jwk member e is not in canonical form",
        ),
        (
            "RSA e = 1",
            rsa_signed(with(rsa_jwk.clone(), "e", "AQ".into())),
            "jwk is not a valid public key",
        ),
        (
            "RSA key of 1024 bits",
            alg_jwk("RS256", rsa_jwk_of_bits(1024)),
            "RSA key of 1024 bits is outside the allowed size",
        ),
        (
            "RSA key of 2047 bits",
            alg_jwk("RS256", rsa_jwk_of_bits(2047)),
            "RSA key of 2047 bits is outside the allowed size",
        ),
        (
            "RSA key of 4097 bits, above the cap",
            alg_jwk("PS256", rsa_jwk_of_bits(4097)),
            "RSA key of 4097 bits is outside the allowed size",
        ),
        (
            "RSA key of 16384 bits",
            alg_jwk("RS256", rsa_jwk_of_bits(16384)),
            "RSA key of 16384 bits is outside the allowed size",
        ),
        (
            "EC point not on the curve",
            hdr(with(
                h.clone(),
                "jwk",
                edit_member(&jwk, "y", |y| y[31] ^= 1),
            )),
            "EC public key is not a point on the curve",
        ),
        (
            "EC x equal to the field prime",
            hdr(with(
                h.clone(),
                "jwk",
                with(
                    jwk.clone(),
                    "x",
                    "_____wAAAAEAAAAAAAAAAAAAAAD_______________8".into(),
                ),
            )),
            "EC public key is not a point on the curve",
        ),
        // SEC 1 §3.2.2.1: the point is validated as part of the key, before the alg is
        // matched to it or a signature is looked at.
        (
            "EC point not on the curve, under alg RS256",
            alg_jwk("RS256", edit_member(&jwk, "y", |y| y[31] ^= 1)),
            "EC public key is not a point on the curve",
        ),
        (
            "EC point not on the curve, with a DER-encoded signature",
            resigned(
                &hdr(with(
                    h.clone(),
                    "jwk",
                    edit_member(&jwk, "y", |y| y[31] ^= 1),
                )),
                &der_of(&raw_sig),
            ),
            "EC public key is not a point on the curve",
        ),
        (
            "Ed25519 small-order key (identity point) with R = identity, S = 0",
            small_order,
            "jwk is not a valid public key",
        ),
        // (4) the signature, by the jwk's key, raw r‖s
        (
            "DER-encoded ECDSA signature",
            resigned(&good, &der_of(&raw_sig)),
            "signature has the wrong length",
        ),
        (
            "truncated signature",
            resigned(&good, &raw_sig[..63]),
            "signature has the wrong length",
        ),
        (
            "signature one octet too long",
            resigned(&good, &[raw_sig.as_slice(), &[0]].concat()),
            "signature has the wrong length",
        ),
        (
            "signature by another key",
            client::sign_parts(&other.0, &h, &c()).unwrap(),
            "signature does not verify",
        ),
        (
            "one signature bit flipped",
            resigned(&good, &flipped),
            "signature does not verify",
        ),
        (
            "r = s = 0 (CVE-2022-21449)",
            resigned(&good, &[0; 64]),
            "signature does not verify",
        ),
        (
            "r = s = n, the group order",
            resigned(&good, &order_sig),
            "signature does not verify",
        ),
        (
            "signature over another header",
            format!(
                "{}.{pb}.{sig}",
                b64::encode(with(h.clone(), "kid", "x".into()).to_string().as_bytes())
            ),
            "signature does not verify",
        ),
        (
            "RSA proof with a PKCS#1 signature under PS256",
            {
                let header = with(
                    with(h.clone(), "alg", "PS256".into()),
                    "jwk",
                    rsa_jwk.clone(),
                );
                let input = format!("{}.{pb}", b64::encode(header.to_string().as_bytes()));
                format!(
                    "{input}.{}",
                    b64::encode(&rsa.0.sign_raw(input.as_bytes()).unwrap())
                )
            },
            "signature does not verify",
        ),
        // (5) required claims and their types
        (
            "jti missing",
            body(without(c(), "jti")),
            "claim jti is missing",
        ),
        (
            "htm missing",
            body(without(c(), "htm")),
            "claim htm is missing",
        ),
        (
            "htu missing",
            body(without(c(), "htu")),
            "claim htu is missing",
        ),
        (
            "iat missing",
            body(without(c(), "iat")),
            "claim iat is missing",
        ),
        (
            "jti a number",
            body(with(c(), "jti", 7.into())),
            "claim jti is invalid",
        ),
        (
            "jti empty",
            body(with(c(), "jti", "".into())),
            "claim jti is invalid",
        ),
        (
            "jti of 257 characters",
            body(with(c(), "jti", "j".repeat(257).into())),
            "claim jti is invalid",
        ),
        (
            "htm an array",
            body(with(c(), "htm", json!([t.htm]))),
            "claim htm is invalid",
        ),
        (
            "htu an object",
            body(with(c(), "htu", json!({ "href": t.htu }))),
            "claim htu is invalid",
        ),
        (
            "iat a string",
            body(with(c(), "iat", now.secs().to_string().into())),
            "claim iat is invalid",
        ),
        (
            "iat negative",
            body(with(c(), "iat", (-1).into())),
            "claim iat is invalid",
        ),
        (
            "iat huge",
            body(with(c(), "iat", json!(1e20))),
            "claim iat is invalid",
        ),
        (
            "iat u64::MAX",
            body(with(c(), "iat", u64::MAX.into())),
            "claim iat is invalid",
        ),
        (
            "iat a boolean",
            body(with(c(), "iat", true.into())),
            "claim iat is invalid",
        ),
        (
            "ath a number",
            body(with(c(), "ath", 1.into())),
            "claim ath is invalid",
        ),
        (
            "nonce a number",
            body(with(c(), "nonce", 1.into())),
            "claim nonce is invalid",
        ),
        // (6) htm, exactly
        (
            "htm in another case",
            body(with(c(), "htm", t.htm.to_lowercase().into())),
            "htm mismatch",
        ),
        (
            "htm of another method",
            body(with(c(), "htm", "DELETE".into())),
            "htm mismatch",
        ),
        // (7) htu, normalised
        (
            "htu with another scheme",
            htu_variant("https://", "http://"),
            "htu mismatch",
        ),
        (
            "htu with another host",
            htu_variant(".example.com", ".example.net"),
            "htu mismatch",
        ),
        (
            "htu with a subdomain of the host",
            htu_variant("https://", "https://evil."),
            "htu mismatch",
        ),
        (
            "htu with another port",
            body(with(c(), "htu", format!("{scheme_host}:8443{path}").into())),
            "htu mismatch",
        ),
        (
            "htu with another path",
            body(with(c(), "htu", format!("{scheme_host}{path}x").into())),
            "htu mismatch",
        ),
        (
            "htu with a trailing slash",
            body(with(c(), "htu", format!("{}/", t.htu).into())),
            "htu mismatch",
        ),
        (
            "htu with userinfo",
            htu_variant("https://", "https://user:pass@"),
            "htu is not a valid URI",
        ),
        (
            "htu relative",
            body(with(c(), "htu", path.into())),
            "htu is not a valid URI",
        ),
        (
            "htu with a dot segment leaving the path",
            body(with(
                c(),
                "htu",
                format!("{scheme_host}/x/..{path}/..").into(),
            )),
            "htu mismatch",
        ),
        // (8) iat within [now − 75 s, now + 15 s] (exact edges at a pinned clock in `replay`)
        (
            "iat 76 s old",
            body(t.claims_at(now.plus(-76))),
            "is too old",
        ),
        (
            "iat a day old",
            body(t.claims_at(now.plus(-86_400))),
            "is too old",
        ),
        (
            "iat 30 s ahead",
            body(t.claims_at(now.plus(30))),
            "is in the future",
        ),
        (
            "iat 0 (1970)",
            body(with(c(), "iat", 0.into())),
            "is too old",
        ),
    ]
}

pub async fn token_call(app: &TestApp, name: &str, body: &Value) -> Value {
    let (status, answer) = app.post("/auth/token", body).await;
    assert_eq!(status, 200, "{name}: {answer}");
    answer
}

pub fn cc(dpop: &str) -> Value {
    json!({
        "parameters": "grant_type=client_credentials&scope=read",
        "clientId": CONFIDENTIAL.0, "clientSecret": CONFIDENTIAL.1, "dpop": dpop,
    })
}

#[tokio::test]
async fn forged_proofs_at_the_token_endpoint_are_invalid_dpop_proof_naming_the_check() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let target = Target {
        key: &key,
        htm: "POST",
        htu: TOKEN_HTU,
        token: None,
    };
    let rows = proof_rows(&target);
    assert!(rows.len() >= 100, "{} rows", rows.len());
    let mut table = Rows::default();
    for (name, proof, detail) in &rows {
        let answer = token_call(&app, name, &cc(proof)).await;
        table.check(name, || {
            assert_refused(name, &answer, &bad_proof(detail));
            assert_not_echoed(name, &answer, proof);
        });
    }
    table.finish();
    let control = token_call(&app, "control", &cc(&target.proof())).await;
    assert_eq!(
        control["action"], "OK",
        "the target itself is sound: {control}"
    );
}

#[tokio::test]
async fn forged_proofs_for_a_bound_token_are_invalid_dpop_proof_with_a_dpop_challenge() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let issued = app.client_credentials(Some(&key.token_proof())).await;
    let token = issued["accessToken"]
        .as_str()
        .expect("a bound token")
        .to_owned();
    let target = Target {
        key: &key,
        htm: "GET",
        htu: RS_URL,
        token: Some(&token),
    };
    let mut table = Rows::default();
    for (name, proof, detail) in proof_rows(&target) {
        let answer = introspect(&app, &introspection(&token, "DPoP", Some(&proof))).await;
        table.check(name, || {
            assert_challenged(name, &answer, &bad_resource_proof(detail));
            assert_eq!(answer["usable"], true, "{name}: the token itself is fine");
            assert_not_echoed(name, &answer, &proof);
            assert_not_echoed(name, &answer, &token);
        });
    }
    table.finish();
    let control = introspect(&app, &introspection(&token, "DPoP", Some(&target.proof()))).await;
    assert_eq!(
        control["action"], "OK",
        "the target itself is sound: {control}"
    );
}

#[tokio::test]
async fn an_ec_key_off_the_curve_is_described_to_the_client_as_a_key_problem() {
    let app = spawn_app().await;
    let key = TestKey::new(Alg::ES256);
    let t = Target {
        key: &key,
        htm: "POST",
        htu: TOKEN_HTU,
        token: None,
    };
    let jwk = t.header()["jwk"].clone();
    let rows = [
        (
            "y with one bit flipped",
            edit_member(&jwk, "y", |y| y[31] ^= 1),
        ),
        (
            "x equal to the field prime",
            with(
                jwk.clone(),
                "x",
                "_____wAAAAEAAAAAAAAAAAAAAAD_______________8".into(),
            ),
        ),
        (
            "x and y all zero",
            with(
                with(jwk.clone(), "x", b64::encode(&[0; 32]).into()),
                "y",
                b64::encode(&[0; 32]).into(),
            ),
        ),
    ];
    for (name, off_curve) in rows {
        let answer = token_call(
            &app,
            name,
            &cc(&t.sign(&with(t.header(), "jwk", off_curve), &t.claims())),
        )
        .await;
        assert_refused(
            name,
            &answer,
            &bad_proof("EC public key is not a point on the curve"),
        );
        assert_eq!(
            content(&answer)["error_description"],
            "The DPoP proof jwk is not an acceptable public key.",
            "{name}"
        );
    }
}
