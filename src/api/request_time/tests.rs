//! Unit tests of `api::request_time`.
use super::*;

#[test]
fn labels_are_distinct_and_other_is_no_api() {
    let mut labels: Vec<&str> = Api::ALL.iter().map(|api| api.label()).collect();
    labels.push(OTHER);
    let count = labels.len();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), count, "{labels:?}");
}

#[test]
fn buckets_rise_and_are_the_ones_documented() {
    assert!(BUCKETS.windows(2).all(|w| w[0] < w[1]));
    let operations = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"));
    let row = operations
        .lines()
        .find(|l| l.starts_with(&format!("| `{METRIC}`")))
        .expect("docs/operations.md has a row for the metric");
    let listed = row
        .split("Buckets (seconds): ")
        .nth(1)
        .and_then(|rest| rest.split(" |").next())
        .expect("the row lists the buckets");
    let documented: Vec<f64> = listed
        .split(", ")
        .map(|b| b.parse().expect("a number"))
        .collect();
    assert_eq!(documented, BUCKETS);
}
