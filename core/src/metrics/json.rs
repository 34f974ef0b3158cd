//! The OTLP JSON encoding of collected metrics: an `ExportMetricsServiceRequest`, as the
//! file exporter writes it (one per line) and `collect_json` returns it.

use super::exemplars::Exemplars;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::metrics::data::ResourceMetrics;

/// `rm` as an OTLP request, with its exemplars.
pub(crate) fn request(rm: &ResourceMetrics, exemplars: &Exemplars) -> ExportMetricsServiceRequest {
    let mut request = ExportMetricsServiceRequest::from(rm);
    exemplars.attach(&mut request);
    request
}

/// `rm` as one line of OTLP JSON, with its exemplars.
pub(crate) fn encode(rm: &ResourceMetrics, exemplars: &Exemplars) -> String {
    let request = request(rm, exemplars);
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
