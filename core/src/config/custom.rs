//! Exporters written by the user: a function otelrs calls with each batch, encoded as OTLP
//! protobuf or OTLP JSON, registered from code for logs or metrics.

use crate::base::error::{Error, Result};
use std::sync::Arc;

/// How a custom exporter receives each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// An OTLP `ExportLogsServiceRequest` or `ExportMetricsServiceRequest`, protobuf-encoded.
    Protobuf,
    /// The same request in OTLP JSON.
    Json,
}

/// What a custom exporter says of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportResult {
    /// Delivered.
    Success,
    /// Not delivered, but it may be if tried again: otelrs retries with backoff within the
    /// export timeout, as for a transient OTLP failure.
    Retry(String),
    /// Not delivered, for good: the batch counts as failed.
    Failure(String),
}

impl ExportResult {
    /// The answer a binding's code stands for: 0 success, 1 retry, 2 failure (C's
    /// `OTELRS_EXPORT_*`, Python's `ExportResult`), its message naming `who` when given;
    /// `None` for any other code.
    pub fn from_code(code: i64, who: Option<&str>) -> Option<ExportResult> {
        let said = |what: &str| who.map_or_else(|| what.to_owned(), |w| format!("{w} {what}"));
        match code {
            0 => Some(ExportResult::Success),
            1 => Some(ExportResult::Retry(said("asked to retry"))),
            2 => Some(ExportResult::Failure(said("failed"))),
            _ => None,
        }
    }
}

/// A custom exporter's function: called on an otelrs thread with each batch, one call at a
/// time for each exporter (each signal exports from a thread of its own: a function
/// registered for both may run on two threads at once). Held by an `Arc` and no lock, so that
/// a forked child calls it even when the parent was in it at the fork.
pub type ExportFn = Box<dyn Fn(&[u8]) -> ExportResult + Send + Sync>;

/// An exporter written by the user, as registered.
#[derive(Clone)]
pub struct CustomExporter {
    /// Its name in messages and the health report.
    pub(crate) name: String,
    pub(crate) format: ExportFormat,
    pub(crate) export: Arc<ExportFn>,
}

impl std::fmt::Debug for CustomExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomExporter")
            .field("name", &self.name)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl CustomExporter {
    /// Checks `name` (1 to 64 letters, digits, `_`, `-` and `.`) against those of `others`.
    pub(crate) fn new(
        name: &str,
        format: ExportFormat,
        export: ExportFn,
        others: &[CustomExporter],
    ) -> Result<Self> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !ok {
            return Err(Error::config(format!(
                "invalid custom exporter name {name:?}: 1 to 64 letters, digits, `_`, `-` and `.`"
            )));
        }
        if others.iter().any(|o| o.name == name) {
            return Err(Error::config(format!(
                "a custom exporter named {name:?} is registered already for this signal"
            )));
        }
        Ok(CustomExporter {
            name: name.to_owned(),
            format,
            export: Arc::new(export),
        })
    }
}
