//! OTLP values as the backends other than OTLP write them: as text (a label, a line, a
//! ClickHouse map's value) or as JSON (a document).

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use std::fmt::Write as _;

/// A value as text: strings as they are, other scalars as written in JSON, lists and maps as
/// JSON, bytes in base64.
pub(crate) fn text(v: &AnyValue) -> String {
    match &v.value {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(_)) => json(v).to_string(),
        Some(Value::BytesValue(b)) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(b)
        }
        Some(Value::ArrayValue(_) | Value::KvlistValue(_)) => json(v).to_string(),
        // A reference into a profile's string table: not in logs.
        Some(Value::StringValueStrindex(_)) | None => String::new(),
    }
}

/// A value as JSON.
pub(crate) fn json(v: &AnyValue) -> serde_json::Value {
    use serde_json::Value as J;
    match &v.value {
        Some(Value::StringValue(s)) => J::from(s.as_str()),
        Some(Value::BoolValue(b)) => J::from(*b),
        Some(Value::IntValue(i)) => J::from(*i),
        Some(Value::DoubleValue(d)) => J::from(*d),
        Some(Value::BytesValue(_)) => J::from(text(v)),
        Some(Value::ArrayValue(a)) => J::Array(a.values.iter().map(json).collect()),
        Some(Value::KvlistValue(kv)) => J::Object(
            kv.values
                .iter()
                .map(|p| (p.key.clone(), p.value.as_ref().map_or(J::Null, json)))
                .collect(),
        ),
        Some(Value::StringValueStrindex(_)) | None => J::Null,
    }
}

/// The value of attribute `key`, if there is one.
pub(crate) fn find<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
}

/// `bytes` in lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Attributes as a ClickHouse `Map(String, String)`.
pub(crate) fn string_map(attrs: &[KeyValue]) -> serde_json::Value {
    serde_json::Value::Object(
        attrs
            .iter()
            .map(|kv| {
                (
                    kv.key.clone(),
                    serde_json::Value::from(kv.value.as_ref().map_or_else(String::new, text)),
                )
            })
            .collect(),
    )
}

/// Writes `s` as a JSON string.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes a value as JSON, as [`json`] gives it, without building it first.
pub(crate) fn write_json(out: &mut Vec<u8>, v: &AnyValue) {
    match &v.value {
        Some(Value::StringValue(s)) => write_str(out, s),
        Some(Value::BoolValue(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Some(Value::IntValue(i)) => {
            let _ = std::io::Write::write_fmt(out, format_args!("{i}"));
        }
        Some(Value::DoubleValue(_) | Value::BytesValue(_)) => {
            let _ = serde_json::to_writer(&mut *out, &json(v));
        }
        Some(Value::ArrayValue(a)) => {
            out.push(b'[');
            for (i, item) in a.values.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item);
            }
            out.push(b']');
        }
        Some(Value::KvlistValue(kv)) => write_object(out, &kv.values, write_json),
        Some(Value::StringValueStrindex(_)) | None => out.extend_from_slice(b"null"),
    }
}

/// Writes attributes as one JSON object, each value by `value`.
pub(crate) fn write_object(
    out: &mut Vec<u8>,
    attrs: &[KeyValue],
    value: fn(&mut Vec<u8>, &AnyValue),
) {
    out.push(b'{');
    for (i, kv) in attrs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, &kv.key);
        out.push(b':');
        match &kv.value {
            Some(v) => value(out, v),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
}

/// Writes a value as a JSON string of its [`text`] (a ClickHouse `Map(String, String)`'s).
pub(crate) fn write_text(out: &mut Vec<u8>, v: &AnyValue) {
    match &v.value {
        Some(Value::StringValue(s)) => write_str(out, s),
        _ => write_str(out, &text(v)),
    }
}
