//! A collection as the protobuf bytes of an OTLP `ExportMetricsServiceRequest`, written
//! straight from the SDK's data: what `ExportMetricsServiceRequest::from(&rm)` then
//! `encode_to_vec` give, without building the request's strings and vectors first (which
//! cost more than the collection itself for many series). A worker of a pre-fork server
//! sends its collections so at every scrape.
//!
//! The wire format is [`crate::export::protobuf`]'s: the bytes are the very ones prost writes.

use super::exemplars::{Lookup, MetricExemplars};
use crate::export::protobuf::{
    bytes, double_always, fixed, nested, packed_fixed, sint, string, string_always, tag, uint,
    varint, FIXED64, LEN, VARINT,
};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::metrics::data::{
    AggregatedMetrics, Exemplar, ExponentialBucket, ExponentialHistogram, Gauge, Histogram, Metric,
    MetricData, ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_sdk::metrics::Temporality;
use prost::encoding::encoded_len_varint;
use prost::Message;
use std::time::{SystemTime, UNIX_EPOCH};

/// The size of the last request written here, the first guess of the next one's.
static LAST_LEN: crate::export::SizeHint = crate::export::SizeHint::new();

/// `rm` as the protobuf bytes of an `ExportMetricsServiceRequest`, with otelrs's exemplars
/// from `exemplars` in place of the SDK's on the metrics it has reservoirs for.
pub(crate) fn request(rm: &ResourceMetrics, exemplars: Option<&Lookup>) -> Vec<u8> {
    let mut out = Vec::with_capacity(LAST_LEN.first_guess());
    nested(&mut out, 1, |b| {
        nested(b, 1, |b| {
            for (k, v) in rm.resource().iter() {
                nested(b, 1, |b| key_value(b, k.as_str(), v));
            }
        });
        for sm in rm.scope_metrics() {
            nested(b, 2, |b| scope_metrics(b, sm, exemplars));
        }
        string(b, 3, rm.resource().schema_url().unwrap_or_default());
    });
    LAST_LEN.keep(out.len());
    out
}

fn scope_metrics(b: &mut Vec<u8>, sm: &ScopeMetrics, exemplars: Option<&Lookup>) {
    let scope = sm.scope();
    nested(b, 1, |b| {
        string(b, 1, scope.name());
        string(b, 2, scope.version().unwrap_or_default());
        attributes(b, 3, scope.attributes());
    });
    for m in sm.metrics() {
        let ex = exemplars.and_then(|l| l.metric_of(scope, m.name()));
        nested(b, 2, |b| metric(b, m, ex.as_ref()));
    }
    string(b, 3, scope.schema_url().unwrap_or_default());
}

fn metric(b: &mut Vec<u8>, m: &Metric, ex: Option<&MetricExemplars<'_>>) {
    string(b, 1, m.name());
    string(b, 2, m.description());
    string(b, 3, m.unit());
    match m.data() {
        AggregatedMetrics::F64(d) => data(b, d, ex),
        AggregatedMetrics::U64(d) => data(b, d, ex),
        AggregatedMetrics::I64(d) => data(b, d, ex),
    }
}

/// A number as the OTLP data point and exemplar value: its field and wire bits.
pub(crate) trait Number: Copy {
    /// `as_double` (tag `double`) or `as_int` (tag `int`), as fixed 64 bits.
    fn field(self, double: u32, int: u32) -> (u32, u64);
    fn as_f64(self) -> f64;
    /// The value as OTLP has it: an int (None for a double).
    fn as_int(self) -> Option<i64>;
}

impl Number for f64 {
    fn field(self, double: u32, _: u32) -> (u32, u64) {
        (double, self.to_bits())
    }
    fn as_f64(self) -> f64 {
        self
    }
    fn as_int(self) -> Option<i64> {
        None
    }
}

impl Number for u64 {
    fn field(self, _: u32, int: u32) -> (u32, u64) {
        (int, self.as_int().unwrap_or_default() as u64)
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
    fn as_int(self) -> Option<i64> {
        // As the SDK's conversion: a value past i64::MAX is 0.
        Some(i64::try_from(self).unwrap_or_default())
    }
}

impl Number for i64 {
    fn field(self, _: u32, int: u32) -> (u32, u64) {
        (int, self as u64)
    }
    fn as_f64(self) -> f64 {
        self as f64
    }
    fn as_int(self) -> Option<i64> {
        Some(self)
    }
}

fn data<T: Number>(b: &mut Vec<u8>, d: &MetricData<T>, ex: Option<&MetricExemplars<'_>>) {
    match d {
        MetricData::Gauge(g) => nested(b, 5, |b| gauge(b, g, ex)),
        MetricData::Sum(s) => nested(b, 7, |b| sum(b, s, ex)),
        MetricData::Histogram(h) => nested(b, 9, |b| histogram(b, h, ex)),
        MetricData::ExponentialHistogram(h) => nested(b, 10, |b| exponential(b, h, ex)),
    }
}

/// OTLP's aggregation temporality.
pub(crate) fn temporality(t: Temporality) -> u64 {
    match t {
        Temporality::Delta => 1,
        _ => 2,
    }
}

/// The exemplars of a point in `field`: otelrs's when its metric has reservoirs (`ex`), else
/// the SDK's.
fn exemplars<'a, T: Number + 'a>(
    b: &mut Vec<u8>,
    field: u32,
    ex: Option<&MetricExemplars<'_>>,
    attrs: impl Iterator<Item = &'a KeyValue>,
    start: u64,
    sdk: impl Iterator<Item = &'a Exemplar<T>>,
) {
    match ex {
        Some(ex) => {
            for e in ex.take_of(attrs, start) {
                nested(b, field, |b| e.encode_raw(b));
            }
        }
        None => sdk.for_each(|e| nested(b, field, |b| exemplar(b, e))),
    }
}

fn gauge<T: Number>(b: &mut Vec<u8>, g: &Gauge<T>, ex: Option<&MetricExemplars<'_>>) {
    let start = g.start_time().map(nanos).unwrap_or_default();
    let time = nanos(g.time());
    for dp in g.data_points() {
        nested(b, 1, |b| {
            fixed(b, 2, start);
            fixed(b, 3, time);
            number_value(b, dp.value());
            exemplars(b, 5, ex, dp.attributes(), start, dp.exemplars());
            attributes(b, 7, dp.attributes());
        });
    }
}

fn sum<T: Number>(b: &mut Vec<u8>, s: &Sum<T>, ex: Option<&MetricExemplars<'_>>) {
    let (start, time) = (nanos(s.start_time()), nanos(s.time()));
    for dp in s.data_points() {
        nested(b, 1, |b| {
            fixed(b, 2, start);
            fixed(b, 3, time);
            number_value(b, dp.value());
            exemplars(b, 5, ex, dp.attributes(), start, dp.exemplars());
            attributes(b, 7, dp.attributes());
        });
    }
    uint(b, 2, temporality(s.temporality()));
    uint(b, 3, u64::from(s.is_monotonic()));
}

/// A number data point's value: `as_double` (4) or `as_int` (6).
fn number_value<T: Number>(b: &mut Vec<u8>, value: T) {
    let (field, bits) = value.field(4, 6);
    tag(b, field, FIXED64);
    b.extend_from_slice(&bits.to_le_bytes());
}

fn histogram<T: Number>(b: &mut Vec<u8>, h: &Histogram<T>, ex: Option<&MetricExemplars<'_>>) {
    let (start, time) = (nanos(h.start_time()), nanos(h.time()));
    for dp in h.data_points() {
        nested(b, 1, |b| {
            fixed(b, 2, start);
            fixed(b, 3, time);
            fixed(b, 4, dp.count());
            double_always(b, 5, dp.sum().as_f64());
            packed_fixed(b, 6, dp.bucket_counts());
            packed_fixed(b, 7, dp.bounds().map(f64::to_bits));
            exemplars(b, 8, ex, dp.attributes(), start, dp.exemplars());
            attributes(b, 9, dp.attributes());
            if let Some(min) = dp.min() {
                double_always(b, 11, min.as_f64());
            }
            if let Some(max) = dp.max() {
                double_always(b, 12, max.as_f64());
            }
        });
    }
    uint(b, 2, temporality(h.temporality()));
}

fn exponential<T: Number>(
    b: &mut Vec<u8>,
    h: &ExponentialHistogram<T>,
    ex: Option<&MetricExemplars<'_>>,
) {
    let (start, time) = (nanos(h.start_time()), nanos(h.time()));
    for dp in h.data_points() {
        nested(b, 1, |b| {
            attributes(b, 1, dp.attributes());
            fixed(b, 2, start);
            fixed(b, 3, time);
            fixed(b, 4, dp.count() as u64);
            double_always(b, 5, dp.sum().as_f64());
            sint(b, 6, i32::from(dp.scale()));
            fixed(b, 7, dp.zero_count());
            nested(b, 8, |b| buckets(b, dp.positive_bucket()));
            nested(b, 9, |b| buckets(b, dp.negative_bucket()));
            exemplars(b, 11, ex, dp.attributes(), start, dp.exemplars());
            if let Some(min) = dp.min() {
                double_always(b, 12, min.as_f64());
            }
            if let Some(max) = dp.max() {
                double_always(b, 13, max.as_f64());
            }
            if dp.zero_threshold() != 0.0 {
                double_always(b, 14, dp.zero_threshold());
            }
        });
    }
    uint(b, 2, temporality(h.temporality()));
}

fn buckets(b: &mut Vec<u8>, bucket: &ExponentialBucket) {
    sint(b, 1, bucket.offset());
    let mut counts = bucket.counts().peekable();
    if counts.peek().is_some() {
        nested(b, 2, |b| {
            for c in counts {
                varint(b, c);
            }
        });
    }
}

fn exemplar<T: Number>(b: &mut Vec<u8>, e: &Exemplar<T>) {
    fixed(b, 2, nanos(e.time()));
    let (field, bits) = e.value.field(3, 6);
    tag(b, field, FIXED64);
    b.extend_from_slice(&bits.to_le_bytes());
    bytes(b, 4, e.span_id());
    bytes(b, 5, e.trace_id());
    attributes(b, 7, e.filtered_attributes());
}

/// Each attribute as a KeyValue message in `field`.
fn attributes<'a>(b: &mut Vec<u8>, field: u32, attrs: impl Iterator<Item = &'a KeyValue>) {
    for kv in attrs {
        let key = kv.key.as_str();
        let Some(value_len) = scalar_len(&kv.value) else {
            nested(b, field, |b| key_value(b, key, &kv.value));
            continue;
        };
        // A scalar's lengths are known: written at once (most attributes).
        let key_len = if key.is_empty() {
            0
        } else {
            1 + encoded_len_varint(key.len() as u64) + key.len()
        };
        tag(b, field, LEN);
        varint(
            b,
            (key_len + 1 + encoded_len_varint(value_len as u64) + value_len) as u64,
        );
        string(b, 1, key);
        tag(b, 2, LEN);
        varint(b, value_len as u64);
        any_value(b, &kv.value);
    }
}

/// The length of the AnyValue of a scalar `value`; None for an array.
fn scalar_len(value: &Value) -> Option<usize> {
    match value {
        Value::String(s) => {
            Some(1 + encoded_len_varint(s.as_str().len() as u64) + s.as_str().len())
        }
        Value::Bool(_) => Some(2),
        Value::I64(v) => Some(1 + encoded_len_varint(*v as u64)),
        Value::F64(_) => Some(9),
        _ => None,
    }
}

fn key_value(b: &mut Vec<u8>, key: &str, value: &Value) {
    string(b, 1, key);
    nested(b, 2, |b| any_value(b, value));
}

fn any_value(b: &mut Vec<u8>, value: &Value) {
    match value {
        Value::String(s) => string_always(b, 1, s.as_str()),
        Value::Bool(v) => {
            tag(b, 2, VARINT);
            varint(b, u64::from(*v));
        }
        Value::I64(v) => {
            tag(b, 3, VARINT);
            varint(b, *v as u64);
        }
        Value::F64(v) => double_always(b, 4, *v),
        Value::Array(array) => nested(b, 5, |b| match array {
            Array::Bool(items) => items.iter().for_each(|v| item(b, &Value::Bool(*v))),
            Array::I64(items) => items.iter().for_each(|v| item(b, &Value::I64(*v))),
            Array::F64(items) => items.iter().for_each(|v| item(b, &Value::F64(*v))),
            Array::String(items) => items
                .iter()
                .for_each(|v| nested(b, 1, |b| string_always(b, 1, v.as_str()))),
            // A kind of array a later SDK adds: an empty array.
            _ => {}
        }),
        // A kind of value a later SDK adds: an empty value.
        _ => {}
    }
}

/// One value of an ArrayValue.
fn item(b: &mut Vec<u8>, value: &Value) {
    nested(b, 1, |b| any_value(b, value));
}

/// `t` in nanoseconds since the epoch (0 before it).
pub(crate) fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(super) mod tests {
    use super::*;
    use crate::metrics::pipeline::SharedReader;
    use opentelemetry::metrics::MeterProvider;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_sdk::metrics::reader::MetricReader;
    use opentelemetry_sdk::metrics::{Aggregation, Instrument, SdkMeterProvider, Stream};
    use opentelemetry_sdk::Resource;
    use prost::Message;

    /// What every instrument records, through a reader of `temporality`.
    pub(crate) fn collect(temporality: Temporality) -> ResourceMetrics {
        let reader = SharedReader::new(temporality);
        let provider = SdkMeterProvider::builder()
            .with_resource(
                Resource::builder_empty()
                    .with_attributes([
                        KeyValue::new("service.name", "unit"),
                        KeyValue::new("process.pid", 42i64),
                    ])
                    .with_schema_url(Vec::<KeyValue>::new(), "https://schema/1")
                    .build(),
            )
            .with_reader(reader.clone())
            .with_view(|i: &Instrument| {
                (i.name() == "exp").then(|| {
                    Stream::builder()
                        .with_aggregation(Aggregation::Base2ExponentialHistogram {
                            max_size: 160,
                            max_scale: 20,
                            record_min_max: true,
                        })
                        .build()
                        .unwrap()
                })
            })
            .build();
        let scope = opentelemetry::InstrumentationScope::builder("scope")
            .with_version("1.2")
            .with_schema_url("https://scope")
            .with_attributes([KeyValue::new("scope.attr", true)])
            .build();
        let meter = provider.meter_with_scope(scope);
        let attrs = [
            KeyValue::new("s", "text"),
            KeyValue::new("empty", ""),
            KeyValue::new("b", false),
            KeyValue::new("i", -7i64),
            KeyValue::new("f", 2.5),
            KeyValue::new(
                "as",
                Value::Array(Array::String(vec!["x".into(), "".into()])),
            ),
            KeyValue::new("ai", Value::Array(Array::I64(vec![1, -2]))),
            KeyValue::new("ab", Value::Array(Array::Bool(vec![true]))),
            KeyValue::new("af", Value::Array(Array::F64(vec![0.5]))),
            // Lengths of one, two and three bytes.
            KeyValue::new("long", "x".repeat(200)),
            KeyValue::new("longer", "y".repeat(20_000)),
        ];
        let c = meter
            .u64_counter("c")
            .with_unit("{r}")
            .with_description("d")
            .build();
        c.add(3, &attrs);
        c.add(u64::MAX, &[KeyValue::new("big", 1i64)]);
        c.add(0, &[]);
        meter.f64_counter("cf").build().add(1.5, &attrs);
        meter.i64_up_down_counter("ud").build().add(-4, &attrs);
        meter.f64_gauge("g").build().record(-0.25, &attrs);
        meter.u64_gauge("gu").build().record(0, &[]);
        let h = meter
            .f64_histogram("h")
            .with_boundaries(vec![0.0, 1.0, 10.0])
            .build();
        h.record(0.5, &attrs);
        h.record(20.0, &attrs);
        meter.u64_histogram("hu").build().record(7, &[]);
        let e = meter.f64_histogram("exp").build();
        for v in [0.0, 1.5, -3.0, 1e6, 2e-9] {
            e.record(v, &attrs);
        }
        meter
            .i64_observable_gauge("og")
            .with_callback(|o| o.observe(9, &[KeyValue::new("k", "v")]))
            .build();
        let mut rm = ResourceMetrics::default();
        reader.collect(&mut rm).unwrap();
        rm
    }

    #[test]
    fn the_same_request_as_the_sdks_conversion() {
        for temporality in [Temporality::Cumulative, Temporality::Delta] {
            let rm = collect(temporality);
            let expected = ExportMetricsServiceRequest::from(&rm);
            let bytes = request(&rm, None);
            let decoded = ExportMetricsServiceRequest::decode(bytes.as_slice()).unwrap();
            assert_eq!(decoded, expected);
            // The very bytes prost writes: canonical lengths, fields in prost's order (the
            // merge of a pre-fork scrape keys series by their attributes' bytes).
            assert!(bytes == expected.encode_to_vec());
        }
    }
}
