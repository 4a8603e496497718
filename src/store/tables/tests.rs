use super::*;

fn digest(i: u32) -> Digest {
    let mut d = [0u8; 16];
    d[..4].copy_from_slice(&i.to_be_bytes());
    d
}

#[test]
fn rewriting_a_record_with_the_same_expiry_adds_nothing_to_the_heap() {
    let mut shard = Shard::<Millis>::default();
    for _ in 0..10_000 {
        shard.put(digest(1), 5_000);
    }
    assert_eq!(shard.live.len(), 1);
    assert_eq!(shard.by_expiry.len(), 1);
    shard.purge(4_999);
    assert!(shard.get(&digest(1), 4_999).is_some());
    shard.purge(5_000);
    assert!(shard.live.is_empty());
    assert!(shard.by_expiry.is_empty());
}

#[test]
fn a_record_rewritten_with_later_expiries_keeps_the_heap_bounded_and_its_last_expiry() {
    let mut shard = Shard::<Millis>::default();
    for i in 0..100 {
        shard.put(digest(i), 1_000);
    }
    for expiry in 2_000..12_000 {
        shard.put(digest(7), expiry);
        assert!(shard.by_expiry.len() <= 2 * shard.live.len() + STALE_SLACK);
    }
    // The 99 others still leave at their expiry, the rewritten one only at its last.
    shard.purge(1_000);
    assert_eq!(shard.live.len(), 1);
    shard.purge(11_998);
    assert!(shard.get(&digest(7), 11_998).is_some());
    shard.purge(11_999);
    assert!(shard.live.is_empty());
    assert!(shard.by_expiry.is_empty());
}

#[test]
fn a_rebuilt_heap_still_purges_every_live_entry_at_its_own_expiry() {
    let mut shard = Shard::<Millis>::default();
    for i in 0..1_000 {
        shard.put(digest(i), 10_000 + u64::from(i));
    }
    // Enough rewrites of a few records to force several rebuilds.
    for round in 0..5_000u64 {
        shard.put(digest((round % 10) as u32), 20_000 + round);
    }
    for i in 10..1_000 {
        let expiry = 10_000 + u64::from(i);
        shard.purge(expiry - 1);
        assert!(
            shard.get(&digest(i), expiry - 1).is_some(),
            "entry {i} left early"
        );
        shard.purge(expiry);
        assert!(
            !shard.live.contains_key(&digest(i)),
            "entry {i} outlived its expiry"
        );
    }
    assert_eq!(shard.live.len(), 10);
    shard.purge(30_000);
    assert!(shard.live.is_empty());
    assert!(shard.by_expiry.is_empty());
}
