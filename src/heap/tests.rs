use super::*;

fn value(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[test]
fn counts_render_as_five_prometheus_counters() {
    let counts = HeapCounts {
        allocations: 7,
        reallocations: 3,
        deallocations: 5,
        bytes: 1_000_000_000_000,
        freed: 999,
    };
    let mut text = String::from("dpopd_requests_total 1\n");
    counts.render_into(&mut text);
    assert!(text.starts_with("dpopd_requests_total 1\n"), "{text}");
    assert_eq!(value(&text, "dpopd_heap_allocations_total"), Some(7));
    assert_eq!(value(&text, "dpopd_heap_reallocations_total"), Some(3));
    assert_eq!(value(&text, "dpopd_heap_deallocations_total"), Some(5));
    assert_eq!(
        value(&text, "dpopd_heap_allocated_bytes_total"),
        Some(1_000_000_000_000)
    );
    assert_eq!(value(&text, "dpopd_heap_freed_bytes_total"), Some(999));
    for name in [
        "dpopd_heap_allocations_total",
        "dpopd_heap_reallocations_total",
        "dpopd_heap_deallocations_total",
        "dpopd_heap_allocated_bytes_total",
        "dpopd_heap_freed_bytes_total",
    ] {
        assert!(text.contains(&format!("# TYPE {name} counter\n")), "{text}");
        assert!(text.contains(&format!("# HELP {name} ")), "{text}");
    }
    assert!(text.ends_with('\n'));
}

#[cfg(not(feature = "alloc-count"))]
#[test]
fn without_alloc_count_there_are_no_counts() {
    assert_eq!(counts(), None);
}

/// The test binary's own global allocator is the default one, so only the calls made here pass
/// through `GLOBAL` and the differences are exact.
#[cfg(feature = "alloc-count")]
#[test]
fn counting_counts_each_call_and_the_bytes_it_asks_for() {
    use std::alloc::{GlobalAlloc, Layout};
    let before = counts().expect("alloc-count build");
    let layout = Layout::from_size_align(100, 8).unwrap();
    // SAFETY: a non-zero layout; the block is written within its size, grown, then freed with
    // the layout of its current size.
    unsafe {
        let p = GLOBAL.alloc(layout);
        assert!(!p.is_null());
        p.write_bytes(0xA5, 100);
        let p = GLOBAL.realloc(p, layout, 300);
        assert!(!p.is_null());
        assert_eq!(p.add(99).read(), 0xA5, "realloc keeps the contents");
        let p = GLOBAL.realloc(p, Layout::from_size_align(300, 8).unwrap(), 50);
        GLOBAL.dealloc(p, Layout::from_size_align(50, 8).unwrap());
        let z = GLOBAL.alloc_zeroed(layout);
        assert_eq!(z.add(50).read(), 0);
        GLOBAL.dealloc(z, layout);
    }
    let after = counts().expect("alloc-count build");
    assert_eq!(after.allocations - before.allocations, 2);
    assert_eq!(after.reallocations - before.reallocations, 2);
    assert_eq!(after.deallocations - before.deallocations, 2);
    // 100 + the growth to 300 (the shrink adds nothing) + 100 zeroed.
    assert_eq!(after.bytes - before.bytes, 400);
    // The shrink from 300 to 50, the 50 freed, the 100 zeroed freed: all that was allocated.
    assert_eq!(after.freed - before.freed, 400);
}

const MIB: usize = 1 << 20;

#[test]
fn give_back_is_due_once_the_free_bytes_rise_past_the_mark_above_their_lowest() {
    let mut when = GiveBackWhen::new(10 * MIB);
    // Wandering under the mark: never.
    assert!(!when.due(12 * MIB));
    assert!(!when.due(14 * MIB));
    assert!(!when.due(10 * MIB + GIVE_BACK_AFTER));
    // Past it: once, and the next round starts from there.
    assert!(when.due(10 * MIB + GIVE_BACK_AFTER + 1));
    assert!(!when.due(10 * MIB + GIVE_BACK_AFTER + 1));
    assert!(!when.due(14 * MIB + GIVE_BACK_AFTER));
}

#[test]
fn memory_reused_lowers_the_mark_so_the_next_burst_is_given_back_too() {
    let mut when = GiveBackWhen::new(30 * MIB);
    // The next requests reuse 20 MiB of what was free: the lowest is now 10 MiB.
    assert!(!when.due(10 * MIB));
    assert!(!when.due(10 * MIB + GIVE_BACK_AFTER));
    assert!(when.due(11 * MIB + GIVE_BACK_AFTER));
}

#[test]
fn give_back_and_free_bytes_answer_where_the_allocator_is_glibc() {
    assert_eq!(free_bytes().is_some(), GIVES_BACK);
    if !GIVES_BACK {
        assert!(!give_back());
    }
}

#[test]
fn one_arena_unless_the_environment_sets_a_limit() {
    assert_eq!(arenas_wanted(None, None), Some(ARENAS));
    assert_eq!(
        arenas_wanted(None, Some("glibc.malloc.tcache_count=0")),
        Some(ARENAS)
    );
    assert_eq!(arenas_wanted(Some("4"), None), None);
    assert_eq!(
        arenas_wanted(
            None,
            Some("glibc.malloc.trim_threshold=0:glibc.malloc.arena_max=8")
        ),
        None
    );
}
