//! Unit tests of `store::durable::record`.
use super::*;

fn record(ns: Namespace, value: i64, owner: Option<Owner>) -> DiskRecord {
    DiskRecord {
        ns,
        digest: [7; 16],
        expiry_unix_ms: 1_800_000_000_000,
        value,
        owner,
    }
}

/// RFC 3720 Appendix B.4 and the common check value of CRC-32C.
#[test]
fn crc32c_check_values() {
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
    assert_eq!(crc32c(&[0xffu8; 32]), 0x62A8_AB43);
}

#[test]
fn every_shape_of_record_round_trips() {
    let owner = Owner::of("client", "subject");
    let cases = [
        (
            "replay record: no value, no owner",
            record(Namespace::DpopJti, 1, None),
        ),
        (
            "code with a value",
            record(Namespace::Code, 1_700_000_600, None),
        ),
        (
            "revocation with an owner",
            record(Namespace::RevokedToken, 1, Some(owner)),
        ),
        (
            "generation with both",
            record(Namespace::RefreshGeneration, -3, Some(owner)),
        ),
    ];
    for (what, rec) in cases {
        let mut bytes = Vec::new();
        encode(&rec, &mut bytes);
        assert_eq!(decode(&bytes), Decoded::Record(rec, bytes.len()), "{what}");
    }
}

#[test]
fn a_flipped_bit_or_a_cut_record_is_not_read_as_a_record() {
    let mut bytes = Vec::new();
    encode(&record(Namespace::Code, 5, None), &mut bytes);
    for i in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 0x04;
        assert!(
            !matches!(decode(&damaged), Decoded::Record(..)),
            "bit flip at {i}"
        );
    }
    assert_eq!(decode(&bytes[..bytes.len() - 1]), Decoded::Short);
}

#[test]
fn scan_tells_a_torn_tail_from_a_damaged_middle() {
    let mut bytes = Vec::new();
    let mut starts = Vec::new();
    for value in [1, 2, 3] {
        starts.push(bytes.len());
        encode(&record(Namespace::Code, value, None), &mut bytes);
    }
    let count = |body: &[u8]| {
        let mut values = Vec::new();
        let end = scan(body, |r| values.push(r.value));
        (values, end)
    };
    let cases: [(&str, Vec<u8>, Vec<i64>, End); 4] = [
        ("whole file", bytes.clone(), vec![1, 2, 3], End::Clean),
        (
            "cut inside the last record",
            bytes[..bytes.len() - 5].to_vec(),
            vec![1, 2],
            End::Torn { offset: starts[2] },
        ),
        (
            "zeros after the last record",
            [&bytes[..], &[0u8; 100]].concat(),
            vec![1, 2, 3],
            End::Torn {
                offset: bytes.len(),
            },
        ),
        (
            "a damaged second record before a valid third",
            {
                let mut damaged = bytes.clone();
                damaged[starts[1] + 3] ^= 0x01;
                damaged
            },
            vec![1],
            End::Corrupt { offset: starts[1] },
        ),
    ];
    for (what, body, values, end) in cases {
        assert_eq!(count(&body), (values, end), "{what}");
    }
}
