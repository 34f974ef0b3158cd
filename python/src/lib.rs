//! `otelrs._otelrs`: the extension module behind the `otelrs` Python package. It converts
//! between Python and the otelrs core, which does all the work (the same core as the C
//! library's).

mod attributes;
mod bound;
mod diag;
mod errors;
mod exporter;
mod http;
mod instruments;
mod logs;
mod observable;
mod runtime_metrics;
mod sdk;
mod trace;

use pyo3::prelude::*;

#[pymodule]
fn _otelrs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", otelrs_core::VERSION)?;
    diag::install();
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(sdk::init, m)?)?;
    m.add_function(wrap_pyfunction!(instruments::_check_instrument, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::force_flush, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::_shutdown_at_exit, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::get_meter, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::get_logger, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::collect_json, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::histogram_summary, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::_prometheus_exposition, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::_check_prometheus_exposition, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::log_stats, m)?)?;
    m.add_function(wrap_pyfunction!(sdk::_health_json, m)?)?;
    m.add_function(wrap_pyfunction!(trace::_trace_scopes, m)?)?;
    m.add_class::<instruments::Meter>()?;
    m.add_class::<instruments::Counter>()?;
    m.add_class::<instruments::UpDownCounter>()?;
    m.add_class::<instruments::Histogram>()?;
    m.add_class::<instruments::Gauge>()?;
    bound::register(m)?;
    m.add_class::<instruments::Timer>()?;
    m.add_class::<observable::Observation>()?;
    m.add_class::<observable::CallbackOptions>()?;
    m.add_class::<observable::ObservableCounter>()?;
    m.add_class::<observable::ObservableUpDownCounter>()?;
    m.add_class::<observable::ObservableGauge>()?;
    m.add_class::<http::HttpServer>()?;
    m.add_class::<http::HttpRequest>()?;
    m.add_class::<logs::Logger>()?;
    m.add_class::<trace::PyTraceContext>()?;
    m.add("_trace_context_var", trace::current_var(m.py())?)?;
    Ok(())
}
