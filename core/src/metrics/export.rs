//! Where collected metrics go: the exporters behind OTEL_METRICS_EXPORTER, and those written
//! by the user.

use super::exemplars::Exemplars;
use super::{console, otlp_forms};
use crate::base::error::{Error, Result};
use crate::base::files::{append_line, sync};
use crate::config::{CustomExporter, ExportFormat};
use crate::export::delivery::export_error;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A push exporter, driven by the pipeline's collection thread.
pub(crate) trait Sink: Send {
    /// Delivers one collection.
    fn export(&mut self, rm: &ResourceMetrics) -> Result<()>;
    /// Releases what it holds; called once, after the last export.
    fn shutdown(&mut self) -> Result<()> {
        Ok(())
    }
    /// Attempts repeated after a retryable failure so far.
    fn retries(&self) -> u64 {
        0
    }
    /// Whether it only writes each collection to its on-disk queue (whose sender records
    /// the deliveries in the exporter's health).
    fn queued(&self) -> bool {
        false
    }
}

/// An exporter written by the user: each collection as OTLP protobuf or JSON.
pub(crate) struct CustomSink {
    exporter: CustomExporter,
    exemplars: Arc<Exemplars>,
    timeout: Duration,
    retries: u64,
}

impl CustomSink {
    /// The sink of `exporter`, whose deliveries (with retries) may take `timeout` each.
    pub(crate) fn new(
        exporter: &CustomExporter,
        exemplars: Arc<Exemplars>,
        timeout: Duration,
    ) -> Self {
        CustomSink {
            exporter: exporter.clone(),
            exemplars,
            timeout,
            retries: 0,
        }
    }
}

impl Sink for CustomSink {
    fn export(&mut self, rm: &ResourceMetrics) -> Result<()> {
        let batch = match self.exporter.format {
            ExportFormat::Protobuf => otlp_forms::protobuf(rm, &self.exemplars),
            ExportFormat::Json => otlp_forms::json(rm, &self.exemplars),
        };
        crate::export::custom::deliver(&self.exporter, &batch, self.timeout, &mut self.retries)
    }

    fn retries(&self) -> u64 {
        self.retries
    }
}

/// Readable text on standard output.
pub(crate) struct ConsoleSink;

impl Sink for ConsoleSink {
    fn export(&mut self, rm: &ResourceMetrics) -> Result<()> {
        let text = console::format(rm);
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| export_error("console", e))
    }
}

/// OTLP JSON lines appended to a file.
pub(crate) struct FileSink {
    path: PathBuf,
    file: File,
    exemplars: Arc<Exemplars>,
}

impl FileSink {
    pub(crate) fn open(path: &Path, exemplars: Arc<Exemplars>) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                Error::config(format!(
                    "invalid value {:?} for OTELRS_EXPORTER_FILE_METRICS_PATH: cannot open it for appending: {e}",
                    path.display()
                ))
            })?;
        Ok(FileSink {
            path: path.to_owned(),
            file,
            exemplars,
        })
    }
}

impl Sink for FileSink {
    fn export(&mut self, rm: &ResourceMetrics) -> Result<()> {
        let mut line = otlp_forms::json(rm, &self.exemplars);
        line.push(b'\n');
        append_line(&mut self.file, &line)
            .map_err(|e| export_error("file", format!("{}: {e}", self.path.display())))
    }

    fn shutdown(&mut self) -> Result<()> {
        sync(&self.file).map_err(|e| export_error("file", format!("{}: {e}", self.path.display())))
    }
}
