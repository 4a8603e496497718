//! Unit tests of `oauth::clients`.
use super::*;
use crate::config::Secret;
use crate::jose::ct_eq_calls::during;

fn registry() -> ClientRegistry {
    let confidential = ClientSettings {
        client_id: "conf".into(),
        client_secret: Some(Secret::new("s3cret")),
        client_secret_sha256: None,
        auth_method: AuthMethod::ClientSecretBasic,
        grant_types: vec![GrantType::ClientCredentials],
        scopes: vec!["read".into()],
        redirect_uris: vec![],
        dpop_bound_access_tokens: false,
        dpop_algs: vec![],
        dpop_nonce_required: false,
        require_par: false,
        audience: vec![],
        id_token_signed_response_alg: crate::jose::Alg::ES256,
        userinfo_signed_response_alg: None,
        jwks: None,
        jwks_uri: None,
        auth_signing_algs: crate::config::default_auth_signing_algs(),
        profile: crate::oauth::fapi2::Profile::None,
    };
    let post = ClientSettings {
        client_id: "post".into(),
        auth_method: AuthMethod::ClientSecretPost,
        ..confidential.clone()
    };
    let public = ClientSettings {
        client_id: "pub".into(),
        client_secret: None,
        auth_method: AuthMethod::None,
        ..confidential.clone()
    };
    ClientRegistry::new(
        &[confidential, post, public],
        AlgSet::of(crate::jose::Alg::ALL),
        &crate::remote_keys::KeySources::default(),
    )
    .expect("registry")
}

fn basic<'a>(id: &'a str, secret: &'a str) -> ClientCredentials<'a> {
    ClientCredentials {
        basic_id: Some(id),
        basic_secret: Some(secret),
        header: None,
    }
}

#[test]
fn each_method_authenticates_its_client() {
    let r = registry();
    let none = Params::default();
    assert_eq!(
        r.authenticate(basic("conf", "s3cret"), &none).unwrap().id,
        "conf"
    );
    let post = Params::parse("client_id=post&client_secret=s3cret").unwrap();
    assert_eq!(
        r.authenticate(ClientCredentials::default(), &post)
            .unwrap()
            .id,
        "post"
    );
    let public = Params::parse("client_id=pub").unwrap();
    assert_eq!(
        r.authenticate(ClientCredentials::default(), &public)
            .unwrap()
            .id,
        "pub"
    );
}

#[test]
fn refusals_are_specific() {
    let r = registry();
    let cases: Vec<(&str, ClientCredentials, &str, ClientAuthError)> = vec![
        (
            "wrong secret",
            basic("conf", "nope"),
            "",
            ClientAuthError::BadSecret,
        ),
        (
            "unknown client",
            basic("who", "x"),
            "",
            ClientAuthError::UnknownClient,
        ),
        (
            "no client id at all",
            ClientCredentials::default(),
            "",
            ClientAuthError::MissingClientId,
        ),
        (
            "basic and post together",
            basic("conf", "s3cret"),
            "client_secret=s3cret",
            ClientAuthError::MultipleMethods,
        ),
        (
            "body client_id differs",
            basic("conf", "s3cret"),
            "client_id=pub",
            ClientAuthError::ClientIdMismatch,
        ),
        (
            "Basic secret without Basic id",
            ClientCredentials {
                basic_id: None,
                basic_secret: Some("x"),
                header: None,
            },
            "client_id=pub",
            ClientAuthError::MissingClientId,
        ),
        (
            "basic client posting its secret",
            ClientCredentials::default(),
            "client_id=conf&client_secret=s3cret",
            ClientAuthError::WrongMethod {
                used: "client_secret_post",
                registered: "client_secret_basic",
            },
        ),
        (
            "confidential client without secret",
            ClientCredentials::default(),
            "client_id=conf",
            ClientAuthError::WrongMethod {
                used: "none",
                registered: "client_secret_basic",
            },
        ),
    ];
    for (why, presented, body, expected) in cases {
        let params = Params::parse(body).unwrap();
        assert_eq!(
            r.authenticate(presented, &params).unwrap_err(),
            expected,
            "{why}"
        );
    }
}

/// An unknown client is refused as before, but after the same work as a wrong secret: one
/// digest and one `ct_eq` on every identified path, so the time taken does not tell which
/// clients exist or how they authenticate.
#[test]
fn an_unknown_client_is_compared_like_a_wrong_secret() {
    let r = registry();
    let cases: Vec<(&str, ClientCredentials, &str, Result<&str, ClientAuthError>)> = vec![
        ("right secret", basic("conf", "s3cret"), "", Ok("conf")),
        (
            "wrong secret",
            basic("conf", "nope"),
            "",
            Err(ClientAuthError::BadSecret),
        ),
        (
            "unknown client",
            basic("who", "nope"),
            "",
            Err(ClientAuthError::UnknownClient),
        ),
        (
            "unknown client with a known client's secret",
            basic("who", "s3cret"),
            "",
            Err(ClientAuthError::UnknownClient),
        ),
        (
            "unknown client posting a secret",
            ClientCredentials::default(),
            "client_id=who&client_secret=nope",
            Err(ClientAuthError::UnknownClient),
        ),
        (
            "unknown client without a secret",
            ClientCredentials::default(),
            "client_id=who",
            Err(ClientAuthError::UnknownClient),
        ),
        (
            "public client",
            ClientCredentials::default(),
            "client_id=pub",
            Ok("pub"),
        ),
        (
            "basic client posting its secret",
            ClientCredentials::default(),
            "client_id=conf&client_secret=s3cret",
            Err(ClientAuthError::WrongMethod {
                used: "client_secret_post",
                registered: "client_secret_basic",
            }),
        ),
    ];
    for (why, presented, body, expected) in cases {
        let params = Params::parse(body).unwrap();
        let (result, calls) = during(|| r.authenticate(presented, &params).map(|c| c.id.as_str()));
        assert_eq!((result, calls), (expected, 1), "{why}");
    }
}

#[test]
fn a_relayed_authorization_header_authenticates_as_its_decoded_credentials() {
    use base64::Engine;
    let r = registry();
    let header = |raw: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    };
    let none = Params::default();
    let cases = [
        (
            "percent-encoded id and secret",
            ClientCredentials::default(),
            Some(header("%63onf:s3%63ret")),
            "",
            Ok("conf"),
        ),
        (
            "a blank header counts as absent",
            basic("conf", "s3cret"),
            Some(" \t".to_owned()),
            "",
            Ok("conf"),
        ),
        (
            "a wrong secret",
            ClientCredentials::default(),
            Some(header("conf:nope")),
            "",
            Err(ClientAuthError::BadSecret),
        ),
        (
            "both the header and decoded credentials",
            basic("conf", "s3cret"),
            Some(header("conf:s3cret")),
            "",
            Err(ClientAuthError::MultipleMethods),
        ),
        (
            "the header and a posted secret",
            ClientCredentials::default(),
            Some(header("conf:s3cret")),
            "client_secret=s3cret",
            Err(ClientAuthError::MultipleMethods),
        ),
        (
            "the header and another client_id in the body",
            ClientCredentials::default(),
            Some(header("conf:s3cret")),
            "client_id=pub",
            Err(ClientAuthError::ClientIdMismatch),
        ),
        (
            "a header that is not Basic",
            ClientCredentials::default(),
            Some("Bearer x".into()),
            "",
            Err(ClientAuthError::Header(HeaderError::NotBasic)),
        ),
    ];
    for (why, presented, header, body, want) in cases {
        let params = if body.is_empty() {
            none.clone()
        } else {
            Params::parse(body).unwrap()
        };
        let credentials = ClientCredentials {
            header: header.as_deref(),
            ..presented
        };
        let got = r.authenticate(credentials, &params).map(|c| c.id.as_str());
        assert_eq!(got, want, "{why}");
    }
}
