//! Recording through a bound instrument must not allocate (nor, therefore, build or sort an
//! attribute list): counted with a global allocator that counts this thread's allocations.

use otelrs_core::metrics::{InstrumentDesc, InstrumentKind, Number, NumberKind};
use otelrs_core::{AttributeSet, Config, KeyValue, Sdk};
use std::time::Duration;

mod common;

use common::{allocations, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn bound_recording_does_not_allocate() {
    let mut config = Config::new();
    config.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
    let sdk = Sdk::new(&config).unwrap();
    let meter = sdk.meter("alloc", None).unwrap();
    let set = AttributeSet::new(vec![
        KeyValue::new("http.route", "/users/{id}"),
        KeyValue::new("http.request.method", "GET"),
        KeyValue::new("http.response.status_code", 200),
    ])
    .unwrap();
    for (kind, number, value) in [
        (InstrumentKind::Counter, NumberKind::U64, Number::U64(1)),
        (
            InstrumentKind::UpDownCounter,
            NumberKind::I64,
            Number::I64(-1),
        ),
        (
            InstrumentKind::Histogram,
            NumberKind::F64,
            Number::F64(0.25),
        ),
        (InstrumentKind::Gauge, NumberKind::F64, Number::F64(3.5)),
    ] {
        let name = format!("alloc.{}", kind.name().replace([' ', '-'], "_"));
        let bound = meter
            .instrument(InstrumentDesc::new(kind, number, &name))
            .unwrap()
            .bind(&set)
            .unwrap();
        bound.record(value).unwrap(); // the first recording may create the series
        let before = allocations();
        for _ in 0..10_000 {
            bound.record(value).unwrap();
        }
        assert_eq!(
            allocations() - before,
            0,
            "{name}: recording through a bound instrument allocated"
        );
    }
    sdk.shutdown(Duration::from_secs(1)).unwrap();
}
