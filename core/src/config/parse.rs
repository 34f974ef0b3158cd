//! How a setting's value is read: one parser per kind of value, with the error messages that
//! name the key and the value (never the value of a key that may hold credentials).

use super::*;
use crate::base::error::{Error, Result};
use crate::base::text::percent_decode;
use crate::config::choices::GaugeMerge;
use crate::config::ExemplarFilter;
use crate::config::Groups;
use opentelemetry_sdk::metrics::Temporality;
use std::time::Duration;

/// Whether `key`'s value may hold credentials (request headers such as `authorization`):
/// it is never shown in a message.
pub(crate) fn is_secret(key: &str) -> bool {
    key.ends_with("_HEADERS")
}

/// "invalid value "v" for KEY (origin)": the value shown unless the key's values are secret.
pub(crate) fn invalid_value(key: &str, value: &str, origin: &str) -> String {
    if is_secret(key) {
        format!("invalid value for {key}{origin} (not shown: it may hold credentials)")
    } else {
        format!("invalid value {value:?} for {key}{origin}")
    }
}

pub(crate) fn bad(doc: &SettingDoc, value: &str, origin: &str, why: &str) -> Error {
    Error::config(format!("{}: {why}", invalid_value(doc.key, value, origin)))
}

pub(crate) fn check_value(doc: &SettingDoc, value: &str, origin: &str) -> Result<()> {
    let v = value.trim();
    match doc.kind {
        ValueKind::Bool => parse_bool(v).map(drop),
        ValueKind::Millis => parse_millis(v).map(drop),
        ValueKind::Text => Ok(()),
        ValueKind::KeyValues => parse_key_values(v).map(drop),
        ValueKind::Exporters => parse_exporters(v).map(drop),
        ValueKind::Protocol => parse_protocol(v).map(drop),
        ValueKind::Compression => parse_compression(v).map(drop),
        ValueKind::Temporality => parse_temporality(v).map(drop),
        ValueKind::Url => parse_url(v).map(drop),
        ValueKind::ReadableFile => check_readable_file(v),
        ValueKind::Count => parse_count(v).and_then(|n| check_count_limit(doc.key, n)),
        ValueKind::Ratio => parse_ratio(v).map(drop),
        ValueKind::Rate => parse_rate(v).map(drop),
        ValueKind::Port => parse_port(v).map(drop),
        ValueKind::Views => crate::config::view::parse_list(v)
            .map(drop)
            .map_err(|e| e.message().to_owned()),
        ValueKind::HistogramAggregation => parse_histogram_aggregation(v).map(drop),
        ValueKind::ExemplarFilter => ExemplarFilter::parse(v).map(drop),
        ValueKind::Severity => parse_severity(v).map(drop),
        ValueKind::AttributeKeys => parse_attribute_keys(v).map(drop),
        ValueKind::LokiProtocol => parse_loki_json(v).map(drop),
        ValueKind::ConsoleFormat => parse_console_json(v).map(drop),
        ValueKind::HealthRules => super::health::parse_health_rules(v).map(drop),
        ValueKind::DataStreamPart => parse_data_stream_part(v).map(drop),
        ValueKind::Identifier => parse_identifier(v).map(drop),
        ValueKind::Ttl => parse_ttl(v).map(drop),
        ValueKind::LogLevel => crate::base::diag::parse_level(v).map(drop),
        ValueKind::MetricGroups => Groups::parse(v).map(drop),
        ValueKind::GaugeMerge => GaugeMerge::parse(v).map(drop),
        ValueKind::OutputFile if v.is_empty() => Err("the path is empty".to_owned()),
        ValueKind::OutputFile => Ok(()),
        ValueKind::Directory => check_directory(v),
    }
    .map_err(|why| bad(doc, value, origin, &why))
}

/// The range of the counts that size something otelrs allocates or walks (a larger value is
/// refused before anything is built), or that need more than 1: key, least, most.
pub(crate) const COUNT_RANGES: &[(&str, usize, usize)] = &[
    ("OTEL_BLRP_MAX_QUEUE_SIZE", 1, 1 << 20),
    ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", 1, 1 << 16),
    ("OTELRS_EXPORTER_FILE_LOGS_MAX_FILES", 1, 1000),
    ("OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES", 1 << 20, usize::MAX),
];

pub(crate) fn check_count_limit(key: &str, n: usize) -> std::result::Result<(), String> {
    match COUNT_RANGES.iter().find(|(k, _, _)| *k == key) {
        Some((_, _, most)) if n > *most => Err(format!("at most {most}")),
        Some((_, least, _)) if n < *least => Err(format!("at least {least}")),
        _ => Ok(()),
    }
}

/// A directory otelrs writes in: a directory if it exists (it is created when first used).
pub(crate) fn check_directory(v: &str) -> std::result::Result<(), String> {
    match std::fs::metadata(v) {
        Ok(m) if !m.is_dir() => Err("not a directory".to_owned()),
        _ => Ok(()),
    }
}

/// The largest file otelrs reads as a setting's value (a PEM certificate or key).
pub(crate) const MAX_SETTING_FILE_BYTES: u64 = 1 << 20;

/// A setting's file: a regular file (not a device or a pipe, which could be endless or block)
/// of at most [`MAX_SETTING_FILE_BYTES`], that can be opened.
pub(crate) fn check_readable_file(v: &str) -> std::result::Result<(), String> {
    let meta = std::fs::metadata(v).map_err(|e| format!("cannot read the file: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    if meta.len() > MAX_SETTING_FILE_BYTES {
        return Err(format!(
            "the file has {} bytes, more than the {MAX_SETTING_FILE_BYTES} a certificate or key may have",
            meta.len()
        ));
    }
    std::fs::File::open(v)
        .map(drop)
        .map_err(|e| format!("cannot read the file: {e}"))
}

pub(crate) fn parse_bool(v: &str) -> std::result::Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

pub(crate) fn parse_millis(v: &str) -> std::result::Result<Duration, String> {
    v.parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| "expected a whole number of milliseconds".to_owned())
}

pub(crate) fn parse_count(v: &str) -> std::result::Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number, at least 1".to_owned()),
    }
}

pub(crate) fn parse_port(v: &str) -> std::result::Result<u16, String> {
    v.parse::<u16>()
        .map_err(|_| "expected a port number from 0 to 65535".to_owned())
}

/// Whether OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION asks for exponential
/// histograms.
pub(crate) fn parse_histogram_aggregation(v: &str) -> std::result::Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "explicit_bucket_histogram" => Ok(false),
        "base2_exponential_bucket_histogram" => Ok(true),
        _ => Err(
            "expected explicit_bucket_histogram or base2_exponential_bucket_histogram".to_owned(),
        ),
    }
}

pub(crate) fn parse_ratio(v: &str) -> std::result::Result<f64, String> {
    match v.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err("expected a number from 0.0 to 1.0".to_owned()),
    }
}

pub(crate) fn parse_rate(v: &str) -> std::result::Result<f64, String> {
    match v.parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok(r),
        _ => Err("expected a number of records per second, 0 or more".to_owned()),
    }
}

/// A severity number, 1 to 24, from its number or the name of its range.
pub(crate) fn parse_severity(v: &str) -> std::result::Result<u8, String> {
    if let Ok(n) = v.parse::<u8>() {
        return if (1..=24).contains(&n) {
            Ok(n)
        } else {
            Err("a severity number is from 1 to 24".to_owned())
        };
    }
    match v.to_ascii_lowercase().as_str() {
        "trace" => Ok(1),
        "debug" => Ok(5),
        "info" => Ok(9),
        "warn" | "warning" => Ok(13),
        "error" => Ok(17),
        "fatal" => Ok(21),
        _ => Err("expected trace, debug, info, warn, error, fatal or 1 to 24".to_owned()),
    }
}

/// `key=value` pairs separated by commas, values percent-decoded. Messages name the keys and
/// the items' places, never a value (headers may hold credentials).
pub(crate) fn parse_key_values(v: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, item) in v.split(',').map(str::trim).enumerate() {
        if item.is_empty() {
            continue;
        }
        let n = i + 1;
        let (k, val) = item
            .split_once('=')
            .ok_or_else(|| format!("item {n} is not key=value"))?;
        let k = k.trim();
        if k.is_empty() {
            return Err(format!("item {n} has an empty key"));
        }
        let val = percent_decode(val.trim()).map_err(|e| format!("the value of {k:?}: {e}"))?;
        out.push((k.to_owned(), val));
    }
    Ok(out)
}

/// Attribute keys separated by commas, at least one, none empty.
pub(crate) fn parse_attribute_keys(v: &str) -> std::result::Result<Vec<String>, String> {
    let keys: Vec<String> = v.split(',').map(|k| k.trim().to_owned()).collect();
    if keys.iter().any(String::is_empty) {
        return Err("expected attribute keys separated by commas, none empty".to_owned());
    }
    Ok(keys)
}

/// Whether records are pushed to Loki as JSON (`json`) rather than protobuf (`protobuf`).
/// OTELRS_EXPORTER_CONSOLE_LOGS_FORMAT: whether the console writes JSON lines.
pub(crate) fn parse_console_json(v: &str) -> std::result::Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "text" => Ok(false),
        "json" => Ok(true),
        _ => Err("expected text or json".to_owned()),
    }
}

pub(crate) fn parse_loki_json(v: &str) -> std::result::Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "protobuf" => Ok(false),
        "json" => Ok(true),
        _ => Err("expected protobuf or json".to_owned()),
    }
}

/// A dataset or namespace of a data stream name: 1 to 100 lower-case letters, digits, `_` and
/// `.` (no `-`, which separates the name's parts).
pub(crate) fn parse_data_stream_part(v: &str) -> std::result::Result<String, String> {
    let ok = !v.is_empty()
        && v.len() <= 100
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if !ok {
        return Err("expected 1 to 100 lower-case letters, digits, `_` and `.`".to_owned());
    }
    Ok(v.to_owned())
}

/// A SQL name: a letter or `_`, then letters, digits and `_` (at most 100).
pub(crate) fn parse_identifier(v: &str) -> std::result::Result<String, String> {
    let ok = v.len() <= 100
        && v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        return Err("expected a letter or `_`, then letters, digits and `_`".to_owned());
    }
    Ok(v.to_owned())
}

/// A time to live as a number and its unit (`SECOND`, `MINUTE`, `HOUR`, `DAY`); `None` for
/// `0`.
pub(crate) fn parse_ttl(v: &str) -> std::result::Result<Option<(u32, &'static str)>, String> {
    if v == "0" {
        return Ok(None);
    }
    let bad = || "expected 0 or a whole number with s, m, h or d (e.g. 72h)".to_owned();
    let (n, unit) = v.split_at(v.len().saturating_sub(1));
    let unit = match unit {
        "s" => "SECOND",
        "m" => "MINUTE",
        "h" => "HOUR",
        "d" => "DAY",
        _ => return Err(bad()),
    };
    match n.parse::<u32>() {
        Ok(n) if n > 0 => Ok(Some((n, unit))),
        _ => Err(bad()),
    }
}

/// An exporter named in OTEL_METRICS_EXPORTER or OTEL_LOGS_EXPORTER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exporter {
    Otlp,
    Console,
    File,
    /// Metrics only: the reader behind `collect_json`.
    Memory,
    /// Logs only: takes every batch and writes nothing, to measure what logging itself costs.
    Discard,
    /// Metrics only: the pull endpoint.
    Prometheus,
    /// Logs only: Grafana Loki's push API.
    Loki,
    /// Logs only: Elasticsearch's bulk API.
    Elasticsearch,
    /// ClickHouse's HTTP interface (logs and metrics).
    Clickhouse,
}

pub(crate) fn parse_exporters(v: &str) -> std::result::Result<Vec<Exporter>, String> {
    let names: Vec<String> = v
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    if names.iter().any(|n| n == "none") {
        return if names.len() == 1 {
            Ok(Vec::new())
        } else {
            Err("none cannot be combined with other exporters".to_owned())
        };
    }
    let mut out = Vec::new();
    for name in &names {
        let e = match name.as_str() {
            "otlp" => Exporter::Otlp,
            "console" => Exporter::Console,
            "file" => Exporter::File,
            "memory" => Exporter::Memory,
            "discard" => Exporter::Discard,
            "prometheus" => Exporter::Prometheus,
            "loki" => Exporter::Loki,
            "elasticsearch" => Exporter::Elasticsearch,
            "clickhouse" => Exporter::Clickhouse,
            other => {
                return Err(format!(
                    "unknown exporter {other:?} (known: otlp, prometheus (metrics), console, file, memory (metrics), discard (logs), loki (logs), elasticsearch (logs), clickhouse, none)"
                ))
            }
        };
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Grpc,
    HttpProtobuf,
    HttpJson,
}

pub(crate) fn parse_protocol(v: &str) -> std::result::Result<Protocol, String> {
    match v.to_ascii_lowercase().as_str() {
        "grpc" => Ok(Protocol::Grpc),
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        "http/json" => Ok(Protocol::HttpJson),
        _ => Err("expected grpc, http/protobuf or http/json".to_owned()),
    }
}

pub(crate) fn parse_compression(v: &str) -> std::result::Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "gzip" => Ok(true),
        "none" => Ok(false),
        _ => Err("expected gzip or none".to_owned()),
    }
}

pub(crate) fn parse_temporality(v: &str) -> std::result::Result<Temporality, String> {
    match v.to_ascii_lowercase().as_str() {
        "cumulative" => Ok(Temporality::Cumulative),
        "delta" => Ok(Temporality::Delta),
        "lowmemory" => Ok(Temporality::LowMemory),
        _ => Err("expected cumulative, delta or lowmemory".to_owned()),
    }
}

pub(crate) fn parse_url(v: &str) -> std::result::Result<String, String> {
    let rest = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"))
        .unwrap_or(v);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err("expected a URL such as http://collector:4317".to_owned());
    }
    if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']')) {
        port.parse::<u16>()
            .map_err(|_| format!("port {port:?} is not a number from 0 to 65535"))?;
    }
    Ok(v.to_owned())
}
