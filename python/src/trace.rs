//! Trace context from Python: `otelrs.TraceContext` (a parsed W3C traceparent), the
//! `otelrs.traceparent(...)` scope of a thread or asyncio task (a context variable), and
//! opentelemetry-api's current span when the application uses that package. Log records are
//! correlated with it; measurements take it for their exemplars.

use crate::attributes::text;
use crate::errors::to_py;
use otelrs_core::{context, TraceContext};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};
use std::sync::atomic::{AtomicIsize, Ordering};

/// A parsed W3C traceparent.
#[pyclass(frozen, module = "otelrs", name = "TraceContext")]
#[derive(Clone, Copy)]
pub(crate) struct PyTraceContext(pub(crate) TraceContext);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[pymethods]
impl PyTraceContext {
    /// Parses `traceparent` (`00-<trace id>-<span id>-<flags>`): ValueError when it is not one.
    #[new]
    fn new(traceparent: &str) -> PyResult<Self> {
        TraceContext::from_traceparent(traceparent)
            .map(PyTraceContext)
            .map_err(to_py)
    }

    /// The trace id, 32 hex digits.
    #[getter]
    fn trace_id(&self) -> String {
        hex(&self.0.trace_id)
    }

    /// The span id, 16 hex digits.
    #[getter]
    fn span_id(&self) -> String {
        hex(&self.0.span_id)
    }

    /// The trace flags (1: sampled).
    #[getter]
    fn flags(&self) -> u8 {
        self.0.flags
    }

    fn __repr__(&self) -> String {
        format!(
            "TraceContext('00-{}-{}-{:02x}')",
            self.trace_id(),
            self.span_id(),
            self.0.flags
        )
    }
}

/// The context variable `otelrs.traceparent(...)` sets, and its `get` method.
static CURRENT: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

fn current(py: Python<'_>) -> PyResult<&(Py<PyAny>, Py<PyAny>)> {
    CURRENT.get_or_try_init(py, || {
        let var = py
            .import("contextvars")?
            .getattr("ContextVar")?
            .call1(("otelrs_trace_context",))?;
        let get = var.getattr("get")?;
        Ok::<_, PyErr>((var.unbind(), get.unbind()))
    })
}

/// The context variable `otelrs.traceparent(...)` sets.
pub(crate) fn current_var(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    current(py).map(|(var, _)| var.bind(py))
}

/// `otelrs.traceparent` scopes open in any thread or task.
static TRACE_SCOPES: AtomicIsize = AtomicIsize::new(0);

/// Counts `otelrs.traceparent` scopes as they open (+1) and close (-1).
#[pyfunction]
pub(crate) fn _trace_scopes(delta: isize) {
    TRACE_SCOPES.fetch_add(delta, Ordering::Relaxed);
}

/// `sys.modules`, looked up once.
static MODULES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

fn modules(py: Python<'_>) -> PyResult<&Bound<'_, PyDict>> {
    MODULES
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("sys")?
                    .getattr("modules")?
                    .cast_into::<PyDict>()?
                    .unbind(),
            )
        })
        .map(|m| m.bind(py))
}

/// The trace context of an opentelemetry-api span, if its span context is valid.
fn span_context(span: &Bound<'_, PyAny>) -> PyResult<Option<TraceContext>> {
    let py = span.py();
    let sc = span.call_method0(intern!(py, "get_span_context"))?;
    if !sc.getattr(intern!(py, "is_valid"))?.is_truthy()? {
        return Ok(None);
    }
    Ok(Some(TraceContext {
        trace_id: sc
            .getattr(intern!(py, "trace_id"))?
            .extract::<u128>()?
            .to_be_bytes(),
        span_id: sc
            .getattr(intern!(py, "span_id"))?
            .extract::<u64>()?
            .to_be_bytes(),
        flags: sc.getattr(intern!(py, "trace_flags"))?.extract()?,
    }))
}

/// The context of the `otelrs.traceparent` scope this thread or asyncio task is in.
fn scope_context(py: Python<'_>) -> PyResult<Option<TraceContext>> {
    let current = current(py)?.1.bind(py).call1((py.None(),))?;
    Ok(current.cast::<PyTraceContext>().ok().map(|c| c.get().0))
}

/// Puts back the thread's current trace context when dropped.
struct Restore(Option<TraceContext>);

impl Drop for Restore {
    fn drop(&mut self) {
        context::set_current(self.0);
    }
}

/// opentelemetry-api's context variable and the key of the current span in it, once an
/// instrument was made after the application imported opentelemetry-api. These are private
/// names of that package; when they are gone, its spans give no exemplars.
static OTEL_CONTEXT: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

/// Looks for opentelemetry-api's context (see [`OTEL_CONTEXT`]); called when an instrument
/// is made, so that measurements never look in `sys.modules`.
pub(crate) fn find_otel_context(py: Python<'_>) {
    if OTEL_CONTEXT.get(py).is_some() {
        return;
    }
    let found = (|| -> PyResult<Option<(Py<PyAny>, Py<PyAny>)>> {
        if !modules(py)?.contains("opentelemetry.trace")? {
            return Ok(None);
        }
        let var = py
            .import("opentelemetry.context")?
            .getattr("_RUNTIME_CONTEXT")?
            .getattr("_current_context")?;
        let key = py
            .import("opentelemetry.trace.propagation")?
            .getattr("_SPAN_KEY")?;
        Ok(Some((var.unbind(), key.unbind())))
    })();
    if let Ok(Some(found)) = found {
        let _ = OTEL_CONTEXT.set(py, found);
    }
}

/// The trace context of the span in `context`, an opentelemetry-api Context.
fn context_span(py: Python<'_>, context: &Bound<'_, PyAny>) -> Option<TraceContext> {
    find_otel_context(py);
    let (_, key) = OTEL_CONTEXT.get(py)?;
    let span = context
        .call_method1(intern!(py, "get"), (key.bind(py),))
        .ok()?;
    if span.is_none() {
        return None;
    }
    span_context(&span).ok()?
}

/// The trace context of opentelemetry-api's current span, read from its context variable
/// (a method call, and nothing more while no span is current).
fn otel_span_context(py: Python<'_>) -> Option<TraceContext> {
    let (var, key) = OTEL_CONTEXT.get(py)?;
    let ctx = var.bind(py).call_method0(intern!(py, "get")).ok()?;
    if !ctx.is_truthy().ok()? {
        return None;
    }
    span_context(&ctx.get_item(key.bind(py)).ok()?).ok()?
}

/// Runs `record` with the Python trace context as the thread's current one, so that the
/// measurement's exemplar carries it: the span of `context` (an opentelemetry-api Context)
/// when one is given, else the `otelrs.traceparent` scope this thread or asyncio task is in,
/// else opentelemetry-api's current span. Nothing when `keeps_exemplars` is false
/// (always_off); one load, plus a context variable read in applications that use
/// opentelemetry-api, otherwise.
pub(crate) fn in_trace_scope<T>(
    py: Python<'_>,
    keeps_exemplars: bool,
    context: Option<&Bound<'_, PyAny>>,
    record: impl FnOnce() -> T,
) -> T {
    if !keeps_exemplars {
        return record();
    }
    let found = match context.filter(|c| !c.is_none()) {
        Some(context) => context_span(py, context),
        None if TRACE_SCOPES.load(Ordering::Relaxed) > 0 => scope_context(py)
            .ok()
            .flatten()
            .or_else(|| otel_span_context(py)),
        None => otel_span_context(py),
    };
    match found {
        Some(ctx) => {
            let _restore = Restore(context::set_current(Some(ctx)));
            record()
        }
        None => record(),
    }
}

fn otel_api_context(py: Python<'_>) -> PyResult<Option<TraceContext>> {
    // Only when the application imported opentelemetry-api: otelrs never imports it.
    let Some(trace) = modules(py)?.get_item("opentelemetry.trace")? else {
        return Ok(None);
    };
    span_context(&trace.call_method0("get_current_span")?)
}

/// The trace context of a log call: `traceparent` (a str or an `otelrs.TraceContext`) when
/// given, else the `otelrs.traceparent` scope, else opentelemetry-api's current span.
pub(crate) fn trace_context(
    py: Python<'_>,
    traceparent: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<TraceContext>> {
    if let Some(t) = traceparent.filter(|t| !t.is_none()) {
        if let Ok(ctx) = t.cast::<PyTraceContext>() {
            return Ok(Some(ctx.get().0));
        }
        let header = t.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err("traceparent must be a str or an otelrs.TraceContext")
        })?;
        return TraceContext::from_traceparent(text(header)?)
            .map(Some)
            .map_err(to_py);
    }
    match scope_context(py)? {
        Some(ctx) => Ok(Some(ctx)),
        None => otel_api_context(py),
    }
}
