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

/// A reader that hands out at most `step` octets per read, and is sometimes interrupted.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
    reads: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.reads += 1;
        if self.reads.is_multiple_of(7) {
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        let n = self.step.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn scanning_a_reader_a_chunk_at_a_time_reads_what_scanning_the_whole_body_reads() {
    let owner = Owner::of("client", "subject");
    let mut bytes = Vec::new();
    let mut starts = Vec::new();
    for i in 0..300i64 {
        starts.push(bytes.len());
        let r = match i % 3 {
            0 => record(Namespace::DpopJti, 1, None),
            1 => record(Namespace::Code, i, None),
            _ => record(Namespace::RefreshGeneration, i, Some(owner)),
        };
        encode(&r, &mut bytes);
    }
    let damaged_middle = {
        let mut b = bytes.clone();
        b[starts[150] + 2] ^= 0x40;
        b
    };
    let bodies: [(&str, Vec<u8>); 5] = [
        ("whole", bytes.clone()),
        ("empty", Vec::new()),
        (
            "cut inside the last record",
            bytes[..bytes.len() - 9].to_vec(),
        ),
        (
            "zeros after the last record",
            [&bytes[..], &[0u8; 200]].concat(),
        ),
        ("damaged in the middle", damaged_middle),
    ];
    for (what, body) in &bodies {
        let mut expected = Vec::new();
        let expected_end = scan(body, |r| expected.push(r));
        for chunk in [1, MAX_RECORD_LEN, 64, 97, 1000, 1 << 20] {
            for step in [1, 13, 4096] {
                let mut read = Vec::new();
                let mut reader = Trickle {
                    bytes: body,
                    step,
                    reads: 0,
                };
                let (end, len) = scan_from(&mut reader, chunk, |r| read.push(r)).unwrap();
                let case = format!("{what}, chunk {chunk}, step {step}");
                assert_eq!(end, expected_end, "{case}");
                assert_eq!(read, expected, "{case}");
                assert_eq!(len, body.len() as u64, "{case}");
            }
        }
    }
}

#[test]
fn a_read_error_while_scanning_is_returned() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk gone"))
        }
    }
    let error = scan_from(&mut Failing, 64, |_| ()).unwrap_err();
    assert_eq!(error.to_string(), "disk gone");
}
