//! The log exporters behind OTEL_LOGS_EXPORTER: OTLP (gRPC or HTTP), Loki, Elasticsearch and
//! ClickHouse (modules of their own), exporters written by the user, a readable console line
//! per record, and a JSON-lines file of OTLP JSON rotated by size.

use super::otlp_records::Batch;
use crate::base::clock::rfc3339;
use crate::base::error::{Error, Result};
use crate::base::files::{append_line, sync};
use crate::config::{CustomExporter, ExportFormat, LogSettings, OtlpSettings};
use crate::export::delivery::export_error;
use crate::export::health::ExporterHealth;
use crate::export::otlp_client::{Logs, OtlpExporter};
use crate::export::values::hex;
use crate::export::Wire;
use bytes::Bytes;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::AnyValue;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use tokio::runtime::Runtime;

/// A log exporter, driven by the log export thread.
pub(crate) trait LogSink: Send {
    /// Delivers one batch.
    fn export(&mut self, batch: &Batch<'_>) -> Result<()>;
    /// Releases what it holds; called once, after the last export.
    fn shutdown(&mut self) -> Result<()> {
        Ok(())
    }
    /// Attempts repeated after a retryable failure so far.
    fn retries(&self) -> u64 {
        0
    }
    /// Whether it only writes each batch to its on-disk queue (whose sender records the
    /// deliveries in the exporter's health).
    fn queued(&self) -> bool {
        false
    }
}

/// An exporter written by the user: each batch as OTLP protobuf or JSON.
pub(crate) struct CustomLogSink {
    exporter: CustomExporter,
    timeout: Duration,
    retries: u64,
}

impl CustomLogSink {
    /// The sink of `exporter`, whose deliveries (with retries) may take `timeout` each.
    pub(crate) fn new(exporter: &CustomExporter, timeout: Duration) -> Self {
        CustomLogSink {
            exporter: exporter.clone(),
            timeout,
            retries: 0,
        }
    }
}

impl LogSink for CustomLogSink {
    fn export(&mut self, batch: &Batch<'_>) -> Result<()> {
        let json;
        let bytes = match self.exporter.format {
            ExportFormat::Protobuf => &batch.protobuf()[..],
            ExportFormat::Json => {
                json = serde_json::to_vec(batch.request())
                    .map_err(|e| export_error("custom log", format!("encoding JSON: {e}")))?;
                &json
            }
        };
        crate::export::custom::deliver(&self.exporter, bytes, self.timeout, &mut self.retries)
    }

    fn retries(&self) -> u64 {
        self.retries
    }
}

/// The OTLP log exporter.
pub(crate) struct OtlpLogSink(OtlpExporter<Logs>);

impl OtlpLogSink {
    /// `health` and `dropped` are the exporter's health record and the pipeline's drop count,
    /// which an on-disk queue reports to.
    pub(crate) fn new(
        s: &OtlpSettings,
        runtime: Option<&Runtime>,
        timeout: Duration,
        health: &Arc<ExporterHealth>,
        dropped: &Arc<AtomicU64>,
    ) -> Result<Self> {
        OtlpExporter::new(s, runtime, timeout, "otlp log", health, dropped).map(OtlpLogSink)
    }
}

impl LogSink for OtlpLogSink {
    fn export(&mut self, batch: &Batch<'_>) -> Result<()> {
        let encode = |wire| match wire {
            Wire::Protobuf => Ok(batch.protobuf().clone()),
            Wire::Json => wire.encode(batch.request()).map(Bytes::from),
        };
        self.0
            .export_encoded(encode, batch.len() as u64, "otlp log")
    }

    fn shutdown(&mut self) -> Result<()> {
        self.0.shutdown();
        Ok(())
    }

    fn retries(&self) -> u64 {
        self.0.retries()
    }

    fn queued(&self) -> bool {
        self.0.queued()
    }
}

fn any_text(v: Option<&AnyValue>) -> String {
    match v.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => format!("{s:?}"),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::ArrayValue(a)) => format!(
            "[{}]",
            a.values
                .iter()
                .map(|v| any_text(Some(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// Takes every batch and writes nothing.
pub(crate) struct DiscardLogSink;

impl LogSink for DiscardLogSink {
    fn export(&mut self, _batch: &Batch<'_>) -> Result<()> {
        Ok(())
    }
}

/// One readable line per record on standard output.
pub(crate) struct ConsoleLogSink;

impl LogSink for ConsoleLogSink {
    fn export(&mut self, batch: &Batch<'_>) -> Result<()> {
        let request = batch.request();
        let mut text = String::new();
        let scoped = request
            .resource_logs
            .iter()
            .flat_map(|rl| &rl.scope_logs)
            .flat_map(|sl| sl.log_records.iter().map(move |r| (sl, r)));
        for (sl, r) in scoped {
            let nanos = match r.time_unix_nano {
                0 => r.observed_time_unix_nano,
                t => t,
            };
            let time = rfc3339(UNIX_EPOCH + Duration::from_nanos(nanos));
            let body = match r.body.as_ref().and_then(|b| b.value.as_ref()) {
                Some(Value::StringValue(s)) => s.clone(),
                _ => any_text(r.body.as_ref()),
            };
            let scope = sl.scope.as_ref().map_or("", |s| s.name.as_str());
            let _ = write!(text, "{time} {:<6} [{scope}] {body}", r.severity_text);
            if !r.event_name.is_empty() {
                let _ = write!(text, " event={}", r.event_name);
            }
            let attrs: Vec<String> = r
                .attributes
                .iter()
                .map(|kv| format!("{}={}", kv.key, any_text(kv.value.as_ref())))
                .collect();
            if !attrs.is_empty() {
                let _ = write!(text, " {{{}}}", attrs.join(", "));
            }
            if !r.trace_id.is_empty() {
                let _ = write!(
                    text,
                    " trace_id={} span_id={}",
                    hex(&r.trace_id),
                    hex(&r.span_id)
                );
            }
            text.push('\n');
        }
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| export_error("console log", e))
    }
}

/// OTLP-JSON lines appended to a file that is rotated by size: `path` becomes `path.1`,
/// `path.1` becomes `path.2`, and so on; beyond `max_files` the oldest is removed.
pub(crate) struct FileLogSink {
    path: PathBuf,
    file: File,
    size: u64,
    max_bytes: u64,
    max_files: usize,
}

fn open_append(path: &PathBuf) -> Result<File> {
    OpenOptions::new().create(true).append(true).open(path).map_err(|e| {
        Error::config(format!(
            "invalid value {:?} for OTELRS_EXPORTER_FILE_LOGS_PATH: cannot open it for appending: {e}",
            path.display()
        ))
    })
}

impl FileLogSink {
    pub(crate) fn open(settings: &LogSettings) -> Result<Self> {
        let file = open_append(&settings.file_path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(FileLogSink {
            path: settings.file_path.clone(),
            file,
            size,
            max_bytes: settings.file_max_bytes,
            max_files: settings.file_max_files,
        })
    }

    fn rotated(&self, n: usize) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        p.into()
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        // Rotation keeps `path.1` ... `path.k` without a gap: only those are moved (one more
        // place each; the last is removed when k is max_files), however large max_files is.
        let mut kept = 0;
        while kept < self.max_files && self.rotated(kept + 1).exists() {
            kept += 1;
        }
        if kept == self.max_files {
            std::fs::remove_file(self.rotated(kept))?;
            kept -= 1;
        }
        for n in (1..=kept).rev() {
            std::fs::rename(self.rotated(n), self.rotated(n + 1))?;
        }
        std::fs::rename(&self.path, self.rotated(1))?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

impl LogSink for FileLogSink {
    fn export(&mut self, batch: &Batch<'_>) -> Result<()> {
        let request = batch.request();
        let mut line = serde_json::to_string(request).map_err(|e| export_error("file log", e))?;
        line.push('\n');
        let len = line.len() as u64;
        if self.size > 0 && self.size + len > self.max_bytes {
            self.rotate().map_err(|e| {
                export_error("file log", format!("rotating {}: {e}", self.path.display()))
            })?;
        }
        append_line(&mut self.file, line.as_bytes())
            .map_err(|e| export_error("file log", format!("{}: {e}", self.path.display())))?;
        self.size += len;
        Ok(())
    }

    fn shutdown(&mut self) -> Result<()> {
        sync(&self.file)
            .map_err(|e| export_error("file log", format!("{}: {e}", self.path.display())))
    }
}
