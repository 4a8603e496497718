//! The marks: which keys cover a token, what a mark revokes, and that a mark only moves later.
use super::*;
use crate::oauth::access::tests::{core, NOW};

#[test]
fn a_mark_revokes_tokens_issued_at_or_before_it_and_none_after() {
    assert!(Marks::revoke(&[None, Some(100), None], 99));
    assert!(Marks::revoke(&[None, Some(100), None], 100));
    assert!(!Marks::revoke(&[None, Some(100), None], 101));
    assert!(!Marks::revoke(&[None, None, None], 0));
    assert!(Marks::revoke(&[Some(10), Some(5), Some(200)], 150));
}

#[test]
fn no_client_id_and_subject_split_the_same_bytes_into_one_key() {
    let a = Target::Pair {
        client_id: "ab",
        subject: "c",
    };
    let b = Target::Pair {
        client_id: "a",
        subject: "bc",
    };
    assert_ne!(a.key(), b.key());
    assert_ne!(Target::Subject("x").key(), Target::Client("x").key());
    let marks = Marks::of("ab", "c");
    let keys: Vec<_> = marks.keys().map(|(_, k)| k.to_vec()).collect();
    assert_eq!(
        keys,
        [
            Target::Subject("c").key(),
            Target::Client("ab").key(),
            a.key()
        ]
    );
}

#[tokio::test]
async fn a_mark_only_moves_later() {
    let core = core();
    let target = Target::Subject("alice");
    let marks = Marks::of("client-1", "alice");
    let read = |core: &Core| {
        let keys: Vec<_> = marks.keys().collect();
        let store = std::sync::Arc::clone(&core.store);
        async move { store.lookup(&keys).await.unwrap()[0] }
    };
    assert_eq!(revoke_before(&core, target, NOW).await, Ok(NOW.secs()));
    assert_eq!(read(&core).await, Some(NOW.secs()));
    let later = UnixTime(NOW.secs() + 30);
    assert_eq!(revoke_before(&core, target, later).await, Ok(later.secs()));
    assert_eq!(read(&core).await, Some(later.secs()));
    // A call with an earlier clock (another replica's) leaves the later mark.
    assert_eq!(revoke_before(&core, target, NOW).await, Ok(later.secs()));
    assert_eq!(read(&core).await, Some(later.secs()));
}

#[test]
fn a_mark_outlives_every_token_issued_before_it() {
    let core = core();
    let ttl = mark_ttl(&core).as_secs() as i64;
    assert!(ttl > core.refresh_lifetime_secs);
    assert!(ttl > core.access_lifetime_secs);
    assert!(ttl > core.max_lifetime_override_secs);
}
