//! The OTLP metrics exporter (gRPC or HTTP): each collection as one
//! `ExportMetricsServiceRequest`, sent by otelrs's OTLP client.

use super::exemplars::Exemplars;
use super::export::Sink;
use super::json;
use crate::config::OtlpSettings;
use crate::delivery::export_error;
use crate::error::Result;
use crate::otlp_client::{Metrics, OtlpClient};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

pub(crate) struct OtlpSink {
    client: OtlpClient<Metrics>,
    export_timeout: Duration,
    exemplars: Arc<Exemplars>,
}

impl OtlpSink {
    /// Builds the client; a gRPC client needs `runtime`.
    pub(crate) fn new(
        s: &OtlpSettings,
        runtime: Option<&Runtime>,
        export_timeout: Duration,
        exemplars: Arc<Exemplars>,
    ) -> Result<Self> {
        Ok(OtlpSink {
            client: OtlpClient::new(s, runtime)?,
            export_timeout,
            exemplars,
        })
    }
}

impl Sink for OtlpSink {
    fn export(&mut self, rm: &ResourceMetrics) -> Result<()> {
        self.client
            .export(&json::request(rm, &self.exemplars), self.export_timeout)
            .map_err(|e| export_error("otlp", e))
    }

    fn retries(&self) -> u64 {
        self.client.retries()
    }
}
