//! The collections of several processes (the workers of a pre-fork server) merged into one,
//! as one process would show them: counters and histograms summed per series; gauges and
//! up-down counters by the rule OTELRS_PROMETHEUS_GAUGE_MERGE gives them (default:
//! up-down counters summed, gauges one series per worker with its `process.pid`).
//!
//! Series are matched by scope (name and version), metric name and attributes. Exponential
//! histograms of different scales are merged at the coarser scale. What a worker that exited
//! last reported of its counters and histograms is kept in a [`Merged`] of retired workers,
//! which is bounded by the series, not by the number of workers that ever lived.

use crate::config::choices::{GaugeMerge, GaugeRule};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    self as proto, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use std::collections::{BTreeMap, HashMap};

/// The exemplars a merged point keeps at most (the latest).
const EXEMPLARS_PER_POINT: usize = 16;

/// Scope name, scope version, metric name.
type MetricKey = (String, String, String);

/// One metric being merged: its description and data, and where each series is in it.
#[derive(Clone)]
struct MetricAcc {
    scope: proto::ScopeMetrics,
    metric: proto::Metric,
    /// Series key -> index of its point in the metric's data points.
    index: Index,
}

/// Collections merged so far.
#[derive(Clone, Default)]
pub(crate) struct Merged {
    metrics: BTreeMap<MetricKey, MetricAcc>,
}

/// Writes the key of a series into `out`: its attributes (with `extra`), sorted by key,
/// encoded.
fn series_key(attrs: &[KeyValue], extra: Option<&KeyValue>, out: &mut Vec<u8>) {
    out.clear();
    if extra.is_none() && attrs.windows(2).all(|w| w[0].key <= w[1].key) {
        // Sorted already, as a process's collection is: encoded as it is.
        for kv in attrs {
            let _ = kv.encode_length_delimited(out);
        }
        return;
    }
    let mut sorted: Vec<&KeyValue> = attrs.iter().chain(extra).collect();
    if sorted.windows(2).any(|w| w[0].key > w[1].key) {
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
    }
    for kv in sorted {
        // Encoding into a Vec cannot fail.
        let _ = kv.encode_length_delimited(out);
    }
}

/// Whose collection is merged, and how.
struct Source<'a> {
    pid: u32,
    rules: &'a GaugeMerge,
    /// Only what a worker that exited leaves behind.
    retired_only: bool,
}

/// The scope of the metrics being merged.
struct Scope<'a> {
    scope: &'a Option<InstrumentationScope>,
    schema_url: &'a str,
}

/// Series key -> index of its point.
type Index = HashMap<Vec<u8>, usize, foldhash::fast::RandomState>;

/// The `process.pid` attribute of a worker's series.
pub(crate) fn pid_attribute(pid: u32) -> KeyValue {
    KeyValue {
        key: "process.pid".to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(i64::from(pid))),
        }),
        ..Default::default()
    }
}

/// What a data point needs for merging: its attributes and exemplars.
trait Point: Clone {
    fn attributes(&self) -> &[KeyValue];
    fn attributes_mut(&mut self) -> &mut Vec<KeyValue>;
    fn exemplars(&self) -> &[proto::Exemplar];
    fn exemplars_mut(&mut self) -> &mut Vec<proto::Exemplar>;
    /// The start and end of the point's time window.
    fn window(&self) -> (u64, u64);
    fn set_window(&mut self, start: u64, time: u64);
}

macro_rules! point {
    ($t:ty) => {
        impl Point for $t {
            fn attributes(&self) -> &[KeyValue] {
                &self.attributes
            }
            fn attributes_mut(&mut self) -> &mut Vec<KeyValue> {
                &mut self.attributes
            }
            fn exemplars(&self) -> &[proto::Exemplar] {
                &self.exemplars
            }
            fn exemplars_mut(&mut self) -> &mut Vec<proto::Exemplar> {
                &mut self.exemplars
            }
            fn window(&self) -> (u64, u64) {
                (self.start_time_unix_nano, self.time_unix_nano)
            }
            fn set_window(&mut self, start: u64, time: u64) {
                self.start_time_unix_nano = start;
                self.time_unix_nano = time;
            }
        }
    };
}
point!(proto::NumberDataPoint);
point!(proto::HistogramDataPoint);
point!(proto::ExponentialHistogramDataPoint);

/// What every merge of two points of one series does besides their values: the earliest
/// start, the latest time, the latest exemplars.
fn merge_common<P: Point>(into: &mut P, from: &P) {
    let ((a_start, a_time), (b_start, b_time)) = (into.window(), from.window());
    into.set_window(a_start.min(b_start), a_time.max(b_time));
    let exemplars = into.exemplars_mut();
    exemplars.extend_from_slice(from.exemplars());
    if exemplars.len() > EXEMPLARS_PER_POINT {
        exemplars.sort_by_key(|e| std::cmp::Reverse(e.time_unix_nano));
        exemplars.truncate(EXEMPLARS_PER_POINT);
    }
}

fn number(v: Option<&number_data_point::Value>) -> (Option<i64>, f64) {
    match v {
        Some(number_data_point::Value::AsInt(i)) => (Some(*i), *i as f64),
        Some(number_data_point::Value::AsDouble(d)) => (None, *d),
        None => (Some(0), 0.0),
    }
}

/// Two values combined by `int` (both integers) or `float`.
fn combine(
    a: Option<&number_data_point::Value>,
    b: Option<&number_data_point::Value>,
    int: fn(i64, i64) -> i64,
    float: fn(f64, f64) -> f64,
) -> number_data_point::Value {
    match (number(a), number(b)) {
        ((Some(x), _), (Some(y), _)) => number_data_point::Value::AsInt(int(x, y)),
        ((_, x), (_, y)) => number_data_point::Value::AsDouble(float(x, y)),
    }
}

fn merge_numbers(
    into: &mut proto::NumberDataPoint,
    from: &proto::NumberDataPoint,
    rule: GaugeRule,
) {
    type Combine = (fn(i64, i64) -> i64, fn(f64, f64) -> f64);
    let (int, float): Combine = match rule {
        GaugeRule::Max => (i64::max, f64::max),
        GaugeRule::Min => (i64::min, f64::min),
        GaugeRule::Sum | GaugeRule::PerPid => (i64::saturating_add, |a, b| a + b),
    };
    into.value = Some(combine(
        into.value.as_ref(),
        from.value.as_ref(),
        int,
        float,
    ));
    merge_common(into, from);
}

fn merge_histograms(
    into: &mut proto::HistogramDataPoint,
    from: &proto::HistogramDataPoint,
) -> bool {
    if into.explicit_bounds != from.explicit_bounds
        || into.bucket_counts.len() != from.bucket_counts.len()
    {
        return false;
    }
    for (a, b) in into.bucket_counts.iter_mut().zip(&from.bucket_counts) {
        *a += b;
    }
    Stats::of_histogram(into).add(from.count, from.sum, from.min, from.max);
    merge_common(into, from);
    true
}

/// A histogram point's count, sum, min and max.
struct Stats<'a> {
    count: &'a mut u64,
    sum: &'a mut Option<f64>,
    min: &'a mut Option<f64>,
    max: &'a mut Option<f64>,
}

impl<'a> Stats<'a> {
    fn of_histogram(p: &'a mut proto::HistogramDataPoint) -> Self {
        Stats {
            count: &mut p.count,
            sum: &mut p.sum,
            min: &mut p.min,
            max: &mut p.max,
        }
    }

    fn of_exponential(p: &'a mut proto::ExponentialHistogramDataPoint) -> Self {
        Stats {
            count: &mut p.count,
            sum: &mut p.sum,
            min: &mut p.min,
            max: &mut p.max,
        }
    }

    /// Adds another point's count and sum, keeping the smaller minimum and the larger maximum.
    fn add(self, count: u64, sum: Option<f64>, min: Option<f64>, max: Option<f64>) {
        *self.count += count;
        *self.sum = match (*self.sum, sum) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        *self.min = opt(*self.min, min, f64::min);
        *self.max = opt(*self.max, max, f64::max);
    }
}

fn opt(a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(f(a, b)),
        (a, b) => a.or(b),
    }
}

/// `buckets` at `scale` as counts by index at the coarser `target` scale.
fn rescale(buckets: Option<&Buckets>, scale: i32, target: i32, into: &mut BTreeMap<i32, u64>) {
    let Some(b) = buckets else { return };
    let shift = u32::try_from(scale - target).unwrap_or(0).min(31);
    for (i, n) in b.bucket_counts.iter().enumerate() {
        if *n > 0 {
            let index = (b.offset + i as i32) >> shift;
            *into.entry(index).or_default() += n;
        }
    }
}

fn dense(counts: &BTreeMap<i32, u64>) -> Option<Buckets> {
    let (first, _) = counts.first_key_value()?;
    let (last, _) = counts.last_key_value()?;
    let mut bucket_counts = vec![0; usize::try_from(last - first).unwrap_or(0) + 1];
    for (i, n) in counts {
        bucket_counts[usize::try_from(i - first).unwrap_or(0)] = *n;
    }
    Some(Buckets {
        offset: *first,
        bucket_counts,
    })
}

fn merge_exponential(
    into: &mut proto::ExponentialHistogramDataPoint,
    from: &proto::ExponentialHistogramDataPoint,
) {
    let target = into.scale.min(from.scale);
    let (mut positive, mut negative) = (BTreeMap::new(), BTreeMap::new());
    rescale(into.positive.as_ref(), into.scale, target, &mut positive);
    rescale(from.positive.as_ref(), from.scale, target, &mut positive);
    rescale(into.negative.as_ref(), into.scale, target, &mut negative);
    rescale(from.negative.as_ref(), from.scale, target, &mut negative);
    into.scale = target;
    into.positive = dense(&positive);
    into.negative = dense(&negative);
    into.zero_count += from.zero_count;
    into.zero_threshold = into.zero_threshold.max(from.zero_threshold);
    Stats::of_exponential(into).add(from.count, from.sum, from.min, from.max);
    merge_common(into, from);
}

/// Adds `points` into `existing` through `index`: a series already there is merged by
/// `merge` (which may refuse: the point is then left out), a new one appended. With `pid`,
/// each point gets that `process.pid` first (one series per worker).
fn add_points<P: Point>(
    existing: &mut Vec<P>,
    index: &mut Index,
    points: &[P],
    pid: Option<u32>,
    mut merge: impl FnMut(&mut P, &P) -> bool,
) {
    let extra = pid.map(pid_attribute);
    let mut key = Vec::new();
    for p in points {
        series_key(p.attributes(), extra.as_ref(), &mut key);
        if let Some(&i) = index.get(key.as_slice()) {
            let _ = merge(&mut existing[i], p);
            continue;
        }
        let mut p = p.clone();
        if let Some(extra) = &extra {
            p.attributes_mut().push(extra.clone());
        }
        index.insert(key.clone(), existing.len());
        existing.push(p);
    }
}

impl Merged {
    /// Adds the collection of the process `pid`. With `retired_only`, only what a worker
    /// that exited leaves behind: its counters and histograms.
    pub(crate) fn add(
        &mut self,
        request: &ExportMetricsServiceRequest,
        pid: u32,
        rules: &GaugeMerge,
        retired_only: bool,
    ) {
        for sm in request
            .resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
        {
            for m in &sm.metrics {
                self.add_metric(&sm.scope, &sm.schema_url, m, pid, rules, retired_only);
            }
        }
    }

    /// How a metric merges: None for counters and histograms (summed), else its gauge rule.
    fn gauge_rule(data: &Data, name: &str, rules: &GaugeMerge) -> Option<GaugeRule> {
        match data {
            Data::Sum(s) if s.is_monotonic => None,
            Data::Sum(_) => Some(rules.rule(name, false)),
            Data::Gauge(_) => Some(rules.rule(name, true)),
            _ => None,
        }
    }

    /// Adds one metric of the scope `scope` (see [`Self::add`]).
    fn add_metric(
        &mut self,
        scope: &Option<InstrumentationScope>,
        schema_url: &str,
        m: &proto::Metric,
        pid: u32,
        rules: &GaugeMerge,
        retired_only: bool,
    ) {
        let Some(data) = &m.data else { return };
        let gauge_rule = Self::gauge_rule(data, &m.name, rules);
        if retired_only && gauge_rule.is_some() {
            return;
        }
        let acc = self.metric(scope, schema_url, m);
        let pid = (gauge_rule == Some(GaugeRule::PerPid)).then_some(pid);
        let rule = gauge_rule.unwrap_or(GaugeRule::Sum);
        let index = &mut acc.index;
        // A metric whose type differs from the one merged first under its name is left out
        // (the exposition would leave one of them out as well).
        let numbers = |into: &mut Vec<proto::NumberDataPoint>,
                       index: &mut Index,
                       from: &[proto::NumberDataPoint]| {
            add_points(into, index, from, pid, |a, b| {
                merge_numbers(a, b, rule);
                true
            });
        };
        match (&mut acc.metric.data, data) {
            (Some(Data::Sum(into)), Data::Sum(from)) if into.is_monotonic == from.is_monotonic => {
                numbers(&mut into.data_points, index, &from.data_points);
            }
            (Some(Data::Gauge(into)), Data::Gauge(from)) => {
                numbers(&mut into.data_points, index, &from.data_points);
            }
            (Some(Data::Histogram(into)), Data::Histogram(from)) => add_points(
                &mut into.data_points,
                index,
                &from.data_points,
                None,
                merge_histograms,
            ),
            (Some(Data::ExponentialHistogram(into)), Data::ExponentialHistogram(from)) => {
                add_points(
                    &mut into.data_points,
                    index,
                    &from.data_points,
                    None,
                    |a, b| {
                        merge_exponential(a, b);
                        true
                    },
                )
            }
            _ => {}
        }
    }

    /// The metric `m` of `scope` merged so far: made, without points, the first time.
    fn metric(
        &mut self,
        scope: &Option<InstrumentationScope>,
        schema_url: &str,
        m: &proto::Metric,
    ) -> &mut MetricAcc {
        let (scope_name, scope_version) =
            scope.as_ref().map_or((String::new(), String::new()), |s| {
                (s.name.clone(), s.version.clone())
            });
        let key = (scope_name, scope_version, m.name.clone());
        self.metrics.entry(key).or_insert_with(|| MetricAcc {
            scope: proto::ScopeMetrics {
                scope: scope.clone(),
                metrics: Vec::new(),
                schema_url: schema_url.to_owned(),
            },
            metric: proto::Metric {
                data: match &m.data {
                    Some(Data::Sum(s)) => Some(Data::Sum(proto::Sum {
                        data_points: Vec::new(),
                        ..s.clone()
                    })),
                    Some(Data::Gauge(_)) => Some(Data::Gauge(proto::Gauge::default())),
                    Some(Data::Histogram(h)) => Some(Data::Histogram(proto::Histogram {
                        data_points: Vec::new(),
                        ..h.clone()
                    })),
                    Some(Data::ExponentialHistogram(h)) => {
                        Some(Data::ExponentialHistogram(proto::ExponentialHistogram {
                            data_points: Vec::new(),
                            ..h.clone()
                        }))
                    }
                    Some(Data::Summary(_)) | None => None,
                },
                name: m.name.clone(),
                description: m.description.clone(),
                unit: m.unit.clone(),
                metadata: m.metadata.clone(),
            },
            index: Index::default(),
        })
    }

    /// As [`Self::add`], for a collection given as the protobuf bytes of a request (what a
    /// worker sends). The points of counters, up-down counters and gauges are read from the
    /// bytes: a series merged already takes the point's value without its strings being
    /// decoded. The rest (histograms, new series, exemplars) is decoded. False when the
    /// bytes are not a request (what they held up to the fault is merged).
    pub(crate) fn add_encoded(
        &mut self,
        bytes: &[u8],
        pid: u32,
        rules: &GaugeMerge,
        retired_only: bool,
    ) -> bool {
        let from = Source {
            pid,
            rules,
            retired_only,
        };
        let mut key = Vec::new();
        wire::each(bytes, |field, value| match (field, value) {
            (1, wire::Value::Bytes(rm)) => wire::each(rm, |field, value| match (field, value) {
                (2, wire::Value::Bytes(sm)) => self.add_encoded_scope(sm, &from, &mut key),
                _ => true,
            }),
            _ => true,
        })
    }

    /// One ScopeMetrics of [`Self::add_encoded`].
    fn add_encoded_scope(&mut self, sm: &[u8], from: &Source<'_>, key: &mut Vec<u8>) -> bool {
        let (mut scope, mut schema_url, mut metrics) = (None, String::new(), Vec::new());
        let read = wire::each(sm, |field, value| {
            match (field, value) {
                (1, wire::Value::Bytes(b)) => match InstrumentationScope::decode(b) {
                    Ok(s) => scope = Some(s),
                    Err(_) => return false,
                },
                (2, wire::Value::Bytes(b)) => metrics.push(b),
                (3, wire::Value::Bytes(b)) => schema_url = String::from_utf8_lossy(b).into_owned(),
                _ => {}
            }
            true
        });
        let scope = Scope {
            scope: &scope,
            schema_url: &schema_url,
        };
        read && metrics
            .into_iter()
            .all(|m| self.add_encoded_metric(&scope, m, from, key))
    }

    /// One Metric of [`Self::add_encoded`]: a sum or gauge whose metric is merged already
    /// from its bytes, the rest decoded.
    fn add_encoded_metric(
        &mut self,
        scope: &Scope<'_>,
        bytes: &[u8],
        from: &Source<'_>,
        key: &mut Vec<u8>,
    ) -> bool {
        let rules = from.rules;
        let fast = wire::number_metric(bytes).and_then(|m| {
            let name = std::str::from_utf8(m.name).ok()?;
            let rule = match m.monotonic {
                Some(true) => None,
                Some(false) => Some(rules.rule(name, false)),
                None => Some(rules.rule(name, true)),
            };
            Some((m, name, rule))
        });
        let Some((m, name, rule)) = fast.filter(|(_, _, rule)| *rule != Some(GaugeRule::PerPid))
        else {
            return self.add_decoded_metric(scope, bytes, from);
        };
        if from.retired_only && rule.is_some() {
            return true;
        }
        let metric_key = (
            scope
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            scope
                .scope
                .as_ref()
                .map(|s| s.version.clone())
                .unwrap_or_default(),
            name.to_owned(),
        );
        let Some(acc) = self.metrics.get_mut(&metric_key) else {
            // First seen: decoded, which makes the metric.
            return self.add_decoded_metric(scope, bytes, from);
        };
        let into = match (&mut acc.metric.data, m.monotonic) {
            (Some(Data::Sum(into)), Some(monotonic)) if into.is_monotonic == monotonic => {
                &mut into.data_points
            }
            (Some(Data::Gauge(into)), None) => &mut into.data_points,
            _ => return true, // another type under the name: left out, as `add` does
        };
        let rule = rule.unwrap_or(GaugeRule::Sum);
        for point in m.points {
            let Some(p) = wire::number_point(point, key) else {
                return false;
            };
            match acc.index.get(key.as_slice()) {
                Some(&i) if !p.exemplars => merge_numbers(&mut into[i], &p.point, rule),
                _ => match proto::NumberDataPoint::decode(point) {
                    Ok(decoded) => add_points(into, &mut acc.index, &[decoded], None, |a, b| {
                        merge_numbers(a, b, rule);
                        true
                    }),
                    Err(_) => return false,
                },
            }
        }
        true
    }

    fn add_decoded_metric(&mut self, scope: &Scope<'_>, bytes: &[u8], from: &Source<'_>) -> bool {
        match proto::Metric::decode(bytes) {
            Ok(m) => {
                self.add_metric(
                    scope.scope,
                    scope.schema_url,
                    &m,
                    from.pid,
                    from.rules,
                    from.retired_only,
                );
                true
            }
            Err(_) => false,
        }
    }

    /// The series merged so far.
    pub(crate) fn series(&self) -> usize {
        self.metrics.values().map(|m| m.index.len()).sum()
    }

    /// One request of everything merged, with `resource` (without its `process.pid`: the
    /// scrape is of every worker).
    pub(crate) fn into_request(self, resource: Option<&Resource>) -> ExportMetricsServiceRequest {
        let mut scopes: BTreeMap<(String, String), proto::ScopeMetrics> = BTreeMap::new();
        for ((name, version, _), acc) in self.metrics {
            scopes
                .entry((name, version))
                .or_insert(acc.scope)
                .metrics
                .push(acc.metric);
        }
        let resource = resource.map(|r| Resource {
            attributes: r
                .attributes
                .iter()
                .filter(|kv| kv.key != "process.pid")
                .cloned()
                .collect(),
            ..r.clone()
        });
        ExportMetricsServiceRequest {
            resource_metrics: vec![proto::ResourceMetrics {
                resource,
                scope_metrics: scopes.into_values().collect(),
                schema_url: String::new(),
            }],
        }
    }
}

/// Reading protobuf bytes without decoding them: what [`Merged::add_encoded`] needs.
mod wire {
    use opentelemetry_proto::tonic::metrics::v1 as proto;
    use prost::encoding::{decode_key, decode_varint, encode_varint, WireType};

    /// A field's value.
    pub(super) enum Value<'a> {
        Varint(u64),
        Fixed64(u64),
        Bytes(&'a [u8]),
        Fixed32,
    }

    /// Calls `f` with each field of the message `buf` until it returns false; false when
    /// `f` did or the bytes are not a message.
    pub(super) fn each<'a>(mut buf: &'a [u8], mut f: impl FnMut(u32, Value<'a>) -> bool) -> bool {
        while !buf.is_empty() {
            let Ok((field, wire)) = decode_key(&mut buf) else {
                return false;
            };
            let value = match wire {
                WireType::Varint => match decode_varint(&mut buf) {
                    Ok(v) => Value::Varint(v),
                    Err(_) => return false,
                },
                WireType::SixtyFourBit => {
                    let Some((bytes, rest)) = buf.split_first_chunk::<8>() else {
                        return false;
                    };
                    buf = rest;
                    Value::Fixed64(u64::from_le_bytes(*bytes))
                }
                WireType::LengthDelimited => {
                    let len = decode_varint(&mut buf)
                        .ok()
                        .and_then(|l| usize::try_from(l).ok());
                    let Some(len) = len.filter(|len| *len <= buf.len()) else {
                        return false;
                    };
                    let (bytes, rest) = buf.split_at(len);
                    buf = rest;
                    Value::Bytes(bytes)
                }
                WireType::ThirtyTwoBit => {
                    let Some((_, rest)) = buf.split_first_chunk::<4>() else {
                        return false;
                    };
                    buf = rest;
                    Value::Fixed32
                }
                WireType::StartGroup | WireType::EndGroup => return false,
            };
            if !f(field, value) {
                return false;
            }
        }
        true
    }

    /// A sum's or gauge's name, kind and points, as bytes.
    pub(super) struct NumberMetric<'a> {
        pub(super) name: &'a [u8],
        /// A sum's monotonicity; None for a gauge.
        pub(super) monotonic: Option<bool>,
        pub(super) points: Vec<&'a [u8]>,
    }

    /// The metric `bytes` if it is a sum or a gauge.
    pub(super) fn number_metric(bytes: &[u8]) -> Option<NumberMetric<'_>> {
        let (mut name, mut data) = (None, None);
        each(bytes, |field, value| {
            match (field, value) {
                (1, Value::Bytes(b)) => name = Some(b),
                (5 | 7 | 9 | 10 | 11, Value::Bytes(b)) => data = Some((field, b)),
                _ => {}
            }
            true
        })
        .then_some(())?;
        let (kind, data) = data?;
        let mut m = NumberMetric {
            name: name.unwrap_or_default(),
            monotonic: match kind {
                7 => Some(false),
                5 => None,
                _ => return None,
            },
            points: Vec::new(),
        };
        each(data, |field, value| {
            match (field, value) {
                (1, Value::Bytes(b)) => m.points.push(b),
                (3, Value::Varint(v)) if kind == 7 => m.monotonic = Some(v != 0),
                _ => {}
            }
            true
        })
        .then_some(m)
    }

    /// A number point read from bytes: its value and time window (no attributes), and
    /// whether it has exemplars.
    pub(super) struct NumberPoint {
        pub(super) point: proto::NumberDataPoint,
        pub(super) exemplars: bool,
    }

    /// The point `bytes`, and its series key in `key` (its attributes, sorted by key, each
    /// as `encode_length_delimited` writes it).
    pub(super) fn number_point(bytes: &[u8], key: &mut Vec<u8>) -> Option<NumberPoint> {
        let mut p = NumberPoint {
            point: proto::NumberDataPoint::default(),
            exemplars: false,
        };
        // The attributes go to the key as they come; they come sorted from a process's
        // collection, and are sorted (which takes a vector) only when they do not.
        let mut previous: Option<&[u8]> = None;
        let mut sorted = true;
        key.clear();
        each(bytes, |field, value| {
            match (field, value) {
                (7, Value::Bytes(a)) => {
                    let Some(name) = attribute_key(a) else {
                        return false;
                    };
                    sorted &= previous.map_or(true, |p| p <= name);
                    previous = Some(name);
                    delimited(key, a);
                }
                (2, Value::Fixed64(v)) => p.point.start_time_unix_nano = v,
                (3, Value::Fixed64(v)) => p.point.time_unix_nano = v,
                (4, Value::Fixed64(v)) => {
                    p.point.value =
                        Some(proto::number_data_point::Value::AsDouble(f64::from_bits(v)));
                }
                (6, Value::Fixed64(v)) => {
                    p.point.value = Some(proto::number_data_point::Value::AsInt(v as i64));
                }
                (5, _) => p.exemplars = true,
                _ => {}
            }
            true
        })
        .then_some(())?;
        if !sorted {
            let mut attributes = Vec::new();
            each(bytes, |field, value| {
                if let (7, Value::Bytes(a)) = (field, value) {
                    attributes.push((attribute_key(a).unwrap_or_default(), a));
                }
                true
            });
            attributes.sort_by(|a, b| a.0.cmp(b.0));
            key.clear();
            for (_, a) in attributes {
                delimited(key, a);
            }
        }
        Some(p)
    }

    /// The key of the KeyValue message `a`.
    fn attribute_key(a: &[u8]) -> Option<&[u8]> {
        let mut name: &[u8] = &[];
        each(a, |field, value| {
            if let (1, Value::Bytes(b)) = (field, value) {
                name = b;
            }
            true
        })
        .then_some(name)
    }

    /// `message` with its length in front, as `encode_length_delimited` writes it.
    fn delimited(out: &mut Vec<u8>, message: &[u8]) {
        encode_varint(message.len() as u64, out);
        out.extend_from_slice(message);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;

    fn attr(k: &str, v: &str) -> KeyValue {
        KeyValue {
            key: k.to_owned(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(v.to_owned())),
            }),
            ..Default::default()
        }
    }

    fn number_point(value: i64, attrs: Vec<KeyValue>) -> proto::NumberDataPoint {
        proto::NumberDataPoint {
            attributes: attrs,
            start_time_unix_nano: 10,
            time_unix_nano: 20,
            value: Some(number_data_point::Value::AsInt(value)),
            ..Default::default()
        }
    }

    fn request(metrics: Vec<proto::Metric>) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest {
            resource_metrics: vec![proto::ResourceMetrics {
                resource: None,
                scope_metrics: vec![proto::ScopeMetrics {
                    scope: Some(InstrumentationScope {
                        name: "app".to_owned(),
                        ..Default::default()
                    }),
                    metrics,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        }
    }

    fn sum(name: &str, monotonic: bool, points: Vec<proto::NumberDataPoint>) -> proto::Metric {
        proto::Metric {
            name: name.to_owned(),
            data: Some(Data::Sum(proto::Sum {
                data_points: points,
                aggregation_temporality: 2,
                is_monotonic: monotonic,
            })),
            ..Default::default()
        }
    }

    fn gauge(name: &str, points: Vec<proto::NumberDataPoint>) -> proto::Metric {
        proto::Metric {
            name: name.to_owned(),
            data: Some(Data::Gauge(proto::Gauge {
                data_points: points,
            })),
            ..Default::default()
        }
    }

    fn points(
        merged: &Merged,
        name: &str,
    ) -> Vec<(Vec<KeyValue>, Option<number_data_point::Value>)> {
        let r = merged.clone().into_request(None);
        let m = r.resource_metrics[0].scope_metrics[0]
            .metrics
            .iter()
            .find(|m| m.name == name)
            .unwrap()
            .clone();
        let ps = match m.data.unwrap() {
            Data::Sum(s) => s.data_points,
            Data::Gauge(g) => g.data_points,
            _ => unreachable!(),
        };
        ps.into_iter().map(|p| (p.attributes, p.value)).collect()
    }

    #[test]
    fn a_collection_merged_from_its_bytes_is_merged_as_from_its_request() {
        let rules = GaugeMerge::parse("heap=max,temp=pid").unwrap();
        let exemplar = proto::Exemplar {
            time_unix_nano: 15,
            value: Some(proto::exemplar::Value::AsInt(1)),
            ..Default::default()
        };
        let workers: Vec<(u32, ExportMetricsServiceRequest)> = (1..=4)
            .map(|pid| {
                let v = i64::from(pid);
                let mut with_exemplar = number_point(v, vec![attr("route", "/x")]);
                if pid == 3 {
                    with_exemplar.exemplars.push(exemplar.clone());
                }
                let mut double = number_point(0, vec![attr("k", "v")]);
                double.value = Some(number_data_point::Value::AsDouble(0.5 * v as f64));
                (
                    pid,
                    request(vec![
                        sum(
                            "requests",
                            true,
                            vec![
                                number_point(v, vec![attr("route", "/a"), attr("method", "GET")]),
                                // The same series with its attributes in another order.
                                number_point(
                                    10 * v,
                                    vec![attr("method", "GET"), attr("route", "/a")],
                                ),
                                number_point(v, vec![attr("only", &pid.to_string())]),
                                with_exemplar,
                            ],
                        ),
                        sum("active", false, vec![number_point(1, vec![]), double]),
                        gauge("heap", vec![number_point(100 * v, vec![])]),
                        gauge("temp", vec![number_point(v, vec![attr("room", "a")])]),
                        // A name taken by another type in one worker.
                        if pid == 2 {
                            gauge("requests", vec![number_point(1, vec![])])
                        } else {
                            sum("conflict", true, vec![number_point(v, vec![])])
                        },
                        proto::Metric {
                            name: "latency".to_owned(),
                            data: Some(Data::Histogram(proto::Histogram {
                                data_points: vec![proto::HistogramDataPoint {
                                    count: 2,
                                    sum: Some(1.0),
                                    bucket_counts: vec![1, 1],
                                    explicit_bounds: vec![0.5],
                                    ..Default::default()
                                }],
                                aggregation_temporality: 2,
                            })),
                            ..Default::default()
                        },
                    ]),
                )
            })
            .collect();
        for retired_only in [false, true] {
            let (mut decoded, mut raw) = (Merged::default(), Merged::default());
            for (pid, r) in &workers {
                decoded.add(r, *pid, &rules, retired_only);
                assert!(raw.add_encoded(&r.encode_to_vec(), *pid, &rules, retired_only));
            }
            assert_eq!(raw.into_request(None), decoded.into_request(None));
        }
        assert!(!Merged::default().add_encoded(&[0x0a, 0x05, 1], 1, &rules, false));
    }

    #[test]
    fn counters_are_summed_per_series_and_gauges_kept_per_worker() {
        let rules = GaugeMerge::default();
        let mut m = Merged::default();
        for (pid, a, b) in [(1, 3, 4), (2, 5, 6)] {
            let req = request(vec![
                sum(
                    "requests",
                    true,
                    vec![
                        number_point(a, vec![attr("route", "/a")]),
                        number_point(b, vec![attr("route", "/b")]),
                    ],
                ),
                sum("active", false, vec![number_point(1, vec![])]),
                gauge("heap", vec![number_point(a * 100, vec![])]),
            ]);
            m.add(&req, pid, &rules, false);
        }
        let requests = points(&m, "requests");
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].1, Some(number_data_point::Value::AsInt(8)));
        assert_eq!(requests[1].1, Some(number_data_point::Value::AsInt(10)));
        assert_eq!(
            points(&m, "active"),
            [(vec![], Some(number_data_point::Value::AsInt(2)))]
        );
        let heap = points(&m, "heap");
        assert_eq!(heap.len(), 2);
        assert_eq!(heap[0].0, [pid_attribute(1)]);
        assert_eq!(heap[1].1, Some(number_data_point::Value::AsInt(500)));
    }

    #[test]
    fn a_rule_chosen_by_name_and_retired_workers_keep_only_their_counters() {
        let rules = GaugeMerge::parse("heap=max,act*=pid").unwrap();
        let mut m = Merged::default();
        for (pid, v) in [(1, 7), (2, 3)] {
            let req = request(vec![
                gauge("heap", vec![number_point(v, vec![])]),
                sum("active", false, vec![number_point(v, vec![])]),
            ]);
            m.add(&req, pid, &rules, false);
        }
        assert_eq!(
            points(&m, "heap"),
            [(vec![], Some(number_data_point::Value::AsInt(7)))]
        );
        assert_eq!(points(&m, "active").len(), 2);
        let mut retired = Merged::default();
        let req = request(vec![
            sum("requests", true, vec![number_point(5, vec![])]),
            gauge("heap", vec![number_point(1, vec![])]),
        ]);
        retired.add(&req, 3, &rules, true);
        retired.add(&req, 4, &rules, true);
        assert_eq!(retired.series(), 1);
        let mut scrape = retired.clone();
        scrape.add(&m.clone().into_request(None), 0, &rules, false);
        assert_eq!(
            points(&scrape, "requests"),
            [(vec![], Some(number_data_point::Value::AsInt(10)))]
        );
    }

    #[test]
    fn histograms_add_their_buckets_and_exponential_ones_meet_at_the_coarser_scale() {
        let hist = |counts: Vec<u64>, sum: f64| proto::Metric {
            name: "latency".to_owned(),
            data: Some(Data::Histogram(proto::Histogram {
                data_points: vec![proto::HistogramDataPoint {
                    count: counts.iter().sum(),
                    sum: Some(sum),
                    bucket_counts: counts,
                    explicit_bounds: vec![1.0, 2.0],
                    min: Some(0.5),
                    max: Some(3.0),
                    ..Default::default()
                }],
                aggregation_temporality: 2,
            })),
            ..Default::default()
        };
        let expo = |scale: i32, offset: i32, counts: Vec<u64>| proto::Metric {
            name: "size".to_owned(),
            data: Some(Data::ExponentialHistogram(proto::ExponentialHistogram {
                data_points: vec![proto::ExponentialHistogramDataPoint {
                    count: counts.iter().sum(),
                    scale,
                    positive: Some(Buckets {
                        offset,
                        bucket_counts: counts,
                    }),
                    ..Default::default()
                }],
                aggregation_temporality: 2,
            })),
            ..Default::default()
        };
        let rules = GaugeMerge::default();
        let mut m = Merged::default();
        // Scale 1: index 2 is (2, 2.83], index 3 (2.83, 4]; at scale 0 both are index 1.
        m.add(
            &request(vec![hist(vec![1, 2, 3], 10.0), expo(1, 2, vec![1, 1])]),
            1,
            &rules,
            false,
        );
        m.add(
            &request(vec![hist(vec![4, 5, 6], 20.0), expo(0, 1, vec![5])]),
            2,
            &rules,
            false,
        );
        let r = m.clone().into_request(None);
        let metrics = &r.resource_metrics[0].scope_metrics[0].metrics;
        let Some(Data::Histogram(h)) = &metrics.iter().find(|m| m.name == "latency").unwrap().data
        else {
            panic!()
        };
        assert_eq!(h.data_points[0].bucket_counts, [5, 7, 9]);
        assert_eq!(h.data_points[0].count, 21);
        assert_eq!(h.data_points[0].sum, Some(30.0));
        let Some(Data::ExponentialHistogram(e)) =
            &metrics.iter().find(|m| m.name == "size").unwrap().data
        else {
            panic!()
        };
        let p = &e.data_points[0];
        assert_eq!(p.scale, 0);
        assert_eq!(p.count, 7);
        assert_eq!(
            p.positive,
            Some(Buckets {
                offset: 1,
                bucket_counts: vec![7]
            })
        );
    }
}
