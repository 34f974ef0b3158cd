//! Everything created for metrics in one SDK: its meters, the streams their instruments
//! claimed, and weak references to every instrument, bound instrument and observable (which
//! is what lets a forked child point them at its rebuilt pipeline). The SDK hands it the
//! pipeline and the lifecycle it shares with the loggers; instruments hold it, never the SDK.

use super::exemplars::Exemplars;
use super::instrument::{
    self, BoundCell, BoundInst, Callback, InstrumentCell, ObservableCell, ObservedType, SyncInst,
};
use super::overflow_gate::OverflowGate;
use super::pipeline::{self, Pipeline};
use super::prometheus::Exposer;
use super::quantiles::HistogramSummary;
use super::series_cache::SeriesCache;
use super::views;
use super::Exposition;
use super::{
    BoundInstrument, Instrument, InstrumentDesc, InstrumentKind, NumberKind, ObservableInstrument,
};
use crate::base::attributes::{AttributeSet, KeyValue};
use crate::base::error::{Error, ErrorKind, Result};
use crate::base::fork::{self, ForkCell};
use crate::base::lifecycle::Lifecycle;
use crate::base::sync::ForkMutex;
use crate::config::view::View;
use crate::config::{ExemplarFilter, Settings};
use crate::export::health::ExporterHealth;
use opentelemetry::InstrumentationScope;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// Meter scope name, scope version, instrument name in lower case.
type StreamKey = (String, String, String);

#[derive(Default)]
struct State {
    pipeline: Option<Pipeline>,
    /// The health records of the pipeline's exporters, and its runtimes (kept after
    /// shutdown takes the pipeline, for the last export and the report).
    exporters: Vec<Arc<ExporterHealth>>,
    runtimes: Vec<(&'static str, tokio::runtime::Handle)>,
    streams: HashMap<StreamKey, InstrumentDesc>,
    instruments: Vec<Weak<InstrumentCell>>,
    bounds: Vec<Weak<BoundCell>>,
    observables: Vec<Weak<ObservableCell>>,
}

impl State {
    /// Takes `pipeline`, keeping what the metrics of OTELRS_SYSTEM_METRICS and the health
    /// report read of it; gives back the pipeline it replaces.
    fn install(&mut self, pipeline: Pipeline) -> Option<Pipeline> {
        self.exporters = pipeline.health().to_vec();
        self.runtimes = pipeline.runtimes();
        self.pipeline.replace(pipeline)
    }
}

fn remember<T>(list: &mut Vec<Weak<T>>, item: &Arc<T>) {
    if list.len() >= 64 && list.len().is_power_of_two() {
        list.retain(|w| w.strong_count() > 0);
    }
    list.push(Arc::downgrade(item));
}

/// The metrics side of one SDK.
///
/// # Lock order
/// `state` is a leaf: no code holds it while it calls into the Rust SDK or waits on
/// anything else. During a collection the SDK holds its pipeline lock while it runs the
/// observable callbacks, and otelrs's own callbacks (the log-derived and system metrics) read
/// otelrs's state; creating an instrument takes the SDK's pipeline lock. Holding `state`
/// across an SDK call would therefore deadlock against a collection. The bindings keep the
/// same rule for their interpreter's lock: creating an instrument releases the GIL (Python)
/// or the GVL (Ruby), since a collection may wait for it in a callback. Instruments cannot be
/// created, and the SDK cannot be flushed, collected or shut down, from inside a callback
/// ([`ErrorKind::InCallback`]): the collection that runs it holds the SDK's pipeline lock.
pub(crate) struct MeterRegistry {
    life: Arc<Lifecycle>,
    views: Vec<View>,
    exponential_histograms: bool,
    cardinality_limit: usize,
    exemplar_filter: ExemplarFilter,
    exemplars: Arc<Exemplars>,
    state: ForkMutex<State>,
}

/// Refuses `what` on a thread that is running an observable callback, whose collection holds
/// the SDK's pipeline lock.
pub(crate) fn check_not_in_callback(what: &str) -> Result<()> {
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

impl MeterRegistry {
    /// The registry of an SDK with `settings`, collecting through `pipeline` (None when the
    /// SDK is disabled).
    pub(crate) fn new(
        life: Arc<Lifecycle>,
        settings: &Settings,
        exemplars: Arc<Exemplars>,
        pipeline: Option<Pipeline>,
    ) -> Self {
        let mut state = State::default();
        if let Some(p) = pipeline {
            state.install(p);
        }
        MeterRegistry {
            life,
            views: settings.views.clone(),
            exponential_histograms: settings.exponential_histograms,
            cardinality_limit: settings.cardinality_limit,
            exemplar_filter: settings.exemplar_filter,
            exemplars,
            state: ForkMutex::new(state),
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

    /// What creating any instrument does first: refuses it inside a callback or with a view
    /// it cannot have, claims its stream, and gives the views that select it and the SDK
    /// meter to build it from (None when disabled). The SDK instrument is then built without
    /// `state` held (see the lock order above).
    fn claim<'s>(
        &'s self,
        scope: &InstrumentationScope,
        desc: &'s InstrumentDesc,
    ) -> Result<(views::Selection<'s>, Option<opentelemetry::metrics::Meter>)> {
        check_not_in_callback("creating an instrument")?;
        let selection = views::selection(&self.views, &desc.name, desc.kind, &desc.unit, scope);
        selection.check_aggregations()?;
        let meter = {
            let mut state = self.state.lock();
            self.life.check_open()?;
            Self::claim_stream(&mut state, scope, desc)?;
            state.pipeline.as_ref().map(|p| p.meter(scope))
        };
        if let Some(warning) = selection.conflict(scope.name()) {
            crate::base::diag::warn(warning);
        }
        Ok((selection, meter))
    }

    /// The overflow gate of an instrument of `kind` that `selection` selects (see
    /// [`OverflowGate`]): where its stream is its own (no view) and every reader keeps every
    /// series.
    fn gate_for(
        &self,
        meter: &Option<opentelemetry::metrics::Meter>,
        selection: &views::Selection<'_>,
        kind: InstrumentKind,
    ) -> Option<OverflowGate> {
        meter.as_ref()?;
        let keeps = selection.selects_none()
            && self
                .state
                .lock()
                .pipeline
                .as_ref()
                .is_some_and(|p| p.keeps_every_series(kind));
        keeps.then(|| OverflowGate::new(self.cardinality_limit))
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
        let reservoir =
            selection.reservoir(desc.boundaries.as_deref(), self.exponential_histograms);
        let streams = selection.streams();
        let exemplars = self.exemplars.register(
            scope.name(),
            scope.version(),
            streams,
            reservoir,
            selection.cardinality_limit(self.cardinality_limit),
        );
        let gate = self.gate_for(&meter, &selection, desc.kind);
        let cell = Arc::new(InstrumentCell {
            life: Arc::clone(&self.life),
            registry: Arc::clone(self),
            scope: scope.clone(),
            desc,
            inst: ForkCell::new(inst),
            series: ForkCell::new(SeriesCache::new()),
            exemplars,
            exemplar_filter: self.exemplar_filter,
            gate: ForkCell::new(gate),
        });
        remember(&mut self.state.lock().instruments, &cell);
        Ok(Instrument(cell))
    }

    fn observable(
        &self,
        scope: &InstrumentationScope,
        desc: InstrumentDesc,
        callback: Callback,
        typed: ObservedType,
    ) -> Result<ObservableInstrument> {
        desc.validate()?;
        if !desc.kind.is_observable() {
            return Err(Error::invalid(format!(
                "a {} takes no callback",
                desc.kind.name()
            )));
        }
        if typed == ObservedType::AsObserved && desc.number == NumberKind::F64 {
            return Err(Error::invalid(format!(
                "observable instrument {:?} typed as observed is given its integer number type, \
                 not f64",
                desc.name
            )));
        }
        let (_, meter) = self.claim(scope, &desc)?;
        let cell = Arc::new(ObservableCell::new(scope.clone(), desc, callback, typed));
        // Registered without `state` held (see the lock order above).
        if let Some(m) = &meter {
            cell.register(m);
        }
        remember(&mut self.state.lock().observables, &cell);
        Ok(ObservableInstrument(cell))
    }

    /// Binds `parent` to `attrs`.
    pub(crate) fn bind(
        &self,
        parent: &Arc<InstrumentCell>,
        attrs: &AttributeSet,
    ) -> Result<BoundInstrument> {
        self.life.check_open()?;
        let cell = Arc::new(BoundCell {
            life: Arc::clone(&self.life),
            kind: parent.desc.kind,
            number: parent.desc.number,
            parent: Arc::clone(parent),
            attrs: attrs.clone(),
            inst: ForkCell::new(parent.bind_counted(attrs.as_slice())),
            exemplar_key: OnceLock::new(),
            exemplar_filter: parent.exemplar_filter,
        });
        remember(&mut self.state.lock().bounds, &cell);
        Ok(BoundInstrument(cell))
    }

    /// The health records of the pipeline's exporters.
    pub(crate) fn exporter_health(&self) -> Vec<Arc<ExporterHealth>> {
        self.state.lock().exporters.clone()
    }

    /// The pipeline's Tokio runtimes, by thread name.
    pub(crate) fn runtimes(&self) -> Vec<(&'static str, tokio::runtime::Handle)> {
        self.state.lock().runtimes.clone()
    }

    /// What `get` takes from the pipeline, while there is one.
    fn take_from_pipeline<T>(&self, get: impl FnOnce(&Pipeline) -> Option<T>) -> Option<T> {
        self.state.lock().pipeline.as_ref().and_then(get)
    }

    /// Whether the collection thread stopped on its own (it panicked).
    pub(crate) fn thread_stopped(&self) -> bool {
        self.state
            .lock()
            .pipeline
            .as_ref()
            .is_some_and(Pipeline::thread_stopped)
    }

    /// Collects and exports now through every push exporter, waiting at most `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> Result<()> {
        let commands = self.take_from_pipeline(Pipeline::commands);
        match commands {
            Some(tx) => pipeline::flush(&tx, timeout),
            None => Ok(()),
        }
    }

    /// Exports what was recorded and stops the pipeline.
    pub(crate) fn shutdown(&self, timeout: Duration) -> Result<()> {
        let pipeline = self.state.lock().pipeline.take();
        pipeline.map_or(Ok(()), |p| p.shutdown(timeout))
    }

    /// The metrics held by the `memory` exporter now, as OTLP JSON.
    pub(crate) fn collect_json(&self) -> Result<String> {
        let collect = self.take_from_pipeline(Pipeline::memory_collector);
        match collect {
            Some(collect) => collect(),
            None => Err(Error::config(
                "collecting on demand needs the memory exporter: add memory to OTEL_METRICS_EXPORTER",
            )),
        }
    }

    /// A summary of the series of histogram `name` with exactly the attributes `attrs`, from a
    /// collection of the memory exporter's reader (else the Prometheus endpoint's).
    pub(crate) fn histogram_summary(
        &self,
        name: &str,
        attrs: &[KeyValue],
        quantiles: &[f64],
    ) -> Result<HistogramSummary> {
        super::quantiles::check_quantiles(quantiles)?;
        let collected = self.take_from_pipeline(Pipeline::collect_on_demand);
        match collected {
            Some(request) => super::quantiles::summarize(&request?, name, attrs, quantiles),
            None => Err(Error::config(
                "a histogram summary collects on demand: it needs the memory or prometheus exporter in OTEL_METRICS_EXPORTER",
            )),
        }
    }

    /// The answer to a Prometheus scrape with these Accept and Accept-Encoding headers, as
    /// the Prometheus endpoint gives it.
    pub(crate) fn prometheus_exposition(
        &self,
        accept: &str,
        accept_encoding: &str,
    ) -> Result<Exposition> {
        self.exposer()?.expose(accept, accept_encoding)
    }

    /// The Prometheus endpoint, for the app's own HTTP server; an error without one.
    pub(crate) fn exposer(&self) -> Result<Exposer> {
        let exposer = self.take_from_pipeline(Pipeline::exposer);
        exposer.ok_or_else(|| {
            Error::config(
                "the Prometheus exposition needs the Prometheus exporter: add prometheus to \
                 OTEL_METRICS_EXPORTER (with OTELRS_PROMETHEUS_LISTEN=false when the app's own \
                 server is to serve it alone)",
            )
        })
    }

    /// Takes the state's lock before fork(), forgetting the guard (see [`fork`]).
    pub(crate) fn lock_for_fork(&self) {
        std::mem::forget(self.state.lock());
    }

    /// Releases the lock [`Self::lock_for_fork`] took, in the parent or the child.
    pub(crate) fn unlock_after_fork(&self) {
        // SAFETY: `lock_for_fork` locked the state in this thread (the one that forked) and
        // forgot the guard.
        unsafe { self.state.force_unlock() }
    }

    /// Collects through `pipeline` from now on, pointing every instrument at it.
    ///
    /// # Safety
    /// Only in a forked child while it has a single thread, with the state locked by
    /// [`Self::lock_for_fork`].
    pub(crate) unsafe fn rebuild_in_child(&self, pipeline: Pipeline) {
        // SAFETY: the lock is held (taken before fork) and no other thread exists.
        let state = unsafe { &mut *self.state.data_ptr() };
        if let Some(mut old) = state.install(pipeline) {
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
            let gate = cell
                .gate
                .get()
                .as_ref()
                .map(|g| OverflowGate::new(g.limit()));
            // SAFETY: as above.
            fork::bury(unsafe { cell.gate.replace_in_child(gate) });
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

    /// In a forked child, once the rebuild is over and the locks released: starts what must
    /// not run during it (see [`Pipeline::start_in_child`]).
    pub(crate) fn start_in_child(&self) {
        if let Some(p) = &self.state.lock().pipeline {
            p.start_in_child();
        }
    }
}

/// A meter: creates instruments in one instrumentation scope. Cheap to clone.
#[derive(Clone)]
pub struct Meter {
    registry: Arc<MeterRegistry>,
    scope: InstrumentationScope,
}

impl Meter {
    /// The meter of `scope` in `registry`.
    pub(crate) fn new(registry: &Arc<MeterRegistry>, scope: InstrumentationScope) -> Meter {
        Meter {
            registry: Arc::clone(registry),
            scope,
        }
    }

    /// Creates a synchronous instrument. Creating the same instrument again gives another
    /// handle to the same stream; the same name with another kind, number type, unit or
    /// description is a [`ErrorKind::Conflict`] error.
    pub fn instrument(&self, desc: InstrumentDesc) -> Result<Instrument> {
        self.registry.instrument(&self.scope, desc)
    }

    /// Creates an observable instrument whose `callback` reports its values at each collection.
    pub fn observable(
        &self,
        desc: InstrumentDesc,
        callback: Callback,
    ) -> Result<ObservableInstrument> {
        self.registry
            .observable(&self.scope, desc, callback, ObservedType::Fixed)
    }

    /// Creates an observable instrument whose callback may observe integers (of `desc`'s
    /// number type, which must be an integer one) and floats: a collection whose values are
    /// all integers is exported as integers, one with a float among them as floats (see
    /// [`ObservedType::AsObserved`]).
    pub fn observable_as_observed(
        &self,
        desc: InstrumentDesc,
        callback: Callback,
    ) -> Result<ObservableInstrument> {
        self.registry
            .observable(&self.scope, desc, callback, ObservedType::AsObserved)
    }
}
