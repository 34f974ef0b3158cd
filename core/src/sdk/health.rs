//! The health report of one SDK, over both signals' exporters, and the timing of their
//! exports.

use super::SdkShared;
use crate::config::resource;
use crate::config::Settings;
use crate::export::health::{self, Status};
use crate::logs::LogPipeline;
use crate::metrics::pipeline::Pipeline;
use opentelemetry::InstrumentationScope;
use std::sync::Arc;

/// The health report as JSON (see [`crate::Sdk::health_json`]), and its overall status.
pub(super) fn report(shared: &SdkShared) -> (Status, String) {
    let metrics = shared.metrics.exporter_health();
    let logs = shared.logs();
    let mut stopped = Vec::new();
    let shut_down = shared.life.is_shut_down();
    if !shut_down {
        if shared.metrics.thread_stopped() {
            stopped.push("otelrs-metrics");
        }
        if logs.is_some_and(|l| l.thread_stopped()) {
            stopped.push("otelrs-logs");
        }
    }
    let queue = logs.map(|l| l.queue_state());
    let log_exporters = shared.logs.exporter_health();
    let entries = metrics
        .iter()
        .map(|h| (h.as_ref(), None))
        .chain(log_exporters.iter().map(|h| (h.as_ref(), queue)));
    // One shape whatever is configured: the log counts are there (all 0 without logs).
    let log_counts = serde_json::Value::Object(
        shared
            .log_stats()
            .fields()
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
    );
    health::report(
        entries,
        log_counts,
        shared.life.refused(),
        &stopped,
        shut_down,
        shared.watch.findings(),
    )
}

/// Times every exporter's exports (and scrapes) into `otel.sdk.exporter.operation.duration`,
/// when the `sdk` metrics are on.
pub(super) fn time_exports(
    settings: &Settings,
    pipeline: &Pipeline,
    logs: Option<&Arc<LogPipeline>>,
) {
    if !settings.system_metrics.sdk {
        return;
    }
    let scope = InstrumentationScope::builder("otelrs")
        .with_version(resource::VERSION)
        .build();
    let histogram = pipeline
        .meter(&scope)
        .f64_histogram("otel.sdk.exporter.operation.duration")
        .with_unit("s")
        .with_description("Duration of each export, failed ones with error.type")
        .with_boundaries(vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            30.0,
        ])
        .build();
    let log_exporters = logs.map(|l| l.health().to_vec()).unwrap_or_default();
    for h in pipeline.health().iter().chain(&log_exporters) {
        h.time_with(histogram.clone());
    }
}
