//! Unit tests of `jose::b64`.
use super::*;

#[test]
fn round_trips() {
    for len in 0..40usize {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        let text = encode(&bytes);
        assert_eq!(text.len(), encoded_len(len), "len {len}");
        assert_eq!(decode(&text), Ok(bytes));
    }
    let mut appended = String::from("x.");
    encode_into(&[0xfb, 0xff], &mut appended);
    assert_eq!(appended, "x.-_8");
}

#[test]
fn accepts_canonical_text() {
    let cases: &[(&str, &[u8])] = &[
        ("", b""),
        ("Zg", b"f"),
        ("Zm8", b"fo"),
        ("Zm9v", b"foo"),
        ("-_-_", &[0xfb, 0xff, 0xbf]),
    ];
    for (text, bytes) in cases {
        assert_eq!(decode(text).as_deref(), Ok(*bytes), "{text:?}");
    }
}

#[test]
fn rejects_non_strict_text() {
    let cases = [
        "Zg==",   // padding
        "Zm8=",   // padding
        "+_8",    // standard alphabet '+'
        "-/8",    // standard alphabet '/'
        "Zm 9v",  // inner space
        "Zm9v\n", // trailing newline
        " Zm9v",  // leading space
        "Zh",     // non-zero trailing bits: canonical form of b"f" is "Zg"
        "Zm9",    // non-zero trailing bits: canonical form of b"fo" is "Zm8"
        "Z",      // impossible length
        "Zm9vY",  // impossible length
        "Zm9v.",  // separator
        "Zm9vé",  // non-ASCII
    ];
    for text in cases {
        assert_eq!(decode(text), Err(B64Error), "{text:?}");
    }
}
