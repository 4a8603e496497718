//! Resident memory as Linux reports it, for the examples that measure memory
//! (`store_memory`, `token_cache_memory`, `soak_load`) and tests/give_back.rs; included with
//! `#[path]`.

/// `VmRSS` of the process whose status file is `status` (`/proc/self/status`,
/// `/proc/PID/status`), in KiB; `None` if it cannot be read.
pub fn vm_rss_kib(status: &str) -> Option<u64> {
    std::fs::read_to_string(status)
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// `VmRSS` of this process, in KiB.
#[allow(dead_code)] // soak_load reads other processes' only
pub fn own_kib() -> u64 {
    vm_rss_kib("/proc/self/status").expect("VmRSS of /proc/self/status")
}
