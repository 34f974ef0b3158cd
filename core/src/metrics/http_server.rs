//! The metrics of an HTTP server, as the semantic conventions name them (stable HTTP
//! conventions): `http.server.request.duration` (a histogram in seconds with the advised
//! buckets) and `http.server.active_requests`, with the request's method (normalized), URL
//! scheme, route, response status, protocol version and error type. One implementation for
//! C servers and the Ruby Rack middleware, so that every language's requests make the same
//! series as opentelemetry-python's instrumentation does.

use super::{Instrument, InstrumentDesc, InstrumentKind, Meter, Number, NumberKind};
use crate::base::error::{Error, Result};
use opentelemetry::KeyValue;
use std::sync::Arc;
use std::time::Instant;

/// The bucket boundaries the conventions advise for `http.server.request.duration` (seconds).
pub const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The methods the conventions know; any other is `_OTHER`.
const METHODS: [&str; 9] = [
    "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE",
];

/// `method` as the conventions record it: a known method in upper case, else `_OTHER`.
pub fn normalize_method(method: &str) -> &'static str {
    METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .copied()
        .unwrap_or("_OTHER")
}

/// The two instruments of an HTTP server in one meter. Cloning shares them.
#[derive(Clone)]
pub struct HttpServerMetrics(Arc<Instruments>);

struct Instruments {
    duration: Instrument,
    active: Instrument,
}

/// How a request ended: what the server knows of it (all optional).
#[derive(Debug, Default, Clone, Copy)]
pub struct HttpServerResponse<'a> {
    /// The response status code; 0 when none was sent.
    pub status_code: u16,
    /// The route template that matched (`/users/{id}`), not the path.
    pub route: Option<&'a str>,
    /// The protocol version (`1.1`, `2`; `HTTP/1.1` as servers give it is taken too).
    pub protocol_version: Option<&'a str>,
    /// Why the request failed (an exception's type); a 5xx status is an error of its own
    /// code when none is given.
    pub error_type: Option<&'a str>,
}

impl HttpServerMetrics {
    /// Creates (or finds) the two instruments in `meter`.
    pub fn new(meter: &Meter) -> Result<Self> {
        let mut duration = InstrumentDesc::described(
            InstrumentKind::Histogram,
            NumberKind::F64,
            "http.server.request.duration",
            "s",
            "Duration of HTTP server requests.",
        );
        duration.boundaries = Some(DURATION_BUCKETS.to_vec());
        let active = InstrumentDesc::described(
            InstrumentKind::UpDownCounter,
            NumberKind::I64,
            "http.server.active_requests",
            "{request}",
            "Number of active HTTP server requests.",
        );
        Ok(HttpServerMetrics(Arc::new(Instruments {
            duration: meter.instrument(duration)?,
            active: meter.instrument(active)?,
        })))
    }

    /// A request begins: counted as active until it ends. `scheme` is `http` or `https`.
    pub fn start(&self, method: &str, scheme: &str) -> Result<HttpServerRequest> {
        if scheme.is_empty() {
            return Err(Error::invalid(
                "an HTTP request needs its URL scheme (http or https)",
            ));
        }
        let method = normalize_method(method);
        let common = vec![
            KeyValue::new("http.request.method", method),
            KeyValue::new("url.scheme", scheme.to_owned()),
        ];
        self.0.active.record(Number::I64(1), &common)?;
        Ok(HttpServerRequest {
            metrics: self.clone(),
            started: Instant::now(),
            common,
        })
    }
}

/// A request under way, from [`HttpServerMetrics::start`]; [`Self::end`] records it. Dropped
/// without it, the request stops counting as active and its duration is not recorded.
pub struct HttpServerRequest {
    metrics: HttpServerMetrics,
    started: Instant,
    /// Method and scheme: the attributes of the active count, and the first of the duration's
    /// (taken by [`Self::end`]: empty once the request ended).
    common: Vec<KeyValue>,
}

impl HttpServerRequest {
    /// The request ended with `response`: its duration (seconds, also returned) is recorded
    /// with its attributes, and it no longer counts as active.
    pub fn end(mut self, response: &HttpServerResponse<'_>) -> Result<f64> {
        let seconds = self.started.elapsed().as_secs_f64();
        let active = self.metrics.0.active.record(Number::I64(-1), &self.common);
        let mut attrs = std::mem::take(&mut self.common);
        if response.status_code != 0 {
            attrs.push(KeyValue::new(
                "http.response.status_code",
                i64::from(response.status_code),
            ));
        }
        if let Some(route) = response.route.filter(|r| !r.is_empty()) {
            attrs.push(KeyValue::new("http.route", route.to_owned()));
        }
        // As servers give it ("HTTP/1.1") or as the conventions record it ("1.1").
        let version = response
            .protocol_version
            .map(|v| v.strip_prefix("HTTP/").unwrap_or(v));
        if let Some(version) = version.filter(|v| !v.is_empty()) {
            attrs.push(KeyValue::new(
                "network.protocol.version",
                version.to_owned(),
            ));
        }
        match response.error_type.filter(|e| !e.is_empty()) {
            Some(error) => attrs.push(KeyValue::new("error.type", error.to_owned())),
            None if response.status_code >= 500 => attrs.push(KeyValue::new(
                "error.type",
                response.status_code.to_string(),
            )),
            None => {}
        }
        self.metrics
            .0
            .duration
            .record(Number::F64(seconds), &attrs)?;
        active.map(|()| seconds)
    }
}

impl Drop for HttpServerRequest {
    fn drop(&mut self) {
        if !self.common.is_empty() {
            let _ = self.metrics.0.active.record(Number::I64(-1), &self.common);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_the_known_ones_in_upper_case_or_other() {
        assert_eq!(normalize_method("get"), "GET");
        assert_eq!(normalize_method("PATCH"), "PATCH");
        assert_eq!(normalize_method("PROPFIND"), "_OTHER");
        assert_eq!(normalize_method(""), "_OTHER");
    }

    #[test]
    fn the_protocol_version_is_taken_with_or_without_its_name() {
        let mut c = crate::Config::new();
        c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
        c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
        let sdk = crate::Sdk::new(&c).unwrap();
        let http = HttpServerMetrics::new(&sdk.meter("server", None).unwrap()).unwrap();
        for version in ["HTTP/1.1", "1.1"] {
            let response = HttpServerResponse {
                status_code: 200,
                protocol_version: Some(version),
                ..HttpServerResponse::default()
            };
            http.start("GET", "http").unwrap().end(&response).unwrap();
        }
        let json = sdk.collect_json().unwrap();
        assert_eq!(
            json.matches(r#""network.protocol.version""#).count(),
            1,
            "{json}"
        );
        assert!(json.contains(r#""count":"2""#), "{json}");
    }
}
