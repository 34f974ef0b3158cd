//! The OTLP metrics exporter (gRPC or HTTP).

use super::export::Sink;
use crate::config::OtlpSettings;
use crate::delivery::export_error;
use crate::error::Result;
use crate::otlp;
use opentelemetry_otlp::MetricExporter;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use std::time::Duration;
use tokio::runtime::{Handle, Runtime};

pub(crate) struct OtlpSink {
    exporter: MetricExporter,
    /// The runtime a gRPC exporter runs on; HTTP exports block the collection thread.
    runtime: Option<Handle>,
    export_timeout: Duration,
}

impl OtlpSink {
    /// Builds the exporter; a gRPC exporter needs `runtime`.
    pub(crate) fn new(
        s: &OtlpSettings,
        temporality: Temporality,
        runtime: Option<&Runtime>,
        export_timeout: Duration,
    ) -> Result<Self> {
        let builder = || MetricExporter::builder().with_temporality(temporality);
        let (exporter, runtime) = otlp::build_exporter(
            s,
            runtime,
            || {
                otlp::tonic(builder().with_tonic(), s)?
                    .build()
                    .map_err(|e| otlp::build_error(s, e))
            },
            || {
                otlp::http(builder().with_http(), s)?
                    .build()
                    .map_err(|e| otlp::build_error(s, e))
            },
        )?;
        Ok(OtlpSink {
            exporter,
            runtime,
            export_timeout,
        })
    }
}

impl Sink for OtlpSink {
    fn export(&mut self, rm: &ResourceMetrics) -> Result<()> {
        otlp::run_export(
            self.runtime.as_ref(),
            self.export_timeout,
            self.exporter.export(rm),
        )
        .map_err(|e| export_error("otlp", e))
    }

    fn shutdown(&mut self) -> Result<()> {
        self.exporter
            .shutdown_with_timeout(self.export_timeout)
            .map_err(|e| export_error("otlp", e))
    }
}
