//! Exemplars, which the Rust SDK never fills: measurements kept with the trace they were
//! recorded in, attached to the data points of OTLP exports (push, file, `collect_json`).
//!
//! OTEL_METRICS_EXEMPLAR_FILTER decides which measurements are offered: `trace_based` (the
//! default: those recorded while the thread's current trace context is sampled), `always_on`
//! or `always_off`. Each series of a synchronous instrument keeps them in the spec's
//! reservoirs: for an explicit-bucket histogram one per bucket (the last measurement that fell
//! in it), for an exponential histogram up to 20 and for everything else one, chosen by
//! reservoir sampling among the measurements since the last collection. An export attaches to
//! each data point the exemplars recorded since the point's start time; an OpenMetrics scrape
//! puts them on counter samples and histogram buckets.
//!
//! Offering never blocks: a reservoir another thread holds is skipped (an exemplar is a
//! sample), which also keeps a forked child from waiting on a lock its parent's thread held.
//! Each instrument knows the streams its views give it, so a renamed stream finds its
//! reservoirs, and a point of a stream that keeps only some attribute keys gets the exemplars
//! of every series that folds into it, with the keys left out as filtered attributes.

use crate::base::attributes::KeyValue;
use crate::base::clock::now_unix_nanos;
use crate::base::context::{self, TraceContext};
use crate::base::random;
use crate::config::ExemplarFilter;
use crate::metrics::Number;
use foldhash::fast::RandomState;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1 as proto_common;
use opentelemetry_proto::tonic::metrics::v1::{self as proto, metric::Data};
use parking_lot::Mutex;
use prost::Message;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};

/// One kept measurement.
#[derive(Debug, Clone, Copy)]
struct Exemplar {
    value: Number,
    time_unix_nano: u64,
    trace: Option<TraceContext>,
}

/// The exemplars of one series.
#[derive(Debug)]
struct Reservoir {
    /// Measurements offered since the last collection (for reservoir sampling).
    seen: u64,
    /// When a measurement was last offered, in nanoseconds since the epoch.
    last_offer: u64,
    slots: Vec<Option<Exemplar>>,
}

/// The reservoirs of an instrument's series, bounded as its streams' series are: at most
/// the cardinality limit, plus the overflow series that takes the measurements of series
/// beyond it (as the SDK's `otel.metric.overflow=true` point does).
#[derive(Default)]
struct SeriesReservoirs {
    by_key: HashMap<Vec<u8>, Reservoir, RandomState>,
    /// When an export last took exemplars (ns since the epoch).
    last_take: u64,
    /// Whether the reservoirs not offered to since `last_take` were let go since then.
    swept: bool,
}

/// The series key of the overflow series, `otel.metric.overflow=true`.
fn overflow_key() -> &'static [u8] {
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(|| {
        series_key(std::iter::once(proto_common::KeyValue::from(
            &KeyValue::new("otel.metric.overflow", true),
        )))
    })
}

/// The attributes of a series as comparable bytes: the OTLP encoding of each key-value,
/// in key order. Computed the same way from what was recorded and from an exported point.
fn series_key(attrs: impl Iterator<Item = proto_common::KeyValue>) -> Vec<u8> {
    let mut kvs: Vec<proto_common::KeyValue> = attrs.collect();
    kvs.sort_by(|a, b| a.key.cmp(&b.key));
    let mut out = Vec::new();
    for kv in kvs {
        kv.encode_length_delimited(&mut out).ok();
    }
    out
}

/// The series key of the attributes `attrs` (sorted and unique) of a measurement.
pub(crate) fn key_of(attrs: &[KeyValue]) -> Vec<u8> {
    series_key(attrs.iter().map(proto_common::KeyValue::from))
}

/// A stream an instrument's measurements reach: its name, and the attribute keys a view keeps
/// of them (None: all).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StreamShape {
    pub(crate) name: String,
    pub(crate) keys: Option<Vec<String>>,
}

/// How a series keeps its exemplars, as the spec's default reservoirs do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ReservoirKind {
    /// One slot per bucket of an explicit-bucket histogram (these upper bounds): the last
    /// measurement that fell in it.
    Aligned(Vec<f64>),
    /// `n` slots filled by reservoir sampling among the measurements since the last
    /// collection (1 for sums and gauges, up to 20 for exponential histograms).
    Simple(usize),
}

/// The exemplars of one synchronous instrument, by series.
pub(crate) struct InstrumentExemplars {
    /// The SDK's filter, kept here so that the check on each measurement reads nothing else.
    filter: ExemplarFilter,
    scope_name: String,
    scope_version: Option<String>,
    /// The streams its views give it (its own name when none selects it).
    streams: Vec<StreamShape>,
    reservoir: ReservoirKind,
    /// The series with reservoirs kept at most (the streams' cardinality limit).
    limit: usize,
    series: Mutex<SeriesReservoirs>,
}

impl InstrumentExemplars {
    /// Whether the filter takes a measurement made now (the cheap check comes first: one
    /// global when trace-based and no thread is in a sampled trace).
    #[inline]
    pub(crate) fn takes(&self) -> bool {
        match self.filter {
            ExemplarFilter::AlwaysOff => false,
            ExemplarFilter::TraceBased => context::current_is_sampled(),
            ExemplarFilter::AlwaysOn => true,
        }
    }

    /// Offers a measurement of the series `attrs`.
    #[inline]
    pub(crate) fn offer(&self, attrs: &[KeyValue], value: Number) {
        if self.takes() {
            self.keep(&key_of(attrs), value);
        }
    }

    /// Keeps a measurement of the series `key`, recorded now in the current trace, as its
    /// reservoir says.
    pub(crate) fn keep(&self, key: &[u8], value: Number) {
        let Some(mut series) = self.series.try_lock() else {
            return;
        };
        let slots = match &self.reservoir {
            ReservoirKind::Aligned(bounds) => bounds.len() + 1,
            ReservoirKind::Simple(n) => (*n).max(1),
        };
        let now = now_unix_nanos();
        let mut key = key;
        if !series.by_key.contains_key(key) {
            if series.by_key.len() >= self.limit && !series.swept {
                // Once per collection under pressure: let go of the series not offered to
                // since the last export (their exemplars were taken or are too old).
                let since = series.last_take;
                series.by_key.retain(|_, r| r.last_offer >= since);
                series.swept = true;
            }
            if series.by_key.len() >= self.limit {
                key = overflow_key();
            }
            if !series.by_key.contains_key(key) {
                series.by_key.insert(
                    key.to_vec(),
                    Reservoir {
                        seen: 0,
                        last_offer: now,
                        slots: vec![None; slots],
                    },
                );
            }
        }
        let Some(r) = series.by_key.get_mut(key) else {
            return;
        };
        r.last_offer = now;
        let trace = context::current();
        r.seen += 1;
        let slot = match &self.reservoir {
            ReservoirKind::Aligned(bounds) => {
                let v = match value {
                    Number::U64(v) => v as f64,
                    Number::I64(v) => v as f64,
                    Number::F64(v) => v,
                };
                bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len())
            }
            ReservoirKind::Simple(_) if r.seen <= slots as u64 => (r.seen - 1) as usize,
            ReservoirKind::Simple(_) => match random::below(r.seen) as usize {
                j if j < slots => j,
                _ => return,
            },
        };
        r.slots[slot] = Some(Exemplar {
            value,
            time_unix_nano: now,
            trace,
        });
    }

    /// The exemplars of the series `key` recorded at or after `start`, in OTLP form, with
    /// `filtered` as their filtered attributes; the series starts a new sampling period.
    fn take(
        &self,
        key: &[u8],
        start: u64,
        filtered: &[proto_common::KeyValue],
    ) -> Vec<proto::Exemplar> {
        let Some(mut series) = self.series.try_lock() else {
            return Vec::new();
        };
        series.last_take = now_unix_nanos();
        series.swept = false;
        let Some(r) = series.by_key.get_mut(key) else {
            return Vec::new();
        };
        r.seen = 0;
        r.slots
            .iter()
            .flatten()
            .filter(|e| e.time_unix_nano >= start)
            .map(|e| proto::Exemplar {
                filtered_attributes: filtered.to_vec(),
                time_unix_nano: e.time_unix_nano,
                span_id: e.trace.map(|t| t.span_id.to_vec()).unwrap_or_default(),
                trace_id: e.trace.map(|t| t.trace_id.to_vec()).unwrap_or_default(),
                value: Some(match e.value {
                    Number::U64(v) => proto::exemplar::Value::AsInt(v as i64),
                    Number::I64(v) => proto::exemplar::Value::AsInt(v),
                    Number::F64(v) => proto::exemplar::Value::AsDouble(v),
                }),
            })
            .collect()
    }
}

/// The exemplars of an SDK: its filter, and the reservoirs of its instruments.
pub(crate) struct Exemplars {
    filter: ExemplarFilter,
    instruments: Mutex<Vec<Weak<InstrumentExemplars>>>,
}

impl Exemplars {
    pub(crate) fn new(filter: ExemplarFilter) -> Arc<Exemplars> {
        Arc::new(Exemplars {
            filter,
            instruments: Mutex::new(Vec::new()),
        })
    }

    /// The reservoirs of a new synchronous instrument (None when the filter is always_off);
    /// `reservoir` says how each series keeps them.
    pub(crate) fn register(
        &self,
        scope_name: &str,
        scope_version: Option<&str>,
        streams: Vec<StreamShape>,
        reservoir: ReservoirKind,
        limit: usize,
    ) -> Option<Arc<InstrumentExemplars>> {
        if self.filter == ExemplarFilter::AlwaysOff {
            return None;
        }
        let mut list = self.instruments.lock();
        list.retain(|w| w.strong_count() > 0);
        // Another handle to the same instrument shares its reservoirs.
        let same = list.iter().filter_map(Weak::upgrade).find(|i| {
            i.scope_name == scope_name
                && i.scope_version.as_deref() == scope_version
                && i.streams == streams
        });
        if same.is_some() {
            return same;
        }
        let inst = Arc::new(InstrumentExemplars {
            filter: self.filter,
            scope_name: scope_name.to_owned(),
            scope_version: scope_version.map(str::to_owned),
            streams,
            reservoir,
            limit: limit.max(1),
            series: Mutex::new(SeriesReservoirs::default()),
        });
        list.push(Arc::downgrade(&inst));
        Some(inst)
    }

    /// The live instruments' reservoirs by scope and name, for one export; None when there
    /// are none (or the filter is always_off).
    pub(crate) fn lookup(&self) -> Option<Lookup> {
        if self.filter == ExemplarFilter::AlwaysOff {
            return None;
        }
        let live: Vec<Arc<InstrumentExemplars>> = self
            .instruments
            .try_lock()?
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        (!live.is_empty()).then_some(Lookup { live })
    }

    /// Attaches to the data points of `request` the exemplars recorded since their start.
    pub(crate) fn attach(&self, request: &mut ExportMetricsServiceRequest) {
        let Some(lookup) = self.lookup() else {
            return;
        };
        for rm in &mut request.resource_metrics {
            for sm in &mut rm.scope_metrics {
                let (scope_name, scope_version) = match &sm.scope {
                    Some(s) => (
                        s.name.as_str(),
                        Some(s.version.as_str()).filter(|v| !v.is_empty()),
                    ),
                    None => ("", None),
                };
                for m in &mut sm.metrics {
                    let Some(found) = lookup.metric(scope_name, scope_version, &m.name) else {
                        continue;
                    };
                    let fill = |attrs: &[proto_common::KeyValue],
                                start: u64,
                                out: &mut Vec<proto::Exemplar>| {
                        *out = found.take(attrs, start);
                    };
                    match &mut m.data {
                        Some(Data::Sum(s)) => s.data_points.iter_mut().for_each(|p| {
                            fill(&p.attributes, p.start_time_unix_nano, &mut p.exemplars)
                        }),
                        Some(Data::Gauge(g)) => g.data_points.iter_mut().for_each(|p| {
                            fill(&p.attributes, p.start_time_unix_nano, &mut p.exemplars)
                        }),
                        Some(Data::Histogram(h)) => h.data_points.iter_mut().for_each(|p| {
                            fill(&p.attributes, p.start_time_unix_nano, &mut p.exemplars)
                        }),
                        Some(Data::ExponentialHistogram(h)) => {
                            h.data_points.iter_mut().for_each(|p| {
                                fill(&p.attributes, p.start_time_unix_nano, &mut p.exemplars)
                            })
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// The reservoirs of the live instruments, found by scope and stream name.
pub(crate) struct Lookup {
    live: Vec<Arc<InstrumentExemplars>>,
}

/// Decodes a series key back into its attributes.
fn series_attrs(mut key: &[u8]) -> Vec<proto_common::KeyValue> {
    let mut out = Vec::new();
    while !key.is_empty() {
        match proto_common::KeyValue::decode_length_delimited(&mut key) {
            Ok(kv) => out.push(kv),
            Err(_) => break,
        }
    }
    out
}

/// The series that fold into one point of a stream that keeps some attribute keys: each
/// series key, with the attributes the view left out.
type Folded = Vec<(Vec<u8>, Vec<proto_common::KeyValue>)>;

/// The exemplars of one exported metric: its instrument's series as they are, or, for a
/// stream whose view keeps only some attribute keys, the series that fold into each point.
pub(crate) enum MetricExemplars<'a> {
    Direct(&'a InstrumentExemplars),
    Projected {
        inst: &'a InstrumentExemplars,
        /// Point key -> the series that fold into it.
        by_point: HashMap<Vec<u8>, Folded>,
    },
}

impl MetricExemplars<'_> {
    /// The exemplars of the point with attributes `attrs`, recorded at or after `start` (ns
    /// since the epoch).
    pub(crate) fn take(
        &self,
        attrs: &[proto_common::KeyValue],
        start: u64,
    ) -> Vec<proto::Exemplar> {
        self.take_key(&series_key(attrs.iter().cloned()), start)
    }

    /// [`Self::take`] for a point with the SDK's attributes `attrs`.
    pub(crate) fn take_of<'a>(
        &self,
        attrs: impl Iterator<Item = &'a KeyValue>,
        start: u64,
    ) -> Vec<proto::Exemplar> {
        self.take_key(&series_key(attrs.map(proto_common::KeyValue::from)), start)
    }

    fn take_key(&self, key: &[u8], start: u64) -> Vec<proto::Exemplar> {
        match self {
            MetricExemplars::Direct(inst) => inst.take(key, start, &[]),
            MetricExemplars::Projected { inst, by_point } => by_point
                .get(key)
                .into_iter()
                .flatten()
                .flat_map(|(series, filtered)| inst.take(series, start, filtered))
                .collect(),
        }
    }
}

impl Lookup {
    /// [`Self::metric`] of an SDK scope.
    pub(crate) fn metric_of(
        &self,
        scope: &opentelemetry::InstrumentationScope,
        name: &str,
    ) -> Option<MetricExemplars<'_>> {
        let version = scope.version().filter(|v| !v.is_empty());
        self.metric(scope.name(), version, name)
    }

    /// The exemplars of the metric `name` of the scope, if an instrument's stream has that
    /// name and it kept some (so that the points of metrics without any cost nothing).
    pub(crate) fn metric(
        &self,
        scope_name: &str,
        scope_version: Option<&str>,
        name: &str,
    ) -> Option<MetricExemplars<'_>> {
        let (inst, stream) = self.live.iter().find_map(|i| {
            if i.scope_name != scope_name || i.scope_version.as_deref() != scope_version {
                return None;
            }
            let stream = i.streams.iter().find(|s| s.name == name)?;
            Some((&**i, stream))
        })?;
        let series: Vec<Vec<u8>> = {
            let series = inst.series.try_lock()?;
            if series.by_key.is_empty() {
                return None;
            }
            match &stream.keys {
                None => return Some(MetricExemplars::Direct(inst)),
                Some(_) => series.by_key.keys().cloned().collect(),
            }
        };
        let keys = stream.keys.as_ref()?;
        let mut by_point: HashMap<Vec<u8>, Folded> = HashMap::new();
        for key in series {
            let (kept, filtered): (Vec<_>, Vec<_>) = series_attrs(&key)
                .into_iter()
                .partition(|kv| keys.contains(&kv.key));
            by_point
                .entry(series_key(kept.into_iter()))
                .or_default()
                .push((key, filtered));
        }
        Some(MetricExemplars::Projected { inst, by_point })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::Value;

    fn shape(name: &str) -> Vec<StreamShape> {
        vec![StreamShape {
            name: name.to_owned(),
            keys: None,
        }]
    }

    #[test]
    fn an_aligned_reservoir_keeps_the_last_measurement_of_each_bucket() {
        let ex = Exemplars::new(ExemplarFilter::AlwaysOn);
        let inst = ex
            .register(
                "s",
                None,
                shape("h"),
                ReservoirKind::Aligned(vec![1.0, 10.0]),
                2000,
            )
            .unwrap();
        let attrs = [KeyValue::new("k", Value::from("v"))];
        for v in [0.5, 0.7, 5.0, 50.0] {
            inst.offer(&attrs, Number::F64(v));
        }
        let key = series_key(attrs.iter().map(proto_common::KeyValue::from));
        let values: Vec<_> = inst
            .take(&key, 0, &[])
            .into_iter()
            .map(|e| e.value)
            .collect();
        assert_eq!(
            values,
            [0.7, 5.0, 50.0].map(|v| Some(proto::exemplar::Value::AsDouble(v)))
        );
        assert!(
            inst.take(&key, u64::MAX, &[]).is_empty(),
            "none recorded after the start time"
        );
    }

    #[test]
    fn reservoirs_are_bounded_by_the_cardinality_limit_and_let_go_after_an_export() {
        let ex = Exemplars::new(ExemplarFilter::AlwaysOn);
        let inst = ex
            .register("s", None, shape("h"), ReservoirKind::Simple(1), 100)
            .unwrap();
        let offer = |i: i64| inst.offer(&[KeyValue::new("i", Value::from(i))], Number::U64(1));
        for i in 0..10_000 {
            offer(i);
        }
        let held = |inst: &InstrumentExemplars| inst.series.lock().by_key.len();
        assert_eq!(held(&inst), 101, "the limit, and the overflow series");
        let overflow = inst.take(overflow_key(), 0, &[]);
        assert_eq!(
            overflow.len(),
            1,
            "measurements beyond the limit reach the overflow series"
        );
        // After an export, series that are not offered to again make room for new ones.
        for i in 20_000..20_050 {
            offer(i);
        }
        assert_eq!(held(&inst), 50, "the 100 before the export were let go");
        let key = series_key(std::iter::once(proto_common::KeyValue::from(
            &KeyValue::new("i", Value::from(20_049i64)),
        )));
        assert_eq!(inst.take(&key, 0, &[]).len(), 1);
    }

    #[test]
    fn a_simple_reservoir_keeps_at_most_its_size_among_all_offered() {
        let ex = Exemplars::new(ExemplarFilter::AlwaysOn);
        let inst = ex
            .register("s", None, shape("e"), ReservoirKind::Simple(20), 2000)
            .unwrap();
        for v in 0..1000u64 {
            inst.offer(&[], Number::U64(v));
        }
        let kept: Vec<i64> = inst
            .take(&series_key(std::iter::empty()), 0, &[])
            .into_iter()
            .filter_map(|e| match e.value {
                Some(proto::exemplar::Value::AsInt(v)) => Some(v),
                _ => None,
            })
            .collect();
        assert_eq!(kept.len(), 20);
        assert!(
            kept.iter().any(|v| *v >= 20),
            "reservoir sampling, not the first 20"
        );
    }

    #[test]
    fn trace_based_takes_only_measurements_in_a_sampled_trace() {
        let ex = Exemplars::new(ExemplarFilter::TraceBased);
        let inst = ex
            .register("s", Some("1"), shape("c"), ReservoirKind::Simple(1), 2000)
            .unwrap();
        let key = series_key(std::iter::empty());
        inst.offer(&[], Number::U64(1));
        assert!(inst.take(&key, 0, &[]).is_empty());
        let unsampled = TraceContext {
            trace_id: [1; 16],
            span_id: [2; 8],
            flags: 0,
        };
        let sampled = TraceContext {
            flags: 1,
            ..unsampled
        };
        context::set_current(Some(unsampled));
        inst.offer(&[], Number::U64(2));
        assert!(inst.take(&key, 0, &[]).is_empty());
        context::set_current(Some(sampled));
        inst.offer(&[], Number::U64(3));
        context::set_current(None);
        let (e,) = <[_; 1]>::try_from(inst.take(&key, 0, &[]))
            .map(|[e]| (e,))
            .unwrap();
        assert_eq!(e.value, Some(proto::exemplar::Value::AsInt(3)));
        assert_eq!(e.trace_id, vec![1; 16]);
        assert_eq!(e.span_id, vec![2; 8]);
        assert!(Exemplars::new(ExemplarFilter::AlwaysOff)
            .register("s", None, shape("c"), ReservoirKind::Simple(1), 2000)
            .is_none());
    }
}
