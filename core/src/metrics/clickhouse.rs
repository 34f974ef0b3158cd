//! The ClickHouse metrics exporter: each collection inserted into the metric tables of the
//! OpenTelemetry Collector's `clickhouse` exporter (`otel_metrics_sum`, `_gauge`,
//! `_histogram`, `_exponential_histogram`), one JSONEachRow row per data point, its columns
//! filled as that exporter fills them (values as Float64, attributes as text, exemplars in
//! the `Exemplars` nested columns).

use super::exemplars::Exemplars;
use super::export::Sink;
use super::otlp_forms;
use crate::base::clock::rfc3339_nanos;
use crate::base::error::{Error, Result};
use crate::config::ClickhouseSettings;
use crate::export::clickhouse::{Clickhouse, Table};
use crate::export::values::{find, hex, string_map, text};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, metric::Data, number_data_point, Exemplar, NumberDataPoint,
};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use serde_json::{json as object, Map, Value as J};
use std::sync::Arc;
use std::time::Duration;

/// The columns every metric table has, for one metric of one scope of one resource.
fn common(
    resource: &J,
    service: &str,
    resource_url: &str,
    scope: &opentelemetry_proto::tonic::metrics::v1::ScopeMetrics,
    metric: &opentelemetry_proto::tonic::metrics::v1::Metric,
) -> Map<String, J> {
    let (name, version, attrs, dropped) = match &scope.scope {
        Some(s) => (
            s.name.as_str(),
            s.version.as_str(),
            string_map(&s.attributes),
            s.dropped_attributes_count,
        ),
        None => ("", "", J::Object(Map::new()), 0),
    };
    let J::Object(map) = object!({
        "ResourceAttributes": resource,
        "ResourceSchemaUrl": resource_url,
        "ScopeName": name,
        "ScopeVersion": version,
        "ScopeAttributes": attrs,
        "ScopeDroppedAttrCount": dropped,
        "ScopeSchemaUrl": scope.schema_url,
        "ServiceName": service,
        "MetricName": metric.name,
        "MetricDescription": metric.description,
        "MetricUnit": metric.unit,
    }) else {
        unreachable!("an object literal")
    };
    map
}

/// What every data point has, whatever its kind.
struct Point<'a> {
    attributes: &'a [KeyValue],
    start: u64,
    time: u64,
    flags: u32,
    exemplars: &'a [Exemplar],
}

/// The [`Point`] of a data point of any kind.
macro_rules! point {
    ($p:expr) => {
        Point {
            attributes: &$p.attributes,
            start: $p.start_time_unix_nano,
            time: $p.time_unix_nano,
            flags: $p.flags,
            exemplars: &$p.exemplars,
        }
    };
}

/// Adds the columns of `p`: its attributes, times, flags and exemplars.
fn add_point(row: &mut Map<String, J>, p: Point<'_>) {
    row.insert("Attributes".into(), string_map(p.attributes));
    row.insert("StartTimeUnix".into(), J::from(rfc3339_nanos(p.start)));
    row.insert("TimeUnix".into(), J::from(rfc3339_nanos(p.time)));
    row.insert("Flags".into(), J::from(p.flags));
    let column = |f: &dyn Fn(&Exemplar) -> J| J::Array(p.exemplars.iter().map(f).collect());
    row.insert(
        "Exemplars.FilteredAttributes".into(),
        column(&|e| string_map(&e.filtered_attributes)),
    );
    row.insert(
        "Exemplars.TimeUnix".into(),
        column(&|e| J::from(rfc3339_nanos(e.time_unix_nano))),
    );
    row.insert(
        "Exemplars.Value".into(),
        column(&|e| {
            J::from(match e.value {
                Some(exemplar::Value::AsDouble(d)) => d,
                Some(exemplar::Value::AsInt(i)) => i as f64,
                None => 0.0,
            })
        }),
    );
    row.insert(
        "Exemplars.SpanId".into(),
        column(&|e| J::from(hex(&e.span_id))),
    );
    row.insert(
        "Exemplars.TraceId".into(),
        column(&|e| J::from(hex(&e.trace_id))),
    );
}

/// Adds the columns both histogram tables have.
fn add_distribution(
    row: &mut Map<String, J>,
    count: u64,
    sum: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    temporality: i32,
) {
    for (column, value) in [
        ("Count", J::from(count)),
        ("Sum", J::from(sum.unwrap_or(0.0))),
        ("Min", J::from(min.unwrap_or(0.0))),
        ("Max", J::from(max.unwrap_or(0.0))),
        ("AggregationTemporality", J::from(temporality)),
    ] {
        row.insert(column.into(), value);
    }
}

/// The value of a number data point, as the tables keep it (Float64).
fn value(p: &NumberDataPoint) -> f64 {
    match p.value {
        Some(number_data_point::Value::AsDouble(d)) => d,
        Some(number_data_point::Value::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

/// The rows of a collection by table (one JSON object per line each), with their counts.
fn rows(request: &ExportMetricsServiceRequest) -> Vec<(Table, Vec<u8>, u64)> {
    let mut tables: Vec<(Table, Vec<u8>, u64)> = Vec::new();
    let mut push = |table: Table, row: Map<String, J>| {
        let i = match tables.iter().position(|(t, _, _)| *t == table) {
            Some(i) => i,
            None => {
                tables.push((table, Vec::new(), 0));
                tables.len() - 1
            }
        };
        let (_, out, n) = &mut tables[i];
        // A JSON value always serializes.
        let _ = serde_json::to_writer(&mut *out, &J::Object(row));
        out.push(b'\n');
        *n += 1;
    };
    for rm in &request.resource_metrics {
        let attrs: &[KeyValue] = rm.resource.as_ref().map_or(&[], |r| &r.attributes);
        let service = find(attrs, "service.name").map_or_else(String::new, text);
        let resource = string_map(attrs);
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                let base = common(&resource, &service, &rm.schema_url, sm, m);
                let row = |p: Point<'_>| {
                    let mut row = base.clone();
                    add_point(&mut row, p);
                    row
                };
                // A row of a histogram's data point `p`, with the columns both tables have.
                macro_rules! histogram_row {
                    ($p:expr, $temporality:expr) => {{
                        let mut row = row(point!($p));
                        add_distribution(&mut row, $p.count, $p.sum, $p.min, $p.max, $temporality);
                        row
                    }};
                }
                match &m.data {
                    Some(Data::Sum(s)) => {
                        for p in &s.data_points {
                            let mut row = row(point!(p));
                            row.insert("Value".into(), J::from(value(p)));
                            row.insert(
                                "AggregationTemporality".into(),
                                J::from(s.aggregation_temporality),
                            );
                            row.insert("IsMonotonic".into(), J::from(s.is_monotonic));
                            push(Table::Sum, row);
                        }
                    }
                    Some(Data::Gauge(g)) => {
                        for p in &g.data_points {
                            let mut row = row(point!(p));
                            row.insert("Value".into(), J::from(value(p)));
                            push(Table::Gauge, row);
                        }
                    }
                    Some(Data::Histogram(h)) => {
                        for p in &h.data_points {
                            let mut row = histogram_row!(p, h.aggregation_temporality);
                            row.insert("BucketCounts".into(), J::from(p.bucket_counts.clone()));
                            row.insert("ExplicitBounds".into(), J::from(p.explicit_bounds.clone()));
                            push(Table::Histogram, row);
                        }
                    }
                    Some(Data::ExponentialHistogram(h)) => {
                        for p in &h.data_points {
                            let mut row = histogram_row!(p, h.aggregation_temporality);
                            let (pos, neg) = (
                                p.positive.clone().unwrap_or_default(),
                                p.negative.clone().unwrap_or_default(),
                            );
                            row.insert("Scale".into(), J::from(p.scale));
                            row.insert("ZeroCount".into(), J::from(p.zero_count));
                            row.insert("PositiveOffset".into(), J::from(pos.offset));
                            row.insert("PositiveBucketCounts".into(), J::from(pos.bucket_counts));
                            row.insert("NegativeOffset".into(), J::from(neg.offset));
                            row.insert("NegativeBucketCounts".into(), J::from(neg.bucket_counts));
                            push(Table::ExponentialHistogram, row);
                        }
                    }
                    // otelrs makes no summaries.
                    Some(Data::Summary(_)) | None => {}
                }
            }
        }
    }
    tables
}

/// The ClickHouse metrics exporter.
pub(crate) struct ClickhouseSink {
    clickhouse: Clickhouse,
    exemplars: Arc<Exemplars>,
}

impl ClickhouseSink {
    /// The exporter of `s`, whose inserts may take `export_timeout` each.
    pub(crate) fn new(
        s: &ClickhouseSettings,
        exemplars: Arc<Exemplars>,
        export_timeout: Duration,
    ) -> Result<Self> {
        Ok(ClickhouseSink {
            clickhouse: Clickhouse::new(s, &Table::METRICS, export_timeout)?,
            exemplars,
        })
    }
}

impl Sink for ClickhouseSink {
    fn export(&mut self, rm: &ResourceMetrics) -> Result<()> {
        let tables = rows(&otlp_forms::request(rm, &self.exemplars));
        let total: u64 = tables.iter().map(|(_, _, n)| n).sum();
        let (mut failed, mut first) = (0u64, None);
        for (table, rows, n) in tables {
            if let Err(e) = self.clickhouse.insert(table, rows) {
                failed += n;
                first.get_or_insert(e);
            }
        }
        match first {
            None => Ok(()),
            Some(e) if failed == total => Err(e),
            // The other tables took their points.
            Some(e) => Err(Error::rejected(
                u32::try_from(failed).unwrap_or(u32::MAX),
                format!("{e} ({failed} of {total} data points not inserted)"),
            )),
        }
    }

    fn retries(&self) -> u64 {
        self.clickhouse.retries()
    }
}
