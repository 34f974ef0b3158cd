//! HTTP server metrics from Python, for otelrs's WSGI and ASGI middleware: the semantic
//! conventions' series as core records them for every language.

use crate::errors::to_py;
use crate::instruments::Meter;
use otelrs_core::metrics::{HttpServerMetrics, HttpServerRequest, HttpServerResponse};
use pyo3::prelude::*;
use std::sync::Mutex;

/// The HTTP server instruments of one meter.
#[pyclass(frozen, module = "otelrs")]
pub(crate) struct HttpServer(HttpServerMetrics);

#[pymethods]
impl HttpServer {
    /// Creates (or finds) `http.server.request.duration` and `http.server.active_requests`
    /// in `meter`.
    #[new]
    fn new(py: Python<'_>, meter: &Meter) -> PyResult<Self> {
        // Created without the GIL: a collection may be running a callback that waits for it.
        let metrics = py
            .detach(|| HttpServerMetrics::new(&meter.0))
            .map_err(to_py)?;
        Ok(HttpServer(metrics))
    }

    /// A request begins (`scheme`: "http" or "https"); it counts as active until `end`.
    fn start(&self, method: &str, scheme: &str) -> PyResult<HttpRequest> {
        let request = self.0.start(method, scheme).map_err(to_py)?;
        Ok(HttpRequest(Mutex::new(Some(request))))
    }
}

/// A request under way.
#[pyclass(frozen, module = "otelrs")]
pub(crate) struct HttpRequest(Mutex<Option<HttpServerRequest>>);

#[pymethods]
impl HttpRequest {
    /// The request ended: its duration is recorded with its status (0: none was sent), route
    /// template, protocol version and error type; the duration in seconds is returned. A
    /// second `end` does nothing and returns None.
    #[pyo3(signature = (status_code=0, route=None, protocol_version=None, error_type=None))]
    fn end(
        &self,
        status_code: u16,
        route: Option<&str>,
        protocol_version: Option<&str>,
        error_type: Option<&str>,
    ) -> PyResult<Option<f64>> {
        let request = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(request) = request else {
            return Ok(None);
        };
        request
            .end(&HttpServerResponse {
                status_code,
                route,
                protocol_version,
                error_type,
            })
            .map(Some)
            .map_err(to_py)
    }
}
