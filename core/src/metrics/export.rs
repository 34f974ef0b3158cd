//! Where collected metrics go: the exporters behind OTEL_METRICS_EXPORTER.

use super::exemplars::Exemplars;
use super::{console, json};
use crate::delivery::export_error;
use crate::error::{Error, Result};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// Flushes `file` to its disk; a file that cannot be synced (a device such as /dev/stdout)
/// has nothing to flush.
pub(crate) fn sync(file: &File) -> std::io::Result<()> {
    match file.sync_data() {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

/// Appends `line` (which ends in a newline) to `file`, opened for appending, whole or not at
/// all: when a write fails part-way (a full disk), the file is cut back to where the line
/// began, so that the next line does not continue a broken one. Nothing is cut when another
/// writer (a forked process sharing the file) appended meanwhile, or when the file is a
/// device.
pub(crate) fn append_line(file: &mut File, line: &[u8]) -> std::io::Result<()> {
    let before = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let mut written = 0;
    while written < line.len() {
        match file.write(&line[written..]) {
            Ok(0) => {
                return Err(cut_back(
                    file,
                    before,
                    written,
                    std::io::ErrorKind::WriteZero.into(),
                ))
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(cut_back(file, before, written, e)),
        }
    }
    Ok(())
}

/// After a failed append of which `written` bytes reached the file: cuts it back to `before`
/// when those bytes are its end. Gives `error` back.
fn cut_back(
    file: &File,
    before: Option<u64>,
    written: usize,
    error: std::io::Error,
) -> std::io::Error {
    if let Some(before) = before {
        let now = file.metadata().map(|m| m.len()).ok();
        if written > 0 && now == Some(before + written as u64) {
            let _ = file.set_len(before);
        }
    }
    error
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
        let mut line = json::encode(rm, &self.exemplars);
        line.push('\n');
        append_line(&mut self.file, line.as_bytes())
            .map_err(|e| export_error("file", format!("{}: {e}", self.path.display())))
    }

    fn shutdown(&mut self) -> Result<()> {
        sync(&self.file).map_err(|e| export_error("file", format!("{}: {e}", self.path.display())))
    }
}
