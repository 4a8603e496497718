//! Unit tests of `oauth::client_auth_header`.
use super::*;

/// What a client following RFC 6749 §2.3.1 sends for `id` and `secret`.
fn header(id: &str, secret: &str) -> String {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}

fn basic_of(raw: &[u8]) -> String {
    format!("Basic {}", STANDARD.encode(raw))
}

#[test]
fn ids_and_secrets_come_back_as_the_client_had_them() {
    let cases = [
        ("unreserved characters", "demo-client", "demo-client-secret"),
        ("dot, underscore, tilde", "a.b_c~d", "s.e_c~r-t"),
        ("colons in both", "urn:client:1", "pa:ss:word"),
        ("percent signs", "100%", "50%+50%"),
        ("plus signs", "a+b", "c+d"),
        ("spaces", "my client", " secret with spaces "),
        ("non-ASCII", "clïent-ü", "秘密🔑"),
        ("everything", "-._~:%+ é", "-._~:%+ é"),
        ("an empty secret", "client", ""),
        ("an empty id", "", "secret"),
    ];
    for (why, id, secret) in cases {
        let parsed =
            BasicCredentials::parse(&header(id, secret)).unwrap_or_else(|e| panic!("{why}: {e}"));
        assert_eq!((parsed.id(), parsed.secret()), (id, secret), "{why}");
    }
}

#[test]
fn the_header_is_read_as_rfc_7617_and_rfc_9110_allow() {
    let encoded = STANDARD.encode("demo-client:demo-client-secret");
    let unpadded = STANDARD_NO_PAD.encode("demo-client:s");
    let cases = [
        (
            "percent-encoded hyphens",
            "Basic ZGVtbyUyRGNsaWVudDpkZW1vJTJEY2xpZW50JTJEc2VjcmV0".to_owned(),
            ("demo-client", "demo-client-secret"),
        ),
        (
            "raw unreserved characters",
            format!("Basic {encoded}"),
            ("demo-client", "demo-client-secret"),
        ),
        (
            "lower-case scheme",
            format!("basic {encoded}"),
            ("demo-client", "demo-client-secret"),
        ),
        (
            "upper-case scheme",
            format!("BASIC {encoded}"),
            ("demo-client", "demo-client-secret"),
        ),
        (
            "several spaces",
            format!("Basic   {encoded}"),
            ("demo-client", "demo-client-secret"),
        ),
        (
            "surrounding whitespace",
            format!(" \tBasic {encoded} "),
            ("demo-client", "demo-client-secret"),
        ),
        (
            "no padding",
            format!("Basic {unpadded}"),
            ("demo-client", "s"),
        ),
        (
            "a raw colon in the secret",
            basic_of(b"id:pa:ss"),
            ("id", "pa:ss"),
        ),
        (
            "raw UTF-8",
            basic_of("ïd:sécret".as_bytes()),
            ("ïd", "sécret"),
        ),
        ("lower-case hex", basic_of(b"a%2db:%c3%a9"), ("a-b", "é")),
    ];
    for (why, header, (id, secret)) in cases {
        let parsed = BasicCredentials::parse(&header).unwrap_or_else(|e| panic!("{why}: {e}"));
        assert_eq!((parsed.id(), parsed.secret()), (id, secret), "{why}");
    }
}

#[test]
fn each_malformation_is_refused_with_its_own_error() {
    use HeaderError::*;
    let cases = [
        ("Bearer", "Bearer abc".to_owned(), NotBasic),
        ("Digest", "Digest username=\"a\"".to_owned(), NotBasic),
        (
            "a scheme run into its credentials",
            "BasicZGVtbzpz".to_owned(),
            NotBasic,
        ),
        ("no scheme", STANDARD.encode("a:b"), NotBasic),
        ("empty", String::new(), NotBasic),
        ("no credentials", "Basic".to_owned(), NotBase64),
        (
            "only spaces after the scheme",
            "Basic   ".to_owned(),
            NotBase64,
        ),
        ("not base64", "Basic ***".to_owned(), NotBase64),
        (
            "the base64url alphabet",
            "Basic ZGVt-_-_".to_owned(),
            NotBase64,
        ),
        ("a space inside", "Basic ZGVt bzpz".to_owned(), NotBase64),
        ("auth-params", "Basic realm=\"x\"".to_owned(), NotBase64),
        ("a length of 4n+1", "Basic ZGVtb".to_owned(), NotBase64),
        ("incomplete padding", "Basic YTpiYw=".to_owned(), NotBase64),
        (
            "padding in the middle",
            "Basic YQ==YQ==".to_owned(),
            NotBase64,
        ),
        (
            "non-zero trailing bits",
            "Basic YTpiYx==".to_owned(),
            NotBase64,
        ),
        ("no colon", basic_of(b"democlient"), NoColon),
        ("only an encoded colon", basic_of(b"demo%3Aclient"), NoColon),
        ("% and no digits", basic_of(b"id%:secret"), BadEncoding),
        ("% and one digit", basic_of(b"id:secret%2"), BadEncoding),
        (
            "% and non-hex digits",
            basic_of(b"id%zz:secret"),
            BadEncoding,
        ),
        ("% and a sign", basic_of(b"id%+1:secret"), BadEncoding),
        (
            "percent-encoded non-UTF-8",
            basic_of(b"id:%FF%FE"),
            BadEncoding,
        ),
        ("raw non-UTF-8", basic_of(b"id\xff:secret"), BadEncoding),
    ];
    for (why, header, want) in cases {
        assert_eq!(BasicCredentials::parse(&header), Err(want), "{why}");
    }
}

#[test]
fn debug_output_keeps_the_secret_out() {
    let parsed = BasicCredentials::parse(&header("client", "hunter2")).unwrap();
    let shown = format!("{parsed:?}");
    assert!(
        shown.contains("client") && !shown.contains("hunter2"),
        "{shown}"
    );
}
