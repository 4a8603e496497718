//! Unit tests of `jose::seal`.
use super::*;

fn sealer(kids: &[(&str, u8)]) -> Sealer {
    let keys: Vec<(String, [u8; 32])> = kids
        .iter()
        .map(|(k, b)| (k.to_string(), [*b; 32]))
        .collect();
    Sealer::new(&keys).unwrap()
}

#[test]
fn round_trip_and_purpose_binding() {
    let s = sealer(&[("k1", 1)]);
    let sealed = s.seal("rt", b"hello").unwrap();
    assert_eq!(s.open("rt", &sealed).unwrap(), b"hello");
    assert_eq!(s.open("code", &sealed), Err(SealError::Forged));
}

#[test]
fn rotation_opens_with_any_listed_key_and_seals_with_the_first() {
    let old = sealer(&[("k1", 1)]);
    let sealed_old = old.seal("rt", b"x").unwrap();
    let rotated = sealer(&[("k2", 2), ("k1", 1)]);
    assert_eq!(rotated.open("rt", &sealed_old).unwrap(), b"x");
    let sealed_new = rotated.seal("rt", b"y").unwrap();
    assert_eq!(old.open("rt", &sealed_new), Err(SealError::UnknownKey));
    let removed = sealer(&[("k2", 2)]);
    assert_eq!(removed.open("rt", &sealed_old), Err(SealError::UnknownKey));
}

#[test]
fn tampering_and_garbage_are_refused() {
    let s = sealer(&[("k1", 1)]);
    let sealed = s.seal("rt", b"payload").unwrap();
    let mut raw = crate::jose::b64::decode(&sealed).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    assert_eq!(
        s.open("rt", &crate::jose::b64::encode(&raw)),
        Err(SealError::Forged)
    );
    assert_eq!(s.open("rt", "not base64!"), Err(SealError::Malformed));
    assert_eq!(s.open("rt", "AQ"), Err(SealError::Malformed));
    assert_eq!(
        s.open("rt", &"A".repeat(MAX_SEALED_CHARS + 1)),
        Err(SealError::Malformed)
    );
    // a key with the same tag but other bytes cannot forge
    let same_kid_other_key = sealer(&[("k1", 9)]);
    assert_eq!(
        same_kid_other_key.open("rt", &sealed),
        Err(SealError::Forged)
    );
}

#[test]
fn the_tag_length_is_aes_256_gcm_s() {
    assert_eq!(TAG_LEN, AES_256_GCM.tag_len());
    assert_eq!(MAX_PLAINTEXT_OCTETS, 6111);
}

/// Every length up to the limit seals to a value `open` accepts and opens again; the
/// largest one fills [`MAX_SEALED_CHARS`] exactly.
#[test]
fn the_largest_plaintext_that_seals_round_trips() {
    let s = sealer(&[("k1", 1)]);
    for len in [
        0,
        1,
        2,
        3,
        MAX_PLAINTEXT_OCTETS - 2,
        MAX_PLAINTEXT_OCTETS - 1,
        MAX_PLAINTEXT_OCTETS,
    ] {
        let plaintext = vec![0xa5; len];
        let sealed = s.seal("rt", &plaintext).unwrap();
        assert!(
            sealed.len() <= MAX_SEALED_CHARS,
            "{len} octets sealed to {} characters",
            sealed.len()
        );
        assert_eq!(
            s.open("rt", &sealed).as_deref(),
            Ok(&plaintext[..]),
            "{len} octets"
        );
    }
    let largest = s.seal("rt", &vec![0; MAX_PLAINTEXT_OCTETS]).unwrap();
    assert_eq!(largest.len(), MAX_SEALED_CHARS);
}

/// One octet more would seal to a value `open` refuses as malformed: `seal` refuses it,
/// as record or as bytes.
#[test]
fn one_octet_more_is_refused_at_seal_time() {
    let s = sealer(&[("k1", 1)]);
    assert_eq!(
        s.seal("rt", &vec![0; MAX_PLAINTEXT_OCTETS + 1]),
        Err(SealError::TooLarge)
    );
    assert_eq!(
        s.seal("rt", &vec![0; 10 * MAX_PLAINTEXT_OCTETS]),
        Err(SealError::TooLarge)
    );
    // A JSON string of n octets is n + 2 with its quotes.
    assert!(s
        .seal_json("rt", &"x".repeat(MAX_PLAINTEXT_OCTETS - 2))
        .is_ok());
    assert_eq!(
        s.seal_json("rt", &"x".repeat(MAX_PLAINTEXT_OCTETS - 1)),
        Err(SealError::TooLarge)
    );
}
