//! Unit tests of `oauth::tokens`.
use super::*;
use crate::jose::CompactJws;

#[derive(Deserialize)]
struct Bound {
    cnf: Cnf,
}

/// RFC 9449 figure 8: the key binding of a JWT access token is its `cnf.jkt`.
#[test]
fn rfc9449_fig8_jwt_access_token_cnf_jkt() {
    let token = "eyJhbGciOiJFUzI1NiIsImtpZCI6IkJlQUxrYiJ9.eyJzdWIiOiJzb21lb25lQGV4YW1wbGUuY29tIiwiaXNzIjoiaHR0cHM6Ly9zZXJ2ZXIuZXhhbXBsZS5jb20iLCJuYmYiOjE1NjIyNjI2MTEsImV4cCI6MTU2MjI2NjIxNiwiY25mIjp7ImprdCI6IjBaY09DT1JaTll5LURXcHFxMzBqWnlKR0hUTjBkMkhnbEJWM3VpZ3VBNEkifX0.3Tyo8VTcn6u_PboUmAOYUY1kfAavomW_YwYMkmRNizLJoQzWy2fCo79Zi5yObpIzjWb5xW4OGld7ESZrh0fsrA";
    let bound: Bound = CompactJws::parse(token).unwrap().payload_as().unwrap();
    assert_eq!(bound.cnf.jkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
}

/// A key set, a sealer, a key binding and one property, hidden or not: what a grant needs.
fn grant_parts(hidden: bool) -> (KeySet, Sealer, Jkt, [Property; 1]) {
    let key = crate::jose::SigningKey::generate(crate::jose::Alg::ES256, Some("k".into())).unwrap();
    let jkt = Jkt::parse("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I").unwrap();
    let property = Property {
        key: "tier".into(),
        value: "gold".into(),
        hidden,
    };
    (
        KeySet::new(key, vec![]),
        Sealer::new(&[("s".into(), [3; 32])]).unwrap(),
        jkt,
        [property],
    )
}

#[test]
fn minted_tokens_carry_the_binding_and_seal_properties() {
    let (keys, sealer, jkt, props) = grant_parts(true);
    let grant = AccessGrant {
        subject: "alice",
        client_id: "c",
        scopes: &["read".into()],
        audience: &["https://api".into()],
        jkt: Some(&jkt),
        lifetime_secs: 60,
        properties: &props,
        extra: &Default::default(),
        grant_id: Some("family-1"),
    };
    let minted = mint(&keys, &sealer, "https://as", grant, UnixTime(1000)).unwrap();
    let verified = keys.verify(&minted.token).unwrap();
    assert_eq!(verified.typ.as_deref(), Some("at+jwt"));
    let claims: AccessClaims = serde_json::from_slice(&verified.payload).unwrap();
    assert_eq!(
        (claims.exp, claims.iat, claims.jti.as_str()),
        (1060, 1000, minted.jti.as_str())
    );
    assert_eq!(claims.cnf.unwrap().jkt, jkt.as_str());
    assert_eq!(claims.aud, Audience::One("https://api".into()));
    assert_eq!(claims.gid.as_deref(), Some("family-1"));
    let opened = sealer.open("prp", &claims.prp.unwrap()).unwrap();
    assert!(
        !String::from_utf8_lossy(&verified.payload).contains("gold"),
        "hidden property not in clear"
    );
    assert_eq!(
        serde_json::from_slice::<Vec<Property>>(&opened).unwrap(),
        props
    );
}

#[test]
fn the_claims_are_written_as_serde_writes_access_claims() {
    let (keys, sealer, jkt, props) = grant_parts(false);
    let extra = serde_json::json!({
        "acr": "urn:é\"\\",
        "amr": ["pwd", "otp"],
        "nested": {"b": 1.25, "a": null, "😀": [true, {"x": "\u{1}"}]},
        "zz": -7
    });
    let scopes: [String; 3] = ["read".into(), "wr\"ite".into(), "é".into()];
    for (case, audience) in [vec![], vec!["https://api"], vec!["a", "b\n", "c"]]
        .into_iter()
        .enumerate()
    {
        let audience: Vec<String> = audience.into_iter().map(String::from).collect();
        let no_extra = serde_json::Map::new();
        let grant = AccessGrant {
            subject: "al\"ice\u{7f}\u{1f}/é",
            client_id: "c\\1",
            scopes: if case == 1 { &[] } else { &scopes },
            audience: &audience,
            jkt: (case != 2).then_some(&jkt),
            lifetime_secs: 60,
            properties: if case == 0 { &props } else { &[] },
            extra: if case == 1 {
                &no_extra
            } else {
                extra.as_object().unwrap()
            },
            grant_id: (case != 0).then_some("family-1"),
        };
        let minted = mint(&keys, &sealer, "https://as/é", grant, UnixTime(1000)).unwrap();
        let payload = keys.verify(&minted.token).unwrap().payload;
        let claims: AccessClaims = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            String::from_utf8(payload).unwrap(),
            serde_json::to_string(&claims).unwrap(),
            "case {case}"
        );
        assert_eq!(claims.sub, "al\"ice\u{7f}\u{1f}/é", "case {case}");
        assert_eq!(claims.cnf.is_some(), case != 2, "case {case}");
        assert_eq!(claims.prp.is_some(), case == 0, "case {case}");
        assert_eq!(claims.extra.len(), if case == 1 { 0 } else { 4 });
    }
}
