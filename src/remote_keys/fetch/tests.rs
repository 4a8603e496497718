//! Unit tests of `remote_keys::fetch`.
use super::*;
use reqwest::header::HeaderValue;

fn headers(name: reqwest::header::HeaderName, values: &[&str]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for value in values {
        map.append(name.clone(), HeaderValue::from_str(value).unwrap());
    }
    map
}

#[test]
fn cache_control_max_age_is_read() {
    let cases: Vec<(&[&str], Option<u64>)> = vec![
        (&[], None),
        (
            &["public, max-age=21600, must-revalidate, no-transform"],
            Some(21600),
        ),
        (&["Max-Age=60"], Some(60)),
        (&["max-age=\"60\""], Some(60)),
        (&["public", "max-age=90"], Some(90)),
        (&["max-age=soon"], None),
        (&["max-age=-1"], None),
        (&["s-maxage=60"], None),
        (&["no-cache"], Some(0)),
        (&["max-age=600, no-store"], Some(0)),
    ];
    for (values, want) in cases {
        assert_eq!(max_age(&headers(CACHE_CONTROL, values)), want, "{values:?}");
    }
}

#[test]
fn only_json_media_types_are_read() {
    let cases = [
        ("application/json", true),
        ("application/jwk-set+json", true),
        ("application/json; charset=utf-8", true),
        ("Application/JSON", true),
        ("application/jwk-set+JSON", true),
        ("text/html; charset=utf-8", false),
        ("text/plain", false),
        ("application/octet-stream", false),
        ("application/+json", false),
        ("json", false),
    ];
    for (value, want) in cases {
        assert_eq!(is_json(&headers(CONTENT_TYPE, &[value])), want, "{value}");
    }
    assert!(is_json(&HeaderMap::new()), "no Content-Type");
}

#[test]
fn every_fetch_error_outcome_is_registered() {
    let errors = [
        FetchError::Unreachable,
        FetchError::Timeout,
        FetchError::Status(500),
        FetchError::TooLarge { limit: 1 },
        FetchError::NotJson,
        FetchError::Invalid(JwksError::NotASet),
    ];
    for error in &errors {
        // Exhaustive, so a new variant cannot be left out of `errors`.
        match error {
            FetchError::Unreachable
            | FetchError::Timeout
            | FetchError::Status(_)
            | FetchError::TooLarge { .. }
            | FetchError::NotJson
            | FetchError::Invalid(_) => {}
        }
        assert!(FetchError::OUTCOMES.contains(&error.outcome()), "{error:?}");
    }
}
