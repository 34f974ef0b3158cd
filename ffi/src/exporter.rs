//! Exporters written in C: a function plus `void *user_data`, called on an otelrs thread with
//! each batch as OTLP protobuf or OTLP JSON.

use crate::boundary::{self, ffi_status};
use crate::config::otelrs_config;
use crate::status::otelrs_status;
use otelrs_core::{Config, Error, ErrorKind, ExportFormat, ExportResult};
use std::ffi::{c_int, c_void};

/// How a custom exporter receives each batch.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum otelrs_export_format {
    /// An OTLP `ExportLogsServiceRequest` or `ExportMetricsServiceRequest`, protobuf-encoded.
    OTELRS_EXPORT_PROTOBUF = 0,
    /// The same request in OTLP JSON (not NUL-terminated).
    OTELRS_EXPORT_JSON = 1,
}

/// Delivered.
pub const OTELRS_EXPORT_SUCCESS: i32 = 0;
/// Not delivered, but it may be if tried again: otelrs calls again with the same batch, with
/// backoff, within the export timeout (OTEL_BLRP_EXPORT_TIMEOUT, OTEL_METRIC_EXPORT_TIMEOUT).
pub const OTELRS_EXPORT_RETRY: i32 = 1;
/// Not delivered, for good: the batch counts as failed (any other value counts so too).
pub const OTELRS_EXPORT_FAILURE: i32 = 2;

/// A custom exporter: called on an otelrs thread with `len` bytes at `batch` (valid during
/// the call only) and the `user_data` given at registration; returns OTELRS_EXPORT_SUCCESS,
/// OTELRS_EXPORT_RETRY or OTELRS_EXPORT_FAILURE. Each exporter is called by one thread at a
/// time. It may log and record through otelrs, but not flush or shut it down.
pub type otelrs_export_fn =
    Option<unsafe extern "C" fn(batch: *const u8, len: usize, user_data: *mut c_void) -> c_int>;

fn add(
    cfg: *mut otelrs_config,
    name: *const std::ffi::c_char,
    format: c_int,
    export: otelrs_export_fn,
    user_data: *mut c_void,
    add: fn(&mut Config, &str, ExportFormat, otelrs_core::ExportFn) -> otelrs_core::Result<()>,
) -> otelrs_core::Result<()> {
    // SAFETY: the caller's contract.
    let name = unsafe { boundary::text(name, "name")? };
    let format = match format {
        0 => ExportFormat::Protobuf,
        1 => ExportFormat::Json,
        n => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("format {n} is neither OTELRS_EXPORT_PROTOBUF nor OTELRS_EXPORT_JSON"),
            ))
        }
    };
    let export = export.ok_or_else(|| Error::new(ErrorKind::Null, "export_fn is NULL"))?;
    let user_data = boundary::UserData(user_data);
    let label = name.to_owned();
    let call = Box::new(move |batch: &[u8]| {
        // SAFETY: a C function pointer given for this purpose, with its user data; the batch
        // is valid for the call.
        let code = unsafe { export(batch.as_ptr(), batch.len(), user_data.get()) };
        ExportResult::from_code(i64::from(code), Some(&label))
            .unwrap_or_else(|| ExportResult::Failure(format!("{label} returned {code}")))
    });
    // SAFETY: the caller's contract; a configuration is used by one thread at a time.
    add(unsafe { boundary::borrow_mut(cfg)? }, name, format, call)
}

/// Adds an exporter of log records written in C, beside those of OTEL_LOGS_EXPORTER:
/// `export_fn(batch, len, user_data)` is called on otelrs's log export thread with each batch
/// as an OTLP `ExportLogsServiceRequest` in `format` (an `otelrs_export_format`), and its answer
/// counts in the exporter's health (under `name`) as an OTLP export's does. `name` (copied):
/// 1 to 64 letters, digits, `_`, `-` and `.`, not taken by another log exporter; otherwise
/// OTELRS_ERR_CONFIG. `user_data` must stay valid, and usable from that thread, until the SDK
/// is freed.
///
/// # Safety
/// `cfg` is a live configuration; `name` is a NUL-terminated string; `export_fn` is a function
/// of that signature.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_add_log_exporter(
    cfg: *mut otelrs_config,
    name: *const std::ffi::c_char,
    format: c_int,
    export_fn: otelrs_export_fn,
    user_data: *mut c_void,
) -> otelrs_status {
    ffi_status!("otelrs_config_add_log_exporter", {
        add(
            cfg,
            name,
            format,
            export_fn,
            user_data,
            Config::add_log_exporter,
        )
    })
}

/// Adds an exporter of metrics written in C, beside those of OTEL_METRICS_EXPORTER: as
/// `otelrs_config_add_log_exporter`, called on otelrs's collection thread with each collection
/// (every OTEL_METRIC_EXPORT_INTERVAL, and at a flush) as a cumulative OTLP
/// `ExportMetricsServiceRequest`.
///
/// # Safety
/// As `otelrs_config_add_log_exporter`.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_add_metric_exporter(
    cfg: *mut otelrs_config,
    name: *const std::ffi::c_char,
    format: c_int,
    export_fn: otelrs_export_fn,
    user_data: *mut c_void,
) -> otelrs_status {
    ffi_status!("otelrs_config_add_metric_exporter", {
        add(
            cfg,
            name,
            format,
            export_fn,
            user_data,
            Config::add_metric_exporter,
        )
    })
}
