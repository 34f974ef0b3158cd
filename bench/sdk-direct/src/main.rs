//! The same operations as bench/bench_c.c, called on opentelemetry_sdk directly from Rust,
//! with the same reader (one cumulative ManualReader). Prints "<operation> <ns/op>".

use opentelemetry::metrics::MeterProvider;
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};
use std::hint::black_box;
use std::time::Instant;

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
}
