//! Unit tests of `dpop::nonce`.
use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn service() -> NonceService {
    NonceService::new(SECRET, 60, 300)
}

#[test]
fn round_trip() {
    let s = service();
    let now = UnixTime(1_700_000_030);
    let nonce = s.current(now);
    assert_eq!(nonce.len(), NONCE_LEN);
    assert!(nonce
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // Issued at the start of the step.
    assert_eq!(s.check(&nonce, now), Ok(UnixTime(1_699_999_980)));
    assert_eq!(s.check(&nonce, now).unwrap().secs() % 60, 0);
}

#[test]
fn same_step_same_nonce_next_step_differs() {
    let s = service();
    assert_eq!(
        s.current(UnixTime(1_700_000_040)),
        s.current(UnixTime(1_700_000_099))
    );
    assert_ne!(
        s.current(UnixTime(1_700_000_099)),
        s.current(UnixTime(1_700_000_100))
    );
}

#[test]
fn accepted_at_step_boundary_and_after_rollover() {
    let s = service();
    let start = UnixTime(1_700_000_040); // multiple of 60
    let nonce = s.current(start);
    assert_eq!(s.check(&nonce, start), Ok(start));
    assert_eq!(s.check(&nonce, start.plus(59)), Ok(start));
    // Next step: `current` has changed, the old nonce still holds within the lifetime.
    assert_ne!(s.current(start.plus(60)), nonce);
    assert_eq!(s.check(&nonce, start.plus(60)), Ok(start));
    assert_eq!(s.check(&nonce, start.plus(300)), Ok(start));
}

#[test]
fn expired_after_lifetime() {
    let s = service();
    let start = UnixTime(1_700_000_040);
    let nonce = s.current(start);
    assert_eq!(s.check(&nonce, start.plus(301)), Err(NonceError::Expired));
    assert_eq!(
        s.check(&nonce, start.plus(100_000)),
        Err(NonceError::Expired)
    );
}

#[test]
fn from_the_future_is_foreign() {
    let s = service();
    let start = UnixTime(1_700_000_040);
    let nonce = s.current(start.plus(120));
    // One step of skew between replicas is tolerated, more is not.
    assert_eq!(s.check(&nonce, start.plus(60)), Ok(start.plus(120)));
    assert_eq!(s.check(&nonce, start), Err(NonceError::Foreign));
}

#[test]
fn foreign_for_another_secret_and_shared_across_replicas() {
    let s = service();
    let now = UnixTime(1_700_000_000);
    let nonce = s.current(now);
    let other = NonceService::new(b"another secret", 60, 300);
    assert_eq!(other.check(&nonce, now), Err(NonceError::Foreign));
    // A replica configured with the same secret accepts it.
    let replica = NonceService::new(SECRET, 60, 300);
    assert!(replica.check(&nonce, now).is_ok());
}

#[test]
fn malformed() {
    let s = service();
    let now = UnixTime(1_700_000_000);
    let nonce = s.current(now);
    for bad in [
        String::new(),
        "garbage".to_owned(),
        "!".repeat(NONCE_LEN),
        format!("{nonce}="),
        format!("{}=", &nonce[..NONCE_LEN - 1]),
        format!("{nonce}AAAA"),
        nonce[..NONCE_LEN - 1].to_owned(),
        format!("+{}", &nonce[1..]),
        "é".repeat(NONCE_LEN / 2),
    ] {
        assert_eq!(s.check(&bad, now), Err(NonceError::Malformed), "{bad:?}");
    }
}

#[test]
fn tampered_is_rejected() {
    let s = service();
    let now = UnixTime(1_700_000_000);
    let nonce = s.current(now);
    for i in 0..NONCE_LEN {
        let mut bytes = nonce.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        let result = s.check(&tampered, now);
        assert!(
            matches!(
                result,
                Err(NonceError::Foreign) | Err(NonceError::Malformed)
            ),
            "position {i}: {result:?}"
        );
    }
}

#[test]
fn clamps_instead_of_panicking() {
    let s = NonceService::new(b"", 0, 0);
    assert_eq!(s.step(), 1);
    assert_eq!(s.lifetime(), 1);
    let s = NonceService::new(SECRET, 60, 10);
    assert_eq!(s.lifetime(), 60);
    // Before the epoch: step 0, still checkable.
    let nonce = s.current(UnixTime(-5));
    assert_eq!(s.check(&nonce, UnixTime(0)), Ok(UnixTime(0)));
    assert_eq!(
        s.check(&nonce, UnixTime(i64::MIN)),
        Err(NonceError::Foreign)
    );
}

#[test]
fn lifetime_is_reported() {
    assert_eq!(service().lifetime(), 300);
}
