//! The SDK and meters from C.

use crate::boundary::{self, ffi_status, ffi_void, opaque};
use crate::config::otelrs_config;
use crate::status::otelrs_status;
use otelrs_core::{Config, Meter, Sdk};
use std::ffi::{c_char, CString};
use std::time::Duration;

/// An OpenTelemetry SDK: resource, settings, metrics pipeline and exporters, with its own
/// threads. Thread-safe. Create one per process with `otelrs_sdk_new`; end it with
/// `otelrs_sdk_shutdown`, then `otelrs_sdk_free`.
pub struct otelrs_sdk {
    _private: [u8; 0],
}
opaque!(otelrs_sdk => Sdk, 0x0A77_0003);

/// A meter: the instrumentation scope instruments are created in. Thread-safe; it may be
/// freed while instruments made from it live on.
pub struct otelrs_meter {
    _private: [u8; 0],
}
opaque!(otelrs_meter => Meter, 0x0A77_0004);

/// Starts an SDK with the settings of `cfg` over the environment (`cfg` may be NULL: the
/// environment alone). A bad setting gives OTELRS_ERR_CONFIG with a message naming the key
/// and the value. With OTEL_SDK_DISABLED=true every later call is a cheap no-op that
/// succeeds. `cfg` is not kept. On success `*out` owns the SDK until `otelrs_sdk_free`.
///
/// # Safety
/// `cfg` is NULL or a live configuration; `out` is valid for a write.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_sdk_new(
    cfg: *const otelrs_config,
    out: *mut *mut otelrs_sdk,
) -> otelrs_status {
    ffi_status!("otelrs_sdk_new", {
        boundary::check_out(out)?;
        let sdk = if cfg.is_null() {
            Sdk::new(&Config::new())?
        } else {
            // SAFETY: the caller's contract.
            Sdk::new(unsafe { boundary::borrow(cfg)? })?
        };
        // SAFETY: checked above.
        unsafe { boundary::give(out, sdk) }
    })
}

/// Collects and exports now through every push exporter (otlp, console, file), waiting at
/// most `timeout_ms`. OTELRS_ERR_TIMEOUT if that was not enough (the export goes on in the
/// background); OTELRS_ERR_EXPORT if an exporter failed; OTELRS_ERR_SHUTDOWN after shutdown.
///
/// # Safety
/// `sdk` is a live SDK.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_sdk_force_flush(
    sdk: *const otelrs_sdk,
    timeout_ms: u32,
) -> otelrs_status {
    ffi_status!("otelrs_sdk_force_flush", {
        // SAFETY: the caller's contract.
        unsafe { boundary::borrow(sdk)? }.force_flush(Duration::from_millis(timeout_ms.into()))
    })
}

/// Exports what was recorded and stops the SDK's threads, returning within `timeout_ms`
/// even when an endpoint is unreachable (then OTELRS_ERR_TIMEOUT, and the last export is
/// abandoned in the background). Instruments stay valid; recording then returns
/// OTELRS_ERR_SHUTDOWN. A second call returns OTELRS_ERR_SHUTDOWN.
///
/// # Safety
/// `sdk` is a live SDK.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_sdk_shutdown(
    sdk: *const otelrs_sdk,
    timeout_ms: u32,
) -> otelrs_status {
    ffi_status!("otelrs_sdk_shutdown", {
        // SAFETY: the caller's contract.
        unsafe { boundary::borrow(sdk)? }.shutdown(Duration::from_millis(timeout_ms.into()))
    })
}

/// Collects the `memory` exporter's reader now (add `memory` to OTEL_METRICS_EXPORTER) and
/// writes to `*out_json` a new NUL-terminated string: one OTLP-JSON
/// ExportMetricsServiceRequest. The caller owns it and frees it with `otelrs_string_free`.
/// Observable callbacks run on the calling thread during the call.
///
/// # Safety
/// `sdk` is a live SDK; `out_json` is valid for a write.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_sdk_collect_json(
    sdk: *const otelrs_sdk,
    out_json: *mut *mut c_char,
) -> otelrs_status {
    ffi_status!("otelrs_sdk_collect_json", {
        boundary::check_out(out_json)?;
        // SAFETY: the caller's contract.
        let json = unsafe { boundary::borrow(sdk)? }.collect_json()?;
        // SAFETY: checked above.
        unsafe { write_json(out_json, json) }
    })
}

/// A Prometheus scrape's answer for the app's own HTTP server (see
/// `otelrs_sdk_prometheus_exposition`): send `body` with the headers `Content-Type:
/// content_type` and, when it is not NULL, `Content-Encoding: content_encoding`. Everything
/// it points to is otelrs's until `otelrs_exposition_free`.
#[repr(C)]
#[derive(Debug)]
pub struct otelrs_exposition {
    /// The body: the Prometheus text format 0.0.4 or OpenMetrics, gzip-compressed when
    /// `content_encoding` is "gzip".
    pub body: *mut u8,
    /// The body's length in bytes.
    pub body_len: usize,
    /// The Content-Type header's value, NUL-terminated.
    pub content_type: *mut c_char,
    /// "gzip" when the body is compressed, else NULL.
    pub content_encoding: *const c_char,
}

/// Writes to `*out` the answer to a Prometheus scrape whose `Accept` and `Accept-Encoding`
/// headers were `accept` and `accept_encoding` (NULL when absent): the text format 0.0.4,
/// or OpenMetrics when `accept` asks for it, gzip-compressed when `accept_encoding` accepts
/// it. It is what the Prometheus endpoint answers: in a pre-fork server, every worker's
/// metrics merged. Needs `prometheus` in OTEL_METRICS_EXPORTER (OTELRS_PROMETHEUS_LISTEN=false:
/// the endpoint listens on no port of its own). Blocks while collecting (in a pre-fork
/// server, at most twice OTELRS_PROMETHEUS_WORKER_TIMEOUT and a second); observable
/// callbacks run on otelrs's threads meanwhile. Free `*out` with `otelrs_exposition_free`.
/// OTELRS_ERR_CONFIG without the Prometheus exporter; OTELRS_ERR_EXPORT or
/// OTELRS_ERR_TIMEOUT when the process merging the workers cannot be asked.
///
/// # Safety
/// `sdk` is a live SDK; `accept` and `accept_encoding` are NULL or NUL-terminated; `out` is
/// valid for a write.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_sdk_prometheus_exposition(
    sdk: *const otelrs_sdk,
    accept: *const c_char,
    accept_encoding: *const c_char,
    out: *mut otelrs_exposition,
) -> otelrs_status {
    ffi_status!("otelrs_sdk_prometheus_exposition", {
        boundary::check_out(out)?;
        // SAFETY: the caller's contract.
        let (sdk, accept, accept_encoding) = unsafe {
            (
                boundary::borrow(sdk)?,
                boundary::text_or_empty(accept, "accept")?,
                boundary::text_or_empty(accept_encoding, "accept_encoding")?,
            )
        };
        let exposition = sdk.prometheus_exposition(accept, accept_encoding)?;
        let content_type = CString::new(exposition.content_type)
            .map_err(|_| otelrs_core::Error::new(otelrs_core::ErrorKind::Internal, "a NUL byte"))?;
        let body = Box::into_raw(exposition.body.into_boxed_slice());
        let answer = otelrs_exposition {
            body: body.cast(),
            body_len: body.len(),
            content_type: content_type.into_raw(),
            content_encoding: match exposition.content_encoding {
                Some(_) => c"gzip".as_ptr(),
                None => std::ptr::null(),
            },
        };
        // SAFETY: checked above.
        unsafe { boundary::write_out(out, answer) }
    })
}

/// Whether `otelrs_sdk_prometheus_exposition` can answer, found without collecting (for a
/// server's setup): OTELRS_ERR_CONFIG without the Prometheus exporter, OTELRS_ERR_SHUTDOWN
/// after shutdown, else OTELRS_OK.
///
/// # Safety
/// `sdk` is a live SDK.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_sdk_check_prometheus_exposition(
    sdk: *const otelrs_sdk,
) -> otelrs_status {
    ffi_status!("otelrs_sdk_check_prometheus_exposition", {
        // SAFETY: the caller's contract.
        unsafe { boundary::borrow(sdk)? }.check_prometheus_exposition()
    })
}

/// Frees what `otelrs_sdk_prometheus_exposition` wrote to `*e` and clears it; NULL, or an
/// exposition already freed, is a no-op.
///
/// # Safety
/// `e` is NULL or points to an exposition otelrs wrote (or one cleared by this call).
#[no_mangle]
pub unsafe extern "C" fn otelrs_exposition_free(e: *mut otelrs_exposition) {
    ffi_void!("otelrs_exposition_free", {
        // SAFETY: the caller's contract.
        let Some(e) = (unsafe { e.as_mut() }) else {
            return;
        };
        if !e.body.is_null() {
            // SAFETY: made by Box::into_raw of a boxed slice of `body_len` bytes above.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(e.body, e.body_len)) });
        }
        if !e.content_type.is_null() {
            // SAFETY: made by CString::into_raw above.
            drop(unsafe { CString::from_raw(e.content_type) });
        }
        *e = otelrs_exposition {
            body: std::ptr::null_mut(),
            body_len: 0,
            content_type: std::ptr::null_mut(),
            content_encoding: std::ptr::null(),
        };
    })
}

/// The groups of OTELRS_SYSTEM_METRICS, as bits of the value `otelrs_sdk_system_metrics`
/// returns.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum otelrs_system_metrics {
    /// `host`: the `system.*` metrics.
    OTELRS_SYSTEM_METRICS_HOST = 1,
    /// `process`: the `process.*` metrics.
    OTELRS_SYSTEM_METRICS_PROCESS = 2,
    /// `runtime`: otelrs's runtimes, and the host program's language runtime.
    OTELRS_SYSTEM_METRICS_RUNTIME = 4,
    /// `sdk`: the `otel.sdk.*` metrics of otelrs itself.
    OTELRS_SYSTEM_METRICS_SDK = 8,
}

/// Whether a language binding over this library raises on a recording error
/// (OTELRS_STRICT=true); false for NULL. C callers get the status either way.
///
/// # Safety
/// `sdk` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_sdk_strict(sdk: *const otelrs_sdk) -> bool {
    boundary::ffi_value("otelrs_sdk_strict", false, || {
        // SAFETY: the caller's contract.
        unsafe { boundary::borrow(sdk) }.is_ok_and(|sdk| sdk.strict())
    })
}

/// Counts a measurement that a language binding dropped for a bad value or attribute (its
/// recording call did not raise: OTELRS_STRICT is off); the health report shows the count as
/// `refused_measurements`. NULL is a no-op.
///
/// # Safety
/// `sdk` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_sdk_count_refused(sdk: *const otelrs_sdk) {
    ffi_void!("otelrs_sdk_count_refused", {
        // SAFETY: the caller's contract.
        if let Ok(sdk) = unsafe { boundary::borrow(sdk) } {
            sdk.count_refused();
        }
    })
}

/// The groups of OTELRS_SYSTEM_METRICS the SDK reports, a bitwise or of
/// `otelrs_system_metrics` values; 0 for NULL, a disabled SDK or one without metrics
/// exporters. A program with a runtime of its own (an embedded interpreter) reports that
/// runtime's metrics when OTELRS_SYSTEM_METRICS_RUNTIME is set, as the Python and Ruby
/// bindings do.
///
/// # Safety
/// `sdk` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_sdk_system_metrics(sdk: *const otelrs_sdk) -> u32 {
    boundary::ffi_value("otelrs_sdk_system_metrics", 0, || {
        // SAFETY: the caller's contract.
        let Ok(sdk) = (unsafe { boundary::borrow(sdk) }) else {
            return 0;
        };
        let g = sdk.system_metrics();
        [
            (g.host, otelrs_system_metrics::OTELRS_SYSTEM_METRICS_HOST),
            (
                g.process,
                otelrs_system_metrics::OTELRS_SYSTEM_METRICS_PROCESS,
            ),
            (
                g.runtime,
                otelrs_system_metrics::OTELRS_SYSTEM_METRICS_RUNTIME,
            ),
            (g.sdk, otelrs_system_metrics::OTELRS_SYSTEM_METRICS_SDK),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |bits, (_, bit)| bits | *bit as u32)
    })
}

/// Hands `json` to the caller through `out`, to be freed with `otelrs_string_free`.
///
/// # Safety
/// `out` passed `boundary::check_out`.
unsafe fn write_json(out: *mut *mut c_char, json: String) -> otelrs_core::Result<()> {
    let json = CString::new(json).map_err(|_| {
        otelrs_core::Error::new(otelrs_core::ErrorKind::Internal, "JSON held a NUL byte")
    })?;
    // SAFETY: the caller's contract.
    unsafe { boundary::write_out(out, json.into_raw()) }
}

/// Writes the health of the SDK's pipeline as one JSON object to `*out_json` (free it with
/// `otelrs_string_free`): `status` ("ok", "degraded" or "failing"), `reasons` (why, one
/// sentence each), `time`, `shut_down`, `exporters` (for each exporter, the Prometheus
/// endpoint's scrapes counting as exports: `signal`, `exporter`, `component`, `status`,
/// `exports`, `failed_exports`, `consecutive_failures`,
/// `exported` and `failed` items, `retries`, `last_success_time`, `last_error_time`,
/// `last_error`; log exporters also `queue_size`, `queue_capacity`, `queue_fill` and
/// `dropped`) and `logs` (the counts of `otelrs_sdk_log_stats`). An exporter is "failing"
/// after 3 failed exports in a row, "degraded" after 1 or 2, or while the log queue is at
/// least 80 % full or dropped records in the last 60 s; the SDK's status is the worst of its
/// exporters' ("ok" without exporters). Works after shutdown too.
///
/// # Safety
/// `sdk` is a live SDK; `out_json` is a writable pointer.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_sdk_health_json(
    sdk: *const otelrs_sdk,
    out_json: *mut *mut c_char,
) -> otelrs_status {
    ffi_status!("otelrs_sdk_health_json", {
        boundary::check_out(out_json)?;
        // SAFETY: the caller's contract.
        let json = unsafe { boundary::borrow(sdk)? }.health_json();
        // SAFETY: checked above.
        unsafe { write_json(out_json, json) }
    })
}

/// Frees a string otelrs returned (from `otelrs_sdk_collect_json` or `otelrs_sdk_health_json`); NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string otelrs returned and that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn otelrs_string_free(s: *mut c_char) {
    ffi_void!("otelrs_string_free", {
        if !s.is_null() {
            // SAFETY: made by CString::into_raw in otelrs, by the caller's contract.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// Frees an SDK; NULL is a no-op. Without a prior `otelrs_sdk_shutdown` it first exports
/// what it can within one second. Meters and instruments made from it stay valid handles
/// (recording through them returns OTELRS_ERR_SHUTDOWN) until freed.
///
/// # Safety
/// `sdk` is NULL or a live SDK no other thread uses during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_sdk_free(sdk: *mut otelrs_sdk) {
    ffi_void!("otelrs_sdk_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(sdk) }
    })
}

/// Creates a meter for the instrumentation scope `scope` (non-empty) and `version` (NULL or
/// empty for none). Both strings are copied. On success `*out` owns the meter until
/// `otelrs_meter_free`.
///
/// # Safety
/// `sdk` is a live SDK; `scope` and `version` are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_meter_new(
    sdk: *const otelrs_sdk,
    scope: *const c_char,
    version: *const c_char,
    out: *mut *mut otelrs_meter,
) -> otelrs_status {
    ffi_status!("otelrs_meter_new", {
        boundary::check_out(out)?;
        // SAFETY: the caller's contract.
        let (sdk, scope, version) = unsafe {
            (
                boundary::borrow(sdk)?,
                boundary::text(scope, "scope")?,
                boundary::text_or_empty(version, "version")?,
            )
        };
        let meter = sdk.meter(scope, Some(version))?;
        // SAFETY: checked above.
        unsafe { boundary::give(out, meter) }
    })
}

/// Frees a meter; NULL is a no-op. Its instruments stay valid.
///
/// # Safety
/// `meter` is NULL or a live meter no other thread uses during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_meter_free(meter: *mut otelrs_meter) {
    ffi_void!("otelrs_meter_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(meter) }
    })
}
