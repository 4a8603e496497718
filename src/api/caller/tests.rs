//! Unit tests of `api::caller`.
use super::*;
use crate::development::{DEMO_CALLER_KEY, DEMO_CALLER_SECRET};
use crate::jose::ct_eq_calls::during;

fn callers() -> Callers {
    let mut settings = crate::config::Settings::development();
    crate::development::add_demo_credentials(&mut settings);
    Callers::new(&settings.callers)
}

fn basic(key: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
    )
}

/// Caller secrets, right or wrong, are compared with `ct_eq`; Bearer compares every entry.
#[test]
fn caller_secrets_compare_in_constant_time() {
    let callers = callers();
    let entries = callers.0.len() as u64;
    let right = basic(DEMO_CALLER_KEY, DEMO_CALLER_SECRET);
    assert_eq!(during(|| callers.authenticate(&right).is_some()), (true, 1));
    let wrong = basic(DEMO_CALLER_KEY, "wrong");
    assert_eq!(
        during(|| callers.authenticate(&wrong).is_some()),
        (false, 1)
    );
    let bearer = format!("Bearer {DEMO_CALLER_SECRET}");
    assert_eq!(
        during(|| callers.authenticate(&bearer).is_some()),
        (true, entries)
    );
    assert_eq!(
        during(|| callers.authenticate("Bearer wrong").is_some()),
        (false, entries)
    );
}

/// An unknown Basic key is refused after the same comparison as a wrong secret, so the
/// time taken does not reveal which keys exist; a known key's secret under another key
/// grants nothing.
#[test]
fn an_unknown_caller_key_is_compared_like_a_wrong_secret() {
    let callers = callers();
    let cases = [
        (
            "wrong secret of a known key",
            basic(DEMO_CALLER_KEY, "wrong"),
        ),
        ("unknown key", basic("no-such-caller", "wrong")),
        (
            "unknown key with a known key's secret",
            basic("no-such-caller", DEMO_CALLER_SECRET),
        ),
        ("empty key", basic("", "wrong")),
    ];
    for (what, header) in cases {
        assert_eq!(
            during(|| callers.authenticate(&header).is_some()),
            (false, 1),
            "{what}"
        );
    }
}

/// `explain_per_minute`: a bucket of that many calls, refilled at that rate, never above it.
#[test]
fn the_explain_bucket_refills_at_its_rate_per_minute() {
    let start = Instant::now();
    let mut bucket = Bucket::new(2);
    assert!(bucket.take(start) && bucket.take(start));
    assert!(!bucket.take(start), "two calls, then none");
    let secs = |s: u64| start + std::time::Duration::from_secs(s);
    assert!(!bucket.take(secs(29)), "half a call has refilled");
    assert!(bucket.take(secs(30)), "one call a half minute");
    assert!(!bucket.take(secs(30)));
    // An idle hour refills the bucket, never beyond its size.
    assert!(bucket.take(secs(3630)) && bucket.take(secs(3630)));
    assert!(!bucket.take(secs(3630)));
    assert!(!Bucket::new(0).take(start), "0 refuses every call");
}

type Refusal = Option<ResultCode>;

/// `Authorized::check`, the caller check of every route, without an HTTP request: valid
/// credentials of a caller holding the route's role pass; no header, a wrong secret, an
/// unknown scheme and a caller without the role are each refused with their result code.
#[test]
fn the_caller_check_refuses_each_missing_or_wrong_credential() {
    let as_only = CallerSettings {
        key: "as-only".into(),
        secret: Some(crate::config::Secret::new("as-only-secret")),
        secret_sha256: None,
        roles: vec![Role::As],
        dpop_only: false,
        explain_per_minute: 0,
    };
    let callers = Callers::new(&[as_only]);
    let right = basic("as-only", "as-only-secret");
    let wrong = basic("as-only", "wrong");
    // (what, Authorization header, refusal for role as, refusal for role rs)
    let cases: [(&str, Option<&str>, Refusal, Refusal); 5] = [
        (
            "valid Basic credentials",
            Some(&right),
            None,
            Some(ResultCode::CallerForbidden),
        ),
        (
            "no Authorization header",
            None,
            Some(ResultCode::CallerUnauthenticated),
            Some(ResultCode::CallerUnauthenticated),
        ),
        (
            "wrong secret",
            Some(&wrong),
            Some(ResultCode::CallerUnauthenticated),
            Some(ResultCode::CallerUnauthenticated),
        ),
        (
            "unknown scheme",
            Some("Digest as-only"),
            Some(ResultCode::CallerUnauthenticated),
            Some(ResultCode::CallerUnauthenticated),
        ),
        (
            "Bearer secret",
            Some("Bearer as-only-secret"),
            None,
            Some(ResultCode::CallerForbidden),
        ),
    ];
    for (what, header, as_refusal, rs_refusal) in cases {
        let as_result = AsCaller::check(&callers, header).err().map(|e| e.code);
        let rs_result = RsCaller::check(&callers, header).err().map(|e| e.code);
        assert_eq!(as_result, as_refusal, "{what}, role as");
        assert_eq!(rs_result, rs_refusal, "{what}, role rs");
    }
}
