//! The Elasticsearch log exporter: each batch sent to the bulk API (`_bulk`) as `create`
//! actions into the data stream `logs-<dataset>.otel-<namespace>`, each record a document of
//! Elastic's OpenTelemetry-native mapping (the one Elasticsearch's `logs-*.otel-*` templates
//! and the Collector's `elasticsearch` exporter in `otel` mode use): `@timestamp`,
//! `observed_timestamp`, `data_stream`, `severity_text`, `severity_number`, `trace_id`,
//! `span_id`, `attributes`, `event_name`, `resource`, `scope`, and `body.text` or
//! `body.structured`. The bulk answer says per document whether it was taken: a document
//! refused for good (a mapping conflict, ...) is counted as failed and its reason reported;
//! one refused for load (429) is sent again, as the whole request is when it fails in
//! transit.

use super::otlp_records::Batch;
use super::sinks::LogSink;
use crate::base::error::{Error, Result};
use crate::config::ElasticsearchSettings;
use crate::export::connection;
use crate::export::delivery::export_error;
use crate::export::http::{self as http_post, with_retries, Failure, Post};
use crate::export::values::{hex, write_json, write_object, write_str};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use serde_json::{json as object, Value as J};
use std::io::Write as _;
use std::ops::Range;
use std::time::Duration;

/// Writes a time in nanoseconds as Elasticsearch's `epoch_millis` with a fraction, which keeps
/// the nanoseconds: `"1700000000123.456789"`.
fn write_epoch_millis(out: &mut Vec<u8>, nanos: u64) {
    let _ = write!(out, "\"{}.{:06}\"", nanos / 1_000_000, nanos % 1_000_000);
}

/// Writes the body as the mapping has it: `text` for a scalar, `structured` for a map, or for
/// a list of maps; any other list goes under `structured.value`.
fn write_body(out: &mut Vec<u8>, v: &AnyValue) {
    match &v.value {
        Some(Value::KvlistValue(_)) => {
            out.extend_from_slice(b"{\"structured\":");
            write_json(out, v);
        }
        Some(Value::ArrayValue(a)) => {
            let all_maps = a
                .values
                .iter()
                .all(|x| matches!(x.value, Some(Value::KvlistValue(_))));
            out.extend_from_slice(if all_maps {
                b"{\"structured\":".as_slice()
            } else {
                b"{\"structured\":{\"value\":".as_slice()
            });
            write_json(out, v);
            if !all_maps {
                out.push(b'}');
            }
        }
        _ => {
            out.extend_from_slice(b"{\"text\":");
            write_json(out, v);
        }
    }
    out.push(b'}');
}

/// Writes `"key":` then `value` as a JSON string, when it is not empty.
fn write_field(out: &mut Vec<u8>, key: &str, value: &str) {
    if !value.is_empty() {
        let _ = write!(out, ",\"{key}\":");
        write_str(out, value);
    }
}

/// Ends an object whose fields were each written with a comma before them.
fn close_object(mut out: Vec<u8>) -> Vec<u8> {
    if out.get(1) == Some(&b',') {
        out.remove(1);
    }
    out.push(b'}');
    out
}

/// The `resource` object, written once for all its records.
fn write_resource(schema_url: &str, attrs: &[KeyValue]) -> Vec<u8> {
    let mut out = b"{".to_vec();
    write_field(&mut out, "schema_url", schema_url);
    if !attrs.is_empty() {
        out.extend_from_slice(b",\"attributes\":");
        write_object(&mut out, attrs, write_json);
    }
    close_object(out)
}

/// The `scope` object, written once for all its records.
fn write_scope(schema_url: &str, scope: Option<&InstrumentationScope>) -> Vec<u8> {
    let mut out = b"{".to_vec();
    write_field(&mut out, "schema_url", schema_url);
    if let Some(s) = scope {
        write_field(&mut out, "name", &s.name);
        write_field(&mut out, "version", &s.version);
        if !s.attributes.is_empty() {
            out.extend_from_slice(b",\"attributes\":");
            write_object(&mut out, &s.attributes, write_json);
        }
    }
    close_object(out)
}

/// The documents of a batch, written one after the other into one buffer, with the range of
/// each.
fn documents(
    request: &ExportLogsServiceRequest,
    data_stream: &[u8],
) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut out = Vec::new();
    let mut docs = Vec::new();
    for rl in &request.resource_logs {
        let resource = write_resource(
            &rl.schema_url,
            rl.resource.as_ref().map_or(&[], |r| &r.attributes),
        );
        for sl in &rl.scope_logs {
            let scope = write_scope(&sl.schema_url, sl.scope.as_ref());
            for r in &sl.log_records {
                let start = out.len();
                let time = match r.time_unix_nano {
                    0 => r.observed_time_unix_nano,
                    t => t,
                };
                out.extend_from_slice(b"{\"@timestamp\":");
                write_epoch_millis(&mut out, time);
                out.extend_from_slice(b",\"observed_timestamp\":");
                write_epoch_millis(&mut out, r.observed_time_unix_nano);
                out.extend_from_slice(b",\"data_stream\":");
                out.extend_from_slice(data_stream);
                write_field(&mut out, "severity_text", &r.severity_text);
                if r.severity_number != 0 {
                    let _ = write!(out, ",\"severity_number\":{}", r.severity_number);
                }
                if !r.trace_id.is_empty() {
                    write_field(&mut out, "trace_id", &hex(&r.trace_id));
                    write_field(&mut out, "span_id", &hex(&r.span_id));
                }
                if !r.attributes.is_empty() {
                    out.extend_from_slice(b",\"attributes\":");
                    write_object(&mut out, &r.attributes, write_json);
                }
                if r.dropped_attributes_count > 0 {
                    let _ = write!(
                        out,
                        ",\"dropped_attributes_count\":{}",
                        r.dropped_attributes_count
                    );
                }
                write_field(&mut out, "event_name", &r.event_name);
                out.extend_from_slice(b",\"resource\":");
                out.extend_from_slice(&resource);
                out.extend_from_slice(b",\"scope\":");
                out.extend_from_slice(&scope);
                if let Some(b) = r.body.as_ref().filter(|b| b.value.is_some()) {
                    out.extend_from_slice(b",\"body\":");
                    write_body(&mut out, b);
                }
                out.push(b'}');
                docs.push(start..out.len());
            }
        }
    }
    (out, docs)
}

/// What the bulk answer says of the documents sent: those to send again (refused for load)
/// with the first reason given for that, and those refused for good with the first reason.
struct Outcome {
    again: Vec<usize>,
    again_reason: Option<String>,
    refused: usize,
    reason: Option<String>,
}

/// Whether a bulk answer says `"errors":false` before its items, as Elasticsearch, OpenSearch
/// and the others that take bulk requests put it: then the items (one per document, thousands)
/// need not be read. Anything else is read in full.
fn no_errors(answer: &[u8]) -> bool {
    let head = &answer[..answer.len().min(256)];
    let Some(at) = head.windows(8).position(|w| w == b"\"errors\"") else {
        return false;
    };
    let rest: Vec<u8> = head[at + 8..]
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .take(6)
        .collect();
    rest == b":false"
}

/// Reads a bulk answer about the documents `sent` (their indexes in the batch).
fn outcome(answer: &[u8], sent: &[usize]) -> std::result::Result<Outcome, String> {
    let mut out = Outcome {
        again: Vec::new(),
        again_reason: None,
        refused: 0,
        reason: None,
    };
    if no_errors(answer) {
        return Ok(out);
    }
    let answer: J =
        serde_json::from_slice(answer).map_err(|e| format!("unreadable bulk answer: {e}"))?;
    if answer.get("errors") == Some(&J::Bool(false)) {
        return Ok(out);
    }
    let items = answer
        .get("items")
        .and_then(J::as_array)
        .filter(|items| items.len() == sent.len())
        .ok_or("a bulk answer without an item per document")?;
    for (item, &doc) in items.iter().zip(sent) {
        let result = item
            .as_object()
            .and_then(|o| o.values().next())
            .unwrap_or(&J::Null);
        let status = result.get("status").and_then(J::as_u64).unwrap_or(0);
        let why = || {
            let e = result.get("error").unwrap_or(&J::Null);
            let text = |k: &str| e.get(k).and_then(J::as_str).unwrap_or("");
            format!("HTTP {status} {}: {}", text("type"), text("reason"))
        };
        match status {
            200..=299 => {}
            429 => {
                out.again.push(doc);
                out.again_reason.get_or_insert_with(why);
            }
            _ => {
                out.refused += 1;
                out.reason.get_or_insert_with(why);
            }
        }
    }
    Ok(out)
}

/// The Elasticsearch exporter.
pub(crate) struct ElasticsearchSink {
    client: reqwest::blocking::Client,
    url: String,
    headers: http::HeaderMap,
    /// The action line of every document.
    action: Vec<u8>,
    /// The `data_stream` object of every document.
    data_stream: Vec<u8>,
    request_timeout: Duration,
    export_timeout: Duration,
    retries: u64,
}

impl ElasticsearchSink {
    /// The exporter of `s`, whose bulk requests (with their retries) may take
    /// `export_timeout` each.
    pub(crate) fn new(s: &ElasticsearchSettings, export_timeout: Duration) -> Result<Self> {
        // `_bulk` goes after the endpoint's path, before any query.
        let (path, query) = match s.conn.endpoint.split_once('?') {
            Some((p, q)) => (p, format!("?{q}")),
            None => (s.conn.endpoint.as_str(), String::new()),
        };
        let dataset = format!("{}.otel", s.dataset);
        Ok(ElasticsearchSink {
            client: connection::http_client(&s.conn)?,
            url: format!("{}/_bulk{query}", path.trim_end_matches('/')),
            headers: connection::header_map(&s.conn)?,
            action: object!({ "create": { "_index": format!("logs-{dataset}-{}", s.namespace) } })
                .to_string()
                .into_bytes(),
            data_stream: object!({ "type": "logs", "dataset": dataset, "namespace": s.namespace })
                .to_string()
                .into_bytes(),
            request_timeout: s.conn.timeout,
            export_timeout,
            retries: 0,
        })
    }
}

impl LogSink for ElasticsearchSink {
    /// Sends `request`'s records, retrying what failed in transit or was refused for load.
    fn export(&mut self, batch: &Batch<'_>) -> Result<()> {
        let request = batch.request();
        let (written, docs) = documents(request, &self.data_stream);
        let action = &self.action;
        let mut pending: Vec<usize> = (0..docs.len()).collect();
        let (mut refused, mut reason) = (0, None);
        let (client, url, headers) = (&self.client, self.url.as_str(), &self.headers);
        let sent = with_retries(
            self.export_timeout,
            self.request_timeout,
            &mut self.retries,
            |left| {
                let mut body =
                    Vec::with_capacity(written.len() + pending.len() * (action.len() + 2));
                for &i in &pending {
                    body.extend_from_slice(action);
                    body.push(b'\n');
                    body.extend_from_slice(&written[docs[i].clone()]);
                    body.push(b'\n');
                }
                let post = Post {
                    url,
                    headers,
                    content_type: "application/x-ndjson",
                    content_encoding: None,
                    body: body.into(),
                };
                let answer = http_post::post(client, post, left)?;
                let o = outcome(&answer, &pending)
                    .map_err(|e| Failure::Final(Error::internal(format!("POST {url}: {e}"))))?;
                refused += o.refused;
                reason = reason.take().or(o.reason);
                pending = o.again;
                match o.again_reason {
                    None => Ok(()),
                    Some(why) => Err(Failure::Retryable(
                        Error::internal(format!(
                            "Elasticsearch refused {} documents for load ({why})",
                            pending.len()
                        )),
                        None,
                    )),
                }
            },
        );
        let failed = refused + pending.len();
        match sent {
            Ok(()) if failed == 0 => Ok(()),
            Ok(()) => Err(Error::rejected(
                u32::try_from(failed).unwrap_or(u32::MAX),
                format!(
                    "elasticsearch exporter: Elasticsearch rejected {failed} of {} documents: {}",
                    docs.len(),
                    reason.unwrap_or_default()
                ),
            )),
            // Some documents may have been taken before it failed.
            Err(e) if failed < docs.len() => Err(Error::rejected(
                u32::try_from(failed).unwrap_or(u32::MAX),
                format!(
                    "elasticsearch exporter: {failed} of {} documents not taken: {e}",
                    docs.len()
                ),
            )),
            Err(e) => Err(export_error("elasticsearch", e)),
        }
    }

    fn retries(&self) -> u64 {
        self.retries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::testing::{kv, request, string};
    use opentelemetry_proto::tonic::common::v1::ArrayValue;
    use opentelemetry_proto::tonic::logs::v1::LogRecord;

    #[test]
    fn a_record_is_a_document_of_the_otel_mapping() {
        let record = LogRecord {
            time_unix_nano: 1_700_000_000_123_000_789,
            observed_time_unix_nano: 1_700_000_001_000_000_000,
            severity_number: 17,
            severity_text: "ERROR".into(),
            body: Some(AnyValue {
                value: Some(string("boom")),
            }),
            attributes: vec![kv("order.id", Value::IntValue(42))],
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            event_name: "order.failed".into(),
            ..Default::default()
        };
        let request = request(
            vec![kv("service.name", string("shop"))],
            "2.0",
            vec![record],
        );
        let stream = object!({"type": "logs", "dataset": "generic.otel", "namespace": "default"});
        let (written, docs) = documents(&request, stream.to_string().as_bytes());
        let doc: J = serde_json::from_slice(&written[docs[0].clone()]).unwrap();
        assert_eq!(
            doc,
            object!({
                "@timestamp": "1700000000123.000789",
                "observed_timestamp": "1700000001000.000000",
                "data_stream": stream,
                "severity_text": "ERROR",
                "severity_number": 17,
                "trace_id": "01010101010101010101010101010101",
                "span_id": "0202020202020202",
                "attributes": {"order.id": 42},
                "event_name": "order.failed",
                "resource": {"attributes": {"service.name": "shop"}},
                "scope": {"name": "checkout", "version": "2.0"},
                "body": {"text": "boom"}
            })
        );
        let list = AnyValue {
            value: Some(Value::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(Value::IntValue(1)),
                }],
            })),
        };
        let mut written = Vec::new();
        write_body(&mut written, &list);
        assert_eq!(
            serde_json::from_slice::<J>(&written).unwrap(),
            object!({"structured": {"value": [1]}})
        );
    }

    #[test]
    fn the_bulk_answer_says_what_to_send_again_and_what_was_refused() {
        let answer = br#"{"took":3,"errors":true,"items":[
            {"create":{"_index":"logs-generic.otel-default","status":201}},
            {"create":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
            {"create":{"status":400,"error":{"type":"document_parsing_exception","reason":"failed to parse field [attributes.n]"}}},
            {"create":{"status":400,"error":{"type":"x","reason":"y"}}}]}"#;
        let o = outcome(answer, &[10, 11, 12, 13]).unwrap();
        assert_eq!((o.again, o.refused), (vec![11], 2));
        assert_eq!(
            o.again_reason.as_deref(),
            Some("HTTP 429 es_rejected_execution_exception: queue full")
        );
        assert_eq!(
            o.reason.as_deref(),
            Some("HTTP 400 document_parsing_exception: failed to parse field [attributes.n]")
        );
        let fine = outcome(br#"{"took":1, "errors" : false,"items":[]}"#, &[0, 1]).unwrap();
        assert!(no_errors(
            br#"{"took":0,"errors":false,"items":[{"create":{"status":201}}]}"#
        ));
        assert!(!no_errors(br#"{"took":0,"errors":true,"items":[]}"#));
        assert!(fine.again.is_empty() && fine.refused == 0);
        assert!(outcome(br#"{"errors":true,"items":[]}"#, &[0]).is_err());
        assert!(outcome(b"<html>", &[0]).is_err());
    }
}
