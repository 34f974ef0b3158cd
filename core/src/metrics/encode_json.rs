//! A collection as the OTLP JSON of an `ExportMetricsServiceRequest`, written straight from
//! the SDK's data: the JSON `serde_json` gives for `ExportMetricsServiceRequest::from(&rm)`
//! (opentelemetry-proto's field names, 64-bit integers as strings, trace ids in hex), without
//! building the request's strings and vectors first. The companion of [`super::encode`],
//! which writes the protobuf form; both write otelrs's exemplars in place.

use super::encode::{nanos, temporality, Number};
use super::exemplars::{Lookup, MetricExemplars};
use crate::export::values::write_str;
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_proto::tonic::metrics::v1 as proto;
use opentelemetry_sdk::metrics::data::{
    AggregatedMetrics, Exemplar, ExponentialBucket, Metric, MetricData, ResourceMetrics,
    ScopeMetrics,
};
use opentelemetry_sdk::metrics::Temporality;

/// The size of the last request written here, the first guess of the next one's.
static LAST_LEN: crate::export::SizeHint = crate::export::SizeHint::new();

/// `rm` as one OTLP JSON request, with otelrs's exemplars from `exemplars` in place of the
/// SDK's on the metrics it has reservoirs for.
pub(crate) fn request(rm: &ResourceMetrics, exemplars: Option<&Lookup>) -> Vec<u8> {
    let mut b = Vec::with_capacity(LAST_LEN.first_guess());
    b.extend_from_slice(br#"{"resourceMetrics":[{"resource":{"attributes":"#);
    attributes(&mut b, rm.resource().iter().map(|(k, v)| (k.as_str(), v)));
    b.extend_from_slice(br#","droppedAttributesCount":0,"entityRefs":[]},"scopeMetrics":["#);
    for (i, sm) in rm.scope_metrics().enumerate() {
        comma(&mut b, i);
        scope_metrics(&mut b, sm, exemplars);
    }
    b.extend_from_slice(br#"],"schemaUrl":"#);
    write_str(&mut b, rm.resource().schema_url().unwrap_or_default());
    b.extend_from_slice(b"}]}");
    LAST_LEN.keep(b.len());
    b
}

/// An empty request, as a disabled SDK collects.
pub(crate) fn empty() -> &'static str {
    r#"{"resourceMetrics":[]}"#
}

fn comma(b: &mut Vec<u8>, i: usize) {
    if i > 0 {
        b.push(b',');
    }
}

fn scope_metrics(b: &mut Vec<u8>, sm: &ScopeMetrics, exemplars: Option<&Lookup>) {
    let scope = sm.scope();
    b.extend_from_slice(br#"{"scope":{"name":"#);
    write_str(b, scope.name());
    b.extend_from_slice(br#","version":"#);
    write_str(b, scope.version().unwrap_or_default());
    b.extend_from_slice(br#","attributes":"#);
    attributes(b, scope.attributes().map(|kv| (kv.key.as_str(), &kv.value)));
    b.extend_from_slice(br#","droppedAttributesCount":0},"metrics":["#);
    for (i, m) in sm.metrics().enumerate() {
        comma(b, i);
        let ex = exemplars.and_then(|l| l.metric_of(scope, m.name()));
        metric(b, m, ex.as_ref());
    }
    b.extend_from_slice(br#"],"schemaUrl":"#);
    write_str(b, scope.schema_url().unwrap_or_default());
    b.push(b'}');
}

fn metric(b: &mut Vec<u8>, m: &Metric, ex: Option<&MetricExemplars<'_>>) {
    b.extend_from_slice(br#"{"name":"#);
    write_str(b, m.name());
    b.extend_from_slice(br#","description":"#);
    write_str(b, m.description());
    b.extend_from_slice(br#","unit":"#);
    write_str(b, m.unit());
    b.extend_from_slice(br#","metadata":[],"#);
    match m.data() {
        AggregatedMetrics::F64(d) => data(b, d, ex),
        AggregatedMetrics::U64(d) => data(b, d, ex),
        AggregatedMetrics::I64(d) => data(b, d, ex),
    }
    b.push(b'}');
}

fn data<T: Number>(b: &mut Vec<u8>, d: &MetricData<T>, ex: Option<&MetricExemplars<'_>>) {
    match d {
        MetricData::Gauge(g) => {
            let start = g.start_time().map(nanos).unwrap_or_default();
            let time = nanos(g.time());
            b.extend_from_slice(br#""gauge":{"dataPoints":["#);
            for (i, dp) in g.data_points().enumerate() {
                comma(b, i);
                let attrs = || dp.attributes();
                number_point(b, ex, attrs, (start, time), dp.value(), dp.exemplars());
            }
            b.extend_from_slice(b"]}");
        }
        MetricData::Sum(s) => {
            let (start, time) = (nanos(s.start_time()), nanos(s.time()));
            b.extend_from_slice(br#""sum":{"dataPoints":["#);
            for (i, dp) in s.data_points().enumerate() {
                comma(b, i);
                let attrs = || dp.attributes();
                number_point(b, ex, attrs, (start, time), dp.value(), dp.exemplars());
            }
            end_points(b, s.temporality());
            b.extend_from_slice(br#","isMonotonic":"#);
            b.extend_from_slice(if s.is_monotonic() { b"true" } else { b"false" });
            b.push(b'}');
        }
        MetricData::Histogram(h) => {
            let (start, time) = (nanos(h.start_time()), nanos(h.time()));
            b.extend_from_slice(br#""histogram":{"dataPoints":["#);
            for (i, dp) in h.data_points().enumerate() {
                comma(b, i);
                point_head(b, dp.attributes(), start, time);
                count_and_sum(b, dp.count(), dp.sum().as_f64());
                b.extend_from_slice(br#","bucketCounts":["#);
                for (i, c) in dp.bucket_counts().enumerate() {
                    comma(b, i);
                    int_string(b, c);
                }
                b.extend_from_slice(br#"],"explicitBounds":["#);
                for (i, bound) in dp.bounds().enumerate() {
                    comma(b, i);
                    double(b, bound);
                }
                b.push(b']');
                point_exemplars(b, ex, dp.attributes(), start, dp.exemplars());
                b.extend_from_slice(br#","flags":0"#);
                min_max(
                    b,
                    dp.min().map(Number::as_f64),
                    dp.max().map(Number::as_f64),
                );
                b.push(b'}');
            }
            end_points(b, h.temporality());
            b.push(b'}');
        }
        MetricData::ExponentialHistogram(h) => {
            let (start, time) = (nanos(h.start_time()), nanos(h.time()));
            b.extend_from_slice(br#""exponentialHistogram":{"dataPoints":["#);
            for (i, dp) in h.data_points().enumerate() {
                comma(b, i);
                point_head(b, dp.attributes(), start, time);
                count_and_sum(b, dp.count() as u64, dp.sum().as_f64());
                b.extend_from_slice(br#","scale":"#);
                int(b, dp.scale());
                b.extend_from_slice(br#","zeroCount":"#);
                int_string(b, dp.zero_count());
                b.extend_from_slice(br#","positive":"#);
                buckets(b, dp.positive_bucket());
                b.extend_from_slice(br#","negative":"#);
                buckets(b, dp.negative_bucket());
                b.extend_from_slice(br#","flags":0"#);
                point_exemplars(b, ex, dp.attributes(), start, dp.exemplars());
                min_max(
                    b,
                    dp.min().map(Number::as_f64),
                    dp.max().map(Number::as_f64),
                );
                b.extend_from_slice(br#","zeroThreshold":"#);
                double(b, dp.zero_threshold());
                b.push(b'}');
            }
            end_points(b, h.temporality());
            b.push(b'}');
        }
    }
}

/// `,"count":"...","sum":...` of a histogram point.
fn count_and_sum(b: &mut Vec<u8>, count: u64, sum: f64) {
    b.extend_from_slice(br#","count":"#);
    int_string(b, count);
    b.extend_from_slice(br#","sum":"#);
    double(b, sum);
}

/// `,"min":...,"max":...` of a histogram point (`null` when not kept).
fn min_max(b: &mut Vec<u8>, min: Option<f64>, max: Option<f64>) {
    b.extend_from_slice(br#","min":"#);
    optional_double(b, min);
    b.extend_from_slice(br#","max":"#);
    optional_double(b, max);
}

/// `],"aggregationTemporality":N`: the end of a list of points and the temporality after it.
fn end_points(b: &mut Vec<u8>, t: Temporality) {
    b.extend_from_slice(br#"],"aggregationTemporality":"#);
    int(b, temporality(t));
}

/// `{"attributes":[...],"startTimeUnixNano":"...","timeUnixNano":"..."`: what every point
/// starts with.
fn point_head<'a>(
    b: &mut Vec<u8>,
    attrs: impl Iterator<Item = &'a KeyValue>,
    start: u64,
    time: u64,
) {
    b.extend_from_slice(br#"{"attributes":"#);
    attributes(b, attrs.map(|kv| (kv.key.as_str(), &kv.value)));
    b.extend_from_slice(br#","startTimeUnixNano":"#);
    int_string(b, start);
    b.extend_from_slice(br#","timeUnixNano":"#);
    int_string(b, time);
}

/// `,"exemplars":[...]`: otelrs's when the metric has reservoirs (`ex`), else the SDK's.
fn point_exemplars<'a, T: Number + 'a>(
    b: &mut Vec<u8>,
    ex: Option<&MetricExemplars<'_>>,
    attrs: impl Iterator<Item = &'a KeyValue>,
    start: u64,
    sdk: impl Iterator<Item = &'a Exemplar<T>>,
) {
    b.extend_from_slice(br#","exemplars":["#);
    match ex {
        Some(ex) => {
            for (i, e) in ex.take_of(attrs, start).iter().enumerate() {
                comma(b, i);
                otelrs_exemplar(b, e);
            }
        }
        None => {
            for (i, e) in sdk.enumerate() {
                comma(b, i);
                sdk_exemplar(b, e);
            }
        }
    }
    b.push(b']');
}

/// A NumberDataPoint of attributes `attrs`, times `(start, time)` and `value`.
fn number_point<'a, T: Number + 'a, I: Iterator<Item = &'a KeyValue>>(
    b: &mut Vec<u8>,
    ex: Option<&MetricExemplars<'_>>,
    attrs: impl Fn() -> I,
    (start, time): (u64, u64),
    value: T,
    exemplars: impl Iterator<Item = &'a Exemplar<T>>,
) {
    point_head(b, attrs(), start, time);
    point_exemplars(b, ex, attrs(), start, exemplars);
    b.extend_from_slice(br#","flags":0,"#);
    number(b, value);
    b.push(b'}');
}

/// `"asInt":"..."` or `"asDouble":...`.
fn number<T: Number>(b: &mut Vec<u8>, value: T) {
    match value.as_int() {
        Some(v) => {
            b.extend_from_slice(br#""asInt":"#);
            int_string(b, v);
        }
        None => {
            b.extend_from_slice(br#""asDouble":"#);
            double(b, value.as_f64());
        }
    }
}

fn buckets(b: &mut Vec<u8>, bucket: &ExponentialBucket) {
    b.extend_from_slice(br#"{"offset":"#);
    int(b, bucket.offset());
    b.extend_from_slice(br#","bucketCounts":["#);
    for (i, c) in bucket.counts().enumerate() {
        comma(b, i);
        int_string(b, c);
    }
    b.extend_from_slice(b"]}");
}

fn otelrs_exemplar(b: &mut Vec<u8>, e: &proto::Exemplar) {
    // Few and rare: the generated serde code writes them.
    let _ = serde_json::to_writer(&mut *b, e);
}

fn sdk_exemplar<T: Number>(b: &mut Vec<u8>, e: &Exemplar<T>) {
    b.extend_from_slice(br#"{"filteredAttributes":"#);
    attributes(
        b,
        e.filtered_attributes()
            .map(|kv| (kv.key.as_str(), &kv.value)),
    );
    b.extend_from_slice(br#","timeUnixNano":"#);
    int_string(b, nanos(e.time()));
    b.extend_from_slice(br#","spanId":"#);
    write_str(b, &crate::export::values::hex(e.span_id()));
    b.extend_from_slice(br#","traceId":"#);
    write_str(b, &crate::export::values::hex(e.trace_id()));
    b.push(b',');
    number(b, e.value);
    b.push(b'}');
}

/// A list of `{"key":...,"value":{...}}`.
fn attributes<'a>(b: &mut Vec<u8>, attrs: impl Iterator<Item = (&'a str, &'a Value)>) {
    b.push(b'[');
    for (i, (k, v)) in attrs.enumerate() {
        comma(b, i);
        b.extend_from_slice(br#"{"key":"#);
        write_str(b, k);
        b.extend_from_slice(br#","value":"#);
        any_value(b, v);
        b.push(b'}');
    }
    b.push(b']');
}

fn any_value(b: &mut Vec<u8>, v: &Value) {
    match v {
        Value::String(s) => {
            b.extend_from_slice(br#"{"stringValue":"#);
            write_str(b, s.as_str());
        }
        Value::Bool(v) => {
            b.extend_from_slice(br#"{"boolValue":"#);
            b.extend_from_slice(if *v { b"true" } else { b"false" });
        }
        Value::I64(v) => {
            b.extend_from_slice(br#"{"intValue":"#);
            int_string(b, *v);
        }
        Value::F64(v) => {
            b.extend_from_slice(br#"{"doubleValue":"#);
            double(b, *v);
        }
        Value::Array(array) => {
            b.extend_from_slice(br#"{"arrayValue":{"values":["#);
            match array {
                Array::Bool(items) => items.iter().enumerate().for_each(|(i, v)| {
                    comma(b, i);
                    any_value(b, &Value::Bool(*v));
                }),
                Array::I64(items) => items.iter().enumerate().for_each(|(i, v)| {
                    comma(b, i);
                    any_value(b, &Value::I64(*v));
                }),
                Array::F64(items) => items.iter().enumerate().for_each(|(i, v)| {
                    comma(b, i);
                    any_value(b, &Value::F64(*v));
                }),
                Array::String(items) => items.iter().enumerate().for_each(|(i, v)| {
                    comma(b, i);
                    b.extend_from_slice(br#"{"stringValue":"#);
                    write_str(b, v.as_str());
                    b.push(b'}');
                }),
                // A kind of array a later SDK adds: an empty array.
                _ => {}
            }
            b.extend_from_slice(b"]}");
        }
        // A kind of value a later SDK adds: an empty value.
        _ => b.push(b'{'),
    }
    b.push(b'}');
}

/// An integer as JSON writes it.
fn int(b: &mut Vec<u8>, v: impl serde::Serialize) {
    let _ = serde_json::to_writer(&mut *b, &v);
}

/// A 64-bit integer as the proto3 JSON mapping writes it: a string.
fn int_string(b: &mut Vec<u8>, v: impl serde::Serialize) {
    b.push(b'"');
    int(b, v);
    b.push(b'"');
}

/// A double as `serde_json` writes it (`null` when not finite).
fn double(b: &mut Vec<u8>, v: f64) {
    let _ = serde_json::to_writer(&mut *b, &v);
}

fn optional_double(b: &mut Vec<u8>, v: Option<f64>) {
    match v {
        Some(v) => double(b, v),
        None => b.extend_from_slice(b"null"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::metrics::encode::tests::collect;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;

    #[test]
    fn the_same_json_as_the_sdks_conversion() {
        for temporality in [Temporality::Cumulative, Temporality::Delta] {
            let rm = collect(temporality);
            let expected = serde_json::to_value(ExportMetricsServiceRequest::from(&rm)).unwrap();
            let written = request(&rm, None);
            let got: serde_json::Value = serde_json::from_slice(&written).unwrap();
            assert_eq!(got, expected);
            // In the generated code's order of fields too.
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&ExportMetricsServiceRequest::from(&rm)).unwrap()
            );
        }
    }
}
