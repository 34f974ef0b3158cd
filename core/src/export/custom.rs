//! Delivery to an exporter written by the user: its function called with the encoded batch,
//! a `Retry` answer retried as a transient OTLP failure is.

use crate::base::error::{Error, Result};
use crate::config::{CustomExporter, ExportResult};
use crate::export::delivery::export_error;
use crate::export::http::{with_retries, Failure};
use std::time::Duration;

/// Hands `batch` to `exporter`, again after a `Retry` answer (with backoff) while `timeout`
/// allows; adds the attempts repeated to `retries`. A function that panics fails the batch.
pub(crate) fn deliver(
    exporter: &CustomExporter,
    batch: &[u8],
    timeout: Duration,
    retries: &mut u64,
) -> Result<()> {
    let name = format!("custom {:?}", exporter.name);
    with_retries(timeout, timeout, retries, |_| {
        let answer =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (exporter.export)(batch)));
        match answer {
            Ok(ExportResult::Success) => Ok(()),
            Ok(ExportResult::Retry(why)) => Err(Failure::Retryable(Error::internal(why), None)),
            Ok(ExportResult::Failure(why)) => Err(Failure::Final(Error::internal(why))),
            Err(_) => Err(Failure::Final(Error::internal("the exporter panicked"))),
        }
    })
    .map_err(|e| export_error(&name, e))
}
