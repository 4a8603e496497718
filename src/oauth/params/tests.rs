//! Unit tests of `oauth::params`.
use super::*;

#[test]
fn decodes_plus_and_percent() {
    let p = Params::parse("grant_type=client_credentials&scope=read+write%20x&a=%C3%A9").unwrap();
    assert_eq!(p.get("grant_type"), Some("client_credentials"));
    assert_eq!(p.get("scope"), Some("read write x"));
    assert_eq!(p.get("a"), Some("é"));
}

#[test]
fn refusals_name_the_problem() {
    let cases: &[(&str, &str, ParamsError)] = &[
        (
            "repeated parameter (RFC 6749 §3.1)",
            "scope=a&scope=b",
            ParamsError::Repeated("scope".into()),
        ),
        (
            "truncated percent-encoding",
            "scope=%4",
            ParamsError::BadEncoding,
        ),
        (
            "non-hex percent-encoding",
            "scope=%zz",
            ParamsError::BadEncoding,
        ),
        ("invalid UTF-8", "scope=%ff", ParamsError::BadUtf8),
    ];
    for (why, body, expected) in cases {
        assert_eq!(Params::parse(body).unwrap_err(), *expected, "{why}");
    }
}

#[test]
fn empty_values_count_as_absent() {
    let p = Params::parse("scope=&grant_type=x&scope=read").unwrap();
    assert_eq!(p.get("scope"), Some("read"));
    assert!(!Params::parse("a=&b").unwrap().contains("a"));
}

#[test]
fn parameter_count_is_bounded() {
    let body: Vec<String> = (0..65).map(|i| format!("p{i}=v")).collect();
    assert_eq!(
        Params::parse(&body.join("&")).unwrap_err(),
        ParamsError::TooMany
    );
}
