//! The console log exporter's JSON form (OTELRS_EXPORTER_CONSOLE_LOGS_FORMAT=json): one JSON
//! object per record and line on standard output, for container platforms that collect
//! standard output. A record is written as OTLP's JSON form writes a log record (the same
//! field names; 64-bit times as strings; fields at their default left out), with its attributes
//! and body as plain JSON values instead of OTLP's typed ones, and its scope and resource
//! beside it:
//!
//! `{"timeUnixNano":"…","observedTimeUnixNano":"…","severityNumber":9,"severityText":"INFO",
//! "body":"…","attributes":{"k":1},"droppedAttributesCount":2,"flags":1,"traceId":"…",
//! "spanId":"…","eventName":"…","scope":{"name":"…","version":"…"},"resource":{"service.name":"…"}}`

use super::otlp_records::Batch;
use super::sinks::LogSink;
use crate::base::error::Result;
use crate::export::delivery::export_error;
use crate::export::values::{hex, write_json, write_object, write_str};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::resource::v1::Resource;
use std::io::Write as _;

/// Writes one JSON line per record on standard output.
#[derive(Default)]
pub(crate) struct JsonConsoleLogSink {
    /// The lines of a batch, kept across batches.
    buf: Vec<u8>,
}

impl LogSink for JsonConsoleLogSink {
    fn export(&mut self, batch: &Batch<'_>) -> Result<()> {
        let request = batch.request();
        self.buf.clear();
        write_lines(&mut self.buf, request);
        let mut out = std::io::stdout().lock();
        out.write_all(&self.buf)
            .and_then(|_| out.flush())
            .map_err(|e| export_error("console log", e))
    }
}

/// Appends the lines of every record of `request` to `out`.
pub(crate) fn write_lines(out: &mut Vec<u8>, request: &ExportLogsServiceRequest) {
    for rl in &request.resource_logs {
        for sl in &rl.scope_logs {
            for record in &sl.log_records {
                write_record(out, record, sl.scope.as_ref(), rl.resource.as_ref());
                out.push(b'\n');
            }
        }
    }
}

fn write_record(
    out: &mut Vec<u8>,
    r: &LogRecord,
    scope: Option<&InstrumentationScope>,
    resource: Option<&Resource>,
) {
    // Each field after the first is preceded by a comma; the first is always there.
    let _ = write!(
        out,
        "{{\"observedTimeUnixNano\":\"{}\"",
        r.observed_time_unix_nano
    );
    if r.time_unix_nano != 0 {
        let _ = write!(out, ",\"timeUnixNano\":\"{}\"", r.time_unix_nano);
    }
    if r.severity_number != 0 {
        let _ = write!(out, ",\"severityNumber\":{}", r.severity_number);
    }
    if !r.severity_text.is_empty() {
        out.extend_from_slice(b",\"severityText\":");
        write_str(out, &r.severity_text);
    }
    if let Some(body) = &r.body {
        out.extend_from_slice(b",\"body\":");
        write_json(out, body);
    }
    if !r.attributes.is_empty() {
        out.extend_from_slice(b",\"attributes\":");
        write_object(out, &r.attributes, write_json);
    }
    if r.dropped_attributes_count != 0 {
        let _ = write!(
            out,
            ",\"droppedAttributesCount\":{}",
            r.dropped_attributes_count
        );
    }
    if r.flags != 0 {
        let _ = write!(out, ",\"flags\":{}", r.flags);
    }
    if !r.trace_id.is_empty() {
        let _ = write!(out, ",\"traceId\":\"{}\"", hex(&r.trace_id));
    }
    if !r.span_id.is_empty() {
        let _ = write!(out, ",\"spanId\":\"{}\"", hex(&r.span_id));
    }
    if !r.event_name.is_empty() {
        out.extend_from_slice(b",\"eventName\":");
        write_str(out, &r.event_name);
    }
    if let Some(scope) = scope {
        out.extend_from_slice(b",\"scope\":{\"name\":");
        write_str(out, &scope.name);
        if !scope.version.is_empty() {
            out.extend_from_slice(b",\"version\":");
            write_str(out, &scope.version);
        }
        if !scope.attributes.is_empty() {
            out.extend_from_slice(b",\"attributes\":");
            write_object(out, &scope.attributes, write_json);
        }
        out.push(b'}');
    }
    if let Some(resource) = resource {
        out.extend_from_slice(b",\"resource\":");
        write_object(out, &resource.attributes, write_json);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue};
    use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};

    fn value(v: Value) -> Option<AnyValue> {
        Some(AnyValue { value: Some(v) })
    }

    fn kv(key: &str, v: Value) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: value(v),
            ..Default::default()
        }
    }

    #[test]
    fn each_record_is_one_line_of_json_with_plain_values() {
        let full = LogRecord {
            time_unix_nano: 1_700_000_000_123_456_789,
            observed_time_unix_nano: 1_700_000_001_000_000_000,
            severity_number: 13,
            severity_text: "WARN".into(),
            body: value(Value::StringValue("line \"one\"\nand two".into())),
            attributes: vec![
                kv("n", Value::IntValue(-42)),
                kv("ok", Value::BoolValue(true)),
                kv(
                    "list",
                    Value::ArrayValue(ArrayValue {
                        values: vec![AnyValue {
                            value: Some(Value::DoubleValue(0.5)),
                        }],
                    }),
                ),
                kv("bytes", Value::BytesValue(vec![1, 2, 3])),
            ],
            dropped_attributes_count: 2,
            flags: 1,
            trace_id: vec![0xab; 16],
            span_id: vec![0x01; 8],
            event_name: "order.refused".into(),
        };
        let bare = LogRecord {
            observed_time_unix_nano: 5,
            ..Default::default()
        };
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![kv("service.name", Value::StringValue("shop".into()))],
                    ..Default::default()
                }),
                scope_logs: vec![ScopeLogs {
                    scope: Some(InstrumentationScope {
                        name: "checkout".into(),
                        version: "2.0".into(),
                        ..Default::default()
                    }),
                    log_records: vec![full, bare],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let mut out = Vec::new();
        write_lines(&mut out, &request);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            serde_json::json!({
                "observedTimeUnixNano": "1700000001000000000",
                "timeUnixNano": "1700000000123456789",
                "severityNumber": 13,
                "severityText": "WARN",
                "body": "line \"one\"\nand two",
                "attributes": {"n": -42, "ok": true, "list": [0.5], "bytes": "AQID"},
                "droppedAttributesCount": 2,
                "flags": 1,
                "traceId": "abababababababababababababababab",
                "spanId": "0101010101010101",
                "eventName": "order.refused",
                "scope": {"name": "checkout", "version": "2.0"},
                "resource": {"service.name": "shop"},
            })
        );
        // A record without severity, body, attributes or trace context: those left out.
        assert_eq!(
            lines[1],
            serde_json::json!({
                "observedTimeUnixNano": "5",
                "scope": {"name": "checkout", "version": "2.0"},
                "resource": {"service.name": "shop"},
            })
        );
    }
}
