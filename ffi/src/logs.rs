//! Logs from C: loggers, records, severities, and the per-thread trace context.

use crate::attributes::{self, otelrs_attribute};
use crate::boundary::{self, ffi_status, ffi_void, opaque};
use crate::sdk::otelrs_sdk;
use crate::status::otelrs_status;
use otelrs_core::context::{self, TraceContext};
use otelrs_core::logs::check_severity;
use otelrs_core::logs::{LogStats, RecordBuilder};
use otelrs_core::{Error, LogRecordInput, Logger};
use std::ffi::c_char;
use std::time::{Duration, UNIX_EPOCH};

/// The spec's severity numbers. Functions take them as `uint32_t`; any value above 24 is
/// refused with OTELRS_ERR_INVALID_ARGUMENT. OTELRS_SEVERITY_UNSPECIFIED (0) is a record whose
/// source gives no severity: it passes the minimum severity, is sampled as a record below the
/// sampling threshold, and is exported without a severity number or text.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // The spec's names, each with its number.
pub enum otelrs_severity {
    OTELRS_SEVERITY_UNSPECIFIED = 0,
    OTELRS_SEVERITY_TRACE = 1,
    OTELRS_SEVERITY_TRACE2 = 2,
    OTELRS_SEVERITY_TRACE3 = 3,
    OTELRS_SEVERITY_TRACE4 = 4,
    OTELRS_SEVERITY_DEBUG = 5,
    OTELRS_SEVERITY_DEBUG2 = 6,
    OTELRS_SEVERITY_DEBUG3 = 7,
    OTELRS_SEVERITY_DEBUG4 = 8,
    OTELRS_SEVERITY_INFO = 9,
    OTELRS_SEVERITY_INFO2 = 10,
    OTELRS_SEVERITY_INFO3 = 11,
    OTELRS_SEVERITY_INFO4 = 12,
    OTELRS_SEVERITY_WARN = 13,
    OTELRS_SEVERITY_WARN2 = 14,
    OTELRS_SEVERITY_WARN3 = 15,
    OTELRS_SEVERITY_WARN4 = 16,
    OTELRS_SEVERITY_ERROR = 17,
    OTELRS_SEVERITY_ERROR2 = 18,
    OTELRS_SEVERITY_ERROR3 = 19,
    OTELRS_SEVERITY_ERROR4 = 20,
    OTELRS_SEVERITY_FATAL = 21,
    OTELRS_SEVERITY_FATAL2 = 22,
    OTELRS_SEVERITY_FATAL3 = 23,
    OTELRS_SEVERITY_FATAL4 = 24,
}

/// A span's identity, as a W3C traceparent carries it. All-zero ids mean "no context".
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct otelrs_trace_context {
    /// The trace id.
    pub trace_id: [u8; 16],
    /// The span id.
    pub span_id: [u8; 8],
    /// The trace flags (bit 0: sampled).
    pub flags: u8,
}

impl From<TraceContext> for otelrs_trace_context {
    fn from(c: TraceContext) -> Self {
        otelrs_trace_context {
            trace_id: c.trace_id,
            span_id: c.span_id,
            flags: c.flags,
        }
    }
}

impl otelrs_trace_context {
    fn to_core(self) -> Option<TraceContext> {
        let c = TraceContext {
            trace_id: self.trace_id,
            span_id: self.span_id,
            flags: self.flags,
        };
        c.is_valid().then_some(c)
    }
}

/// A log record with every optional part; for `otelrs_log_emit`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct otelrs_log_record {
    /// The severity number, 0 to 24 (one of `otelrs_severity`).
    pub severity: u32,
    /// The body: a NUL-terminated UTF-8 string, not NULL.
    pub body: *const c_char,
    /// Attributes (NULL when `n_attrs` is 0).
    pub attrs: *const otelrs_attribute,
    /// How many attributes.
    pub n_attrs: usize,
    /// An event name, or NULL.
    pub event_name: *const c_char,
    /// When the event happened, in nanoseconds since the Unix epoch; 0 for unknown (the
    /// observed time is always set).
    pub timestamp_unix_nano: u64,
    /// The trace context to correlate with, or NULL for the calling thread's current one.
    pub trace_context: *const otelrs_trace_context,
}

/// A logger: emits records in one instrumentation scope. Thread-safe; valid until
/// `otelrs_logger_free`, even after the SDK shut down (emitting then returns
/// OTELRS_ERR_SHUTDOWN).
pub struct otelrs_logger {
    _private: [u8; 0],
}
opaque!(otelrs_logger => Logger, 0x0A77_0007);

/// Creates a logger for the instrumentation scope `scope` (non-empty) and `version` (NULL or
/// empty for none). Both strings are copied. On success `*out` owns the logger until
/// `otelrs_logger_free`.
///
/// # Safety
/// `sdk` is live; `scope` and `version` are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_logger_new(
    sdk: *const otelrs_sdk,
    scope: *const c_char,
    version: *const c_char,
    out: *mut *mut otelrs_logger,
) -> otelrs_status {
    ffi_status!("otelrs_logger_new", {
        boundary::check_out(out)?;
        // SAFETY: the caller's contract.
        let (sdk, scope, version) = unsafe {
            (
                boundary::borrow(sdk)?,
                boundary::text(scope, "scope")?,
                boundary::text_or_empty(version, "version")?,
            )
        };
        let logger = sdk.logger(scope, Some(version))?;
        // SAFETY: checked above.
        unsafe { boundary::give(out, logger) }
    })
}

/// Counts a log call that a language binding refused before it reached otelrs (a trace
/// context that does not parse); the logger's stats and the health report show the count as
/// `refused`. Calls that otelrs itself refuses are counted already. NULL is a no-op.
///
/// # Safety
/// `logger` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_logger_count_refused(logger: *const otelrs_logger) {
    ffi_void!("otelrs_logger_count_refused", {
        // SAFETY: the caller's contract.
        if let Ok(logger) = unsafe { boundary::borrow(logger) } {
            logger.count_refused();
        }
    })
}

/// Whether a record of `severity` would be kept (the SDK is running, a log exporter is
/// configured, and the severity passes OTELRS_LOGS_MIN_SEVERITY): a cheap check before
/// building an expensive record. False for NULL or a severity above 24.
///
/// # Safety
/// `logger` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_logger_enabled(
    logger: *const otelrs_logger,
    severity: u32,
) -> bool {
    boundary::ffi_value("otelrs_logger_enabled", false, || {
        // SAFETY: the caller's contract.
        let Ok(logger) = (unsafe { boundary::borrow(logger) }) else {
            return false;
        };
        check_severity(severity).is_ok_and(|s| logger.enabled(s))
    })
}

/// Emits `r`, whose attributes are `packed` instead when given (then `r` has none).
///
/// # Safety
/// `r` follows the contract of `otelrs_log_record`.
#[inline(always)]
unsafe fn emit(
    logger: *const otelrs_logger,
    r: &otelrs_log_record,
    packed: Option<&[u8]>,
    exception: Option<&[*const c_char; 3]>,
) -> Result<(), Error> {
    // SAFETY: the caller's contract.
    let logger = unsafe { boundary::borrow(logger)? };
    // What is refused before the core sees the record is counted here (the core counts what
    // it cannot build).
    let refused = |e: Error| {
        logger.count_refused();
        e
    };
    let severity = check_severity(r.severity).map_err(refused)?;
    if r.body.is_null() {
        return Err(refused(Error::new(
            otelrs_core::ErrorKind::Null,
            "body is NULL",
        )));
    }
    // SAFETY: the caller's contract.
    let trace = match unsafe { r.trace_context.as_ref() } {
        Some(ctx) => Some(ctx.to_core().ok_or_else(|| {
            refused(Error::new(
                otelrs_core::ErrorKind::InvalidArgument,
                "trace_context has an all-zero trace id or span id",
            ))
        })?),
        None => None,
    };
    logger.emit(severity, trace, || {
        // SAFETY: (the whole closure) the caller's contract.
        unsafe {
            let body = boundary::text(r.body, "body")?;
            let record = match packed {
                Some(bytes) => {
                    let mut record = RecordBuilder::new(body, bytes.len() + 16);
                    attributes::unpack(bytes, &mut record)?;
                    record
                }
                None => {
                    // A first guess of the size; `pack` checks the array before reading it.
                    let mut record = RecordBuilder::new(body, 64 * r.n_attrs.min(64));
                    attributes::pack(r.attrs, r.n_attrs, &mut record)?;
                    record
                }
            };
            let mut record = record;
            if let Some(exception) = exception {
                add_exception(&mut record, exception)?;
            }
            Ok(LogRecordInput {
                record,
                event_name: if r.event_name.is_null() {
                    None
                } else {
                    Some(boundary::text(r.event_name, "event_name")?.to_owned())
                },
                timestamp: (r.timestamp_unix_nano != 0)
                    .then(|| UNIX_EPOCH + Duration::from_nanos(r.timestamp_unix_nano)),
                severity_text: None,
                structured_body: None,
            })
        }
    })
}

/// Adds the exception attributes of `otelrs_log_exception_packed` (kept out of `emit`, whose
/// other callers never need it).
///
/// # Safety
/// The three pointers follow that function's contract.
#[inline(never)]
unsafe fn add_exception(
    record: &mut RecordBuilder,
    [type_name, message, stacktrace]: &[*const c_char; 3],
) -> Result<(), Error> {
    // SAFETY: the caller's contract.
    unsafe {
        record.exception(
            boundary::text(*type_name, "exception_type")?,
            boundary::text(*message, "exception_message")?,
            boundary::text_or_empty(*stacktrace, "exception_stacktrace")?,
        )
    }
}

/// Emits a record of `severity` (0 to 24) with `body` and the `n_attrs` attributes at `attrs`,
/// correlated with the calling thread's current trace context. Everything is copied; the
/// call never blocks (with the queue full the record is dropped and counted, see
/// `otelrs_sdk_log_stats`). A record below OTELRS_LOGS_MIN_SEVERITY costs a comparison.
///
/// # Safety
/// `logger` is live; `body` is NUL-terminated; `attrs` points to `n_attrs` attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_log(
    logger: *const otelrs_logger,
    severity: u32,
    body: *const c_char,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    let record = otelrs_log_record {
        severity,
        body,
        attrs,
        n_attrs,
        event_name: std::ptr::null(),
        timestamp_unix_nano: 0,
        trace_context: std::ptr::null(),
    };
    ffi_status!("otelrs_log", {
        // SAFETY: the caller's contract.
        unsafe { emit(logger, &record, None, None) }
    })
}

/// Emits `record`: `otelrs_log` with an event name, an explicit timestamp or an explicit
/// trace context. Everything is copied.
///
/// # Safety
/// `logger` is live; `record` points to a record following its fields' contracts.
#[no_mangle]
pub unsafe extern "C" fn otelrs_log_emit(
    logger: *const otelrs_logger,
    record: *const otelrs_log_record,
) -> otelrs_status {
    ffi_status!("otelrs_log_emit", {
        // SAFETY: the caller's contract.
        let record = unsafe { record.as_ref() }
            .ok_or_else(|| Error::new(otelrs_core::ErrorKind::Null, "record is NULL"))?;
        // SAFETY: the caller's contract.
        unsafe { emit(logger, record, None, None) }
    })
}

/// The record of a packed log call: its attributes come apart from it.
fn packed_record(
    severity: u32,
    body: *const c_char,
    trace_context: *const otelrs_trace_context,
) -> otelrs_log_record {
    otelrs_log_record {
        severity,
        body,
        attrs: std::ptr::null(),
        n_attrs: 0,
        event_name: std::ptr::null(),
        timestamp_unix_nano: 0,
        trace_context,
    }
}

/// Emits a record as `otelrs_log` does, with its attributes packed into the `len` bytes at
/// `attrs` rather than in an array of `otelrs_attribute` (one buffer that a binding writes in
/// one go, with no pointers in it), correlated with `trace_context`, or with the calling
/// thread's current trace context when it is NULL.
///
/// The packed form, attribute after attribute: the value's type (one byte, an
/// `otelrs_value_type`), the key (UTF-8 bytes and a NUL), then the value: a string as UTF-8
/// bytes and a NUL; a bool as the byte 0 or 1; an integer or a double as 8 little-endian
/// bytes; an array as its length (8 little-endian bytes) followed by its items in these same
/// forms. Bytes that do not follow it are refused with OTELRS_ERR_INVALID_ARGUMENT naming the
/// attribute (OTELRS_ERR_INVALID_UTF8 for a string that is not UTF-8).
///
/// # Safety
/// `logger` is live; `body` is NUL-terminated; `attrs` points to `len` bytes (or is NULL with
/// `len` 0); `trace_context` is NULL or points to a context.
#[no_mangle]
pub unsafe extern "C" fn otelrs_log_packed(
    logger: *const otelrs_logger,
    severity: u32,
    body: *const c_char,
    attrs: *const u8,
    len: usize,
    trace_context: *const otelrs_trace_context,
) -> otelrs_status {
    let record = packed_record(severity, body, trace_context);
    ffi_status!("otelrs_log_packed", {
        // SAFETY: the caller's contract.
        unsafe {
            let packed = boundary::slice(attrs, len, "attrs")?;
            emit(logger, &record, Some(packed), None)
        }
    })
}

/// Emits a record as `otelrs_log_packed` does, with an exception's attributes as the
/// semantic conventions name them: `exception.type` (`exception_type`, e.g. the class name),
/// `exception.message` and `exception.stacktrace` (NULL for none).
///
/// # Safety
/// As for `otelrs_log_packed`; `exception_type` and `exception_message` are NUL-terminated,
/// `exception_stacktrace` is NULL or NUL-terminated.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn otelrs_log_exception_packed(
    logger: *const otelrs_logger,
    severity: u32,
    body: *const c_char,
    attrs: *const u8,
    len: usize,
    trace_context: *const otelrs_trace_context,
    exception_type: *const c_char,
    exception_message: *const c_char,
    exception_stacktrace: *const c_char,
) -> otelrs_status {
    let record = packed_record(severity, body, trace_context);
    let exception = [exception_type, exception_message, exception_stacktrace];
    ffi_status!("otelrs_log_exception_packed", {
        // SAFETY: the caller's contract.
        unsafe {
            let packed = boundary::slice(attrs, len, "attrs")?;
            emit(logger, &record, Some(packed), Some(&exception))
        }
    })
}

/// Frees a logger; NULL is a no-op. Records it emitted are still exported.
///
/// # Safety
/// `logger` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_logger_free(logger: *mut otelrs_logger) {
    ffi_void!("otelrs_logger_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(logger) }
    })
}

/// What was emitted and what became of it. `emitted = filtered + sampled_out + suppressed +
/// kept`; of the kept records, `dropped` (SDK-wide only) found the queue full.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct otelrs_log_stats {
    /// Every valid emit.
    pub emitted: u64,
    /// Below OTELRS_LOGS_MIN_SEVERITY.
    pub filtered: u64,
    /// Left out by OTELRS_LOGS_SAMPLING_RATIO.
    pub sampled_out: u64,
    /// Left out by OTELRS_LOGS_RATE_LIMIT.
    pub suppressed: u64,
    /// Kept by every rule.
    pub kept: u64,
    /// Kept, then dropped because the queue (OTEL_BLRP_MAX_QUEUE_SIZE) was full.
    pub dropped: u64,
    /// Attributes dropped by the attribute count limit.
    pub attributes_dropped: u64,
    /// Log calls refused for bad input (not valid UTF-8, NULL where a value is needed, a bad
    /// type byte, severity or trace context): not records, not in `emitted`.
    pub refused: u64,
}

impl From<LogStats> for otelrs_log_stats {
    fn from(s: LogStats) -> Self {
        otelrs_log_stats {
            emitted: s.emitted,
            filtered: s.filtered,
            sampled_out: s.sampled_out,
            suppressed: s.suppressed,
            kept: s.kept,
            dropped: s.dropped,
            attributes_dropped: s.attributes_dropped,
            refused: s.refused,
        }
    }
}

/// Writes to `*out` the counts of every logger of the SDK, with the records the queue dropped.
///
/// # Safety
/// `sdk` is live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_sdk_log_stats(
    sdk: *const otelrs_sdk,
    out: *mut otelrs_log_stats,
) -> otelrs_status {
    ffi_status!("otelrs_sdk_log_stats", {
        // SAFETY: the caller's contract.
        let stats = unsafe { boundary::borrow(sdk)? }.log_stats();
        // SAFETY: the caller's contract.
        unsafe { boundary::write_out(out, stats.into()) }
    })
}

/// Writes to `*out` the counts of `logger`'s scope (shared by the loggers of that scope;
/// `dropped` is 0 here, see `otelrs_sdk_log_stats`).
///
/// # Safety
/// `logger` is live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_logger_stats(
    logger: *const otelrs_logger,
    out: *mut otelrs_log_stats,
) -> otelrs_status {
    ffi_status!("otelrs_logger_stats", {
        // SAFETY: the caller's contract.
        let stats = unsafe { boundary::borrow(logger)? }.stats();
        // SAFETY: the caller's contract.
        unsafe { boundary::write_out(out, stats.into()) }
    })
}

/// Parses a W3C traceparent header value (`00-<trace id>-<span id>-<flags>`, lower-case hex)
/// into `*out`. An invalid value is OTELRS_ERR_INVALID_ARGUMENT with a message saying what is
/// wrong; `*out` is then left alone.
///
/// # Safety
/// `traceparent` is NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_trace_context_parse(
    traceparent: *const c_char,
    out: *mut otelrs_trace_context,
) -> otelrs_status {
    ffi_status!("otelrs_trace_context_parse", {
        boundary::check_out(out)?;
        // SAFETY: the caller's contract.
        let ctx =
            TraceContext::from_traceparent(unsafe { boundary::text(traceparent, "traceparent")? })?;
        // SAFETY: checked above.
        unsafe { boundary::write_out(out, ctx.into()) }
    })
}

/// Makes `ctx` the calling thread's current trace context (NULL clears it), which records
/// emitted on this thread then carry. When `previous` is not NULL the context it replaces is
/// written there (all zero if there was none), so that a scope can restore it:
/// `otelrs_trace_context_set_current(&request_ctx, &saved); ...;
/// otelrs_trace_context_set_current(&saved, NULL);`.
///
/// # Safety
/// `ctx` is NULL or readable; `previous` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn otelrs_trace_context_set_current(
    ctx: *const otelrs_trace_context,
    previous: *mut otelrs_trace_context,
) -> otelrs_status {
    ffi_status!("otelrs_trace_context_set_current", {
        // SAFETY: the caller's contract.
        let new = unsafe { ctx.as_ref() }.and_then(|c| c.to_core());
        let old = context::set_current(new);
        if !previous.is_null() {
            // SAFETY: the caller's contract.
            unsafe { previous.write(old.map(Into::into).unwrap_or_default()) };
        }
        Ok(())
    })
}
