use super::*;

fn digest(i: u32) -> Digest {
    let mut d = [0u8; 16];
    d[..4].copy_from_slice(&i.to_be_bytes());
    d
}

#[test]
fn rewriting_a_record_with_the_same_expiry_adds_nothing_to_the_expiries() {
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
fn a_record_rewritten_with_later_expiries_keeps_the_expiries_bounded_and_its_last_expiry() {
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
fn rebuilt_expiries_still_purge_every_live_entry_at_its_own_expiry() {
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

/// A digest spread over all its octets, as the salted SHA-256 makes them (`digest` puts the
/// counter where the table takes its hash from, which probes badly).
fn spread(i: u64) -> Digest {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let mut d = [0u8; 16];
    d[..8].copy_from_slice(&z.to_le_bytes());
    d[8..].copy_from_slice(&z.rotate_left(17).to_le_bytes());
    d
}

/// Replay records at a steady live count: one arrives and the oldest expires, `steps` times.
/// Returns the largest capacity the table had.
fn churn(shard: &mut Shard<Millis>, live: u64, steps: u64) -> usize {
    let mut largest = shard.live.capacity();
    for i in 0..live + steps {
        shard.purge(i);
        shard.put(spread(i), i + live);
        largest = largest.max(shard.live.capacity());
    }
    assert_eq!(shard.live.len() as u64, live);
    largest
}

#[test]
fn a_reserved_table_under_churn_never_grows_past_its_reservation() {
    // 2,500 live in a table reserved for 3,500 (4,096 buckets, 3,584 entries): more than
    // half of it, so a table that grew to this size doubles when its removed slots run out;
    // this one clears them.
    let mut shard = Shard::<Millis>::reserved(3_500);
    let reserved = shard.live.capacity();
    assert!(reserved >= 3_500);
    assert_eq!(churn(&mut shard, 2_500, 200_000), reserved);

    let mut growing = Shard::<Millis>::default();
    assert!(
        churn(&mut growing, 2_500, 200_000) > reserved,
        "an unreserved table under the same churn did not grow: the reservation proves nothing"
    );
}

#[test]
fn a_reserved_table_keeps_every_live_entry_and_its_expiry_through_clearing() {
    let mut shard = Shard::<Millis>::reserved(1_000);
    churn(&mut shard, 900, 20_000);
    // The 900 live ones are those put last, each until its own expiry.
    let now = 20_900 - 1;
    for i in 20_000..20_900 {
        assert_eq!(shard.get(&spread(i), now), Some(i + 900), "record {i}");
    }
    assert!(shard.get(&spread(19_999), now).is_none());
    assert!(shard.by_expiry.len() <= 2 * shard.live.len() + STALE_SLACK);
}

#[test]
fn a_shard_restored_beyond_its_reservation_clears_with_headroom() {
    // Restored records are not refused for room: 2,000 in a shard reserved for 500.
    let mut shard = Shard::<Millis>::reserved(500);
    for i in 0..2_000 {
        shard.put(spread(i), 1_000_000);
    }
    assert!(shard.live.capacity() >= 2_000);
    // Churn at that count keeps working, with each record found.
    for i in 2_000..10_000 {
        shard.purge(0);
        shard.put(spread(i), 1_000_000 + i);
        shard.live.remove(&spread(i - 2_000));
    }
    assert_eq!(shard.live.len(), 2_000);
    assert!(shard.get(&spread(9_999), 0).is_some());
}

#[test]
fn short_lived_namespaces_are_reserved_and_long_lived_ones_grow() {
    let tables = Tables::new(1_000_000, 10_000, [7; 32]);
    let first = |ns| tables.set(ns).map(|s| lock(&s.shards[0]).reserved);
    let per_shard = tables.capacity(Namespace::DpopJti) as usize / 64;
    assert_eq!(first(Namespace::DpopJti), Some(per_shard + per_shard / 4));
    let reserved = tables
        .set(Namespace::DpopJti)
        .map(|s| lock(&s.shards[0]).live.capacity());
    assert!(reserved >= Some(per_shard + per_shard / 4));
    for ns in Namespace::ALL.into_iter().filter(|ns| ns.long_lived()) {
        let space = tables.record_space(ns).expect("a record namespace");
        assert_eq!(lock(&space.shards[0]).reserved, 0, "{ns:?}");
        assert_eq!(lock(&space.shards[0]).live.capacity(), 0, "{ns:?}");
    }
}

fn restored(tables: &Tables, ns: Namespace, key: &[u8], expiry: Millis, value: i64) -> Change {
    let change = Change {
        ns,
        digest: tables.digest(ns, key),
        expiry,
        value,
        owner: None,
    };
    tables.restore(&change);
    change
}

#[test]
fn an_expired_record_read_back_removes_what_its_key_held() {
    let tables = Tables::new(100_000, 10_000, [3; 32]);
    let later = tables.now() + 600_000;
    for ns in [Namespace::DpopJti, Namespace::Code, Namespace::RevokedToken] {
        restored(&tables, ns, b"key", later, 5);
        assert!(tables.lookup(&[(ns, b"key")])[0].is_some(), "{ns:?}");
        // The same key's next change, written before a restart, has expired since.
        restored(&tables, ns, b"key", 0, 6);
        assert_eq!(tables.lookup(&[(ns, b"key")]), vec![None], "{ns:?}");
        // And a live one after it counts again.
        restored(&tables, ns, b"key", later, 7);
        assert!(tables.lookup(&[(ns, b"key")])[0].is_some(), "{ns:?}");
    }
}

#[test]
fn records_expired_since_take_no_room_when_read_back() {
    // A start-up reads files that hold far more expired records than the tables' room.
    let tables = Tables::new(64_000, 10_000, [5; 32]);
    let space = tables.set(Namespace::DpopJti).expect("the replay set");
    let reserved: Vec<usize> = space
        .shards
        .iter()
        .map(|s| lock(s).live.capacity())
        .collect();
    for i in 0..200_000u32 {
        restored(&tables, Namespace::DpopJti, &i.to_le_bytes(), 0, 1);
        restored(&tables, Namespace::RevokedToken, &i.to_le_bytes(), 0, 1);
    }
    for (shard, reserved) in space.shards.iter().zip(reserved) {
        let shard = lock(shard);
        assert!(shard.live.is_empty());
        assert!(shard.by_expiry.is_empty());
        assert_eq!(shard.live.capacity(), reserved);
    }
    let revoked = tables
        .record_space(Namespace::RevokedToken)
        .expect("records");
    assert!(revoked.shards.iter().all(|s| lock(s).live.capacity() == 0));
    assert_eq!(tables.entry_count(), 0);
}

#[test]
fn expiries_are_taken_soonest_first_whatever_order_they_arrive_in() {
    // Mostly in order (one TTL, a monotonic clock), some sooner than the last (another TTL,
    // a record read back), taken while they arrive: every pair comes out once, in order of
    // expiry, never before `now`.
    let mut expiries = Expiries::default();
    let mut model: Vec<(Millis, Digest)> = Vec::new();
    let mut taken: Vec<(Millis, Digest)> = Vec::new();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for step in 0..20_000u32 {
        let now = Millis::from(step);
        let expiry = match next() % 10 {
            0 => now + next() % 50,
            1 => now + 300 + next() % 1_000,
            _ => now + 181,
        };
        expiries.push(expiry, digest(step));
        model.push((expiry, digest(step)));
        if step % 3 == 0 {
            let mut out = Vec::new();
            while let Some(pair) = expiries.pop_expired(now) {
                assert!(pair.0 <= now, "{pair:?} taken at {now}");
                out.push(pair);
            }
            assert!(
                out.windows(2).all(|w| w[0].0 <= w[1].0),
                "out of order at {now}"
            );
            taken.extend(out);
        }
        assert_eq!(expiries.len() + taken.len(), model.len());
    }
    while let Some(pair) = expiries.pop_expired(Millis::MAX) {
        taken.push(pair);
    }
    assert!(expiries.is_empty());
    let expiries_of = |pairs: &[(Millis, Digest)]| pairs.iter().map(|p| p.0).collect::<Vec<_>>();
    model.sort_unstable();
    assert!(expiries_of(&taken).windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(expiries_of(&taken), expiries_of(&model));
    taken.sort_unstable();
    assert_eq!(taken, model, "every pair taken exactly once");
    // The taken pairs do not pile up in front of the queue.
    assert!(
        expiries.queue.capacity() < 2 * 2_000,
        "{}",
        expiries.queue.capacity()
    );
}
