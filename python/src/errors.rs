//! otelrs's exceptions, and the mapping of the core's error kinds onto them and onto
//! Python's own ValueError and TypeError.

use otelrs_core::{Error, ErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    otelrs,
    OtelrsError,
    PyException,
    "The base of otelrs's own errors."
);
create_exception!(
    otelrs,
    ConfigError,
    OtelrsError,
    "A setting is unknown, or its value is invalid; the message names the key and the value."
);
create_exception!(
    otelrs,
    ConflictError,
    OtelrsError,
    "An instrument of this name already exists with another kind, unit or description."
);
create_exception!(
    otelrs,
    ShutdownError,
    OtelrsError,
    "otelrs was shut down: nothing more is recorded."
);
create_exception!(
    otelrs,
    ExportError,
    OtelrsError,
    "An exporter could not deliver, or did not finish in time."
);

/// The Python exception for a core error.
pub(crate) fn to_py(e: Error) -> PyErr {
    let message = e.message().to_owned();
    match e.kind() {
        ErrorKind::Config => ConfigError::new_err(message),
        ErrorKind::Conflict => ConflictError::new_err(message),
        ErrorKind::Shutdown => ShutdownError::new_err(message),
        ErrorKind::Export | ErrorKind::Timeout => ExportError::new_err(message),
        ErrorKind::InvalidArgument | ErrorKind::InvalidUtf8 => PyValueError::new_err(message),
        ErrorKind::Null | ErrorKind::WrongHandle => PyTypeError::new_err(message),
        ErrorKind::Panic | ErrorKind::Internal | ErrorKind::InCallback => {
            OtelrsError::new_err(message)
        }
    }
}

/// A Python error raised inside a closure the core runs (converting attributes, building a
/// log record): the core gets a placeholder error, and the Python error is what the caller
/// raises.
#[derive(Default)]
pub(crate) struct Carried(Option<PyErr>);

impl Carried {
    /// Keeps `e` and gives the core an error to stop with.
    pub(crate) fn carry(&mut self, e: PyErr) -> Error {
        self.0 = Some(e);
        Error::new(ErrorKind::InvalidArgument, "")
    }

    /// The outcome of the core's call as Python sees it: the carried error first.
    pub(crate) fn finish<T>(self, outcome: otelrs_core::Result<T>) -> PyResult<T> {
        match (outcome, self.0) {
            (_, Some(e)) => Err(e),
            (outcome, None) => outcome.map_err(to_py),
        }
    }
}

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("OtelrsError", py.get_type::<OtelrsError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add("ShutdownError", py.get_type::<ShutdownError>())?;
    m.add("ExportError", py.get_type::<ExportError>())?;
    Ok(())
}
