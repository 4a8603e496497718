//! Unit tests of `remote_keys::settings`.
use super::*;

#[test]
fn jwks_uris_use_https_except_on_loopback() {
    let cases: Vec<(&str, Result<(), JwksUriError>)> = vec![
        ("https://issuer.example.com/.well-known/jwks.json", Ok(())),
        ("https://issuer.example.com:8443/jwks?tenant=a", Ok(())),
        ("HTTPS://Issuer.Example.com/jwks", Ok(())),
        ("http://127.0.0.1:8080/jwks", Ok(())),
        ("http://[::1]:8080/jwks", Ok(())),
        ("http://localhost/jwks", Ok(())),
        ("http://LOCALHOST/jwks", Ok(())),
        (
            "http://issuer.example.com/jwks",
            Err(JwksUriError::NotHttps),
        ),
        ("http://127.0.0.2/jwks", Err(JwksUriError::NotHttps)),
        ("http://10.0.0.1/jwks", Err(JwksUriError::NotHttps)),
        (
            "http://localhost.example.com/jwks",
            Err(JwksUriError::NotHttps),
        ),
        ("http://127.0.0.1.nip.io/jwks", Err(JwksUriError::NotHttps)),
        ("ftp://issuer.example.com/jwks", Err(JwksUriError::NotHttps)),
        ("file:///etc/jwks.json", Err(JwksUriError::NotHttps)),
        (
            "https://user:pass@issuer.example.com/jwks",
            Err(JwksUriError::Credentials),
        ),
        (
            "https://user@issuer.example.com/jwks",
            Err(JwksUriError::Credentials),
        ),
        (
            "https://issuer.example.com/jwks#keys",
            Err(JwksUriError::Fragment),
        ),
        ("/jwks", Err(JwksUriError::NotAUrl)),
        ("", Err(JwksUriError::NotAUrl)),
    ];
    for (text, want) in cases {
        assert_eq!(JwksUri::parse(text).map(|_| ()), want, "{text}");
    }
    let uri: JwksUri = serde_json::from_str(r#""https://issuer.example.com/jwks""#).unwrap();
    assert_eq!(uri.host(), "issuer.example.com");
    let err = serde_json::from_str::<JwksUri>(r#""http://issuer.example.com/jwks""#);
    assert!(err.unwrap_err().to_string().contains("must use https"));
}

#[test]
fn defaults_pass_their_checks() {
    let settings = JwksSettings::default();
    assert_eq!(settings.check("jwks").map_err(|e| e.to_string()), Ok(()));
    let parsed: JwksSettings = serde_json::from_str("{}").unwrap();
    assert_eq!(parsed, settings);
    let partial: JwksSettings = serde_json::from_str(r#"{"timeout_ms":500}"#).unwrap();
    assert_eq!((partial.timeout_ms, partial.refresh_secs), (500, 300));
    assert!(serde_json::from_str::<JwksSettings>(r#"{"timeout":500}"#).is_err());
}

#[test]
fn each_bad_setting_is_named() {
    type Change = fn(&mut JwksSettings);
    let cases: Vec<(Change, &str)> = vec![
        (
            |s| s.connect_timeout_ms = 0,
            "jwks.connect_timeout_ms: must be between 1 and 30000",
        ),
        (
            |s| s.timeout_ms = 60_001,
            "jwks.timeout_ms: must be between 1 and 60000",
        ),
        (
            |s| s.timeout_ms = 500,
            "jwks.timeout_ms`: must be at least jwks.connect_timeout_ms",
        ),
        (
            |s| s.max_body_bytes = 100,
            "jwks.max_body_bytes: must be between 1024 and 1048576",
        ),
        (
            |s| s.max_keys = 0,
            "jwks.max_keys: must be between 1 and 1000",
        ),
        (
            |s| s.min_refresh_secs = 0,
            "jwks.min_refresh_secs: must be between 1 and 86400",
        ),
        (
            |s| s.refresh_secs = 10,
            "jwks.refresh_secs`: must be at least jwks.min_refresh_secs",
        ),
        (
            |s| s.max_refresh_secs = 60,
            "jwks.max_refresh_secs`: must be at least jwks.refresh_secs",
        ),
        (
            |s| s.max_stale_secs = 600,
            "jwks.max_stale_secs`: must be at least jwks.max_refresh_secs",
        ),
    ];
    for (change, want) in cases {
        let mut settings = JwksSettings::default();
        change(&mut settings);
        let got = settings.check("jwks").unwrap_err().to_string();
        assert!(
            got.replace('`', "").contains(&want.replace('`', "")),
            "{got} / {want}"
        );
    }
}

#[test]
fn max_age_is_held_within_the_bounds() {
    let settings = JwksSettings::default();
    let cases = [
        (None, 300),
        (Some(0), 30),
        (Some(29), 30),
        (Some(600), 600),
        (Some(86_400), 3_600),
        (Some(u64::MAX), 3_600),
    ];
    for (max_age, want) in cases {
        assert_eq!(settings.refresh_after(max_age), want, "{max_age:?}");
    }
}
