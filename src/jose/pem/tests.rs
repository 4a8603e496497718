//! Unit tests of `jose::pem`.
use super::*;

#[test]
fn der_lengths() {
    // Short form, then long forms with one and two length octets.
    let mut doc = vec![0x04, 2, 9, 9, 0x02, 0x81, 0x80];
    doc.extend_from_slice(&[1; 0x80]);
    doc.extend_from_slice(&[0x30, 0x82, 0x01, 0x00]);
    doc.extend_from_slice(&[2; 0x100]);
    let mut der = Der(&doc);
    assert_eq!(der.read(OCTET_STRING), Some(&[9, 9][..]));
    assert_eq!(der.read(INTEGER).map(<[u8]>::len), Some(0x80));
    assert_eq!(der.read(SEQUENCE).map(<[u8]>::len), Some(0x100));
    assert_eq!(der.read(SEQUENCE), None);
    let refused: [&[u8]; 6] = [
        &[0x04, 3, 1, 1],          // truncated contents
        &[0x02, 1, 1],             // wrong tag
        &[0x04, 0x80],             // indefinite length
        &[0x04, 0x84, 0, 0, 0, 1], // four length octets
        &[0x04, 0x82, 0x01],       // truncated length
        &[0x04],                   // no length
    ];
    for input in refused {
        assert_eq!(Der(input).read(OCTET_STRING), None, "{input:?}");
    }
}

#[test]
fn integers_lose_sign_octets() {
    assert_eq!(unsigned(&[0x00, 0x80, 0x01]), vec![0x80, 0x01]);
    assert_eq!(unsigned(&[0x01, 0x00]), vec![0x01, 0x00]);
    assert_eq!(unsigned(&[0x00]), Vec::<u8>::new());
}

#[test]
fn pem_armour() {
    let (label, der) =
        decode("x\n-----BEGIN THING-----\n AAEC \nAw==\n-----END THING-----\ny").unwrap();
    assert_eq!((label, der), ("THING", vec![0, 1, 2, 3]));
    let refused = [
        ("-----BEGIN A-----\nAAEC\n", "no PEM END line"),
        (
            "-----BEGIN A-----\nAA-_\n-----END A-----",
            "PEM body is not base64",
        ),
        (
            "-----BEGIN A-----\nAAE\n-----END A-----",
            "PEM body is not base64",
        ),
        (
            "-----BEGIN A-----\nAAEC\n-----END B-----",
            "PEM END label does not match BEGIN",
        ),
        (
            "-----BEGIN A----\nAAEC\n-----END A-----",
            "no PEM BEGIN line",
        ),
    ];
    for (text, reason) in refused {
        assert_eq!(decode(text), Err(invalid(reason)), "{text:?}");
    }
}
