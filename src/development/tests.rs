//! Unit tests of `development`.
use super::*;

fn at(host: &str) -> SocketAddr {
    SocketAddr::new(host.parse().unwrap(), 8080)
}

fn development(listen: DevListen) -> Settings {
    let mut settings = Settings::development();
    settings.dev_listen = listen;
    settings
}

#[test]
fn development_mode_listens_on_loopback_addresses() {
    let settings = development(DevListen::LoopbackOnly);
    for (why, addresses) in [
        ("127.0.0.1", vec![at("127.0.0.1")]),
        ("elsewhere in 127.0.0.0/8", vec![at("127.8.9.10")]),
        ("::1", vec![at("::1")]),
        ("IPv4-mapped 127.0.0.1", vec![at("::ffff:127.0.0.1")]),
        ("localhost as it resolves", vec![at("127.0.0.1"), at("::1")]),
    ] {
        assert!(
            check_listen_addresses(&settings, &addresses).is_ok(),
            "{why}"
        );
    }
}

#[test]
fn development_mode_refuses_any_other_address_naming_the_key_and_the_opt_in() {
    let settings = development(DevListen::LoopbackOnly);
    for (why, addresses) in [
        ("every IPv4 interface", vec![at("0.0.0.0")]),
        ("every IPv6 interface", vec![at("::")]),
        ("a private address", vec![at("10.0.0.7")]),
        ("a public address", vec![at("192.0.2.1")]),
        ("IPv4-mapped non-loopback", vec![at("::ffff:192.0.2.1")]),
        ("IPv6 link-local", vec![at("fe80::1")]),
        (
            "a name that resolves to loopback and elsewhere",
            vec![at("127.0.0.1"), at("192.0.2.1")],
        ),
        ("a name that resolves to nothing", vec![]),
    ] {
        let err = check_listen_addresses(&settings, &addresses)
            .expect_err(why)
            .to_string();
        for needle in ["server.host", DEV_LISTEN_ANY_INTERFACE, "DPOPD_CONFIG"] {
            assert!(err.contains(needle), "{why}: {err}");
        }
    }
}

#[test]
fn the_opt_in_and_production_mode_listen_anywhere() {
    let opted_in = development(DevListen::AnyInterface);
    let mut production = Settings::development();
    production.development = false;
    for settings in [&opted_in, &production] {
        assert!(check_listen_addresses(settings, &[at("0.0.0.0")]).is_ok());
        assert!(check_listen_addresses(settings, &[at("::")]).is_ok());
    }
}

#[test]
fn the_banner_shouts_when_development_mode_listens_beyond_loopback() {
    let quiet = banner(&development(DevListen::LoopbackOnly), 8080);
    assert!(!quiet.contains("ANYONE"), "{quiet}");
    let mut settings = development(DevListen::AnyInterface);
    settings.server.host = "0.0.0.0".into();
    let loud = banner(&settings, 8080);
    assert!(
        loud.starts_with("\n!!!!") && loud.trim_end().ends_with("!!!!"),
        "{loud}"
    );
    assert!(loud.contains("ANYONE WHO CAN REACH THIS PORT CAN MINT TOKENS"));
    assert!(loud.contains("http://127.0.0.1:8080/auth/token"), "{loud}");
}

/// Development mode has a service id, so an Authlete SDK in V3 mode works out of the box, and
/// the banner names its paths; a configured id is kept.
#[test]
fn development_mode_has_a_service_id_for_the_v3_paths() {
    let mut settings = development(DevListen::LoopbackOnly);
    add_demo_credentials(&mut settings);
    assert_eq!(
        settings.service.id.as_ref().map(ServiceId::as_str),
        Some(DEMO_SERVICE_ID)
    );
    let text = banner(&settings, 8080);
    assert!(text.contains("/api/1000/auth/token"), "{text}");

    let mut configured = development(DevListen::LoopbackOnly);
    configured.service.id = ServiceId::parse("715948317").ok();
    add_demo_credentials(&mut configured);
    assert_eq!(
        configured.service.id.as_ref().map(ServiceId::as_str),
        Some("715948317")
    );
}

#[test]
fn the_banner_shows_the_dpop_walkthrough_for_its_own_address() {
    let banner = banner(&development(DevListen::LoopbackOnly), 18080);
    let walkthrough = dpop_walkthrough("http://127.0.0.1:18080", "http://127.0.0.1:8080/token");
    let indented: String = walkthrough.lines().map(|l| format!("  {l}\n")).collect();
    assert!(banner.contains(&indented), "{banner}");
    assert!(walkthrough.contains("$(dpopd proof --htm POST --htu http://127.0.0.1:8080/token)"));
    assert!(walkthrough.contains("--access-token \"$TOKEN\""));
}
