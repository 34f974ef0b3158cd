//! The process's one otelrs SDK, as the OpenTelemetry Python API has one global provider:
//! `init` builds it from the environment and keyword settings, `get_meter` and `get_logger`
//! use it (building it from the environment alone when `init` was not called), `force_flush`
//! and `shutdown` release the GIL while they wait.

use crate::attributes::{as_dict, convert, text};
use crate::errors::{to_py, ConfigError, ShutdownError};
use crate::instruments::Meter;
use crate::logs::Logger;
use otelrs_core::metrics::ObservableInstrument;
use otelrs_core::{AttributeSet, Config, Scope, Sdk};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Default)]
struct Global {
    sdk: Option<Arc<Sdk>>,
    /// Observable instruments live as long as the SDK, as in the official SDK: a callback
    /// registered without keeping the instrument still reports.
    observables: Vec<ObservableInstrument>,
}

static GLOBAL: Mutex<Global> = Mutex::new(Global {
    sdk: None,
    observables: Vec::new(),
});

fn global() -> MutexGuard<'static, Global> {
    GLOBAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The timeout for waiting at interpreter exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);

fn base_config() -> PyResult<Config> {
    let mut config = Config::new();
    config
        .set("OTELRS_TELEMETRY_SDK_LANGUAGE", "python")
        .map_err(to_py)?;
    Ok(config)
}

/// The SDK, built from the environment if `init` was not called.
pub(crate) fn current(py: Python<'_>) -> PyResult<Arc<Sdk>> {
    if let Some(sdk) = &global().sdk {
        return Ok(Arc::clone(sdk));
    }
    let config = base_config()?;
    let sdk = Arc::new(py.detach(|| Sdk::new(&config)).map_err(to_py)?);
    // Without the GIL: a collection may already be running a callback that waits for it.
    let runtime = py
        .detach(|| crate::runtime_metrics::register(&sdk))
        .map_err(to_py)?;
    let mut g = global();
    if g.sdk.is_none() {
        g.observables.extend(runtime);
    }
    Ok(Arc::clone(g.sdk.get_or_insert(sdk)))
}

/// Keeps an observable instrument alive with the SDK.
pub(crate) fn keep(observable: ObservableInstrument) {
    global().observables.push(observable);
}

/// Sets the setting `name` names (an exact key, or with `keyword` also its keyword form) to
/// `v`: a dict as key-value pairs, anything else as its text (see [`setting_value`]).
fn set_value(config: &mut Config, name: &str, v: &Bound<'_, PyAny>, keyword: bool) -> PyResult<()> {
    if let Ok(d) = v.cast::<PyDict>() {
        // The dict replaces what was set before (an earlier argument naming the same key).
        if keyword {
            config.set_named(name, "").map_err(to_py)?;
        } else {
            config.set(name, "").map_err(to_py)?;
        }
        for (k, val) in d.iter() {
            let (k, val) = (k.str()?, val.str()?);
            config
                .add_pair(name, text(&k)?, text(&val)?)
                .map_err(to_py)?;
        }
        return Ok(());
    }
    let value = setting_value(name, v)?;
    if keyword {
        config.set_named(name, &value).map(drop).map_err(to_py)
    } else {
        config.set(name, &value).map_err(to_py)
    }
}

/// A setting's value as text: str as it is, bool as true/false, numbers, a sequence as a
/// comma list, a path.
fn setting_value(key: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_string());
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(if b.is_true() { "true" } else { "false" }.to_owned());
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items: PyResult<Vec<String>> =
            v.try_iter()?.map(|i| Ok(i?.str()?.to_string())).collect();
        return Ok(items?.join(","));
    }
    let os = v.py().import("os")?;
    if let Ok(p) = os.call_method1("fspath", (v,)) {
        return Ok(p.str()?.to_string());
    }
    if v.is_instance_of::<pyo3::types::PyInt>() || v.is_instance_of::<pyo3::types::PyFloat>() {
        return Ok(v.str()?.to_string());
    }
    Err(PyValueError::new_err(format!(
        "setting {key}: cannot use a {} as its value",
        crate::attributes::type_name(v)
    )))
}

/// A view's value as text items: a list's items, or the one value (bool as true/false).
fn view_items(v: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let one = |v: &Bound<'_, PyAny>| -> PyResult<String> {
        if let Ok(b) = v.cast::<PyBool>() {
            return Ok(if b.is_true() { "true" } else { "false" }.to_owned());
        }
        Ok(v.str()?.to_string())
    };
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        return v.try_iter()?.map(|i| one(&i?)).collect();
    }
    Ok(vec![one(v)?])
}

/// `views=`: a list of views, each a dict of the view keys (lists for `boundaries` and
/// `attribute_keys`) or a str in the text form of OTELRS_METRICS_VIEWS.
fn add_views(config: &mut Config, views: &Bound<'_, PyAny>) -> PyResult<()> {
    if views.is_none() {
        return Ok(());
    }
    if views.is_instance_of::<PyString>() || views.is_instance_of::<PyDict>() {
        return Err(PyTypeError::new_err(
            "views must be a list of views (dicts or strings), not a single view",
        ));
    }
    for view in views.try_iter()? {
        let view = view?;
        let text = if let Ok(s) = view.cast::<PyString>() {
            s.to_string()
        } else if let Ok(d) = view.cast::<PyDict>() {
            let mut pairs = Vec::new();
            for (k, v) in d.iter() {
                let key = k.str()?.to_string();
                pairs.extend(view_items(&v)?.into_iter().map(|item| (key.clone(), item)));
            }
            config
                .add_view_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(to_py)?;
            continue;
        } else {
            return Err(PyTypeError::new_err(format!(
                "a view is a dict or a str, got {}",
                view.get_type().name()?
            )));
        };
        config.add_view(&text).map_err(to_py)?;
    }
    Ok(())
}

/// Builds the SDK: the environment first, then `settings` (a dict of exact keys such as
/// "OTEL_SERVICE_NAME") and the keywords (service_name=...) override it key by key; `views`
/// are added after those of OTELRS_METRICS_VIEWS; `log_exporters` and `metric_exporters`
/// (exporters written in Python, see `exporter.rs`) beside those of the settings;
/// `on_health_change(status, report)` is told of each change of the health status. An SDK
/// built before must be shut down first.
#[pyfunction]
#[pyo3(signature = (settings=None, *, views=None, log_exporters=None, metric_exporters=None, on_health_change=None, **kwargs))]
pub(crate) fn init(
    py: Python<'_>,
    settings: Option<&Bound<'_, PyDict>>,
    views: Option<&Bound<'_, PyAny>>,
    log_exporters: Option<&Bound<'_, PyAny>>,
    metric_exporters: Option<&Bound<'_, PyAny>>,
    on_health_change: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let mut config = base_config()?;
    if let Some(told) = on_health_change {
        set_health_callback(&mut config, told)?;
    }
    if let Some(views) = views {
        add_views(&mut config, views)?;
    }
    for (exporters, logs) in [(log_exporters, true), (metric_exporters, false)] {
        if let Some(exporters) = exporters {
            crate::exporter::add(&mut config, exporters, logs)?;
        }
    }
    for (given, keyword) in [(settings, false), (kwargs, true)] {
        for (k, v) in given.into_iter().flat_map(|d| d.iter()) {
            if !v.is_none() {
                set_value(&mut config, &k.str()?.to_string(), &v, keyword)?;
            }
        }
    }
    if global().sdk.as_ref().is_some_and(|s| !s.is_shut_down()) {
        return Err(ConfigError::new_err(
            "otelrs is already initialised (init was called, or a meter or logger was taken \
             before it): call init first, or otelrs.shutdown() before calling it again",
        ));
    }
    let sdk = Arc::new(py.detach(|| Sdk::new(&config)).map_err(to_py)?);
    // Without the GIL: a collection may already be running a callback that waits for it.
    let runtime = py
        .detach(|| crate::runtime_metrics::register(&sdk))
        .map_err(to_py)?;
    let mut g = global();
    g.observables = runtime;
    g.sdk = Some(sdk);
    Ok(())
}

fn timeout(seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        PyValueError::new_err(format!(
            "timeout must be a number of seconds >= 0, got {seconds}"
        ))
    })
}

/// Collects and exports the metrics and queued log records now, waiting at most `timeout`
/// seconds; the GIL is released meanwhile (observable callbacks run). ExportError when an
/// exporter failed or did not finish in time.
#[pyfunction]
#[pyo3(signature = (timeout=30.0))]
pub(crate) fn force_flush(py: Python<'_>, timeout: f64) -> PyResult<()> {
    let t = self::timeout(timeout)?;
    let Some(sdk) = global().sdk.clone() else {
        return Ok(());
    };
    py.detach(|| sdk.force_flush(t)).map_err(to_py)
}

/// Exports what was recorded and stops, within `timeout` seconds even when an endpoint is
/// unreachable. Meters, instruments and loggers taken before then raise ShutdownError.
#[pyfunction]
#[pyo3(signature = (timeout=30.0))]
pub(crate) fn shutdown(py: Python<'_>, timeout: f64) -> PyResult<()> {
    let t = self::timeout(timeout)?;
    let Some(sdk) = global().sdk.clone() else {
        return Ok(());
    };
    let outcome = py.detach(|| sdk.shutdown(t));
    global().observables.clear();
    outcome.map_err(to_py)
}

/// What `atexit` runs: shuts down within a few seconds, whatever the endpoint does.
#[pyfunction]
pub(crate) fn _shutdown_at_exit(py: Python<'_>) {
    let Some(sdk) = global().sdk.clone() else {
        return;
    };
    if sdk.is_shut_down() {
        return;
    }
    if let Err(e) = py.detach(|| sdk.shutdown(EXIT_TIMEOUT)) {
        crate::diag::report(
            py,
            otelrs_core::diag::Level::Error,
            &format!("at exit: {}", e.message()),
        );
    }
}

/// A meter for the instrumentation scope `name` (and `version`, `schema_url`, `attributes`).
#[pyfunction]
#[pyo3(signature = (name, version=None, schema_url=None, attributes=None))]
pub(crate) fn get_meter(
    py: Python<'_>,
    name: &str,
    version: Option<&str>,
    schema_url: Option<&str>,
    attributes: Option<&Bound<'_, PyAny>>,
) -> PyResult<Meter> {
    let sdk = current(py)?;
    with_scope(name, version, schema_url, attributes, |scope| {
        sdk.meter_of(scope).map(Meter::new)
    })
}

/// Calls `make` with the instrumentation scope of these arguments (the attributes a dict, or
/// None).
fn with_scope<T>(
    name: &str,
    version: Option<&str>,
    schema_url: Option<&str>,
    attributes: Option<&Bound<'_, PyAny>>,
    make: impl FnOnce(&Scope<'_>) -> otelrs_core::Result<T>,
) -> PyResult<T> {
    let attributes = convert(as_dict(attributes)?.as_ref())?;
    let attributes = if attributes.is_empty() {
        None
    } else {
        Some(AttributeSet::new(attributes).map_err(to_py)?)
    };
    make(&Scope {
        name,
        version,
        schema_url,
        attributes: attributes.as_ref(),
    })
    .map_err(to_py)
}

/// A logger for the instrumentation scope `name` (and `version`, `schema_url`, `attributes`).
#[pyfunction]
#[pyo3(signature = (name, version=None, schema_url=None, attributes=None))]
pub(crate) fn get_logger(
    py: Python<'_>,
    name: &str,
    version: Option<&str>,
    schema_url: Option<&str>,
    attributes: Option<&Bound<'_, PyAny>>,
) -> PyResult<Logger> {
    let sdk = current(py)?;
    with_scope(name, version, schema_url, attributes, |scope| {
        sdk.logger_of(scope).map(Logger::new)
    })
}

/// The metrics held by the `memory` exporter now, as OTLP JSON (an
/// ExportMetricsServiceRequest); observable callbacks run meanwhile.
#[pyfunction]
pub(crate) fn collect_json(py: Python<'_>) -> PyResult<String> {
    let sdk = initialised()?;
    py.detach(|| sdk.collect_json()).map_err(to_py)
}

/// The series of histogram `name` with exactly `attributes`, collected now (from the memory
/// exporter's reader, else the Prometheus endpoint's): `count`, `sum`, `min`, `max` (None
/// when not kept), `quantiles` ({q: estimate}) and `relative_error` (the bound of exponential
/// buckets' estimates, None for explicit buckets). `quantiles` is (0.5, 0.9, 0.99) by default.
#[pyfunction]
#[pyo3(signature = (name, attributes=None, quantiles=vec![0.5, 0.9, 0.99]))]
pub(crate) fn histogram_summary<'py>(
    py: Python<'py>,
    name: &str,
    attributes: Option<&Bound<'py, PyDict>>,
    quantiles: Vec<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let sdk = initialised()?;
    let attrs = convert(attributes)?;
    let s = py
        .detach(|| sdk.histogram_summary(name, &attrs, &quantiles))
        .map_err(to_py)?;
    let out = PyDict::new(py);
    out.set_item("count", s.count)?;
    out.set_item("sum", s.sum)?;
    out.set_item("min", s.min)?;
    out.set_item("max", s.max)?;
    let estimates = PyDict::new(py);
    for (q, v) in quantiles.iter().zip(&s.quantiles) {
        estimates.set_item(q, v)?;
    }
    out.set_item("quantiles", estimates)?;
    out.set_item("relative_error", s.relative_error)?;
    Ok(out)
}

/// `told(status, report)` is called on otelrs's `otelrs-health` thread, with the GIL taken
/// there, at each change of the health status, with the report as a dict; what it raises is
/// reported on the `otelrs` logger.
fn set_health_callback(config: &mut Config, told: &Bound<'_, PyAny>) -> PyResult<()> {
    if !told.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "on_health_change must be callable (status, report), got {}",
            crate::attributes::type_name(told)
        )));
    }
    let told = told.clone().unbind();
    config.set_health_callback(Box::new(move |status: &str, report: &str| {
        // None once the interpreter is finalizing.
        let _ = Python::try_attach(|py| {
            let called = py
                .import("json")
                .and_then(|json| json.call_method1("loads", (report,)))
                .and_then(|report| told.bind(py).call1((status, report)));
            if let Err(e) = called {
                otelrs_core::diag::report(
                    otelrs_core::diag::Level::Error,
                    format_args!("the health callback raised {e}"),
                );
            }
        });
    }));
    Ok(())
}

/// The SDK, without making one.
fn initialised() -> PyResult<Arc<Sdk>> {
    global()
        .sdk
        .clone()
        .ok_or_else(|| ShutdownError::new_err("otelrs is not initialised"))
}

/// The health report of the pipeline as JSON text (`otelrs.health()` parses it).
#[pyfunction]
pub(crate) fn _health_json(py: Python<'_>) -> PyResult<String> {
    let sdk = current(py)?;
    Ok(py.detach(|| sdk.health_json()))
}

/// What the loggers emitted and what became of it: a dict of counts (emitted, filtered,
/// sampled_out, suppressed, kept, dropped, attributes_dropped, refused).
#[pyfunction]
pub(crate) fn log_stats(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let stats = match global().sdk.clone() {
        Some(sdk) => sdk.log_stats(),
        None => Default::default(),
    };
    crate::logs::stats_dict(py, &stats)
}

/// The answer to a Prometheus scrape with these Accept and Accept-Encoding headers: the
/// body, its Content-Type and its Content-Encoding (None when not compressed). The
/// collection runs without the GIL (callbacks take it on otelrs's threads).
#[pyfunction]
pub(crate) fn _prometheus_exposition(
    py: Python<'_>,
    accept: &str,
    accept_encoding: &str,
) -> PyResult<(Py<PyBytes>, &'static str, Option<&'static str>)> {
    let sdk = initialised()?;
    let e = py
        .detach(|| sdk.prometheus_exposition(accept, accept_encoding))
        .map_err(to_py)?;
    Ok((
        PyBytes::new(py, &e.body).unbind(),
        e.content_type,
        e.content_encoding,
    ))
}

/// The error `_prometheus_exposition` would give for want of the Prometheus exporter, if
/// otelrs is initialised.
#[pyfunction]
pub(crate) fn _check_prometheus_exposition() -> PyResult<()> {
    match global().sdk.clone() {
        Some(sdk) => sdk.check_prometheus_exposition().map_err(to_py),
        None => Ok(()),
    }
}
