//! The heap allocator of the `dpopd` binary, which declares it as its global allocator
//! (src/main.rs): the system's (glibc malloc) unless the cargo feature `mimalloc` or `jemalloc`
//! chooses another. With the feature `alloc-count` it is wrapped in [`Counting`], which counts
//! allocations, reallocations, deallocations and bytes allocated and freed, and `/metrics` shows the
//! counts as `dpopd_heap_*` (scripts/bench.sh alloc divides them by the requests answered;
//! docs/performance.md, "Allocations per request"). None of these features is on by default.
//!
//! On glibc the binary also keeps the memory malloc holds unused in check (docs/operations.md,
//! "Memory"): it limits malloc to one arena at start ([`limit_arenas`]), since an arena per
//! busy thread let RSS creep under a steady load, and gives back the pages a burst of
//! connections freed ([`give_back_periodically`]), which glibc would otherwise keep at the
//! largest burst the process ever saw. mimalloc and jemalloc manage both themselves.
#[cfg(feature = "alloc-count")]
use std::alloc::{GlobalAlloc, Layout};
#[cfg(feature = "alloc-count")]
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

#[cfg(all(feature = "mimalloc", feature = "jemalloc"))]
compile_error!(
    "the features `mimalloc` and `jemalloc` both choose the global allocator: enable one"
);

/// The allocator that serves the memory.
#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
pub type Base = mimalloc::MiMalloc;
#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
const BASE: Base = mimalloc::MiMalloc;
#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
pub const NAME: &str = "mimalloc";

/// The allocator that serves the memory.
#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
pub type Base = tikv_jemallocator::Jemalloc;
#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
const BASE: Base = tikv_jemallocator::Jemalloc;
#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
pub const NAME: &str = "jemalloc";

/// The allocator that serves the memory.
#[cfg(not(any(feature = "mimalloc", feature = "jemalloc")))]
pub type Base = std::alloc::System;
#[cfg(not(any(feature = "mimalloc", feature = "jemalloc")))]
const BASE: Base = std::alloc::System;
/// Which allocator serves the memory: `system`, `mimalloc` or `jemalloc`.
#[cfg(not(any(feature = "mimalloc", feature = "jemalloc")))]
pub const NAME: &str = "system";

/// What src/main.rs declares as the global allocator.
#[cfg(not(feature = "alloc-count"))]
pub type Global = Base;
/// What src/main.rs declares as the global allocator.
#[cfg(not(feature = "alloc-count"))]
pub const GLOBAL: Global = BASE;

/// What src/main.rs declares as the global allocator.
#[cfg(feature = "alloc-count")]
pub type Global = Counting<Base>;
/// What src/main.rs declares as the global allocator.
#[cfg(feature = "alloc-count")]
pub const GLOBAL: Global = Counting(BASE);

/// Heap operations since the process started, as [`counts`] reads them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeapCounts {
    /// `alloc` and `alloc_zeroed` calls.
    pub allocations: u64,
    /// `realloc` calls.
    pub reallocations: u64,
    /// `dealloc` calls.
    pub deallocations: u64,
    /// The sizes of the allocations plus what each reallocation grew by.
    pub bytes: u64,
    /// The sizes of the deallocations plus what each reallocation shrank by: `bytes - freed`
    /// is what is allocated now.
    pub freed: u64,
}

impl HeapCounts {
    /// Appends the counts as Prometheus text-format counters.
    pub fn render_into(&self, out: &mut String) {
        use std::fmt::Write;
        let series = [
            (
                "dpopd_heap_allocations_total",
                "Heap allocations since start (alloc-count build).",
                self.allocations,
            ),
            (
                "dpopd_heap_reallocations_total",
                "Heap reallocations since start (alloc-count build).",
                self.reallocations,
            ),
            (
                "dpopd_heap_deallocations_total",
                "Heap deallocations since start (alloc-count build).",
                self.deallocations,
            ),
            (
                "dpopd_heap_allocated_bytes_total",
                "Bytes allocated since start, reallocations counting what they grew by (alloc-count build).",
                self.bytes,
            ),
            (
                "dpopd_heap_freed_bytes_total",
                "Bytes freed since start, reallocations counting what they shrank by (alloc-count build).",
                self.freed,
            ),
        ];
        for (name, help, value) in series {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            );
        }
    }
}

/// A global allocator that counts what passes through it to `A`. The counters are relaxed
/// atomics shared by every thread: exact totals, no order between them.
#[cfg(feature = "alloc-count")]
pub struct Counting<A>(A);

#[cfg(feature = "alloc-count")]
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
#[cfg(feature = "alloc-count")]
static REALLOCATIONS: AtomicU64 = AtomicU64::new(0);
#[cfg(feature = "alloc-count")]
static DEALLOCATIONS: AtomicU64 = AtomicU64::new(0);
#[cfg(feature = "alloc-count")]
static BYTES: AtomicU64 = AtomicU64::new(0);
#[cfg(feature = "alloc-count")]
static FREED: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed unchanged to `A`, which upholds `GlobalAlloc`'s contract; the
// counters neither allocate nor touch the memory.
#[cfg(feature = "alloc-count")]
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: the caller's guarantees for `layout` are `A::alloc`'s.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        DEALLOCATIONS.fetch_add(1, Relaxed);
        FREED.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: `ptr` came from this allocator, hence from `A`, with `layout`.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REALLOCATIONS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size.saturating_sub(layout.size()) as u64, Relaxed);
        FREED.fetch_add(layout.size().saturating_sub(new_size) as u64, Relaxed);
        // SAFETY: as for `dealloc`, and the caller's guarantees for `new_size` are `A::realloc`'s.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

/// Whether [`give_back`] does anything: on glibc with its own allocator, the default build.
pub const GIVES_BACK: bool = malloc::GLIBC;

/// How often [`give_back_periodically`] looks at the heap's free bytes.
pub const LOOK_EVERY: Duration = Duration::from_secs(10);

/// How far the heap's free bytes must rise above their lowest since the last give-back before
/// the next one: about 200 connections' buffers (docs/operations.md, "Slow clients").
pub const GIVE_BACK_AFTER: usize = 4 << 20;

/// glibc's malloc, where [`GIVES_BACK`].
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    not(any(feature = "mimalloc", feature = "jemalloc"))
))]
mod malloc {
    pub const GLIBC: bool = true;

    pub fn trim() -> bool {
        // SAFETY: malloc_trim takes no pointer and is thread-safe.
        unsafe { libc::malloc_trim(0) == 1 }
    }

    pub fn free_bytes() -> Option<usize> {
        // SAFETY: mallinfo2 takes no pointer, returns its counts by value and is thread-safe.
        Some(unsafe { libc::mallinfo2() }.fordblks)
    }

    pub fn limit_arenas(arenas: i32) -> bool {
        // SAFETY: mallopt takes two integers; M_ARENA_MAX only bounds arenas created later.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) == 1 }
    }
}

/// Another allocator, which purges freed pages itself, or another C library.
#[cfg(not(all(
    target_os = "linux",
    target_env = "gnu",
    not(any(feature = "mimalloc", feature = "jemalloc"))
)))]
mod malloc {
    pub const GLIBC: bool = false;

    pub fn trim() -> bool {
        false
    }

    pub fn free_bytes() -> Option<usize> {
        None
    }

    pub fn limit_arenas(_arenas: i32) -> bool {
        false
    }
}

/// Gives the free pages of every malloc arena back to the kernel (glibc's `malloc_trim(0)`,
/// which also releases whole free pages inside the heap, not only its top). Returns whether any
/// memory was released; `false` at once where [`GIVES_BACK`] is false. Each arena stays locked
/// while its free chunks are walked, a page range given back at a time: milliseconds on a heap
/// a burst has fragmented, which is why [`give_back_periodically`] calls it only after one.
pub fn give_back() -> bool {
    malloc::trim()
}

/// Bytes inside the heap's arenas that are free (glibc's `mallinfo2().fordblks`, given back or
/// not), or `None` where [`GIVES_BACK`] is false.
pub fn free_bytes() -> Option<usize> {
    malloc::free_bytes()
}

/// How many malloc arenas glibc may create, unless the environment says otherwise
/// ([`arenas_wanted`]). glibc gives threads arenas of their own (up to 8 per core), and each
/// keeps its own free memory: under the soak's load on Redis, the bytes live stayed at
/// 11.9–12.3 MiB for 15 minutes while each replica's RSS crept up by 3–5 MiB in the two busy
/// workers' arenas; with one arena RSS stayed within 3 % (docs/operations.md, "Memory").
/// The workers share that arena's lock only when their per-thread caches (tcache) miss.
pub const ARENAS: i32 = 1;

/// The arena limit to set: [`ARENAS`], or `None` when the environment already sets one
/// (`MALLOC_ARENA_MAX`, or `glibc.malloc.arena_max` in `GLIBC_TUNABLES`), which glibc applies
/// itself and an operator's choice wins.
pub fn arenas_wanted(malloc_arena_max: Option<&str>, glibc_tunables: Option<&str>) -> Option<i32> {
    let tuned = glibc_tunables.is_some_and(|t| t.contains("glibc.malloc.arena_max"));
    (malloc_arena_max.is_none() && !tuned).then_some(ARENAS)
}

/// Limits glibc's malloc to [`ARENAS`] arenas unless the environment sets a limit; returns the
/// limit set, if any. Call it first in `main`, before any thread exists: threads that already
/// have an arena keep it. Nothing where [`GIVES_BACK`] is false.
pub fn limit_arenas() -> Option<i32> {
    if !GIVES_BACK {
        return None;
    }
    let env = |name| std::env::var(name).ok();
    let arenas = arenas_wanted(
        env("MALLOC_ARENA_MAX").as_deref(),
        env("GLIBC_TUNABLES").as_deref(),
    )?;
    malloc::limit_arenas(arenas).then_some(arenas)
}

/// When to give back: once the free bytes have risen [`GIVE_BACK_AFTER`] above their lowest
/// since the last give-back. Memory the next requests reuse lowers that mark, so each burst that
/// frees a few MiB again is given back once, and a steady load, whose free bytes only wander,
/// never pays for a walk of the heap.
#[derive(Debug, Clone, Copy)]
pub struct GiveBackWhen {
    lowest: usize,
}

impl GiveBackWhen {
    /// Starting from the free bytes now.
    pub fn new(free: usize) -> GiveBackWhen {
        GiveBackWhen { lowest: free }
    }

    /// Whether to give back, with the free bytes now; a `true` starts the next round from them.
    pub fn due(&mut self, free: usize) -> bool {
        if free > self.lowest.saturating_add(GIVE_BACK_AFTER) {
            self.lowest = free;
            return true;
        }
        self.lowest = self.lowest.min(free);
        false
    }
}

/// Starts a thread that looks at the heap's free bytes every [`LOOK_EVERY`] for the life of the
/// process and gives back what a burst freed ([`GiveBackWhen`]), off the workers. Starts nothing
/// where [`GIVES_BACK`] is false.
pub fn give_back_periodically() -> std::io::Result<()> {
    let Some(free) = free_bytes() else {
        return Ok(());
    };
    let mut when = GiveBackWhen::new(free);
    std::thread::Builder::new()
        .name("dpopd-heap".into())
        .spawn(move || loop {
            std::thread::sleep(LOOK_EVERY);
            let free = free_bytes().unwrap_or(0);
            if when.due(free) {
                let started = Instant::now();
                let released = give_back();
                tracing::debug!(
                    free,
                    released,
                    micros = started.elapsed().as_micros() as u64,
                    "freed heap pages given back"
                );
            }
        })
        .map(drop)
}

/// The counts so far, or `None` in a build without the feature `alloc-count`.
pub fn counts() -> Option<HeapCounts> {
    #[cfg(feature = "alloc-count")]
    {
        Some(HeapCounts {
            allocations: ALLOCATIONS.load(Relaxed),
            reallocations: REALLOCATIONS.load(Relaxed),
            deallocations: DEALLOCATIONS.load(Relaxed),
            bytes: BYTES.load(Relaxed),
            freed: FREED.load(Relaxed),
        })
    }
    #[cfg(not(feature = "alloc-count"))]
    {
        None
    }
}

#[cfg(test)]
mod tests;
