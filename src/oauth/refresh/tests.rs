//! Unit tests of `oauth::refresh`.
use super::*;

fn record() -> RefreshRecord {
    RefreshRecord {
        jti: "j".into(),
        family: "f".into(),
        generation: 0,
        client_id: "c".into(),
        subject: "s".into(),
        scopes: vec!["read".into()],
        iat: 100,
        exp: 200,
        jkt: None,
        properties: vec![],
        extra_claims: Default::default(),
        oidc: None,
    }
}

#[test]
fn opens_until_expiry_only() {
    let sealer = Sealer::new(&[("k".into(), [7; 32])]).unwrap();
    let token = record().seal(&sealer).unwrap();
    assert_eq!(
        RefreshRecord::open(&sealer, &token, UnixTime(199)).unwrap(),
        record()
    );
    assert_eq!(
        RefreshRecord::open(&sealer, &token, UnixTime(200)),
        Err(RefreshError::Expired)
    );
}

#[test]
fn a_value_sealed_for_another_purpose_is_not_a_refresh_token() {
    let sealer = Sealer::new(&[("k".into(), [7; 32])]).unwrap();
    let other = sealer
        .seal("code", &serde_json::to_vec(&record()).unwrap())
        .unwrap();
    assert_eq!(
        RefreshRecord::open(&sealer, &other, UnixTime(150)),
        Err(RefreshError::Invalid(SealError::Forged))
    );
}
