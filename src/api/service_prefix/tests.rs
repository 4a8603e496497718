//! Unit tests of `api::service_prefix`.
use super::*;

const SERVED: &[&str] = &["/auth/token", "/api/auth/token", "/api/service/jwks/get"];

fn served(path: &str) -> bool {
    SERVED.contains(&path)
}

fn id(text: &str) -> ServiceId {
    ServiceId::parse(text).expect("valid id")
}

#[test]
fn each_path_goes_where_its_prefix_says() {
    let configured = id("715948317");
    let cases = [
        ("unprefixed route", "/auth/token", Target::AsIs),
        ("V2 route", "/api/auth/token", Target::AsIs),
        ("operations route", "/healthz", Target::AsIs),
        (
            "V3 route, configured id",
            "/api/715948317/auth/token",
            Target::Api("/api/auth/token".into()),
        ),
        (
            "V3 JWKS, configured id",
            "/api/715948317/service/jwks/get",
            Target::Api("/api/service/jwks/get".into()),
        ),
        (
            "V3 route, another id",
            "/api/42/auth/token",
            Target::OtherService,
        ),
        (
            "V3 route, empty id",
            "/api//auth/token",
            Target::OtherService,
        ),
        (
            "an id that is a prefix of the configured one",
            "/api/7159/auth/token",
            Target::OtherService,
        ),
        (
            "configured id, path not served without the prefix",
            "/api/715948317/auth/nothing",
            Target::AsIs,
        ),
        (
            "configured id before an unprefixed-only path",
            "/api/715948317/token",
            Target::AsIs,
        ),
        (
            "another id, path not served",
            "/api/42/nothing",
            Target::AsIs,
        ),
        ("the prefix alone", "/api/715948317", Target::AsIs),
        ("the prefix and a slash", "/api/715948317/", Target::AsIs),
    ];
    for (what, path, expected) in cases {
        assert_eq!(target(path, Some(&configured), served), expected, "{what}");
    }
}

#[test]
fn without_a_configured_id_every_prefixed_route_is_another_service() {
    assert_eq!(
        target("/api/715948317/auth/token", None, served),
        Target::OtherService
    );
    assert_eq!(target("/api/auth/token", None, served), Target::AsIs);
}

/// An id that is the first segment of a V2 path cannot take that path over.
#[test]
fn an_id_named_like_a_v2_segment_leaves_the_v2_paths_alone() {
    let auth = id("auth");
    assert_eq!(target("/api/auth/token", Some(&auth), served), Target::AsIs);
    assert_eq!(
        target("/api/auth/auth/token", Some(&auth), served),
        Target::Api("/api/auth/token".into())
    );
}

#[test]
fn templates_put_the_prefix_before_each_api_path() {
    assert_eq!(
        templates(SERVED),
        [
            "/api/{serviceId}/auth/token",
            "/api/{serviceId}/service/jwks/get"
        ]
    );
}

#[test]
fn service_ids_are_one_path_segment_of_unreserved_characters() {
    for good in [
        "715948317",
        "demo-service",
        "a",
        "A.b_c~d-1",
        &"9".repeat(64),
    ] {
        assert_eq!(
            ServiceId::parse(good).map(|i| i.to_string()),
            Ok(good.to_owned())
        );
    }
    let cases = [
        ("empty", ""),
        ("too long", &*"9".repeat(65)),
        ("a slash", "a/b"),
        ("percent-encoding", "%41"),
        ("a space", "a b"),
        ("a query", "a?b"),
        ("non-ASCII", "dienst-ü"),
        ("dot-segment", "."),
        ("double dot-segment", ".."),
    ];
    for (what, bad) in cases {
        assert!(ServiceId::parse(bad).is_err(), "{what}: {bad:?}");
    }
}
