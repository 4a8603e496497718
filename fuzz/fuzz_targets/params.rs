//! Strict `application/x-www-form-urlencoded` parsing of OAuth request parameters on arbitrary
//! text. Asserts: no panic; for a body with no percent-encoding and no '+', every non-empty
//! `name=value` pair is returned as is (the decoder is the identity on such text).
#![no_main]
use dpopd::oauth::params::Params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(params) = Params::parse(body) else {
        return;
    };
    if body.contains(['%', '+']) {
        return;
    }
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if value.is_empty() {
            continue;
        }
        assert_eq!(params.get(name), Some(value), "{name:?} in {body:?}");
    }
});
