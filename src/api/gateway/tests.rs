use super::settings::{parse_origin, GatewaySettings, RouteSettings};
use super::*;
use actix_web::http::header::HeaderValue;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    map
}

fn route(origin: Option<&str>, trust: bool) -> RouteSettings {
    RouteSettings {
        name: "api".into(),
        origin: origin.map(str::to_owned),
        trust_forwarded_headers: trust,
        scopes: vec![],
        dpop_required: true,
        nonce_required: false,
    }
}

fn built(routes: Vec<RouteSettings>) -> Result<Gateway, crate::config::ConfigError> {
    GatewaySettings {
        routes,
        ..GatewaySettings::default()
    }
    .build()
}

#[test]
fn an_origin_is_scheme_host_and_port_only() {
    assert_eq!(
        parse_origin("https://API.example.com:443/").as_deref(),
        Some("https://api.example.com")
    );
    assert_eq!(
        parse_origin("http://127.0.0.1:8080").as_deref(),
        Some("http://127.0.0.1:8080")
    );
    for bad in [
        "https://api.example.com/v1",
        "https://api.example.com?x",
        "https://user@api.example.com",
        "ftp://api.example.com",
        "api.example.com",
        "https://",
    ] {
        assert_eq!(parse_origin(bad), None, "{bad}");
    }
}

#[test]
fn a_route_has_an_origin_or_trusts_forwarded_headers_never_both_or_neither() {
    assert!(built(vec![route(Some("https://a.example"), false)]).is_ok());
    assert!(built(vec![route(None, true)]).is_ok());
    let both = built(vec![route(Some("https://a.example"), true)]).unwrap_err();
    assert!(
        both.to_string().contains("gateway.routes[0].origin"),
        "{both}"
    );
    assert!(built(vec![route(None, false)]).is_err());
}

#[test]
fn route_names_are_unique_path_segments() {
    let twice = built(vec![route(None, true), route(None, true)]).unwrap_err();
    assert!(twice.to_string().contains("another route"), "{twice}");
    let mut slash = route(None, true);
    slash.name = "a/b".into();
    assert!(built(vec![slash]).is_err());
}

#[test]
fn answer_header_names_must_be_header_names() {
    let bad = GatewaySettings {
        subject_header: "X Subject".into(),
        ..GatewaySettings::default()
    }
    .build()
    .unwrap_err();
    assert!(bad.to_string().contains("gateway.subject_header"), "{bad}");
}

#[test]
fn one_authorization_header_with_one_credential_is_the_token() {
    let presented = authorization(&headers(&[("authorization", "dpop abc.def.ghi")]));
    assert_eq!(
        presented,
        Ok((Some("abc.def.ghi".into()), Some(TokenType::DPoP)))
    );
    let bearer = authorization(&headers(&[("authorization", "Bearer t")]));
    assert_eq!(bearer, Ok((Some("t".into()), Some(TokenType::Bearer))));
    let empty = authorization(&headers(&[("authorization", "DPoP")]));
    assert_eq!(empty, Ok((Some(String::new()), Some(TokenType::DPoP))));
}

#[test]
fn no_authorization_or_another_scheme_is_no_token() {
    assert_eq!(authorization(&HeaderMap::new()), Ok((None, None)));
    let basic = authorization(&headers(&[("authorization", "Basic dXNlcjpwdw==")]));
    assert_eq!(basic, Ok((None, None)));
}

#[test]
fn two_authorization_headers_or_two_credentials_in_one_are_refused() {
    let two = headers(&[("authorization", "DPoP a"), ("authorization", "Bearer b")]);
    assert_eq!(
        authorization(&two),
        Err(Presentation::SeveralAuthorizations)
    );
    let joined = headers(&[("authorization", "DPoP a, Bearer b")]);
    assert_eq!(
        authorization(&joined),
        Err(Presentation::SeveralAuthorizations)
    );
    let spaced = headers(&[("authorization", "DPoP a b")]);
    assert_eq!(
        authorization(&spaced),
        Err(Presentation::SeveralAuthorizations)
    );
}

fn htu() -> Htu {
    Htu::parse("https://api.example.com/r").expect("htu")
}

#[test]
fn every_dpop_header_and_every_comma_joined_value_counts() {
    let single = dpop_input(&headers(&[("dpop", "a.b.c")]), "GET".into(), htu());
    assert_eq!(single.header_count, 1);
    assert_eq!(single.proof.map(|p| p.jws), Some("a.b.c".to_owned()));

    let two = dpop_input(
        &headers(&[("dpop", "a.b.c"), ("dpop", "d.e.f")]),
        "GET".into(),
        htu(),
    );
    assert_eq!(two.header_count, 2);
    assert!(two.proof.is_none());

    let joined = dpop_input(&headers(&[("dpop", "a.b.c, d.e.f")]), "GET".into(), htu());
    assert_eq!(joined.header_count, 2);
    assert!(joined.proof.is_none());

    let none = dpop_input(&HeaderMap::new(), "GET".into(), htu());
    assert_eq!((none.header_count, none.proof.is_none()), (0, true));
}

#[test]
fn the_forwarded_origin_needs_both_headers_once_and_a_web_scheme() {
    let ok = headers(&[
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "API.example.com"),
    ]);
    assert_eq!(
        forwarded_origin(&ok).ok().as_deref(),
        Some("https://api.example.com")
    );
    let no_host = headers(&[("x-forwarded-proto", "https")]);
    assert!(forwarded_origin(&no_host).is_err());
    let gopher = headers(&[
        ("x-forwarded-proto", "gopher"),
        ("x-forwarded-host", "a.example"),
    ]);
    assert!(forwarded_origin(&gopher).is_err());
    let twice = headers(&[
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "a.example"),
        ("x-forwarded-host", "b.example"),
    ]);
    assert!(forwarded_origin(&twice).is_err());
    let path = headers(&[
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "a.example/x"),
    ]);
    assert!(forwarded_origin(&path).is_err());
}
