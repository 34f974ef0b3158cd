//! Settings from C: the same keys as the environment variables, set from code.

use crate::boundary::{self, ffi_status, ffi_void, opaque};
use crate::status::otelrs_status;
use otelrs_core::Config;

/// Settings set from code, which override the environment key by key. Not thread-safe:
/// fill it from one thread, then pass it to `otelrs_sdk_new`.
pub struct otelrs_config {
    _private: [u8; 0],
}
opaque!(otelrs_config => Config, 0x0A77_0002);

/// Creates an empty configuration: with nothing set, the environment and the defaults
/// decide. On success `*out` owns it until `otelrs_config_free`.
///
/// # Safety
/// `out` is valid for a write.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_new(out: *mut *mut otelrs_config) -> otelrs_status {
    ffi_status!("otelrs_config_new", {
        // SAFETY: the caller's contract.
        unsafe { boundary::give(out, Config::new()) }
    })
}

/// Sets `key` (an OTEL_* or OTELRS_* name from the settings table, e.g.
/// "OTEL_METRICS_EXPORTER") to `value`, overriding the environment. An unknown key or a
/// value that does not parse gives OTELRS_ERR_CONFIG and a message naming both; the
/// configuration is then unchanged. Both strings are copied.
///
/// # Safety
/// `cfg` is a live configuration; `key` and `value` are NUL-terminated strings.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_set(
    cfg: *mut otelrs_config,
    key: *const std::ffi::c_char,
    value: *const std::ffi::c_char,
) -> otelrs_status {
    ffi_status!("otelrs_config_set", {
        // SAFETY: the caller's contract.
        let (key, value) =
            unsafe { (boundary::text(key, "key")?, boundary::text(value, "value")?) };
        // SAFETY: the caller's contract; a configuration is used by one thread at a time.
        unsafe { boundary::borrow_mut(cfg)? }.set(key, value)
    })
}

/// Adds a view: which instruments it selects and the stream it gives them, in the text form
/// of OTELRS_METRICS_VIEWS (one view): `key=value` pairs separated by commas, list items
/// separated by `|`, values percent-decoded. For example
/// "instrument_name=http.server.request.duration,boundaries=0.005|0.01|0.1|1" or
/// "meter_name=noisy.lib,aggregation=drop". Views added here come after those of
/// OTELRS_METRICS_VIEWS. An invalid view gives OTELRS_ERR_CONFIG and a message saying why;
/// the configuration is then unchanged. The string is copied.
///
/// # Safety
/// `cfg` is a live configuration; `view` is a NUL-terminated string.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_add_view(
    cfg: *mut otelrs_config,
    view: *const std::ffi::c_char,
) -> otelrs_status {
    ffi_status!("otelrs_config_add_view", {
        // SAFETY: the caller's contract.
        let view = unsafe { boundary::text(view, "view")? };
        // SAFETY: the caller's contract; a configuration is used by one thread at a time.
        unsafe { boundary::borrow_mut(cfg)? }.add_view(view)
    })
}

/// Frees a configuration; NULL is a no-op. An SDK made from it does not need it any more.
///
/// # Safety
/// `cfg` is NULL or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn otelrs_config_free(cfg: *mut otelrs_config) {
    ffi_void!("otelrs_config_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(cfg) }
    })
}
