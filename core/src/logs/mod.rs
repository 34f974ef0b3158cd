//! Logs: loggers and the records they emit, the queue in front of the exporters (which counts
//! what it drops), and the exporters.

mod clickhouse;
mod console_json;
mod elasticsearch;
mod encoding;
mod loki;
mod otlp_records;
mod pipeline;
pub(crate) mod registry;
mod sampling;
mod sinks;
pub(crate) mod stats;
#[cfg(test)]
mod testing;

pub use encoding::RecordBuilder;
pub(crate) use pipeline::LogPipeline;
pub use stats::LogStats;
pub(crate) use stats::{LoggerCore, RANGES};

use crate::base::context::{self, TraceContext};
use crate::base::error::{Error, Result};
use crate::base::lifecycle::Lifecycle;
use registry::LoggerRegistry;
use sampling::Verdict;
use std::sync::Arc;
use std::time::SystemTime;

/// The severity number of a record whose source gives none (the data model's UNSPECIFIED):
/// it passes the minimum severity (the specification's logger configuration lets such records
/// through), is sampled as a record below the sampling threshold, and is counted under
/// `log.severity` UNSPECIFIED.
pub const UNSPECIFIED: u8 = 0;

/// The severity text the spec gives severity number `n` (1 to 24; none for 0).
pub fn severity_text(n: u8) -> Option<&'static str> {
    const TEXTS: [&str; 24] = [
        "TRACE", "TRACE2", "TRACE3", "TRACE4", "DEBUG", "DEBUG2", "DEBUG3", "DEBUG4", "INFO",
        "INFO2", "INFO3", "INFO4", "WARN", "WARN2", "WARN3", "WARN4", "ERROR", "ERROR2", "ERROR3",
        "ERROR4", "FATAL", "FATAL2", "FATAL3", "FATAL4",
    ];
    TEXTS.get(usize::from(n).checked_sub(1)?).copied()
}

/// Checks a severity number: 1 to 24, or 0 ([`UNSPECIFIED`]).
#[inline]
pub fn check_severity(n: u32) -> Result<u8> {
    match u8::try_from(n) {
        Ok(severity) if severity <= 24 => Ok(severity),
        _ => Err(severity_error(n)),
    }
}

/// Why severity `n` is refused (out of the recording path).
#[cold]
#[inline(never)]
fn severity_error(n: u32) -> Error {
    Error::invalid(format!(
        "severity {n} is out of range: the spec's numbers are 1 to 24, or 0 for unspecified"
    ))
}

/// One log record as a binding hands it over, before otelrs queues it.
#[derive(Debug, Clone)]
pub struct LogRecordInput {
    /// The body and attributes.
    pub record: RecordBuilder,
    /// An event name, if the record is an event.
    pub event_name: Option<String>,
    /// When the event happened, if the caller knows better than "now".
    pub timestamp: Option<SystemTime>,
    /// The severity as the source names it (a logging library's level name), when it is not
    /// the specification's name of the severity number.
    pub severity_text: Option<String>,
    /// A body that is not text (the record's text body is then left out), as the logs API
    /// allows: a map, a list, a number, bytes, or none at all.
    pub structured_body: Option<LogBody>,
}

/// A log record's body other than text: what the OpenTelemetry logs data model calls an
/// AnyValue.
#[derive(Debug, Clone, PartialEq)]
pub enum LogBody {
    /// No body.
    None,
    /// Text (inside a list or map).
    Text(String),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Double(f64),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A list of values.
    Array(Vec<LogBody>),
    /// Keys and their values, in order.
    Map(Vec<(String, LogBody)>),
}

/// What a queued record rarely has: an event name, the source's severity text, a body that is
/// not text.
pub(crate) struct Extra {
    pub event_name: Option<String>,
    pub severity_text: Option<String>,
    pub body: Option<LogBody>,
}

/// A record in the queue.
pub(crate) struct QueuedRecord {
    pub core: Arc<LoggerCore>,
    pub severity: u8,
    /// Body and attributes, see [`encoding`].
    pub packed: Vec<u8>,
    /// The event name, the source's severity text and a body that is not text, when the
    /// record has any (rarely: kept out of line so that a queued record stays small).
    pub extra: Option<Box<Extra>>,
    pub timestamp: Option<SystemTime>,
    pub observed: SystemTime,
    pub trace_context: Option<TraceContext>,
}

/// A logger: emits records in one instrumentation scope. Thread-safe, cheap to clone; valid
/// after shutdown (emitting then fails with [`crate::ErrorKind::Shutdown`]).
#[derive(Clone)]
pub struct Logger {
    pub(crate) life: Arc<Lifecycle>,
    pub(crate) registry: Arc<LoggerRegistry>,
    pub(crate) core: Arc<LoggerCore>,
}

impl Logger {
    /// Whether a record of `severity` passes the minimum severity: a cheap check before
    /// building one. (Sampling may still leave it out.)
    #[inline]
    pub fn enabled(&self, severity: u8) -> bool {
        !self.life.is_shut_down()
            && self
                .registry
                .pipeline()
                .is_some_and(|p| p.accepts(severity))
    }

    /// Emits a record of `severity` (1 to 24, or [`UNSPECIFIED`]), correlated with `trace` or, when it is `None`,
    /// with the calling thread's current trace context. `build` runs only when the rules keep
    /// the record, so a filtered or sampled-out record costs almost nothing. Never blocks:
    /// with the queue full the record is dropped and counted.
    #[inline]
    pub fn emit(
        &self,
        severity: u8,
        trace: Option<TraceContext>,
        build: impl FnOnce() -> Result<LogRecordInput>,
    ) -> Result<()> {
        if self.life.is_shut_down() {
            return Err(Error::shutdown());
        }
        let Some(pipeline) = self.registry.pipeline() else {
            return Ok(()); // disabled, or no log exporter
        };
        if !pipeline.accepts(severity) {
            self.core.count_filtered();
            return Ok(());
        }
        self.emit_accepted(pipeline, severity, trace, build)
    }

    /// [`Self::emit`] of a record the minimum severity accepts: the rest of the rules, then
    /// the queue (out of line, so that a filtered record costs a few instructions).
    #[inline(never)]
    fn emit_accepted(
        &self,
        pipeline: &LogPipeline,
        severity: u8,
        trace: Option<TraceContext>,
        build: impl FnOnce() -> Result<LogRecordInput>,
    ) -> Result<()> {
        let core = &*self.core;
        let trace = trace.or_else(context::current);
        match core.decide(pipeline.sampling(), severity, trace.as_ref()) {
            Verdict::Keep => {}
            _ => return Ok(()),
        }
        let input = match build() {
            Ok(input) => input,
            Err(e) => {
                core.uncount_kept(severity);
                core.count_refused();
                return Err(e);
            }
        };
        let refused = pipeline.push(QueuedRecord {
            core: Arc::clone(&self.core),
            severity,
            packed: input.record.into_packed(),
            extra: (input.event_name.is_some()
                || input.severity_text.is_some()
                || input.structured_body.is_some())
            .then(|| {
                Box::new(Extra {
                    event_name: input.event_name,
                    severity_text: input.severity_text,
                    body: input.structured_body,
                })
            }),
            timestamp: input.timestamp,
            observed: SystemTime::now(),
            trace_context: trace,
        });
        if refused.is_err() {
            // Shut down while this record was built: it would not be exported.
            core.uncount_kept(severity);
            return Err(Error::shutdown());
        }
        Ok(())
    }

    /// Counts a log call refused for bad input before it reached [`Self::emit`] (a trace
    /// context or severity that does not parse): `refused` in the stats. `emit` counts those
    /// whose body or attributes it cannot build.
    pub fn count_refused(&self) {
        self.core.count_refused();
    }

    /// Whether a binding raises on a refused log call (OTELRS_STRICT); otherwise it drops
    /// the record, and the call is counted as refused.
    pub fn strict(&self) -> bool {
        self.life.strict()
    }

    /// What this logger's scope emitted so far, and what became of it.
    pub fn stats(&self) -> LogStats {
        self.core.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_texts_follow_the_spec() {
        assert_eq!(severity_text(1), Some("TRACE"));
        assert_eq!(severity_text(12), Some("INFO4"));
        assert_eq!(severity_text(17), Some("ERROR"));
        assert_eq!(severity_text(24), Some("FATAL4"));
        assert_eq!(severity_text(0), None);
        assert_eq!(severity_text(25), None);
        assert_eq!(check_severity(0).unwrap(), UNSPECIFIED);
        assert!(check_severity(25).is_err() && check_severity(9).is_ok());
    }
}
