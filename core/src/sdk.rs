//! The SDK object: settings, the metrics pipeline, and the registry of everything created
//! from it (which is what lets a forked child rebuild).

use crate::attributes::AttributeSet;
use crate::config::{Config, Settings};
use crate::error::{Error, ErrorKind, Result};
use crate::fork;
use crate::fork::ForkCell;
use crate::metrics::instrument::{BoundCell, BoundInst, Callback, InstrumentCell, ObservableCell, SyncInst};
use crate::metrics::json;
use crate::metrics::pipeline::{self, Pipeline};
use crate::metrics::{BoundInstrument, Instrument, InstrumentDesc, ObservableInstrument};
use crate::resource;
use opentelemetry::InstrumentationScope;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How long dropping an SDK that was not shut down may spend exporting what it holds.
pub const DROP_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);

/// Meter scope name, scope version, instrument name in lower case.
type StreamKey = (String, String, String);

#[derive(Default)]
struct State {
    pipeline: Option<Pipeline>,
    streams: HashMap<StreamKey, InstrumentDesc>,
    instruments: Vec<Weak<InstrumentCell>>,
    bounds: Vec<Weak<BoundCell>>,
    observables: Vec<Weak<ObservableCell>>,
}

fn remember<T>(list: &mut Vec<Weak<T>>, item: &Arc<T>) {
    if list.len() >= 64 && list.len().is_power_of_two() {
        list.retain(|w| w.strong_count() > 0);
    }
    list.push(Arc::downgrade(item));
}

/// What the SDK, its meters and its instruments share.
pub(crate) struct SdkShared {
    settings: Settings,
    shut_down: AtomicBool,
    state: Mutex<State>,
}

impl SdkShared {
    #[inline]
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Relaxed)
    }

    fn check_open(&self) -> Result<()> {
        if self.is_shut_down() {
            Err(Error::shutdown())
        } else {
            Ok(())
        }
    }

    /// Registers the stream of `desc` in `scope`, or checks it against the one registered.
    fn claim_stream(state: &mut State, scope: &InstrumentationScope, desc: &InstrumentDesc) -> Result<()> {
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

    fn instrument(self: &Arc<Self>, scope: &InstrumentationScope, desc: InstrumentDesc) -> Result<Instrument> {
        desc.validate()?;
        if desc.kind.is_observable() {
            return Err(Error::invalid(format!(
                "a {} needs a callback",
                desc.kind.name()
            )));
        }
        let mut state = self.state.lock();
        self.check_open()?;
        Self::claim_stream(&mut state, scope, &desc)?;
        let inst = match &state.pipeline {
            Some(p) => SyncInst::build(&p.meter(scope), &desc),
            None => SyncInst::Disabled,
        };
        let cell = Arc::new(InstrumentCell {
            sdk: Arc::clone(self),
            scope: scope.clone(),
            desc,
            inst: ForkCell::new(inst),
        });
        remember(&mut state.instruments, &cell);
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
        let mut state = self.state.lock();
        self.check_open()?;
        Self::claim_stream(&mut state, scope, &desc)?;
        let cell = Arc::new(ObservableCell::new(scope.clone(), desc, callback));
        if let Some(p) = &state.pipeline {
            cell.register(&p.meter(scope));
        }
        remember(&mut state.observables, &cell);
        Ok(ObservableInstrument(cell))
    }

    pub(crate) fn bind(self: &Arc<Self>, parent: &Arc<InstrumentCell>, attrs: &AttributeSet) -> Result<BoundInstrument> {
        let mut state = self.state.lock();
        self.check_open()?;
        let cell = Arc::new(BoundCell {
            sdk: Arc::clone(self),
            kind: parent.desc.kind,
            number: parent.desc.number,
            parent: Arc::clone(parent),
            attrs: attrs.clone(),
            inst: ForkCell::new(parent.inst.get().bind(attrs.as_slice())),
        });
        remember(&mut state.bounds, &cell);
        Ok(BoundInstrument(cell))
    }

    pub(crate) fn lock_for_fork(&self) {
        std::mem::forget(self.state.lock());
    }

    pub(crate) fn unlock_after_fork(&self) {
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
        if state.pipeline.is_none() {
            return;
        }
        let pipeline = match Pipeline::build(&self.settings, resource::build(&self.settings)) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("otelrs: cannot rebuild the metrics pipeline after fork: {e}");
                return;
            }
        };
        if let Some(old) = state.pipeline.replace(pipeline) {
            fork::bury(old);
        }
        let Some(p) = &state.pipeline else { return };
        for cell in state.instruments.iter().filter_map(Weak::upgrade) {
            let inst = SyncInst::build(&p.meter(&cell.scope), &cell.desc);
            // SAFETY: single-threaded child, no reference into the cell is alive.
            fork::bury(unsafe { cell.inst.replace_in_child(inst) });
        }
        for cell in state.bounds.iter().filter_map(Weak::upgrade) {
            let bound: BoundInst = cell.parent.inst.get().bind(cell.attrs.as_slice());
            // SAFETY: as above.
            fork::bury(unsafe { cell.inst.replace_in_child(bound) });
        }
        for cell in state.observables.iter().filter_map(Weak::upgrade) {
            cell.register(&p.meter(&cell.scope));
        }
    }
}

/// An OpenTelemetry SDK: settings, resource, and the metrics pipeline with its exporters.
/// Dropping it without [`Sdk::shutdown`] exports what it can within
/// [`DROP_SHUTDOWN_TIMEOUT`] and then lets go.
pub struct Sdk {
    shared: Arc<SdkShared>,
}

impl Sdk {
    /// Starts an SDK from `config` over the environment.
    pub fn new(config: &Config) -> Result<Sdk> {
        let settings = Settings::resolve(config)?;
        let pipeline = if settings.disabled {
            None
        } else {
            Some(Pipeline::build(&settings, resource::build(&settings))?)
        };
        let shared = Arc::new(SdkShared {
            settings,
            shut_down: AtomicBool::new(false),
            state: Mutex::new(State {
                pipeline,
                ..State::default()
            }),
        });
        fork::track(Arc::downgrade(&shared));
        Ok(Sdk { shared })
    }

    /// Whether OTEL_SDK_DISABLED turned this SDK into a no-op.
    pub fn is_disabled(&self) -> bool {
        self.shared.settings.disabled
    }

    /// A meter for the instrumentation scope `name` (and `version`).
    pub fn meter(&self, name: &str, version: Option<&str>) -> Result<Meter> {
        self.shared.check_open()?;
        if name.is_empty() {
            return Err(Error::invalid("a meter needs a non-empty scope name"));
        }
        let mut scope = InstrumentationScope::builder(name.to_owned());
        if let Some(v) = version.filter(|v| !v.is_empty()) {
            scope = scope.with_version(v.to_owned());
        }
        Ok(Meter {
            sdk: Arc::clone(&self.shared),
            scope: scope.build(),
        })
    }

    /// Collects and exports now through every push exporter, waiting at most `timeout`.
    pub fn force_flush(&self, timeout: Duration) -> Result<()> {
        if self.is_disabled() {
            return Ok(());
        }
        self.shared.check_open()?;
        let commands = self.shared.state.lock().pipeline.as_ref().and_then(Pipeline::commands);
        match commands {
            Some(tx) => pipeline::flush(&tx, timeout),
            None => Ok(()),
        }
    }

    /// Exports what was recorded and stops, returning within `timeout` even when an
    /// exporter's endpoint is unreachable. A second call is a [`ErrorKind::Shutdown`] error.
    pub fn shutdown(&self, timeout: Duration) -> Result<()> {
        if self.shared.shut_down.swap(true, Ordering::AcqRel) {
            return Err(Error::new(ErrorKind::Shutdown, "the SDK was already shut down"));
        }
        let pipeline = self.shared.state.lock().pipeline.take();
        pipeline.map_or(Ok(()), |p| p.shutdown(timeout))
    }

    /// The metrics held by the `memory` exporter now, as one OTLP-JSON
    /// `ExportMetricsServiceRequest`.
    pub fn collect_json(&self) -> Result<String> {
        if self.is_disabled() {
            return Ok(json::empty());
        }
        self.shared.check_open()?;
        let collect = self.shared.state.lock().pipeline.as_ref().and_then(Pipeline::memory_collector);
        match collect {
            Some(collect) => collect(),
            None => Err(Error::config(
                "collecting on demand needs the memory exporter: add memory to OTEL_METRICS_EXPORTER",
            )),
        }
    }
}

impl Drop for Sdk {
    fn drop(&mut self) {
        if !self.shared.is_shut_down() {
            let _ = self.shutdown(DROP_SHUTDOWN_TIMEOUT);
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
    pub fn observable(&self, desc: InstrumentDesc, callback: Callback) -> Result<ObservableInstrument> {
        self.sdk.observable(&self.scope, desc, callback)
    }

    /// The scope name.
    pub fn name(&self) -> &str {
        self.scope.name()
    }
}
