//! Observable instruments: Python callbacks (functions taking `CallbackOptions`, or
//! generators receiving it) that return `Observation`s, run at each collection on the otelrs
//! thread with the GIL taken there. A failing callback is reported through the `otelrs`
//! logger of the standard library and the others still report.

use crate::attributes::{as_dict, convert, type_name};
use crate::errors::to_py;
use crate::instruments::{int_kind, number, number_kind};
use crate::sdk;
use otelrs_core::metrics::{InstrumentDesc, InstrumentKind, NumberKind, ObservedType, Observer};
use pyo3::exceptions::{PyStopIteration, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::types::PyFloat;

/// One measurement reported by an observable instrument's callback.
#[pyclass(frozen, module = "otelrs")]
pub(crate) struct Observation {
    value: Py<PyAny>,
    attributes: Option<Py<PyDict>>,
}

#[pymethods]
impl Observation {
    #[new]
    #[pyo3(signature = (value, attributes=None))]
    fn new(value: Py<PyAny>, attributes: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(Observation {
            value,
            attributes: as_dict(attributes)?.map(Bound::unbind),
        })
    }

    /// The value.
    #[getter]
    fn value(&self, py: Python<'_>) -> Py<PyAny> {
        self.value.clone_ref(py)
    }

    /// The attributes, or None.
    #[getter]
    fn attributes(&self, py: Python<'_>) -> Option<Py<PyDict>> {
        self.attributes.as_ref().map(|a| a.clone_ref(py))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Observation({}, {})",
            self.value.bind(py).repr()?,
            match &self.attributes {
                Some(a) => a.bind(py).repr()?.to_string(),
                None => "None".to_owned(),
            }
        ))
    }
}

/// What a callback is given at each collection.
#[pyclass(frozen, module = "otelrs")]
pub(crate) struct CallbackOptions {
    /// How long the callback may take, in milliseconds.
    #[pyo3(get)]
    timeout_millis: f64,
}

enum PyCallback {
    Function(Py<PyAny>),
    /// Advanced to its first `yield` when given (as opentelemetry-sdk does), then sent the
    /// options at each collection.
    Generator(Py<PyAny>),
}

fn callbacks(callbacks: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<PyCallback>> {
    let Some(callbacks) = callbacks.filter(|c| !c.is_none()) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for cb in callbacks
        .try_iter()
        .map_err(|_| PyTypeError::new_err("callbacks must be a list of functions or generators"))?
    {
        let cb = cb?;
        if cb.hasattr("send")? && cb.hasattr("__next__")? {
            cb.call_method0("__next__")?;
            out.push(PyCallback::Generator(cb.unbind()));
        } else if cb.is_callable() {
            out.push(PyCallback::Function(cb.unbind()));
        } else {
            return Err(PyTypeError::new_err(format!(
                "callbacks: {} is neither a function nor a generator",
                type_name(&cb)
            )));
        }
    }
    Ok(out)
}

fn observe_all(
    py: Python<'_>,
    cb: &PyCallback,
    options: &Bound<'_, CallbackOptions>,
    observer: &mut Observer<'_>,
    kind: NumberKind,
    typed: ObservedType,
    name: &str,
) -> PyResult<()> {
    let number = |v: &Bound<'_, PyAny>| match v.cast::<PyFloat>() {
        Ok(f) if typed == ObservedType::AsObserved => {
            Ok(otelrs_core::metrics::Number::F64(f.value()))
        }
        _ => number(v, kind, name),
    };
    let observations = match cb {
        PyCallback::Function(f) => f.bind(py).call1((options,))?,
        PyCallback::Generator(generator) => {
            match generator
                .bind(py)
                .call_method1(intern!(py, "send"), (options,))
            {
                Ok(observations) => observations,
                // A generator that is done observes nothing.
                Err(e) if e.is_instance_of::<PyStopIteration>(py) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    };
    for item in observations.try_iter()? {
        let item = item?;
        if let Ok(obs) = item.cast::<Observation>() {
            let obs = obs.get();
            let value = number(obs.value.bind(py))?;
            let attributes = convert(obs.attributes.as_ref().map(|a| a.bind(py)))?;
            observer.observe(value, &attributes).map_err(to_py)?;
            continue;
        }
        // opentelemetry-api's Observation: its value and attributes.
        let (Ok(value), Ok(attributes)) = (
            item.getattr(intern!(py, "value")),
            item.getattr(intern!(py, "attributes")),
        ) else {
            return Err(PyTypeError::new_err(format!(
                "a callback of {name:?} returned a {} instead of an Observation",
                type_name(&item)
            )));
        };
        let value = number(&value)?;
        let attributes = convert(as_dict(Some(&attributes))?.as_ref())?;
        observer.observe(value, &attributes).map_err(to_py)?;
    }
    Ok(())
}

fn report(py: Python<'_>, name: &str, e: PyErr) {
    if !otelrs_core::diag::enabled(otelrs_core::diag::Level::Warn) {
        return;
    }
    let logged = (|| -> PyResult<()> {
        let logger = py
            .import("logging")?
            .call_method1("getLogger", ("otelrs",))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("exc_info", e.clone_ref(py).into_value(py))?;
        logger.call_method(
            "warning",
            ("a callback of the observable instrument %r failed", name),
            Some(&kwargs),
        )?;
        Ok(())
    })();
    if logged.is_err() {
        e.print(py);
    }
}

/// What the observable instrument classes hold.
pub(crate) struct ObservableInfo {
    name: String,
    unit: String,
}

/// Creates an observable instrument and keeps it alive as long as the SDK.
pub(crate) fn create(
    meter: &otelrs_core::Meter,
    kind: InstrumentKind,
    name: &str,
    callbacks: Option<&Bound<'_, PyAny>>,
    unit: &str,
    description: &str,
    value_type: Option<&Bound<'_, PyAny>>,
) -> PyResult<ObservableInfo> {
    // Without a value type, ints are exported as ints and floats as floats, as
    // opentelemetry-python exports observations.
    let (number_type, typed) = match value_type.filter(|v| !v.is_none()) {
        None => (int_kind(kind), ObservedType::AsObserved),
        given => (number_kind(kind, given)?, ObservedType::Fixed),
    };
    let cbs = self::callbacks(callbacks)?;
    let desc = InstrumentDesc::described(kind, number_type, name, unit, description);
    let owned_name = name.to_owned();
    let callback: otelrs_core::Callback = Box::new(move |observer: &mut Observer<'_>| {
        // None once the interpreter is finalizing: nothing to observe then.
        Python::try_attach(|py| {
            let options = match Bound::new(
                py,
                CallbackOptions {
                    timeout_millis: 30_000.0,
                },
            ) {
                Ok(o) => o,
                Err(e) => return report(py, &owned_name, e),
            };
            for cb in &cbs {
                if let Err(e) =
                    observe_all(py, cb, &options, observer, number_type, typed, &owned_name)
                {
                    report(py, &owned_name, e);
                }
            }
        });
    });
    // The GIL is held: this only gets the token. Created without it: a collection may be
    // running a callback that waits for it.
    let instrument = Python::attach(|py| {
        py.detach(|| match typed {
            ObservedType::Fixed => meter.observable(desc, callback),
            ObservedType::AsObserved => meter.observable_as_observed(desc, callback),
        })
    })
    .map_err(to_py)?;
    sdk::keep(instrument);
    Ok(ObservableInfo {
        name: name.to_owned(),
        unit: unit.to_owned(),
    })
}

macro_rules! observable_class {
    ($class:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "otelrs")]
        pub(crate) struct $class(ObservableInfo);

        impl From<ObservableInfo> for $class {
            fn from(info: ObservableInfo) -> Self {
                $class(info)
            }
        }

        #[pymethods]
        impl $class {
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
        }
    };
}

observable_class!(ObservableCounter, "A monotonic sum reported by callbacks.");
observable_class!(ObservableUpDownCounter, "A sum reported by callbacks.");
observable_class!(ObservableGauge, "A value reported by callbacks.");
