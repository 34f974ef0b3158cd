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

use crate::base::error::{Error, Result};
use crate::config::ElasticsearchSettings;
use crate::export::connection;
use crate::export::delivery::export_error;
use crate::export::http::{self as http_post, with_retries, Failure, Post};
use crate::export::values::{hex, json};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use serde_json::{json as object, Map, Value as J};
use std::time::Duration;

/// A time in nanoseconds as Elasticsearch's `epoch_millis` with a fraction, which keeps the
/// nanoseconds: `1700000000123.456789`.
fn epoch_millis(nanos: u64) -> String {
    format!("{}.{:06}", nanos / 1_000_000, nanos % 1_000_000)
}

/// Attributes as one JSON object, keys as they are (the mapping's `attributes` field is a
/// passthrough object).
fn attributes(attrs: &[KeyValue]) -> Map<String, J> {
    attrs
        .iter()
        .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(J::Null, json)))
        .collect()
}

/// The body as the mapping has it: `text` for a scalar, `structured` for a map, or for a list
/// of maps; any other list goes under `structured.value`.
fn body(v: &AnyValue) -> J {
    match &v.value {
        Some(Value::KvlistValue(_)) => object!({ "structured": json(v) }),
        Some(Value::ArrayValue(a)) => {
            let all_maps = a
                .values
                .iter()
                .all(|x| matches!(x.value, Some(Value::KvlistValue(_))));
            if all_maps {
                object!({ "structured": json(v) })
            } else {
                object!({ "structured": { "value": json(v) } })
            }
        }
        _ => object!({ "text": json(v) }),
    }
}

/// The documents of a batch, one JSON line each.
fn documents(request: &ExportLogsServiceRequest, data_stream: &J) -> Vec<String> {
    let mut out = Vec::new();
    for rl in &request.resource_logs {
        let mut resource = Map::new();
        if !rl.schema_url.is_empty() {
            resource.insert("schema_url".into(), J::from(rl.schema_url.as_str()));
        }
        if let Some(r) = &rl.resource {
            if !r.attributes.is_empty() {
                resource.insert("attributes".into(), J::Object(attributes(&r.attributes)));
            }
        }
        let resource = J::Object(resource);
        for sl in &rl.scope_logs {
            let mut scope = Map::new();
            if !sl.schema_url.is_empty() {
                scope.insert("schema_url".into(), J::from(sl.schema_url.as_str()));
            }
            if let Some(s) = &sl.scope {
                for (k, v) in [("name", &s.name), ("version", &s.version)] {
                    if !v.is_empty() {
                        scope.insert(k.into(), J::from(v.as_str()));
                    }
                }
                if !s.attributes.is_empty() {
                    scope.insert("attributes".into(), J::Object(attributes(&s.attributes)));
                }
            }
            let scope = J::Object(scope);
            for r in &sl.log_records {
                let time = match r.time_unix_nano {
                    0 => r.observed_time_unix_nano,
                    t => t,
                };
                let mut doc = Map::new();
                doc.insert("@timestamp".into(), J::from(epoch_millis(time)));
                doc.insert(
                    "observed_timestamp".into(),
                    J::from(epoch_millis(r.observed_time_unix_nano)),
                );
                doc.insert("data_stream".into(), data_stream.clone());
                if !r.severity_text.is_empty() {
                    doc.insert("severity_text".into(), J::from(r.severity_text.as_str()));
                }
                if r.severity_number != 0 {
                    doc.insert("severity_number".into(), J::from(r.severity_number));
                }
                if !r.trace_id.is_empty() {
                    doc.insert("trace_id".into(), J::from(hex(&r.trace_id)));
                    doc.insert("span_id".into(), J::from(hex(&r.span_id)));
                }
                if !r.attributes.is_empty() {
                    doc.insert("attributes".into(), J::Object(attributes(&r.attributes)));
                }
                if r.dropped_attributes_count > 0 {
                    doc.insert(
                        "dropped_attributes_count".into(),
                        J::from(r.dropped_attributes_count),
                    );
                }
                if !r.event_name.is_empty() {
                    doc.insert("event_name".into(), J::from(r.event_name.as_str()));
                }
                doc.insert("resource".into(), resource.clone());
                doc.insert("scope".into(), scope.clone());
                if let Some(b) = r.body.as_ref().filter(|b| b.value.is_some()) {
                    doc.insert("body".into(), body(b));
                }
                out.push(J::Object(doc).to_string());
            }
        }
    }
    out
}

/// What the bulk answer says of the documents sent: those to send again (refused for load),
/// and those refused for good with the first reason.
struct Outcome {
    again: Vec<usize>,
    refused: usize,
    reason: Option<String>,
}

/// Reads a bulk answer about the documents `sent` (their indexes in the batch).
fn outcome(answer: &[u8], sent: &[usize]) -> std::result::Result<Outcome, String> {
    let mut out = Outcome {
        again: Vec::new(),
        refused: 0,
        reason: None,
    };
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
        match status {
            200..=299 => {}
            429 => out.again.push(doc),
            _ => {
                out.refused += 1;
                if out.reason.is_none() {
                    let e = result.get("error").unwrap_or(&J::Null);
                    let text = |k: &str| e.get(k).and_then(J::as_str).unwrap_or("").to_owned();
                    out.reason = Some(format!(
                        "HTTP {status} {}: {}",
                        text("type"),
                        text("reason")
                    ));
                }
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
    index: String,
    data_stream: J,
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
            index: format!("logs-{dataset}-{}", s.namespace),
            data_stream: object!({ "type": "logs", "dataset": dataset, "namespace": s.namespace }),
            request_timeout: s.conn.timeout,
            export_timeout,
            retries: 0,
        })
    }

    /// Sends `request`'s records, retrying what failed in transit or was refused for load.
    pub(crate) fn export(&mut self, request: &ExportLogsServiceRequest) -> Result<()> {
        let docs = documents(request, &self.data_stream);
        let action = object!({ "create": { "_index": self.index } }).to_string();
        let mut pending: Vec<usize> = (0..docs.len()).collect();
        let (mut refused, mut reason) = (0, None);
        let (client, url, headers) = (&self.client, self.url.as_str(), &self.headers);
        let sent = with_retries(
            self.export_timeout,
            self.request_timeout,
            &mut self.retries,
            |left| {
                let mut body = Vec::new();
                for &i in &pending {
                    body.extend_from_slice(action.as_bytes());
                    body.push(b'\n');
                    body.extend_from_slice(docs[i].as_bytes());
                    body.push(b'\n');
                }
                let post = Post {
                    url,
                    headers,
                    content_type: "application/x-ndjson",
                    content_encoding: None,
                    body,
                };
                let answer = http_post::post(client, post, left)?;
                let o = outcome(&answer, &pending)
                    .map_err(|e| Failure::Final(Error::internal(format!("POST {url}: {e}"))))?;
                refused += o.refused;
                reason = reason.take().or(o.reason);
                pending = o.again;
                if pending.is_empty() {
                    Ok(())
                } else {
                    Err(Failure::Retryable(
                        Error::internal(format!(
                            "Elasticsearch refused {} documents for load (HTTP 429)",
                            pending.len()
                        )),
                        None,
                    ))
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

    /// Attempts repeated after a retryable failure so far.
    pub(crate) fn retries(&self) -> u64 {
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
        let docs = documents(&request, &stream);
        let doc: J = serde_json::from_str(&docs[0]).unwrap();
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
        assert_eq!(body(&list), object!({"structured": {"value": [1]}}));
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
            o.reason.as_deref(),
            Some("HTTP 400 document_parsing_exception: failed to parse field [attributes.n]")
        );
        let fine = outcome(br#"{"errors":false,"items":[]}"#, &[0, 1]).unwrap();
        assert!(fine.again.is_empty() && fine.refused == 0);
        assert!(outcome(br#"{"errors":true,"items":[]}"#, &[0]).is_err());
        assert!(outcome(b"<html>", &[0]).is_err());
    }
}
