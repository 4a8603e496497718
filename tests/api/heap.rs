//! The `dpopd` binary shows its heap counters in `/metrics` in an `alloc-count` build and only
//! there (src/heap.rs, docs/performance.md "Allocations per request").
use crate::helpers::metric;
use crate::reload::Dpopd;

const SERIES: [&str; 5] = [
    "dpopd_heap_allocations_total",
    "dpopd_heap_reallocations_total",
    "dpopd_heap_deallocations_total",
    "dpopd_heap_allocated_bytes_total",
    "dpopd_heap_freed_bytes_total",
];

fn value(metrics: &str, name: &str) -> Option<u64> {
    metric(metrics, name).map(|v| v as u64)
}

#[cfg(feature = "alloc-count")]
#[tokio::test]
async fn an_alloc_count_build_counts_the_heap_of_the_process_in_metrics() {
    let dpopd = Dpopd::start(None);
    let first = dpopd.get("/metrics").await;
    let _ = dpopd.get("/service/jwks").await;
    let second = dpopd.get("/metrics").await;
    for name in SERIES {
        let (a, b) = (value(&first, name), value(&second, name));
        let (Some(a), Some(b)) = (a, b) else {
            panic!("{name} missing: {second}");
        };
        assert!(a > 0, "{name} counts the start-up: {first}");
        if name != "dpopd_heap_reallocations_total" {
            assert!(b > a, "{name} counts the requests in between: {a} then {b}");
        }
    }
}

#[cfg(not(feature = "alloc-count"))]
#[tokio::test]
async fn a_default_build_shows_no_heap_counters() {
    let dpopd = Dpopd::start(None);
    let metrics = dpopd.get("/metrics").await;
    assert!(
        metrics.contains("dpopd_config_reloads_total"),
        "metrics are served: {metrics}"
    );
    for name in SERIES {
        assert_eq!(value(&metrics, name), None, "{name} in {metrics}");
        assert!(!metrics.contains(name), "{name} in {metrics}");
    }
}
