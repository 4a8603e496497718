//! Unit tests of `api::request_time`.
use super::*;

#[test]
fn each_api_indexes_its_own_histogram() {
    for (i, api) in Api::ALL.into_iter().enumerate() {
        assert_eq!(api as usize, i, "{api:?} is out of place in Api::ALL");
    }
}

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
fn buckets_rise_from_sub_millisecond_to_seconds() {
    assert!(BUCKETS.windows(2).all(|w| w[0] < w[1]));
    assert!(BUCKETS[0] < 0.001);
    assert!(BUCKETS[BUCKETS.len() - 1] >= 1.0);
}
