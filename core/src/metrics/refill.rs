//! A collection as an `ExportMetricsServiceRequest`, written into the request of an earlier
//! collection: what `ExportMetricsServiceRequest::from(&rm)` gives, with the strings and
//! vectors of the earlier request reused, so that a collection of series seen before
//! allocates next to nothing (the conversion otherwise allocates two strings per attribute
//! of every point, which cost more than the collection itself). The Prometheus endpoint's
//! scrapes, which read the request, go this way.

use opentelemetry::{KeyValue, Value};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue as ProtoKeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point, Exemplar,
    NumberDataPoint, ResourceMetrics as ProtoResourceMetrics,
};
use opentelemetry_sdk::metrics::data::{
    self as sdk, AggregatedMetrics, MetricData, ResourceMetrics,
};

use super::encode::{nanos, temporality, Number};

/// Makes `request` what `ExportMetricsServiceRequest::from(rm)` is, reusing what it holds.
pub(crate) fn refill(request: &mut ExportMetricsServiceRequest, rm: &ResourceMetrics) {
    request
        .resource_metrics
        .resize_with(1, ProtoResourceMetrics::default);
    let out = &mut request.resource_metrics[0];
    out.resource = Some(rm.resource().into());
    set(
        &mut out.schema_url,
        rm.resource().schema_url().unwrap_or_default(),
    );
    fill(&mut out.scope_metrics, rm.scope_metrics(), |o, sm| {
        o.scope = Some((sm.scope(), None).into());
        set(
            &mut o.schema_url,
            sm.scope().schema_url().unwrap_or_default(),
        );
        fill(&mut o.metrics, sm.metrics(), |om, m| {
            set(&mut om.name, m.name());
            set(&mut om.description, m.description());
            set(&mut om.unit, m.unit());
            om.metadata.clear();
            match m.data() {
                AggregatedMetrics::F64(d) => data(&mut om.data, d),
                AggregatedMetrics::U64(d) => data(&mut om.data, d),
                AggregatedMetrics::I64(d) => data(&mut om.data, d),
            }
        });
    });
}

/// Makes `out` hold one element per item, each written by `write` over the element an
/// earlier collection left in its place (or a new one).
fn fill<T: Default, I>(
    out: &mut Vec<T>,
    items: impl Iterator<Item = I>,
    mut write: impl FnMut(&mut T, I),
) {
    let mut n = 0;
    for item in items {
        if n == out.len() {
            out.push(T::default());
        }
        write(&mut out[n], item);
        n += 1;
    }
    out.truncate(n);
}

/// `s` made `value`, in its own buffer.
fn set(s: &mut String, value: &str) {
    s.clear();
    s.push_str(value);
}

/// The data in `$out` as `$variant`, made anew (empty) when it held another kind.
macro_rules! kept {
    ($out:expr, $variant:path) => {{
        if !matches!($out, Some($variant(_))) {
            *$out = Some($variant(Default::default()));
        }
        match $out {
            Some($variant(o)) => o,
            _ => return,
        }
    }};
}

/// The data of a metric, kept when it is of the same kind.
fn data<T: Number>(out: &mut Option<Data>, d: &MetricData<T>)
where
    for<'a> Exemplar: From<&'a sdk::Exemplar<T>>,
{
    match d {
        MetricData::Gauge(g) => {
            let o = kept!(out, Data::Gauge);
            let start = g.start_time().map(nanos).unwrap_or_default();
            let time = nanos(g.time());
            fill(&mut o.data_points, g.data_points(), |op, dp| {
                number_point(op, dp.attributes(), start, time, dp.value(), dp.exemplars());
            });
        }
        MetricData::Sum(s) => {
            let o = kept!(out, Data::Sum);
            let (start, time) = (nanos(s.start_time()), nanos(s.time()));
            fill(&mut o.data_points, s.data_points(), |op, dp| {
                number_point(op, dp.attributes(), start, time, dp.value(), dp.exemplars());
            });
            o.aggregation_temporality = temporality(s.temporality()) as i32;
            o.is_monotonic = s.is_monotonic();
        }
        MetricData::Histogram(h) => {
            let o = kept!(out, Data::Histogram);
            let (start, time) = (nanos(h.start_time()), nanos(h.time()));
            fill(&mut o.data_points, h.data_points(), |op, dp| {
                attributes(&mut op.attributes, dp.attributes());
                op.start_time_unix_nano = start;
                op.time_unix_nano = time;
                op.count = dp.count();
                op.sum = Some(dp.sum().as_f64());
                op.bucket_counts.clear();
                op.bucket_counts.extend(dp.bucket_counts());
                op.explicit_bounds.clear();
                op.explicit_bounds.extend(dp.bounds());
                exemplars(&mut op.exemplars, dp.exemplars());
                op.flags = 0;
                op.min = dp.min().map(Number::as_f64);
                op.max = dp.max().map(Number::as_f64);
            });
            o.aggregation_temporality = temporality(h.temporality()) as i32;
        }
        MetricData::ExponentialHistogram(h) => {
            let o = kept!(out, Data::ExponentialHistogram);
            let (start, time) = (nanos(h.start_time()), nanos(h.time()));
            fill(&mut o.data_points, h.data_points(), |op, dp| {
                attributes(&mut op.attributes, dp.attributes());
                op.start_time_unix_nano = start;
                op.time_unix_nano = time;
                op.count = dp.count() as u64;
                op.sum = Some(dp.sum().as_f64());
                op.scale = i32::from(dp.scale());
                op.zero_count = dp.zero_count();
                buckets(&mut op.positive, dp.positive_bucket());
                buckets(&mut op.negative, dp.negative_bucket());
                op.flags = 0;
                exemplars(&mut op.exemplars, dp.exemplars());
                op.min = dp.min().map(Number::as_f64);
                op.max = dp.max().map(Number::as_f64);
                op.zero_threshold = dp.zero_threshold();
            });
            o.aggregation_temporality = temporality(h.temporality()) as i32;
        }
    }
}

fn number_point<'a, T: Number + 'a>(
    op: &mut NumberDataPoint,
    attrs: impl Iterator<Item = &'a KeyValue>,
    start: u64,
    time: u64,
    value: T,
    sdk_exemplars: impl Iterator<Item = &'a sdk::Exemplar<T>>,
) where
    for<'b> Exemplar: From<&'b sdk::Exemplar<T>>,
{
    attributes(&mut op.attributes, attrs);
    op.start_time_unix_nano = start;
    op.time_unix_nano = time;
    exemplars(&mut op.exemplars, sdk_exemplars);
    op.flags = 0;
    op.value = Some(match value.as_int() {
        Some(v) => number_data_point::Value::AsInt(v),
        None => number_data_point::Value::AsDouble(value.as_f64()),
    });
}

fn exemplars<'a, T: 'a>(out: &mut Vec<Exemplar>, sdk: impl Iterator<Item = &'a sdk::Exemplar<T>>)
where
    for<'b> Exemplar: From<&'b sdk::Exemplar<T>>,
{
    out.clear();
    out.extend(sdk.map(Exemplar::from));
}

fn buckets(out: &mut Option<Buckets>, bucket: &sdk::ExponentialBucket) {
    let b = out.get_or_insert_with(Buckets::default);
    b.offset = bucket.offset();
    b.bucket_counts.clear();
    b.bucket_counts.extend(bucket.counts());
}

/// A point's attributes, each key and string value written into the earlier one's buffer.
fn attributes<'a>(out: &mut Vec<ProtoKeyValue>, attrs: impl Iterator<Item = &'a KeyValue>) {
    fill(out, attrs, |o, kv| {
        set(&mut o.key, kv.key.as_str());
        o.key_strindex = 0;
        match (&kv.value, &mut o.value) {
            (
                Value::String(v),
                Some(AnyValue {
                    value: Some(any_value::Value::StringValue(s)),
                }),
            ) => set(s, v.as_str()),
            (v, o) => *o = Some(AnyValue::from(v.clone())),
        }
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::metrics::encode::tests::collect;
    use opentelemetry_sdk::metrics::Temporality;

    #[test]
    fn the_same_request_as_the_sdks_conversion_over_any_earlier_one() {
        let (cumulative, delta) = (
            collect(Temporality::Cumulative),
            collect(Temporality::Delta),
        );
        let mut request = ExportMetricsServiceRequest::default();
        for rm in [
            &cumulative,
            &delta,
            &cumulative,
            &ResourceMetrics::default(),
            &delta,
        ] {
            refill(&mut request, rm);
            assert_eq!(request, ExportMetricsServiceRequest::from(rm));
        }
        // An earlier request of other shapes: metrics of other kinds in the same places,
        // points with more and fewer attributes, values of other types.
        let mut other = ExportMetricsServiceRequest::from(&delta);
        for sm in &mut other.resource_metrics[0].scope_metrics {
            sm.metrics.reverse();
            sm.metrics
                .push(opentelemetry_proto::tonic::metrics::v1::Metric::default());
        }
        refill(&mut other, &cumulative);
        assert_eq!(other, ExportMetricsServiceRequest::from(&cumulative));
    }
}
