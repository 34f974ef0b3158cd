//! What the export threads of both signals share about delivering to an exporter: the error
//! an exporter's failure becomes, a panic caught instead of ending the thread, each export
//! recorded in the exporter's health, and a failure reported on stderr once per streak of
//! failures.

use crate::base::error::{Error, ErrorKind, Result};
use crate::export::health::ExporterHealth;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// The error for a failed export by `exporter` (e.g. "otlp", "file log").
pub(crate) fn export_error(exporter: &str, detail: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Export, format!("{exporter} exporter: {detail}"))
}

/// One exporter's deliveries: its health record, and whether its last delivery failed.
pub(crate) struct Delivery {
    health: Arc<ExporterHealth>,
    failing: bool,
    /// Whether a successful export counts as delivered here; not when the exporter only
    /// queues it on disk and its own sender records the deliveries.
    records_success: bool,
}

impl Delivery {
    pub(crate) fn new(health: Arc<ExporterHealth>) -> Self {
        Delivery {
            health,
            failing: false,
            records_success: true,
        }
    }

    /// The deliveries of an exporter that hands each export to its on-disk queue: only a
    /// failure to queue it is recorded here.
    pub(crate) fn queued(health: Arc<ExporterHealth>) -> Self {
        Delivery {
            records_success: false,
            ..Delivery::new(health)
        }
    }

    /// Runs `export` of `items` items; a panic becomes an error, the outcome goes to the
    /// exporter's health, and the first failure after a success (or at the start) is
    /// reported on stderr.
    pub(crate) fn run(&mut self, items: u64, export: impl FnOnce() -> Result<()>) -> Result<()> {
        let guarded = || {
            catch_unwind(AssertUnwindSafe(export)).unwrap_or_else(|_| {
                Err(Error::internal(
                    "an exporter panicked; what it was exporting is lost",
                ))
            })
        };
        let outcome = if self.records_success {
            self.health.export(items, guarded)
        } else {
            let started = std::time::Instant::now();
            let outcome = guarded();
            if outcome.is_err() {
                self.health.record(items, &outcome, started.elapsed());
            }
            outcome
        };
        match &outcome {
            Ok(()) => self.failing = false,
            Err(err) => {
                if !self.failing {
                    crate::base::diag::warn(format_args!(
                        "{err} (further failures of this exporter are not reported until it succeeds)"
                    ));
                }
                self.failing = true;
            }
        }
        outcome
    }

    /// Records the retries the exporter made so far.
    pub(crate) fn set_retries(&self, retries: u64) {
        self.health.set_retries(retries);
    }
}
