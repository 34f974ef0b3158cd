//! What the export threads of both signals share about delivering to an exporter: the error
//! an exporter's failure becomes, a panic caught instead of ending the thread, and a failure
//! reported on stderr once per streak of failures.

use crate::error::{Error, ErrorKind, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The error for a failed export by `exporter` (e.g. "otlp", "file log").
pub(crate) fn export_error(exporter: &str, detail: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Export, format!("{exporter} exporter: {detail}"))
}

/// One exporter's record of whether its last delivery failed.
#[derive(Debug, Default)]
pub(crate) struct Delivery {
    failing: bool,
}

impl Delivery {
    /// Runs `export`; a panic becomes an error, and the first failure after a success (or at
    /// the start) is reported on stderr.
    pub(crate) fn run(&mut self, export: impl FnOnce() -> Result<()>) -> Result<()> {
        let outcome = catch_unwind(AssertUnwindSafe(export)).unwrap_or_else(|_| {
            Err(Error::internal(
                "an exporter panicked; what it was exporting is lost",
            ))
        });
        match &outcome {
            Ok(()) => self.failing = false,
            Err(err) => {
                if !self.failing {
                    eprintln!(
                        "otelrs: {err} (further failures of this exporter are not reported until it succeeds)"
                    );
                }
                self.failing = true;
            }
        }
        outcome
    }
}
