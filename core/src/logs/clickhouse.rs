//! The ClickHouse log exporter: each batch as one INSERT into the log table of the
//! OpenTelemetry Collector's `clickhouse` exporter (`otel_logs`), one JSONEachRow row per
//! record, its columns filled as that exporter fills them (attributes as text, ids in hex, the
//! record's time or else when it was observed).

use super::otlp_records::Batch;
use super::sinks::LogSink;
use crate::base::clock::rfc3339_nanos;
use crate::base::error::Result;
use crate::config::ClickhouseSettings;
use crate::export::clickhouse::{Clickhouse, Table};
use crate::export::values::{find, hex, text, write_object, write_str, write_text};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use std::io::Write as _;
use std::time::Duration;

/// The rows of a batch, one JSON object per line. What is the same for a resource's or a
/// scope's records is written once and copied.
fn rows(request: &ExportLogsServiceRequest) -> Vec<u8> {
    let mut out = Vec::new();
    for rl in &request.resource_logs {
        let resource: &[KeyValue] = rl.resource.as_ref().map_or(&[], |r| &r.attributes);
        let mut shared = b",\"ServiceName\":".to_vec();
        write_str(
            &mut shared,
            &find(resource, "service.name").map_or_else(String::new, text),
        );
        shared.extend_from_slice(b",\"ResourceSchemaUrl\":");
        write_str(&mut shared, &rl.schema_url);
        shared.extend_from_slice(b",\"ResourceAttributes\":");
        write_object(&mut shared, resource, write_text);
        let resource_part = shared;
        for sl in &rl.scope_logs {
            let mut scope = resource_part.clone();
            let (name, version, attrs): (&str, &str, &[KeyValue]) = match &sl.scope {
                Some(s) => (&s.name, &s.version, &s.attributes),
                None => ("", "", &[]),
            };
            scope.extend_from_slice(b",\"ScopeSchemaUrl\":");
            write_str(&mut scope, &sl.schema_url);
            scope.extend_from_slice(b",\"ScopeName\":");
            write_str(&mut scope, name);
            scope.extend_from_slice(b",\"ScopeVersion\":");
            write_str(&mut scope, version);
            scope.extend_from_slice(b",\"ScopeAttributes\":");
            write_object(&mut scope, attrs, write_text);
            for r in &sl.log_records {
                let time = match r.time_unix_nano {
                    0 => r.observed_time_unix_nano,
                    t => t,
                };
                out.extend_from_slice(b"{\"Timestamp\":");
                write_str(&mut out, &rfc3339_nanos(time));
                let _ = write!(
                    out,
                    ",\"TraceId\":\"{}\",\"SpanId\":\"{}\",\"TraceFlags\":{},\"SeverityNumber\":{}",
                    hex(&r.trace_id),
                    hex(&r.span_id),
                    r.flags & 0xff,
                    r.severity_number
                );
                out.extend_from_slice(b",\"SeverityText\":");
                write_str(&mut out, &r.severity_text);
                out.extend_from_slice(b",\"Body\":");
                match &r.body {
                    Some(b) => write_text(&mut out, b),
                    None => out.extend_from_slice(b"\"\""),
                }
                out.extend_from_slice(&scope);
                out.extend_from_slice(b",\"LogAttributes\":");
                write_object(&mut out, &r.attributes, write_text);
                out.extend_from_slice(b"}\n");
            }
        }
    }
    out
}

/// The ClickHouse log exporter.
pub(crate) struct ClickhouseLogSink(Clickhouse);

impl ClickhouseLogSink {
    /// The exporter of `s`, whose inserts may take `export_timeout` each.
    pub(crate) fn new(s: &ClickhouseSettings, export_timeout: Duration) -> Result<Self> {
        Clickhouse::new(s, &[Table::Logs], export_timeout).map(ClickhouseLogSink)
    }
}

impl LogSink for ClickhouseLogSink {
    /// Inserts `request`'s records.
    fn export(&mut self, batch: &Batch<'_>) -> Result<()> {
        let request = batch.request();
        self.0.insert(Table::Logs, rows(request))
    }

    fn retries(&self) -> u64 {
        self.0.retries()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::testing::{kv, request, string};
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use opentelemetry_proto::tonic::common::v1::AnyValue;
    use opentelemetry_proto::tonic::logs::v1::LogRecord;

    #[test]
    fn a_record_is_a_row_of_the_collector_log_table() {
        let record = LogRecord {
            observed_time_unix_nano: 1_700_000_000_000_000_001,
            severity_number: 13,
            severity_text: "WARN".into(),
            body: Some(AnyValue {
                value: Some(Value::IntValue(7)),
            }),
            attributes: vec![kv("ok", Value::BoolValue(false))],
            trace_id: vec![0xab; 16],
            span_id: vec![0xcd; 8],
            flags: 0x101,
            ..Default::default()
        };
        let request = request(vec![kv("service.name", string("shop"))], "", vec![record]);
        let rows = rows(&request);
        let row: serde_json::Value =
            serde_json::from_slice(rows.strip_suffix(b"\n").unwrap()).unwrap();
        assert_eq!(
            row,
            serde_json::json!({
                "Timestamp": "2023-11-14T22:13:20.000000001Z",
                "TraceId": "abababababababababababababababab",
                "SpanId": "cdcdcdcdcdcdcdcd",
                "TraceFlags": 1,
                "SeverityText": "WARN",
                "SeverityNumber": 13,
                "ServiceName": "shop",
                "Body": "7",
                "ResourceSchemaUrl": "",
                "ResourceAttributes": {"service.name": "shop"},
                "ScopeSchemaUrl": "",
                "ScopeName": "checkout",
                "ScopeVersion": "",
                "ScopeAttributes": {},
                "LogAttributes": {"ok": "false"}
            })
        );
    }
}
