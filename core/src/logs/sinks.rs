//! The log exporters behind OTEL_LOGS_EXPORTER: OTLP (gRPC or HTTP), a readable console line
//! per record, and a JSON-lines file of OTLP JSON rotated by size.

use crate::config::{LogSettings, OtlpSettings};
use crate::delivery::export_error;
use crate::error::{Error, Result};
use crate::metrics::console::rfc3339;
use crate::otlp;
use opentelemetry::logs::AnyValue;
use opentelemetry_otlp::LogExporter;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::logs::tonic::group_logs_by_resource_and_scope;
use opentelemetry_sdk::logs::{LogBatch, LogExporter as _};
use opentelemetry_sdk::Resource;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;
use tokio::runtime::{Handle, Runtime};

/// A log exporter, driven by the log export thread.
pub(crate) trait LogSink: Send {
    /// Delivers one batch.
    fn export(&mut self, batch: LogBatch<'_>) -> Result<()>;
    /// Releases what it holds; called once, after the last export.
    fn shutdown(&mut self) -> Result<()> {
        Ok(())
    }
}

pub(crate) struct OtlpLogSink {
    exporter: LogExporter,
    runtime: Option<Handle>,
    timeout: Duration,
}

impl OtlpLogSink {
    pub(crate) fn new(
        s: &OtlpSettings,
        resource: &Resource,
        runtime: Option<&Runtime>,
        timeout: Duration,
    ) -> Result<Self> {
        let (mut exporter, runtime) = otlp::build_exporter(
            s,
            runtime,
            || {
                otlp::tonic(LogExporter::builder().with_tonic(), s)?
                    .build()
                    .map_err(|e| otlp::build_error(s, e))
            },
            || {
                otlp::http(LogExporter::builder().with_http(), s)?
                    .build()
                    .map_err(|e| otlp::build_error(s, e))
            },
        )?;
        exporter.set_resource(resource);
        Ok(OtlpLogSink {
            exporter,
            runtime,
            timeout,
        })
    }
}

impl LogSink for OtlpLogSink {
    fn export(&mut self, batch: LogBatch<'_>) -> Result<()> {
        otlp::run_export(
            self.runtime.as_ref(),
            self.timeout,
            self.exporter.export(batch),
        )
        .map_err(|e| export_error("otlp log", e))
    }

    fn shutdown(&mut self) -> Result<()> {
        self.exporter
            .shutdown_with_timeout(self.timeout)
            .map_err(|e| export_error("otlp log", e))
    }
}

fn any_text(v: &AnyValue) -> String {
    match v {
        AnyValue::String(s) => format!("{:?}", s.as_str()),
        AnyValue::Int(i) => i.to_string(),
        AnyValue::Double(d) => d.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::ListAny(items) => format!(
            "[{}]",
            items.iter().map(any_text).collect::<Vec<_>>().join(",")
        ),
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Takes every batch and writes nothing.
pub(crate) struct DiscardLogSink;

impl LogSink for DiscardLogSink {
    fn export(&mut self, _batch: LogBatch<'_>) -> Result<()> {
        Ok(())
    }
}

/// One readable line per record on standard output.
pub(crate) struct ConsoleLogSink;

impl LogSink for ConsoleLogSink {
    fn export(&mut self, batch: LogBatch<'_>) -> Result<()> {
        let mut text = String::new();
        for (r, scope) in batch.iter() {
            let time = r
                .timestamp()
                .or(r.observed_timestamp())
                .map(rfc3339)
                .unwrap_or_default();
            let body = match r.body() {
                Some(AnyValue::String(s)) => s.as_str().to_owned(),
                Some(other) => any_text(other),
                None => String::new(),
            };
            let _ = write!(
                text,
                "{time} {:<6} [{}] {body}",
                r.severity_text().unwrap_or(""),
                scope.name()
            );
            if let Some(name) = r.event_name() {
                let _ = write!(text, " event={name}");
            }
            let attrs: Vec<String> = r
                .attributes_iter()
                .map(|(k, v)| format!("{k}={}", any_text(v)))
                .collect();
            if !attrs.is_empty() {
                let _ = write!(text, " {{{}}}", attrs.join(", "));
            }
            if let Some(ctx) = r.trace_context() {
                let _ = write!(
                    text,
                    " trace_id={} span_id={}",
                    hex(&ctx.trace_id.to_bytes()),
                    hex(&ctx.span_id.to_bytes())
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
    resource: ResourceAttributesWithSchema,
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
    pub(crate) fn open(settings: &LogSettings, resource: &Resource) -> Result<Self> {
        let file = open_append(&settings.file_path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(FileLogSink {
            path: settings.file_path.clone(),
            file,
            size,
            max_bytes: settings.file_max_bytes,
            max_files: settings.file_max_files,
            resource: ResourceAttributesWithSchema::from(resource),
        })
    }

    fn rotated(&self, n: usize) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        p.into()
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        let _ = std::fs::remove_file(self.rotated(self.max_files));
        for n in (1..self.max_files).rev() {
            let from = self.rotated(n);
            if from.exists() {
                std::fs::rename(&from, self.rotated(n + 1))?;
            }
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
    fn export(&mut self, batch: LogBatch<'_>) -> Result<()> {
        let request = ExportLogsServiceRequest {
            resource_logs: group_logs_by_resource_and_scope(&batch, &self.resource),
        };
        let mut line = serde_json::to_string(&request).map_err(|e| export_error("file log", e))?;
        line.push('\n');
        let len = line.len() as u64;
        if self.size > 0 && self.size + len > self.max_bytes {
            self.rotate().map_err(|e| {
                export_error("file log", format!("rotating {}: {e}", self.path.display()))
            })?;
        }
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| export_error("file log", format!("{}: {e}", self.path.display())))?;
        self.size += len;
        Ok(())
    }

    fn shutdown(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| export_error("file log", format!("{}: {e}", self.path.display())))
    }
}
