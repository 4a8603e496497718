//! Logging (tracing, text or JSON), the process-wide Prometheus recorder and the metrics it
//! shows from the start (docs/operations.md, "Metrics"). Nothing here logs a secret, a token or
//! a proof: callers pass only identifiers and check names.
use crate::api::action::Action;
use crate::api::answer::Api;
use crate::api::request_time;
use crate::config::{LogFormat, LogSettings};
use crate::dpop::proof::Check;
use crate::oauth::access::CacheOutcome;
use crate::oauth::clients::GrantType;
use crate::store::StoreOp;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

pub fn init_logging(settings: &LogSettings) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The recorder is global to the process (the `metrics` facade has one), so every
/// application instance in a process — tests start several — shares one handle.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(
                        "dpopd_proof_iat_offset_seconds".into(),
                    ),
                    &[
                        -60.0, -30.0, -10.0, -5.0, -2.0, -1.0, 0.0, 1.0, 2.0, 5.0, 10.0, 30.0,
                    ],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full("dpopd_store_seconds".into()),
                        &[
                            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                            0.25, 1.0,
                        ],
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full(request_time::METRIC.into()),
                        &request_time::BUCKETS,
                    )
                });
            let recorder = match builder {
                Ok(b) => b.build_recorder(),
                Err(_) => PrometheusBuilder::new().build_recorder(),
            };
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            spawn_upkeep(handle.clone());
            handle
        })
        .clone()
}

/// Describes every metric dpopd exports (the `# HELP` lines, as docs/operations.md's "Metrics"
/// table) and registers the series every store kind and configuration records, each at zero:
/// a scrape before the first request shows them all, so a dashboard or an alert on a rate
/// sees 0 rather than nothing. The values of each label come from its enum. A store registers
/// its own series when it is built (`startup::build_store`), a remote key source its own, the
/// reload counter its two when `SIGHUP` is handled, and the request durations theirs when the
/// server is assembled (`api::request_time`).
pub fn register_metrics() {
    describe();
    // The recorder keeps a registered series, which renders at zero (a histogram with a zero
    // count).
    let _ = series();
}

/// The series requests record, each looked up in the recorder once. A `counter!` or
/// `histogram!` call builds its key, hashes it and finds it in the recorder's registry every
/// time, allocating the label values (about 1,000 instructions, five or six times an
/// accepted request); a handle records directly. Built on first use, after the recorder is
/// installed, and registering every series it holds.
pub struct Series {
    requests: [[Counter; Action::ALL.len()]; Api::ALL.len()],
    durations: [Histogram; Api::ALL.len() + 1],
    dpop_failures: [Counter; Check::ALL.len()],
    tokens_issued: [Counter; GrantType::ALL.len()],
    access_token_cache: [Counter; CacheOutcome::ALL.len()],
    store_calls: [Histogram; STORE_CALLS.len()],
    proof_iat_offset: Histogram,
}

/// The store calls every store kind makes (and times), in `store_calls`' order.
const STORE_CALLS: [StoreOp; 3] = [StoreOp::Insert, StoreOp::Advance, StoreOp::Lookup];

pub fn series() -> &'static Series {
    static SERIES: OnceLock<Series> = OnceLock::new();
    SERIES.get_or_init(|| {
        let _ = metrics_handle();
        Series {
            requests: Api::ALL.map(|api| {
                Action::ALL.map(|action| {
                    metrics::counter!("dpopd_requests_total", "api" => api.label(), "action" => action.name())
                })
            }),
            durations: std::array::from_fn(|i| {
                let label = Api::ALL.get(i).map_or(request_time::OTHER, |api| api.label());
                metrics::histogram!(request_time::METRIC, "api" => label)
            }),
            dpop_failures: Check::ALL
                .map(|check| metrics::counter!("dpopd_dpop_failures_total", "check" => check.label())),
            tokens_issued: GrantType::ALL
                .map(|grant| metrics::counter!("dpopd_tokens_issued_total", "grant" => grant.name())),
            access_token_cache: CacheOutcome::ALL.map(|outcome| {
                metrics::counter!("dpopd_access_token_cache_total", "outcome" => outcome.label())
            }),
            store_calls: STORE_CALLS
                .map(|op| metrics::histogram!("dpopd_store_seconds", "op" => op.label())),
            proof_iat_offset: metrics::histogram!("dpopd_proof_iat_offset_seconds"),
        }
    })
}

/// Each handle is found by the value's place in its enum's `ALL`, which lists the variants in
/// their order (checked by the tests).
impl Series {
    /// `dpopd_requests_total{api, action}`.
    pub fn request(&self, api: Api, action: Action) -> &Counter {
        &self.requests[api as usize][action as usize]
    }

    /// `dpopd_request_duration_seconds{api}`; `None` is `api="other"`.
    pub fn duration(&self, api: Option<Api>) -> &Histogram {
        &self.durations[api.map_or(Api::ALL.len(), |api| api as usize)]
    }

    /// `dpopd_dpop_failures_total{check}`.
    pub fn dpop_failure(&self, check: Check) -> &Counter {
        &self.dpop_failures[check as usize]
    }

    /// `dpopd_tokens_issued_total{grant}`.
    pub fn token_issued(&self, grant: GrantType) -> &Counter {
        &self.tokens_issued[grant as usize]
    }

    /// `dpopd_access_token_cache_total{outcome}`.
    pub fn access_token_cache(&self, outcome: CacheOutcome) -> &Counter {
        &self.access_token_cache[outcome as usize]
    }

    /// Records a store call's time under `dpopd_store_seconds{op}`.
    pub fn store_call(&self, op: StoreOp, seconds: f64) {
        match STORE_CALLS.iter().position(|&call| call == op) {
            Some(i) => self.store_calls[i].record(seconds),
            None => metrics::histogram!("dpopd_store_seconds", "op" => op.label()).record(seconds),
        }
    }

    /// `dpopd_proof_iat_offset_seconds`.
    pub fn proof_iat_offset(&self) -> &Histogram {
        &self.proof_iat_offset
    }
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!("dpopd_requests_total", "API calls by outcome");
    describe_histogram!(
        request_time::METRIC,
        "Time from a request entering dpopd to its answer being ready, by API (api=\"other\": documents, health, metrics, unmatched paths)"
    );
    describe_counter!(
        "dpopd_dpop_failures_total",
        "Refused DPoP proofs by the RFC 9449 section 4.3 check that failed"
    );
    describe_counter!("dpopd_tokens_issued_total", "Tokens issued by grant type");
    describe_histogram!(
        "dpopd_proof_iat_offset_seconds",
        "iat minus now of accepted proofs: the clients' clock drift"
    );
    describe_histogram!("dpopd_store_seconds", "Store latency by operation");
    describe_counter!(
        "dpopd_store_errors_total",
        "Redis and durable store failures by operation; each one refused a call"
    );
    describe_histogram!(
        "dpopd_store_fsync_seconds",
        "Durable store: time of each fdatasync of the journal"
    );
    describe_counter!(
        "dpopd_access_token_cache_total",
        "Introspection's cache of verified access tokens: a miss costs a signature verification"
    );
    describe_counter!(
        "dpopd_config_reloads_total",
        "Reloads of the configuration file on SIGHUP by outcome"
    );
    describe_counter!(
        "dpopd_store_refusals_total",
        "In-process store inserts refused for room, by namespace and reason; each refused a call"
    );
    describe_counter!(
        "dpopd_jwks_fetches_total",
        "Fetches of a trusted issuer's JWK Set by source and outcome"
    );
    describe_gauge!(
        "dpopd_jwks_keys",
        "Keys held for each trusted issuer's JWK Set"
    );
}

/// Histogram samples pile up in the recorder until they are drained into their buckets, which
/// only a scrape or `run_upkeep` does: without this thread an unscraped dpopd would grow by a
/// few bytes per request for ever (the exporter's own upkeep task comes only with its HTTP
/// listener, which dpopd does not use).
fn spawn_upkeep(handle: PrometheusHandle) {
    let _ = std::thread::Builder::new()
        .name("dpopd-metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_secs(5));
            handle.run_upkeep();
        });
}

#[cfg(test)]
mod tests;
