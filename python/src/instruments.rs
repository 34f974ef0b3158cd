//! Meters and the synchronous instruments, with the names of the OpenTelemetry Python API:
//! `Counter.add`, `UpDownCounter.add`, `Histogram.record`, `Gauge.set`, each with `bind` for
//! the hot path, and `Histogram.time` as a context manager and decorator.

use crate::attributes::{as_dict, convert, type_name, with_encoded};
use crate::bound;
use crate::errors::{to_py, Carried};
use crate::observable;
use otelrs_core::metrics::{
    BoundInstrument, Instrument, InstrumentDesc, InstrumentKind, Number, NumberKind,
};
use otelrs_core::AttributeSet;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyType};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The number type `value_type` (int or float) selects for `kind`.
pub(crate) fn number_kind(
    kind: InstrumentKind,
    value_type: Option<&Bound<'_, PyAny>>,
) -> PyResult<NumberKind> {
    let Some(value_type) = value_type.filter(|v| !v.is_none()) else {
        return Ok(NumberKind::F64);
    };
    let py = value_type.py();
    let is = |t: &Bound<'_, PyType>| value_type.is(t);
    if is(&py.get_type::<PyFloat>()) {
        return Ok(NumberKind::F64);
    }
    if is(&py.get_type::<PyInt>()) {
        return Ok(int_kind(kind));
    }
    Err(PyTypeError::new_err(format!(
        "value_type must be int or float, got {}",
        value_type.repr()?
    )))
}

/// The integer number type of `kind`: unsigned where values cannot be negative.
pub(crate) fn int_kind(kind: InstrumentKind) -> NumberKind {
    match kind {
        InstrumentKind::Counter | InstrumentKind::Histogram | InstrumentKind::ObservableCounter => {
            NumberKind::U64
        }
        _ => NumberKind::I64,
    }
}

/// A Python number as the instrument's number type: int or float for a float instrument,
/// int only for an int one.
pub(crate) fn number(v: &Bound<'_, PyAny>, kind: NumberKind, name: &str) -> PyResult<Number> {
    if let Ok(f) = v.cast::<PyFloat>() {
        if kind == NumberKind::F64 {
            return Ok(Number::F64(f.value()));
        }
        return Err(PyTypeError::new_err(format!(
            "instrument {name:?} records int values (value_type=int), got the float {}",
            f.value()
        )));
    }
    if !v.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "instrument {name:?} records numbers, got {}",
            type_name(v)
        )));
    }
    match kind {
        NumberKind::F64 => Ok(Number::F64(v.extract::<f64>()?)),
        NumberKind::I64 => v.extract::<i64>().map(Number::I64).map_err(|_| {
            PyValueError::new_err(format!("instrument {name:?}: {v} does not fit in 64 bits"))
        }),
        NumberKind::U64 => v.extract::<u64>().map(Number::U64).map_err(|_| {
            PyValueError::new_err(format!(
                "instrument {name:?} takes no negative value (or one beyond 64 bits), got {v}"
            ))
        }),
    }
}

/// What every synchronous instrument class holds.
pub(crate) struct SyncInstrument {
    inst: Instrument,
    pub(crate) number: NumberKind,
    pub(crate) name: String,
    unit: String,
    /// A recording error of this instrument was reported (once is enough).
    reported: AtomicBool,
}

impl SyncInstrument {
    fn record(
        &self,
        amount: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        context: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let outcome = self.try_record(amount, attributes, context);
        self.settle(amount.py(), outcome)
    }

    /// What a recording call answers: its error with OTELRS_STRICT; otherwise the measurement
    /// is dropped, counted and reported once per instrument on the `otelrs` logger, as the
    /// OpenTelemetry error-handling principle asks.
    pub(crate) fn settle(&self, py: Python<'_>, outcome: PyResult<()>) -> PyResult<()> {
        match outcome {
            Ok(()) => Ok(()),
            Err(e) if self.inst.strict() => Err(e),
            Err(e) => {
                self.inst.count_refused();
                report_refused_once(py, &self.reported, "instrument", &e, || {
                    format!("a measurement of instrument {:?}", self.name)
                });
                Ok(())
            }
        }
    }

    fn try_record(
        &self,
        amount: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        context: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let value = number(amount, self.number, &self.name)?;
        let dict = as_dict(attributes)?;
        let mut carried = Carried::default();
        let keeps = self.inst.keeps_exemplars();
        let outcome = crate::trace::in_trace_scope(amount.py(), keeps, context, || {
            with_encoded(dict.as_ref(), |encoded| {
                Ok(self.inst.record_encoded(value, encoded, || {
                    convert(dict.as_ref()).map_err(|e| carried.carry(e))
                }))
            })
        })?;
        carried.finish(outcome)
    }

    fn bind(&self, attributes: Option<&Bound<'_, PyAny>>) -> PyResult<BoundInstrument> {
        let dict = as_dict(attributes)?;
        let set = AttributeSet::new(convert(dict.as_ref())?).map_err(to_py)?;
        self.inst.bind(&set).map_err(to_py)
    }
}

/// Says on the `otelrs` logger that a measurement of `name` was dropped, and why.
#[cold]
/// Reports once per instrument or logger (`reported` says whether it was) that `what()` was
/// dropped for `e`, on the `otelrs` logger.
pub(crate) fn report_refused_once(
    py: Python<'_>,
    reported: &AtomicBool,
    per: &str,
    e: &PyErr,
    what: impl FnOnce() -> String,
) {
    if reported.swap(true, Ordering::Relaxed) {
        return;
    }
    let what = what();
    let message = format!(
        "{what} was dropped: {}: {} (reported once per {per}; OTELRS_STRICT=true raises \
         instead)",
        e.get_type(py)
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default(),
        e.value(py)
    );
    crate::diag::report(py, otelrs_core::diag::Level::Warn, &message);
}

macro_rules! sync_class {
    ($class:ident, $method:ident, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "otelrs")]
        pub(crate) struct $class(pub(crate) Arc<SyncInstrument>);

        #[pymethods]
        impl $class {
            /// Records `amount` for the series of `attributes` (a dict, or None); an
            /// exemplar takes its trace context from the span of `context` (an
            /// opentelemetry-api Context) when given, else from the current one.
            #[pyo3(signature = (amount, attributes=None, context=None))]
            fn $method(
                &self,
                amount: &Bound<'_, PyAny>,
                attributes: Option<&Bound<'_, PyAny>>,
                context: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<()> {
                self.0.record(amount, attributes, context)
            }

            /// This instrument bound to `attributes`: recording through it neither reads
            /// nor looks up attributes.
            #[pyo3(signature = (attributes=None))]
            fn bind<'py>(
                &self,
                py: Python<'py>,
                attributes: Option<&Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let bound = self.0.bind(attributes)?;
                bound::new_bound(py, bound::Class::$class, bound, Arc::clone(&self.0))
            }

            /// The instrument's name.
            #[getter]
            fn name(&self) -> &str {
                &self.0.name
            }

            /// The instrument's unit.
            #[getter]
            fn unit(&self) -> &str {
                &self.0.unit
            }

            fn __repr__(&self) -> String {
                format!(concat!(stringify!($class), "({:?})"), self.0.name)
            }

            $($extra)*
        }
    };
}

sync_class!(
    Counter,
    add,
    "A monotonic sum: `add` a non-negative amount.",
    {}
);
sync_class!(
    UpDownCounter,
    add,
    "A sum that goes up and down: `add` any amount.",
    {}
);
sync_class!(Gauge, set, "The last value `set` per series.", {});
sync_class!(
    Histogram,
    record,
    "A distribution of the values `record`ed, in buckets.",
    {
        /// Times a block (`with histogram.time(attributes):`) or every call of a function
        /// (`@histogram.time(attributes)`), recording the duration in the histogram's unit
        /// (s, ms, us or ns; seconds for any other unit).
        #[pyo3(signature = (attributes=None))]
        fn time(slf: &Bound<'_, Self>, attributes: Option<&Bound<'_, PyAny>>) -> PyResult<Timer> {
            let attributes = as_dict(attributes)?.map(Bound::unbind);
            Ok(Timer {
                histogram: slf.clone().unbind(),
                attributes,
                starts: Mutex::new(Vec::new()),
            })
        }
    }
);

/// Measures durations into a histogram: a context manager, and a decorator.
#[pyclass(frozen, module = "otelrs")]
pub(crate) struct Timer {
    histogram: Py<Histogram>,
    attributes: Option<Py<PyDict>>,
    /// Entries not yet exited (one per nested or concurrent `with` of this timer).
    starts: Mutex<Vec<Instant>>,
}

#[pymethods]
impl Timer {
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf.get()
            .starts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Instant::now());
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
        let start = self.starts.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(start) = start {
            let h = &self.histogram.get().0;
            let elapsed =
                start.elapsed().as_secs_f64() * otelrs_core::metrics::units::per_second(&h.unit);
            let amount = match h.number {
                NumberKind::F64 => elapsed.into_pyobject(py)?.into_any(),
                _ => (elapsed.round() as u64).into_pyobject(py)?.into_any(),
            };
            h.record(
                &amount,
                self.attributes.as_ref().map(|a| a.bind(py).as_any()),
                None,
            )?;
        }
        Ok(())
    }

    /// Decorates `func` so that each call is timed.
    fn __call__(&self, py: Python<'_>, func: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let timing = py.import("otelrs._timing")?;
        Ok(timing
            .call_method1(
                "timed",
                (
                    self.histogram.clone_ref(py),
                    self.attributes.as_ref().map(|a| a.clone_ref(py)),
                    func,
                ),
            )?
            .unbind())
    }
}

/// Creates instruments in one instrumentation scope.
#[pyclass(frozen, module = "otelrs")]
pub(crate) struct Meter(pub(crate) otelrs_core::Meter);

impl Meter {
    pub(crate) fn new(meter: otelrs_core::Meter) -> Self {
        Meter(meter)
    }

    fn sync(
        &self,
        kind: InstrumentKind,
        name: &str,
        unit: &str,
        description: &str,
        value_type: Option<&Bound<'_, PyAny>>,
        boundaries: Option<Vec<f64>>,
    ) -> PyResult<Arc<SyncInstrument>> {
        let number = number_kind(kind, value_type)?;
        let mut desc = InstrumentDesc::described(kind, number, name, unit, description);
        desc.boundaries = boundaries;
        // The GIL is held: this only gets the token. Created without it: a collection may
        // be running a callback that waits for it.
        let inst = Python::attach(|py| py.detach(|| self.0.instrument(desc))).map_err(to_py)?;
        Python::attach(crate::trace::find_otel_context);
        Ok(Arc::new(SyncInstrument {
            inst,
            number,
            name: name.to_owned(),
            unit: unit.to_owned(),
            reported: AtomicBool::new(false),
        }))
    }
}

#[pymethods]
impl Meter {
    /// A counter. `value_type=int` records integers (exported as int), float (the default)
    /// records any number.
    #[pyo3(signature = (name, unit="", description="", *, value_type=None))]
    fn create_counter(
        &self,
        name: &str,
        unit: &str,
        description: &str,
        value_type: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Counter> {
        Ok(Counter(self.sync(
            InstrumentKind::Counter,
            name,
            unit,
            description,
            value_type,
            None,
        )?))
    }

    /// An up-down counter.
    #[pyo3(signature = (name, unit="", description="", *, value_type=None))]
    fn create_up_down_counter(
        &self,
        name: &str,
        unit: &str,
        description: &str,
        value_type: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<UpDownCounter> {
        Ok(UpDownCounter(self.sync(
            InstrumentKind::UpDownCounter,
            name,
            unit,
            description,
            value_type,
            None,
        )?))
    }

    /// A histogram; `explicit_bucket_boundaries_advisory` sets its buckets.
    #[pyo3(signature = (name, unit="", description="", *, explicit_bucket_boundaries_advisory=None, value_type=None))]
    fn create_histogram(
        &self,
        name: &str,
        unit: &str,
        description: &str,
        explicit_bucket_boundaries_advisory: Option<Vec<f64>>,
        value_type: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Histogram> {
        Ok(Histogram(self.sync(
            InstrumentKind::Histogram,
            name,
            unit,
            description,
            value_type,
            explicit_bucket_boundaries_advisory,
        )?))
    }

    /// A gauge: the last value set per series.
    #[pyo3(signature = (name, unit="", description="", *, value_type=None))]
    fn create_gauge(
        &self,
        name: &str,
        unit: &str,
        description: &str,
        value_type: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Gauge> {
        Ok(Gauge(self.sync(
            InstrumentKind::Gauge,
            name,
            unit,
            description,
            value_type,
            None,
        )?))
    }

    /// An observable counter: `callbacks` report its values at each collection.
    #[pyo3(signature = (name, callbacks=None, unit="", description="", *, value_type=None))]
    fn create_observable_counter(
        &self,
        name: &str,
        callbacks: Option<&Bound<'_, PyAny>>,
        unit: &str,
        description: &str,
        value_type: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<observable::ObservableCounter> {
        observable::create(
            &self.0,
            InstrumentKind::ObservableCounter,
            name,
            callbacks,
            unit,
            description,
            value_type,
        )
        .map(observable::ObservableCounter::from)
    }

    /// An observable up-down counter.
    #[pyo3(signature = (name, callbacks=None, unit="", description="", *, value_type=None))]
    fn create_observable_up_down_counter(
        &self,
        name: &str,
        callbacks: Option<&Bound<'_, PyAny>>,
        unit: &str,
        description: &str,
        value_type: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<observable::ObservableUpDownCounter> {
        observable::create(
            &self.0,
            InstrumentKind::ObservableUpDownCounter,
            name,
            callbacks,
            unit,
            description,
            value_type,
        )
        .map(observable::ObservableUpDownCounter::from)
    }

    /// An observable gauge.
    #[pyo3(signature = (name, callbacks=None, unit="", description="", *, value_type=None))]
    fn create_observable_gauge(
        &self,
        name: &str,
        callbacks: Option<&Bound<'_, PyAny>>,
        unit: &str,
        description: &str,
        value_type: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<observable::ObservableGauge> {
        observable::create(
            &self.0,
            InstrumentKind::ObservableGauge,
            name,
            callbacks,
            unit,
            description,
            value_type,
        )
        .map(observable::ObservableGauge::from)
    }
}

/// Checks an instrument's name and unit as creating it would, without creating it (for an
/// instrument whose number type its first value decides).
#[pyfunction]
#[pyo3(signature = (name, unit=""))]
pub(crate) fn _check_instrument(name: &str, unit: &str) -> PyResult<()> {
    InstrumentDesc::described(InstrumentKind::Counter, NumberKind::F64, name, unit, "")
        .validate()
        .map_err(to_py)
}
