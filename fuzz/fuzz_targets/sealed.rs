//! Sealed values (AES-256-GCM, `jose::seal`): opening arbitrary text with a fixed key, and
//! sealing arbitrary bytes. Asserts: no panic; random text never opens (it would be a forgery);
//! seal refuses exactly the inputs whose sealed form `open` would refuse for its size; seal →
//! open returns the input, and never opens under another purpose or with the last byte changed.
#![no_main]
use dpopd::jose::b64;
use dpopd::jose::seal::{SealError, Sealer, MAX_PLAINTEXT_OCTETS, MAX_SEALED_CHARS};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn sealer() -> &'static Sealer {
    static SEALER: OnceLock<Sealer> = OnceLock::new();
    SEALER.get_or_init(|| {
        Sealer::new(&[
            ("fuzz-1".to_owned(), [7u8; 32]),
            ("fuzz-0".to_owned(), [3u8; 32]),
        ])
        .expect("fixed keys")
    })
}

fuzz_target!(|data: &[u8]| {
    let s = sealer();
    if let Ok(text) = std::str::from_utf8(data) {
        // The seeds hold values sealed with these keys; a mutated one must not open.
        if let Ok(plain) = s.open("rt", text) {
            assert!(text.len() <= MAX_SEALED_CHARS);
            assert_eq!(s.seal("rt", &plain).map(|v| v.len()), Ok(text.len()));
        }
    }

    let sealed = match s.seal("rt", data) {
        Err(SealError::TooLarge) => {
            assert!(
                data.len() > MAX_PLAINTEXT_OCTETS,
                "{} octets refused",
                data.len()
            );
            return;
        }
        other => other.expect("sealing never fails with a valid key"),
    };
    assert!(
        sealed.len() <= MAX_SEALED_CHARS,
        "{} octets sealed to {} characters",
        data.len(),
        sealed.len()
    );
    assert_eq!(s.open("rt", &sealed).as_deref(), Ok(data), "round trip");
    assert_eq!(
        s.open("code", &sealed),
        Err(SealError::Forged),
        "purpose binding"
    );
    let mut raw = b64::decode(&sealed).expect("sealed values are base64url");
    let last = raw.len() - 1;
    raw[last] ^= data.first().copied().unwrap_or(1).max(1);
    assert_eq!(
        s.open("rt", &b64::encode(&raw)),
        Err(SealError::Forged),
        "tampered tag"
    );
});
