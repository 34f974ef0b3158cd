//! The Loki log exporter: each batch pushed to Loki's push API (`/loki/api/v1/push`), as
//! snappy-compressed protobuf (what Promtail and Grafana Alloy send) or JSON. A record's stream
//! is the values of the configured labels (resource or record attributes, and `level`); its
//! line the body's text; everything else it carries (other attributes, trace and span ids,
//! severity, scope, event name) its structured metadata, named as Loki's own OTLP ingestion
//! names them (dots become underscores).

use super::otlp_records::Batch;
use super::sinks::LogSink;
use crate::base::error::{Error, Result};
use crate::config::LokiSettings;
use crate::export::connection;
use crate::export::delivery::export_error;
use crate::export::http::{self as http_post, with_retries, Post};
use crate::export::protobuf::{bytes_always, nested};
use crate::export::values::{find, hex, text, write_str};
use crate::export::Wire;
use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write as _;
use std::time::Duration;

/// Loki's `logproto.PushRequest`, as far as otelrs sends it. (decoded by the tests; otelrs writes it field by field)
#[cfg(test)]
#[derive(Clone, PartialEq, prost::Message)]
struct PushRequest {
    #[prost(message, repeated, tag = "1")]
    streams: Vec<StreamAdapter>,
}

/// `logproto.StreamAdapter`: the labels in Prometheus form and the entries. (decoded by the tests; otelrs writes it field by field)
#[cfg(test)]
#[derive(Clone, PartialEq, prost::Message)]
struct StreamAdapter {
    #[prost(string, tag = "1")]
    labels: String,
    #[prost(message, repeated, tag = "2")]
    entries: Vec<EntryAdapter>,
}

/// `logproto.EntryAdapter`. (decoded by the tests; otelrs writes it field by field)
#[cfg(test)]
#[derive(Clone, PartialEq, prost::Message)]
struct EntryAdapter {
    #[prost(message, optional, tag = "1")]
    timestamp: Option<Timestamp>,
    #[prost(string, tag = "2")]
    line: String,
    #[prost(message, repeated, tag = "3")]
    structured_metadata: Vec<LabelPair>,
}

/// `logproto.LabelPairAdapter`. (decoded by the tests; otelrs writes it field by field)
#[cfg(test)]
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

/// The level label's values, in the order of the severity ranges otelrs counts by
/// ([`super::RANGES`]), lower-case as Grafana shows levels; `unknown` for no severity.
const LEVELS: [&str; 7] = [
    "trace", "debug", "info", "warn", "error", "fatal", "unknown",
];

/// The level label's value for a severity number.
fn level(severity: i32) -> &'static str {
    u8::try_from(severity)
        .ok()
        .filter(|s| *s <= 24)
        .map_or("unknown", |s| LEVELS[super::stats::range_of(s)])
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

/// A value as text, borrowed when it is a string.
fn text_of(v: Option<&AnyValue>) -> Cow<'_, str> {
    match v {
        Some(AnyValue {
            value: Some(Value::StringValue(s)),
        }) => Cow::Borrowed(s),
        Some(v) => Cow::Owned(text(v)),
        None => Cow::Borrowed(""),
    }
}

/// `key` as a label or metadata name, borrowed when it is one already.
fn name_of(key: &str) -> Cow<'_, str> {
    let valid = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    match valid {
        true => Cow::Borrowed(key),
        false => Cow::Owned(label_name(key)),
    }
}

/// One stream of a push: its labels, and its entries already written (protobuf: each an
/// `entries` field of a `StreamAdapter`; JSON: the items of its `values`, comma-separated).
struct Stream {
    labels: Vec<(String, String)>,
    entries: Vec<u8>,
}

/// Writes one entry into `out`: its time, line and structured metadata.
struct EntryWriter<'a> {
    wire: Wire,
    out: &'a mut Vec<u8>,
    /// How many metadata pairs were written (JSON puts a comma between them).
    pairs: usize,
}

impl EntryWriter<'_> {
    fn start<'o>(wire: Wire, out: &'o mut Vec<u8>, nanos: u64, line: &str) -> EntryWriter<'o> {
        match wire {
            Wire::Protobuf => {
                let ts = Timestamp {
                    seconds: (nanos / 1_000_000_000) as i64,
                    nanos: (nanos % 1_000_000_000) as i32,
                };
                prost::encoding::message::encode(1, &ts, out);
                bytes_always(out, 2, line.as_bytes());
            }
            Wire::Json => {
                let _ = write!(out, "[\"{nanos}\",");
                write_str(out, line);
                out.extend_from_slice(b",{");
            }
        }
        EntryWriter {
            wire,
            out,
            pairs: 0,
        }
    }

    /// A metadata pair, left out when the value is empty.
    fn pair(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        match self.wire {
            // A LabelPairAdapter: name (1) and value (2).
            Wire::Protobuf => nested(self.out, 3, |b| {
                bytes_always(b, 1, name.as_bytes());
                bytes_always(b, 2, value.as_bytes());
            }),
            Wire::Json => {
                if self.pairs > 0 {
                    self.out.push(b',');
                }
                write_str(self.out, name);
                self.out.push(b':');
                write_str(self.out, value);
            }
        }
        self.pairs += 1;
    }

    fn finish(self) {
        if self.wire == Wire::Json {
            self.out.extend_from_slice(b"}]");
        }
    }
}

/// The value of `label` for `record` of a resource of `resource`, and whether the record
/// (rather than the resource) gave it; `None` when neither has it.
fn label_value<'a>(
    label: &'a Label,
    record: &'a LogRecord,
    resource: &'a [KeyValue],
) -> Option<(Cow<'a, str>, bool)> {
    match label {
        Label::Level => Some((Cow::Borrowed(level(record.severity_number)), false)),
        Label::Attribute { key, .. } => match find(&record.attributes, key) {
            Some(v) => Some((text_of(Some(v)), true)),
            None => find(resource, key).map(|v| (text_of(Some(v)), false)),
        },
    }
}

/// The index of the label an attribute of `key` gives, if one does.
fn label_of(labels: &[Label], key: &str) -> Option<usize> {
    labels
        .iter()
        .position(|l| matches!(l, Label::Attribute { key: k, .. } if k == key))
}

/// The streams of a batch, in the order their first record came, each with its entries
/// written. A record's stream is found by its label values (in the labels' order, joined in
/// a buffer kept across records), so that a record of a stream already seen allocates nothing
/// for it.
fn streams(request: &ExportLogsServiceRequest, labels: &[Label], wire: Wire) -> Vec<Stream> {
    let mut out: Vec<Stream> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let (mut entry, mut key, mut number) = (Vec::new(), String::new(), String::new());
    for rl in &request.resource_logs {
        let resource: &[KeyValue] = rl.resource.as_ref().map_or(&[], |r| &r.attributes);
        // Each resource attribute's label (if it may give one), metadata name and text, once
        // for all its records.
        let resource_pairs: Vec<(Option<usize>, Cow<'_, str>, Cow<'_, str>)> = resource
            .iter()
            .map(|kv| {
                (
                    label_of(labels, &kv.key),
                    name_of(&kv.key),
                    text_of(kv.value.as_ref()),
                )
            })
            .collect();
        for sl in &rl.scope_logs {
            for record in &sl.log_records {
                // Bit i: label i came from the record's attributes, or from the resource's
                // (those attributes are then not metadata too).
                let (mut from_record, mut from_resource) = (0u64, 0u64);
                key.clear();
                for (i, label) in labels.iter().enumerate() {
                    match label_value(label, record, resource) {
                        Some((value, by_record)) => {
                            if matches!(label, Label::Attribute { .. }) {
                                *(if by_record {
                                    &mut from_record
                                } else {
                                    &mut from_resource
                                }) |= 1 << i;
                            }
                            key.push_str(&value);
                            key.push('\0');
                        }
                        None => key.push('\u{1}'),
                    }
                }
                let i = match index.get(key.as_str()) {
                    Some(&i) => i,
                    None => {
                        let mut stream: Vec<(String, String)> = labels
                            .iter()
                            .filter_map(|l| {
                                let (value, _) = label_value(l, record, resource)?;
                                let name = match l {
                                    Label::Level => "level",
                                    Label::Attribute { name, .. } => name,
                                };
                                Some((name.to_owned(), value.into_owned()))
                            })
                            .collect();
                        if stream.is_empty() {
                            // Loki takes no stream without a label: the service names it then.
                            let service = text_of(find(resource, "service.name"));
                            stream.push(("service_name".to_owned(), service.into_owned()));
                        }
                        out.push(Stream {
                            labels: stream,
                            entries: Vec::new(),
                        });
                        index.insert(key.clone(), out.len() - 1);
                        out.len() - 1
                    }
                };
                let nanos = match record.time_unix_nano {
                    0 => record.observed_time_unix_nano,
                    t => t,
                };
                entry.clear();
                let line = text_of(record.body.as_ref());
                let mut w = EntryWriter::start(wire, &mut entry, nanos, &line);
                let labelled =
                    |mask: u64, label: Option<usize>| label.is_some_and(|i| mask >> i & 1 == 1);
                for kv in &record.attributes {
                    if !labelled(from_record, label_of(labels, &kv.key)) {
                        w.pair(&name_of(&kv.key), &text_of(kv.value.as_ref()));
                    }
                }
                for (label, name, value) in &resource_pairs {
                    if !labelled(from_resource, *label) {
                        w.pair(name, value);
                    }
                }
                w.pair("trace_id", &hex(&record.trace_id));
                w.pair("span_id", &hex(&record.span_id));
                w.pair("severity_text", &record.severity_text);
                if record.severity_number != 0 {
                    number.clear();
                    let _ = std::fmt::Write::write_fmt(
                        &mut number,
                        format_args!("{}", record.severity_number),
                    );
                    w.pair("severity_number", &number);
                }
                if let Some(scope) = &sl.scope {
                    w.pair("scope_name", &scope.name);
                    w.pair("scope_version", &scope.version);
                }
                w.pair("event_name", &record.event_name);
                w.finish();
                let entries = &mut out[i].entries;
                match wire {
                    Wire::Protobuf => bytes_always(entries, 2, &entry),
                    Wire::Json => {
                        if !entries.is_empty() {
                            entries.push(b',');
                        }
                        entries.extend_from_slice(&entry);
                    }
                }
            }
        }
    }
    out
}

/// The push body: a `PushRequest` in protobuf (before snappy), or its JSON form.
fn encode(streams: Vec<Stream>, wire: Wire) -> Vec<u8> {
    let mut body = Vec::new();
    match wire {
        Wire::Protobuf => {
            use prost::encoding::{encode_key, encode_varint, string, WireType};
            for stream in streams {
                let labels = prometheus_labels(&stream.labels);
                let len = string::encoded_len(1, &labels) + stream.entries.len();
                encode_key(1, WireType::LengthDelimited, &mut body);
                encode_varint(len as u64, &mut body);
                string::encode(1, &labels, &mut body);
                body.extend_from_slice(&stream.entries);
            }
        }
        Wire::Json => {
            body.extend_from_slice(b"{\"streams\":[");
            for (i, stream) in streams.into_iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(b"{\"stream\":{");
                for (j, (name, value)) in stream.labels.iter().enumerate() {
                    if j > 0 {
                        body.push(b',');
                    }
                    write_str(&mut body, name);
                    body.push(b':');
                    write_str(&mut body, value);
                }
                body.extend_from_slice(b"},\"values\":[");
                body.extend_from_slice(&stream.entries);
                body.extend_from_slice(b"]}");
            }
            body.extend_from_slice(b"]}");
        }
    }
    body
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
        // A record's labels are tracked in a 64-bit mask (Loki itself allows 15 by default).
        if s.labels.len() > 64 {
            return Err(Error::config(format!(
                "invalid value for OTELRS_EXPORTER_LOKI_LABELS: {} labels, at most 64",
                s.labels.len()
            )));
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
}

impl LogSink for LokiSink {
    /// Pushes `request`'s records, retrying as for OTLP.
    fn export(&mut self, batch: &Batch<'_>) -> Result<()> {
        let request = batch.request();
        let wire = if self.json {
            Wire::Json
        } else {
            Wire::Protobuf
        };
        let body = encode(streams(request, &self.labels, wire), wire);
        let (body, content_type, encoding) = if self.json {
            (body, "application/json", None)
        } else {
            let raw = body;
            let compressed = snap::raw::Encoder::new()
                .compress_vec(&raw)
                .map_err(|e| export_error("loki", format!("snappy: {e}")))?;
            (compressed, "application/x-protobuf", Some("snappy"))
        };
        let body = Bytes::from(body);
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

    fn retries(&self) -> u64 {
        self.retries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::logs::testing::{kv, string};
    use prost::Message;

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

    /// The push of `request` as Loki decodes it.
    fn pushed(request: &ExportLogsServiceRequest, keys: &[&str]) -> PushRequest {
        let body = encode(
            streams(request, &labels(keys), Wire::Protobuf),
            Wire::Protobuf,
        );
        PushRequest::decode(body.as_slice()).unwrap()
    }

    fn metadata(e: &EntryAdapter) -> Vec<(&str, &str)> {
        e.structured_metadata
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect()
    }

    #[test]
    fn records_group_into_streams_by_their_labels() {
        let req = request(vec![
            record(9, string("a"), vec![kv("user.id", Value::IntValue(7))]),
            record(17, string("b"), vec![]),
            record(10, string("c"), vec![kv("k", Value::BoolValue(true))]),
        ]);
        let push = pushed(&req, &["service.name", "level"]);
        let shown: Vec<(&str, Vec<&str>)> = push
            .streams
            .iter()
            .map(|s| {
                (
                    s.labels.as_str(),
                    s.entries.iter().map(|e| e.line.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (r#"{level="info", service_name="shop"}"#, vec!["a", "c"]),
                (r#"{level="error", service_name="shop"}"#, vec!["b"]),
            ]
        );
        let first = &push.streams[0].entries[0];
        assert_eq!(
            first.timestamp,
            Some(Timestamp {
                seconds: 1_700_000_000,
                nanos: 123_456_789
            })
        );
        assert_eq!(
            metadata(first),
            [
                ("user_id", "7"),
                ("host_name", "h1"),
                ("severity_number", "9"),
                ("scope_name", "checkout"),
            ]
        );
    }

    #[test]
    fn names_values_and_labels_are_written_as_loki_reads_them() {
        assert_eq!(label_name("http.route"), "http_route");
        assert_eq!(label_name("9lives-x"), "_9lives_x");
        assert_eq!(name_of("already_fine"), Cow::Borrowed("already_fine"));
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
        // A record whose label attributes are all missing is in the service's stream; a
        // label taken from the record is not metadata too.
        let req = request(vec![record(
            9,
            string("a"),
            vec![kv("tenant", string("t1"))],
        )]);
        assert_eq!(
            pushed(&req, &["zone"]).streams[0].labels,
            r#"{service_name="shop"}"#
        );
        let push = pushed(&req, &["tenant", "host.name"]);
        assert_eq!(push.streams[0].labels, r#"{host_name="h1", tenant="t1"}"#);
        assert_eq!(
            metadata(&push.streams[0].entries[0]),
            [
                ("service_name", "shop"),
                ("severity_number", "9"),
                ("scope_name", "checkout")
            ]
        );
    }

    #[test]
    fn the_json_push_carries_the_same_entries() {
        let req = request(vec![record(13, string("w"), vec![kv("k", string("v"))])]);
        let body = encode(
            streams(&req, &labels(&["service.name", "level"]), Wire::Json),
            Wire::Json,
        );
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"streams": [{
                "stream": {"service_name": "shop", "level": "warn"},
                "values": [["1700000000123456789", "w",
                    {"k": "v", "host_name": "h1", "severity_number": "13", "scope_name": "checkout"}]]
            }]})
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
