//! Unit tests of `fapi2`: the registration rules of FAPI 2.0 §5.3.2.1, §5.3.2.2 and §5.4.1,
//! each refusal naming its key, and the lifetime caps of §5.3.2.2.
use super::*;
use crate::config::Settings;

/// A `fapi2` client as the profile wants it: `private_key_jwt`, a redirect URI, the code flow.
fn fapi2_client() -> ClientSettings {
    let key = crate::jose::SigningKey::generate(Alg::ES256, Some("k1".into())).expect("key");
    ClientSettings {
        client_id: "fapi".into(),
        client_secret: None,
        client_secret_sha256: None,
        auth_method: AuthMethod::PrivateKeyJwt,
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: vec!["read".into()],
        redirect_uris: vec!["https://fapi.example.com/cb".into()],
        dpop_bound_access_tokens: false,
        dpop_algs: vec![],
        dpop_nonce_required: false,
        require_par: false,
        audience: vec![],
        id_token_signed_response_alg: Alg::ES256,
        userinfo_signed_response_alg: None,
        jwks: Some(crate::config::InlineJwks(
            serde_json::json!({ "keys": [key.public_jwk()] }),
        )),
        jwks_uri: None,
        auth_signing_algs: crate::config::default_auth_signing_algs(),
        profile: Profile::Fapi2,
    }
}

fn check(c: ClientSettings) -> Result<(), String> {
    let mut settings = Settings::development();
    settings.clients = vec![c];
    settings.check().map_err(|e| e.to_string())
}

#[test]
fn a_compliant_fapi2_client_is_accepted_and_none_is_the_default_profile() {
    check(fapi2_client()).expect("compliant");
    check(ClientSettings {
        grant_types: vec![GrantType::AuthorizationCode],
        ..fapi2_client()
    })
    .expect("no refresh_token");
    let toml: Settings = config::Config::builder()
        .add_source(config::File::from_str(
            crate::config::DEFAULTS,
            config::FileFormat::Toml,
        ))
        .add_source(config::File::from_str(
            "[[clients]]\nclient_id = \"c\"\nauth_method = \"none\"\n",
            config::FileFormat::Toml,
        ))
        .build()
        .and_then(|c| c.try_deserialize())
        .expect("settings");
    assert_eq!(toml.clients[0].profile, Profile::None);
}

#[test]
fn each_broken_registration_rule_is_refused_naming_its_key() {
    let secret = ClientSettings {
        auth_method: AuthMethod::ClientSecretBasic,
        client_secret: Some(crate::config::Secret::new("s")),
        jwks: None,
        ..fapi2_client()
    };
    let public = ClientSettings {
        auth_method: AuthMethod::None,
        jwks: None,
        ..fapi2_client()
    };
    let cases = [
        ("a secret client", secret, "clients[0].auth_method"),
        ("a public client", public, "clients[0].auth_method"),
        (
            "no redirect URI",
            ClientSettings {
                redirect_uris: vec![],
                ..fapi2_client()
            },
            "clients[0].redirect_uris",
        ),
        (
            "client_credentials",
            ClientSettings {
                grant_types: vec![GrantType::AuthorizationCode, GrantType::ClientCredentials],
                ..fapi2_client()
            },
            "clients[0].grant_types",
        ),
        (
            "no authorization_code",
            ClientSettings {
                grant_types: vec![GrantType::RefreshToken],
                ..fapi2_client()
            },
            "clients[0].grant_types",
        ),
        (
            "RS256 assertions",
            ClientSettings {
                auth_signing_algs: vec![Alg::ES256, Alg::RS256],
                ..fapi2_client()
            },
            "clients[0].auth_signing_algs",
        ),
        (
            "RS256 ID tokens",
            ClientSettings {
                id_token_signed_response_alg: Alg::RS256,
                ..fapi2_client()
            },
            "clients[0].id_token_signed_response_alg",
        ),
        (
            "only ES384 DPoP proofs",
            ClientSettings {
                dpop_algs: vec![Alg::ES384],
                ..fapi2_client()
            },
            "clients[0].dpop_algs",
        ),
    ];
    for (description, client, key) in cases {
        let err = check(client).expect_err(description);
        assert!(err.contains(key), "{description}: {err}");
    }
}

#[test]
fn codes_live_at_most_60_seconds_and_request_uris_under_600() {
    assert_eq!(Profile::Fapi2.code_lifetime_secs(600), 60);
    assert_eq!(Profile::Fapi2.code_lifetime_secs(30), 30);
    assert_eq!(Profile::None.code_lifetime_secs(600), 600);
    assert_eq!(Profile::Fapi2.request_uri_lifetime_secs(3600), 599);
    assert_eq!(Profile::Fapi2.request_uri_lifetime_secs(60), 60);
    assert_eq!(Profile::None.request_uri_lifetime_secs(3600), 3600);
}

#[test]
fn fapi2_narrows_dpop_algs_to_those_of_section_5_4_1() {
    let all = AlgSet::of([Alg::ES256, Alg::ES384, Alg::RS256, Alg::PS256, Alg::EdDSA]);
    let narrowed = Profile::Fapi2.dpop_algs(all);
    assert!(narrowed.contains(Alg::ES256) && narrowed.contains(Alg::PS256));
    assert!(!narrowed.contains(Alg::RS256) && !narrowed.contains(Alg::ES384));
    assert_eq!(Profile::None.dpop_algs(all), all);
}
