//! How each exporter is doing (for the Prometheus endpoint a scrape is an export): what it
//! delivered and failed, its retries, its last success and last error, and the health report
//! built from them by fixed rules.
//!
//! Rules of the report:
//! - an exporter is `failing` when its last [`FAILING_AFTER`] exports in a row failed;
//! - it is `degraded` when its last export failed (fewer times in a row), or, for a log
//!   exporter, when the queue in front of it dropped records in the last
//!   [`RECENT_DROPS`], or is at least [`QUEUE_HIGH`] full;
//! - it is `ok` otherwise (also before its first export);
//! - the SDK's status is the worst of its exporters' (`ok` without exporters).

use crate::base::clock::rfc3339;
use crate::base::clock::unix_nanos;
use crate::base::error::{Error, ErrorKind, Result};
use crate::config::{Exporter, Protocol};
use opentelemetry::metrics::Histogram;
use opentelemetry::KeyValue;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

/// Failed exports in a row after which an exporter is `failing`.
pub const FAILING_AFTER: u64 = 3;
/// How long records dropped by a full log queue keep its exporters `degraded`.
pub const RECENT_DROPS: Duration = Duration::from_secs(60);
/// The log queue fill (0 to 1) from which its exporters are `degraded`.
pub const QUEUE_HIGH: f64 = 0.8;

/// The signal an exporter carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Metrics,
    Logs,
}

impl Signal {
    fn name(self) -> &'static str {
        match self {
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    /// What one item is called in the semantic conventions' metric names.
    pub(crate) fn item(self) -> &'static str {
        match self {
            Signal::Metrics => "metric_data_point",
            Signal::Logs => "log",
        }
    }
}

/// An exporter's status by the rules of the module documentation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Delivering.
    #[default]
    Ok,
    /// Its last export failed, or records were dropped before it.
    Degraded,
    /// Its last [`FAILING_AFTER`] exports failed.
    Failing,
}

impl Status {
    /// `ok`, `degraded` or `failing`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Degraded => "degraded",
            Status::Failing => "failing",
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Counts {
    exports: u64,
    failed_exports: u64,
    consecutive_failures: u64,
    /// Items delivered.
    exported: u64,
    /// Items lost by failed exports, by `error.type`.
    failed: BTreeMap<String, u64>,
    retries: u64,
    last_success: Option<SystemTime>,
    last_error: Option<(SystemTime, String)>,
}

/// How long one export may run before its exporter counts as stuck: twice the export
/// timeout, and at least 10 s.
pub(crate) fn stuck_after(export_timeout: Duration) -> Duration {
    (export_timeout * 2).max(Duration::from_secs(10))
}

/// One exporter's record, shared by its export thread (or scrapes), the report and the
/// self-observability metrics.
pub(crate) struct ExporterHealth {
    signal: Signal,
    exporter: String,
    component_type: String,
    component_name: String,
    counts: Mutex<Counts>,
    /// Items handed to the exporter whose export has not finished.
    inflight: AtomicI64,
    /// When the export in progress began, in nanoseconds since the epoch (0: none is).
    export_started: AtomicU64,
    /// How long one export may run before the exporter counts as stuck (`failing`).
    stuck_after: Duration,
    /// `otel.sdk.exporter.operation.duration`, once self-observability is on.
    duration: OnceLock<Histogram<f64>>,
    /// The exporter's on-disk queue, if it has one: bytes not yet sent, and bytes on disk.
    disk_queue: OnceLock<DiskQueueBytes>,
}

/// Reads an on-disk queue's bytes not yet sent and bytes on disk.
pub(crate) type DiskQueueBytes = Box<dyn Fn() -> (u64, u64) + Send + Sync>;

impl ExporterHealth {
    /// The record of `exporter` (the `index`-th of its signal); `protocol` names the OTLP
    /// component type.
    /// An export running longer than `stuck_after` shows the exporter as `failing`.
    pub(crate) fn new(
        signal: Signal,
        exporter: Exporter,
        protocol: Protocol,
        index: usize,
        stuck_after: Duration,
    ) -> Self {
        let (name, kind) = match (exporter, protocol) {
            (Exporter::Otlp, Protocol::Grpc) => ("otlp", "otlp_grpc"),
            (Exporter::Otlp, Protocol::HttpProtobuf) => ("otlp", "otlp_http"),
            (Exporter::Otlp, Protocol::HttpJson) => ("otlp", "otlp_http_json"),
            (Exporter::Console, _) => ("console", "console"),
            (Exporter::File, _) => ("file", "file"),
            (Exporter::Discard, _) => ("discard", "discard"),
            (Exporter::Memory, _) => ("memory", "memory"),
            (Exporter::Prometheus, _) => ("prometheus", "prometheus_http_text"),
            (Exporter::Loki, _) => ("loki", "loki"),
            (Exporter::Elasticsearch, _) => ("elasticsearch", "elasticsearch"),
            (Exporter::Clickhouse, _) => ("clickhouse", "clickhouse"),
        };
        Self::named(signal, name.to_owned(), kind, index, stuck_after)
    }

    /// The record of the custom exporter `name` (the `index`-th exporter of its signal).
    pub(crate) fn custom(signal: Signal, name: &str, index: usize, stuck_after: Duration) -> Self {
        Self::named(signal, name.to_owned(), "custom", index, stuck_after)
    }

    fn named(
        signal: Signal,
        exporter: String,
        kind: &str,
        index: usize,
        stuck_after: Duration,
    ) -> Self {
        let item = match signal {
            Signal::Metrics => "metric",
            Signal::Logs => "log",
        };
        let component_type = format!("{kind}_{item}_exporter");
        ExporterHealth {
            signal,
            exporter,
            component_name: format!("{component_type}/{index}"),
            component_type,
            counts: Mutex::new(Counts::default()),
            inflight: AtomicI64::new(0),
            export_started: AtomicU64::new(0),
            stuck_after,
            duration: OnceLock::new(),
            disk_queue: OnceLock::new(),
        }
    }

    pub(crate) fn signal(&self) -> Signal {
        self.signal
    }

    /// `otel.component.type` and `otel.component.name`.
    pub(crate) fn component(&self) -> [KeyValue; 2] {
        [
            KeyValue::new("otel.component.type", self.component_type.clone()),
            KeyValue::new("otel.component.name", self.component_name.clone()),
        ]
    }

    /// Starts recording export durations into `histogram`.
    pub(crate) fn time_with(&self, histogram: Histogram<f64>) {
        let _ = self.duration.set(histogram);
    }

    /// Items exported, items failed by `error.type`, retries, items in flight.
    pub(crate) fn totals(&self) -> (u64, Vec<(String, u64)>, u64, i64) {
        let c = self.counts.lock();
        (
            c.exported,
            c.failed.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            c.retries,
            self.inflight.load(Ordering::Relaxed),
        )
    }

    /// Runs `export` of `items` items and records how it went.
    pub(crate) fn export(&self, items: u64, export: impl FnOnce() -> Result<()>) -> Result<()> {
        let items_signed = i64::try_from(items).unwrap_or(i64::MAX);
        self.inflight.fetch_add(items_signed, Ordering::Relaxed);
        self.export_started
            .store(unix_nanos(SystemTime::now()), Ordering::Relaxed);
        let started = Instant::now();
        let outcome = export();
        self.export_started.store(0, Ordering::Relaxed);
        self.inflight.fetch_sub(items_signed, Ordering::Relaxed);
        self.record(items, &outcome, started.elapsed());
        outcome
    }

    /// Records an export of `items` items that took `elapsed` and ended with `outcome` (for
    /// the Prometheus endpoint: a scrape).
    pub(crate) fn record(&self, items: u64, outcome: &Result<()>, elapsed: Duration) {
        let now = SystemTime::now();
        let error_type = outcome.as_ref().err().map(error_type);
        {
            let mut c = self.counts.lock();
            c.exports += 1;
            match (outcome, &error_type) {
                (Err(e), Some(kind)) => {
                    c.failed_exports += 1;
                    c.consecutive_failures += 1;
                    // A backend that took all but some items: only those failed.
                    let failed = match u64::from(e.rejected_items()) {
                        0 => items,
                        n => n.min(items),
                    };
                    c.exported += items - failed;
                    if failed > 0 {
                        *c.failed.entry(kind.clone()).or_default() += failed;
                    }
                    c.last_error = Some((now, e.message().to_owned()));
                }
                _ => {
                    c.consecutive_failures = 0;
                    c.exported += items;
                    c.last_success = Some(now);
                }
            }
        }
        if let Some(h) = self.duration.get() {
            let mut attrs = self.component().to_vec();
            if let Some(kind) = error_type {
                attrs.push(KeyValue::new("error.type", kind));
            }
            h.record(elapsed.as_secs_f64(), &attrs);
        }
    }

    /// Shows the exporter's on-disk queue in the report.
    pub(crate) fn show_disk_queue(&self, bytes: DiskQueueBytes) {
        let _ = self.disk_queue.set(bytes);
    }

    /// Counts `items` deleted unsent from the exporter's on-disk queue at its cap, as failed
    /// with `error.type` `queue_full` (no export attempt is counted).
    pub(crate) fn count_dropped(&self, items: u64) {
        *self
            .counts
            .lock()
            .failed
            .entry("queue_full".to_owned())
            .or_default() += items;
    }

    /// Sets the retries the exporter made so far.
    pub(crate) fn set_retries(&self, retries: u64) {
        self.counts.lock().retries = retries;
    }

    fn status(&self, c: &Counts, queue: Option<&QueueState>) -> (Status, Option<String>) {
        let who = format!("{} {} exporter", self.signal.name(), self.exporter);
        let started = self.export_started.load(Ordering::Relaxed);
        let running = Duration::from_nanos(unix_nanos(SystemTime::now()).saturating_sub(started));
        if started != 0 && running > self.stuck_after {
            return (
                Status::Failing,
                Some(format!(
                    "{who}: an export has been running for {} s, longer than it may ({} s)",
                    running.as_secs(),
                    self.stuck_after.as_secs()
                )),
            );
        }
        if c.consecutive_failures >= FAILING_AFTER {
            return (
                Status::Failing,
                Some(format!(
                    "{who}: the last {} exports failed",
                    c.consecutive_failures
                )),
            );
        }
        if c.consecutive_failures > 0 {
            return (
                Status::Degraded,
                Some(format!("{who}: the last export failed")),
            );
        }
        if let Some(q) = queue {
            let recent = q
                .last_drop
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age < RECENT_DROPS);
            if recent {
                return (
                    Status::Degraded,
                    Some(format!(
                        "{who}: the log queue dropped records in the last {} s",
                        RECENT_DROPS.as_secs()
                    )),
                );
            }
            if q.fill() >= QUEUE_HIGH {
                return (
                    Status::Degraded,
                    Some(format!(
                        "{who}: the log queue is {:.0} % full",
                        q.fill() * 100.0
                    )),
                );
            }
        }
        (Status::Ok, None)
    }

    fn report(&self, queue: Option<&QueueState>) -> (Status, Option<String>, Value) {
        let c = self.counts.lock().clone();
        let (status, reason) = self.status(&c, queue);
        let time = |t: Option<SystemTime>| t.map(rfc3339);
        let mut entry = json!({
            "signal": self.signal.name(),
            "exporter": self.exporter,
            "component": self.component_name,
            "status": status.name(),
            "exports": c.exports,
            "failed_exports": c.failed_exports,
            "consecutive_failures": c.consecutive_failures,
            "exported": c.exported,
            "failed": c.failed.values().sum::<u64>(),
            "retries": c.retries,
            "last_success_time": time(c.last_success),
            "last_success_unix_nano": c.last_success.map(unix_nanos),
            "last_error_time": time(c.last_error.as_ref().map(|e| e.0)),
            "last_error_unix_nano": c.last_error.as_ref().map(|e| unix_nanos(e.0)),
            "last_error": c.last_error.as_ref().map(|e| e.1.clone()),
        });
        if let Some(bytes) = self.disk_queue.get() {
            let (unsent, on_disk) = bytes();
            entry["disk_queue_unsent_bytes"] = json!(unsent);
            entry["disk_queue_bytes"] = json!(on_disk);
        }
        if let Some(q) = queue {
            entry["queue_size"] = json!(q.size);
            entry["queue_capacity"] = json!(q.capacity);
            entry["queue_fill"] = json!(q.fill());
            entry["dropped"] = json!(q.dropped);
        }
        (status, reason, entry)
    }
}

/// The `error.type` of a failed export: `timeout`, `rejected` (the Collector refused part of
/// it), `unavailable` (no connection), an HTTP status code, a gRPC status in snake case,
/// `panic`, or `export_failed`.
fn error_type(e: &Error) -> String {
    let m = e.message();
    if e.kind() == ErrorKind::Timeout || m.contains("no answer within") || m.contains("timed out") {
        return "timeout".to_owned();
    }
    if e.kind() == ErrorKind::Panic || m.contains("panicked") {
        return "panic".to_owned();
    }
    if m.contains("the Collector rejected") || e.rejected_items() > 0 {
        return "rejected".to_owned();
    }
    // A connection that could not be made (HTTP); gRPC says UNAVAILABLE for the same.
    if m.contains("tcp connect error") || m.contains("Connection refused") {
        return "unavailable".to_owned();
    }
    if let Some(at) = m.find("HTTP ") {
        let code: String = m[at + 5..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if code.len() == 3 {
            return code;
        }
    }
    if let Some(at) = m.find("gRPC status ") {
        let code: String = m[at + 12..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        if !code.is_empty() {
            let mut snake = String::new();
            for (i, ch) in code.chars().enumerate() {
                if ch.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(ch.to_ascii_lowercase());
            }
            return snake;
        }
    }
    "export_failed".to_owned()
}

/// The log queue in front of the log exporters, as the report shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueueState {
    pub size: usize,
    pub capacity: usize,
    pub dropped: u64,
    pub last_drop: Option<SystemTime>,
}

impl QueueState {
    fn fill(&self) -> f64 {
        if self.capacity == 0 {
            0.0
        } else {
            self.size as f64 / self.capacity as f64
        }
    }
}

/// What the health rules found at their last evaluation: an entry per rule, the worst
/// status, and why it is not `ok`.
#[derive(Debug, Default)]
pub(crate) struct RuleFindings {
    pub(crate) entries: Vec<Value>,
    pub(crate) worst: Status,
    pub(crate) reasons: Vec<String>,
}

/// The health report: every exporter with its status, the rules, the overall status and why.
/// `stopped` names otelrs's threads that should run and have stopped (each makes the SDK
/// `failing`). Gives the overall status too.
pub(crate) fn report<'a>(
    exporters: impl IntoIterator<Item = (&'a ExporterHealth, Option<QueueState>)>,
    logs: Value,
    refused_measurements: u64,
    stopped: &[&str],
    shut_down: bool,
    rules: RuleFindings,
) -> (Status, String) {
    let mut overall = if stopped.is_empty() {
        rules.worst
    } else {
        Status::Failing
    };
    let mut reasons: Vec<String> = stopped
        .iter()
        .map(|t| format!("the {t} thread has stopped: nothing is exported through it"))
        .collect();
    reasons.extend(rules.reasons);
    let mut entries = Vec::new();
    for (health, queue) in exporters {
        let (status, reason, entry) = health.report(queue.as_ref());
        overall = overall.max(status);
        reasons.extend(reason);
        entries.push(entry);
    }
    let report = json!({
        "status": overall.name(),
        "reasons": reasons,
        "time": rfc3339(SystemTime::now()),
        "shut_down": shut_down,
        "exporters": entries,
        "rules": rules.entries,
        "logs": logs,
        "refused_measurements": refused_measurements,
    });
    (overall, report.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn otlp_logs() -> ExporterHealth {
        ExporterHealth::new(
            Signal::Logs,
            Exporter::Otlp,
            Protocol::Grpc,
            0,
            Duration::from_secs(60),
        )
    }

    /// The report of `h` alone.
    fn report_of(h: &ExporterHealth) -> Value {
        serde_json::from_str(
            &report(
                [(h, None)],
                Value::Null,
                0,
                &[],
                false,
                RuleFindings::default(),
            )
            .1,
        )
        .unwrap()
    }

    fn status_of(h: &ExporterHealth, q: Option<QueueState>) -> String {
        let v: Value = serde_json::from_str(
            &report(
                [(h, q)],
                Value::Null,
                0,
                &[],
                false,
                RuleFindings::default(),
            )
            .1,
        )
        .unwrap();
        assert_eq!(v["exporters"][0]["status"], v["status"]);
        v["status"].as_str().unwrap().to_owned()
    }

    fn fail(h: &ExporterHealth, message: &str) {
        let _ = h.export(10, || Err(Error::new(ErrorKind::Export, message)));
    }

    #[test]
    fn a_stuck_export_and_a_stopped_thread_are_failing() {
        let h = std::sync::Arc::new(ExporterHealth::new(
            Signal::Logs,
            Exporter::File,
            Protocol::Grpc,
            0,
            Duration::from_millis(50),
        ));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let exporting = std::sync::Arc::clone(&h);
        let t = std::thread::spawn(move || {
            exporting.export(1, || rx.recv().map_err(|_| Error::internal("x")))
        });
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(status_of(&h, None), "failing");
        let v: Value = report_of(&h);
        assert!(v["reasons"][0]
            .as_str()
            .unwrap()
            .contains("an export has been running"));
        tx.send(()).unwrap();
        t.join().unwrap().unwrap();
        assert_eq!(status_of(&h, None), "ok");
        let v: Value = serde_json::from_str(
            &report(
                [(&*h, None)],
                Value::Null,
                0,
                &["otelrs-logs"],
                false,
                RuleFindings::default(),
            )
            .1,
        )
        .unwrap();
        assert_eq!(v["status"], "failing");
        assert!(v["reasons"][0]
            .as_str()
            .unwrap()
            .contains("otelrs-logs thread has stopped"));
    }

    #[test]
    fn an_export_the_backend_took_in_part_fails_only_what_it_rejected() {
        let h = otlp_logs();
        let _ = h.export(10, || {
            Err(Error::rejected(
                3,
                "elasticsearch exporter: Elasticsearch rejected 3 of 10 documents",
            ))
        });
        let v: Value = report_of(&h);
        let e = &v["exporters"][0];
        assert_eq!(
            (e["exported"].as_u64(), e["failed"].as_u64()),
            (Some(7), Some(3))
        );
        assert_eq!(e["status"], "degraded");
        assert_eq!(h.totals().1, vec![("rejected".to_owned(), 3)]);
    }

    #[test]
    fn failures_in_a_row_degrade_then_fail_and_one_success_heals() {
        let h = otlp_logs();
        assert_eq!(status_of(&h, None), "ok");
        h.export(5, || Ok(())).unwrap();
        fail(&h, "otlp log exporter: gRPC status Unavailable: down");
        assert_eq!(status_of(&h, None), "degraded");
        fail(
            &h,
            "otlp log exporter: POST http://x/v1/logs: HTTP 503 Service Unavailable: x",
        );
        fail(&h, "otlp log exporter: no answer within 10 ms");
        assert_eq!(status_of(&h, None), "failing");
        let v: Value = report_of(&h);
        let e = &v["exporters"][0];
        assert_eq!(e["consecutive_failures"], 3);
        assert_eq!(e["exported"], 5);
        assert_eq!(e["failed"], 30);
        assert_eq!(e["component"], "otlp_grpc_log_exporter/0");
        assert!(e["last_error"].as_str().unwrap().contains("no answer"));
        assert!(v["reasons"][0]
            .as_str()
            .unwrap()
            .contains("last 3 exports failed"));
        let (_, failed, _, inflight) = h.totals();
        assert_eq!(
            failed,
            vec![
                ("503".to_owned(), 10),
                ("timeout".to_owned(), 10),
                ("unavailable".to_owned(), 10)
            ]
        );
        assert_eq!(inflight, 0);
        h.export(1, || Ok(())).unwrap();
        assert_eq!(status_of(&h, None), "ok");
    }

    #[test]
    fn a_full_or_dropping_queue_degrades_its_exporters() {
        let h = otlp_logs();
        let q = |size, last_drop| QueueState {
            size,
            capacity: 100,
            dropped: 1,
            last_drop,
        };
        assert_eq!(status_of(&h, Some(q(79, None))), "ok");
        assert_eq!(status_of(&h, Some(q(80, None))), "degraded");
        let now = Some(SystemTime::now());
        assert_eq!(status_of(&h, Some(q(0, now))), "degraded");
        let long_ago = SystemTime::now().checked_sub(RECENT_DROPS * 2);
        assert_eq!(status_of(&h, Some(q(0, long_ago))), "ok");
    }

    #[test]
    fn error_types_are_low_cardinality() {
        let t = |m: &str| error_type(&Error::new(ErrorKind::Export, m));
        assert_eq!(t("the Collector rejected 3 log records: no"), "rejected");
        assert_eq!(t("gRPC status DeadlineExceeded: slow"), "deadline_exceeded");
        assert_eq!(t("POST u: HTTP 400 Bad Request: x"), "400");
        assert_eq!(
            t("error sending request: connection refused"),
            "export_failed"
        );
        assert_eq!(
            error_type(&Error::new(ErrorKind::Timeout, "late")),
            "timeout"
        );
    }
}
