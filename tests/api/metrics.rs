//! `GET /metrics` of a fresh `dpopd` process (docs/operations.md, "Metrics"): the first scrape,
//! before any other request, already shows every metric of the table that is registered at
//! start for the store in use, each counter at 0 and each histogram with a zero count; a
//! request moves its API's duration histogram and counter by one; an unmatched path adds no
//! label value. Each test starts its own process: the recorder is global to a process, so one
//! shared with other tests could not show what a fresh start shows.
use crate::helpers::*;
use crate::reload::{key, Config, Dpopd};
use dpopd::api::action::Action;
use dpopd::api::answer::Api;
use std::collections::BTreeSet;

/// The rows of docs/operations.md's metrics table: (metric, its "at start" cell).
fn documented() -> Vec<(String, String)> {
    let operations = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"));
    let section = operations
        .split("\n## Metrics")
        .nth(1)
        .expect("docs/operations.md has a Metrics section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let rows: Vec<(String, String)> = section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix("`dpopd_")?.strip_suffix('`')?;
            Some((format!("dpopd_{name}"), cells.get(3)?.to_string()))
        })
        .collect();
    assert!(rows.len() >= 10, "too few rows parsed: {rows:?}");
    rows
}

/// The metrics the table says a process with `store_kind` shows from the start.
fn expected_at_start(store_kind: &str) -> BTreeSet<String> {
    documented()
        .into_iter()
        .filter(|(_, at_start)| {
            at_start == "always" || at_start.split(", ").any(|kind| kind == store_kind)
        })
        .map(|(name, _)| name)
        .collect()
}

/// The metric names a scrape shows, from its `# TYPE` lines.
fn exported(scrape: &str) -> BTreeSet<String> {
    scrape
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_owned)
        .collect()
}

/// The value of the series `series` (name and labels as rendered).
fn value(scrape: &str, series: &str) -> f64 {
    metric(scrape, series).unwrap_or_else(|| panic!("no {series} in\n{scrape}"))
}

/// The `api` label values of the request duration histogram.
fn duration_labels(scrape: &str) -> BTreeSet<String> {
    scrape
        .lines()
        .filter_map(|l| l.strip_prefix("dpopd_request_duration_seconds_count{api=\""))
        .filter_map(|l| l.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn assert_first_scrape_is_complete(scrape: &str, store_kind: &str) {
    let exported = exported(scrape);
    let missing: Vec<_> = expected_at_start(store_kind)
        .into_iter()
        .filter(|name| !exported.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "missing at start: {missing:?}\n{scrape}"
    );
    let documented: BTreeSet<String> = documented().into_iter().map(|(name, _)| name).collect();
    let undocumented: Vec<_> = exported.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/operations.md: {undocumented:?}"
    );
    for name in &exported {
        assert!(
            scrape.contains(&format!("# HELP {name} ")),
            "{name} has no HELP line"
        );
    }
}

#[tokio::test]
async fn a_first_scrape_shows_every_documented_metric_at_zero() {
    let dpopd = Dpopd::start(Some(&Config::new(&[&key("k1")])));
    let scrape = dpopd.get("/metrics").await;
    assert_first_scrape_is_complete(&scrape, "memory");
    for api in Api::ALL {
        for action in Action::ALL {
            let series = format!(
                "dpopd_requests_total{{api=\"{}\",action=\"{}\"}}",
                api.label(),
                action.name()
            );
            assert_eq!(value(&scrape, &series), 0.0, "{series}");
        }
        let count = format!(
            "dpopd_request_duration_seconds_count{{api=\"{}\"}}",
            api.label()
        );
        assert_eq!(value(&scrape, &count), 0.0, "{count}");
    }
    assert_eq!(
        value(&scrape, "dpopd_dpop_failures_total{check=\"replay\"}"),
        0.0
    );
    assert_eq!(
        value(
            &scrape,
            "dpopd_tokens_issued_total{grant=\"client_credentials\"}"
        ),
        0.0
    );
    assert_eq!(
        value(
            &scrape,
            "dpopd_store_refusals_total{namespace=\"dpop_jti\",reason=\"full\"}"
        ),
        0.0
    );
    assert_eq!(value(&scrape, "dpopd_proof_iat_offset_seconds_count"), 0.0);
    assert_eq!(
        value(
            &scrape,
            "dpopd_request_duration_seconds_bucket{api=\"token\",le=\"0.0001\"}"
        ),
        0.0
    );
    // Only the durable store journals, only Redis fails.
    assert!(!exported(&scrape).contains("dpopd_store_fsync_seconds"));
    assert!(!exported(&scrape).contains("dpopd_store_errors_total"));
}

#[tokio::test]
async fn a_durable_store_shows_its_journal_metrics_from_the_start() {
    let data_dir = std::env::temp_dir().join(format!(
        "dpopd-metrics-{}-{}",
        std::process::id(),
        random_b64(6)
    ));
    let mut config = Config::new(&[&key("k1")]);
    config.store = format!("kind = \"durable\"\ndata_dir = \"{}\"", data_dir.display());
    let dpopd = Dpopd::start(Some(&config));
    let scrape = dpopd.get("/metrics").await;
    drop(dpopd);
    let _ = std::fs::remove_dir_all(&data_dir);
    assert_first_scrape_is_complete(&scrape, "durable");
    assert_eq!(value(&scrape, "dpopd_store_fsync_seconds_count"), 0.0);
    assert_eq!(
        value(&scrape, "dpopd_store_errors_total{op=\"journal\"}"),
        0.0
    );
}

#[tokio::test]
async fn a_token_call_is_timed_and_counted_once_under_its_api() {
    let dpopd = Dpopd::start(Some(&Config::new(&[&key("k1")])));
    let answer = dpopd.token(CONFIDENTIAL, None).await;
    assert_eq!(answer["action"], "OK", "{answer}");
    let scrape = dpopd.get("/metrics").await;
    assert_eq!(
        value(
            &scrape,
            "dpopd_request_duration_seconds_count{api=\"token\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &scrape,
            "dpopd_request_duration_seconds_bucket{api=\"token\",le=\"+Inf\"}"
        ),
        1.0
    );
    assert!(value(&scrape, "dpopd_request_duration_seconds_sum{api=\"token\"}") > 0.0);
    assert_eq!(
        value(&scrape, "dpopd_requests_total{api=\"token\",action=\"OK\"}"),
        1.0
    );
    assert_eq!(
        value(
            &scrape,
            "dpopd_request_duration_seconds_count{api=\"introspection\"}"
        ),
        0.0
    );
}

#[tokio::test]
async fn an_unmatched_path_is_timed_as_other_and_adds_no_label_value() {
    let dpopd = Dpopd::start(Some(&Config::new(&[&key("k1")])));
    let before = dpopd.get("/metrics").await;
    let labels = duration_labels(&before);
    let mut known: BTreeSet<String> = Api::ALL.iter().map(|a| a.label().to_owned()).collect();
    known.insert("other".into());
    assert_eq!(labels, known);

    let unmatched = "/no/such/path-4f1c";
    let status = reqwest::get(format!("{}{unmatched}", dpopd.address))
        .await
        .expect("request sent")
        .status();
    assert_eq!(status, 404);
    let after = dpopd.get("/metrics").await;
    assert_eq!(duration_labels(&after), known);
    assert!(!after.contains("4f1c"), "the path became a label:\n{after}");
    // The first scrape and the unmatched request: each recorded before its answer was sent.
    assert_eq!(
        value(
            &after,
            "dpopd_request_duration_seconds_count{api=\"other\"}"
        ) - value(
            &before,
            "dpopd_request_duration_seconds_count{api=\"other\"}"
        ),
        2.0
    );
}
