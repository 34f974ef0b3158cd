//! Loggers: `debug` to `critical`, `exception` and `emit`, correlated with a trace given as a
//! traceparent, the one set by `otelrs.traceparent(...)` for the current context, or the
//! current span of opentelemetry-api when that package is in use.

use crate::attributes::{as_dict, pack, text, type_name};
use crate::errors::{to_py, Carried};
use crate::instruments::report_refused_once;
use crate::trace::trace_context;
use otelrs_core::logs::{check_severity, LogStats, RecordBuilder};
use otelrs_core::{Error, ErrorKind, LogBody, LogRecordInput};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PyString, PyTuple,
};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn timestamp(t: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    let seconds: f64 = if t.is_instance_of::<PyFloat>() || t.is_instance_of::<PyInt>() {
        t.extract()?
    } else if t.hasattr("timestamp")? {
        t.call_method0("timestamp")?.extract()?
    } else {
        return Err(PyTypeError::new_err(
            "timestamp must be seconds since the epoch (a number) or a datetime",
        ));
    };
    Duration::try_from_secs_f64(seconds)
        .map(|d| UNIX_EPOCH + d)
        .map_err(|_| PyValueError::new_err(format!("timestamp {seconds} is out of range")))
}

fn severity(s: &Bound<'_, PyAny>) -> PyResult<u8> {
    let n: u32 = s.extract().map_err(|_| {
        PyTypeError::new_err("severity must be an int from 0 to 24 (otelrs.Severity)")
    })?;
    check_severity(n).map_err(to_py)
}

/// Emits records in one instrumentation scope. Thread-safe.
#[pyclass(frozen, module = "otelrs")]
pub(crate) struct Logger {
    inner: otelrs_core::Logger,
    /// A refused log call of this logger was reported (once is enough).
    reported: AtomicBool,
}

impl Logger {
    pub(crate) fn new(inner: otelrs_core::Logger) -> Self {
        Logger {
            inner,
            reported: AtomicBool::new(false),
        }
    }

    /// What a log call answers: its error with OTELRS_STRICT; otherwise the record is
    /// dropped (the call is counted as `refused` in the stats) and the error reported once
    /// per logger on the `otelrs` logger, as for a measurement.
    fn settle(&self, py: Python<'_>, outcome: PyResult<()>) -> PyResult<()> {
        match outcome {
            Ok(()) => Ok(()),
            Err(e) if self.inner.strict() => Err(e),
            Err(e) => {
                report_refused_once(py, &self.reported, "logger", &e, || {
                    "a log record".to_owned()
                });
                Ok(())
            }
        }
    }

    /// `outcome`, with an error counted as a refused log call (one the core never saw).
    fn counted<T>(&self, outcome: PyResult<T>) -> PyResult<T> {
        outcome.inspect_err(|_| self.inner.count_refused())
    }

    /// Emits `body` at `severity` with attributes and a traceparent, settled: what `debug` to
    /// `critical` do.
    fn at(
        &self,
        py: Python<'_>,
        severity: u8,
        body: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        traceparent: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let outcome = self.try_log(
            py,
            severity,
            body,
            attributes,
            Meta::default(),
            traceparent,
            None,
            None,
        );
        self.settle(py, outcome)
    }

    /// Emits a record; the caller settles the outcome ([`Self::settle`]).
    #[allow(clippy::too_many_arguments)]
    fn try_log(
        &self,
        py: Python<'_>,
        severity: u8,
        body: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        meta: Meta,
        traceparent: Option<&Bound<'_, PyAny>>,
        exception: Option<&Bound<'_, PyAny>>,
        code: Option<Code<'_>>,
    ) -> PyResult<()> {
        if !self.inner.enabled(severity) {
            // Counted as filtered (or refused after shutdown) by the core.
            return self
                .inner
                .emit(severity, None, unreachable_build)
                .map_err(to_py);
        }
        let trace = self.counted(trace_context(py, traceparent))?;
        let mut carried = Carried::default();
        let outcome = self.inner.emit(severity, trace, || {
            build(py, body, attributes, exception, code)
                .map(|(record, structured_body)| LogRecordInput {
                    record,
                    event_name: meta.event_name,
                    timestamp: meta.timestamp,
                    severity_text: meta.severity_text,
                    structured_body,
                })
                .map_err(|e| carried.carry(e))
        });
        carried.finish(outcome)
    }
}

/// The build step of a record the core filters out never runs.
fn unreachable_build() -> otelrs_core::Result<LogRecordInput> {
    Err(Error::new(
        ErrorKind::Internal,
        "a filtered record was built",
    ))
}

/// The attributes every `logging.LogRecord` has, and how many a plain one has.
static LOG_RECORD_FIELDS: PyOnceLock<(Py<PyFrozenSet>, usize)> = PyOnceLock::new();

/// `logging.LogRecord`, looked up once.
static LOG_RECORD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// What `record.getMessage()` returns: `str(msg) % args` (or `str(msg)` without arguments),
/// computed here for a plain `logging.LogRecord`; a subclass's own `getMessage` is called.
fn logging_message<'py>(
    py: Python<'py>,
    record: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let plain = LOG_RECORD.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("logging")?.getattr("LogRecord")?.unbind())
    })?;
    if !record.get_type().is(plain.bind(py)) {
        return record.call_method0(intern!(py, "getMessage"));
    }
    let msg = record.getattr(intern!(py, "msg"))?;
    let msg = if msg.is_instance_of::<PyString>() {
        msg
    } else {
        msg.str()?.into_any()
    };
    let args = record.getattr(intern!(py, "args"))?;
    if args.is_truthy()? {
        msg.rem(args)
    } else {
        Ok(msg)
    }
}

/// The `extra=` fields of a `logging` record: whatever a plain record does not have.
fn logging_extra<'py>(
    py: Python<'py>,
    record: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyDict>>> {
    let (standard, plain_len) = LOG_RECORD_FIELDS.get_or_try_init(py, || {
        let plain = py
            .import("logging")?
            .getattr("LogRecord")?
            .call1(("", 0, "", 0, "", PyTuple::empty(py), py.None()))?
            .getattr("__dict__")?
            .cast_into::<PyDict>()?;
        let names = PyFrozenSet::new(
            py,
            plain.keys().iter().chain(
                ["message", "asctime", "taskName"]
                    .iter()
                    .map(|n| PyString::new(py, n).into_any()),
            ),
        )?;
        Ok::<_, PyErr>((names.unbind(), plain.len()))
    })?;
    let fields = record
        .getattr(intern!(py, "__dict__"))?
        .cast_into::<PyDict>()?;
    if fields.len() == *plain_len {
        return Ok(None);
    }
    let standard = standard.bind(py);
    let extra = PyDict::new(py);
    for (k, v) in fields.iter() {
        // A field set to None is left out, as the official handler does.
        if !standard.contains(&k)? && !v.is_none() {
            extra.set_item(k, v)?;
        }
    }
    Ok(Some(extra))
}

/// What a record may carry besides its body, attributes and trace context.
#[derive(Default)]
struct Meta {
    event_name: Option<String>,
    timestamp: Option<SystemTime>,
    /// The severity's name when the caller gives its own.
    severity_text: Option<String>,
}

/// Where a `logging` record was made: file path, function name, line number, and the stack
/// when `stack_info=True` asked for it.
type Code<'a> = (&'a str, &'a str, i64, Option<String>);

/// The deepest a structured body may nest.
const BODY_DEPTH: usize = 32;

/// A body that is not text, as the logs API allows it: None (no body), a bool, int, float,
/// bytes, or a dict (str keys) or list of these; None for a str or any other object, which is
/// logged as its text.
fn structured_body(body: &Bound<'_, PyAny>, depth: usize) -> PyResult<Option<LogBody>> {
    if depth > BODY_DEPTH {
        return Err(PyValueError::new_err(format!(
            "a log body nests deeper than {BODY_DEPTH} levels"
        )));
    }
    let value = if body.is_none() {
        LogBody::None
    } else if let Ok(b) = body.cast::<PyBool>() {
        LogBody::Bool(b.is_true())
    } else if body.is_instance_of::<PyInt>() {
        LogBody::Int(body.extract().map_err(|_| {
            PyValueError::new_err(format!("a log body's int {body} does not fit in 64 bits"))
        })?)
    } else if let Ok(f) = body.cast::<PyFloat>() {
        LogBody::Double(f.value())
    } else if let Ok(b) = body.cast::<PyBytes>() {
        LogBody::Bytes(b.as_bytes().to_vec())
    } else if let Ok(d) = body.cast::<PyDict>() {
        let mut entries = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = k.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!("a log body's keys are str, got {}", type_name(&k)))
            })?;
            entries.push((text(key)?.to_owned(), nested_body(&v, depth)?));
        }
        LogBody::Map(entries)
    } else if body.is_instance_of::<PyList>() || body.is_instance_of::<PyTuple>() {
        let items: PyResult<Vec<LogBody>> = body
            .try_iter()?
            .map(|item| nested_body(&item?, depth))
            .collect();
        LogBody::Array(items?)
    } else {
        return Ok(None);
    };
    Ok(Some(value))
}

/// A value inside a structured body: text when it is not one of the structured kinds.
fn nested_body(value: &Bound<'_, PyAny>, depth: usize) -> PyResult<LogBody> {
    match structured_body(value, depth + 1)? {
        Some(body) => Ok(body),
        None => match value.cast::<PyString>() {
            Ok(s) => Ok(LogBody::Text(text(s)?.to_owned())),
            Err(_) => Ok(LogBody::Text(value.str()?.to_string())),
        },
    }
}

fn build(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    attributes: Option<&Bound<'_, PyAny>>,
    exception: Option<&Bound<'_, PyAny>>,
    code: Option<Code<'_>>,
) -> PyResult<(RecordBuilder, Option<LogBody>)> {
    let body_text;
    let mut structured = None;
    let body = match body.cast::<PyString>() {
        Ok(s) => text(s)?,
        Err(_) => {
            structured = structured_body(body, 0)?;
            body_text = if structured.is_some() {
                String::new()
            } else {
                body.str()?.to_string()
            };
            &body_text
        }
    };
    let dict = as_dict(attributes)?;
    let mut record = RecordBuilder::new(body, dict.as_ref().map_or(0, |d| d.len() * 24) + 96);
    if let Some((path, function, line, stack)) = code {
        record.code(path, function, line).map_err(to_py)?;
        if let Some(stack) = stack {
            record.stacktrace(&stack).map_err(to_py)?;
        }
    }
    if let Some(dict) = &dict {
        pack(dict, &mut record)?;
    }
    if let Some(e) = exception.filter(|e| !e.is_none()) {
        let t = e.get_type();
        let module: String = t.getattr("__module__")?.extract()?;
        let qualname: String = t.qualname()?.extract()?;
        let type_name = if module == "builtins" {
            qualname
        } else {
            format!("{module}.{qualname}")
        };
        let message = e.str()?;
        let lines = py
            .import("traceback")?
            .call_method1("format_exception", (t, e, e.getattr("__traceback__")?))?;
        let stack: String = PyString::new(py, "")
            .call_method1("join", (lines,))?
            .extract()?;
        record
            .exception(&type_name, text(&message)?, &stack)
            .map_err(to_py)?;
    }
    Ok((record, structured))
}

#[pymethods]
impl Logger {
    /// Emits `body` at DEBUG (5).
    #[pyo3(signature = (body, *, attributes=None, traceparent=None))]
    fn debug(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        traceparent: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.at(py, 5, body, attributes, traceparent)
    }

    /// Emits `body` at INFO (9).
    #[pyo3(signature = (body, *, attributes=None, traceparent=None))]
    fn info(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        traceparent: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.at(py, 9, body, attributes, traceparent)
    }

    /// Emits `body` at WARN (13).
    #[pyo3(signature = (body, *, attributes=None, traceparent=None))]
    fn warning(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        traceparent: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.at(py, 13, body, attributes, traceparent)
    }

    /// Emits `body` at ERROR (17).
    #[pyo3(signature = (body, *, attributes=None, traceparent=None))]
    fn error(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        traceparent: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.at(py, 17, body, attributes, traceparent)
    }

    /// Emits `body` at FATAL (21).
    #[pyo3(signature = (body, *, attributes=None, traceparent=None))]
    fn critical(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        traceparent: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.at(py, 21, body, attributes, traceparent)
    }

    /// Emits `body` at ERROR with the exception being handled (or `exc`) as
    /// exception.type, exception.message and exception.stacktrace.
    #[pyo3(signature = (body, *, attributes=None, traceparent=None, exc=None))]
    fn exception(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        attributes: Option<&Bound<'_, PyAny>>,
        traceparent: Option<&Bound<'_, PyAny>>,
        exc: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let current;
        let exc = match exc {
            Some(e) => Some(e),
            None => {
                current = py
                    .import("sys")?
                    .call_method0("exception")
                    .or_else(|_| py.import("sys")?.call_method0("exc_info")?.get_item(1))?;
                Some(&current)
            }
        };
        self.settle(
            py,
            self.try_log(
                py,
                17,
                body,
                attributes,
                Meta::default(),
                traceparent,
                exc,
                None,
            ),
        )
    }

    /// Emits a record: `severity` 1 to 24 or 0 for none (otelrs.Severity; INFO by default), attributes, an event name, the
    /// time it happened (`timestamp`: seconds since the epoch or a datetime, or
    /// `timestamp_ns`: nanoseconds since the epoch; the observed time is always set), a trace
    /// context, an exception, and `severity_text` when the severity has a name of the
    /// source's (a logging library's level name) rather than the specification's.
    #[pyo3(signature = (body, severity=None, *, attributes=None, event_name=None, timestamp=None, traceparent=None, exc=None, timestamp_ns=None, severity_text=None))]
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        severity: Option<&Bound<'_, PyAny>>,
        attributes: Option<&Bound<'_, PyAny>>,
        event_name: Option<String>,
        timestamp: Option<&Bound<'_, PyAny>>,
        traceparent: Option<&Bound<'_, PyAny>>,
        exc: Option<&Bound<'_, PyAny>>,
        timestamp_ns: Option<&Bound<'_, PyAny>>,
        severity_text: Option<String>,
    ) -> PyResult<()> {
        let parsed = self.counted((|| {
            let severity = match severity {
                Some(s) => self::severity(s)?,
                None => 9,
            };
            let timestamp = timestamp.filter(|t| !t.is_none());
            let timestamp = match timestamp_ns.filter(|t| !t.is_none()) {
                Some(_) if timestamp.is_some() => {
                    return Err(PyValueError::new_err(
                        "give timestamp or timestamp_ns, not both",
                    ))
                }
                Some(ns) => Some(
                    UNIX_EPOCH
                        + Duration::from_nanos(ns.extract::<u64>().map_err(|_| {
                            PyValueError::new_err("timestamp_ns must be an int from 0 to 2**64 - 1")
                        })?),
                ),
                None => timestamp.map(self::timestamp).transpose()?,
            };
            Ok((severity, timestamp))
        })());
        let (severity, timestamp) = match parsed {
            Ok(parsed) => parsed,
            Err(e) => return self.settle(py, Err(e)),
        };
        self.settle(
            py,
            self.try_log(
                py,
                severity,
                body,
                attributes,
                Meta {
                    event_name,
                    timestamp,
                    severity_text,
                },
                traceparent,
                exc,
                None,
            ),
        )
    }

    /// Emits a record of the standard library's `logging` at `severity` (the fast path of
    /// `otelrs.LoggingHandler`): its message with the arguments applied (or `handler`'s
    /// formatting when given), `extra` fields, time, exception and source location.
    #[pyo3(signature = (record, severity, handler, /))]
    fn _emit_logging(
        &self,
        py: Python<'_>,
        record: &Bound<'_, PyAny>,
        severity: u32,
        handler: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let mut handed_over = false;
        let outcome = self.try_emit_logging(py, record, severity, handler, &mut handed_over);
        if outcome.is_err() && !handed_over {
            self.inner.count_refused();
        }
        self.settle(py, outcome)
    }

    /// Whether a record of `severity` would pass the minimum severity: a cheap check before
    /// building an expensive one.
    fn enabled(&self, severity: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.inner.enabled(self::severity(severity)?))
    }

    /// What this logger's scope emitted and what became of it.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        stats_dict(py, &self.inner.stats())
    }
}

impl Logger {
    /// `_emit_logging` up to its outcome; `handed_over` is set once the record goes to
    /// `try_log` (which counts what it refuses).
    fn try_emit_logging(
        &self,
        py: Python<'_>,
        record: &Bound<'_, PyAny>,
        severity: u32,
        handler: Option<&Bound<'_, PyAny>>,
        handed_over: &mut bool,
    ) -> PyResult<()> {
        let severity = check_severity(severity).map_err(to_py)?;
        if !self.inner.enabled(severity) {
            *handed_over = true;
            return self
                .inner
                .emit(severity, None, unreachable_build)
                .map_err(to_py);
        }
        let body = match handler {
            Some(h) => h.call_method1(intern!(py, "format"), (record,))?,
            None => logging_message(py, record)?,
        };
        let created: f64 = record.getattr(intern!(py, "created"))?.extract()?;
        let timestamp = Duration::try_from_secs_f64(created)
            .ok()
            .map(|d| UNIX_EPOCH + d);
        let path = record.getattr(intern!(py, "pathname"))?;
        let function = record.getattr(intern!(py, "funcName"))?;
        let line: i64 = record
            .getattr(intern!(py, "lineno"))?
            .extract()
            .unwrap_or(0);
        let path = path.cast::<PyString>().map(text).unwrap_or(Ok(""))?;
        let function = function.cast::<PyString>().map(text).unwrap_or(Ok(""))?;
        let exc_info = record.getattr(intern!(py, "exc_info"))?;
        let exc = match exc_info.cast::<PyTuple>() {
            Ok(t) if t.len() >= 2 => Some(t.get_item(1)?).filter(|e| !e.is_none()),
            _ => None,
        };
        let extra = logging_extra(py, record)?;
        // `stack_info=True`: the stack where the call was made.
        let stack = record.getattr(intern!(py, "stack_info"))?;
        let stack = if stack.is_none() {
            None
        } else {
            Some(stack.str()?.to_string())
        };
        *handed_over = true;
        self.try_log(
            py,
            severity,
            &body,
            extra.as_ref().map(|e| e.as_any()),
            Meta {
                timestamp,
                ..Meta::default()
            },
            None,
            exc.as_ref(),
            Some((path, function, line, stack)),
        )
    }
}

/// `stats` as a dict.
pub(crate) fn stats_dict<'py>(py: Python<'py>, stats: &LogStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, count) in stats.fields() {
        d.set_item(name, count)?;
    }
    Ok(d)
}
