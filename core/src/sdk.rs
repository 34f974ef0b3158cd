//! The SDK object: settings, the metrics and log pipelines, and the registry of everything
//! created from it (which is what lets a forked child rebuild).

use crate::base::attributes::AttributeSet;
use crate::base::barrier;
use crate::base::error::{Error, ErrorKind, Result};
use crate::base::fork;
use crate::base::fork::ForkCell;
use crate::base::sigpipe::SigpipeBlocked;
use crate::config::resource;
use crate::config::Groups;
use crate::config::{Config, Settings};
use crate::export::health::{self, ExporterHealth};
use crate::logs::{log_metrics, LogPipeline, LogStats, Logger, LoggerCore};
use crate::metrics::exemplars::Exemplars;
use crate::metrics::instrument::{
    self, BoundCell, BoundInst, Callback, InstrumentCell, ObservableCell, SyncInst,
};
use crate::metrics::json;
use crate::metrics::pipeline::{self, Origin, Pipeline};
use crate::metrics::series_cache::SeriesCache;
use crate::metrics::views;
use crate::metrics::{BoundInstrument, Instrument, InstrumentDesc, ObservableInstrument};
use crate::system;
use opentelemetry::InstrumentationScope;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

/// How long dropping an SDK that was not shut down may spend exporting what it holds.
pub const DROP_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a shutdown waits at most for the diagnostics handler to take what was said.
const DIAG_FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// Meter scope name, scope version, instrument name in lower case.
type StreamKey = (String, String, String);

#[derive(Default)]
struct State {
    pipeline: Option<Pipeline>,
    /// The health records of the metrics pipeline's exporters, and its runtimes (kept
    /// after shutdown takes the pipeline, for the last export and the report).
    metric_exporters: Vec<Arc<ExporterHealth>>,
    metric_runtimes: Vec<(&'static str, tokio::runtime::Handle)>,
    streams: HashMap<StreamKey, InstrumentDesc>,
    instruments: Vec<Weak<InstrumentCell>>,
    bounds: Vec<Weak<BoundCell>>,
    observables: Vec<Weak<ObservableCell>>,
    /// One core (counters, rate-limit bucket) per logger scope. A core that nothing else
    /// holds (no logger, no queued record) is let go when the map grows, its counts kept in
    /// `retired_loggers`: a program that makes loggers of ever new names keeps only those
    /// it uses.
    loggers: HashMap<(String, String), Arc<LoggerCore>>,
    /// The counts of the logger scopes let go.
    retired_loggers: LogStats,
}

impl State {
    /// Keeps what the metrics of OTELRS_SYSTEM_METRICS and the health report read of
    /// `pipeline`.
    fn keep_parts_of(&mut self, pipeline: &Pipeline) {
        self.metric_exporters = pipeline.health().to_vec();
        self.metric_runtimes = pipeline.runtimes();
    }
}

fn remember<T>(list: &mut Vec<Weak<T>>, item: &Arc<T>) {
    if list.len() >= 64 && list.len().is_power_of_two() {
        list.retain(|w| w.strong_count() > 0);
    }
    list.push(Arc::downgrade(item));
}

/// What the SDK, its meters, loggers and instruments share.
///
/// # Lock order
/// `state` is a leaf: no code holds it while it calls into the Rust SDK or waits on
/// anything else. During a collection the SDK holds its pipeline lock while it runs the
/// observable callbacks, and otelrs's own callbacks (the log-derived and system metrics) read
/// `state`; creating an instrument takes the SDK's pipeline lock. Holding `state` across an
/// SDK call would therefore deadlock against a collection. The bindings keep the same rule
/// for their interpreter's lock: creating an instrument releases the GIL (Python) or the GVL
/// (Ruby), since a collection may wait for it in a callback. Instruments cannot be created,
/// and the SDK cannot be flushed, collected or shut down, from inside a callback
/// ([`ErrorKind::InCallback`]): the collection that runs it holds the SDK's pipeline lock.
pub(crate) struct SdkShared {
    settings: Settings,
    shut_down: AtomicBool,
    state: Mutex<State>,
    /// Read without a lock by every emit; replaced only in a forked child.
    logs: ForkCell<Option<Arc<LogPipeline>>>,
    exemplars: Arc<Exemplars>,
    /// Measurements the bindings dropped for a bad value or attribute (not OTELRS_STRICT).
    refused: AtomicU64,
}

impl SdkShared {
    #[inline]
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Relaxed)
    }

    /// Whether recording errors raise in the bindings (OTELRS_STRICT).
    pub(crate) fn strict(&self) -> bool {
        self.settings.strict
    }

    /// Counts a measurement a binding dropped for a bad value or attribute.
    #[cold]
    pub(crate) fn count_refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// The answer of a recording call that has written its measurement: refused if the SDK
    /// was shut down meanwhile, since the last collection may have missed it (or not: a
    /// refused measurement may still be exported, an accepted one always is). See
    /// [`barrier`].
    #[inline]
    pub(crate) fn confirm_recorded(&self) -> Result<()> {
        barrier::light();
        if self.is_shut_down() {
            Err(Error::new(
                ErrorKind::Shutdown,
                "the SDK was shut down while this was recorded: it may not be exported",
            ))
        } else {
            Ok(())
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.is_shut_down() {
            Err(Error::shutdown())
        } else {
            Ok(())
        }
    }

    /// Refuses `what` on a thread that is running an observable callback, whose collection
    /// holds the SDK's pipeline lock.
    fn check_not_in_callback(what: &str) -> Result<()> {
        if instrument::in_callback() {
            Err(Error::new(
                ErrorKind::InCallback,
                format!(
                    "{what} is not allowed inside an observable instrument's callback: the \
                     collection running it would wait for itself"
                ),
            ))
        } else {
            Ok(())
        }
    }

    /// Registers the stream of `desc` in `scope`, or checks it against the one registered.
    fn claim_stream(
        state: &mut State,
        scope: &InstrumentationScope,
        desc: &InstrumentDesc,
    ) -> Result<()> {
        let key = (
            scope.name().to_owned(),
            scope.version().unwrap_or("").to_owned(),
            desc.name.to_ascii_lowercase(),
        );
        match state.streams.get(&key) {
            Some(existing) if !existing.same_identity(desc) => Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "instrument {:?} already exists in meter {:?} as a {} {} with unit {:?} and description {:?}; \
                     it cannot be created again as a {} {} with unit {:?} and description {:?}",
                    existing.name,
                    scope.name(),
                    existing.number.name(),
                    existing.kind.name(),
                    existing.unit,
                    existing.description,
                    desc.number.name(),
                    desc.kind.name(),
                    desc.unit,
                    desc.description
                ),
            )),
            Some(_) => Ok(()),
            None => {
                state.streams.insert(key, desc.clone());
                Ok(())
            }
        }
    }

    /// Says on stderr when two views give this instrument streams of one name.
    fn warn_of_view_conflicts(selection: &views::Selection<'_>, scope: &InstrumentationScope) {
        if let Some(warning) = selection.conflict(scope.name()) {
            crate::base::diag::warn(warning);
        }
    }

    /// What creating any instrument does first: refuses it inside a callback or with a view
    /// it cannot have, claims its stream, and gives the views that select it and the SDK
    /// meter to build it from (None when disabled). The SDK instrument is then built without
    /// `state` held (see the lock order above).
    fn claim<'s>(
        &'s self,
        scope: &InstrumentationScope,
        desc: &'s InstrumentDesc,
    ) -> Result<(views::Selection<'s>, Option<opentelemetry::metrics::Meter>)> {
        Self::check_not_in_callback("creating an instrument")?;
        let selection = views::selection(
            &self.settings.views,
            &desc.name,
            desc.kind,
            &desc.unit,
            scope,
        );
        selection.check_aggregations()?;
        let meter = {
            let mut state = self.state.lock();
            self.check_open()?;
            Self::claim_stream(&mut state, scope, desc)?;
            state.pipeline.as_ref().map(|p| p.meter(scope))
        };
        Self::warn_of_view_conflicts(&selection, scope);
        Ok((selection, meter))
    }

    fn instrument(
        self: &Arc<Self>,
        scope: &InstrumentationScope,
        desc: InstrumentDesc,
    ) -> Result<Instrument> {
        desc.validate()?;
        if desc.kind.is_observable() {
            return Err(Error::invalid(format!(
                "a {} needs a callback",
                desc.kind.name()
            )));
        }
        let (selection, meter) = self.claim(scope, &desc)?;
        let inst = match &meter {
            Some(m) => SyncInst::build(m, &desc),
            None => SyncInst::Disabled,
        };
        let reservoir = selection.reservoir(
            desc.boundaries.as_deref(),
            self.settings.exponential_histograms,
        );
        let streams = selection.streams();
        let exemplars = self.exemplars.register(
            scope.name(),
            scope.version(),
            streams,
            reservoir,
            selection.cardinality_limit(self.settings.cardinality_limit),
        );
        let cell = Arc::new(InstrumentCell {
            sdk: Arc::clone(self),
            scope: scope.clone(),
            desc,
            inst: ForkCell::new(inst),
            series: ForkCell::new(SeriesCache::new()),
            exemplars,
            exemplar_filter: self.settings.exemplar_filter,
        });
        remember(&mut self.state.lock().instruments, &cell);
        Ok(Instrument(cell))
    }

    fn observable(
        self: &Arc<Self>,
        scope: &InstrumentationScope,
        desc: InstrumentDesc,
        callback: Callback,
    ) -> Result<ObservableInstrument> {
        desc.validate()?;
        if !desc.kind.is_observable() {
            return Err(Error::invalid(format!(
                "a {} takes no callback",
                desc.kind.name()
            )));
        }
        let (_, meter) = self.claim(scope, &desc)?;
        let cell = Arc::new(ObservableCell::new(scope.clone(), desc, callback));
        // Registered without `state` held (see the lock order above).
        if let Some(m) = &meter {
            cell.register(m);
        }
        remember(&mut self.state.lock().observables, &cell);
        Ok(ObservableInstrument(cell))
    }

    pub(crate) fn bind(
        self: &Arc<Self>,
        parent: &Arc<InstrumentCell>,
        attrs: &AttributeSet,
    ) -> Result<BoundInstrument> {
        self.check_open()?;
        let cell = Arc::new(BoundCell {
            sdk: Arc::clone(self),
            kind: parent.desc.kind,
            number: parent.desc.number,
            parent: Arc::clone(parent),
            attrs: attrs.clone(),
            inst: ForkCell::new(parent.inst.get().bind(attrs.as_slice())),
            exemplar_key: OnceLock::new(),
            exemplar_filter: parent.exemplar_filter,
        });
        remember(&mut self.state.lock().bounds, &cell);
        Ok(BoundInstrument(cell))
    }

    /// Every logger scope's core.
    pub(crate) fn logger_cores(&self) -> Vec<Arc<LoggerCore>> {
        self.state.lock().loggers.values().cloned().collect()
    }

    pub(crate) fn log_stats(&self) -> LogStats {
        let mut total = {
            let state = self.state.lock();
            let mut total = state.retired_loggers;
            for core in state.loggers.values() {
                total += core.stats();
            }
            total
        };
        total.dropped = self.logs().map_or(0, |l| l.dropped());
        total
    }

    /// The health records of every exporter of both signals.
    pub(crate) fn exporter_health(&self) -> Vec<Arc<ExporterHealth>> {
        let mut all = self.state.lock().metric_exporters.clone();
        if let Some(logs) = self.logs() {
            all.extend(logs.health().iter().cloned());
        }
        all
    }

    /// otelrs's Tokio runtimes, by thread name.
    pub(crate) fn runtimes(&self) -> Vec<(&'static str, tokio::runtime::Handle)> {
        let mut all = self.state.lock().metric_runtimes.clone();
        if let Some(h) = self.logs().and_then(|l| l.runtime()) {
            all.push(("otelrs-logs-rt", h.clone()));
        }
        all
    }

    /// The health report as JSON.
    fn health_json(&self) -> String {
        let (metrics, metrics_stopped) = {
            let state = self.state.lock();
            let stopped = state
                .pipeline
                .as_ref()
                .is_some_and(Pipeline::thread_stopped);
            (state.metric_exporters.clone(), stopped)
        };
        let logs = self.logs();
        let mut stopped = Vec::new();
        if !self.is_shut_down() {
            if metrics_stopped {
                stopped.push("otelrs-metrics");
            }
            if logs.is_some_and(|l| l.thread_stopped()) {
                stopped.push("otelrs-logs");
            }
        }
        let queue = logs.map(|l| l.queue_state());
        let log_exporters = logs.map(|l| l.health()).unwrap_or_default();
        let entries = metrics
            .iter()
            .map(|h| (h.as_ref(), None))
            .chain(log_exporters.iter().map(|h| (h.as_ref(), queue)));
        // One shape whatever is configured: the log counts are there (all 0 without logs).
        let log_counts = serde_json::Value::Object(
            self.log_stats()
                .fields()
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        );
        health::report(
            entries,
            log_counts,
            self.refused.load(Ordering::Relaxed),
            &stopped,
            self.is_shut_down(),
        )
    }

    /// Times every exporter's exports (and scrapes) into `otel.sdk.exporter.operation.duration`,
    /// when the `sdk` metrics are on.
    fn time_exports(settings: &Settings, pipeline: &Pipeline, logs: Option<&Arc<LogPipeline>>) {
        if !settings.system_metrics.sdk {
            return;
        }
        let scope = InstrumentationScope::builder("otelrs")
            .with_version(resource::VERSION)
            .build();
        let histogram = pipeline
            .meter(&scope)
            .f64_histogram("otel.sdk.exporter.operation.duration")
            .with_unit("s")
            .with_description("Duration of each export, failed ones with error.type")
            .with_boundaries(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0, 30.0,
            ])
            .build();
        let log_exporters = logs.map(|l| l.health().to_vec()).unwrap_or_default();
        for h in pipeline.health().iter().chain(&log_exporters) {
            h.time_with(histogram.clone());
        }
    }

    /// The log pipeline, if logs are exported.
    #[inline]
    pub(crate) fn logs(&self) -> Option<&Arc<LogPipeline>> {
        self.logs.get().as_ref()
    }

    pub(crate) fn lock_for_fork(&self) {
        std::mem::forget(self.state.lock());
        if let Some(logs) = self.logs() {
            logs.lock_for_fork();
        }
    }

    pub(crate) fn unlock_in_parent(&self) {
        if let Some(logs) = self.logs() {
            logs.unlock_after_fork();
        }
        self.unlock_state();
    }

    pub(crate) fn unlock_state(&self) {
        // SAFETY: `lock_for_fork` locked the state in this thread (the one that forked) and
        // forgot the guard.
        unsafe { self.state.force_unlock() }
    }

    /// Builds a new pipeline for the child and points every instrument at it.
    ///
    /// # Safety
    /// Only in a forked child while it has a single thread, with the state locked by
    /// `lock_for_fork`.
    pub(crate) unsafe fn rebuild_in_child(&self) {
        // SAFETY: the lock is held (taken before fork) and no other thread exists.
        let state = unsafe { &mut *self.state.data_ptr() };
        if let Some(logs) = self.logs() {
            // The parent's queue and the records in it stay behind: the child starts empty.
            logs.unlock_after_fork();
        }
        if state.pipeline.is_none() {
            return;
        }
        for core in state.loggers.values() {
            core.reset();
        }
        state.retired_loggers = LogStats::default();
        let _sigpipe = SigpipeBlocked::new();
        let resource = resource::build(&self.settings);
        match LogPipeline::start(&self.settings.logs, &resource) {
            // SAFETY: single-threaded child; no reference from `logs()` is alive here.
            Ok(logs) => fork::bury(unsafe { self.logs.replace_in_child(logs) }),
            Err(e) => crate::base::diag::error(format_args!(
                "cannot rebuild the log pipeline after fork: {e}"
            )),
        }
        let pipeline = match Pipeline::build(
            &self.settings,
            resource,
            &self.exemplars,
            Origin::ForkedChild,
        ) {
            Ok(p) => p,
            Err(e) => {
                crate::base::diag::error(format_args!(
                    "cannot rebuild the metrics pipeline after fork: {e}"
                ));
                return;
            }
        };
        Self::time_exports(&self.settings, &pipeline, self.logs());
        state.keep_parts_of(&pipeline);
        if let Some(mut old) = state.pipeline.replace(pipeline) {
            old.release_in_child();
            fork::bury(old);
        }
        let Some(p) = &state.pipeline else { return };
        for cell in state.instruments.iter().filter_map(Weak::upgrade) {
            let inst = SyncInst::build(&p.meter(&cell.scope), &cell.desc);
            // SAFETY: single-threaded child, no reference into the cell is alive.
            fork::bury(unsafe { cell.inst.replace_in_child(inst) });
            // SAFETY: as above.
            fork::bury(unsafe { cell.series.replace_in_child(SeriesCache::new()) });
        }
        for cell in state.bounds.iter().filter_map(Weak::upgrade) {
            // Bound again when the child first records through it: binding makes the SDK
            // series, and a child exports only what it recorded itself (no parent's series
            // at 0).
            let bound = BoundInst::unbound(Arc::clone(&cell.parent), cell.attrs.clone());
            // SAFETY: as above.
            fork::bury(unsafe { cell.inst.replace_in_child(bound) });
        }
        for cell in state.observables.iter().filter_map(Weak::upgrade) {
            // SAFETY: single-threaded child, no guard of this lock is alive in it.
            fork::bury(unsafe { cell.running.replace_in_child(parking_lot::RwLock::new(())) });
            cell.register(&p.meter(&cell.scope));
        }
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
        crate::base::diag::set_threshold(settings.log_level);
        crate::config::warn_of_unknown_keys(
            std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()),
        );
        let exemplars = Exemplars::new(settings.exemplar_filter);
        // Every thread started from here on has SIGPIPE blocked (see signals.rs).
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
            SdkShared::time_exports(&settings, p, logs.as_ref());
        }
        let shared = Arc::new(SdkShared {
            settings,
            shut_down: AtomicBool::new(false),
            state: Mutex::new({
                let mut state = State::default();
                if let Some(p) = &pipeline {
                    state.keep_parts_of(p);
                }
                state.pipeline = pipeline;
                state
            }),
            logs: ForkCell::new(logs),
            exemplars,
            refused: AtomicU64::new(0),
        });
        fork::track(Arc::downgrade(&shared));
        let mut sdk = Sdk {
            shared,
            _own_metrics: Vec::new(),
        };
        if !sdk.is_disabled() && !sdk.shared.settings.metrics_exporters.is_empty() {
            let meter = sdk.meter("otelrs", Some(resource::VERSION))?;
            sdk._own_metrics.push(refused_metric(&meter, &sdk.shared)?);
            if sdk.shared.logs().is_some() {
                let by_scope = sdk.shared.settings.logs.metrics_by_scope;
                sdk._own_metrics = log_metrics::register(&meter, &sdk.shared, by_scope)?;
            }
            let groups = sdk.shared.settings.system_metrics;
            sdk._own_metrics
                .extend(system::register(&meter, &sdk.shared, groups)?);
        }
        Ok(sdk)
    }

    /// Whether a binding raises on a recording error (OTELRS_STRICT); otherwise it drops the
    /// measurement and calls [`Sdk::count_refused`].
    pub fn strict(&self) -> bool {
        self.shared.strict()
    }

    /// Counts a measurement a binding dropped for a bad value or attribute
    /// (`refused_measurements` in the health report, `otelrs.measurements.refused`).
    pub fn count_refused(&self) {
        self.shared.count_refused();
    }

    /// Whether OTEL_SDK_DISABLED turned this SDK into a no-op.
    pub fn is_disabled(&self) -> bool {
        self.shared.settings.disabled
    }

    /// The groups of OTELRS_SYSTEM_METRICS in force (the bindings add their language
    /// runtime's metrics when `runtime` is on).
    pub fn system_metrics(&self) -> Groups {
        if self.is_disabled() || self.shared.settings.metrics_exporters.is_empty() {
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
        self.shared.health_json()
    }

    /// Whether [`Sdk::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.shared.is_shut_down()
    }

    fn scope(&self, name: &str, version: Option<&str>) -> Result<InstrumentationScope> {
        self.shared.check_open()?;
        if name.is_empty() {
            return Err(Error::invalid(
                "a meter or logger needs a non-empty scope name",
            ));
        }
        let mut scope = InstrumentationScope::builder(name.to_owned());
        if let Some(v) = version.filter(|v| !v.is_empty()) {
            scope = scope.with_version(v.to_owned());
        }
        Ok(scope.build())
    }

    /// A meter for the instrumentation scope `name` (and `version`).
    pub fn meter(&self, name: &str, version: Option<&str>) -> Result<Meter> {
        Ok(Meter {
            sdk: Arc::clone(&self.shared),
            scope: self.scope(name, version)?,
        })
    }

    /// A logger for the instrumentation scope `name` (and `version`). Loggers of one scope
    /// share their counters and rate limit.
    pub fn logger(&self, name: &str, version: Option<&str>) -> Result<Logger> {
        let scope = self.scope(name, version)?;
        let key = (name.to_owned(), version.unwrap_or("").to_owned());
        let mut state = self.shared.state.lock();
        let sampling = &self.shared.settings.logs.sampling;
        let core = match state.loggers.get(&key) {
            Some(core) => Arc::clone(core),
            None => {
                let state = &mut *state;
                if state.loggers.len() >= 64 && state.loggers.len().is_power_of_two() {
                    // Under the lock, a core only the map holds cannot be taken again.
                    let retired = &mut state.retired_loggers;
                    state.loggers.retain(|_, core| {
                        let unused = Arc::strong_count(core) == 1;
                        if unused {
                            *retired += core.stats();
                        }
                        !unused
                    });
                }
                let core = Arc::new(LoggerCore::new(scope, sampling));
                state.loggers.insert(key, Arc::clone(&core));
                core
            }
        };
        Ok(Logger {
            sdk: Arc::clone(&self.shared),
            core,
        })
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
        self.shared.check_open()?;
        SdkShared::check_not_in_callback("flushing")?;
        let deadline = Instant::now() + timeout;
        let commands = self
            .shared
            .state
            .lock()
            .pipeline
            .as_ref()
            .and_then(Pipeline::commands);
        let metrics = match commands {
            Some(tx) => pipeline::flush(&tx, timeout),
            None => Ok(()),
        };
        let logs = match self.shared.logs() {
            Some(logs) => logs.flush(deadline.saturating_duration_since(Instant::now())),
            None => Ok(()),
        };
        metrics.and(logs)
    }

    /// Exports what was recorded and stops, returning within `timeout` even when an
    /// exporter's endpoint is unreachable. A second call is a [`ErrorKind::Shutdown`] error.
    pub fn shutdown(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let outcome = self.shut_down(timeout);
        // What the exporters said while shutting down reaches the diagnostics handler before
        // the process may end.
        crate::base::diag::flush(
            deadline
                .saturating_duration_since(Instant::now())
                .min(DIAG_FLUSH_TIMEOUT),
        );
        outcome
    }

    /// Shuts down without waiting for the diagnostics handler: when dropped, the thread may
    /// hold what the handler waits for (Python's GIL).
    fn shut_down(&self, timeout: Duration) -> Result<()> {
        SdkShared::check_not_in_callback("shutting down")?;
        if self.shared.shut_down.swap(true, Ordering::AcqRel) {
            return Err(Error::new(
                ErrorKind::Shutdown,
                "the SDK was already shut down",
            ));
        }
        // Every measurement written before a recording thread sees the flag is now visible to
        // the last collection; every later one is refused (SdkShared::confirm_recorded).
        barrier::heavy();
        let deadline = Instant::now() + timeout;
        let pipeline = self.shared.state.lock().pipeline.take();
        let metrics = pipeline.map_or(Ok(()), |p| p.shutdown(timeout));
        let logs = match self.shared.logs() {
            Some(logs) => logs.shutdown(deadline.saturating_duration_since(Instant::now())),
            None => Ok(()),
        };
        metrics.and(logs)
    }

    /// The metrics held by the `memory` exporter now, as one OTLP-JSON
    /// `ExportMetricsServiceRequest`.
    pub fn collect_json(&self) -> Result<String> {
        if self.is_disabled() {
            return Ok(json::empty());
        }
        self.shared.check_open()?;
        SdkShared::check_not_in_callback("collecting")?;
        let collect = self
            .shared
            .state
            .lock()
            .pipeline
            .as_ref()
            .and_then(Pipeline::memory_collector);
        match collect {
            Some(collect) => collect(),
            None => Err(Error::config(
                "collecting on demand needs the memory exporter: add memory to OTEL_METRICS_EXPORTER",
            )),
        }
    }
}

/// `otelrs.measurements.refused`: what the bindings dropped for a bad value or attribute.
fn refused_metric(meter: &Meter, shared: &Arc<SdkShared>) -> Result<ObservableInstrument> {
    let weak = Arc::downgrade(shared);
    meter.observable(
        InstrumentDesc::described(
            crate::metrics::InstrumentKind::ObservableCounter,
            crate::metrics::NumberKind::U64,
            "otelrs.measurements.refused",
            "{measurement}",
            "Measurements dropped for a bad value or attribute (Python and Ruby, without OTELRS_STRICT)",
        ),
        Box::new(move |o| {
            if let Some(shared) = weak.upgrade() {
                let n = shared.refused.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = o.observe(crate::metrics::Number::U64(n), &[]);
                }
            }
        }),
    )
}

impl Drop for Sdk {
    fn drop(&mut self) {
        if !self.shared.is_shut_down() {
            let _ = self.shut_down(DROP_SHUTDOWN_TIMEOUT);
        }
    }
}

/// A meter: creates instruments in one instrumentation scope. Cheap to clone.
#[derive(Clone)]
pub struct Meter {
    sdk: Arc<SdkShared>,
    scope: InstrumentationScope,
}

impl Meter {
    /// Creates a synchronous instrument. Creating the same instrument again gives another
    /// handle to the same stream; the same name with another kind, number type, unit or
    /// description is a [`ErrorKind::Conflict`] error.
    pub fn instrument(&self, desc: InstrumentDesc) -> Result<Instrument> {
        self.sdk.instrument(&self.scope, desc)
    }

    /// Creates an observable instrument whose `callback` reports its values at each collection.
    pub fn observable(
        &self,
        desc: InstrumentDesc,
        callback: Callback,
    ) -> Result<ObservableInstrument> {
        self.sdk.observable(&self.scope, desc, callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{InstrumentKind, Number, NumberKind};
    use crate::KeyValue;
    use std::sync::atomic::AtomicUsize;

    fn memory_sdk() -> Sdk {
        let mut c = Config::new();
        c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
        c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
        c.set("OTEL_SERVICE_NAME", "unit").unwrap();
        Sdk::new(&c).unwrap()
    }

    fn counter(meter: &Meter, name: &str) -> Instrument {
        meter
            .instrument(InstrumentDesc::new(
                InstrumentKind::Counter,
                NumberKind::U64,
                name,
            ))
            .unwrap()
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
    fn disabled_sdk_accepts_everything_and_exports_nothing() {
        let mut c = Config::new();
        c.set("OTEL_SDK_DISABLED", "true").unwrap();
        c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
        let sdk = Sdk::new(&c).unwrap();
        let meter = sdk.meter("unit", None).unwrap();
        counter(&meter, "unit.c")
            .record(Number::U64(1), &[])
            .unwrap();
        assert_eq!(sdk.collect_json().unwrap(), json::empty());
        sdk.force_flush(Duration::from_millis(10)).unwrap();
    }
}
