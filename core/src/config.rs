//! The one settings vocabulary: the OpenTelemetry environment variables with their spec
//! defaults, plus `OTELRS_*` names where the spec has none. Values set from code (C's
//! `otelrs_config_set`, Python's and Ruby's keyword arguments) override the environment,
//! key by key; a signal-specific key (`..._METRICS_ENDPOINT`) beats its generic form.

use crate::error::{Error, Result};
use crate::metrics::exemplars::Filter;
use crate::metrics::views::View;
use crate::system::Groups;
use opentelemetry_sdk::metrics::Temporality;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How a setting's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `true` or `false`, any case.
    Bool,
    /// A whole number of milliseconds.
    Millis,
    /// Free text.
    Text,
    /// `key=value` pairs separated by commas, values percent-encoded.
    KeyValues,
    /// A comma-separated list of exporter names.
    Exporters,
    /// `grpc`, `http/protobuf` or `http/json`.
    Protocol,
    /// `gzip` or `none`.
    Compression,
    /// `cumulative`, `delta` or `lowmemory`.
    Temporality,
    /// An `http://` or `https://` URL.
    Url,
    /// A path to a readable file.
    ReadableFile,
    /// A path to a file otelrs writes.
    OutputFile,
    /// A path to a directory otelrs writes in, created if missing.
    Directory,
    /// A whole number, at least 1.
    Count,
    /// A number from 0.0 to 1.0.
    Ratio,
    /// A number of records per second, 0 or more.
    Rate,
    /// A TCP port, 0 to 65535.
    Port,
    /// Views in their text form, separated by `;`.
    Views,
    /// `explicit_bucket_histogram` or `base2_exponential_bucket_histogram`.
    HistogramAggregation,
    /// `trace_based`, `always_on` or `always_off`.
    ExemplarFilter,
    /// A comma list of metric groups: `host`, `process`, `runtime`, `sdk`, `all`, or `none`.
    MetricGroups,
    /// otelrs's own messages shown: `none`, `error`, `warn`, `info` or `debug`.
    LogLevel,
    /// A log severity: a name (`trace`, `debug`, `info`, `warn`, `error`, `fatal`) or 1 to 24.
    Severity,
}

/// One known setting: its key, spec default, how it is read, and what it does.
#[derive(Debug, Clone, Copy)]
pub struct SettingDoc {
    /// The key, the same from the environment and from code.
    pub key: &'static str,
    /// The default when neither environment nor code sets it.
    pub default: &'static str,
    /// How the value is read.
    pub kind: ValueKind,
    /// What it does.
    pub doc: &'static str,
}

macro_rules! settings_table {
    ($($key:literal, $default:literal, $kind:ident, $doc:literal;)*) => {
        /// Every setting otelrs knows, in the order the documentation lists them.
        pub const SETTINGS: &[SettingDoc] = &[
            $(SettingDoc { key: $key, default: $default, kind: ValueKind::$kind, doc: $doc },)*
        ];
    };
}

settings_table! {
    "OTEL_SDK_DISABLED", "false", Bool, "`true` turns every otelrs call into a cheap no-op that succeeds.";
    "OTEL_SERVICE_NAME", "unknown_service:<executable>", Text, "`service.name` of the resource; beats a `service.name` in OTEL_RESOURCE_ATTRIBUTES.";
    "OTEL_RESOURCE_ATTRIBUTES", "", KeyValues, "More resource attributes, `key=value,key2=value2`, values percent-encoded.";
    "OTEL_METRICS_EXPORTER", "otlp", Exporters, "Comma list of `otlp`, `prometheus` (a pull endpoint), `console`, `file`, `memory` (for `otelrs_sdk_collect_json`), or `none`.";
    "OTEL_METRIC_EXPORT_INTERVAL", "60000", Millis, "Milliseconds between two collections of the push exporters (otlp, console, file).";
    "OTEL_METRIC_EXPORT_TIMEOUT", "30000", Millis, "Milliseconds one export may take before it is abandoned.";
    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4317 (grpc), http://localhost:4318 (http)", Url, "Base URL of the OTLP receiver; over HTTP `/v1/metrics` is appended.";
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "", Url, "Full URL for metrics; used as it is.";
    "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", Protocol, "`grpc`, `http/protobuf` or `http/json`.";
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "", Protocol, "Protocol for metrics.";
    "OTEL_EXPORTER_OTLP_HEADERS", "", KeyValues, "Request headers, `key=value,...`, values percent-encoded.";
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS", "", KeyValues, "Request headers for metrics.";
    "OTEL_EXPORTER_OTLP_TIMEOUT", "10000", Millis, "Milliseconds one OTLP request may take.";
    "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "", Millis, "Request timeout for metrics.";
    "OTEL_EXPORTER_OTLP_COMPRESSION", "none", Compression, "`gzip` or `none`.";
    "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "", Compression, "Compression for metrics.";
    "OTEL_EXPORTER_OTLP_INSECURE", "false", Bool, "For an endpoint without a scheme: `true` uses plain http, `false` https.";
    "OTEL_EXPORTER_OTLP_METRICS_INSECURE", "", Bool, "The same for metrics.";
    "OTEL_EXPORTER_OTLP_CERTIFICATE", "", ReadableFile, "PEM file of the CA that signs the receiver's certificate.";
    "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE", "", ReadableFile, "The same for metrics.";
    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "", ReadableFile, "PEM file of the client's certificate (and chain), for a receiver that asks for one (mTLS); with OTEL_EXPORTER_OTLP_CLIENT_KEY.";
    "OTEL_EXPORTER_OTLP_CLIENT_KEY", "", ReadableFile, "PEM file of the client certificate's private key (mTLS); with OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE.";
    "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE", "", ReadableFile, "The same for metrics.";
    "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", "", ReadableFile, "The same for metrics.";
    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "cumulative", Temporality, "`cumulative`, `delta` or `lowmemory` for the otlp exporter.";
    "OTELRS_EXPORTER_CONSOLE_METRICS_TEMPORALITY_PREFERENCE", "cumulative", Temporality, "Temporality of the console exporter.";
    "OTELRS_EXPORTER_FILE_METRICS_TEMPORALITY_PREFERENCE", "cumulative", Temporality, "Temporality of the file exporter.";
    "OTELRS_EXPORTER_MEMORY_METRICS_TEMPORALITY_PREFERENCE", "cumulative", Temporality, "Temporality of the memory reader behind `otelrs_sdk_collect_json` (delta: each call returns what came since the last).";
    "OTELRS_METRICS_VIEWS", "", Views, "Views separated by `;`, each `key=value` pairs separated by commas (values percent-decoded, list items separated by `|`): selectors `instrument_name` (`*` and `?` wildcards), `instrument_type`, `unit`, `meter_name`, `meter_version`, `meter_schema_url`; stream `name`, `description`, `aggregation` (`default`, `drop`, `sum`, `last_value`, `explicit_bucket_histogram`, `base2_exponential_bucket_histogram`), `boundaries`, `record_min_max`, `max_size`, `max_scale`, `attribute_keys`, `aggregation_cardinality_limit`. Views added from code come after these.";
    "OTELRS_METRICS_CARDINALITY_LIMIT", "2000", Count, "Series kept per metric stream when its view sets no limit; further attribute sets go to the series with the single attribute `otel.metric.overflow=true`.";
    "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION", "explicit_bucket_histogram", HistogramAggregation, "`explicit_bucket_histogram` or `base2_exponential_bucket_histogram`: the aggregation of histograms that no view gives one (for every exporter: the SDK has no per-reader aggregation).";
    "OTEL_METRICS_EXEMPLAR_FILTER", "trace_based", ExemplarFilter, "Which measurements of synchronous instruments become exemplars: `trace_based` (those recorded while the thread's current trace context is sampled), `always_on` or `always_off`.";
    "OTEL_EXPORTER_PROMETHEUS_HOST", "localhost", Text, "Host name or address the Prometheus endpoint (`prometheus` in OTEL_METRICS_EXPORTER) listens on; `0.0.0.0` for every IPv4 interface.";
    "OTEL_EXPORTER_PROMETHEUS_PORT", "9464", Port, "Port of the Prometheus endpoint, which serves `/metrics` (always cumulative). A port in use makes init fail.";
    "OTELRS_SYSTEM_METRICS", "none", MetricGroups, "Metrics otelrs reports by itself, a comma list of: `host` (`system.*`: CPU, memory, paging, load, disks, filesystems, network), `process` (`process.*` of this process), `runtime` (otelrs's Tokio runtimes, and the Python or Ruby runtime from those bindings), `sdk` (`otel.sdk.*`: what each exporter exported, failed, retried, its export durations, the log queue); `all` or `none`.";
    "OTELRS_EXPORTER_FILE_METRICS_PATH", "otelrs-metrics.jsonl", OutputFile, "JSON-lines file the file exporter appends to: one OTLP-JSON `ExportMetricsServiceRequest` per line.";
    "OTELRS_STRICT", "false", Bool, "`true`: a recording call (`add`, `record`, `set`) or log call from Python or Ruby with a bad value or attribute raises, as creating things always does (for tests). By default the measurement or record is dropped, counted (`refused_measurements` in the health report and `otelrs.measurements.refused`; `refused` in the log stats) and reported once per instrument or logger (see OTEL_LOG_LEVEL). C always returns the status.";
    "OTEL_LOG_LEVEL", "info", LogLevel, "otelrs's own messages shown (an exporter failing, a setting it does not know, records or measurements it refused): `none`, `error`, `warn`, `info` or `debug`. They go to stderr; from Python to the `otelrs` logger of `logging`, from Ruby to `warn` (or `Otelrs.diagnostics_logger`), from C to the function given to `otelrs_set_diagnostics_handler`. The level is the process's: the last SDK built sets it.";
    "OTELRS_TELEMETRY_SDK_LANGUAGE", "c", Text, "`telemetry.sdk.language` of the resource; the Python and Ruby bindings set it.";
    "OTELRS_EXPORTER_OTLP_QUEUE_DIR", "", Directory, "Directory of an on-disk queue in front of the OTLP exporters (created if missing; default: none). Every export is written there first and sent from there in order, so that an outage longer than the in-memory queue holds loses nothing until the queue reaches OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES. Each process writes a directory of its own; a process started later sends what a killed one left. A `kill -9` loses only what had not reached the exporter (the in-memory log queue).";
    "OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES", "268435456", Count, "Bytes the on-disk queue of each signal holds at most (at least 1048576); beyond it the oldest exports are deleted and their records or data points counted as dropped.";
    "OTEL_LOGS_EXPORTER", "otlp", Exporters, "Comma list of `otlp`, `console`, `file`, `discard` (takes every batch, writes nothing: for measuring the cost of logging), or `none`.";
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "", Url, "Full URL for logs; used as it is.";
    "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "", Protocol, "Protocol for logs.";
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS", "", KeyValues, "Request headers for logs.";
    "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "", Millis, "Request timeout for logs.";
    "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "", Compression, "Compression for logs.";
    "OTEL_EXPORTER_OTLP_LOGS_INSECURE", "", Bool, "The same as OTEL_EXPORTER_OTLP_INSECURE, for logs.";
    "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", "", ReadableFile, "The same as OTEL_EXPORTER_OTLP_CERTIFICATE, for logs.";
    "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE", "", ReadableFile, "The same as OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE, for logs.";
    "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY", "", ReadableFile, "The same as OTEL_EXPORTER_OTLP_CLIENT_KEY, for logs.";
    "OTEL_BLRP_SCHEDULE_DELAY", "1000", Millis, "Milliseconds between two exports of queued log records.";
    "OTEL_BLRP_EXPORT_TIMEOUT", "30000", Millis, "Milliseconds one export of log records may take.";
    "OTEL_BLRP_MAX_QUEUE_SIZE", "2048", Count, "Log records queued at most (at most 1048576); beyond it, records are dropped and counted.";
    "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "512", Count, "Log records per export at most (not more than the queue size, and at most 65536).";
    "OTELRS_LOGS_METRICS_BY_SCOPE", "false", Bool, "`true`: the log-derived metrics `otelrs.logs.records` and `otelrs.logs.left_out` carry `otel.scope.name`, one series per logger scope (by default their series are by severity and by reason only, so that an application's many logger names do not multiply series).";
    "OTELRS_LOGS_MIN_SEVERITY", "trace", Severity, "Records below this severity (a name such as `info`, or a number 1 to 24) are dropped before they are built.";
    "OTELRS_LOGS_SAMPLING_THRESHOLD", "warn", Severity, "Records at or above this severity are always kept: sampling and the rate limit apply below it only.";
    "OTELRS_LOGS_SAMPLING_RATIO", "1.0", Ratio, "Share of the records below the threshold that are kept, from 0.0 to 1.0.";
    "OTELRS_LOGS_SAMPLING_TRACE_AWARE", "false", Bool, "`true`: every record of a sampled trace (traceparent flag 01) is kept, and records of other traces are sampled by trace id, so that a trace's records are kept or dropped together.";
    "OTELRS_LOGS_RATE_LIMIT", "0", Rate, "Records per second each logger keeps below the threshold (a token bucket); 0 for no limit. What it suppresses is counted.";
    "OTELRS_LOGS_RATE_LIMIT_BURST", "", Rate, "Records the bucket holds when full; default: one second's worth (OTELRS_LOGS_RATE_LIMIT).";
    "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "128", Count, "Attributes kept per log record; the rest are dropped and counted.";
    "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "", Count, "Characters kept of each string attribute value (and of each string in an array); default: no limit.";
    "OTEL_ATTRIBUTE_COUNT_LIMIT", "128", Count, "The general attribute count limit, used when OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT is not set.";
    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "", Count, "The general value length limit, used when OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT is not set.";
    "OTELRS_EXPORTER_FILE_LOGS_PATH", "otelrs-logs.jsonl", OutputFile, "JSON-lines file of the file log exporter: one OTLP-JSON `ExportLogsServiceRequest` per line.";
    "OTELRS_EXPORTER_FILE_LOGS_MAX_BYTES", "10485760", Count, "Size at which the log file is rotated (`path` becomes `path.1`, `path.1` becomes `path.2`, ...).";
    "OTELRS_EXPORTER_FILE_LOGS_MAX_FILES", "5", Count, "Rotated log files kept besides the current one (at most 1000); the oldest is removed.";
}

/// Settings set from code, checked as they are set. Keys are the names in [`SETTINGS`].
#[derive(Debug, Clone, Default)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    views: Vec<View>,
}

fn find(key: &str) -> Option<&'static SettingDoc> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// The setting a binding's keyword argument names: the key in lower case without its
/// `OTEL_`/`OTELRS_` prefix (`service_name` is OTEL_SERVICE_NAME, `logs_rate_limit` is
/// OTELRS_LOGS_RATE_LIMIT); the exact key works too.
pub fn setting_key(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    SETTINGS.iter().map(|s| s.key).find(|k| {
        *k == upper
            || k.strip_prefix("OTEL_") == Some(&upper)
            || k.strip_prefix("OTELRS_") == Some(&upper)
    })
}

impl Config {
    /// Settings with nothing set from code: the environment and the defaults decide.
    pub fn new() -> Self {
        Config::default()
    }

    /// Sets `key` to `value`, overriding the environment. An unknown key, or a value that does
    /// not parse for its key, is a [`crate::ErrorKind::Config`] error naming both.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let doc = find(key).ok_or_else(|| {
            Error::config(format!(
                "unknown setting {key:?} (the settings table in the README lists every key)"
            ))
        })?;
        check_value(doc, value, "")?;
        self.values.insert(doc.key, value.to_owned());
        Ok(())
    }

    /// Sets the setting `name` names: an exact key, or the keyword form the bindings take
    /// (see [`setting_key`]). An unknown name is a [`crate::ErrorKind::Config`] error that
    /// says how keywords are formed. Gives the key it set.
    pub fn set_named(&mut self, name: &str, value: &str) -> Result<&'static str> {
        let key = setting_key(name).ok_or_else(|| {
            Error::config(format!(
                "unknown setting {name:?} (names are the OTEL_* / OTELRS_* keys, or those keys in \
                 lower case without the prefix, e.g. service_name)"
            ))
        })?;
        self.set(key, value)?;
        Ok(key)
    }

    /// Adds the pair `key=value` to the key-value setting `name` (OTEL_RESOURCE_ATTRIBUTES,
    /// an `..._HEADERS` key), both percent-encoded, after the pairs added before: what a
    /// binding makes of a dict or Hash. A setting of another kind is a
    /// [`crate::ErrorKind::Config`] error.
    pub fn add_pair(&mut self, name: &str, key: &str, value: &str) -> Result<&'static str> {
        let doc = setting_key(name)
            .and_then(find)
            .ok_or_else(|| Error::config(format!("unknown setting {name:?}")))?;
        if doc.kind != ValueKind::KeyValues {
            return Err(Error::config(format!(
                "{} takes no key=value pairs (only the settings of key=value lists do)",
                doc.key
            )));
        }
        let encode = |s: &str| {
            s.replace('%', "%25")
                .replace(',', "%2C")
                .replace('=', "%3D")
        };
        let pair = format!("{}={}", encode(key), encode(value));
        let text = match self.values.get(doc.key) {
            Some(before) if !before.is_empty() => format!("{before},{pair}"),
            _ => pair,
        };
        self.set(doc.key, &text)?;
        Ok(doc.key)
    }

    /// Adds a view in its text form (see OTELRS_METRICS_VIEWS), after those of
    /// OTELRS_METRICS_VIEWS; an invalid view is a [`crate::ErrorKind::Config`] error saying why.
    pub fn add_view(&mut self, view: &str) -> Result<()> {
        self.views.push(View::parse(view)?);
        Ok(())
    }

    /// Adds a view given as keys and values, as a dict or Hash gives it: a key that comes
    /// again adds an item to its list (`boundaries`, `attribute_keys`). Values are taken as
    /// they are (no separator in them is read as one).
    pub fn add_view_pairs<'a>(
        &mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<()> {
        let mut grouped: Vec<(&str, Vec<String>)> = Vec::new();
        for (key, value) in pairs {
            match grouped.iter_mut().find(|(k, _)| *k == key) {
                Some((_, items)) => items.push(value.to_owned()),
                None => grouped.push((key, vec![value.to_owned()])),
            }
        }
        self.add_view(&crate::metrics::views::view_text(grouped))
    }

    /// The value in force for `key`: from code, else from the environment (an empty
    /// environment value counts as unset, as the spec says), else `None`.
    fn lookup(&self, key: &str) -> Result<Option<(String, &'static str)>> {
        if let Some(v) = self.values.get(key) {
            return Ok(Some((v.clone(), "")));
        }
        match std::env::var(key) {
            Ok(v) if !v.trim().is_empty() => Ok(Some((v, " (from the environment)"))),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::config(format!(
                "invalid value for {key} (from the environment): it is not valid UTF-8"
            ))),
            _ => Ok(None),
        }
    }
}

/// Whether `key`'s value may hold credentials (request headers such as `authorization`):
/// it is never shown in a message.
fn is_secret(key: &str) -> bool {
    key.ends_with("_HEADERS")
}

/// "invalid value "v" for KEY (origin)": the value shown unless the key's values are secret.
fn invalid_value(key: &str, value: &str, origin: &str) -> String {
    if is_secret(key) {
        format!("invalid value for {key}{origin} (not shown: it may hold credentials)")
    } else {
        format!("invalid value {value:?} for {key}{origin}")
    }
}

fn bad(doc: &SettingDoc, value: &str, origin: &str, why: &str) -> Error {
    Error::config(format!("{}: {why}", invalid_value(doc.key, value, origin)))
}

fn check_value(doc: &SettingDoc, value: &str, origin: &str) -> Result<()> {
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
        ValueKind::Views => crate::metrics::views::parse_list(v)
            .map(drop)
            .map_err(|e| e.message().to_owned()),
        ValueKind::HistogramAggregation => parse_histogram_aggregation(v).map(drop),
        ValueKind::ExemplarFilter => Filter::parse(v).map(drop),
        ValueKind::Severity => parse_severity(v).map(drop),
        ValueKind::LogLevel => crate::diag::parse_level(v).map(drop),
        ValueKind::MetricGroups => Groups::parse(v).map(drop),
        ValueKind::OutputFile if v.is_empty() => Err("the path is empty".to_owned()),
        ValueKind::OutputFile => Ok(()),
        ValueKind::Directory => check_directory(v),
    }
    .map_err(|why| bad(doc, value, origin, &why))
}

/// The range of the counts that size something otelrs allocates or walks (a larger value is
/// refused before anything is built), or that need more than 1: key, least, most.
const COUNT_RANGES: &[(&str, usize, usize)] = &[
    ("OTEL_BLRP_MAX_QUEUE_SIZE", 1, 1 << 20),
    ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", 1, 1 << 16),
    ("OTELRS_EXPORTER_FILE_LOGS_MAX_FILES", 1, 1000),
    ("OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES", 1 << 20, usize::MAX),
];

fn check_count_limit(key: &str, n: usize) -> std::result::Result<(), String> {
    match COUNT_RANGES.iter().find(|(k, _, _)| *k == key) {
        Some((_, _, most)) if n > *most => Err(format!("at most {most}")),
        Some((_, least, _)) if n < *least => Err(format!("at least {least}")),
        _ => Ok(()),
    }
}

/// A directory otelrs writes in: a directory if it exists (it is created when first used).
fn check_directory(v: &str) -> std::result::Result<(), String> {
    match std::fs::metadata(v) {
        Ok(m) if !m.is_dir() => Err("not a directory".to_owned()),
        _ => Ok(()),
    }
}

/// The largest file otelrs reads as a setting's value (a PEM certificate or key).
pub(crate) const MAX_SETTING_FILE_BYTES: u64 = 1 << 20;

/// A setting's file: a regular file (not a device or a pipe, which could be endless or block)
/// of at most [`MAX_SETTING_FILE_BYTES`], that can be opened.
fn check_readable_file(v: &str) -> std::result::Result<(), String> {
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

fn parse_bool(v: &str) -> std::result::Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

fn parse_millis(v: &str) -> std::result::Result<Duration, String> {
    v.parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| "expected a whole number of milliseconds".to_owned())
}

fn parse_count(v: &str) -> std::result::Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("expected a whole number, at least 1".to_owned()),
    }
}

fn parse_port(v: &str) -> std::result::Result<u16, String> {
    v.parse::<u16>()
        .map_err(|_| "expected a port number from 0 to 65535".to_owned())
}

/// Whether OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION asks for exponential
/// histograms.
fn parse_histogram_aggregation(v: &str) -> std::result::Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "explicit_bucket_histogram" => Ok(false),
        "base2_exponential_bucket_histogram" => Ok(true),
        _ => Err(
            "expected explicit_bucket_histogram or base2_exponential_bucket_histogram".to_owned(),
        ),
    }
}

fn parse_ratio(v: &str) -> std::result::Result<f64, String> {
    match v.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err("expected a number from 0.0 to 1.0".to_owned()),
    }
}

fn parse_rate(v: &str) -> std::result::Result<f64, String> {
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

/// Decodes `%XX` escapes, as W3C baggage (the format of OTEL_RESOURCE_ATTRIBUTES) encodes values.
pub(crate) fn percent_decode(s: &str) -> std::result::Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent escapes do not decode to UTF-8".to_owned())
}

/// `key=value` pairs separated by commas, values percent-decoded. Messages name the keys and
/// the items' places, never a value (headers may hold credentials).
fn parse_key_values(v: &str) -> std::result::Result<Vec<(String, String)>, String> {
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
}

fn parse_exporters(v: &str) -> std::result::Result<Vec<Exporter>, String> {
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
            other => {
                return Err(format!(
                    "unknown exporter {other:?} (known: otlp, prometheus (metrics), console, file, memory (metrics), discard (logs), none)"
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

fn parse_protocol(v: &str) -> std::result::Result<Protocol, String> {
    match v.to_ascii_lowercase().as_str() {
        "grpc" => Ok(Protocol::Grpc),
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        "http/json" => Ok(Protocol::HttpJson),
        _ => Err("expected grpc, http/protobuf or http/json".to_owned()),
    }
}

fn parse_compression(v: &str) -> std::result::Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "gzip" => Ok(true),
        "none" => Ok(false),
        _ => Err("expected gzip or none".to_owned()),
    }
}

fn parse_temporality(v: &str) -> std::result::Result<Temporality, String> {
    match v.to_ascii_lowercase().as_str() {
        "cumulative" => Ok(Temporality::Cumulative),
        "delta" => Ok(Temporality::Delta),
        "lowmemory" => Ok(Temporality::LowMemory),
        _ => Err("expected cumulative, delta or lowmemory".to_owned()),
    }
}

fn parse_url(v: &str) -> std::result::Result<String, String> {
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

/// Settings of one signal's OTLP exporter, after the signal-specific keys were applied.
#[derive(Debug, Clone)]
pub(crate) struct OtlpSettings {
    pub endpoint: String,
    pub protocol: Protocol,
    pub headers: Vec<(String, String)>,
    /// The setting the headers came from, for messages.
    pub headers_key: String,
    pub timeout: Duration,
    pub gzip: bool,
    pub certificate: Option<PathBuf>,
    /// The setting the certificate came from, for messages.
    pub certificate_key: String,
    /// The client's certificate and private key (mTLS), each with the setting it came from
    /// (or would have come from); both or neither, checked when the exporter is built.
    pub client_identity: [(Option<PathBuf>, String); 2],
    /// The on-disk queue: its directory (of both signals) and size cap per signal.
    pub queue: Option<(PathBuf, u64)>,
    /// The User-Agent of every request: `OTel-OTLP-Exporter-<language>/<version> (otelrs)`.
    pub user_agent: String,
}

/// Settings of the log pipeline.
#[derive(Debug, Clone)]
pub(crate) struct LogSettings {
    pub exporters: Vec<Exporter>,
    pub otlp: OtlpSettings,
    pub schedule_delay: Duration,
    pub export_timeout: Duration,
    pub max_queue: usize,
    pub max_batch: usize,
    pub min_severity: u8,
    pub sampling: Sampling,
    /// The log-derived metrics carry otel.scope.name.
    pub metrics_by_scope: bool,
    pub attribute_count_limit: usize,
    pub attribute_value_length_limit: Option<usize>,
    pub file_path: PathBuf,
    pub file_max_bytes: u64,
    pub file_max_files: usize,
}

/// The sampling rules of the log pipeline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sampling {
    pub threshold: u8,
    pub ratio: f64,
    pub trace_aware: bool,
    pub rate_limit: f64,
    pub burst: f64,
}

/// Every setting resolved and typed: what the SDK is built from.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub disabled: bool,
    pub service_name: Option<String>,
    pub resource_attributes: Vec<(String, String)>,
    pub language: String,
    /// Recording errors raise in the bindings (OTELRS_STRICT).
    pub strict: bool,
    /// otelrs's own messages shown (OTEL_LOG_LEVEL), see [`crate::diag`].
    pub log_level: u8,
    pub metrics_exporters: Vec<Exporter>,
    pub export_interval: Duration,
    pub export_timeout: Duration,
    pub otlp: OtlpSettings,
    pub otlp_temporality: Temporality,
    pub console_temporality: Temporality,
    pub file_temporality: Temporality,
    pub memory_temporality: Temporality,
    pub file_path: PathBuf,
    pub prometheus_host: String,
    pub prometheus_port: u16,
    pub views: Vec<View>,
    pub cardinality_limit: usize,
    pub exponential_histograms: bool,
    pub exemplar_filter: Filter,
    pub system_metrics: Groups,
    pub logs: LogSettings,
}

struct Resolver<'a> {
    config: &'a Config,
}

impl Resolver<'_> {
    /// The value in force for `key`, checked, or `None`.
    fn raw(&self, key: &str) -> Result<Option<String>> {
        let doc = find(key)
            .ok_or_else(|| Error::internal(format!("setting {key} is not in the table")))?;
        match self.config.lookup(doc.key)? {
            Some((v, origin)) => {
                check_value(doc, &v, origin)?;
                Ok(Some(v.trim().to_owned()))
            }
            None => Ok(None),
        }
    }

    /// The value in force for `key` parsed, or `default` parsed.
    fn get<T>(
        &self,
        key: &str,
        default: &str,
        parse: fn(&str) -> std::result::Result<T, String>,
    ) -> Result<T> {
        let v = self.raw(key)?.unwrap_or_else(|| default.to_owned());
        parse(&v).map_err(|why| Error::config(format!("{}: {why}", invalid_value(key, &v, ""))))
    }

    /// `OTEL_EXPORTER_OTLP_<SIGNAL>_<what>` if set, else `OTEL_EXPORTER_OTLP_<what>`, parsed.
    fn signal<T>(
        &self,
        signal: &str,
        what: &str,
        default: T,
        parse: fn(&str) -> std::result::Result<T, String>,
    ) -> Result<T> {
        Ok(self.signal_from(signal, what, default, parse)?.0)
    }

    /// [`Self::signal`], with the key the value came from (the generic one when unset).
    fn signal_from<T>(
        &self,
        signal: &str,
        what: &str,
        default: T,
        parse: fn(&str) -> std::result::Result<T, String>,
    ) -> Result<(T, String)> {
        let specific = format!("OTEL_EXPORTER_OTLP_{signal}_{what}");
        let generic = format!("OTEL_EXPORTER_OTLP_{what}");
        match self
            .raw(&specific)?
            .map(|v| (specific, v))
            .or(self.raw(&generic)?.map(|v| (generic.clone(), v)))
        {
            Some((key, v)) => match parse(&v) {
                Ok(t) => Ok((t, key)),
                Err(why) => Err(Error::config(format!(
                    "{}: {why}",
                    invalid_value(&key, &v, "")
                ))),
            },
            None => Ok((default, generic)),
        }
    }

    /// The OTLP settings of `signal` (`METRICS` or `LOGS`).
    fn otlp(&self, signal: &str) -> Result<OtlpSettings> {
        let protocol = self.signal(signal, "PROTOCOL", Protocol::HttpProtobuf, parse_protocol)?;
        let insecure = self.signal(signal, "INSECURE", false, parse_bool)?;
        let endpoint = match self.raw(&format!("OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"))? {
            Some(specific) => with_scheme(&specific, insecure),
            None => {
                let base =
                    self.raw("OTEL_EXPORTER_OTLP_ENDPOINT")?
                        .unwrap_or_else(|| match protocol {
                            Protocol::Grpc => "http://localhost:4317".to_owned(),
                            _ => "http://localhost:4318".to_owned(),
                        });
                let base = with_scheme(&base, insecure);
                match protocol {
                    Protocol::Grpc => base,
                    // The signal's path goes after the base's path, before any query.
                    _ => {
                        let (path, query) = match base.split_once('?') {
                            Some((p, q)) => (p, format!("?{q}")),
                            None => (base.as_str(), String::new()),
                        };
                        format!(
                            "{}/v1/{}{query}",
                            path.trim_end_matches('/'),
                            signal.to_ascii_lowercase()
                        )
                    }
                }
            }
        };
        let (headers, headers_key) =
            self.signal_from(signal, "HEADERS", Vec::new(), parse_key_values)?;
        let (certificate, certificate_key) =
            self.signal_from(signal, "CERTIFICATE", None, |v| Ok(Some(PathBuf::from(v))))?;
        check_endpoint(&endpoint, signal)?;
        let path = |v: &str| Ok(Some(PathBuf::from(v)));
        let client_identity = [
            self.signal_from(signal, "CLIENT_CERTIFICATE", None, path)?,
            self.signal_from(signal, "CLIENT_KEY", None, path)?,
        ];
        Ok(OtlpSettings {
            endpoint,
            protocol,
            headers,
            headers_key,
            timeout: self.signal(
                signal,
                "TIMEOUT",
                Duration::from_millis(10_000),
                parse_millis,
            )?,
            gzip: self.signal(signal, "COMPRESSION", false, parse_compression)?,
            certificate,
            certificate_key,
            client_identity,
            user_agent: user_agent(
                &self.get("OTELRS_TELEMETRY_SDK_LANGUAGE", "c", |v| Ok(v.to_owned()))?,
            ),
            queue: match self.raw("OTELRS_EXPORTER_OTLP_QUEUE_DIR")? {
                Some(dir) => Some((
                    PathBuf::from(dir),
                    self.get(
                        "OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES",
                        "268435456",
                        parse_count,
                    )? as u64,
                )),
                None => None,
            },
        })
    }

    fn logs(&self) -> Result<LogSettings> {
        let exporters = self.get("OTEL_LOGS_EXPORTER", "otlp", parse_exporters)?;
        for (exporter, name) in [
            (Exporter::Memory, "memory"),
            (Exporter::Prometheus, "prometheus"),
        ] {
            if exporters.contains(&exporter) {
                return Err(Error::config(format!(
                    "invalid value {name:?} for OTEL_LOGS_EXPORTER: known: otlp, console, file, discard, none"
                )));
            }
        }
        let max_queue = self.get("OTEL_BLRP_MAX_QUEUE_SIZE", "2048", parse_count)?;
        let rate_limit = self.get("OTELRS_LOGS_RATE_LIMIT", "0", parse_rate)?;
        Ok(LogSettings {
            exporters,
            otlp: self.otlp("LOGS")?,
            schedule_delay: self.get("OTEL_BLRP_SCHEDULE_DELAY", "1000", parse_millis)?,
            export_timeout: self.get("OTEL_BLRP_EXPORT_TIMEOUT", "30000", parse_millis)?,
            max_queue,
            max_batch: self
                .get("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "512", parse_count)?
                .min(max_queue),
            min_severity: self.get("OTELRS_LOGS_MIN_SEVERITY", "trace", parse_severity)?,
            metrics_by_scope: self.get("OTELRS_LOGS_METRICS_BY_SCOPE", "false", parse_bool)?,
            sampling: Sampling {
                threshold: self.get("OTELRS_LOGS_SAMPLING_THRESHOLD", "warn", parse_severity)?,
                ratio: self.get("OTELRS_LOGS_SAMPLING_RATIO", "1.0", parse_ratio)?,
                trace_aware: self.get("OTELRS_LOGS_SAMPLING_TRACE_AWARE", "false", parse_bool)?,
                rate_limit,
                burst: match self.raw("OTELRS_LOGS_RATE_LIMIT_BURST")? {
                    Some(b) => parse_rate(&b).map_err(Error::config)?,
                    None => rate_limit,
                },
            },
            attribute_count_limit: match self.raw("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT")? {
                Some(v) => parse_count(&v).map_err(Error::config)?,
                None => self.get("OTEL_ATTRIBUTE_COUNT_LIMIT", "128", parse_count)?,
            },
            attribute_value_length_limit: match self
                .raw("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT")?
            {
                Some(v) => Some(parse_count(&v).map_err(Error::config)?),
                None => self
                    .raw("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")?
                    .map(|v| parse_count(&v))
                    .transpose()
                    .map_err(Error::config)?,
            },
            file_path: PathBuf::from(self.get(
                "OTELRS_EXPORTER_FILE_LOGS_PATH",
                "otelrs-logs.jsonl",
                |v| Ok(v.to_owned()),
            )?),
            file_max_bytes: self.get(
                "OTELRS_EXPORTER_FILE_LOGS_MAX_BYTES",
                "10485760",
                parse_count,
            )? as u64,
            file_max_files: self.get("OTELRS_EXPORTER_FILE_LOGS_MAX_FILES", "5", parse_count)?,
        })
    }
}

impl Settings {
    /// Resolves every setting: code over environment over default.
    pub(crate) fn resolve(config: &Config) -> Result<Settings> {
        let r = Resolver { config };
        let log_level = r.get("OTEL_LOG_LEVEL", "info", crate::diag::parse_level)?;
        let export_interval = r.get("OTEL_METRIC_EXPORT_INTERVAL", "60000", parse_millis)?;
        if export_interval.is_zero() {
            return Err(Error::config(
                "invalid value \"0\" for OTEL_METRIC_EXPORT_INTERVAL: must be at least 1 ms",
            ));
        }
        let temporality = |key: &str| r.get(key, "cumulative", parse_temporality);
        Ok(Settings {
            disabled: r.get("OTEL_SDK_DISABLED", "false", parse_bool)?,
            service_name: r.raw("OTEL_SERVICE_NAME")?,
            resource_attributes: r.get("OTEL_RESOURCE_ATTRIBUTES", "", parse_key_values)?,
            language: r.get("OTELRS_TELEMETRY_SDK_LANGUAGE", "c", |v| Ok(v.to_owned()))?,
            strict: r.get("OTELRS_STRICT", "false", parse_bool)?,
            log_level,
            metrics_exporters: match r.get("OTEL_METRICS_EXPORTER", "otlp", parse_exporters)? {
                e if e.contains(&Exporter::Discard) => {
                    return Err(Error::config(
                        "invalid value \"discard\" for OTEL_METRICS_EXPORTER: known: otlp, prometheus, console, file, memory, none",
                    ))
                }
                e => e,
            },
            export_interval,
            export_timeout: r.get("OTEL_METRIC_EXPORT_TIMEOUT", "30000", parse_millis)?,
            otlp: r.otlp("METRICS")?,
            otlp_temporality: temporality("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE")?,
            console_temporality: temporality(
                "OTELRS_EXPORTER_CONSOLE_METRICS_TEMPORALITY_PREFERENCE",
            )?,
            file_temporality: temporality("OTELRS_EXPORTER_FILE_METRICS_TEMPORALITY_PREFERENCE")?,
            memory_temporality: temporality(
                "OTELRS_EXPORTER_MEMORY_METRICS_TEMPORALITY_PREFERENCE",
            )?,
            file_path: PathBuf::from(r.get(
                "OTELRS_EXPORTER_FILE_METRICS_PATH",
                "otelrs-metrics.jsonl",
                |v| Ok(v.to_owned()),
            )?),
            prometheus_host: r.get("OTEL_EXPORTER_PROMETHEUS_HOST", "localhost", |v| {
                Ok(v.to_owned())
            })?,
            prometheus_port: r.get("OTEL_EXPORTER_PROMETHEUS_PORT", "9464", parse_port)?,
            views: {
                let mut views = r.get("OTELRS_METRICS_VIEWS", "", |v| {
                    crate::metrics::views::parse_list(v).map_err(|e| e.message().to_owned())
                })?;
                views.extend(config.views.iter().cloned());
                views
            },
            cardinality_limit: r.get("OTELRS_METRICS_CARDINALITY_LIMIT", "2000", parse_count)?,
            exemplar_filter: r.get("OTEL_METRICS_EXEMPLAR_FILTER", "trace_based", Filter::parse)?,
            exponential_histograms: r.get(
                "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
                "explicit_bucket_histogram",
                parse_histogram_aggregation,
            )?,
            system_metrics: r.get("OTELRS_SYSTEM_METRICS", "none", Groups::parse)?,
            logs: r.logs()?,
        })
    }
}

/// Environment keys of the OpenTelemetry family that belong to other signals, languages or
/// components (traces, propagators, instrumentations): not otelrs's, and not a typo.
const OTHERS_KEYS: &[&str] = &[
    "OTEL_TRACES_",
    "OTEL_EXPORTER_OTLP_TRACES_",
    "OTEL_BSP_",
    "OTEL_SPAN_",
    "OTEL_LINK_",
    "OTEL_EVENT_",
    "OTEL_PROPAGATORS",
    "OTEL_PYTHON_",
    "OTEL_RUBY_",
    "OTEL_NODE_",
    "OTEL_JAVA",
    "OTEL_DOTNET_",
    "OTEL_GO_",
    "OTEL_PHP_",
    "OTEL_SEMCONV_",
    "OTEL_INSTRUMENTATION_",
    "OTEL_EXPORTER_ZIPKIN_",
    "OTEL_EXPORTER_JAEGER_",
    "OTEL_EXPERIMENTAL_",
    "OTEL_ENTITIES",
    // The Ruby gem's path to libotelrs.
    "OTELRS_LIB",
];

/// Says once per process which `OTEL_*` / `OTELRS_*` keys of `keys` otelrs does
/// not know (a typo such as `OTEL_EXPORTER_OTLP_ENDPIONT` must be seen), with the known key
/// nearest to each.
pub(crate) fn warn_of_unknown_keys(keys: impl Iterator<Item = String>) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    for key in keys {
        let ours = key.starts_with("OTELRS_") || key.starts_with("OTEL_");
        if !ours || find(&key).is_some() || OTHERS_KEYS.iter().any(|p| key.starts_with(p)) {
            continue;
        }
        let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
        if warned.contains(&key) {
            continue;
        }
        warned.push(key.clone());
        crate::diag::warn(unknown_key_warning(&key));
    }
}

/// The warning for an unknown key, naming the nearest known one when it looks like a typo.
fn unknown_key_warning(key: &str) -> String {
    if key == "OTEL_CONFIG_FILE" {
        return "OTEL_CONFIG_FILE is set, but otelrs does not read configuration files: the \
                environment variables and the settings from code apply"
            .to_owned();
    }
    let nearest = SETTINGS
        .iter()
        .map(|s| (edit_distance(key, s.key), s.key))
        .min()
        .filter(|(d, _)| *d <= 3);
    match nearest {
        Some((_, known)) => {
            format!("{key} is not a setting otelrs knows and is ignored (did you mean {known}?)")
        }
        None => format!("{key} is not a setting otelrs knows and is ignored"),
    }
}

/// The Levenshtein distance of two keys.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The User-Agent the OTLP specification asks exporters to send, for the program's language
/// (`c`, `python`, `ruby`), naming otelrs.
fn user_agent(language: &str) -> String {
    let mut lang = language.to_owned();
    if let Some(first) = lang.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    format!(
        "OTel-OTLP-Exporter-{lang}/{} (otelrs)",
        crate::resource::VERSION
    )
}

/// Checks the OTLP endpoint of `signal` as it will be used: a URL that parses, with a host.
fn check_endpoint(endpoint: &str, signal: &str) -> Result<()> {
    let ok = endpoint
        .parse::<http::Uri>()
        .ok()
        .filter(|u| u.host().is_some_and(|h| !h.is_empty() && h != "[]"));
    if ok.is_none() {
        return Err(Error::config(format!(
            "invalid OTLP endpoint {endpoint:?} for {}: not a URL with a host \
             (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_{signal}_ENDPOINT)",
            signal.to_ascii_lowercase()
        )));
    }
    Ok(())
}

fn with_scheme(endpoint: &str, insecure: bool) -> String {
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        endpoint.to_owned()
    } else if insecure {
        format!("http://{endpoint}")
    } else {
        format!("https://{endpoint}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_names_map_to_their_keys() {
        assert_eq!(setting_key("service_name"), Some("OTEL_SERVICE_NAME"));
        assert_eq!(
            setting_key("logs_rate_limit"),
            Some("OTELRS_LOGS_RATE_LIMIT")
        );
        assert_eq!(
            setting_key("OTEL_BLRP_MAX_QUEUE_SIZE"),
            Some("OTEL_BLRP_MAX_QUEUE_SIZE")
        );
        assert_eq!(setting_key("no_such_setting"), None);
    }

    #[test]
    fn unknown_key_and_bad_values_name_key_and_value() {
        let mut c = Config::new();
        let e = c.set("OTEL_METRICS_EXPORTR", "otlp").unwrap_err();
        assert!(e.message().contains("OTEL_METRICS_EXPORTR"), "{e}");
        let e = c.set("OTEL_METRIC_EXPORT_INTERVAL", "soon").unwrap_err();
        assert!(
            e.message().contains("OTEL_METRIC_EXPORT_INTERVAL") && e.message().contains("soon")
        );
        let e = c.set("OTEL_METRICS_EXPORTER", "otlp,zipkin").unwrap_err();
        assert!(e.message().contains("zipkin"), "{e}");
        assert!(c.set("OTEL_METRICS_EXPORTER", "none,otlp").is_err());
        assert!(c
            .set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:99999")
            .is_err());
        assert!(c
            .set("OTEL_EXPORTER_OTLP_CERTIFICATE", "/no/such/file.pem")
            .is_err());
        assert!(c.set("OTEL_SDK_DISABLED", "yes").is_err());
        let e = c.set("OTEL_EXPORTER_PROMETHEUS_PORT", "70000").unwrap_err();
        assert!(
            e.message().contains("70000") && e.message().contains("0 to 65535"),
            "{e}"
        );
        c.set("OTEL_LOGS_EXPORTER", "prometheus").unwrap();
        let e = Settings::resolve(&c).unwrap_err();
        assert!(
            e.message()
                .contains("\"prometheus\" for OTEL_LOGS_EXPORTER"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_the_nearest_known_one() {
        assert_eq!(
            unknown_key_warning("OTEL_EXPORTER_OTLP_ENDPIONT"),
            "OTEL_EXPORTER_OTLP_ENDPIONT is not a setting otelrs knows and is ignored \
             (did you mean OTEL_EXPORTER_OTLP_ENDPOINT?)"
        );
        assert!(unknown_key_warning("OTELRS_WHATEVER_ELSE").ends_with("is ignored"));
        assert!(unknown_key_warning("OTEL_CONFIG_FILE").contains("configuration files"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn header_values_never_appear_in_messages() {
        let mut c = Config::new();
        for (key, value) in [
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer s3cr3t%zz",
            ),
            ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "Bearer s3cr3t"),
            ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "=s3cr3t"),
        ] {
            let e = c.set(key, value).unwrap_err();
            assert!(!e.message().contains("s3cr3t"), "{e}");
            assert!(e.message().contains(key), "{e}");
        }
        let e = c
            .set(
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer s3cr3t%zz",
            )
            .unwrap_err();
        assert!(e.message().contains("\"authorization\""), "{e}");
        // A header the HTTP rules refuse: named with its setting, the value not shown.
        c.set("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "x-token=s3cr3t%0A")
            .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::otlp::header_map(&s.logs.otlp).unwrap_err();
        assert!(
            e.message().contains("OTEL_EXPORTER_OTLP_LOGS_HEADERS")
                && e.message().contains("x-token")
                && !e.message().contains("s3cr3t"),
            "{e}"
        );
    }

    #[test]
    fn endpoints_that_cannot_work_are_refused_and_a_query_stays_last() {
        let mut c = Config::new();
        c.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1").unwrap();
        let e = Settings::resolve(&c).unwrap_err();
        assert!(e.message().contains("not a URL with a host"), "{e}");
        c.set(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "https://gw.example/otlp?tenant=a",
        )
        .unwrap();
        let s = Settings::resolve(&c).unwrap();
        assert_eq!(
            s.otlp.endpoint,
            "https://gw.example/otlp/v1/metrics?tenant=a"
        );
        assert_eq!(
            s.logs.otlp.endpoint,
            "https://gw.example/otlp/v1/logs?tenant=a"
        );
    }

    /// A directory of this test's own, and a file in it that is not a PEM certificate.
    fn not_a_certificate(test: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("otelrs-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("not.pem");
        std::fs::write(&file, "not a certificate").unwrap();
        (dir, file)
    }

    #[test]
    fn a_client_certificate_needs_its_key_and_tls() {
        let (dir, file) = not_a_certificate("client");
        let mut c = Config::new();
        c.set(
            "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE",
            file.to_str().unwrap(),
        )
        .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::otlp::http_client(&s.logs.otlp).unwrap_err();
        assert!(
            e.message().contains(
                "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go together"
            ),
            "{e}"
        );
        assert!(
            e.message().contains("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go together"),
            "{e}"
        );
        c.set("OTEL_EXPORTER_OTLP_CLIENT_KEY", file.to_str().unwrap())
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
            .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::otlp::http_client(&s.logs.otlp).unwrap_err();
        assert!(e.message().contains("is not https://"), "{e}");
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318")
            .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::otlp::http_client(&s.logs.otlp).unwrap_err();
        assert!(
            e.message()
                .contains("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE")
                && e.message().contains("no PEM certificate"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_signal_specific_certificate_is_named_in_its_errors() {
        let (dir, not_pem) = not_a_certificate("cert");
        let mut c = Config::new();
        c.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .unwrap();
        c.set(
            "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
            not_pem.to_str().unwrap(),
        )
        .unwrap();
        let s = Settings::resolve(&c).unwrap();
        let e = crate::otlp::http_client(&s.logs.otlp).unwrap_err();
        assert!(
            e.message().contains("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn code_overrides_and_signal_specific_keys_win() {
        let mut c = Config::new();
        c.set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=x%20y").unwrap();
        c.set("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "250").unwrap();
        c.set("OTEL_EXPORTER_OTLP_TIMEOUT", "999").unwrap();
        c.set("OTEL_METRICS_EXPORTER", " console , OTLP,console")
            .unwrap();
        let s = Settings::resolve(&c).unwrap();
        assert_eq!(s.otlp.endpoint, "http://collector:4318/v1/metrics");
        assert_eq!(s.otlp.headers[1], ("b".to_owned(), "x y".to_owned()));
        assert_eq!(s.otlp.timeout, Duration::from_millis(250));
        assert_eq!(s.metrics_exporters, vec![Exporter::Console, Exporter::Otlp]);
        c.set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc").unwrap();
        c.set("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317")
            .unwrap();
        c.set("OTEL_EXPORTER_OTLP_INSECURE", "TRUE").unwrap();
        assert_eq!(
            Settings::resolve(&c).unwrap().otlp.endpoint,
            "http://collector:4317"
        );
        c.set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://m:4317")
            .unwrap();
        assert_eq!(
            Settings::resolve(&c).unwrap().otlp.endpoint,
            "https://m:4317"
        );
    }

    #[test]
    fn keyword_names_and_pairs_are_read_as_the_bindings_give_them() {
        let mut c = Config::new();
        assert_eq!(
            c.set_named("service_name", "a").unwrap(),
            "OTEL_SERVICE_NAME"
        );
        assert_eq!(
            c.set_named("logs_rate_limit", "5").unwrap(),
            "OTELRS_LOGS_RATE_LIMIT"
        );
        let err = c.set_named("no_such", "1").unwrap_err().to_string();
        assert!(
            err.contains("\"no_such\"") && err.contains("service_name"),
            "{err}"
        );
        c.add_pair("resource_attributes", "team", "a,b=c%").unwrap();
        c.add_pair("OTEL_RESOURCE_ATTRIBUTES", "zone", "eu")
            .unwrap();
        assert_eq!(
            Settings::resolve(&c).unwrap().resource_attributes,
            vec![
                ("team".to_owned(), "a,b=c%".to_owned()),
                ("zone".to_owned(), "eu".to_owned())
            ]
        );
        let err = c
            .add_pair("service_name", "k", "v")
            .unwrap_err()
            .to_string();
        assert!(err.contains("takes no key=value pairs"), "{err}");
        c.add_view_pairs([
            ("instrument_name", "http.*"),
            ("boundaries", "1"),
            ("boundaries", "2.5"),
            ("description", "a, b | c; d"),
        ])
        .unwrap();
        assert!(c
            .add_view_pairs([
                ("instrument_name", "x"),
                ("boundaries", "2"),
                ("boundaries", "1")
            ])
            .unwrap_err()
            .to_string()
            .contains("increase"));
    }

    #[test]
    fn every_setting_is_documented_in_the_readme() {
        let readme = include_str!("../../README.md");
        for s in SETTINGS {
            assert!(readme.contains(s.key), "README lacks {}", s.key);
        }
    }
}
