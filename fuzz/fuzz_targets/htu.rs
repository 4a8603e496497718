//! `htu` normalisation (RFC 3986 §6.2.2/§6.2.3, RFC 9449 §4.3 check 7) on arbitrary text.
//! Asserts: no panic; normalisation is idempotent (`parse(parse(x)) == parse(x)`); the normal
//! form is an http(s) URI without query or fragment and no longer than the input plus the
//! "/" of an empty path.
#![no_main]
use dpopd::dpop::htu::Htu;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(htu) = Htu::parse(text) else { return };
    let normal = htu.as_str();
    assert_eq!(
        Htu::parse(normal).as_ref(),
        Ok(&htu),
        "not idempotent for {text:?}"
    );
    assert!(
        normal.starts_with("https://") || normal.starts_with("http://"),
        "{normal:?}"
    );
    assert!(
        !normal.contains(['?', '#']),
        "{normal:?} kept a query or fragment"
    );
    assert!(
        normal.len() <= text.len() + 1,
        "{normal:?} is longer than {text:?}"
    );
});
