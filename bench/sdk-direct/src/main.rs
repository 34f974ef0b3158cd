//! The same operations as bench/bench_c.c and bench/bench_logs.c, called on opentelemetry_sdk
//! directly from Rust: metrics with the same reader (one cumulative ManualReader), logs through
//! the SDK's BatchLogProcessor into an exporter that counts and discards.
//! Prints "<operation> <ns/op>"; with the arguments `paced RATE SECONDS`, emits log records at
//! RATE per second (in chunks of 64, sleeping until each is due) and prints "emitted N dropped D";
//! with `collect SERIES ENCODING` and `overflow`, the same as bench/bench_collect.c.

use opentelemetry::logs::{AnyValue, LogRecord, Logger, LoggerProvider, Severity};
use opentelemetry::metrics::MeterProvider;
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

mod collect;

/// Counts the records it is given, and writes nothing.
#[derive(Debug, Clone, Default)]
struct Discard(Arc<AtomicU64>);

impl LogExporter for Discard {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        self.0
            .fetch_add(batch.iter().count() as u64, Ordering::Relaxed);
        Ok(())
    }
}

fn log_provider() -> (SdkLoggerProvider, Arc<AtomicU64>) {
    let exporter = Discard::default();
    let exported = Arc::clone(&exporter.0);
    (
        SdkLoggerProvider::builder()
            .with_batch_exporter(exporter)
            .build(),
        exported,
    )
}

fn emit_one(logger: &impl Logger, k: &[String; 3], v: &[String; 3]) {
    let mut r = logger.create_log_record();
    r.set_severity_number(Severity::Info);
    r.set_severity_text("INFO");
    r.set_body(AnyValue::String(String::from("request served").into()));
    r.add_attributes([
        (k[0].clone(), AnyValue::String(v[0].clone().into())),
        (k[1].clone(), AnyValue::String(v[1].clone().into())),
        (k[2].clone(), AnyValue::String(v[2].clone().into())),
    ]);
    logger.emit(r);
}

fn log_names() -> ([String; 3], [String; 3]) {
    (
        [
            "http.route".into(),
            "http.request.method".into(),
            "http.response.status_code".into(),
        ],
        ["/users/{id}".into(), "GET".into(), "200".into()],
    )
}

fn paced(rate: f64, seconds: f64) {
    let (provider, exported) = log_provider();
    let logger = provider.logger("bench");
    let (k, v) = log_names();
    let total = (rate * seconds) as u64;
    let start = Instant::now();
    for i in 0..total {
        if i % 64 == 0 {
            // Sleep until this chunk is due, as a program with other work would.
            let due = std::time::Duration::from_secs_f64(i as f64 / rate);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        emit_one(&logger, &k, &v);
    }
    provider.force_flush().ok();
    let done = exported.load(Ordering::Relaxed);
    println!("emitted {total} dropped {}", total - done);
    provider.shutdown().ok();
}

const ROUNDS: usize = 7;
const OPS: u64 = 2_000_000;

fn bench(label: &str, mut body: impl FnMut(u64)) {
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..OPS {
                body(black_box(i));
            }
            start.elapsed().as_nanos() as f64 / OPS as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    println!("{label} {:.1}", rounds[ROUNDS / 2]);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "collect" {
        collect::collect(args[2].parse().unwrap_or(1000), &args[3]);
        return;
    }
    if args.len() == 2 && args[1] == "overflow" {
        collect::overflow();
        return;
    }
    if args.len() == 4 && args[1] == "paced" {
        paced(
            args[2].parse().unwrap_or(1e6),
            args[3].parse().unwrap_or(1.0),
        );
        return;
    }
    let provider = SdkMeterProvider::builder()
        .with_reader(ManualReader::builder().build())
        .build();
    let meter = provider.meter("bench");
    let counter = meter.u64_counter("bench.counter").build();
    let histogram = meter
        .f64_histogram("bench.histogram")
        .with_unit("s")
        .build();
    // Owned strings, as a binding must build them from a caller's buffers.
    let (k1, v1) = (String::from("http.route"), String::from("/users/{id}"));
    let (k2, v2) = (String::from("http.request.method"), String::from("GET"));
    let (k3, v3) = (
        String::from("http.response.status_code"),
        String::from("200"),
    );
    let owned = || {
        [
            KeyValue::new(k1.clone(), v1.clone()),
            KeyValue::new(k2.clone(), v2.clone()),
            KeyValue::new(k3.clone(), v3.clone()),
        ]
    };
    let prepared = owned();
    let bound_counter = counter.bind(&prepared);
    let bound_histogram = histogram.bind(&prepared);

    bench("counter_add_3_attrs_by_array", |_| counter.add(1, &owned()));
    bench("counter_add_3_attrs_set", |_| counter.add(1, &prepared));
    bench("counter_add_bound", |_| bound_counter.add(1));
    bench("histogram_record_set", |i| {
        histogram.record((i & 1023) as f64 * 0.001, &prepared)
    });
    bench("histogram_record_bound", |i| {
        bound_histogram.record((i & 1023) as f64 * 0.001)
    });
    bench("counter_add_0_attrs", |_| counter.add(1, &[]));
    provider.shutdown().ok();

    let (logs, _) = log_provider();
    let logger = logs.logger("bench");
    let (k, v) = log_names();
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..200_000 {
                emit_one(&logger, &k, &v);
            }
            start.elapsed().as_nanos() as f64 / 200_000.0
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    println!("log_emit_3_attrs {:.1}", rounds[ROUNDS / 2]);
    logs.shutdown().ok();
}
