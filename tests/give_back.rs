//! The heap's freed pages go back to the kernel (src/heap.rs, `give_back`). Its own test binary:
//! RSS is the process's, and no other test may allocate while it is read.
#![cfg(all(
    target_os = "linux",
    target_env = "gnu",
    not(any(feature = "mimalloc", feature = "jemalloc"))
))]

use dpopd::heap;

#[path = "../examples/support/rss.rs"]
mod rss;

/// Resident memory of this process, in bytes.
fn rss() -> usize {
    rss::own_kib() as usize * 1024
}

#[test]
fn a_freed_burst_is_given_back_to_the_kernel() {
    // 64 MiB in blocks of connection-buffer size, each followed by a small block that stays
    // allocated: the freed ones are holes inside the heap, which freeing alone never returns.
    // Only the whole pages inside each hole can go back: about half of it (33 of 64 MiB here).
    const BLOCK: usize = 8 * 1024;
    const BLOCKS: usize = 8 * 1024;
    let mut freed = Vec::with_capacity(BLOCKS);
    let mut kept = Vec::with_capacity(BLOCKS);
    for i in 0..BLOCKS {
        freed.push(vec![i as u8; BLOCK]);
        kept.push(vec![i as u8; 32]);
    }
    let full = rss();
    let free_full = heap::free_bytes().expect("glibc's mallinfo2");
    drop(freed);
    let before = rss();
    let free_before = heap::free_bytes().expect("glibc's mallinfo2");
    assert!(
        free_before > free_full + BLOCK * BLOCKS * 3 / 4,
        "the heap's free bytes went from {free_full} to {free_before} only"
    );
    assert!(
        heap::GiveBackWhen::new(free_full).due(free_before),
        "a 64 MiB burst freed does not call for a give-back"
    );
    assert!(
        before + BLOCK * BLOCKS / 2 > full,
        "free() alone returned most of the burst ({full} → {before} bytes): nothing left to test"
    );
    assert!(heap::give_back(), "malloc_trim released nothing");
    let after = rss();
    assert!(
        after + BLOCK * BLOCKS / 4 < before,
        "RSS {before} → {after} bytes: less than a quarter of the {} freed went back",
        BLOCK * BLOCKS
    );
    // The small blocks were live throughout.
    assert!(kept.iter().enumerate().all(|(i, k)| k[31] == i as u8));
}
