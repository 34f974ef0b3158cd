//! The OTLP JSON encoding of collected metrics: an `ExportMetricsServiceRequest`, as the
//! file exporter writes it (one per line) and `collect_json` returns it.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::metrics::data::ResourceMetrics;

/// `rm` as one line of OTLP JSON.
pub(crate) fn encode(rm: &ResourceMetrics) -> String {
    let request = ExportMetricsServiceRequest::from(rm);
    serde_json::to_string(&request).unwrap_or_else(|e| {
        // Serialising plain data cannot fail; keep the line valid JSON all the same.
        serde_json::json!({ "error": e.to_string() }).to_string()
    })
}

/// An empty request, for a disabled SDK.
pub(crate) fn empty() -> String {
    serde_json::to_string(&ExportMetricsServiceRequest::default())
        .unwrap_or_else(|_| "{\"resourceMetrics\":[]}".to_owned())
}
