//! Unit tests of `oauth::code`.
use super::*;

fn record() -> CodeRecord {
    CodeRecord {
        id: "code-1".into(),
        client_id: "c".into(),
        subject: "alice".into(),
        scopes: vec!["read".into()],
        redirect_uri: "https://app.example.com/cb".into(),
        redirect_uri_given: true,
        code_challenge: None,
        jkt: None,
        iat: 100,
        exp: 160,
        properties: vec![],
        extra_claims: Default::default(),
        oidc: Some(crate::oauth::id_token::Authentication {
            nonce: Some("n-0".into()),
            auth_time: Some(90),
            ..Default::default()
        }),
    }
}

#[test]
fn opens_until_expiry_only_and_not_as_another_purpose() {
    let sealer = Sealer::new(&[("k".into(), [3; 32])]).unwrap();
    let code = record().seal(&sealer).unwrap();
    assert_eq!(
        CodeRecord::open(&sealer, &code, UnixTime(159)).unwrap(),
        record()
    );
    assert_eq!(
        CodeRecord::open(&sealer, &code, UnixTime(160)),
        Err(CodeError::Expired)
    );
    let ticket = sealer.seal_json("ticket", &record()).unwrap();
    assert_eq!(
        CodeRecord::open(&sealer, &ticket, UnixTime(150)),
        Err(CodeError::Invalid(SealError::Forged))
    );
}

#[test]
fn the_names_of_a_codes_tokens_are_stable_distinct_and_hide_the_id() {
    let a = record();
    let b = CodeRecord {
        id: "code-2".into(),
        ..record()
    };
    assert_eq!(a.access_token_jti(), record().access_token_jti());
    assert_ne!(a.access_token_jti(), a.refresh_family());
    assert_ne!(a.access_token_jti(), b.access_token_jti());
    assert!(!a.access_token_jti().contains("code-1"));
    assert_eq!(a.access_token_jti().len(), 22);
}
