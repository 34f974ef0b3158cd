//! The collection side, as bench/bench_collect.c: SERIES series of one counter (three string
//! attributes, one of them distinct per series), the resident memory they take, and the time
//! of a collection encoded as an OTLP request (protobuf with prost, or JSON with serde_json);
//! and the cost of an add past the cardinality limit.

use opentelemetry::metrics::MeterProvider;
use opentelemetry::KeyValue;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{Instrument, ManualReader, SdkMeterProvider, Stream};
use prost::Message;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

/// The resident anonymous memory of this process (heap and mappings of no file), in bytes:
/// the code pages a path faults in the first time it runs are not memory the series take.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kb * 1024
}

/// A reader the benchmark keeps after giving it to the provider.
#[derive(Debug, Clone)]
struct Shared(Arc<ManualReader>);

impl MetricReader for Shared {
    fn register_pipeline(&self, p: std::sync::Weak<opentelemetry_sdk::metrics::Pipeline>) {
        self.0.register_pipeline(p)
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(
        &self,
        t: std::time::Duration,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.shutdown_with_timeout(t)
    }
    fn temporality(
        &self,
        kind: opentelemetry_sdk::metrics::InstrumentKind,
    ) -> opentelemetry_sdk::metrics::Temporality {
        self.0.temporality(kind)
    }
}

/// Prints `series_rss_bytes`, `collect_ms` (median of the rounds) and `after_rss_bytes`.
pub(crate) fn collect(series: u64, encoding: &str) {
    let reader = Shared(Arc::new(ManualReader::builder().build()));
    // The limit raised for every stream by a view, as otelrs's OTELRS_METRICS_CARDINALITY_LIMIT.
    let limit = series as usize + 10;
    let view = move |_: &Instrument| Stream::builder().with_cardinality_limit(limit).build().ok();
    let provider = SdkMeterProvider::builder()
        .with_reader(reader.clone())
        .with_view(view)
        .build();
    let meter = provider.meter("bench");
    let counter = meter.u64_counter("bench.requests").build();
    counter.add(0, &[]);
    let before = rss();
    for i in 0..series {
        counter.add(
            i + 1,
            &[
                KeyValue::new("http.route", format!("/route/{i}")),
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("http.response.status_code", "200"),
            ],
        );
    }
    let with_series = rss();
    let rounds = if series >= 100_000 { 7 } else { 21 };
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            let mut rm = ResourceMetrics::default();
            reader.collect(&mut rm).ok();
            let request = ExportMetricsServiceRequest::from(&rm);
            let len = match encoding {
                "json" => serde_json::to_vec(&request).map(|v| v.len()).unwrap_or(0),
                _ => request.encode_to_vec().len(),
            };
            black_box(len);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("series_rss_bytes {}", with_series.saturating_sub(before));
    println!("collect_ms {:.3}", times[rounds / 2]);
    println!("after_rss_bytes {}", rss().saturating_sub(before));
    provider.shutdown().ok();
}

/// Prints `add_overflow`: ns per add by owned attributes for 100,000 rotating sets, 98 % of
/// them past the default cardinality limit of 2,000 (as bench/bench_prometheus.c's).
pub(crate) fn overflow() {
    let provider = SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build();
    let counter = provider.meter("bench").u64_counter("bench.flooded").build();
    const OPS: u64 = 1_000_000;
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            for i in 0..OPS {
                let id = format!("user-{}", black_box(i) % 100_000);
                counter.add(
                    1,
                    &[
                        KeyValue::new("user.id", id),
                        KeyValue::new(String::from("region"), String::from("eu")),
                    ],
                );
            }
            start.elapsed().as_nanos() as f64 / OPS as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    println!("add_overflow {:.1}", rounds[3]);
    provider.shutdown().ok();
}
