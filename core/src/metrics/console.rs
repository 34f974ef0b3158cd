//! The console exporter's text: one header line per collection, one line per metric, one
//! indented line per data point.

use crate::base::clock::rfc3339;
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::Temporality;
use std::fmt::{Display, Write};
use std::time::SystemTime;

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{:?}", s.as_str()),
        other => other.to_string(),
    }
}

/// `{k=v, ...}` in key order.
fn attrs_text<'a>(attrs: impl Iterator<Item = &'a KeyValue>) -> String {
    let mut parts: Vec<String> = attrs
        .map(|kv| format!("{}={}", kv.key, value_text(&kv.value)))
        .collect();
    parts.sort();
    if parts.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{{}}}", parts.join(", "))
    }
}

fn temporality_text(t: Temporality) -> &'static str {
    match t {
        Temporality::Delta => "delta",
        _ => "cumulative",
    }
}

fn data_text<T: Display + Copy>(out: &mut String, head: &str, data: &MetricData<T>) {
    match data {
        MetricData::Gauge(g) => {
            let _ = writeln!(out, "{head} gauge");
            for p in g.data_points() {
                let _ = writeln!(out, "    {} {}", attrs_text(p.attributes()), p.value());
            }
        }
        MetricData::Sum(s) => {
            let kind = if s.is_monotonic() {
                "sum monotonic"
            } else {
                "sum"
            };
            let _ = writeln!(out, "{head} {kind} {}", temporality_text(s.temporality()));
            for p in s.data_points() {
                let _ = writeln!(out, "    {} {}", attrs_text(p.attributes()), p.value());
            }
        }
        MetricData::Histogram(h) => {
            let _ = writeln!(
                out,
                "{head} histogram {}",
                temporality_text(h.temporality())
            );
            for p in h.data_points() {
                let mut line = format!(
                    "    {} count={} sum={}",
                    attrs_text(p.attributes()),
                    p.count(),
                    p.sum()
                );
                if let (Some(min), Some(max)) = (p.min(), p.max()) {
                    let _ = write!(line, " min={min} max={max}");
                }
                let bounds: Vec<f64> = p.bounds().collect();
                let mut lower = f64::NEG_INFINITY;
                for (i, count) in p.bucket_counts().enumerate() {
                    let upper = bounds.get(i).copied();
                    if count > 0 {
                        let _ = match upper {
                            Some(upper) => write!(line, " ({lower},{upper}]={count}"),
                            None => write!(line, " ({lower},+inf)={count}"),
                        };
                    }
                    lower = upper.unwrap_or(f64::INFINITY);
                }
                let _ = writeln!(out, "{line}");
            }
        }
        MetricData::ExponentialHistogram(h) => {
            let _ = writeln!(
                out,
                "{head} exponential histogram {}",
                temporality_text(h.temporality())
            );
            for p in h.data_points() {
                let _ = writeln!(
                    out,
                    "    {} count={} sum={} scale={}",
                    attrs_text(p.attributes()),
                    p.count(),
                    p.sum(),
                    p.scale()
                );
            }
        }
    }
}

/// The text for one collection.
pub(crate) fn format(rm: &ResourceMetrics) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "otelrs metrics {} resource {}",
        rfc3339(SystemTime::now()),
        attrs_text(
            rm.resource()
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                .collect::<Vec<_>>()
                .iter()
        )
    );
    for sm in rm.scope_metrics() {
        let scope = sm.scope();
        let scope_name = match scope.version() {
            Some(v) => format!("{}@{v}", scope.name()),
            None => scope.name().to_owned(),
        };
        for m in sm.metrics() {
            let mut head = format!("  [{scope_name}] {}", m.name());
            if !m.unit().is_empty() {
                let _ = write!(head, " ({})", m.unit());
            }
            if !m.description().is_empty() {
                let _ = write!(head, " {:?}", m.description());
            }
            match m.data() {
                AggregatedMetrics::F64(d) => data_text(&mut out, &head, d),
                AggregatedMetrics::U64(d) => data_text(&mut out, &head, d),
                AggregatedMetrics::I64(d) => data_text(&mut out, &head, d),
            }
        }
    }
    out
}
