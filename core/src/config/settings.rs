//! Every setting resolved and typed (code over environment over default): what the SDK is
//! built from, and the OTLP endpoint rules.

use super::*;
use crate::base::error::{Error, Result};
use crate::config::choices::GaugeMerge;
use crate::config::view::View;
use crate::config::ExemplarFilter;
use crate::config::Groups;
use opentelemetry_sdk::metrics::Temporality;
use std::path::PathBuf;
use std::time::Duration;

/// Where an exporter sends and how it connects: what its HTTP or gRPC client is built from.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    /// The exporter, as messages name it ("OTLP", "Loki").
    pub exporter: &'static str,
    pub endpoint: String,
    pub headers: Vec<(String, String)>,
    /// The setting the headers came from, for messages.
    pub headers_key: String,
    /// How long one request may wait for its answer.
    pub timeout: Duration,
    pub certificate: Option<PathBuf>,
    /// The setting the certificate came from, for messages.
    pub certificate_key: String,
    /// The client's certificate and private key (mTLS), each with the setting it came from
    /// (or would have come from); both or neither, checked when the exporter is built.
    pub client_identity: [(Option<PathBuf>, String); 2],
    /// The User-Agent of every request: `OTel-OTLP-Exporter-<language>/<version> (otelrs)`.
    pub user_agent: String,
}

/// Settings of one signal's OTLP exporter, after the signal-specific keys were applied.
#[derive(Debug, Clone)]
pub(crate) struct OtlpSettings {
    pub conn: Connection,
    pub protocol: Protocol,
    pub gzip: bool,
    /// The on-disk queue: its directory (of both signals) and size cap per signal.
    pub queue: Option<(PathBuf, u64)>,
}

/// Settings of the Loki log exporter.
#[derive(Debug, Clone)]
pub(crate) struct LokiSettings {
    pub conn: Connection,
    /// Pushed as JSON rather than snappy-compressed protobuf.
    pub json: bool,
    /// The attribute keys (and `level`) that make the stream labels.
    pub labels: Vec<String>,
    /// The tenant (`X-Scope-OrgID`).
    pub tenant: Option<String>,
}

/// Settings of the Elasticsearch log exporter.
#[derive(Debug, Clone)]
pub(crate) struct ElasticsearchSettings {
    pub conn: Connection,
    pub dataset: String,
    pub namespace: String,
}

/// Settings of the ClickHouse exporter (of either signal).
#[derive(Debug, Clone)]
pub(crate) struct ClickhouseSettings {
    pub conn: Connection,
    pub database: String,
    pub logs_table: String,
    pub metrics_table: String,
    pub create_schema: bool,
    /// How long rows are kept: a number and its unit, or for ever.
    pub ttl: Option<(u32, &'static str)>,
    pub gzip: bool,
}

/// Settings of the log pipeline.
#[derive(Debug, Clone)]
pub(crate) struct LogSettings {
    pub exporters: Vec<Exporter>,
    pub otlp: OtlpSettings,
    pub loki: LokiSettings,
    pub elasticsearch: ElasticsearchSettings,
    pub clickhouse: ClickhouseSettings,
    /// The exporters the user registered from code.
    pub custom: Vec<CustomExporter>,
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
    /// The console exporter writes one JSON object per record (OTELRS_EXPORTER_CONSOLE_LOGS_FORMAT=json).
    pub console_json: bool,
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
    /// otelrs's own messages shown (OTEL_LOG_LEVEL), see [`crate::base::diag`].
    pub log_level: u8,
    pub metrics_exporters: Vec<Exporter>,
    /// The ClickHouse exporter's settings (shared with logs).
    pub clickhouse: ClickhouseSettings,
    /// The metric exporters the user registered from code.
    pub custom_metric_exporters: Vec<CustomExporter>,
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
    pub prometheus_listen: bool,
    pub prometheus_gauge_merge: GaugeMerge,
    pub prometheus_worker_timeout: Duration,
    pub views: Vec<View>,
    pub cardinality_limit: usize,
    pub exponential_histograms: bool,
    pub exemplar_filter: ExemplarFilter,
    pub system_metrics: Groups,
    pub logs: LogSettings,
    /// OTELRS_HEALTH_RULES.
    pub health_rules: Vec<super::health::HealthRule>,
    /// OTELRS_HEALTH_INTERVAL.
    pub health_interval: Duration,
    /// The function told of each change of the health status, set from code.
    pub health_callback: Option<super::health::HealthCallback>,
}

pub(crate) struct Resolver<'a> {
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

    /// The User-Agent of every exporter's requests.
    fn user_agent(&self) -> Result<String> {
        Ok(user_agent(&self.get(
            "OTELRS_TELEMETRY_SDK_LANGUAGE",
            "c",
            |v| Ok(v.to_owned()),
        )?))
    }

    /// The connection of the backend exporter whose keys start with `prefix`
    /// (`<prefix>_ENDPOINT`, `_HEADERS`, `_TIMEOUT`, `_CERTIFICATE`, `_CLIENT_CERTIFICATE`,
    /// `_CLIENT_KEY`, and `_USER` and `_PASSWORD` for HTTP basic auth).
    fn connection(&self, exporter: &'static str, prefix: &str) -> Result<Connection> {
        let key = |what: &str| format!("{prefix}_{what}");
        let endpoint_key = key("ENDPOINT");
        let default = find(&endpoint_key).map_or("", |d| d.default);
        let endpoint = self.get(&endpoint_key, default, |v| Ok(v.to_owned()))?;
        check_url(&endpoint, &endpoint_key)?;
        let mut headers = self.get(&key("HEADERS"), "", parse_key_values)?;
        match (self.raw(&key("USER"))?, self.raw(&key("PASSWORD"))?) {
            (Some(user), password) => {
                use base64::Engine as _;
                let credentials = format!("{user}:{}", password.unwrap_or_default());
                let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
                headers.push(("authorization".to_owned(), format!("Basic {encoded}")));
            }
            (None, Some(_)) => {
                return Err(Error::config(format!(
                    "{} is set without {}: basic auth needs a user",
                    key("PASSWORD"),
                    key("USER")
                )))
            }
            (None, None) => {}
        }
        let file = |what: &str| -> Result<(Option<PathBuf>, String)> {
            let k = key(what);
            Ok((self.raw(&k)?.map(PathBuf::from), k))
        };
        let (certificate, certificate_key) = file("CERTIFICATE")?;
        Ok(Connection {
            exporter,
            endpoint,
            headers,
            headers_key: key("HEADERS"),
            timeout: self.get(&key("TIMEOUT"), "10000", parse_millis)?,
            certificate,
            certificate_key,
            client_identity: [file("CLIENT_CERTIFICATE")?, file("CLIENT_KEY")?],
            user_agent: self.user_agent()?,
        })
    }

    fn loki(&self) -> Result<LokiSettings> {
        Ok(LokiSettings {
            conn: self.connection("Loki", "OTELRS_EXPORTER_LOKI")?,
            json: self.get("OTELRS_EXPORTER_LOKI_PROTOCOL", "protobuf", parse_loki_json)?,
            labels: self.get(
                "OTELRS_EXPORTER_LOKI_LABELS",
                "service.name,level",
                parse_attribute_keys,
            )?,
            tenant: self.raw("OTELRS_EXPORTER_LOKI_TENANT")?,
        })
    }

    fn clickhouse(&self) -> Result<ClickhouseSettings> {
        let ident = |key: &str, default: &str| self.get(key, default, parse_identifier);
        Ok(ClickhouseSettings {
            conn: self.connection("ClickHouse", "OTELRS_EXPORTER_CLICKHOUSE")?,
            database: ident("OTELRS_EXPORTER_CLICKHOUSE_DATABASE", "otel")?,
            logs_table: ident("OTELRS_EXPORTER_CLICKHOUSE_LOGS_TABLE", "otel_logs")?,
            metrics_table: ident("OTELRS_EXPORTER_CLICKHOUSE_METRICS_TABLE", "otel_metrics")?,
            create_schema: self.get(
                "OTELRS_EXPORTER_CLICKHOUSE_CREATE_SCHEMA",
                "true",
                parse_bool,
            )?,
            ttl: self.get("OTELRS_EXPORTER_CLICKHOUSE_TTL", "0", parse_ttl)?,
            gzip: self.get(
                "OTELRS_EXPORTER_CLICKHOUSE_COMPRESSION",
                "none",
                parse_compression,
            )?,
        })
    }

    fn elasticsearch(&self) -> Result<ElasticsearchSettings> {
        let prefix = "OTELRS_EXPORTER_ELASTICSEARCH";
        let mut conn = self.connection("Elasticsearch", prefix)?;
        if let Some(key) = self.raw("OTELRS_EXPORTER_ELASTICSEARCH_API_KEY")? {
            if conn.headers.iter().any(|(k, _)| k == "authorization") {
                return Err(Error::config(
                    "OTELRS_EXPORTER_ELASTICSEARCH_API_KEY and OTELRS_EXPORTER_ELASTICSEARCH_USER \
                     both set: give an API key or a user and password",
                ));
            }
            conn.headers
                .push(("authorization".to_owned(), format!("ApiKey {key}")));
        }
        Ok(ElasticsearchSettings {
            conn,
            dataset: self.get(
                "OTELRS_EXPORTER_ELASTICSEARCH_DATASET",
                "generic",
                parse_data_stream_part,
            )?,
            namespace: self.get(
                "OTELRS_EXPORTER_ELASTICSEARCH_NAMESPACE",
                "default",
                parse_data_stream_part,
            )?,
        })
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
            conn: Connection {
                exporter: "OTLP",
                endpoint,
                headers,
                headers_key,
                timeout: self.signal(
                    signal,
                    "TIMEOUT",
                    Duration::from_millis(10_000),
                    parse_millis,
                )?,
                certificate,
                certificate_key,
                client_identity,
                user_agent: self.user_agent()?,
            },
            protocol,
            gzip: self.signal(signal, "COMPRESSION", false, parse_compression)?,
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
                    "invalid value {name:?} for OTEL_LOGS_EXPORTER: known: otlp, console, file, discard, loki, elasticsearch, clickhouse, none"
                )));
            }
        }
        let max_queue = self.get("OTEL_BLRP_MAX_QUEUE_SIZE", "2048", parse_count)?;
        let rate_limit = self.get("OTELRS_LOGS_RATE_LIMIT", "0", parse_rate)?;
        Ok(LogSettings {
            exporters,
            otlp: self.otlp("LOGS")?,
            loki: self.loki()?,
            elasticsearch: self.elasticsearch()?,
            clickhouse: self.clickhouse()?,
            custom: self.config.log_exporters.clone(),
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
            console_json: self.get(
                "OTELRS_EXPORTER_CONSOLE_LOGS_FORMAT",
                "text",
                parse_console_json,
            )?,
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
    /// Whether metrics go anywhere: an exporter of OTEL_METRICS_EXPORTER or one the user
    /// registered.
    pub(crate) fn has_metric_exporters(&self) -> bool {
        !self.metrics_exporters.is_empty() || !self.custom_metric_exporters.is_empty()
    }

    /// Resolves every setting: code over environment over default.
    pub(crate) fn resolve(config: &Config) -> Result<Settings> {
        if let Some((merged, mut unread)) = config.with_file()? {
            if !unread.is_empty() {
                unread.sort();
                crate::base::diag::warn(format_args!(
                    "a configuration file is read (OTEL_CONFIG_FILE), so the environment's {} {} not read \
                     (a file takes the environment only where it refers to it, as ${{VAR}})",
                    unread.join(", "),
                    if unread.len() == 1 { "is" } else { "are" }
                ));
            }
            return Settings::resolve(&merged);
        }
        let r = Resolver { config };
        let log_level = r.get("OTEL_LOG_LEVEL", "info", crate::base::diag::parse_level)?;
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
                e if e.iter().any(|x| {
                    matches!(
                        x,
                        Exporter::Discard | Exporter::Loki | Exporter::Elasticsearch
                    )
                }) =>
                {
                    let name = match e.iter().find(|x| **x != Exporter::Discard) {
                        Some(Exporter::Loki) => "loki",
                        Some(Exporter::Elasticsearch) => "elasticsearch",
                        _ => "discard",
                    };
                    return Err(Error::config(format!(
                        "invalid value {name:?} for OTEL_METRICS_EXPORTER: known: otlp, prometheus, console, file, memory, clickhouse, none"
                    )));
                }
                e => e,
            },
            custom_metric_exporters: config.metric_exporters.clone(),
            clickhouse: r.clickhouse()?,
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
            prometheus_listen: r.get("OTELRS_PROMETHEUS_LISTEN", "true", parse_bool)?,
            prometheus_gauge_merge: r.get(
                "OTELRS_PROMETHEUS_GAUGE_MERGE",
                "",
                GaugeMerge::parse,
            )?,
            prometheus_worker_timeout: r.get(
                "OTELRS_PROMETHEUS_WORKER_TIMEOUT",
                "2000",
                parse_millis,
            )?,
            views: {
                let mut views = r.get("OTELRS_METRICS_VIEWS", "", |v| {
                    crate::config::view::parse_list(v).map_err(|e| e.message().to_owned())
                })?;
                views.extend(config.views.iter().cloned());
                views
            },
            cardinality_limit: r.get("OTELRS_METRICS_CARDINALITY_LIMIT", "2000", parse_count)?,
            exemplar_filter: r.get(
                "OTEL_METRICS_EXEMPLAR_FILTER",
                "trace_based",
                ExemplarFilter::parse,
            )?,
            exponential_histograms: r.get(
                "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
                "explicit_bucket_histogram",
                parse_histogram_aggregation,
            )?,
            system_metrics: r.get("OTELRS_SYSTEM_METRICS", "none", Groups::parse)?,
            health_rules: r.get("OTELRS_HEALTH_RULES", "", super::health::parse_health_rules)?,
            health_interval: r.get("OTELRS_HEALTH_INTERVAL", "5000", |v| {
                parse_millis(v).and_then(|d| {
                    if d.is_zero() {
                        Err("must be at least 1 ms".to_owned())
                    } else {
                        Ok(d)
                    }
                })
            })?,
            health_callback: config.health_callback.clone(),
            logs: r.logs()?,
        })
    }
}

/// The User-Agent the OTLP specification asks exporters to send, for the program's language
/// (`c`, `python`, `ruby`), naming otelrs.
pub(crate) fn user_agent(language: &str) -> String {
    let mut lang = language.to_owned();
    if let Some(first) = lang.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    format!(
        "OTel-OTLP-Exporter-{lang}/{} (otelrs)",
        crate::config::resource::VERSION
    )
}

/// Checks the endpoint setting `key` as it will be used: an http:// or https:// URL that
/// parses, with a host.
fn check_url(endpoint: &str, key: &str) -> Result<()> {
    let ok = endpoint.parse::<http::Uri>().ok().filter(|u| {
        matches!(u.scheme_str(), Some("http" | "https"))
            && u.host().is_some_and(|h| !h.is_empty() && h != "[]")
    });
    if ok.is_none() {
        return Err(Error::config(format!(
            "invalid value {endpoint:?} for {key}: not an http:// or https:// URL with a host"
        )));
    }
    Ok(())
}

/// Checks the OTLP endpoint of `signal` as it will be used: a URL that parses, with a host.
pub(crate) fn check_endpoint(endpoint: &str, signal: &str) -> Result<()> {
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

pub(crate) fn with_scheme(endpoint: &str, insecure: bool) -> String {
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        endpoint.to_owned()
    } else if insecure {
        format!("http://{endpoint}")
    } else {
        format!("https://{endpoint}")
    }
}
