//! The OTLP metrics exporter (gRPC or HTTP): each collection as one
//! `ExportMetricsServiceRequest`, written straight from the SDK's data and sent by otelrs's
//! OTLP client.

use super::exemplars::Exemplars;
use super::export::Sink;
use super::otlp_forms;
use crate::base::error::Result;
use crate::config::OtlpSettings;
use crate::export::health::ExporterHealth;
use crate::export::otlp_client::{Metrics, OtlpExporter};
use crate::export::Wire;
use bytes::Bytes;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

/// The OTLP metrics exporter: each collection as one request.
pub(crate) struct OtlpSink {
    exemplars: Arc<Exemplars>,
    exporter: OtlpExporter<Metrics>,
}

impl OtlpSink {
    /// Builds the client; a gRPC client needs `runtime`. With an on-disk queue, its sender
    /// reports to `health` (and data points deleted at its cap show there as `queue_full`).
    pub(crate) fn new(
        s: &OtlpSettings,
        runtime: Option<&Runtime>,
        export_timeout: Duration,
        exemplars: Arc<Exemplars>,
        health: &Arc<ExporterHealth>,
    ) -> Result<Self> {
        let dropped = Arc::new(AtomicU64::new(0));
        Ok(OtlpSink {
            exemplars,
            exporter: OtlpExporter::new(s, runtime, export_timeout, "otlp", health, &dropped)?,
        })
    }
}

impl Sink for OtlpSink {
    fn export(&mut self, rm: &ResourceMetrics) -> Result<()> {
        let exemplars = &self.exemplars;
        let encode = |wire| {
            Ok(Bytes::from(match wire {
                Wire::Protobuf => otlp_forms::protobuf(rm, exemplars),
                Wire::Json => otlp_forms::json(rm, exemplars),
            }))
        };
        self.exporter
            .export_encoded(encode, super::data_points(rm), "otlp")
    }

    fn shutdown(&mut self) -> Result<()> {
        self.exporter.shutdown();
        Ok(())
    }

    fn retries(&self) -> u64 {
        self.exporter.retries()
    }

    fn queued(&self) -> bool {
        self.exporter.queued()
    }
}
