//! Unit tests of `jose::claims`.
use super::*;

const NOW: UnixTime = UnixTime(1_700_000_000);
const SKEW: i64 = 30;

fn at(offset: i64) -> Option<NumericDate> {
    Some(NumericDate(NOW.secs() + offset))
}

#[test]
fn time_rules_at_a_pinned_clock() {
    type Check = fn() -> Result<(), ClaimsError>;
    let cases: Vec<(&str, Check, Result<(), ClaimsError>)> = vec![
        ("exp ahead", || check_exp(at(60), NOW, SKEW, None), Ok(())),
        (
            "exp missing",
            || check_exp(None, NOW, SKEW, None),
            Err(ClaimsError::Missing("exp")),
        ),
        (
            "exp passed, within skew",
            || check_exp(at(-29), NOW, SKEW, None),
            Ok(()),
        ),
        (
            "exp passed by the skew exactly",
            || check_exp(at(-30), NOW, SKEW, None),
            Err(ClaimsError::Expired),
        ),
        (
            "exp long passed",
            || check_exp(at(-3600), NOW, SKEW, None),
            Err(ClaimsError::Expired),
        ),
        (
            "exp now, no skew",
            || check_exp(at(0), NOW, 0, None),
            Err(ClaimsError::Expired),
        ),
        (
            "negative skew counts as none",
            || check_exp(at(0), NOW, -100, None),
            Err(ClaimsError::Expired),
        ),
        (
            "exp at the lifetime bound",
            || check_exp(at(330), NOW, SKEW, Some(300)),
            Ok(()),
        ),
        (
            "exp past the lifetime bound",
            || check_exp(at(331), NOW, SKEW, Some(300)),
            Err(ClaimsError::LifetimeTooLong),
        ),
        (
            "exp i64::MAX, bounded",
            || check_exp(Some(NumericDate(i64::MAX)), NOW, SKEW, Some(300)),
            Err(ClaimsError::LifetimeTooLong),
        ),
        (
            "exp i64::MAX, unbounded",
            || check_exp(Some(NumericDate(i64::MAX)), NOW, SKEW, None),
            Ok(()),
        ),
        ("nbf absent", || check_nbf(None, NOW, SKEW), Ok(())),
        ("nbf past", || check_nbf(at(-10), NOW, SKEW), Ok(())),
        (
            "nbf ahead within skew",
            || check_nbf(at(30), NOW, SKEW),
            Ok(()),
        ),
        (
            "nbf ahead beyond skew",
            || check_nbf(at(31), NOW, SKEW),
            Err(ClaimsError::NotYetValid),
        ),
        ("iat absent", || check_iat(None, NOW, SKEW), Ok(())),
        ("iat past", || check_iat(at(-3600), NOW, SKEW), Ok(())),
        (
            "iat ahead within skew",
            || check_iat(at(30), NOW, SKEW),
            Ok(()),
        ),
        (
            "iat ahead beyond skew",
            || check_iat(at(31), NOW, SKEW),
            Err(ClaimsError::IssuedInFuture),
        ),
    ];
    for (description, check, want) in cases {
        assert_eq!(check(), want, "{description}");
    }
}

#[test]
fn identity_rules() {
    let one = Audience::One("https://rs.example.com".into());
    let many = Audience::Many(vec!["a".into(), "https://rs.example.com".into()]);
    let none: Audience = Audience::Many(vec![]);
    let rs = ["https://rs.example.com"];
    type Row = (
        &'static str,
        Result<(), ClaimsError>,
        Result<(), ClaimsError>,
    );
    let cases: Vec<Row> = vec![
        (
            "iss equal",
            check_iss(Some("https://as.example.com"), "https://as.example.com"),
            Ok(()),
        ),
        (
            "iss missing",
            check_iss(None, "https://as.example.com"),
            Err(ClaimsError::Missing("iss")),
        ),
        (
            "iss with a trailing slash",
            check_iss(Some("https://as.example.com/"), "https://as.example.com"),
            Err(ClaimsError::WrongIssuer),
        ),
        (
            "iss in another case",
            check_iss(Some("https://AS.example.com"), "https://as.example.com"),
            Err(ClaimsError::WrongIssuer),
        ),
        ("aud string", check_aud(Some(&one), &rs), Ok(())),
        ("aud array holding it", check_aud(Some(&many), &rs), Ok(())),
        (
            "aud one of several accepted",
            check_aud(Some(&one), &["x", "https://rs.example.com"]),
            Ok(()),
        ),
        (
            "aud missing",
            check_aud(None, &rs),
            Err(ClaimsError::Missing("aud")),
        ),
        (
            "aud empty array",
            check_aud(Some(&none), &rs),
            Err(ClaimsError::WrongAudience),
        ),
        (
            "aud other",
            check_aud(Some(&Audience::One("https://rs.example.org".into())), &rs),
            Err(ClaimsError::WrongAudience),
        ),
        (
            "nothing accepted",
            check_aud(Some(&one), &[]),
            Err(ClaimsError::WrongAudience),
        ),
        ("typ at+jwt", check_typ(Some("at+jwt"), "at+jwt"), Ok(())),
        (
            "typ with prefix and case",
            check_typ(Some("Application/AT+JWT"), "at+jwt"),
            Ok(()),
        ),
        (
            "typ JWT",
            check_typ(Some("JWT"), "at+jwt"),
            Err(ClaimsError::WrongType),
        ),
        (
            "typ missing",
            check_typ(None, "at+jwt"),
            Err(ClaimsError::WrongType),
        ),
        (
            "typ with a parameter",
            check_typ(Some("at+jwt; q=1"), "at+jwt"),
            Err(ClaimsError::WrongType),
        ),
    ];
    for (description, got, want) in cases {
        assert_eq!(got, want, "{description}");
    }
}

#[test]
fn registered_claims_deserialize_from_real_payloads() {
    let claims: RegisteredClaims = serde_json::from_str(
        r#"{"iss":"https://as.example.com","sub":"s","aud":["a","b"],"exp":1700000300,
            "nbf":1699999999.9,"iat":1.7e9,"jti":"j","scope":"read","cnf":{"jkt":"x"}}"#,
    )
    .unwrap();
    assert_eq!(
        claims.aud,
        Some(Audience::Many(vec!["a".into(), "b".into()]))
    );
    assert_eq!(claims.exp, Some(NumericDate(1_700_000_300)));
    assert_eq!(claims.nbf, Some(NumericDate(1_699_999_999)));
    assert_eq!(claims.iat, Some(NumericDate(1_700_000_000)));
    let single: RegisteredClaims = serde_json::from_str(r#"{"aud":"a"}"#).unwrap();
    assert_eq!(single.aud, Some(Audience::One("a".into())));
    for bad in [
        r#"{"exp":"1700000000"}"#,
        r#"{"exp":1e300}"#,
        r#"{"exp":18446744073709551615}"#,
        r#"{"aud":1}"#,
        r#"{"aud":["a",1]}"#,
        r#"{"iss":["a"]}"#,
    ] {
        assert!(
            serde_json::from_str::<RegisteredClaims>(bad).is_err(),
            "{bad}"
        );
    }
}
