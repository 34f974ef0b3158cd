//! The Loki log exporter: each batch pushed to Loki's push API (`/loki/api/v1/push`), as
//! snappy-compressed protobuf (what Promtail and Grafana Alloy send) or JSON. A record's stream
//! is the values of the configured labels (resource or record attributes, and `level`); its
//! line the body's text; everything else it carries (other attributes, trace and span ids,
//! severity, scope, event name) its structured metadata, named as Loki's own OTLP ingestion
//! names them (dots become underscores).

use crate::base::error::{Error, Result};
use crate::config::LokiSettings;
use crate::export::connection;
use crate::export::delivery::export_error;
use crate::export::http::{self as http_post, with_retries, Post};
use crate::export::values::{find, hex, text};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use std::collections::HashMap;
use std::time::Duration;

/// Loki's `logproto.PushRequest`, as far as otelrs sends it.
#[derive(Clone, PartialEq, prost::Message)]
struct PushRequest {
    #[prost(message, repeated, tag = "1")]
    streams: Vec<StreamAdapter>,
}

/// `logproto.StreamAdapter`: the labels in Prometheus form and the entries.
#[derive(Clone, PartialEq, prost::Message)]
struct StreamAdapter {
    #[prost(string, tag = "1")]
    labels: String,
    #[prost(message, repeated, tag = "2")]
    entries: Vec<EntryAdapter>,
}

/// `logproto.EntryAdapter`.
#[derive(Clone, PartialEq, prost::Message)]
struct EntryAdapter {
    #[prost(message, optional, tag = "1")]
    timestamp: Option<Timestamp>,
    #[prost(string, tag = "2")]
    line: String,
    #[prost(message, repeated, tag = "3")]
    structured_metadata: Vec<LabelPair>,
}

/// `logproto.LabelPairAdapter`.
#[derive(Clone, PartialEq, prost::Message)]
struct LabelPair {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    value: String,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, PartialEq, prost::Message)]
struct Timestamp {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

/// One stream label: the record's severity, or an attribute (the record's first, else the
/// resource's).
#[derive(Debug, Clone, PartialEq)]
enum Label {
    Level,
    Attribute { key: String, name: String },
}

/// The level label's value for a severity number: the name of its range, as Grafana shows
/// levels.
fn level(severity: i32) -> &'static str {
    match severity {
        1..=4 => "trace",
        5..=8 => "debug",
        9..=12 => "info",
        13..=16 => "warn",
        17..=20 => "error",
        21..=24 => "fatal",
        _ => "unknown",
    }
}

/// `key` as a Loki label or structured-metadata name: what is not a letter, digit or `_`
/// becomes `_`, and a leading digit gets a `_` before it.
fn label_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) || name.is_empty() {
        name.insert(0, '_');
    }
    name
}

/// A stream's labels in Prometheus form, `{a="x", b="y"}`, sorted by name.
fn prometheus_labels(labels: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = labels.iter().collect();
    sorted.sort();
    let mut out = String::from("{");
    for (i, (name, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// Label names and values.
type Labels = Vec<(String, String)>;

/// One stream before it is encoded: its labels and entries.
type Stream = (Labels, Vec<Entry>);

/// One entry before it is encoded.
struct Entry {
    nanos: u64,
    line: String,
    metadata: Vec<(String, String)>,
}

/// The streams of a batch, in the order their first record came.
fn streams(request: &ExportLogsServiceRequest, labels: &[Label]) -> Vec<Stream> {
    let mut out: Vec<Stream> = Vec::new();
    let mut index: HashMap<Labels, usize> = HashMap::new();
    for rl in &request.resource_logs {
        let resource: &[KeyValue] = rl.resource.as_ref().map_or(&[], |r| &r.attributes);
        for sl in &rl.scope_logs {
            for record in &sl.log_records {
                let (stream, entry) = entry(record, resource, sl.scope.as_ref(), labels);
                let i = *index.entry(stream.clone()).or_insert_with(|| {
                    out.push((stream, Vec::new()));
                    out.len() - 1
                });
                out[i].1.push(entry);
            }
        }
    }
    out
}

/// A record's stream labels and entry.
fn entry(
    record: &LogRecord,
    resource: &[KeyValue],
    scope: Option<&opentelemetry_proto::tonic::common::v1::InstrumentationScope>,
    labels: &[Label],
) -> (Labels, Entry) {
    let mut stream = Vec::with_capacity(labels.len());
    let mut used_record: Vec<&str> = Vec::new();
    let mut used_resource: Vec<&str> = Vec::new();
    for label in labels {
        match label {
            Label::Level => {
                stream.push(("level".to_owned(), level(record.severity_number).to_owned()))
            }
            Label::Attribute { key, name } => {
                if let Some(v) = find(&record.attributes, key) {
                    used_record.push(key);
                    stream.push((name.clone(), text(v)));
                } else if let Some(v) = find(resource, key) {
                    used_resource.push(key);
                    stream.push((name.clone(), text(v)));
                }
            }
        }
    }
    if stream.is_empty() {
        // Loki takes no stream without a label: the service names it then.
        let service = find(resource, "service.name").map_or_else(String::new, text);
        stream.push(("service_name".to_owned(), service));
    }
    let mut metadata = Vec::new();
    let mut add = |name: String, value: String| {
        if !value.is_empty() {
            metadata.push((name, value));
        }
    };
    for kv in &record.attributes {
        if !used_record.contains(&kv.key.as_str()) {
            add(
                label_name(&kv.key),
                kv.value.as_ref().map_or_else(String::new, text),
            );
        }
    }
    for kv in resource {
        if !used_resource.contains(&kv.key.as_str()) {
            add(
                label_name(&kv.key),
                kv.value.as_ref().map_or_else(String::new, text),
            );
        }
    }
    add("trace_id".to_owned(), hex(&record.trace_id));
    add("span_id".to_owned(), hex(&record.span_id));
    add("severity_text".to_owned(), record.severity_text.clone());
    if record.severity_number != 0 {
        add(
            "severity_number".to_owned(),
            record.severity_number.to_string(),
        );
    }
    if let Some(scope) = scope {
        add("scope_name".to_owned(), scope.name.clone());
        add("scope_version".to_owned(), scope.version.clone());
    }
    add("event_name".to_owned(), record.event_name.clone());
    let nanos = match record.time_unix_nano {
        0 => record.observed_time_unix_nano,
        t => t,
    };
    let line = record.body.as_ref().map_or_else(String::new, text);
    (
        stream,
        Entry {
            nanos,
            line,
            metadata,
        },
    )
}

/// The push body as protobuf (before snappy).
fn encode_protobuf(streams: Vec<Stream>) -> Vec<u8> {
    PushRequest {
        streams: streams
            .into_iter()
            .map(|(labels, entries)| StreamAdapter {
                labels: prometheus_labels(&labels),
                entries: entries
                    .into_iter()
                    .map(|e| EntryAdapter {
                        timestamp: Some(Timestamp {
                            seconds: (e.nanos / 1_000_000_000) as i64,
                            nanos: (e.nanos % 1_000_000_000) as i32,
                        }),
                        line: e.line,
                        structured_metadata: e
                            .metadata
                            .into_iter()
                            .map(|(name, value)| LabelPair { name, value })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
    .encode_to_vec()
}

/// The push body as JSON.
fn encode_json(streams: Vec<Stream>) -> Vec<u8> {
    use serde_json::{json, Map, Value as J};
    let streams: Vec<J> = streams
        .into_iter()
        .map(|(labels, entries)| {
            let stream: Map<String, J> = labels.into_iter().map(|(k, v)| (k, J::from(v))).collect();
            let values: Vec<J> = entries
                .into_iter()
                .map(|e| {
                    let metadata: Map<String, J> = e
                        .metadata
                        .into_iter()
                        .map(|(k, v)| (k, J::from(v)))
                        .collect();
                    json!([e.nanos.to_string(), e.line, metadata])
                })
                .collect();
            json!({ "stream": stream, "values": values })
        })
        .collect();
    serde_json::to_vec(&json!({ "streams": streams })).unwrap_or_default()
}

/// The Loki exporter.
pub(crate) struct LokiSink {
    client: reqwest::blocking::Client,
    url: String,
    headers: http::HeaderMap,
    json: bool,
    labels: Vec<Label>,
    request_timeout: Duration,
    export_timeout: Duration,
    retries: u64,
}

impl LokiSink {
    /// The exporter of `s`, whose pushes (with their retries) may take `export_timeout` each.
    pub(crate) fn new(s: &LokiSettings, export_timeout: Duration) -> Result<Self> {
        let mut headers = connection::header_map(&s.conn)?;
        if let Some(tenant) = &s.tenant {
            let value = http::HeaderValue::from_str(tenant).map_err(|_| {
                Error::config(format!(
                    "invalid value {tenant:?} for OTELRS_EXPORTER_LOKI_TENANT: not a valid HTTP header value"
                ))
            })?;
            headers.insert("x-scope-orgid", value);
        }
        let labels = s
            .labels
            .iter()
            .map(|key| match key.as_str() {
                "level" => Label::Level,
                key => Label::Attribute {
                    key: key.to_owned(),
                    name: label_name(key),
                },
            })
            .collect();
        Ok(LokiSink {
            client: connection::http_client(&s.conn)?,
            url: s.conn.endpoint.clone(),
            headers,
            json: s.json,
            labels,
            request_timeout: s.conn.timeout,
            export_timeout,
            retries: 0,
        })
    }

    /// Pushes `request`'s records, retrying as for OTLP.
    pub(crate) fn export(&mut self, request: &ExportLogsServiceRequest) -> Result<()> {
        let streams = streams(request, &self.labels);
        let (body, content_type, encoding) = if self.json {
            (encode_json(streams), "application/json", None)
        } else {
            let raw = encode_protobuf(streams);
            let compressed = snap::raw::Encoder::new()
                .compress_vec(&raw)
                .map_err(|e| export_error("loki", format!("snappy: {e}")))?;
            (compressed, "application/x-protobuf", Some("snappy"))
        };
        let (client, url, headers) = (&self.client, self.url.as_str(), &self.headers);
        with_retries(
            self.export_timeout,
            self.request_timeout,
            &mut self.retries,
            |left| {
                let post = Post {
                    url,
                    headers,
                    content_type,
                    content_encoding: encoding,
                    body: body.clone(),
                };
                http_post::post(client, post, left).map(drop)
            },
        )
        .map_err(|e| export_error("loki", e))
    }

    /// Attempts repeated after a retryable failure so far.
    pub(crate) fn retries(&self) -> u64 {
        self.retries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::logs::testing::{kv, string};
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    use opentelemetry_proto::tonic::common::v1::AnyValue;

    fn request(records: Vec<LogRecord>) -> ExportLogsServiceRequest {
        let resource = vec![
            kv("service.name", string("shop")),
            kv("host.name", string("h1")),
        ];
        crate::logs::testing::request(resource, "", records)
    }

    fn record(severity: i32, body: Value, attributes: Vec<KeyValue>) -> LogRecord {
        LogRecord {
            time_unix_nano: 1_700_000_000_123_456_789,
            severity_number: severity,
            body: Some(AnyValue { value: Some(body) }),
            attributes,
            ..Default::default()
        }
    }

    fn labels(keys: &[&str]) -> Vec<Label> {
        keys.iter()
            .map(|k| match *k {
                "level" => Label::Level,
                k => Label::Attribute {
                    key: k.to_owned(),
                    name: label_name(k),
                },
            })
            .collect()
    }

    #[test]
    fn records_group_into_streams_by_their_labels() {
        let req = request(vec![
            record(9, string("a"), vec![kv("user.id", Value::IntValue(7))]),
            record(17, string("b"), vec![]),
            record(10, string("c"), vec![kv("k", Value::BoolValue(true))]),
        ]);
        let streams = streams(&req, &labels(&["service.name", "level"]));
        let shown: Vec<(String, Vec<&str>)> = streams
            .iter()
            .map(|(l, e)| {
                (
                    prometheus_labels(l),
                    e.iter().map(|e| e.line.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    r#"{level="info", service_name="shop"}"#.to_owned(),
                    vec!["a", "c"]
                ),
                (
                    r#"{level="error", service_name="shop"}"#.to_owned(),
                    vec!["b"]
                ),
            ]
        );
        let first = &streams[0].1[0];
        assert_eq!(first.nanos, 1_700_000_000_123_456_789);
        assert_eq!(
            first.metadata,
            [
                ("user_id", "7"),
                ("host_name", "h1"),
                ("severity_number", "9"),
                ("scope_name", "checkout"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn names_values_and_labels_are_written_as_loki_reads_them() {
        assert_eq!(label_name("http.route"), "http_route");
        assert_eq!(label_name("9lives-x"), "_9lives_x");
        assert_eq!(
            prometheus_labels(&[
                ("b".into(), "say \"hi\"\\\n".into()),
                ("a".into(), "1".into())
            ]),
            r#"{a="1", b="say \"hi\"\\\n"}"#
        );
        assert_eq!(
            (level(0), level(4), level(24)),
            ("unknown", "trace", "fatal")
        );
        let map = Value::KvlistValue(opentelemetry_proto::tonic::common::v1::KeyValueList {
            values: vec![kv("n", Value::DoubleValue(1.5)), kv("s", string("x"))],
        });
        assert_eq!(text(&AnyValue { value: Some(map) }), r#"{"n":1.5,"s":"x"}"#);
        assert_eq!(
            text(&AnyValue {
                value: Some(Value::BytesValue(vec![1, 2, 255]))
            }),
            "AQL/"
        );
        // A record whose label attributes are all missing is in the service's stream.
        let req = request(vec![record(9, string("a"), vec![])]);
        let streams = streams(&req, &labels(&["tenant"]));
        assert_eq!(prometheus_labels(&streams[0].0), r#"{service_name="shop"}"#);
    }

    #[test]
    fn both_encodings_carry_every_entry() {
        let req = request(vec![record(13, string("w"), vec![kv("k", string("v"))])]);
        let raw = encode_protobuf(streams(&req, &labels(&["service.name", "level"])));
        let decoded = PushRequest::decode(raw.as_slice()).unwrap();
        let entry = &decoded.streams[0].entries[0];
        assert_eq!(
            decoded.streams[0].labels,
            r#"{level="warn", service_name="shop"}"#
        );
        assert_eq!(
            entry.timestamp,
            Some(Timestamp {
                seconds: 1_700_000_000,
                nanos: 123_456_789
            })
        );
        assert_eq!(
            entry.structured_metadata[0],
            LabelPair {
                name: "k".into(),
                value: "v".into()
            }
        );
        let json: serde_json::Value = serde_json::from_slice(&encode_json(streams(
            &req,
            &labels(&["service.name", "level"]),
        )))
        .unwrap();
        assert_eq!(
            json["streams"][0],
            serde_json::json!({
                "stream": {"service_name": "shop", "level": "warn"},
                "values": [["1700000000123456789", "w",
                    {"k": "v", "host_name": "h1", "severity_number": "13", "scope_name": "checkout"}]]
            })
        );
    }

    #[test]
    fn the_tenant_and_basic_auth_become_headers() {
        let mut c = Config::new();
        c.set("OTELRS_EXPORTER_LOKI_TENANT", "team-a").unwrap();
        c.set("OTELRS_EXPORTER_LOKI_USER", "1234").unwrap();
        c.set("OTELRS_EXPORTER_LOKI_PASSWORD", "token").unwrap();
        c.set("OTELRS_EXPORTER_LOKI_HEADERS", "x-extra=1").unwrap();
        let s = crate::config::Settings::resolve(&c).unwrap();
        let sink = LokiSink::new(&s.logs.loki, Duration::from_secs(1)).unwrap();
        let header = |k: &str| sink.headers.get(k).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("x-scope-orgid").as_deref(), Some("team-a"));
        assert_eq!(
            header("authorization").as_deref(),
            Some("Basic MTIzNDp0b2tlbg==")
        );
        assert_eq!(header("x-extra").as_deref(), Some("1"));
        assert_eq!(sink.url, "http://localhost:3100/loki/api/v1/push");
    }
}
