//! A collection in OTLP's forms, with otelrs's exemplars: as an `ExportMetricsServiceRequest`
//! (for what reads it as one), and as the JSON and protobuf bytes of one, written straight
//! from the SDK's data ([`super::encode_json`], [`super::encode`]).

use super::exemplars::Exemplars;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::metrics::data::ResourceMetrics;

/// `rm` as an OTLP request, with its exemplars.
pub(crate) fn request(rm: &ResourceMetrics, exemplars: &Exemplars) -> ExportMetricsServiceRequest {
    let mut request = ExportMetricsServiceRequest::from(rm);
    exemplars.attach(&mut request);
    request
}

/// `rm` as OTLP JSON (one line), with its exemplars.
pub(crate) fn json(rm: &ResourceMetrics, exemplars: &Exemplars) -> Vec<u8> {
    super::encode_json::request(rm, exemplars.lookup().as_ref())
}

/// `rm` as OTLP protobuf, with its exemplars.
pub(crate) fn protobuf(rm: &ResourceMetrics, exemplars: &Exemplars) -> Vec<u8> {
    super::encode::request(rm, exemplars.lookup().as_ref())
}

/// An empty request, for a disabled SDK.
pub(crate) fn empty_json() -> String {
    super::encode_json::empty().to_owned()
}
