//! A collection encoded as OTLP (JSON and protobuf) allocates per series only what the SDK's
//! own collection does: the encodings write straight from the SDK's data into one growing
//! buffer. Counted with a global allocator that counts each thread's allocations, against a
//! plain SDK pipeline with the same series in the same test.

#![allow(clippy::unwrap_used)]

use opentelemetry::metrics::MeterProvider;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};
use otelrs_core::metrics::{InstrumentDesc, InstrumentKind, Number, NumberKind};
use otelrs_core::{Config, ExportFn, ExportFormat, ExportResult, KeyValue, Sdk};
use prost::Message;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

use common::{allocations, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The attributes of series `i`: owned strings, as a binding converts them.
fn series(i: usize) -> Vec<KeyValue> {
    vec![
        KeyValue::new("http.request.method", String::from("GET")),
        KeyValue::new("http.route", format!("/route/{i}")),
        KeyValue::new("http.response.status_code", String::from("200")),
    ]
}

/// Allocations of one otelrs collection of `n` counter series encoded as OTLP JSON
/// (`collect_json`, on this thread).
fn otelrs_json(n: usize) -> usize {
    let sdk = otelrs_sdk(n, "memory", Config::new());
    let first = sdk.collect_json().unwrap();
    assert!(
        first.matches("/route/").count() == n,
        "every series is collected"
    );
    let before = allocations();
    drop(sdk.collect_json().unwrap());
    let spent = allocations() - before;
    sdk.shutdown(Duration::from_secs(1)).unwrap();
    spent
}

/// Allocations of one otelrs export of `n` counter series encoded as OTLP protobuf: a flush
/// through an exporter that reads the count of its own thread, the collection thread's,
/// at each export.
fn otelrs_protobuf(n: usize) -> usize {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut config = Config::new();
    let told = Arc::clone(&seen);
    let export: ExportFn = Box::new(move |batch| {
        let at_export = allocations();
        let request = ExportMetricsServiceRequest::decode(batch).unwrap();
        let points = request.resource_metrics.len();
        told.lock()
            .unwrap()
            .push((at_export, points, allocations()));
        ExportResult::Success
    });
    config
        .add_metric_exporter("count", ExportFormat::Protobuf, export)
        .unwrap();
    let sdk = otelrs_sdk(n, "none", config);
    for _ in 0..2 {
        sdk.force_flush(Duration::from_secs(10)).unwrap();
    }
    sdk.shutdown(Duration::from_secs(1)).unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 2 && seen[0].1 == 1, "two exports: {seen:?}");
    // From the end of the first export to the start of the second: one collection, its
    // encoding and the flush's own messages.
    seen[1].0 - seen[0].2
}

/// An SDK with `n` counter series recorded, exporting to `exporter`.
fn otelrs_sdk(n: usize, exporter: &str, mut config: Config) -> Sdk {
    config.set("OTEL_METRICS_EXPORTER", exporter).unwrap();
    config
        .set("OTELRS_METRICS_CARDINALITY_LIMIT", &(n + 10).to_string())
        .unwrap();
    let sdk = Sdk::new(&config).unwrap();
    let counter = sdk
        .meter("alloc", None)
        .unwrap()
        .instrument(InstrumentDesc::new(
            InstrumentKind::Counter,
            NumberKind::U64,
            "requests",
        ))
        .unwrap();
    for i in 0..n {
        counter.record(Number::U64(1), &series(i)).unwrap();
    }
    sdk
}

/// A reader the test keeps after giving it to the provider.
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
    fn shutdown_with_timeout(&self, t: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.shutdown_with_timeout(t)
    }
    fn temporality(
        &self,
        kind: opentelemetry_sdk::metrics::InstrumentKind,
    ) -> opentelemetry_sdk::metrics::Temporality {
        self.0.temporality(kind)
    }
}

/// Allocations of the SDK's own collection of `n` counter series (no encoding).
fn sdk_collection(n: usize) -> usize {
    let reader = Shared(Arc::new(ManualReader::builder().build()));
    let limit = n + 10;
    let provider = SdkMeterProvider::builder()
        .with_reader(reader.clone())
        .with_view(move |_: &opentelemetry_sdk::metrics::Instrument| {
            opentelemetry_sdk::metrics::Stream::builder()
                .with_cardinality_limit(limit)
                .build()
                .ok()
        })
        .build();
    let counter = provider.meter("alloc").u64_counter("requests").build();
    for i in 0..n {
        counter.add(1, &series(i));
    }
    let mut rm = ResourceMetrics::default();
    reader.collect(&mut rm).unwrap();
    let before = allocations();
    let mut rm = ResourceMetrics::default();
    reader.collect(&mut rm).unwrap();
    drop(rm);
    allocations() - before
}

#[test]
fn a_collection_allocates_per_series_no_more_than_the_sdks_own() {
    let (small, large) = (1_000, 5_000);
    let per_series = |f: fn(usize) -> usize| (f(large) - f(small)) as f64 / (large - small) as f64;
    let sdk = per_series(sdk_collection);
    assert!(sdk >= 1.0, "the SDK copies each point's attributes: {sdk}");
    for (encoding, otelrs) in [
        ("JSON", per_series(otelrs_json)),
        ("protobuf", per_series(otelrs_protobuf)),
    ] {
        assert!(
            otelrs <= sdk + 0.01,
            "a collection encoded as OTLP {encoding} allocates {otelrs:.3} times per series, \
             the SDK's collection alone {sdk:.3}"
        );
    }
}
