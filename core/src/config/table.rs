//! The settings table: every key otelrs knows, its default, how its value is read and what
//! it does, and how a binding's keyword names a key.

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
    /// A comma list of `pattern=rule`, rule `sum`, `max`, `min` or `pid`.
    GaugeMerge,
    /// otelrs's own messages shown: `none`, `error`, `warn`, `info` or `debug`.
    LogLevel,
    /// A log severity: a name (`trace`, `debug`, `info`, `warn`, `error`, `fatal`) or 1 to 24.
    Severity,
    /// Attribute keys separated by commas.
    AttributeKeys,
    /// `protobuf` or `json`: how log records are pushed to Loki.
    LokiProtocol,
    /// `text` or `json`: how the console writes log records.
    ConsoleFormat,
    /// Health rules: `reading>threshold[:failing]` separated by commas.
    HealthRules,
    /// A part of a data stream's name: lower-case letters, digits, `_` and `.`.
    DataStreamPart,
    /// A SQL name: a letter or `_`, then letters, digits and `_`.
    Identifier,
    /// A time to live: `0` (none) or a whole number with `s`, `m`, `h` or `d`.
    Ttl,
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
    "OTEL_CONFIG_FILE", "", ReadableFile, "A configuration file of the OpenTelemetry schema (YAML, file formats 0.3 to 1.0) to read instead of the environment: see Configuration file. Settings from code still override it.";
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
    "OTEL_EXPORTER_PROMETHEUS_PORT", "9464", Port, "Port of the Prometheus endpoint, which serves `/metrics` (always cumulative). A port in use makes init fail, unless an otelrs endpoint of the same service and user holds it: the process then joins it as a worker (see Pre-fork servers).";
    "OTELRS_PROMETHEUS_LISTEN", "true", Bool, "`false`: the Prometheus exporter listens on no port of its own; the app serves its metrics from its own HTTP server (`otelrs_sdk_prometheus_exposition`, `otelrs.make_wsgi_app`/`make_asgi_app`, `Otelrs::RackExporter`). The worker processes of a pre-fork server are still merged: OTEL_EXPORTER_PROMETHEUS_PORT then only names the group, with the service name and the user.";
    "OTELRS_PROMETHEUS_GAUGE_MERGE", "", GaugeMerge, "When the Prometheus endpoint merges the worker processes of a pre-fork server: how a gauge or up-down counter that several workers report becomes what a scrape shows, a comma list of `pattern=rule` over instrument names (`*` and `?` wildcards, the first match wins): `sum`, `max`, `min`, or `pid` (one series per worker, labelled `process_pid`). Without a match an up-down counter is summed and a gauge is shown per worker. Counters and histograms are always summed.";
    "OTELRS_PROMETHEUS_WORKER_TIMEOUT", "2000", Millis, "How long a scrape of a pre-fork server waits for each worker's metrics; a worker that does not answer in time is shown with `otelrs_prometheus_worker_up` 0 and its counters and histograms as it last reported them.";
    "OTELRS_HEALTH_RULES", "", HealthRules, "Rules that make the health status `degraded` (or, with `:failing` after the rule, `failing`) while a reading is above a threshold, comma-separated, e.g. `error_logs_per_minute>60,host_memory_utilization>0.95:failing`. Readings: `error_logs_per_minute` (ERROR and FATAL records in the last minute), `log_drops_per_minute` (records dropped in the last minute), `host_cpu_utilization`, `host_memory_utilization`, `filesystem_utilization` (the fullest mounted filesystem), `process_cpu_utilization` (each 0 to 1), `process_memory_usage` (resident bytes). Each rule is in the health report with its reading.";
    "OTELRS_HEALTH_INTERVAL", "5000", Millis, "Milliseconds between two evaluations of the health rules and of the status that the health callback is told of (a thread runs them while there are rules or a callback).";
    "OTELRS_SYSTEM_METRICS", "none", MetricGroups, "Metrics otelrs reports by itself, a comma list of: `host` (`system.*`: CPU, memory, paging, load, disks, filesystems, network), `process` (`process.*` of this process), `runtime` (otelrs's Tokio runtimes, and the Python or Ruby runtime from those bindings), `sdk` (`otel.sdk.*`: what each exporter exported, failed, retried, its export durations, the log queue); `all` or `none`.";
    "OTELRS_EXPORTER_FILE_METRICS_PATH", "otelrs-metrics.jsonl", OutputFile, "JSON-lines file the file exporter appends to: one OTLP-JSON `ExportMetricsServiceRequest` per line.";
    "OTELRS_STRICT", "false", Bool, "`true`: a recording call (`add`, `record`, `set`) or log call from Python or Ruby with a bad value or attribute raises, as creating things always does (for tests). By default the measurement or record is dropped, counted (`refused_measurements` in the health report and `otelrs.measurements.refused`; `refused` in the log stats) and reported once per instrument or logger (see OTEL_LOG_LEVEL). C always returns the status.";
    "OTEL_LOG_LEVEL", "info", LogLevel, "otelrs's own messages shown (an exporter failing, a setting it does not know, records or measurements it refused): `none`, `error`, `warn`, `info` or `debug`. They go to stderr; from Python to the `otelrs` logger of `logging`, from Ruby to `warn` (or `Otelrs.diagnostics_logger`), from C to the function given to `otelrs_set_diagnostics_handler`. The level is the process's: the last SDK built sets it.";
    "OTELRS_TELEMETRY_SDK_LANGUAGE", "c", Text, "`telemetry.sdk.language` of the resource; the Python and Ruby bindings set it.";
    "OTELRS_EXPORTER_OTLP_QUEUE_DIR", "", Directory, "Directory of an on-disk queue in front of the OTLP exporters (created if missing; default: none). Every export is written there first and sent from there in order, so that an outage longer than the in-memory queue holds loses nothing until the queue reaches OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES. Each process writes a directory of its own; a process started later sends what a killed one left. A `kill -9` loses only what had not reached the exporter (the in-memory log queue).";
    "OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES", "268435456", Count, "Bytes the on-disk queue of each signal holds at most (at least 1048576); beyond it the oldest exports are deleted and their records or data points counted as dropped.";
    "OTEL_LOGS_EXPORTER", "otlp", Exporters, "Comma list of `otlp`, `loki` (Grafana Loki's push API), `elasticsearch` (the bulk API), `clickhouse`, `console`, `file`, `discard` (takes every batch, writes nothing: for measuring the cost of logging), or `none`.";
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
    "OTELRS_LOGS_MIN_SEVERITY", "trace", Severity, "Records below this severity (a name such as `info`, or a number 1 to 24) are dropped before they are built; a record without severity (0, unspecified) passes, as the specification has it.";
    "OTELRS_LOGS_SAMPLING_THRESHOLD", "warn", Severity, "Records at or above this severity are always kept: sampling and the rate limit apply below it only.";
    "OTELRS_LOGS_SAMPLING_RATIO", "1.0", Ratio, "Share of the records below the threshold that are kept, from 0.0 to 1.0.";
    "OTELRS_LOGS_SAMPLING_TRACE_AWARE", "false", Bool, "`true`: every record of a sampled trace (traceparent flag 01) is kept, and records of other traces are sampled by trace id, so that a trace's records are kept or dropped together.";
    "OTELRS_LOGS_RATE_LIMIT", "0", Rate, "Records per second each logger keeps below the threshold (a token bucket); 0 for no limit. What it suppresses is counted.";
    "OTELRS_LOGS_RATE_LIMIT_BURST", "", Rate, "Records the bucket holds when full; default: one second's worth (OTELRS_LOGS_RATE_LIMIT).";
    "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "128", Count, "Attributes kept per log record; the rest are dropped and counted.";
    "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "", Count, "Characters kept of each string attribute value (and of each string in an array); default: no limit.";
    "OTEL_ATTRIBUTE_COUNT_LIMIT", "128", Count, "The general attribute count limit, used when OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT is not set.";
    "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "", Count, "The general value length limit, used when OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT is not set.";
    "OTELRS_EXPORTER_CONSOLE_LOGS_FORMAT", "text", ConsoleFormat, "How the console log exporter writes a record: `text`, one readable line; `json`, one JSON object per line (OTLP's JSON form of the record with plain attribute values, its scope and resource), for platforms that collect standard output.";
    "OTELRS_EXPORTER_FILE_LOGS_PATH", "otelrs-logs.jsonl", OutputFile, "JSON-lines file of the file log exporter: one OTLP-JSON `ExportLogsServiceRequest` per line.";
    "OTELRS_EXPORTER_FILE_LOGS_MAX_BYTES", "10485760", Count, "Size at which the log file is rotated (`path` becomes `path.1`, `path.1` becomes `path.2`, ...).";
    "OTELRS_EXPORTER_FILE_LOGS_MAX_FILES", "5", Count, "Rotated log files kept besides the current one (at most 1000); the oldest is removed.";
    "OTELRS_EXPORTER_LOKI_ENDPOINT", "http://localhost:3100/loki/api/v1/push", Url, "Full URL of Loki's push API, for the `loki` log exporter.";
    "OTELRS_EXPORTER_LOKI_PROTOCOL", "protobuf", LokiProtocol, "`protobuf` (snappy-compressed, as Promtail and Alloy push) or `json`.";
    "OTELRS_EXPORTER_LOKI_LABELS", "service.name,level", AttributeKeys, "The stream labels: resource or record attribute keys, and `level` (the record's severity as trace, debug, info, warn, error, fatal or unknown); dots and other characters a label name cannot have become `_`. A record's other attributes, resource attributes, trace and span ids, severity text and number, scope and event name go into its structured metadata.";
    "OTELRS_EXPORTER_LOKI_TENANT", "", Text, "Tenant sent as the `X-Scope-OrgID` header (a multi-tenant Loki).";
    "OTELRS_EXPORTER_LOKI_USER", "", Text, "User of HTTP basic auth (e.g. a Grafana Cloud Logs instance ID), with OTELRS_EXPORTER_LOKI_PASSWORD.";
    "OTELRS_EXPORTER_LOKI_PASSWORD", "", Text, "Password of HTTP basic auth (e.g. a Grafana Cloud token); never shown in messages.";
    "OTELRS_EXPORTER_LOKI_HEADERS", "", KeyValues, "More request headers to Loki, `key=value,...`, values percent-encoded.";
    "OTELRS_EXPORTER_LOKI_TIMEOUT", "10000", Millis, "Milliseconds one push to Loki may take.";
    "OTELRS_EXPORTER_LOKI_CERTIFICATE", "", ReadableFile, "PEM file of the CA that signs Loki's certificate.";
    "OTELRS_EXPORTER_LOKI_CLIENT_CERTIFICATE", "", ReadableFile, "PEM file of the client's certificate (mTLS), with OTELRS_EXPORTER_LOKI_CLIENT_KEY.";
    "OTELRS_EXPORTER_LOKI_CLIENT_KEY", "", ReadableFile, "PEM file of the client certificate's private key (mTLS).";
    "OTELRS_EXPORTER_ELASTICSEARCH_ENDPOINT", "http://localhost:9200", Url, "Base URL of Elasticsearch (or OpenSearch), for the `elasticsearch` log exporter; `/_bulk` is added to its path.";
    "OTELRS_EXPORTER_ELASTICSEARCH_DATASET", "generic", DataStreamPart, "The dataset of the data stream records go to, `logs-<dataset>.otel-<namespace>`, as documents of Elastic's OpenTelemetry-native mapping.";
    "OTELRS_EXPORTER_ELASTICSEARCH_NAMESPACE", "default", DataStreamPart, "The namespace of that data stream.";
    "OTELRS_EXPORTER_ELASTICSEARCH_API_KEY", "", Text, "An API key (its encoded form), sent as `Authorization: ApiKey <key>`; never shown in messages.";
    "OTELRS_EXPORTER_ELASTICSEARCH_USER", "", Text, "User of HTTP basic auth, with OTELRS_EXPORTER_ELASTICSEARCH_PASSWORD (instead of an API key).";
    "OTELRS_EXPORTER_ELASTICSEARCH_PASSWORD", "", Text, "Password of HTTP basic auth; never shown in messages.";
    "OTELRS_EXPORTER_ELASTICSEARCH_HEADERS", "", KeyValues, "More request headers to Elasticsearch, `key=value,...`, values percent-encoded.";
    "OTELRS_EXPORTER_ELASTICSEARCH_TIMEOUT", "10000", Millis, "Milliseconds one bulk request may take.";
    "OTELRS_EXPORTER_ELASTICSEARCH_CERTIFICATE", "", ReadableFile, "PEM file of the CA that signs Elasticsearch's certificate.";
    "OTELRS_EXPORTER_ELASTICSEARCH_CLIENT_CERTIFICATE", "", ReadableFile, "PEM file of the client's certificate (mTLS), with OTELRS_EXPORTER_ELASTICSEARCH_CLIENT_KEY.";
    "OTELRS_EXPORTER_ELASTICSEARCH_CLIENT_KEY", "", ReadableFile, "PEM file of the client certificate's private key (mTLS).";
    "OTELRS_EXPORTER_CLICKHOUSE_ENDPOINT", "http://localhost:8123", Url, "ClickHouse's HTTP interface, for the `clickhouse` exporter of logs and metrics.";
    "OTELRS_EXPORTER_CLICKHOUSE_DATABASE", "otel", Identifier, "The database of the tables.";
    "OTELRS_EXPORTER_CLICKHOUSE_LOGS_TABLE", "otel_logs", Identifier, "The table of log records.";
    "OTELRS_EXPORTER_CLICKHOUSE_METRICS_TABLE", "otel_metrics", Identifier, "The prefix of the metric tables: `<prefix>_sum`, `_gauge`, `_histogram`, `_exponential_histogram` and `_summary`.";
    "OTELRS_EXPORTER_CLICKHOUSE_CREATE_SCHEMA", "true", Bool, "`true`: the database and the tables are created if missing (the schema of the OpenTelemetry Collector's `clickhouse` exporter) before the first insert; `false`: they must exist.";
    "OTELRS_EXPORTER_CLICKHOUSE_TTL", "0", Ttl, "How long rows are kept in the tables created (`72h`, `30d`, ...; `0`: for ever).";
    "OTELRS_EXPORTER_CLICKHOUSE_USER", "", Text, "ClickHouse user (HTTP basic auth), with OTELRS_EXPORTER_CLICKHOUSE_PASSWORD.";
    "OTELRS_EXPORTER_CLICKHOUSE_PASSWORD", "", Text, "The user's password; never shown in messages.";
    "OTELRS_EXPORTER_CLICKHOUSE_HEADERS", "", KeyValues, "More request headers to ClickHouse, `key=value,...`, values percent-encoded.";
    "OTELRS_EXPORTER_CLICKHOUSE_TIMEOUT", "10000", Millis, "Milliseconds one insert may take.";
    "OTELRS_EXPORTER_CLICKHOUSE_COMPRESSION", "none", Compression, "`gzip` compresses each insert's rows.";
    "OTELRS_EXPORTER_CLICKHOUSE_CERTIFICATE", "", ReadableFile, "PEM file of the CA that signs ClickHouse's certificate.";
    "OTELRS_EXPORTER_CLICKHOUSE_CLIENT_CERTIFICATE", "", ReadableFile, "PEM file of the client's certificate (mTLS), with OTELRS_EXPORTER_CLICKHOUSE_CLIENT_KEY.";
    "OTELRS_EXPORTER_CLICKHOUSE_CLIENT_KEY", "", ReadableFile, "PEM file of the client certificate's private key (mTLS).";
}

pub(crate) fn find(key: &str) -> Option<&'static SettingDoc> {
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
