//! A batch of queued records in OTLP form: one request carrying the process's resource and
//! the records grouped by logger scope, built straight from the packed records (with the
//! attribute limits applied and the dropped-attribute count set on each record), or its
//! protobuf bytes written straight from them (what the OTLP exporter sends).

use super::encoding::{attribute_count, cut, read, unpack, Packed, Scalar};
use super::{severity_text, LogBody, QueuedRecord};
use crate::base::clock::unix_nanos;
use crate::export::protobuf::{
    bytes, double_always, fixed, fixed32, nested, string, string_always, tag, uint, varint, VARINT,
};
use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, InstrumentationScope};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use prost::Message;
use std::cell::OnceCell;
use std::collections::HashMap;

/// Builds the request of each batch.
pub(crate) struct RequestBuilder {
    resource: Resource,
    resource_schema_url: String,
    /// The attribute count limit.
    count_limit: usize,
    /// The attribute value length limit, in characters.
    length_limit: Option<usize>,
}

impl RequestBuilder {
    pub(crate) fn new(
        resource: &opentelemetry_sdk::Resource,
        count_limit: usize,
        length_limit: Option<usize>,
    ) -> Self {
        let with_schema = ResourceAttributesWithSchema::from(resource);
        RequestBuilder {
            resource: Resource {
                attributes: with_schema.attributes.0,
                ..Default::default()
            },
            resource_schema_url: with_schema.schema_url.unwrap_or_default(),
            count_limit,
            length_limit,
        }
    }

    fn record(&self, q: &QueuedRecord) -> LogRecord {
        let (body, attributes, dropped) = unpack(&q.packed, self.count_limit, self.length_limit);
        let (trace_id, span_id, flags) = match &q.trace_context {
            Some(ctx) => (
                ctx.trace_id.to_vec(),
                ctx.span_id.to_vec(),
                u32::from(ctx.flags),
            ),
            None => Default::default(),
        };
        LogRecord {
            time_unix_nano: q.timestamp.map_or(0, unix_nanos),
            observed_time_unix_nano: unix_nanos(q.observed),
            severity_number: i32::from(q.severity),
            severity_text: record_severity_text(q).to_owned(),
            body: match q.extra.as_ref().and_then(|e| e.body.as_ref()) {
                Some(LogBody::None) => None,
                Some(structured) => Some(any_value(structured)),
                None => Some(AnyValue {
                    value: Some(Value::StringValue(body)),
                }),
            },
            attributes,
            dropped_attributes_count: dropped,
            flags,
            trace_id,
            span_id,
            event_name: record_event_name(q).to_owned(),
        }
    }

    /// Counts, on each record's logger, the attributes past the count limit that its OTLP
    /// form leaves out.
    pub(crate) fn count_dropped(&self, records: &[QueuedRecord]) {
        for q in records {
            let over = attribute_count(&q.packed).saturating_sub(self.count_limit);
            q.core
                .count_attributes_dropped(u32::try_from(over).unwrap_or(u32::MAX));
        }
    }

    /// The records of each scope, in their order, scopes in the order first met. Loggers of
    /// one scope share a core: its address identifies the scope.
    fn by_scope(records: &[QueuedRecord]) -> Vec<Vec<&QueuedRecord>> {
        let mut scopes: Vec<Vec<&QueuedRecord>> = Vec::new();
        let mut index: HashMap<usize, usize> = HashMap::new();
        for q in records {
            let at = *index
                .entry(std::sync::Arc::as_ptr(&q.core) as usize)
                .or_insert_with(|| {
                    scopes.push(Vec::new());
                    scopes.len() - 1
                });
            scopes[at].push(q);
        }
        scopes
    }

    /// The request for `records`, in their order within each scope.
    pub(crate) fn build(&self, records: &[QueuedRecord]) -> ExportLogsServiceRequest {
        let scopes: Vec<ScopeLogs> = Self::by_scope(records)
            .into_iter()
            .map(|records| ScopeLogs {
                scope: Some(scope_of(records[0])),
                log_records: records.iter().map(|q| self.record(q)).collect(),
                schema_url: records[0]
                    .core
                    .scope
                    .schema_url()
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect();
        if scopes.is_empty() {
            return ExportLogsServiceRequest::default();
        }
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(self.resource.clone()),
                scope_logs: scopes,
                schema_url: self.resource_schema_url.clone(),
            }],
        }
    }

    /// [`Self::build`]'s request as protobuf bytes, written straight from the packed records
    /// (the very bytes prost writes for it, without making its strings and vectors).
    pub(crate) fn protobuf(&self, records: &[QueuedRecord]) -> Vec<u8> {
        let mut b =
            Vec::with_capacity(64 + records.iter().map(|q| q.packed.len() + 64).sum::<usize>());
        if records.is_empty() {
            return b;
        }
        nested(&mut b, 1, |b| {
            nested(b, 1, |b| self.resource.encode_raw(b));
            for records in Self::by_scope(records) {
                nested(b, 2, |b| {
                    nested(b, 1, |b| scope_of(records[0]).encode_raw(b));
                    for q in &records {
                        nested(b, 2, |b| self.write_record(b, q));
                    }
                    string(b, 3, records[0].core.scope.schema_url().unwrap_or_default());
                });
            }
            string(b, 3, &self.resource_schema_url);
        });
        b
    }

    /// One LogRecord's fields, in the order of their numbers.
    fn write_record(&self, b: &mut Vec<u8>, q: &QueuedRecord) {
        let (body, attrs) = read(&q.packed);
        fixed(b, 1, q.timestamp.map_or(0, unix_nanos));
        uint(b, 2, u64::from(q.severity));
        string(b, 3, record_severity_text(q));
        match q.extra.as_ref().and_then(|e| e.body.as_ref()) {
            Some(LogBody::None) => {}
            Some(structured) => nested(b, 5, |b| any_value(structured).encode_raw(b)),
            None => nested(b, 5, |b| string_always(b, 1, body)),
        }
        let mut dropped = 0u64;
        for (i, (key, value)) in attrs.enumerate() {
            if i >= self.count_limit {
                dropped += 1;
                continue;
            }
            nested(b, 6, |b| {
                string(b, 1, key);
                nested(b, 2, |b| match value {
                    Packed::One(v) => self.write_scalar(b, v),
                    Packed::List(items) => nested(b, 5, |b| {
                        for v in items {
                            nested(b, 1, |b| self.write_scalar(b, v));
                        }
                    }),
                });
            });
        }
        uint(b, 7, dropped);
        if let Some(ctx) = &q.trace_context {
            fixed32(b, 8, u32::from(ctx.flags));
            bytes(b, 9, &ctx.trace_id);
            bytes(b, 10, &ctx.span_id);
        }
        fixed(b, 11, unix_nanos(q.observed));
        string(b, 12, record_event_name(q));
    }

    /// The fields of an AnyValue holding `v`.
    fn write_scalar(&self, b: &mut Vec<u8>, v: Scalar<'_>) {
        match v {
            Scalar::Str(s) => string_always(b, 1, cut(s, self.length_limit)),
            Scalar::Bool(v) => {
                tag(b, 2, VARINT);
                varint(b, u64::from(v));
            }
            Scalar::I64(v) => {
                tag(b, 3, VARINT);
                varint(b, v as u64);
            }
            Scalar::F64(v) => double_always(b, 4, v),
        }
    }
}

/// The scope of a record's logger, as OTLP has it.
fn scope_of(q: &QueuedRecord) -> InstrumentationScope {
    let scope = &q.core.scope;
    InstrumentationScope {
        name: scope.name().to_owned(),
        version: scope.version().unwrap_or_default().to_owned(),
        ..Default::default()
    }
}

/// The severity text of a record: its source's, else the spec's name of its number.
fn record_severity_text(q: &QueuedRecord) -> &str {
    match q.extra.as_ref().and_then(|n| n.severity_text.as_deref()) {
        Some(text) => text,
        None => severity_text(q.severity).unwrap_or_default(),
    }
}

/// The event name of a record, empty when it is not an event.
fn record_event_name(q: &QueuedRecord) -> &str {
    q.extra
        .as_ref()
        .and_then(|n| n.event_name.as_deref())
        .unwrap_or_default()
}

/// One batch of records, as each exporter wants it: the request (built once, by the first
/// that asks), or its protobuf bytes (written once, straight from the records when nobody
/// asked for the request).
pub(crate) struct Batch<'a> {
    records: &'a [QueuedRecord],
    builder: &'a RequestBuilder,
    request: OnceCell<ExportLogsServiceRequest>,
    protobuf: OnceCell<Bytes>,
}

impl<'a> Batch<'a> {
    pub(crate) fn new(records: &'a [QueuedRecord], builder: &'a RequestBuilder) -> Self {
        Batch {
            records,
            builder,
            request: OnceCell::new(),
            protobuf: OnceCell::new(),
        }
    }

    /// How many records it holds.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// The batch as an OTLP request.
    pub(crate) fn request(&self) -> &ExportLogsServiceRequest {
        self.request
            .get_or_init(|| self.builder.build(self.records))
    }

    /// The batch as the protobuf bytes of an OTLP request (cloned as a reference count).
    pub(crate) fn protobuf(&self) -> &Bytes {
        self.protobuf.get_or_init(|| {
            Bytes::from(match self.request.get() {
                Some(request) => request.encode_to_vec(),
                None => self.builder.protobuf(self.records),
            })
        })
    }
}

/// A structured body as OTLP's AnyValue.
fn any_value(body: &LogBody) -> AnyValue {
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValue, KeyValueList};
    let value = match body {
        LogBody::None => None,
        LogBody::Text(s) => Some(Value::StringValue(s.clone())),
        LogBody::Bool(b) => Some(Value::BoolValue(*b)),
        LogBody::Int(i) => Some(Value::IntValue(*i)),
        LogBody::Double(d) => Some(Value::DoubleValue(*d)),
        LogBody::Bytes(b) => Some(Value::BytesValue(b.clone())),
        LogBody::Array(items) => Some(Value::ArrayValue(ArrayValue {
            values: items.iter().map(any_value).collect(),
        })),
        LogBody::Map(entries) => Some(Value::KvlistValue(KeyValueList {
            values: entries
                .iter()
                .map(|(k, v)| KeyValue {
                    key: k.clone(),
                    value: Some(any_value(v)),
                    ..Default::default()
                })
                .collect(),
        })),
    };
    AnyValue { value }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::context::TraceContext;
    use crate::config::Sampling;
    use crate::logs::encoding::RecordBuilder;
    use crate::logs::stats::LoggerCore;
    use crate::logs::Extra;
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValue, KeyValueList};
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    /// Records of two scopes, interleaved, with every kind of attribute, long strings, the
    /// extras and a trace context, and without.
    fn records() -> Vec<QueuedRecord> {
        let sampling = Sampling {
            threshold: 0,
            ratio: 1.0,
            trace_aware: false,
            rate_limit: 0.0,
            burst: 0.0,
        };
        let core = |name: &str, version: Option<&str>| {
            let mut scope = opentelemetry::InstrumentationScope::builder(name.to_owned());
            if let Some(v) = version {
                scope = scope.with_version(v.to_owned());
            }
            Arc::new(LoggerCore::new(scope.build(), &sampling))
        };
        let (a, b) = (core("a", Some("1.0")), core("b", None));
        let at = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        (0..40)
            .map(|i| {
                let mut r = RecordBuilder::new(&"body ".repeat(i * 7), 16);
                r.string_attribute("s", &"é".repeat(i * 3)).unwrap();
                if i % 2 == 0 {
                    r.bool_attribute("b", i % 4 == 0).unwrap();
                    r.i64_attribute("i", -(i as i64)).unwrap();
                    r.f64_attribute("f", i as f64 / 3.0).unwrap();
                }
                if i % 3 == 0 {
                    r.strings_attribute("ss", ["x", "", "yyyyyyyy"].into_iter())
                        .unwrap();
                    r.bools_attribute("bs", &[true, false]).unwrap();
                    r.i64s_attribute("is", &[0, i64::MIN, i64::MAX]).unwrap();
                    r.f64s_attribute("fs", &[f64::NAN, -0.0]).unwrap();
                    r.exception("E", "boom", "trace").unwrap();
                }
                let extra = match i % 5 {
                    0 => Some(Box::new(Extra {
                        event_name: Some("ev".to_owned()),
                        severity_text: Some("warning".to_owned()),
                        body: None,
                    })),
                    1 => Some(Box::new(Extra {
                        event_name: None,
                        severity_text: None,
                        body: Some(LogBody::Map(vec![(
                            "k".to_owned(),
                            LogBody::Array(vec![LogBody::Int(1), LogBody::Bytes(vec![0, 9])]),
                        )])),
                    })),
                    2 => Some(Box::new(Extra {
                        event_name: None,
                        severity_text: None,
                        body: Some(LogBody::None),
                    })),
                    _ => None,
                };
                QueuedRecord {
                    core: Arc::clone(if i % 3 == 1 { &b } else { &a }),
                    severity: (i % 25) as u8,
                    packed: r.into_packed(),
                    extra,
                    timestamp: (i % 2 == 1).then_some(at),
                    observed: at + Duration::from_nanos(i as u64),
                    trace_context: (i % 4 == 0).then_some(TraceContext {
                        trace_id: [i as u8 + 1; 16],
                        span_id: [7; 8],
                        flags: (i % 2) as u8,
                    }),
                }
            })
            .collect()
    }

    #[test]
    fn the_protobuf_written_from_the_records_is_the_requests() {
        let resource = opentelemetry_sdk::Resource::builder_empty()
            .with_attributes([
                opentelemetry::KeyValue::new("service.name", "unit"),
                opentelemetry::KeyValue::new("pid", 7i64),
            ])
            .build();
        let records = records();
        for (count, length) in [(128, None), (3, Some(4)), (0, Some(0))] {
            let builder = RequestBuilder::new(&resource, count, length);
            let request = builder.build(&records);
            assert_eq!(
                request.resource_logs[0].scope_logs.len(),
                2,
                "two scopes, each once"
            );
            assert_eq!(builder.protobuf(&records), request.encode_to_vec());
            let batch = Batch::new(&records, &builder);
            assert_eq!(&batch.protobuf()[..], request.encode_to_vec().as_slice());
            // (NaN attributes: the requests are compared by their bytes.)
            assert_eq!(batch.request().encode_to_vec(), request.encode_to_vec());
        }
        let builder = RequestBuilder::new(&resource, 128, None);
        assert!(builder.protobuf(&[]).is_empty());
        assert_eq!(builder.build(&[]), ExportLogsServiceRequest::default());
    }

    #[test]
    fn a_structured_body_is_the_any_value_it_holds() {
        let body = LogBody::Map(vec![
            ("event".to_owned(), LogBody::Text("login".to_owned())),
            (
                "tries".to_owned(),
                LogBody::Array(vec![
                    LogBody::Int(1),
                    LogBody::Double(2.5),
                    LogBody::Bool(true),
                ]),
            ),
            ("raw".to_owned(), LogBody::Bytes(vec![0, 255])),
            ("nothing".to_owned(), LogBody::None),
        ]);
        let kv = |key: &str, value: Option<Value>| KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue { value }),
            ..Default::default()
        };
        let scalar = |value: Value| AnyValue { value: Some(value) };
        assert_eq!(
            any_value(&body),
            AnyValue {
                value: Some(Value::KvlistValue(KeyValueList {
                    values: vec![
                        kv("event", Some(Value::StringValue("login".to_owned()))),
                        kv(
                            "tries",
                            Some(Value::ArrayValue(ArrayValue {
                                values: vec![
                                    scalar(Value::IntValue(1)),
                                    scalar(Value::DoubleValue(2.5)),
                                    scalar(Value::BoolValue(true)),
                                ],
                            }))
                        ),
                        kv("raw", Some(Value::BytesValue(vec![0, 255]))),
                        kv("nothing", None),
                    ],
                })),
            }
        );
    }
}
