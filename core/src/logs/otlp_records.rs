//! A batch of queued records in OTLP form: one request carrying the process's resource and
//! the records grouped by logger scope, built straight from the packed records (with the
//! attribute limits applied and the dropped-attribute count set on each record).

use super::encoding::unpack;
use super::{severity_text, LogBody, QueuedRecord};
use crate::base::clock::unix_nanos;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, InstrumentationScope};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
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
        q.core.count_attributes_dropped(dropped);
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
            severity_text: match q.extra.as_ref().and_then(|n| n.severity_text.as_ref()) {
                Some(text) => text.clone(),
                None => severity_text(q.severity).unwrap_or_default().to_owned(),
            },
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
            event_name: q
                .extra
                .as_ref()
                .and_then(|n| n.event_name.clone())
                .unwrap_or_default(),
        }
    }

    /// The request for `records`, in their order within each scope. Each record's packed
    /// buffer is handed to `done` once it has been read.
    pub(crate) fn build(
        &self,
        records: impl Iterator<Item = QueuedRecord>,
        mut done: impl FnMut(Vec<u8>),
    ) -> ExportLogsServiceRequest {
        let mut scopes: Vec<ScopeLogs> = Vec::new();
        // Loggers of one scope share a core: its address identifies the scope.
        let mut index: HashMap<usize, usize> = HashMap::new();
        for q in records {
            let record = self.record(&q);
            let at = *index
                .entry(std::sync::Arc::as_ptr(&q.core) as usize)
                .or_insert_with(|| {
                    let scope = &q.core.scope;
                    scopes.push(ScopeLogs {
                        scope: Some(InstrumentationScope {
                            name: scope.name().to_owned(),
                            version: scope.version().unwrap_or_default().to_owned(),
                            ..Default::default()
                        }),
                        log_records: Vec::new(),
                        schema_url: scope.schema_url().unwrap_or_default().to_owned(),
                    });
                    scopes.len() - 1
                });
            scopes[at].log_records.push(record);
            done(q.packed);
        }
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
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValue, KeyValueList};

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
