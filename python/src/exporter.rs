//! Exporters written in Python: `init(log_exporters=..., metric_exporters=...)` takes a dict
//! of names to callables (each given every batch as OTLP JSON bytes) or a list of
//! `otelrs.Exporter` (name, function, format "json" or "protobuf"). A function runs on an
//! otelrs thread with the GIL taken there; None or True is success, `ExportResult.RETRY`
//! asks to be called again with the batch, False, `ExportResult.FAILURE` or an exception fail
//! it.

use crate::attributes::type_name;
use crate::errors::to_py;
use otelrs_core::{Config, ExportFn, ExportFormat, ExportResult};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt};

/// What the function's answer means.
fn result(answer: PyResult<Bound<'_, PyAny>>) -> ExportResult {
    let answer = match answer {
        Ok(a) => a,
        Err(e) => return ExportResult::Failure(format!("raised {e}")),
    };
    if answer.is_none() {
        return ExportResult::Success;
    }
    if let Ok(b) = answer.cast::<PyBool>() {
        return match b.is_true() {
            true => ExportResult::Success,
            false => ExportResult::Failure("returned False".to_owned()),
        };
    }
    let code = answer
        .cast::<PyInt>()
        .ok()
        .and_then(|n| n.extract::<i64>().ok());
    match code.and_then(|code| ExportResult::from_code(code, None)) {
        Some(result) => result,
        None => ExportResult::Failure(format!(
            "returned {} (not None, a bool or an ExportResult)",
            answer
                .repr()
                .map_or_else(|_| type_name(&answer), |r| r.to_string())
        )),
    }
}

/// The core's function for the Python callable `f`.
fn export_fn(f: Py<PyAny>) -> ExportFn {
    Box::new(move |batch: &[u8]| {
        // None once the interpreter is finalizing.
        Python::try_attach(|py| result(f.bind(py).call1((PyBytes::new(py, batch),))))
            .unwrap_or_else(|| ExportResult::Failure("the interpreter is shutting down".to_owned()))
    })
}

fn format(v: &Bound<'_, PyAny>) -> PyResult<ExportFormat> {
    match v.extract::<String>()?.as_str() {
        "json" => Ok(ExportFormat::Json),
        "protobuf" => Ok(ExportFormat::Protobuf),
        other => Err(PyValueError::new_err(format!(
            "an exporter's format is \"json\" or \"protobuf\", got {other:?}"
        ))),
    }
}

/// Registers the exporters `given` for logs (`logs`) or metrics.
pub(crate) fn add(config: &mut Config, given: &Bound<'_, PyAny>, logs: bool) -> PyResult<()> {
    if given.is_none() {
        return Ok(());
    }
    let mut entries = Vec::new();
    if let Ok(d) = given.cast::<PyDict>() {
        for (name, f) in d.iter() {
            entries.push((name.str()?.to_string(), ExportFormat::Json, f));
        }
    } else {
        for item in given.try_iter().map_err(|_| {
            PyTypeError::new_err(
                "exporters are a dict of names to functions or a list of otelrs.Exporter",
            )
        })? {
            let item = item?;
            let (Ok(name), Ok(f), Ok(fmt)) = (
                item.getattr("name"),
                item.getattr("function"),
                item.getattr("format"),
            ) else {
                return Err(PyTypeError::new_err(format!(
                    "an exporter in a list is an otelrs.Exporter, got {}",
                    type_name(&item)
                )));
            };
            entries.push((name.str()?.to_string(), format(&fmt)?, f));
        }
    }
    for (name, format, f) in entries {
        if !f.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "exporter {name:?}: {} is not callable",
                type_name(&f)
            )));
        }
        let export = export_fn(f.unbind());
        match logs {
            true => config.add_log_exporter(&name, format, export),
            false => config.add_metric_exporter(&name, format, export),
        }
        .map_err(to_py)?;
    }
    Ok(())
}
