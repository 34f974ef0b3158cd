//! The OTLP exporter (gRPC or HTTP), built from otelrs's resolved settings so that values set
//! from code win over the environment.

use super::export::{export_error, Sink};
use crate::config::{OtlpSettings, Protocol};
use crate::error::{Error, Result};
use opentelemetry_otlp::tonic_types::metadata::MetadataMap;
use opentelemetry_otlp::tonic_types::transport::{Certificate, ClientTlsConfig};
use opentelemetry_otlp::{
    Compression, MetricExporter, WithExportConfig, WithHttpConfig, WithTonicConfig,
};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use std::collections::HashMap;
use std::time::Duration;
use tokio::runtime::{Handle, Runtime};

pub(crate) struct OtlpSink {
    exporter: MetricExporter,
    /// The runtime a gRPC exporter runs on; HTTP exports block the collection thread.
    runtime: Option<Handle>,
    export_timeout: Duration,
}

fn build_error(s: &OtlpSettings, e: impl std::fmt::Display) -> Error {
    Error::config(format!(
        "cannot build the OTLP metrics exporter for {:?}: {e}",
        s.endpoint
    ))
}

impl OtlpSink {
    /// Builds the exporter; a gRPC exporter needs `runtime`.
    pub(crate) fn new(
        s: &OtlpSettings,
        runtime: Option<&Runtime>,
        export_timeout: Duration,
    ) -> Result<Self> {
        let builder = MetricExporter::builder().with_temporality(s.temporality);
        let exporter = match (s.protocol, runtime) {
            (Protocol::Grpc, Some(rt)) => {
                let mut headers = http::HeaderMap::new();
                for (k, v) in &s.headers {
                    let name = http::HeaderName::from_bytes(k.as_bytes())
                        .map_err(|_| Error::config(format!("invalid OTLP header name {k:?}")))?;
                    let value = http::HeaderValue::from_str(v).map_err(|_| {
                        Error::config(format!("invalid value for OTLP header {k:?}"))
                    })?;
                    headers.insert(name, value);
                }
                let metadata = MetadataMap::from_headers(headers);
                let mut b = builder
                    .with_tonic()
                    .with_endpoint(s.endpoint.clone())
                    .with_timeout(s.timeout)
                    .with_metadata(metadata);
                if s.gzip {
                    b = b.with_compression(Compression::Gzip);
                }
                if let Some(path) = &s.certificate {
                    let pem = std::fs::read(path).map_err(|e| {
                        Error::config(format!(
                            "invalid value {:?} for OTEL_EXPORTER_OTLP_CERTIFICATE: {e}",
                            path.display()
                        ))
                    })?;
                    b = b.with_tls_config(
                        ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
                    );
                }
                // tonic must be built inside the runtime it will run on.
                let _entered = rt.enter();
                b.build().map_err(|e| build_error(s, e))?
            }
            (Protocol::Grpc, None) => {
                return Err(Error::internal("gRPC exporter built without a runtime"))
            }
            (protocol, _) => {
                if s.endpoint.starts_with("https://") {
                    return Err(Error::config(format!(
                        "invalid value {:?} for OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: https is supported over grpc only in this build",
                        s.endpoint
                    )));
                }
                let headers: HashMap<String, String> = s.headers.iter().cloned().collect();
                let mut b = builder
                    .with_http()
                    .with_protocol(match protocol {
                        Protocol::HttpJson => opentelemetry_otlp::Protocol::HttpJson,
                        _ => opentelemetry_otlp::Protocol::HttpBinary,
                    })
                    .with_endpoint(s.endpoint.clone())
                    .with_timeout(s.timeout)
                    .with_headers(headers);
                if s.gzip {
                    b = b.with_compression(Compression::Gzip);
                }
                b.build().map_err(|e| build_error(s, e))?
            }
        };
        Ok(OtlpSink {
            exporter,
            runtime: runtime
                .filter(|_| s.protocol == Protocol::Grpc)
                .map(|rt| rt.handle().clone()),
            export_timeout,
        })
    }
}

impl Sink for OtlpSink {
    fn export(&mut self, rm: &ResourceMetrics) -> Result<()> {
        let outcome = match &self.runtime {
            Some(handle) => {
                let timeout = self.export_timeout;
                let export = self.exporter.export(rm);
                // The timer must be created inside the runtime, hence the async block.
                handle.block_on(async move {
                    tokio::time::timeout(timeout, export).await.unwrap_or(Err(
                        opentelemetry_sdk::error::OTelSdkError::Timeout(timeout),
                    ))
                })
            }
            None => futures_executor::block_on(self.exporter.export(rm)),
        };
        outcome.map_err(|e| export_error("otlp", e))
    }

    fn shutdown(&mut self) -> Result<()> {
        self.exporter
            .shutdown_with_timeout(self.export_timeout)
            .map_err(|e| export_error("otlp", e))
    }
}
