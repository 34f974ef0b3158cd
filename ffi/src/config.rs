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

/// Reads the configuration file at `path` (YAML of the OpenTelemetry configuration schema,
/// as OTEL_CONFIG_FILE names one), checking it now: the SDK takes its settings from it instead
/// of the environment (which only its `${VAR}` references read), with those set on `cfg`
/// over them. A file that cannot be read, is not YAML, or has an unknown key, a value of the
/// wrong type or a part otelrs does not have gives OTELRS_ERR_CONFIG and a message naming
/// the path in the file (e.g. "meter_provider.readers[1].periodic.exporter.otlp_http.endpoint:
/// expected a string"). `path` is copied.
///
/// # Safety
/// `cfg` is a live configuration; `path` is a NUL-terminated string.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_from_file(
    cfg: *mut otelrs_config,
    path: *const std::ffi::c_char,
) -> otelrs_status {
    ffi_status!("otelrs_config_from_file", {
        // SAFETY: the caller's contract.
        let path = unsafe { boundary::text(path, "path")? };
        // SAFETY: the caller's contract; a configuration is used by one thread at a time.
        unsafe { boundary::borrow_mut(cfg)? }.set_file(path)
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

/// Sets the setting `name` names to `value`: an exact key, or the keyword form the Python
/// and Ruby bindings take (the key in lower case without its OTEL_ / OTELRS_ prefix, e.g.
/// "service_name"). Otherwise as `otelrs_config_set`.
///
/// # Safety
/// `cfg` is a live configuration; `name` and `value` are NUL-terminated strings.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_set_named(
    cfg: *mut otelrs_config,
    name: *const std::ffi::c_char,
    value: *const std::ffi::c_char,
) -> otelrs_status {
    ffi_status!("otelrs_config_set_named", {
        // SAFETY: the caller's contract.
        let (name, value) = unsafe {
            (
                boundary::text(name, "name")?,
                boundary::text(value, "value")?,
            )
        };
        // SAFETY: the caller's contract; a configuration is used by one thread at a time.
        unsafe { boundary::borrow_mut(cfg)? }
            .set_named(name, value)
            .map(drop)
    })
}

/// Adds the pair `key`=`value` to the key-value setting `name` (named as for
/// `otelrs_config_set_named`: OTEL_RESOURCE_ATTRIBUTES, an ..._HEADERS key), after the pairs
/// added before; both are percent-encoded, so they may hold `,`, `=` and `%`. Any other
/// setting gives OTELRS_ERR_CONFIG.
///
/// # Safety
/// `cfg` is a live configuration; the strings are NUL-terminated.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_add_pair(
    cfg: *mut otelrs_config,
    name: *const std::ffi::c_char,
    key: *const std::ffi::c_char,
    value: *const std::ffi::c_char,
) -> otelrs_status {
    ffi_status!("otelrs_config_add_pair", {
        // SAFETY: the caller's contract.
        let (name, key, value) = unsafe {
            (
                boundary::text(name, "name")?,
                boundary::text(key, "key")?,
                boundary::text(value, "value")?,
            )
        };
        // SAFETY: the caller's contract; a configuration is used by one thread at a time.
        unsafe { boundary::borrow_mut(cfg)? }
            .add_pair(name, key, value)
            .map(drop)
    })
}

/// Adds a view given as `n` keys and values (the keys of the text form, see
/// `otelrs_config_add_view`); a key given again adds an item to its list (`boundaries`,
/// `attribute_keys`). Values are taken as they are: no `,`, `|` or `%` in them is read as a
/// separator or an escape.
///
/// # Safety
/// `cfg` is a live configuration; `keys` and `values` each point to `n` NUL-terminated
/// strings (or are NULL with `n` 0).
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_config_add_view_pairs(
    cfg: *mut otelrs_config,
    keys: *const *const std::ffi::c_char,
    values: *const *const std::ffi::c_char,
    n: usize,
) -> otelrs_status {
    ffi_status!("otelrs_config_add_view_pairs", {
        // SAFETY: the caller's contract.
        let (keys, values) = unsafe {
            (
                boundary::slice(keys, n, "keys")?,
                boundary::slice(values, n, "values")?,
            )
        };
        let mut pairs = Vec::with_capacity(n);
        for (i, (k, v)) in keys.iter().zip(values).enumerate() {
            // SAFETY: the caller's contract.
            let pair = unsafe {
                (
                    boundary::text_lazy(*k, || format!("key {i}"))?,
                    boundary::text_lazy(*v, || format!("value {i}"))?,
                )
            };
            pairs.push(pair);
        }
        // SAFETY: the caller's contract; a configuration is used by one thread at a time.
        unsafe { boundary::borrow_mut(cfg)? }.add_view_pairs(pairs)
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
