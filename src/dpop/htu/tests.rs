//! Unit tests of `dpop::htu`.
use super::*;

fn norm(uri: &str) -> String {
    Htu::parse(uri).unwrap().as_str().to_owned()
}

#[test]
fn dpop_vectors_htu_cases() {
    let cases = [
        (
            "https://server.example.com/token",
            "https://server.example.com/token?x=1",
            true,
        ),
        (
            "https://SERVER.example.com/token",
            "https://server.example.com/token",
            true,
        ),
        (
            "https://server.example.com:443/token",
            "https://server.example.com/token",
            true,
        ),
        (
            "HTTPS://server.example.com/token",
            "https://server.example.com/token",
            true,
        ),
        (
            "https://server.example.com/%74oken",
            "https://server.example.com/token",
            true,
        ),
        (
            "https://server.example.com/a/../token",
            "https://server.example.com/token",
            true,
        ),
        (
            "https://server.example.com",
            "https://server.example.com/",
            true,
        ),
        (
            "https://server.example.com/token/",
            "https://server.example.com/token",
            false,
        ),
        (
            "http://server.example.com/token",
            "https://server.example.com/token",
            false,
        ),
        (
            "https://server.example.com/Token",
            "https://server.example.com/token",
            false,
        ),
        (
            "https://server.example.com:8443/token",
            "https://server.example.com/token",
            false,
        ),
        (
            "https://other.example.com/token",
            "https://server.example.com/token",
            false,
        ),
    ];
    for (claim, request, expected) in cases {
        let matched = Htu::parse(claim).unwrap() == Htu::parse(request).unwrap();
        assert_eq!(matched, expected, "{claim} vs {request}");
    }
}

#[test]
fn normal_forms() {
    assert_eq!(norm("HTTP://Example.COM:80"), "http://example.com/");
    assert_eq!(norm("https://example.com:"), "https://example.com/");
    assert_eq!(norm("https://example.com:/a"), "https://example.com/a");
    assert_eq!(norm("https://example.com:0443/a"), "https://example.com/a");
    assert_eq!(norm("https://example.com:80/a"), "https://example.com:80/a");
    assert_eq!(norm("http://example.com:443/a"), "http://example.com:443/a");
    assert_eq!(
        norm("https://[2001:DB8::1]:8443/a"),
        "https://[2001:db8::1]:8443/a"
    );
    assert_eq!(norm("https://[::1]/"), "https://[::1]/");
    assert_eq!(norm("https://e.com/%7e%41%2d%5F"), "https://e.com/~A-_");
    assert_eq!(norm("https://e.com/%c3%a9"), "https://e.com/%C3%A9");
    assert_eq!(
        norm("https://e.com/a;b=c/@:!$&'()*+,"),
        "https://e.com/a;b=c/@:!$&'()*+,"
    );
}

#[test]
fn dot_segments_follow_rfc3986_5_2_4() {
    assert_eq!(norm("https://e.com/a/b/c/./../../g"), "https://e.com/a/g");
    assert_eq!(norm("https://e.com/a/.."), "https://e.com/");
    assert_eq!(norm("https://e.com/a/b/.."), "https://e.com/a/");
    assert_eq!(norm("https://e.com/a/."), "https://e.com/a/");
    assert_eq!(norm("https://e.com/./a"), "https://e.com/a");
    assert_eq!(norm("https://e.com/../../a"), "https://e.com/a");
    assert_eq!(norm("https://e.com/a//../b"), "https://e.com/a/b");
    assert_eq!(norm("https://e.com/a//b"), "https://e.com/a//b");
    assert_eq!(norm("https://e.com/a/..b/.c"), "https://e.com/a/..b/.c");
    // Encoded dots are unreserved: decoded first, then removed as dot segments.
    assert_eq!(norm("https://e.com/a/%2E%2e/b"), "https://e.com/b");
    assert_eq!(norm("https://e.com/a/%2E/b"), "https://e.com/a/b");
}

#[test]
fn fragment_and_query_dropped() {
    assert_eq!(norm("https://e.com/a#frag"), "https://e.com/a");
    assert_eq!(norm("https://e.com/a?q=1#frag"), "https://e.com/a");
    assert_eq!(norm("https://e.com?q=/x"), "https://e.com/");
    assert_eq!(norm("https://e.com#x"), "https://e.com/");
    assert_eq!(
        Htu::parse("https://e.com/a#f"),
        Htu::parse("https://e.com/a")
    );
}

#[test]
fn encoded_slash_stays_encoded() {
    assert_eq!(norm("https://e.com/a%2fb"), "https://e.com/a%2Fb");
    assert_eq!(
        Htu::parse("https://e.com/a%2fb"),
        Htu::parse("https://e.com/a%2Fb")
    );
    assert_ne!(
        Htu::parse("https://e.com/a%2fb"),
        Htu::parse("https://e.com/a/b")
    );
    // And it does not separate segments for dot removal.
    assert_eq!(norm("https://e.com/a%2F..%2Fb"), "https://e.com/a%2F..%2Fb");
}

#[test]
fn idempotent() {
    for uri in [
        "HTTPS://Server.Example.com:443/a/./b/../%7Ec/%2f/d/?x#y",
        "http://[::FFFF:1.2.3.4]:8080",
        "https://e.com/a/b/..",
        "https://e.com/a/%2E%2E/%25",
        "https://e.com/a//",
    ] {
        let once = Htu::parse(uri).unwrap();
        assert_eq!(Htu::parse(once.as_str()).unwrap(), once, "{uri}");
    }
}

#[test]
fn not_http_uri() {
    for uri in [
        "",
        "/token",
        "token",
        "//server.example.com/token",
        "ftp://server.example.com/token",
        "urn:ietf:params:oauth",
        "httpx://e.com/",
        "1https://e.com/",
        "?https://e.com",
    ] {
        assert_eq!(Htu::parse(uri), Err(HtuError::NotHttpUri), "{uri}");
    }
}

#[test]
fn missing_host() {
    for uri in [
        "https:///token",
        "https://",
        "https://:443/a",
        "https:/token",
        "https:token",
        "http://[]/",
    ] {
        assert_eq!(Htu::parse(uri), Err(HtuError::MissingHost), "{uri}");
    }
}

#[test]
fn bad_port() {
    for uri in [
        "https://e.com:65536/",
        "https://e.com:99999999999999999999/",
        "https://e.com:44a/",
        "https://e.com:+443/",
        "https://e.com:443:443/",
        "https://[::1]:x/",
    ] {
        assert_eq!(Htu::parse(uri), Err(HtuError::BadPort), "{uri}");
    }
    assert_eq!(norm("https://e.com:65535/"), "https://e.com:65535/");
}

#[test]
fn bad_percent_encoding() {
    for uri in [
        "https://e.com/%",
        "https://e.com/%4",
        "https://e.com/%zz",
        "https://e.com/a%4/b",
        "https://e.com/%%41",
    ] {
        assert_eq!(Htu::parse(uri), Err(HtuError::BadPercentEncoding), "{uri}");
    }
}

#[test]
fn bad_character() {
    for uri in [
        "https://e.com/a b",
        "https://e.com/a\tb",
        "https://e.com/a\u{7f}",
        "https://e.com/<a>",
        "https://e.com/\"",
        "https://e.com/{a}",
        "https://e.com/a|b",
        "https://e.com/a\\b",
        "https://e.com/a^b",
        "https://e.com/a`b",
        "https://e.com/é",
        "https://user:pass@e.com/",
        "https://@e.com/",
        "https://e.com/a[b]",
        "https://e%41.com/",
        "https://[::1/",
        "https://[::1]x/",
        "https://[v1.x]/",
        "https://e.com/?a b",
    ] {
        assert_eq!(Htu::parse(uri), Err(HtuError::BadCharacter), "{uri:?}");
    }
}

#[test]
fn too_long() {
    let path = "a".repeat(MAX_LEN);
    assert_eq!(
        Htu::parse(&format!("https://e.com/{path}")),
        Err(HtuError::TooLong)
    );
    let ok = format!(
        "https://e.com/{}",
        "a".repeat(MAX_LEN - "https://e.com/".len())
    );
    assert_eq!(Htu::parse(&ok).unwrap().as_str(), ok);
}
