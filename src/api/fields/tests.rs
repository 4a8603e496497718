//! Unit tests of `api::fields`.
use super::*;

#[test]
fn lists_past_their_bound_are_refused_naming_the_field() {
    assert_eq!(
        bounded("scopes", Some(vec![1; 256]), 256).unwrap().len(),
        256
    );
    assert_eq!(
        bounded::<u8>("scopes", None, 256).unwrap(),
        Vec::<u8>::new()
    );
    let e = bounded("resources", Some(vec![1; 65]), 64).unwrap_err();
    assert_eq!(e.code, R::InvalidField);
    assert_eq!(
        e.detail.as_deref(),
        Some("resources has 65 entries; at most 64 are accepted")
    );
}

#[test]
fn jwt_at_claims_members_are_bounded() {
    let object = |n: usize| {
        let members: Vec<String> = (0..n).map(|i| format!("\"c{i}\":{i}")).collect();
        format!("{{{}}}", members.join(","))
    };
    assert_eq!(JwtAtClaims::parse(Some(&object(256))).unwrap().0.len(), 256);
    assert_eq!(
        JwtAtClaims::parse(Some(&object(257))).unwrap_err(),
        "jwtAtClaims has 257 members; at most 256 are accepted"
    );
}

#[test]
fn durations_above_the_maximum_are_refused_never_capped() {
    let max = 31_536_000;
    let refused = [
        max as u64 + 1,
        i64::MAX as u64,
        i64::MAX as u64 + 1,
        u64::MAX,
    ];
    for secs in refused {
        let e = lifetimes(Some(secs), None, max).unwrap_err();
        assert_eq!(e.code, R::DurationTooLong, "{secs}");
        assert!(e.detail.unwrap().contains(&secs.to_string()), "{secs}");
        let e = lifetimes(None, Some(secs), max).unwrap_err();
        assert!(e.detail.unwrap().contains("refreshTokenDuration"), "{secs}");
    }
    for secs in [None, Some(0), Some(1), Some(max as u64)] {
        assert_eq!(lifetimes(secs, secs, max).unwrap().refresh, secs);
    }
}

#[test]
fn jwt_at_claims_are_a_json_object_without_dpopds_claims() {
    let ok = JwtAtClaims::parse(Some(r#"{"tenant":"a"}"#)).unwrap();
    assert_eq!(ok.0["tenant"], "a");
    assert_eq!(
        JwtAtClaims::parse(Some("  ")).unwrap(),
        JwtAtClaims::default()
    );
    for (text, detail) in [
        ("{", "not valid JSON"),
        ("[1]", "not a JSON object"),
        (r#"{"cnf":{}}"#, "may not set cnf"),
        (r#"{"gid":"x"}"#, "may not set gid"),
    ] {
        assert!(
            JwtAtClaims::parse(Some(text)).unwrap_err().contains(detail),
            "{text}"
        );
    }
}

/// A field's own error reaches the extractor marked, with serde_json's position removed;
/// any other error is not taken for one.
#[test]
fn field_errors_are_told_apart_from_malformed_json() {
    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Call {
        #[serde(default)]
        #[allow(dead_code)]
        jwt_at_claims: JwtAtClaims,
        #[serde(default)]
        token_scheme: TokenScheme,
    }
    let err = serde_json::from_str::<Call>(r#"{"jwtAtClaims":"[]"}"#).unwrap_err();
    assert_eq!(
        field_error_detail(&err.to_string()),
        Some("jwtAtClaims is not a JSON object")
    );
    let err = serde_json::from_str::<Call>(r#"{"tokenScheme":"Basic"}"#).unwrap_err();
    assert_eq!(
        field_error_detail(&err.to_string()),
        Some("tokenScheme must be DPoP or Bearer")
    );
    let call = serde_json::from_str::<Call>(r#"{"tokenScheme":"dpop"}"#).unwrap();
    assert_eq!(call.token_scheme, TokenScheme(Some(TokenType::DPoP)));
    let err = serde_json::from_str::<Call>(r#"{"tokenScheme":1}"#).unwrap_err();
    assert_eq!(field_error_detail(&err.to_string()), None);
}
