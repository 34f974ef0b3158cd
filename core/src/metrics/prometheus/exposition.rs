//! Collected metrics, as an OTLP request (one process's collection, or several merged), as a
//! Prometheus scrape: the text format 0.0.4 or OpenMetrics 1.0, with
//! types, names, labels, scope labels and `target_info` as the OpenTelemetry "Prometheus and
//! OpenMetrics Compatibility" spec says.
//!
//! Monotonic sums are counters (`_total`); other sums and gauges are gauges; histograms are
//! histograms (`_bucket` with `le`, `_sum`, `_count`). Exponential histograms, which only
//! Prometheus's protobuf format could carry as native histograms, are written as classic
//! histograms whose `le` bounds are their bucket bounds, so that nothing recorded is lost.
//! Every series has the `otel_scope_name` (and `otel_scope_version`) labels of its meter.
//! Metrics of one name from several meters are one family; a metric whose name is taken by
//! another type is left out, with a warning on stderr once per name.

use super::names;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{self as proto, metric::Data, number_data_point};
use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::sync::Mutex;

/// A scrape's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// The Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
}

impl Format {
    /// The format a scraper asks for with its Accept header: OpenMetrics when it lists it.
    pub(crate) fn negotiate(accept: &str) -> Format {
        if accept.contains("application/openmetrics-text") {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }

    /// The Content-Type of a scrape in this format.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Counter,
    Gauge,
    Histogram,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Counter => "counter",
            Type::Gauge => "gauge",
            Type::Histogram => "histogram",
        }
    }
}

/// One metric family: its metadata and its sample lines.
struct Family {
    kind: Type,
    help: String,
    unit: Option<String>,
    samples: String,
}

/// Names already warned about, so that a conflict is reported once, not at every scrape.
static WARNED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn warn_once(name: &str, message: impl FnOnce() -> String) {
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    if warned
        .get_or_insert_with(HashSet::new)
        .insert(name.to_owned())
    {
        crate::base::diag::warn(format_args!("prometheus: {}", message()));
    }
}

/// The text of an attribute value as a label value: strings as they are, arrays as JSON.
fn value_text(v: Option<&AnyValue>) -> String {
    fn json(v: Option<&Value>) -> serde_json::Value {
        match v {
            Some(Value::BoolValue(b)) => (*b).into(),
            Some(Value::IntValue(i)) => (*i).into(),
            Some(Value::DoubleValue(f)) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| float(*f).into()),
            Some(Value::StringValue(s)) => s.as_str().into(),
            Some(Value::ArrayValue(a)) => a.values.iter().map(|v| json(v.value.as_ref())).collect(),
            Some(Value::KvlistValue(l)) => l
                .values
                .iter()
                .map(|kv| {
                    let v = kv.value.as_ref().and_then(|v| v.value.as_ref());
                    (kv.key.clone(), json(v))
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
            Some(Value::BytesValue(b)) => b
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
                .into(),
            // A string-table index (profiles only): no text to show.
            Some(Value::StringValueStrindex(i)) => (*i).into(),
            None => serde_json::Value::Null,
        }
    }
    match v.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::DoubleValue(f)) => float(*f),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        None => String::new(),
        other => json(other).to_string(),
    }
}

/// A float as both formats write it: `+Inf`, `-Inf`, `NaN`, or Rust's shortest
/// round-tripping text (`1.0`, `0.25`, `1e-9`).
fn float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{f:?}")
    }
}

fn escape_label_value(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(v: &str, format: Format) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if format == Format::OpenMetrics => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// The label name of an attribute key, sanitized once per key and thread (the same keys come
/// back at every point and every scrape).
fn label_name(key: &str) -> std::rc::Rc<str> {
    thread_local! {
        static NAMES: std::cell::RefCell<HashMap<String, std::rc::Rc<str>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(name) = names.get(key) {
            return std::rc::Rc::clone(name);
        }
        if names.len() >= 4096 {
            names.clear(); // keys of ever new names: memory stays bounded
        }
        let name: std::rc::Rc<str> = names::label(key).into();
        names.insert(key.to_owned(), std::rc::Rc::clone(&name));
        name
    })
}

/// Writes an attribute value as label value text, escaped.
fn write_value(out: &mut String, v: Option<&AnyValue>) {
    match v.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => escape_label_value(out, s),
        _ => escape_label_value(out, &value_text(v)),
    }
}

/// `{k="v",...}` for sanitized label names (values of keys that sanitize to the same name
/// joined with `;` in the order of the original keys), then `extra` labels as they are.
fn labels(attrs: &[KeyValue], extra: &[(&str, &str)]) -> String {
    let mut named: Vec<(std::rc::Rc<str>, &KeyValue)> =
        attrs.iter().map(|kv| (label_name(&kv.key), kv)).collect();
    named.sort_by(|a, b| (a.0.as_ref(), &a.1.key).cmp(&(b.0.as_ref(), &b.1.key)));
    let mut out = String::with_capacity(16 + 24 * (named.len() + extra.len()));
    out.push('{');
    let mut i = 0;
    while i < named.len() {
        if i > 0 {
            out.push(',');
        }
        let name = &named[i].0;
        out.push_str(name);
        out.push_str("=\"");
        let mut j = i;
        while j < named.len() && named[j].0 == *name {
            if j > i {
                out.push(';');
            }
            write_value(&mut out, named[j].1.value.as_ref());
            j += 1;
        }
        out.push('"');
        i = j;
    }
    for (n, (name, value)) in extra.iter().enumerate() {
        if n > 0 || !named.is_empty() {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        escape_label_value(&mut out, value);
        out.push('"');
    }
    out.push('}');
    out
}

/// `labels` with one more label (`le`) at the end: `{a="b",le="1.0"}`.
fn with_le(labels: &str, le: &str) -> String {
    let inner = &labels[1..labels.len() - 1];
    if inner.is_empty() {
        format!("{{le=\"{le}\"}}")
    } else {
        format!("{{{inner},le=\"{le}\"}}")
    }
}

/// Nanoseconds since the epoch as seconds with nine decimals.
fn seconds(unix_nanos: u64) -> String {
    format!(
        "{}.{:09}",
        unix_nanos / 1_000_000_000,
        unix_nanos % 1_000_000_000
    )
}

/// A number data point's value as sample text.
fn number_text(v: Option<&number_data_point::Value>) -> String {
    match v {
        Some(number_data_point::Value::AsInt(i)) => i.to_string(),
        Some(number_data_point::Value::AsDouble(d)) => float(*d),
        None => "0".to_owned(),
    }
}

/// An exemplar as OpenMetrics appends it to a sample: ` # {trace_id="..",span_id=".."} value
/// timestamp`.
fn exemplar_text(e: &proto::Exemplar) -> String {
    let mut out = String::from(" # {");
    if !e.trace_id.is_empty() {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let _ = write!(
            out,
            "trace_id=\"{}\",span_id=\"{}\"",
            hex(&e.trace_id),
            hex(&e.span_id)
        );
    }
    let value = match e.value {
        Some(proto::exemplar::Value::AsInt(i)) => i.to_string(),
        Some(proto::exemplar::Value::AsDouble(d)) => float(d),
        None => "0".to_owned(),
    };
    let _ = write!(out, "}} {value} {}", seconds(e.time_unix_nano));
    out
}

fn exemplar_value(e: &proto::Exemplar) -> f64 {
    match e.value {
        Some(proto::exemplar::Value::AsInt(i)) => i as f64,
        Some(proto::exemplar::Value::AsDouble(d)) => d,
        None => 0.0,
    }
}

/// Writes the samples of one metric under `family`; `scope` holds its scope labels.
struct Writer<'a> {
    format: Format,
    family: &'a str,
    scope: &'a [(&'a str, &'a str)],
    out: &'a mut String,
}

impl Writer<'_> {
    fn line(&mut self, suffix: &str, labels: &str, value: &str) {
        self.line_with(suffix, labels, value, None);
    }

    /// A sample line, with an exemplar after it when one is given (OpenMetrics only: the
    /// text format has no place for them).
    fn line_with(
        &mut self,
        suffix: &str,
        labels: &str,
        value: &str,
        exemplar: Option<&proto::Exemplar>,
    ) {
        let _ = write!(self.out, "{}{suffix}{labels} {value}", self.family);
        if let Some(e) = exemplar.filter(|_| self.format == Format::OpenMetrics) {
            self.out.push_str(&exemplar_text(e));
        }
        self.out.push('\n');
    }

    fn created(&mut self, labels: &str, start_unix_nanos: u64) {
        if self.format == Format::OpenMetrics {
            self.line("_created", labels, &seconds(start_unix_nanos));
        }
    }

    fn gauge(&mut self, p: &proto::NumberDataPoint) {
        let l = labels(&p.attributes, self.scope);
        self.line("", &l, &number_text(p.value.as_ref()));
    }

    /// A counter's samples: `family` is its name without `_total`; the latest exemplar goes
    /// with `_total`.
    fn counter(&mut self, p: &proto::NumberDataPoint) {
        let l = labels(&p.attributes, self.scope);
        let latest = p.exemplars.iter().max_by_key(|e| e.time_unix_nano);
        self.line_with("_total", &l, &number_text(p.value.as_ref()), latest);
        self.created(&l, p.start_time_unix_nano);
    }

    /// `_bucket` lines for cumulative counts at each upper bound, then `_count`, `_sum`. Each
    /// bucket line carries the largest exemplar that fell in it, else the one of a lower
    /// bucket, as the spec says.
    fn buckets(
        &mut self,
        l: &str,
        bounds: impl Iterator<Item = (f64, u64)>,
        count: u64,
        sum: Option<f64>,
        exemplars: &[proto::Exemplar],
    ) {
        let mut cumulative = 0u64;
        let mut lower = f64::NEG_INFINITY;
        let mut carried: Option<&proto::Exemplar> = None;
        let mut pick = |upper: f64| {
            let here = exemplars
                .iter()
                .filter(|e| exemplar_value(e) > lower && exemplar_value(e) <= upper)
                .max_by(|a, b| exemplar_value(a).total_cmp(&exemplar_value(b)));
            lower = upper;
            carried = here.or(carried);
            carried
        };
        for (upper, n) in bounds {
            cumulative += n;
            let e = pick(upper);
            self.line_with(
                "_bucket",
                &with_le(l, &float(upper)),
                &cumulative.to_string(),
                e,
            );
        }
        let e = pick(f64::INFINITY);
        self.line_with("_bucket", &with_le(l, "+Inf"), &count.to_string(), e);
        if let Some(sum) = sum {
            self.line("_sum", l, &float(sum));
        }
        self.line("_count", l, &count.to_string());
    }

    fn histogram(&mut self, p: &proto::HistogramDataPoint) {
        let l = labels(&p.attributes, self.scope);
        // The spec writes `_sum` only when no value can be negative.
        let sum = p.sum.filter(|_| p.min.map_or(true, |m| m >= 0.0));
        let bounds = p
            .explicit_bounds
            .iter()
            .copied()
            .zip(p.bucket_counts.iter().copied());
        self.buckets(&l, bounds, p.count, sum, &p.exemplars);
        self.created(&l, p.start_time_unix_nano);
    }

    fn exponential(&mut self, p: &proto::ExponentialHistogramDataPoint) {
        let l = labels(&p.attributes, self.scope);
        let base = 2f64.powf(2f64.powi(-p.scale));
        let indexed = |b: &Option<proto::exponential_histogram_data_point::Buckets>| {
            b.as_ref().map_or_else(Vec::new, |b| {
                b.bucket_counts
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (b.offset + i as i32, *n))
                    .collect::<Vec<_>>()
            })
        };
        let mut bounds = Vec::new();
        // Negative buckets from the most negative: bucket i holds [-base^(i+1), -base^i).
        for (i, n) in indexed(&p.negative).into_iter().rev() {
            bounds.push((-base.powi(i), n));
        }
        bounds.push((p.zero_threshold, p.zero_count));
        // Positive bucket i holds (base^i, base^(i+1)].
        for (i, n) in indexed(&p.positive) {
            bounds.push((base.powi(i + 1), n));
        }
        let sum = p.sum.filter(|_| p.min.map_or(true, |m| m >= 0.0));
        self.buckets(&l, bounds.into_iter(), p.count, sum, &p.exemplars);
        self.created(&l, p.start_time_unix_nano);
    }

    fn data(&mut self, data: &Data) {
        match data {
            Data::Gauge(g) => g.data_points.iter().for_each(|p| self.gauge(p)),
            Data::Sum(s) if s.is_monotonic => s.data_points.iter().for_each(|p| self.counter(p)),
            Data::Sum(s) => s.data_points.iter().for_each(|p| self.gauge(p)),
            Data::Histogram(h) => h.data_points.iter().for_each(|p| self.histogram(p)),
            Data::ExponentialHistogram(h) => h.data_points.iter().for_each(|p| self.exponential(p)),
            Data::Summary(_) => {}
        }
    }
}

/// The Prometheus type of a metric's data (delta temporality never reaches here: the
/// Prometheus reader is cumulative); None for what otelrs never makes (summaries).
fn metric_type(data: &Data) -> Option<Type> {
    match data {
        Data::Gauge(_) => Some(Type::Gauge),
        Data::Sum(s) if s.is_monotonic => Some(Type::Counter),
        Data::Sum(_) => Some(Type::Gauge),
        Data::Histogram(_) | Data::ExponentialHistogram(_) => Some(Type::Histogram),
        Data::Summary(_) => None,
    }
}

/// The scrape text of `request` in `format` (its exemplars are written in OpenMetrics).
/// Meters are taken in the order of their names and metrics in the order of theirs, so that
/// every scrape lists the same families in the same order, and the same one wins when two
/// types want one name.
pub(crate) fn encode(request: &ExportMetricsServiceRequest, format: Format) -> String {
    // Families by their name in the text format (a counter's ends with `_total`, which is
    // also what its samples are called), in the order they are first met.
    let mut order: Vec<String> = Vec::new();
    let mut families: HashMap<String, Family> = HashMap::new();
    let mut scopes: Vec<_> = request
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .collect();
    fn scope_of(sm: &proto::ScopeMetrics) -> (&str, &str) {
        sm.scope
            .as_ref()
            .map_or(("", ""), |s| (s.name.as_str(), s.version.as_str()))
    }
    scopes.sort_by(|a, b| scope_of(a).cmp(&scope_of(b)));
    for sm in scopes {
        let (scope_name, scope_version) = scope_of(sm);
        let mut scope_labels = vec![("otel_scope_name", scope_name)];
        if !scope_version.is_empty() {
            scope_labels.push(("otel_scope_version", scope_version));
        }
        let mut metrics: Vec<&proto::Metric> = sm.metrics.iter().collect();
        metrics.sort_by(|a, b| a.name.cmp(&b.name));
        for m in metrics {
            let Some(data) = &m.data else { continue };
            let Some(kind) = metric_type(data) else {
                continue;
            };
            let unit = names::unit(&m.unit);
            let mut name = names::family(&m.name, unit.as_deref());
            if kind == Type::Counter && !name.ends_with("_total") {
                name.push_str("_total");
            }
            let family = families.entry(name.clone()).or_insert_with(|| {
                order.push(name.clone());
                Family {
                    kind,
                    // Every family has help text (promtool's lint asks for it): the
                    // description, or else the metric's OpenTelemetry name.
                    help: match m.description.as_str() {
                        "" => m.name.clone(),
                        d => d.to_owned(),
                    },
                    unit: unit.clone(),
                    samples: String::new(),
                }
            });
            if family.kind != kind {
                warn_once(&name, || {
                    format!(
                        "{:?} of meter {scope_name:?} is a {}, but {name:?} is a {} already: it is left out",
                        m.name,
                        kind.name(),
                        family.kind.name(),
                    )
                });
                continue;
            }
            let base = match kind {
                Type::Counter => name.strip_suffix("_total").unwrap_or(&name),
                _ => &name,
            };
            Writer {
                format,
                family: base,
                scope: &scope_labels,
                out: &mut family.samples,
            }
            .data(data);
        }
    }

    let mut out = String::new();
    target_info(&mut out, request, format);
    for name in order {
        let f = &families[&name];
        // OpenMetrics names a counter's family without `_total`; the text format with it.
        let meta_name = match (f.kind, format) {
            (Type::Counter, Format::OpenMetrics) => name.strip_suffix("_total").unwrap_or(&name),
            _ => &name,
        };
        let _ = writeln!(out, "# HELP {meta_name} {}", escape_help(&f.help, format));
        let _ = writeln!(out, "# TYPE {meta_name} {}", f.kind.name());
        if let (Format::OpenMetrics, Some(unit)) = (format, &f.unit) {
            if meta_name.ends_with(&format!("_{unit}")) {
                let _ = writeln!(out, "# UNIT {meta_name} {unit}");
            }
        }
        out.push_str(&f.samples);
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

/// The resource as the `target_info` metric: an info metric in OpenMetrics, a gauge of 1 in
/// the text format. (Merged workers share one resource but for `process.pid`: the first
/// resource is the target's.)
fn target_info(out: &mut String, request: &ExportMetricsServiceRequest, format: Format) {
    let Some(attrs) = request
        .resource_metrics
        .first()
        .and_then(|rm| rm.resource.as_ref())
        .map(|r| &r.attributes)
        .filter(|a| !a.is_empty())
    else {
        return;
    };
    let (meta, kind) = match format {
        Format::Text => ("target_info", "gauge"),
        Format::OpenMetrics => ("target", "info"),
    };
    let _ = writeln!(out, "# HELP {meta} Target metadata");
    let _ = writeln!(out, "# TYPE {meta} {kind}");
    let _ = writeln!(out, "target_info{} 1", labels(attrs, &[]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::pipeline::SharedReader as Reader;
    use opentelemetry::metrics::MeterProvider;
    use opentelemetry::KeyValue as SdkKeyValue;
    use opentelemetry_sdk::metrics::data::ResourceMetrics;
    use opentelemetry_sdk::metrics::reader::MetricReader;
    use opentelemetry_sdk::metrics::{
        Aggregation, Instrument, SdkMeterProvider, Stream, Temporality,
    };
    use opentelemetry_sdk::Resource;

    /// A provider whose "latency.expo" histogram is exponential, and its reader.
    fn provider() -> (SdkMeterProvider, Reader) {
        let reader = Reader::new(Temporality::Cumulative);
        let expo = |i: &Instrument| {
            (i.name() == "latency.expo").then(|| {
                Stream::builder()
                    .with_aggregation(Aggregation::Base2ExponentialHistogram {
                        max_size: 160,
                        max_scale: 0,
                        record_min_max: true,
                    })
                    .build()
                    .expect("a valid stream")
            })
        };
        let provider = SdkMeterProvider::builder()
            .with_resource(
                Resource::builder_empty()
                    .with_attribute(SdkKeyValue::new("service.name", "svc"))
                    .build(),
            )
            .with_reader(reader.clone())
            .with_view(expo)
            .build();
        (provider, reader)
    }

    fn scrape(reader: &Reader, format: Format) -> String {
        let mut rm = ResourceMetrics::default();
        reader.collect(&mut rm).expect("collect");
        encode(&ExportMetricsServiceRequest::from(&rm), format)
    }

    #[test]
    fn an_exponential_histogram_becomes_classic_buckets_at_its_bounds() {
        let (provider, reader) = provider();
        let h = provider
            .meter("m")
            .f64_histogram("latency.expo")
            .with_unit("s")
            .build();
        // Scale 0: bucket i holds (2^i, 2^(i+1)]; values 3 and 3.5 are in bucket 1, 6 in 2.
        for v in [3.0, 3.5, 6.0] {
            h.record(v, &[]);
        }
        let text = scrape(&reader, Format::Text);
        let buckets: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("latency_expo_seconds_bucket"))
            .collect();
        assert_eq!(
            buckets,
            [
                r#"latency_expo_seconds_bucket{otel_scope_name="m",le="0.0"} 0"#,
                r#"latency_expo_seconds_bucket{otel_scope_name="m",le="4.0"} 2"#,
                r#"latency_expo_seconds_bucket{otel_scope_name="m",le="8.0"} 3"#,
                r#"latency_expo_seconds_bucket{otel_scope_name="m",le="+Inf"} 3"#,
            ]
        );
        assert!(text.contains("latency_expo_seconds_sum{otel_scope_name=\"m\"} 12.5\n"));
        assert!(text.contains("latency_expo_seconds_count{otel_scope_name=\"m\"} 3\n"));
    }

    #[test]
    fn negative_values_leave_out_the_sum_and_sort_their_buckets_first() {
        let (provider, reader) = provider();
        let h = provider.meter("m").f64_histogram("latency.expo").build();
        for v in [-3.0, -6.0, 0.0, 1.5] {
            h.record(v, &[]);
        }
        let text = scrape(&reader, Format::Text);
        let les: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split("le=\"").nth(1))
            .map(|rest| rest.split('"').next().unwrap_or(""))
            .collect();
        assert_eq!(les, ["-4.0", "-2.0", "0.0", "2.0", "+Inf"]);
        assert!(!text.contains("latency_expo_sum"));
    }

    #[test]
    fn one_family_per_name_and_a_conflicting_type_left_out() {
        let (provider, reader) = provider();
        provider.meter("a").u64_counter("jobs").build().add(1, &[]);
        provider.meter("b").u64_counter("jobs").build().add(2, &[]);
        // "jobs_total" is the counter's name in Prometheus: the gauge of meter "c" (met after
        // meters "a" and "b") is left out, at every scrape.
        provider
            .meter("c")
            .f64_gauge("jobs_total")
            .build()
            .record(9.0, &[]);
        let text = scrape(&reader, Format::OpenMetrics);
        assert_eq!(text.matches("# TYPE jobs counter").count(), 1);
        assert_eq!(text.matches("# TYPE").count(), 2, "{text}"); // target and jobs
        assert!(text.contains("jobs_total{otel_scope_name=\"a\"} 1\n"));
        assert!(text.contains("jobs_total{otel_scope_name=\"b\"} 2\n"));
        assert!(!text.contains(" 9.0"), "{text}");
    }

    #[test]
    fn values_and_help_are_escaped_and_floats_written_as_prometheus_reads_them() {
        assert_eq!(float(f64::INFINITY), "+Inf");
        assert_eq!(float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(float(f64::NAN), "NaN");
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(1e-9), "1e-9");
        let mut out = String::new();
        escape_label_value(&mut out, "a\"b\\c\nd");
        assert_eq!(out, r#"a\"b\\c\nd"#);
        assert_eq!(escape_help("a\"b\\\n", Format::Text), r#"a"b\\\n"#);
        assert_eq!(escape_help("a\"b", Format::OpenMetrics), r#"a\"b"#);
        let kv = [KeyValue::from(&opentelemetry::KeyValue::new(
            "ids",
            opentelemetry::Value::Array(vec![1i64, 2].into()),
        ))];
        assert_eq!(labels(&kv, &[]), r#"{ids="[1,2]"}"#);
    }
}
