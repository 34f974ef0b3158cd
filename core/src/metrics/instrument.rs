//! The instruments users hold. Each points at an SDK instrument through a [`ForkCell`], so
//! that a forked child can swap in instruments of its rebuilt pipeline without the hot path
//! paying for a lock.

use super::exemplars::{key_of, InstrumentExemplars};
use super::overflow_gate::OverflowGate;
use super::registry::MeterRegistry;
use super::series_cache::{Room, SeriesCache};
use super::{InstrumentDesc, InstrumentKind, Number, NumberKind};
use crate::base::attributes::{normalize, set_hash, sharing_values, AttributeSet};
use crate::base::error::{Error, Result};
use crate::base::fork::ForkCell;
use crate::base::lifecycle::Lifecycle;
use crate::config::ExemplarFilter;
use opentelemetry::metrics::{
    AsyncInstrument, BoundCounter, BoundGauge, BoundHistogram, BoundUpDownCounter, Counter, Gauge,
    Histogram, Meter, UpDownCounter,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use parking_lot::RwLock;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The first byte of a prepared set's key in the series cache.
const SET_KEY_TAG: u8 = 0xFF;

/// Checks that `value` suits an instrument of `kind` and `number`: a comparison or two on
/// every measurement; the message is made out of line when it does not.
#[inline]
fn check_value(kind: InstrumentKind, number: NumberKind, name: &str, value: Number) -> Result<()> {
    let fits = match value {
        Number::F64(v) => {
            number == NumberKind::F64 && v.is_finite() && (v >= 0.0 || !monotonic(kind))
        }
        Number::U64(_) => number == NumberKind::U64,
        Number::I64(_) => number == NumberKind::I64,
    };
    if fits {
        Ok(())
    } else {
        Err(value_error(kind, number, name, value))
    }
}

/// Whether an instrument of `kind` takes no negative value.
#[inline]
fn monotonic(kind: InstrumentKind) -> bool {
    matches!(
        kind,
        InstrumentKind::Counter | InstrumentKind::Histogram | InstrumentKind::ObservableCounter
    )
}

/// Why `value` does not suit an instrument of `kind` and `number` (see [`check_value`]).
#[cold]
#[inline(never)]
fn value_error(kind: InstrumentKind, number: NumberKind, name: &str, value: Number) -> Error {
    match value {
        _ if value.kind() != number => Error::new(
            crate::base::error::ErrorKind::WrongHandle,
            format!(
                "instrument {name:?} records {} values, not {}",
                number.name(),
                value.kind().name()
            ),
        ),
        Number::F64(v) if !v.is_finite() => {
            Error::invalid(format!("instrument {name:?}: {v} is not a finite number"))
        }
        Number::F64(v) => Error::invalid(format!(
            "instrument {name:?}: a {} takes no negative value, got {v}",
            kind.name()
        )),
        // Integers of the instrument's kind always fit.
        _ => Error::invalid(format!("instrument {name:?}: the value does not fit it")),
    }
}

/// The SDK instrument behind an [`Instrument`].
pub(crate) enum SyncInst {
    Disabled,
    CounterU64(Counter<u64>),
    CounterF64(Counter<f64>),
    UpDownI64(UpDownCounter<i64>),
    UpDownF64(UpDownCounter<f64>),
    HistogramU64(Histogram<u64>),
    HistogramF64(Histogram<f64>),
    GaugeU64(Gauge<u64>),
    GaugeI64(Gauge<i64>),
    GaugeF64(Gauge<f64>),
}

macro_rules! sync_builder {
    ($meter:expr, $d:expr, $method:ident) => {
        $meter
            .$method($d.name.clone())
            .with_unit($d.unit.clone())
            .with_description($d.description.clone())
    };
}

macro_rules! histogram_builder {
    ($meter:expr, $d:expr, $method:ident) => {{
        let b = sync_builder!($meter, $d, $method);
        match &$d.boundaries {
            Some(bounds) => b.with_boundaries(bounds.clone()).build(),
            None => b.build(),
        }
    }};
}

impl SyncInst {
    /// The SDK instrument for `d` from `meter`; `d` was validated.
    pub(crate) fn build(meter: &Meter, d: &InstrumentDesc) -> SyncInst {
        use InstrumentKind as K;
        use NumberKind as N;
        match (d.kind, d.number) {
            (K::Counter, N::U64) => {
                SyncInst::CounterU64(sync_builder!(meter, d, u64_counter).build())
            }
            (K::Counter, _) => SyncInst::CounterF64(sync_builder!(meter, d, f64_counter).build()),
            (K::UpDownCounter, N::I64) => {
                SyncInst::UpDownI64(sync_builder!(meter, d, i64_up_down_counter).build())
            }
            (K::UpDownCounter, _) => {
                SyncInst::UpDownF64(sync_builder!(meter, d, f64_up_down_counter).build())
            }
            (K::Histogram, N::U64) => {
                SyncInst::HistogramU64(histogram_builder!(meter, d, u64_histogram))
            }
            (K::Histogram, _) => {
                SyncInst::HistogramF64(histogram_builder!(meter, d, f64_histogram))
            }
            (K::Gauge, N::U64) => SyncInst::GaugeU64(sync_builder!(meter, d, u64_gauge).build()),
            (K::Gauge, N::I64) => SyncInst::GaugeI64(sync_builder!(meter, d, i64_gauge).build()),
            (K::Gauge, N::F64) => SyncInst::GaugeF64(sync_builder!(meter, d, f64_gauge).build()),
            _ => SyncInst::Disabled,
        }
    }

    fn record(&self, value: Number, attrs: &[KeyValue]) {
        match (self, value) {
            (SyncInst::CounterU64(i), Number::U64(v)) => i.add(v, attrs),
            (SyncInst::CounterF64(i), Number::F64(v)) => i.add(v, attrs),
            (SyncInst::UpDownI64(i), Number::I64(v)) => i.add(v, attrs),
            (SyncInst::UpDownF64(i), Number::F64(v)) => i.add(v, attrs),
            (SyncInst::HistogramU64(i), Number::U64(v)) => i.record(v, attrs),
            (SyncInst::HistogramF64(i), Number::F64(v)) => i.record(v, attrs),
            (SyncInst::GaugeU64(i), Number::U64(v)) => i.record(v, attrs),
            (SyncInst::GaugeI64(i), Number::I64(v)) => i.record(v, attrs),
            (SyncInst::GaugeF64(i), Number::F64(v)) => i.record(v, attrs),
            _ => {}
        }
    }

    pub(crate) fn bind(&self, attrs: &[KeyValue]) -> BoundInst {
        match self {
            SyncInst::Disabled => BoundInst::Disabled,
            SyncInst::CounterU64(i) => BoundInst::CounterU64(i.bind(attrs)),
            SyncInst::CounterF64(i) => BoundInst::CounterF64(i.bind(attrs)),
            SyncInst::UpDownI64(i) => BoundInst::UpDownI64(i.bind(attrs)),
            SyncInst::UpDownF64(i) => BoundInst::UpDownF64(i.bind(attrs)),
            SyncInst::HistogramU64(i) => BoundInst::HistogramU64(i.bind(attrs)),
            SyncInst::HistogramF64(i) => BoundInst::HistogramF64(i.bind(attrs)),
            SyncInst::GaugeU64(i) => BoundInst::GaugeU64(i.bind(attrs)),
            SyncInst::GaugeI64(i) => BoundInst::GaugeI64(i.bind(attrs)),
            SyncInst::GaugeF64(i) => BoundInst::GaugeF64(i.bind(attrs)),
        }
    }
}

/// The SDK bound instrument behind a [`BoundInstrument`].
pub(crate) enum BoundInst {
    Disabled,
    /// In a forked child: bound when first recorded through.
    Unbound(Box<LazyBind>),
    CounterU64(BoundCounter<u64>),
    CounterF64(BoundCounter<f64>),
    UpDownI64(BoundUpDownCounter<i64>),
    UpDownF64(BoundUpDownCounter<f64>),
    HistogramU64(BoundHistogram<u64>),
    HistogramF64(BoundHistogram<f64>),
    GaugeU64(BoundGauge<u64>),
    GaugeI64(BoundGauge<i64>),
    GaugeF64(BoundGauge<f64>),
}

/// A bound instrument of a forked child, bound to its instrument's new SDK instrument on the
/// first measurement.
pub(crate) struct LazyBind {
    parent: Arc<InstrumentCell>,
    attrs: AttributeSet,
    bound: OnceLock<BoundInst>,
}

/// Records `value` through the SDK bound instrument `$bound`; `$unbound` handles a bound
/// instrument of a forked child not bound yet. A macro so that the lazy path can record
/// through the same arms without making `record` recursive (which would keep it from being
/// inlined into the recording path).
macro_rules! record_bound {
    ($bound:expr, $value:expr, $unbound:expr) => {
        match ($bound, $value) {
            (BoundInst::CounterU64(i), Number::U64(v)) => i.add(v),
            (BoundInst::CounterF64(i), Number::F64(v)) => i.add(v),
            (BoundInst::UpDownI64(i), Number::I64(v)) => i.add(v),
            (BoundInst::UpDownF64(i), Number::F64(v)) => i.add(v),
            (BoundInst::HistogramU64(i), Number::U64(v)) => i.record(v),
            (BoundInst::HistogramF64(i), Number::F64(v)) => i.record(v),
            (BoundInst::GaugeU64(i), Number::U64(v)) => i.record(v),
            (BoundInst::GaugeI64(i), Number::I64(v)) => i.record(v),
            (BoundInst::GaugeF64(i), Number::F64(v)) => i.record(v),
            (BoundInst::Unbound(lazy), _) => $unbound(&**lazy),
            _ => {}
        }
    };
}

impl BoundInst {
    /// A bound instrument of `parent` for `attrs` that binds when first used.
    pub(crate) fn unbound(parent: Arc<InstrumentCell>, attrs: AttributeSet) -> BoundInst {
        BoundInst::Unbound(Box::new(LazyBind {
            parent,
            attrs,
            bound: OnceLock::new(),
        }))
    }

    #[cold]
    #[inline(never)]
    fn record_unbound(lazy: &LazyBind, value: Number) {
        let bound = lazy
            .bound
            .get_or_init(|| lazy.parent.bind_counted(lazy.attrs.as_slice()));
        // A fresh binding is never `Unbound`.
        record_bound!(bound, value, |_: &LazyBind| {});
    }

    #[inline(always)]
    fn record(&self, value: Number) {
        record_bound!(self, value, |lazy: &LazyBind| Self::record_unbound(
            lazy, value
        ));
    }
}

pub(crate) struct InstrumentCell {
    pub(crate) life: Arc<Lifecycle>,
    /// Where it binds (and registers what it binds).
    pub(crate) registry: Arc<MeterRegistry>,
    pub(crate) scope: InstrumentationScope,
    pub(crate) desc: InstrumentDesc,
    pub(crate) inst: ForkCell<SyncInst>,
    /// Replaced by an empty cache in a forked child: its lock may be held by a thread the
    /// child does not have.
    pub(crate) series: ForkCell<SeriesCache>,
    /// The reservoirs of its exemplars; None when the filter is always_off.
    pub(crate) exemplars: Option<Arc<InstrumentExemplars>>,
    /// The SDK's exemplar filter, for the check every measurement makes.
    pub(crate) exemplar_filter: ExemplarFilter,
    /// What tells a measurement past the cardinality limit without the SDK's lookup; None
    /// where the SDK's series may change once it is full (a delta reader, a view). Replaced
    /// by a new gate in a forked child, whose SDK instrument is new.
    pub(crate) gate: ForkCell<Option<OverflowGate>>,
}

impl InstrumentCell {
    /// The SDK instrument bound to `attrs`, counted in by the overflow gate (a binding may
    /// make an SDK series).
    pub(crate) fn bind_counted(&self, attrs: &[KeyValue]) -> BoundInst {
        let _running = self.gate.get().as_ref().and_then(|g| g.enter(attrs));
        self.inst.get().bind(attrs)
    }

    /// Offers a measurement of the series `attrs` as an exemplar (a branch when exemplars
    /// are off; one global load when they are trace-based and no thread is in a sampled
    /// trace).
    #[inline]
    fn offer_exemplar(&self, attrs: &[KeyValue], value: Number) {
        if self.exemplar_filter.may_take() {
            self.keep_exemplar(attrs, value);
        }
    }

    /// The rest of [`Self::offer_exemplar`], out of the recording path's code.
    #[cold]
    #[inline(never)]
    fn keep_exemplar(&self, attrs: &[KeyValue], value: Number) {
        if let Some(e) = &self.exemplars {
            e.offer(attrs, value);
        }
    }

    /// [`Self::offer_exemplar`] for the series of `bound`, whose key it keeps.
    #[cold]
    #[inline(never)]
    fn offer_bound_exemplar(&self, bound: &BoundCell, value: Number) {
        if let Some(e) = self.exemplars.as_ref().filter(|e| e.takes()) {
            let key = bound
                .exemplar_key
                .get_or_init(|| key_of(bound.attrs.as_slice()).into());
            e.keep(key, value);
        }
    }

    /// [`Self::offer_exemplar`] for the series cached at `position`, whose key the cache
    /// keeps; `convert` gives its attributes the first time. Called with no lock held.
    #[cold]
    #[inline(never)]
    fn offer_cached_exemplar(
        &self,
        series: &SeriesCache,
        position: u32,
        convert: impl FnOnce() -> Result<Vec<KeyValue>>,
        value: Number,
    ) {
        if let Some(e) = self.exemplars.as_ref().filter(|e| e.takes()) {
            let key = series.exemplar_key(position, || {
                let mut attrs = convert().ok()?;
                normalize(&mut attrs).ok()?;
                Some(key_of(&attrs))
            });
            if let Some(key) = key {
                e.keep(&key, value);
            }
        }
    }
}

impl BoundCell {
    /// Offers a measurement of this series as an exemplar (see
    /// [`InstrumentCell::offer_exemplar`]).
    #[inline]
    fn offer_exemplar(&self, value: Number) {
        if self.exemplar_filter.may_take() {
            self.parent.offer_bound_exemplar(self, value);
        }
    }
}

/// A synchronous instrument: counter, up-down counter, histogram or gauge. Thread-safe;
/// valid until dropped, even after the SDK shut down (recording then fails with
/// [`crate::ErrorKind::Shutdown`]).
pub struct Instrument(pub(crate) Arc<InstrumentCell>);

impl Instrument {
    /// Records `value` with `attrs` (best sorted by key: see [`crate::normalize`]): adds to a
    /// counter or up-down counter, records into a histogram, sets a gauge.
    #[inline]
    pub fn record(&self, value: Number, attrs: &[KeyValue]) -> Result<()> {
        let c = &*self.0;
        if c.life.is_shut_down() {
            return Err(Error::shutdown());
        }
        check_value(c.desc.kind, c.desc.number, &c.desc.name, value)?;
        if let (Some(gate), false) = (c.gate.get(), attrs.is_empty()) {
            gate.pass_uncounted();
        }
        c.inst.get().record(value, attrs);
        c.offer_exemplar(attrs, value);
        c.life.confirm_recorded()
    }

    /// Records `value` with a prepared set: after the first time, through a cached bound
    /// instrument found by the set's identity.
    #[inline]
    pub fn record_set(&self, value: Number, set: &AttributeSet) -> Result<()> {
        let mut key = [SET_KEY_TAG; 9];
        key[1..].copy_from_slice(&set.id().to_le_bytes());
        self.record_encoded_hashed(
            value,
            &key,
            || Ok(set.as_slice().to_vec()),
            || set_hash(set.as_slice()),
        )
    }

    /// Records `value` for the attribute list that `encoded` identifies: an exact encoding of
    /// it, chosen by the binding, such that equal bytes mean equal attributes (encodings that
    /// start with the byte 0xFF are reserved for prepared sets). An empty list records
    /// directly. A list seen before (up to [`super::SERIES_CACHE_LIMIT`] per instrument)
    /// records through a cached bound instrument; otherwise `convert` builds the attributes,
    /// which are checked, sorted, bound and cached. A cached series calls `convert` again only
    /// the first time it keeps an exemplar (for the exemplar's series key).
    #[inline]
    pub fn record_encoded(
        &self,
        value: Number,
        encoded: &[u8],
        convert: impl FnMut() -> Result<Vec<KeyValue>>,
    ) -> Result<()> {
        self.record_encoded_hashed(value, encoded, convert, || None)
    }

    /// [`Self::record_encoded`], with `set_hash` giving the list's [`crate::hash_attributes`] (None
    /// when the binding cannot tell it without converting): past the series cache and the
    /// cardinality limit, a list that certainly has no series then goes to the overflow
    /// series without being converted or looked up by the SDK.
    #[inline]
    pub fn record_encoded_hashed(
        &self,
        value: Number,
        encoded: &[u8],
        mut convert: impl FnMut() -> Result<Vec<KeyValue>>,
        set_hash: impl FnOnce() -> Option<u64>,
    ) -> Result<()> {
        let c = &*self.0;
        if c.life.is_shut_down() {
            return Err(Error::shutdown());
        }
        check_value(c.desc.kind, c.desc.number, &c.desc.name, value)?;
        if encoded.is_empty() {
            // No attributes: the SDK's own fast path beats any lookup.
            c.inst.get().record(value, &[]);
            c.offer_exemplar(&[], value);
            return c.life.confirm_recorded();
        }
        let series = c.series.get();
        let room = match series.with(encoded, |inst| inst.record(value)) {
            Ok((position, ())) => {
                if c.exemplar_filter.may_take() {
                    c.offer_cached_exemplar(series, position, &mut convert, value);
                }
                return c.life.confirm_recorded();
            }
            Err(room) => room,
        };
        let gate = c.gate.get().as_ref();
        if room == Room::Full {
            if let Some(gate) = gate {
                if let Some(overflow) = set_hash().and_then(|h| gate.overflow_of(c.inst.get(), h)) {
                    overflow.record(value);
                    c.offer_exemplar(gate.overflow_attrs(), value);
                    return c.life.confirm_recorded();
                }
            }
        }
        let mut attrs = match room {
            // A series cached from now on: its short values shared with the series before.
            Room::Some => sharing_values(convert)?,
            Room::Full => convert()?,
        };
        normalize(&mut attrs)?;
        if room == Room::Full {
            // Past the cache (a flood of distinct sets, most past the cardinality limit):
            // straight to the SDK, with nothing made to keep.
            let _running = gate.and_then(|g| g.enter(&attrs));
            c.inst.get().record(value, &attrs);
            c.offer_exemplar(&attrs, value);
            return c.life.confirm_recorded();
        }
        let inst = c.bind_counted(&attrs);
        inst.record(value);
        c.offer_exemplar(&attrs, value);
        series.insert(encoded, inst);
        c.life.confirm_recorded()
    }

    /// Binds the instrument to `attrs`: recording through the result neither hashes, sorts
    /// nor allocates.
    pub fn bind(&self, attrs: &AttributeSet) -> Result<BoundInstrument> {
        self.0.registry.bind(&self.0, attrs)
    }

    /// Whether its measurements may become exemplars (OTEL_METRICS_EXEMPLAR_FILTER is not
    /// always_off): whether a binding should make its language's trace context current.
    pub fn keeps_exemplars(&self) -> bool {
        self.0.exemplar_filter != ExemplarFilter::AlwaysOff
    }

    /// Whether a binding raises on a recording error (OTELRS_STRICT); otherwise it drops the
    /// measurement and calls [`Self::count_refused`].
    pub fn strict(&self) -> bool {
        self.0.life.strict()
    }

    /// Counts a measurement a binding dropped for a bad value or attribute.
    pub fn count_refused(&self) {
        self.0.life.count_refused();
    }
}

pub(crate) struct BoundCell {
    pub(crate) life: Arc<Lifecycle>,
    pub(crate) kind: InstrumentKind,
    pub(crate) number: NumberKind,
    pub(crate) parent: Arc<InstrumentCell>,
    pub(crate) attrs: AttributeSet,
    pub(crate) inst: ForkCell<BoundInst>,
    /// The exemplar series key of `attrs`, made the first time an exemplar is kept.
    pub(crate) exemplar_key: OnceLock<Box<[u8]>>,
    /// The SDK's exemplar filter, for the check every measurement makes.
    pub(crate) exemplar_filter: ExemplarFilter,
}

/// An instrument bound to one attribute set: the fastest way to record. Cloning is a
/// reference-count increment.
#[derive(Clone)]
pub struct BoundInstrument(pub(crate) Arc<BoundCell>);

impl BoundInstrument {
    /// Whether its measurements may become exemplars (see [`Instrument::keeps_exemplars`]).
    pub fn keeps_exemplars(&self) -> bool {
        self.0.exemplar_filter != ExemplarFilter::AlwaysOff
    }

    /// Records `value` with the bound attributes: inlined into each binding's call, so that
    /// the checks around the SDK's bound call cost a few instructions.
    #[inline(always)]
    pub fn record(&self, value: Number) -> Result<()> {
        let c = &*self.0;
        // No shutdown check before: a measurement after shutdown reaches an SDK series that
        // is never collected again, and the check after says so.
        check_value(c.kind, c.number, &c.parent.desc.name, value)?;
        c.inst.get().record(value);
        c.offer_exemplar(value);
        c.life.confirm_recorded()
    }
}

/// The callback of an observable instrument. It runs on an otelrs thread at each collection.
pub type Callback = Box<dyn Fn(&mut Observer<'_>) + Send + Sync>;

pub(crate) struct ObservableCell {
    pub(crate) scope: InstrumentationScope,
    pub(crate) desc: InstrumentDesc,
    callback: Callback,
    typed: ObservedType,
    alive: AtomicBool,
    /// Held (shared) while the callback runs, taken exclusively by the drop. Replaced in a
    /// forked child: a collection thread the child does not have may have held it.
    pub(crate) running: ForkCell<RwLock<()>>,
}

thread_local! {
    /// The observable cell whose callback this thread is running, if any.
    static IN_CALLBACK: Cell<usize> = const { Cell::new(0) };
}

/// Whether this thread is running an observable instrument's callback.
pub(crate) fn in_callback() -> bool {
    IN_CALLBACK.with(|c| c.get()) != 0
}

enum Target<'a> {
    U64(&'a dyn AsyncInstrument<u64>),
    I64(&'a dyn AsyncInstrument<i64>),
    F64(&'a dyn AsyncInstrument<f64>),
    /// An instrument typed as observed: every observation is kept until the callback ends.
    Gather(&'a mut Vec<(Number, Vec<KeyValue>)>),
}

/// How the values of an observable instrument are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservedType {
    /// Every value is of the instrument's number type.
    Fixed,
    /// Integers and floats are both taken: a collection whose values are all integers is
    /// exported as integers (the instrument's integer number type), one with a float among
    /// them as floats, as opentelemetry-python exports an observation's value.
    AsObserved,
}

/// The floats of one collection of an instrument typed as observed, with their attributes.
type Floats = Vec<(f64, Vec<KeyValue>)>;

thread_local! {
    /// Floats an instrument typed as observed gathered in this thread's collection, kept for
    /// its float stream, whose callback the SDK runs right after (same thread, same pipeline).
    static PENDING_FLOATS: RefCell<Vec<(usize, Floats)>> =
        const { RefCell::new(Vec::new()) };
}

/// What an observable instrument's callback reports through.
pub struct Observer<'a> {
    target: Target<'a>,
    desc: &'a InstrumentDesc,
}

impl Observer<'_> {
    /// Reports `value` for the series `attrs`. Any number of observations may be made per
    /// collection; the last one for a series wins.
    pub fn observe(&mut self, value: Number, attrs: &[KeyValue]) -> Result<()> {
        let number = match (&self.target, value) {
            (Target::Gather(_), Number::F64(_)) => NumberKind::F64,
            _ => self.desc.number,
        };
        check_value(self.desc.kind, number, &self.desc.name, value)?;
        match (&mut self.target, value) {
            (Target::U64(o), Number::U64(v)) => o.observe(v, attrs),
            (Target::I64(o), Number::I64(v)) => o.observe(v, attrs),
            (Target::F64(o), Number::F64(v)) => o.observe(v, attrs),
            (Target::Gather(all), v) => all.push((v, attrs.to_vec())),
            _ => {}
        }
        Ok(())
    }
}

impl ObservableCell {
    pub(crate) fn new(
        scope: InstrumentationScope,
        desc: InstrumentDesc,
        callback: Callback,
        typed: ObservedType,
    ) -> Self {
        ObservableCell {
            scope,
            desc,
            callback,
            typed,
            alive: AtomicBool::new(true),
            running: ForkCell::new(RwLock::new(())),
        }
    }

    fn run(&self, target: Target<'_>) {
        let _running = self.running.get().read();
        if !self.alive.load(Ordering::Acquire) {
            return;
        }
        let mut observer = Observer {
            target,
            desc: &self.desc,
        };
        let previous = IN_CALLBACK.with(|c| c.replace(self as *const _ as usize));
        let outcome = catch_unwind(AssertUnwindSafe(|| (self.callback)(&mut observer)));
        IN_CALLBACK.with(|c| c.set(previous));
        if outcome.is_err() {
            crate::base::diag::error(format_args!(
                "the callback of observable instrument {:?} panicked; its observations of this \
                 collection are lost",
                self.desc.name
            ));
        }
    }

    fn key(&self) -> usize {
        self as *const _ as usize
    }

    /// Runs the callback of an instrument typed as observed for its integer stream `int`:
    /// integers go there when every value is one, else all go (as floats) to the float stream.
    fn run_as_observed(&self, int: Target<'_>) {
        let mut all = Vec::new();
        self.run(Target::Gather(&mut all));
        let key = self.key();
        PENDING_FLOATS.with(|p| p.borrow_mut().retain(|(k, _)| *k != key));
        if all.iter().any(|(v, _)| matches!(v, Number::F64(_))) {
            let floats = all
                .into_iter()
                .map(|(v, attrs)| {
                    let v = match v {
                        Number::U64(v) => v as f64,
                        Number::I64(v) => v as f64,
                        Number::F64(v) => v,
                    };
                    (v, attrs)
                })
                .collect();
            PENDING_FLOATS.with(|p| p.borrow_mut().push((key, floats)));
            return;
        }
        for (v, attrs) in all {
            match (&int, v) {
                (Target::U64(o), Number::U64(v)) => o.observe(v, &attrs),
                (Target::I64(o), Number::I64(v)) => o.observe(v, &attrs),
                _ => {}
            }
        }
    }

    /// Reports to the float stream what [`Self::run_as_observed`] left for it.
    fn observe_pending_floats(&self, float: &dyn AsyncInstrument<f64>) {
        let key = self.key();
        let floats = PENDING_FLOATS.with(|p| {
            let mut p = p.borrow_mut();
            let i = p.iter().position(|(k, _)| *k == key)?;
            Some(p.swap_remove(i).1)
        });
        for (v, attrs) in floats.into_iter().flatten() {
            float.observe(v, &attrs);
        }
    }

    /// Registers the callback with `meter` (the SDK keeps it for the provider's life). An
    /// instrument typed as observed has two streams of one name: the integer one, registered
    /// first so that its callback runs first in each collection, and the float one; only one
    /// of them has points in a collection, so one metric is exported.
    pub(crate) fn register(self: &Arc<Self>, meter: &Meter) {
        use InstrumentKind as K;
        use NumberKind as N;
        let d = &self.desc;
        let as_observed = self.typed == ObservedType::AsObserved;
        macro_rules! build {
            ($method:ident, |$cell:ident, $o:ident| $body:expr) => {{
                let $cell = Arc::clone(self);
                let _ = meter
                    .$method(d.name.clone())
                    .with_unit(d.unit.clone())
                    .with_description(d.description.clone())
                    .with_callback(move |$o| $body)
                    .build();
            }};
        }
        // The integer stream: it runs the callback (and leaves floats to the float stream
        // when the instrument is typed as observed).
        macro_rules! int_stream {
            ($method:ident, $target:ident) => {
                match as_observed {
                    true => build!($method, |cell, o| cell.run_as_observed(Target::$target(o))),
                    false => build!($method, |cell, o| cell.run(Target::$target(o))),
                }
            };
        }
        match (d.kind, d.number) {
            (K::ObservableCounter, N::U64) => int_stream!(u64_observable_counter, U64),
            (K::ObservableUpDownCounter, N::I64) => {
                int_stream!(i64_observable_up_down_counter, I64)
            }
            (K::ObservableGauge, N::U64) => int_stream!(u64_observable_gauge, U64),
            (K::ObservableGauge, N::I64) => int_stream!(i64_observable_gauge, I64),
            _ => {}
        }
        // The float stream: a float instrument's only one, or the second of one typed as
        // observed (registered after the integer one, so that it runs after it).
        if d.number == N::F64 || as_observed {
            macro_rules! float_stream {
                ($method:ident) => {
                    match as_observed {
                        true => build!($method, |cell, o| cell.observe_pending_floats(o)),
                        false => build!($method, |cell, o| cell.run(Target::F64(o))),
                    }
                };
            }
            match d.kind {
                K::ObservableCounter => float_stream!(f64_observable_counter),
                K::ObservableUpDownCounter => float_stream!(f64_observable_up_down_counter),
                K::ObservableGauge => float_stream!(f64_observable_gauge),
                _ => {}
            }
        }
    }
}

/// An observable instrument. Dropping it stops its callback: once the drop returns, the
/// callback is not running and will not run again.
pub struct ObservableInstrument(pub(crate) Arc<ObservableCell>);

impl Drop for ObservableInstrument {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::Release);
        let this = Arc::as_ptr(&self.0) as usize;
        // From inside its own callback the drop must not wait for the callback to end.
        if IN_CALLBACK.with(|c| c.get()) != this {
            drop(self.0.running.get().write());
        }
    }
}
