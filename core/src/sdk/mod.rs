//! The SDK: it resolves the settings, builds the metrics and log pipelines, and hands the
//! meters and loggers their registries and the lifecycle they share. It is the top layer:
//! the health report, the fork handling and otelrs's own metrics, which read both signals,
//! live here.

mod fork;
mod health;
mod log_metrics;
mod pipeline_metrics;
mod runtime_metrics;
mod watch;

use crate::base::attributes::{AttributeSet, KeyValue};
use crate::base::diag;
use crate::base::error::{Error, Result};
use crate::base::lifecycle::Lifecycle;
use crate::base::sigpipe::SigpipeBlocked;
use crate::config::resource;
use crate::config::{Config, Groups, Settings};
use crate::export::health::ExporterHealth;
use crate::logs::registry::LoggerRegistry;
use crate::logs::{LogPipeline, LogStats, Logger, LoggerCore};
use crate::metrics::exemplars::Exemplars;
use crate::metrics::pipeline::{Origin, Pipeline};
use crate::metrics::quantiles::HistogramSummary;
use crate::metrics::registry::{check_not_in_callback, MeterRegistry};
use crate::metrics::Exposition;
use crate::metrics::ObservableInstrument;
use crate::metrics::{otlp_forms, InstrumentDesc, InstrumentKind, Meter, Number, NumberKind};
use crate::system::{self, Registrar};
use opentelemetry::InstrumentationScope;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The instrumentation scope of a meter or logger: its name, and optionally its version,
/// schema URL and attributes.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The scope's name (not empty).
    pub name: &'a str,
    /// Its version; none when empty.
    pub version: Option<&'a str>,
    /// The schema URL of its telemetry; none when empty.
    pub schema_url: Option<&'a str>,
    /// Its attributes.
    pub attributes: Option<&'a AttributeSet>,
}

impl<'a> Scope<'a> {
    /// The scope `name` (and `version`), without schema URL or attributes.
    pub fn new(name: &'a str, version: Option<&'a str>) -> Self {
        Scope {
            name,
            version,
            schema_url: None,
            attributes: None,
        }
    }
}

/// How long dropping an SDK that was not shut down may spend exporting what it holds.
pub const DROP_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a shutdown waits at most for the diagnostics handler to take what was said.
const DIAG_FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// What the SDK object holds, shared with its own metrics' callbacks (weakly) and the fork
/// handlers.
pub(crate) struct SdkShared {
    settings: Settings,
    /// The health rules and callback, and the thread evaluating them.
    watch: watch::Watch,
    life: Arc<Lifecycle>,
    metrics: Arc<MeterRegistry>,
    logs: Arc<LoggerRegistry>,
    exemplars: Arc<Exemplars>,
}

impl SdkShared {
    /// The log pipeline, if logs are exported.
    pub(crate) fn logs(&self) -> Option<&Arc<LogPipeline>> {
        self.logs.pipeline()
    }

    /// Every logger scope's core.
    pub(crate) fn logger_cores(&self) -> Vec<Arc<LoggerCore>> {
        self.logs.cores()
    }

    /// What all loggers emitted so far and what became of it.
    pub(crate) fn log_stats(&self) -> LogStats {
        self.logs.stats()
    }

    /// The health records of every exporter of both signals.
    pub(crate) fn exporter_health(&self) -> Vec<Arc<ExporterHealth>> {
        let mut all = self.metrics.exporter_health();
        all.extend(self.logs.exporter_health());
        all
    }

    /// otelrs's Tokio runtimes, by thread name.
    pub(crate) fn runtimes(&self) -> Vec<(&'static str, tokio::runtime::Handle)> {
        let mut all = self.metrics.runtimes();
        if let Some(h) = self.logs().and_then(|l| l.runtime()) {
            all.push(("otelrs-logs-rt", h.clone()));
        }
        all
    }
}

/// An OpenTelemetry SDK: settings, resource, and the metrics and log pipelines with their
/// exporters.
/// Dropping it without [`Sdk::shutdown`] exports what it can within
/// [`DROP_SHUTDOWN_TIMEOUT`] and then lets go.
pub struct Sdk {
    shared: Arc<SdkShared>,
    /// The log-derived metrics and those of OTELRS_SYSTEM_METRICS, reported while the SDK
    /// lives.
    _own_metrics: Vec<ObservableInstrument>,
}

impl Sdk {
    /// Starts an SDK from `config` over the environment.
    pub fn new(config: &Config) -> Result<Sdk> {
        let settings = Settings::resolve(config)?;
        diag::set_threshold(settings.log_level);
        crate::config::warn_of_unknown_keys(
            std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()),
        );
        let exemplars = Exemplars::new(settings.exemplar_filter);
        // Every thread started from here on has SIGPIPE blocked (see base::sigpipe).
        let _sigpipe = SigpipeBlocked::new();
        let (pipeline, logs) = if settings.disabled {
            (None, None)
        } else {
            let resource = resource::build(&settings);
            let logs = LogPipeline::start(&settings.logs, &resource)?;
            (
                Some(Pipeline::build(
                    &settings,
                    resource,
                    &exemplars,
                    Origin::Process,
                )?),
                logs,
            )
        };
        if let Some(p) = &pipeline {
            health::time_exports(&settings, p, logs.as_ref());
        }
        let life = Arc::new(Lifecycle::new(settings.strict));
        let shared = Arc::new(SdkShared {
            watch: watch::Watch::new(&settings),
            metrics: Arc::new(MeterRegistry::new(
                Arc::clone(&life),
                &settings,
                Arc::clone(&exemplars),
                pipeline,
            )),
            logs: Arc::new(LoggerRegistry::new(
                Arc::clone(&life),
                settings.logs.sampling,
                logs,
            )),
            settings,
            life,
            exemplars,
        });
        fork::track(&shared);
        if !shared.settings.disabled {
            shared.watch.start(Arc::downgrade(&shared));
        }
        let mut sdk = Sdk {
            shared,
            _own_metrics: Vec::new(),
        };
        if !sdk.is_disabled() && sdk.shared.settings.has_metric_exporters() {
            let meter = sdk.meter("otelrs", Some(resource::VERSION))?;
            sdk._own_metrics = own_metrics(&meter, &sdk.shared)?;
        }
        Ok(sdk)
    }

    /// Whether a binding raises on a recording error (OTELRS_STRICT); otherwise it drops the
    /// measurement and calls [`Sdk::count_refused`].
    pub fn strict(&self) -> bool {
        self.shared.life.strict()
    }

    /// Counts a measurement a binding dropped for a bad value or attribute
    /// (`refused_measurements` in the health report, `otelrs.measurements.refused`).
    pub fn count_refused(&self) {
        self.shared.life.count_refused();
    }

    /// Whether OTEL_SDK_DISABLED turned this SDK into a no-op.
    pub fn is_disabled(&self) -> bool {
        self.shared.settings.disabled
    }

    /// The groups of OTELRS_SYSTEM_METRICS in force (the bindings add their language
    /// runtime's metrics when `runtime` is on).
    pub fn system_metrics(&self) -> Groups {
        if self.is_disabled() || !self.shared.settings.has_metric_exporters() {
            Groups::default()
        } else {
            self.shared.settings.system_metrics
        }
    }

    /// The health of the pipeline as one JSON object:
    /// `{"status": "ok"|"degraded"|"failing", "reasons": [...], "time": ..., "shut_down": bool,
    /// "exporters": [...], "logs": {...}}`. Each exporter (the Prometheus endpoint's scrapes
    /// count as exports) shows its signal, status, exports, failed exports, consecutive
    /// failures, items exported and failed, retries, last success and last error (time and
    /// message); log exporters also show the queue's
    /// size, capacity, fill and drops. An exporter is `failing` after 3 failed exports in a
    /// row, `degraded` after 1 or 2, or while the log queue is at least 80 % full or dropped
    /// records in the last 60 s; the SDK's status is the worst of its exporters'.
    pub fn health_json(&self) -> String {
        health::report(&self.shared).1
    }

    /// Whether [`Sdk::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.shared.life.is_shut_down()
    }

    fn scope(&self, scope: &Scope<'_>) -> Result<InstrumentationScope> {
        self.shared.life.check_open()?;
        if scope.name.is_empty() {
            return Err(Error::invalid(
                "a meter or logger needs a non-empty scope name",
            ));
        }
        let mut built = InstrumentationScope::builder(scope.name.to_owned());
        if let Some(v) = scope.version.filter(|v| !v.is_empty()) {
            built = built.with_version(v.to_owned());
        }
        if let Some(url) = scope.schema_url.filter(|u| !u.is_empty()) {
            built = built.with_schema_url(url.to_owned());
        }
        if let Some(attributes) = scope.attributes {
            built = built.with_attributes(attributes.as_slice().iter().cloned());
        }
        Ok(built.build())
    }

    /// A meter for the instrumentation scope `name` (and `version`).
    pub fn meter(&self, name: &str, version: Option<&str>) -> Result<Meter> {
        self.meter_of(&Scope::new(name, version))
    }

    /// A meter for `scope` (with its schema URL and attributes, as opentelemetry-api's
    /// `get_meter` gives them).
    pub fn meter_of(&self, scope: &Scope<'_>) -> Result<Meter> {
        Ok(Meter::new(&self.shared.metrics, self.scope(scope)?))
    }

    /// A logger for the instrumentation scope `name` (and `version`). Loggers of one scope
    /// share their counters and rate limit.
    pub fn logger(&self, name: &str, version: Option<&str>) -> Result<Logger> {
        self.logger_of(&Scope::new(name, version))
    }

    /// A logger for `scope` (with its schema URL and attributes).
    pub fn logger_of(&self, scope: &Scope<'_>) -> Result<Logger> {
        Ok(self.shared.logs.logger(self.scope(scope)?))
    }

    /// What all loggers emitted so far and what became of it, with the records the queue
    /// dropped.
    pub fn log_stats(&self) -> LogStats {
        self.shared.log_stats()
    }

    /// Collects and exports metrics and queued log records now through every push exporter,
    /// waiting at most `timeout` in all.
    pub fn force_flush(&self, timeout: Duration) -> Result<()> {
        if self.is_disabled() {
            return Ok(());
        }
        self.shared.life.check_open()?;
        check_not_in_callback("flushing")?;
        let deadline = Instant::now() + timeout;
        let metrics = self.shared.metrics.flush(timeout);
        let logs = self
            .shared
            .logs
            .flush(deadline.saturating_duration_since(Instant::now()));
        metrics.and(logs)
    }

    /// Exports what was recorded and stops, returning within `timeout` even when an
    /// exporter's endpoint is unreachable. A second call is a
    /// [`crate::ErrorKind::Shutdown`] error.
    pub fn shutdown(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let outcome = self.shut_down(timeout);
        // What the exporters said while shutting down reaches the diagnostics handler before
        // the process may end.
        diag::flush(
            deadline
                .saturating_duration_since(Instant::now())
                .min(DIAG_FLUSH_TIMEOUT),
        );
        outcome
    }

    /// Shuts down without waiting for the diagnostics handler: when dropped, the thread may
    /// hold what the handler waits for (Python's GIL).
    fn shut_down(&self, timeout: Duration) -> Result<()> {
        check_not_in_callback("shutting down")?;
        self.shared.life.shut_down()?;
        self.shared.watch.stop();
        let deadline = Instant::now() + timeout;
        let metrics = self.shared.metrics.shutdown(timeout);
        let logs = self
            .shared
            .logs
            .shutdown(deadline.saturating_duration_since(Instant::now()));
        metrics.and(logs)
    }

    /// The metrics held by the `memory` exporter now, as one OTLP-JSON
    /// `ExportMetricsServiceRequest`.
    pub fn collect_json(&self) -> Result<String> {
        if self.is_disabled() {
            return Ok(otlp_forms::empty_json());
        }
        self.shared.life.check_open()?;
        check_not_in_callback("collecting")?;
        self.shared.metrics.collect_json()
    }

    /// Summarises the series of histogram `name` whose attributes are exactly `attrs`: its
    /// count, sum, min and max, and estimates of `quantiles` (each from 0 to 1) from its
    /// buckets (see [`crate::metrics::quantiles`] for how, and the error bound). Collects now
    /// the memory exporter's reader, else the Prometheus endpoint's (one of them must be in
    /// OTEL_METRICS_EXPORTER); observable callbacks run on the calling thread meanwhile.
    pub fn histogram_summary(
        &self,
        name: &str,
        attrs: &[KeyValue],
        quantiles: &[f64],
    ) -> Result<HistogramSummary> {
        if self.is_disabled() {
            return Err(Error::config(
                "a histogram summary collects on demand: the SDK is disabled (OTEL_SDK_DISABLED)",
            ));
        }
        self.shared.life.check_open()?;
        check_not_in_callback("collecting")?;
        self.shared
            .metrics
            .histogram_summary(name, attrs, quantiles)
    }

    /// The answer to a Prometheus scrape whose Accept and Accept-Encoding headers were
    /// `accept` and `accept_encoding` (empty when absent), for the app's own HTTP server to
    /// send: what the Prometheus endpoint answers, every worker's metrics merged in a pre-fork
    /// server. Needs `prometheus` in OTEL_METRICS_EXPORTER (with OTELRS_PROMETHEUS_LISTEN=false
    /// the endpoint listens on no port of its own). Observable callbacks run on otelrs's
    /// threads meanwhile; the call blocks until the collection is done (in a pre-fork server,
    /// at most twice OTELRS_PROMETHEUS_WORKER_TIMEOUT and a second).
    pub fn prometheus_exposition(&self, accept: &str, accept_encoding: &str) -> Result<Exposition> {
        if self.is_disabled() {
            return Ok(Exposition::nothing());
        }
        self.shared.life.check_open()?;
        check_not_in_callback("collecting")?;
        self.shared
            .metrics
            .prometheus_exposition(accept, accept_encoding)
    }

    /// Whether [`Self::prometheus_exposition`] can answer: the configuration error it gives
    /// without the Prometheus exporter, found without collecting (for a server's setup).
    pub fn check_prometheus_exposition(&self) -> Result<()> {
        if self.is_disabled() {
            return Ok(());
        }
        self.shared.life.check_open()?;
        self.shared.metrics.exposer().map(drop)
    }
}

/// Registers otelrs's own metrics on `meter`: the refused measurements, the log-derived
/// metrics (with logs), and the groups of OTELRS_SYSTEM_METRICS.
fn own_metrics(meter: &Meter, shared: &Arc<SdkShared>) -> Result<Vec<ObservableInstrument>> {
    let mut own = vec![refused_metric(meter, &shared.life)?];
    if shared.logs().is_some() {
        let by_scope = shared.settings.logs.metrics_by_scope;
        own.extend(log_metrics::register(meter, shared, by_scope)?);
    }
    let groups = shared.settings.system_metrics;
    let mut r = Registrar::new(meter);
    system::register(&mut r, groups)?;
    if groups.runtime {
        runtime_metrics::register(&mut r, shared)?;
    }
    if groups.sdk {
        pipeline_metrics::register(&mut r, shared)?;
    }
    own.extend(r.into_instruments());
    Ok(own)
}

/// `otelrs.measurements.refused`: what the bindings dropped for a bad value or attribute.
fn refused_metric(meter: &Meter, life: &Arc<Lifecycle>) -> Result<ObservableInstrument> {
    let weak = Arc::downgrade(life);
    meter.observable(
        InstrumentDesc::described(
            InstrumentKind::ObservableCounter,
            NumberKind::U64,
            "otelrs.measurements.refused",
            "{measurement}",
            "Measurements dropped for a bad value or attribute (Python and Ruby, without OTELRS_STRICT)",
        ),
        Box::new(move |o| {
            if let Some(life) = weak.upgrade() {
                let n = life.refused();
                if n > 0 {
                    let _ = o.observe(Number::U64(n), &[]);
                }
            }
        }),
    )
}

impl Drop for Sdk {
    fn drop(&mut self) {
        if !self.shared.life.is_shut_down() {
            let _ = self.shut_down(DROP_SHUTDOWN_TIMEOUT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::attributes::AttributeSet;
    use crate::base::error::ErrorKind;
    use crate::metrics::Instrument;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Emits a record of `severity` with the text `body` and no attributes.
    fn emit_text(logger: &crate::logs::Logger, severity: u8, body: &str) {
        logger
            .emit(severity, None, || {
                Ok(crate::logs::LogRecordInput {
                    record: crate::logs::RecordBuilder::new(body, 0),
                    event_name: None,
                    timestamp: None,
                    severity_text: None,
                    structured_body: None,
                })
            })
            .unwrap();
    }

    fn memory_sdk() -> Sdk {
        memory_sdk_with(&[])
    }

    /// An SDK of the memory exporter (and no log exporter) with `settings` besides.
    fn memory_sdk_with(settings: &[(&str, &str)]) -> Sdk {
        let mut c = Config::new();
        c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
        c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
        c.set("OTEL_SERVICE_NAME", "unit").unwrap();
        for (k, v) in settings {
            c.set(k, v).unwrap();
        }
        Sdk::new(&c).unwrap()
    }

    fn instrument(
        meter: &Meter,
        kind: InstrumentKind,
        number: NumberKind,
        name: &str,
    ) -> Instrument {
        meter
            .instrument(InstrumentDesc::new(kind, number, name))
            .unwrap()
    }

    fn counter(meter: &Meter, name: &str) -> Instrument {
        instrument(meter, InstrumentKind::Counter, NumberKind::U64, name)
    }

    #[test]
    fn records_and_collects_as_otlp_json() {
        let sdk = memory_sdk();
        let meter = sdk.meter("unit", Some("1")).unwrap();
        let c = counter(&meter, "unit.count");
        c.record(Number::U64(2), &[KeyValue::new("k", "v")])
            .unwrap();
        let bound = c
            .bind(&AttributeSet::new(vec![KeyValue::new("k", "v")]).unwrap())
            .unwrap();
        bound.record(Number::U64(3)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&sdk.collect_json().unwrap()).unwrap();
        let metric = &json["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
        assert_eq!(metric["name"], "unit.count");
        assert_eq!(metric["sum"]["dataPoints"][0]["asInt"], "5");
        sdk.shutdown(Duration::from_secs(1)).unwrap();
    }

    #[test]
    fn conflicts_values_and_shutdown_are_errors() {
        let sdk = memory_sdk();
        let meter = sdk.meter("unit", None).unwrap();
        let c = counter(&meter, "unit.c");
        let same = counter(&meter, "UNIT.C");
        let other = meter.instrument(InstrumentDesc::new(
            InstrumentKind::Gauge,
            NumberKind::U64,
            "unit.c",
        ));
        assert_eq!(other.err().map(|e| e.kind()), Some(ErrorKind::Conflict));
        assert_eq!(
            c.record(Number::F64(1.0), &[]).unwrap_err().kind(),
            ErrorKind::WrongHandle
        );
        let f = meter
            .instrument(InstrumentDesc::new(
                InstrumentKind::Histogram,
                NumberKind::F64,
                "unit.h",
            ))
            .unwrap();
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                f.record(Number::F64(bad), &[]).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
        sdk.shutdown(Duration::from_secs(1)).unwrap();
        assert_eq!(
            sdk.shutdown(Duration::from_secs(1)).unwrap_err().kind(),
            ErrorKind::Shutdown
        );
        assert_eq!(
            same.record(Number::U64(1), &[]).unwrap_err().kind(),
            ErrorKind::Shutdown
        );
        assert_eq!(sdk.collect_json().unwrap_err().kind(), ErrorKind::Shutdown);
    }

    #[test]
    fn a_view_with_an_aggregation_its_instrument_cannot_have_is_refused() {
        let mut c = Config::new();
        c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
        c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
        c.add_view("instrument_name=unit.c,aggregation=last_value")
            .unwrap();
        c.add_view("instrument_name=unit.g*,aggregation=sum")
            .unwrap();
        c.add_view("instrument_name=unit.h,aggregation=sum")
            .unwrap();
        let sdk = Sdk::new(&c).unwrap();
        let meter = sdk.meter("unit", None).unwrap();
        let e = meter
            .instrument(InstrumentDesc::new(
                InstrumentKind::Counter,
                NumberKind::U64,
                "unit.c",
            ))
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(
            e.message()
                .contains("\"unit.c\", type counter, which cannot have the aggregation last_value"),
            "{e}"
        );
        let e = meter
            .observable(
                InstrumentDesc::new(InstrumentKind::ObservableGauge, NumberKind::I64, "unit.g"),
                Box::new(|_| {}),
            )
            .err()
            .unwrap();
        assert!(
            e.message().contains("cannot have the aggregation sum"),
            "{e}"
        );
        // A histogram may be summed.
        meter
            .instrument(InstrumentDesc::new(
                InstrumentKind::Histogram,
                NumberKind::F64,
                "unit.h",
            ))
            .unwrap();
    }

    #[test]
    fn dropping_an_observable_stops_its_callback() {
        let sdk = memory_sdk();
        let meter = sdk.meter("unit", None).unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let gauge = meter
            .observable(
                InstrumentDesc::new(InstrumentKind::ObservableGauge, NumberKind::I64, "unit.g"),
                Box::new(move |o| {
                    seen.fetch_add(1, Ordering::SeqCst);
                    o.observe(Number::I64(-1), &[]).unwrap();
                    assert!(o.observe(Number::U64(1), &[]).is_err());
                }),
            )
            .unwrap();
        assert!(sdk.collect_json().unwrap().contains("\"asInt\":\"-1\""));
        drop(gauge);
        sdk.collect_json().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn an_observable_typed_as_observed_exports_its_values_types() {
        let sdk = memory_sdk();
        let meter = sdk.meter("unit", None).unwrap();
        let round = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&round);
        let (a, b) = ([KeyValue::new("s", "a")], [KeyValue::new("s", "b")]);
        let _gauge = meter
            .observable_as_observed(
                InstrumentDesc::new(InstrumentKind::ObservableGauge, NumberKind::I64, "unit.g"),
                Box::new(move |o| {
                    let (first, second) = match seen.load(Ordering::SeqCst) {
                        0 => (Number::I64(-2), Some(Number::I64(3))),
                        1 => (Number::I64(-2), Some(Number::F64(0.5))),
                        _ => (Number::F64(1.5), None),
                    };
                    o.observe(first, &a).unwrap();
                    if let Some(v) = second {
                        o.observe(v, &b).unwrap();
                    }
                    assert!(o.observe(Number::U64(1), &a).is_err());
                }),
            )
            .unwrap();
        let points = |expected: usize| {
            let json: serde_json::Value =
                serde_json::from_str(&sdk.collect_json().unwrap()).unwrap();
            let metrics = json["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
                .as_array()
                .unwrap()
                .clone();
            let ours: Vec<_> = metrics.iter().filter(|m| m["name"] == "unit.g").collect();
            assert_eq!(ours.len(), 1, "one metric per collection: {metrics:?}");
            let points = ours[0]["gauge"]["dataPoints"].as_array().unwrap().clone();
            assert_eq!(points.len(), expected);
            let mut values: Vec<_> = points
                .iter()
                .map(|p| {
                    let key = if p.get("asInt").is_some() {
                        "asInt"
                    } else {
                        "asDouble"
                    };
                    (
                        p["attributes"][0]["value"]["stringValue"].clone(),
                        key,
                        p[key].clone(),
                    )
                })
                .collect();
            values.sort_by_key(|v| v.0.to_string());
            values
        };
        let s = |v: &str| serde_json::json!(v);
        assert_eq!(
            points(2),
            [(s("a"), "asInt", s("-2")), (s("b"), "asInt", s("3"))]
        );
        round.store(1, Ordering::SeqCst);
        // A float among them: all as floats, in one metric.
        assert_eq!(
            points(2),
            [
                (s("a"), "asDouble", serde_json::json!(-2.0)),
                (s("b"), "asDouble", serde_json::json!(0.5))
            ]
        );
        round.store(2, Ordering::SeqCst);
        assert_eq!(points(1), [(s("a"), "asDouble", serde_json::json!(1.5))]);
        round.store(0, Ordering::SeqCst);
        assert_eq!(points(2)[1], (s("b"), "asInt", s("3")));
        let e = meter
            .observable_as_observed(
                InstrumentDesc::new(InstrumentKind::ObservableGauge, NumberKind::F64, "unit.f"),
                Box::new(|_| {}),
            )
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let counter = meter
            .observable_as_observed(
                InstrumentDesc::new(InstrumentKind::ObservableCounter, NumberKind::U64, "unit.c"),
                Box::new(|o| {
                    assert!(o.observe(Number::F64(-1.0), &[]).is_err());
                    assert!(o.observe(Number::I64(1), &[]).is_err());
                    o.observe(Number::F64(2.5), &[]).unwrap();
                }),
            )
            .unwrap();
        assert!(sdk.collect_json().unwrap().contains("\"asDouble\":2.5"));
        drop(counter);
    }

    #[test]
    fn a_panicking_callback_loses_only_its_own_observations() {
        let sdk = memory_sdk();
        let meter = sdk.meter("unit", None).unwrap();
        let _bad = meter
            .observable(
                InstrumentDesc::new(
                    InstrumentKind::ObservableCounter,
                    NumberKind::U64,
                    "unit.bad",
                ),
                Box::new(|_| panic!("callback bug")),
            )
            .unwrap();
        counter(&meter, "unit.ok")
            .record(Number::U64(1), &[])
            .unwrap();
        assert!(sdk.collect_json().unwrap().contains("unit.ok"));
        assert!(sdk.collect_json().unwrap().contains("unit.ok"));
    }

    #[test]
    fn every_measurement_counts_once_beyond_the_series_cache_and_the_cardinality_limit() {
        let sdk = memory_sdk();
        let meter = sdk.meter("unit", None).unwrap();
        let c = counter(&meter, "unit.flood");
        let series = crate::metrics::SERIES_CACHE_LIMIT as u64 + 500;
        for round in 0..2 {
            for i in 0..series {
                let encoded = i.to_le_bytes();
                c.record_encoded(Number::U64(1), &encoded, || {
                    Ok(vec![KeyValue::new("i", i as i64)])
                })
                .unwrap();
            }
            let json: serde_json::Value =
                serde_json::from_str(&sdk.collect_json().unwrap()).unwrap();
            let points = json["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]
                ["dataPoints"]
                .as_array()
                .unwrap()
                .clone();
            let total: u64 = points
                .iter()
                .map(|p| p["asInt"].as_str().unwrap().parse::<u64>().unwrap())
                .sum();
            assert_eq!(total, series * (round + 1));
            assert!(points
                .iter()
                .any(|p| p["attributes"][0]["key"] == "otel.metric.overflow"));
        }
    }

    #[test]
    fn a_cached_series_keeps_exemplars_converting_its_attributes_once_for_them() {
        let sdk = memory_sdk_with(&[("OTEL_METRICS_EXEMPLAR_FILTER", "trace_based")]);
        let meter = sdk.meter("unit", None).unwrap();
        let c = counter(&meter, "unit.cached");
        let trace = crate::base::context::TraceContext::from_traceparent(
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .unwrap();
        let converted = std::cell::Cell::new(0);
        for value in 1..=4 {
            // The first outside a sampled trace: the exemplar comes from the cached series.
            let before = crate::base::context::set_current((value > 1).then_some(trace));
            // Unsorted, with a repeated key: the exemplar's series is the normalized list.
            c.record_encoded(Number::U64(value), b"enc", || {
                converted.set(converted.get() + 1);
                Ok(vec![
                    KeyValue::new("z", "last"),
                    KeyValue::new("a", "x"),
                    KeyValue::new("z", "kept"),
                ])
            })
            .unwrap();
            crate::base::context::set_current(before);
        }
        // Once to bind and cache the series, once for its exemplar key; never after.
        assert_eq!(converted.get(), 2);
        let json: serde_json::Value = serde_json::from_str(&sdk.collect_json().unwrap()).unwrap();
        let points =
            &json["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"];
        assert_eq!(points.as_array().unwrap().len(), 1, "{points}");
        let point = &points[0];
        assert_eq!(point["asInt"], "10");
        assert_eq!(point["attributes"][1]["value"]["stringValue"], "kept");
        let exemplars = point["exemplars"].as_array().unwrap();
        assert_eq!(exemplars.len(), 1, "{point}");
        assert_eq!(exemplars[0]["traceId"], "0af7651916cd43dd8448eb211c80319c");
    }

    /// The `asInt` value of each point of the first metric, by the value of attribute `i`
    /// (-1 for the overflow point).
    fn points_by_i(sdk: &Sdk) -> std::collections::BTreeMap<i64, u64> {
        let json: serde_json::Value = serde_json::from_str(&sdk.collect_json().unwrap()).unwrap();
        let points = json["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]
            ["dataPoints"]
            .as_array()
            .unwrap()
            .clone();
        points
            .iter()
            .map(|p| {
                let attr = &p["attributes"][0];
                let i = match attr["key"].as_str().unwrap() {
                    "otel.metric.overflow" => -1,
                    _ => attr["value"]["intValue"].as_str().unwrap().parse().unwrap(),
                };
                (i, p["asInt"].as_str().unwrap().parse().unwrap())
            })
            .collect()
    }

    /// Records 1 for the set {i} through `c`'s encoded path, encoded as `tag` then i (the same
    /// set under another tag is another encoding of it), its hash given when `hashed`; counts
    /// each conversion in `converted`.
    fn record_i(c: &Instrument, i: i64, tag: u8, hashed: bool, converted: &std::cell::Cell<i64>) {
        let mut encoded = vec![tag];
        encoded.extend_from_slice(&i.to_le_bytes());
        let attrs = move || vec![KeyValue::new("i", i)];
        c.record_encoded_hashed(
            Number::U64(1),
            &encoded,
            || {
                converted.set(converted.get() + 1);
                Ok(attrs())
            },
            || {
                if hashed {
                    crate::base::attributes::set_hash(&attrs())
                } else {
                    None
                }
            },
        )
        .unwrap();
    }

    #[test]
    fn past_the_cache_and_the_limit_a_set_without_a_series_overflows_unconverted() {
        let sdk = memory_sdk_with(&[("OTELRS_METRICS_CARDINALITY_LIMIT", "10")]);
        let meter = sdk.meter("unit", None).unwrap();
        let c = counter(&meter, "unit.gated");
        let converted = std::cell::Cell::new(0);
        let record = |i: i64, tag: u8, hashed: bool| record_i(&c, i, tag, hashed, &converted);
        // Ten series fill the SDK; the sets after them, until the series cache is full,
        // are converted and bound to the overflow series.
        let cached = crate::metrics::SERIES_CACHE_LIMIT as i64;
        for i in 0..cached {
            record(i, 0, true);
        }
        assert_eq!(converted.get(), cached);
        // Past the cache: sets with no series go to the overflow series unconverted...
        for i in cached..cached + 500 {
            record(i, 0, true);
        }
        assert_eq!(
            converted.get(),
            cached,
            "no conversion for a set with no series"
        );
        // ...while a series under an encoding not cached, or a set the binding does not hash,
        // takes the SDK's path, and lands where the SDK says.
        record(3, 1, true);
        record(4, 2, false);
        record(cached + 1, 3, false);
        assert_eq!(converted.get(), cached + 3);
        let points = points_by_i(&sdk);
        assert_eq!(points.len(), 11, "{points:?}");
        assert_eq!((points[&3], points[&4], points[&5]), (2, 2, 1));
        assert_eq!(points[&-1], (cached - 10) as u64 + 500 + 1);
    }

    #[test]
    fn threads_racing_past_the_limit_never_send_a_series_to_the_overflow_series() {
        let sdk = memory_sdk_with(&[("OTELRS_METRICS_CARDINALITY_LIMIT", "50")]);
        let meter = sdk.meter("unit", None).unwrap();
        let c = counter(&meter, "unit.raced");
        let (threads, sets) = (4u8, 3000i64);
        std::thread::scope(|scope| {
            for t in 0..threads {
                let c = &c;
                scope.spawn(move || {
                    // Every thread records every set once, in its own order and encoding.
                    let mut x = u64::from(t) + 1;
                    let mut order: Vec<i64> = (0..sets).collect();
                    for k in (1..order.len()).rev() {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        order.swap(k, (x >> 33) as usize % (k + 1));
                    }
                    let converted = std::cell::Cell::new(0);
                    for i in order {
                        record_i(c, i, t, true, &converted);
                    }
                });
            }
        });
        let points = points_by_i(&sdk);
        assert_eq!(points.len(), 51, "{points:?}");
        for (i, n) in &points {
            if *i >= 0 {
                assert_eq!(*n, u64::from(threads), "series {i} lost a measurement");
            }
        }
        assert_eq!(points[&-1], u64::from(threads) * (sets as u64 - 50));
    }

    #[test]
    fn the_sdk_decides_where_its_series_may_change_or_come_uncounted() {
        // A delta reader lets go of series: no gate.
        let sdk = memory_sdk_with(&[(
            "OTELRS_EXPORTER_MEMORY_METRICS_TEMPORALITY_PREFERENCE",
            "delta",
        )]);
        let meter = sdk.meter("unit", None).unwrap();
        assert!(counter(&meter, "unit.delta").0.gate.get().is_none());
        // A view selects the instrument: no gate.
        let sdk = memory_sdk_with(&[(
            "OTELRS_METRICS_VIEWS",
            "instrument_name=unit.viewed,attribute_keys=a",
        )]);
        let meter = sdk.meter("unit", None).unwrap();
        assert!(counter(&meter, "unit.viewed").0.gate.get().is_none());
        // Recorded with attributes it is not told of before the SDK was full: closed.
        let sdk = memory_sdk_with(&[("OTELRS_METRICS_CARDINALITY_LIMIT", "2")]);
        let meter = sdk.meter("unit", None).unwrap();
        let c = counter(&meter, "unit.direct");
        c.record(Number::U64(1), &[KeyValue::new("i", 0i64)])
            .unwrap();
        let gate = c.0.gate.get().as_ref().unwrap();
        for i in 1..5i64 {
            c.record_encoded(Number::U64(1), &i.to_le_bytes(), || {
                Ok(vec![KeyValue::new("i", i)])
            })
            .unwrap();
        }
        let other = crate::base::attributes::set_hash(&[KeyValue::new("i", 99i64)]).unwrap();
        assert!(gate.overflow_of(c.0.inst.get(), other).is_none());
    }

    #[test]
    fn refused_measurements_are_reported_beside_the_log_derived_metrics() {
        let mut c = Config::new();
        c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
        c.set("OTEL_LOGS_EXPORTER", "discard").unwrap();
        let sdk = Sdk::new(&c).unwrap();
        sdk.count_refused();
        let logger = sdk.logger("unit", None).unwrap();
        emit_text(&logger, 17, "boom");
        let json = sdk.collect_json().unwrap();
        assert!(json.contains("otelrs.measurements.refused"), "{json}");
        assert!(json.contains("otelrs.logs.records"), "{json}");
    }

    #[test]
    fn a_record_without_severity_passes_the_minimum_and_is_sampled_below_the_threshold() {
        let sdk_with = |settings: &[(&str, &str)]| {
            memory_sdk_with(&[&[("OTEL_LOGS_EXPORTER", "discard")], settings].concat())
        };
        let sdk = sdk_with(&[("OTELRS_LOGS_MIN_SEVERITY", "warn")]);
        let logger = sdk.logger("unit", None).unwrap();
        assert!(logger.enabled(crate::logs::UNSPECIFIED) && !logger.enabled(9));
        for severity in [0, 0, 9, 13] {
            emit_text(&logger, severity, "x");
        }
        let stats = logger.stats();
        assert_eq!((stats.emitted, stats.filtered, stats.kept), (4, 1, 3));
        let json: serde_json::Value = serde_json::from_str(&sdk.collect_json().unwrap()).unwrap();
        let mut by_range = std::collections::BTreeMap::new();
        for sm in json["resourceMetrics"][0]["scopeMetrics"]
            .as_array()
            .unwrap()
        {
            for m in sm["metrics"].as_array().unwrap() {
                if m["name"] == "otelrs.logs.records" {
                    for p in m["sum"]["dataPoints"].as_array().unwrap() {
                        let range = p["attributes"][0]["value"]["stringValue"].clone();
                        by_range.insert(range.as_str().unwrap().to_owned(), p["asInt"].clone());
                    }
                }
            }
        }
        assert_eq!(
            by_range,
            [("UNSPECIFIED", "2"), ("WARN", "1")]
                .map(|(r, n)| (r.to_owned(), serde_json::json!(n)))
                .into()
        );
        let sdk = sdk_with(&[("OTELRS_LOGS_SAMPLING_RATIO", "0")]);
        let logger = sdk.logger("unit", None).unwrap();
        for severity in [0, 13] {
            emit_text(&logger, severity, "x");
        }
        let stats = logger.stats();
        assert_eq!((stats.sampled_out, stats.kept), (1, 1));
        assert!(crate::logs::check_severity(25).is_err());
    }

    #[test]
    fn custom_exporters_get_every_batch_and_their_answers_count() {
        use crate::config::{ExportFormat, ExportResult};
        use parking_lot::Mutex;
        use prost::Message;
        let logs: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let metrics: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let mut c = Config::new();
        c.set("OTEL_METRICS_EXPORTER", "none").unwrap();
        c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
        let seen = Arc::clone(&logs);
        c.add_log_exporter(
            "jsonl",
            ExportFormat::Json,
            Box::new(move |b| {
                seen.lock().push(b.to_vec());
                ExportResult::Success
            }),
        )
        .unwrap();
        let tries = Arc::clone(&calls);
        c.add_log_exporter(
            "flaky",
            ExportFormat::Protobuf,
            Box::new(move |_| match tries.fetch_add(1, Ordering::SeqCst) {
                0 => ExportResult::Retry("busy".into()),
                _ => ExportResult::Success,
            }),
        )
        .unwrap();
        c.add_log_exporter(
            "broken",
            ExportFormat::Json,
            Box::new(|_| ExportResult::Failure("disk full".into())),
        )
        .unwrap();
        let seen = Arc::clone(&metrics);
        c.add_metric_exporter(
            "pb",
            ExportFormat::Protobuf,
            Box::new(move |b| {
                seen.lock().push(b.to_vec());
                ExportResult::Success
            }),
        )
        .unwrap();
        for bad in ["", "has space", &"x".repeat(65), "jsonl"] {
            let e = c
                .add_log_exporter(bad, ExportFormat::Json, Box::new(|_| ExportResult::Success))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad}");
        }
        let sdk = Sdk::new(&c).unwrap();
        let meter = sdk.meter("unit", None).unwrap();
        counter(&meter, "unit.c")
            .record(Number::U64(3), &[])
            .unwrap();
        let logger = sdk.logger("unit", None).unwrap();
        emit_text(&logger, 9, "hello");
        let e = sdk.force_flush(Duration::from_secs(10)).unwrap_err();
        assert!(
            e.message()
                .contains("custom \"broken\" exporter: disk full"),
            "{e}"
        );
        let json: serde_json::Value = serde_json::from_slice(&logs.lock()[0]).unwrap();
        assert_eq!(
            json["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["body"]["stringValue"],
            "hello"
        );
        let request = opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest::decode(
            metrics.lock()[0].as_slice(),
        )
        .unwrap();
        let names: Vec<&str> = request.resource_metrics[0]
            .scope_metrics
            .iter()
            .flat_map(|s| s.metrics.iter().map(|m| m.name.as_str()))
            .collect();
        assert!(names.contains(&"unit.c"), "{names:?}");
        let health: serde_json::Value = serde_json::from_str(&sdk.health_json()).unwrap();
        let by_name = |n: &str| {
            health["exporters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["exporter"] == n)
                .cloned()
                .unwrap()
        };
        assert_eq!(by_name("flaky")["retries"], 1);
        assert_eq!(by_name("flaky")["exported"], 1);
        assert_eq!(by_name("broken")["failed"], 1);
        assert_eq!(by_name("pb")["component"], "custom_metric_exporter/0");
        assert_eq!(by_name("jsonl")["status"], "ok");
    }

    #[test]
    fn disabled_sdk_accepts_everything_and_exports_nothing() {
        let mut c = Config::new();
        c.set("OTEL_SDK_DISABLED", "true").unwrap();
        c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
        let sdk = Sdk::new(&c).unwrap();
        let meter = sdk.meter("unit", None).unwrap();
        counter(&meter, "unit.c")
            .record(Number::U64(1), &[])
            .unwrap();
        assert_eq!(sdk.collect_json().unwrap(), otlp_forms::empty_json());
        sdk.force_flush(Duration::from_millis(10)).unwrap();
    }

    fn summary_sdk(aggregation: &str) -> Sdk {
        let mut c = Config::new();
        c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
        c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
        c.set(
            "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
            aggregation,
        )
        .unwrap();
        Sdk::new(&c).unwrap()
    }

    fn histogram(meter: &Meter, name: &str) -> Instrument {
        instrument(meter, InstrumentKind::Histogram, NumberKind::F64, name)
    }

    /// The nearest-rank quantile of sorted `values`.
    fn exact(values: &[f64], q: f64) -> f64 {
        let rank = ((q * values.len() as f64).ceil() as usize).max(1);
        values[rank - 1]
    }

    #[test]
    fn exponential_quantiles_are_within_the_stated_relative_error_of_the_exact_ones() {
        let sdk = summary_sdk("base2_exponential_bucket_histogram");
        let meter = sdk.meter("unit", None).unwrap();
        let h = histogram(&meter, "unit.latency");
        let route = [KeyValue::new("route", "/a")];
        // 10,000 values spread over four decades (a deterministic walk), and some zeros.
        let mut values: Vec<f64> = (0..10_000u64)
            .map(|i| {
                let x = (i.wrapping_mul(2_654_435_761) % 10_000) as f64 / 10_000.0;
                0.001 * 10f64.powf(4.0 * x)
            })
            .chain(std::iter::repeat_n(0.0, 50))
            .collect();
        for v in &values {
            h.record(Number::F64(*v), &route).unwrap();
        }
        // Another series, which the attributes leave out.
        h.record(Number::F64(1e6), &[KeyValue::new("route", "/b")])
            .unwrap();
        values.sort_by(f64::total_cmp);
        let qs = [
            0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0,
        ];
        let s = sdk.histogram_summary("unit.latency", &route, &qs).unwrap();
        assert_eq!(s.count, values.len() as u64);
        assert_eq!(s.min, Some(0.0));
        assert_eq!(s.max, Some(*values.last().unwrap()));
        assert!((s.sum - values.iter().sum::<f64>()).abs() < 1e-6 * s.sum);
        let bound = s.relative_error.unwrap();
        // 160 buckets over four decades: scale 3 (base 2^(1/8), a bound of 4.3 %).
        assert!(bound > 0.0 && bound < 0.05, "{bound}");
        for (q, estimate) in qs.iter().zip(&s.quantiles) {
            let exact = exact(&values, *q);
            let error = if exact == 0.0 {
                estimate.abs()
            } else {
                (estimate - exact).abs() / exact
            };
            assert!(
                error <= bound + 1e-12,
                "q={q}: {estimate} vs {exact}: {error} > {bound}"
            );
        }
    }

    #[test]
    fn explicit_quantiles_interpolate_within_buckets_and_keep_to_min_and_max() {
        let sdk = summary_sdk("explicit_bucket_histogram");
        let meter = sdk.meter("unit", None).unwrap();
        let mut desc = InstrumentDesc::new(InstrumentKind::Histogram, NumberKind::F64, "unit.size");
        desc.boundaries = Some(vec![1.0, 2.0, 4.0]);
        let h = meter.instrument(desc).unwrap();
        for v in [0.5, 0.9, 1.2, 1.4, 1.6, 1.8, 3.0, 3.5, 6.0, 7.0] {
            h.record(Number::F64(v), &[]).unwrap();
        }
        let s = sdk
            .histogram_summary("unit.size", &[], &[0.05, 0.15, 0.5, 0.95])
            .unwrap();
        assert_eq!((s.count, s.min, s.max), (10, Some(0.5), Some(7.0)));
        assert_eq!(s.relative_error, None);
        // Rank 0.5 of 10, a quarter into the 2 of (0, 1]: 0.25, raised to the min 0.5; rank
        // 1.5: 0.75. Rank 5: the third of the 4 in (1, 2], 1.75. Rank 9.5, in the overflow
        // bucket: the largest bound.
        assert_eq!(s.quantiles, vec![0.5, 0.75, 1.75, 4.0]);
    }

    #[test]
    fn a_summary_names_what_is_wrong() {
        let sdk = summary_sdk("explicit_bucket_histogram");
        let meter = sdk.meter("unit", None).unwrap();
        let h = histogram(&meter, "unit.h");
        h.record(Number::F64(1.0), &[KeyValue::new("k", "a")])
            .unwrap();
        counter(&meter, "unit.c")
            .record(Number::U64(1), &[])
            .unwrap();
        let message = |name: &str, attrs: &[KeyValue], qs: &[f64]| {
            let e = sdk.histogram_summary(name, attrs, qs).unwrap_err();
            (e.kind(), e.message().to_owned())
        };
        assert_eq!(
            message("unit.h", &[KeyValue::new("k", "b")], &[0.5]),
            (
                ErrorKind::InvalidArgument,
                "no series of histogram unit.h has the attributes {k=b} (1 series have others; a series appears once a value is recorded into it)".to_owned()
            )
        );
        assert_eq!(
            message("unit.c", &[], &[0.5]).1,
            "unit.c is a sum, not a histogram"
        );
        assert_eq!(
            message("unit.h", &[KeyValue::new("k", "a")], &[2.0]).1,
            "quantile 2 is not between 0 and 1"
        );
        let s = sdk
            .histogram_summary("unit.h", &[KeyValue::new("k", "a")], &[])
            .unwrap();
        assert_eq!((s.count, s.sum), (1, 1.0));
        // Without the memory or prometheus exporter there is nothing to collect on demand.
        let none = Sdk::new(&Config::new()).unwrap();
        let e = none.histogram_summary("unit.h", &[], &[0.5]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
    }

    #[test]
    fn health_rules_are_in_the_report_and_a_change_of_status_is_told() {
        let (tx, rx) = std::sync::mpsc::channel::<(String, String)>();
        let tx = std::sync::Mutex::new(tx);
        let mut c = Config::new();
        c.set("OTEL_METRICS_EXPORTER", "none").unwrap();
        c.set("OTEL_LOGS_EXPORTER", "discard").unwrap();
        c.set(
            "OTELRS_HEALTH_RULES",
            "error_logs_per_minute>2,host_memory_utilization>1,process_memory_usage>1e15:failing",
        )
        .unwrap();
        c.set("OTELRS_HEALTH_INTERVAL", "50").unwrap();
        c.set_health_callback(Box::new(move |status, report| {
            let _ = tx
                .lock()
                .unwrap()
                .send((status.to_owned(), report.to_owned()));
        }));
        let sdk = Sdk::new(&c).unwrap();
        let report =
            |sdk: &Sdk| -> serde_json::Value { serde_json::from_str(&sdk.health_json()).unwrap() };
        // Readings of the first evaluation: nothing broken, nothing told.
        std::thread::sleep(Duration::from_millis(200));
        let first = report(&sdk);
        assert_eq!(first["status"], "ok");
        let rules = first["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0]["rule"], "error_logs_per_minute>2");
        assert_eq!(rules[0]["value"], 0.0);
        assert!(rules[1]["value"].as_f64().unwrap() > 0.0);
        assert!(rules[2]["value"].as_f64().unwrap() > 1e6);
        assert!(rx.try_recv().is_err());
        // Three error records (one of them FATAL) and a warning: the first rule is broken.
        let logger = sdk.logger("unit", None).unwrap();
        for severity in [17, 17, 21, 13] {
            emit_text(&logger, severity, "boom");
        }
        let (status, told) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(status, "degraded");
        let told: serde_json::Value = serde_json::from_str(&told).unwrap();
        assert_eq!(told["status"], "degraded");
        assert_eq!(told["rules"][0]["value"], 3.0);
        assert_eq!(told["rules"][0]["status"], "degraded");
        assert_eq!(
            told["reasons"][0],
            "rule error_logs_per_minute>2: the reading is 3"
        );
        assert_eq!(report(&sdk)["status"], "degraded");
        // Told once per change.
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        sdk.shutdown(Duration::from_secs(5)).unwrap();
    }
}
