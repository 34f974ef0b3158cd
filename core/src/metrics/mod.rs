//! Metrics: instrument definitions, the instruments themselves, the pipeline that collects
//! and exports them, and the exporters.

mod clickhouse;
pub(crate) mod console;
pub(crate) mod encode;
mod encode_json;
pub(crate) mod exemplars;
mod export;
pub mod http_server;
pub(crate) mod instrument;
mod otlp;
pub(crate) mod otlp_forms;
pub(crate) mod overflow_gate;
pub(crate) mod pipeline;
pub(crate) mod prometheus;
pub mod quantiles;
pub(crate) mod refill;
pub(crate) mod registry;
pub(crate) mod series_cache;
pub mod units;
pub(crate) mod views;

pub use http_server::{HttpServerMetrics, HttpServerRequest, HttpServerResponse};
pub use instrument::{BoundInstrument, Instrument, ObservableInstrument, ObservedType, Observer};
pub use prometheus::Exposition;
pub use registry::Meter;
pub use series_cache::SERIES_CACHE_LIMIT;

pub use crate::config::instrument::{
    check_name, InstrumentDesc, InstrumentKind, Number, NumberKind,
};

use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};

/// The data points a collection holds.
pub(crate) fn data_points(rm: &ResourceMetrics) -> u64 {
    fn count<T>(d: &MetricData<T>) -> usize {
        match d {
            MetricData::Gauge(g) => g.data_points().count(),
            MetricData::Sum(s) => s.data_points().count(),
            MetricData::Histogram(h) => h.data_points().count(),
            MetricData::ExponentialHistogram(h) => h.data_points().count(),
        }
    }
    rm.scope_metrics()
        .flat_map(|sm| sm.metrics())
        .map(|m| match m.data() {
            AggregatedMetrics::F64(d) => count(d),
            AggregatedMetrics::U64(d) => count(d),
            AggregatedMetrics::I64(d) => count(d),
        } as u64)
        .sum()
}
