//! libotelrs: the C ABI of otelrs. Every function converts its arguments, calls
//! otelrs-core, and turns the outcome into an `otelrs_status`; behaviour lives in core.
#![allow(non_camel_case_types)]

mod attributes;
mod boundary;
mod config;
mod diag;
mod exporter;
mod health;
mod http;
mod instruments;
mod logs;
mod observable;
mod sdk;
mod status;
mod summary;

pub use attributes::*;
pub use config::*;
pub use diag::*;
pub use exporter::*;
pub use health::*;
pub use http::*;
pub use instruments::*;
pub use logs::*;
pub use observable::*;
pub use sdk::*;
pub use status::*;
pub use summary::*;

use std::ffi::c_char;

/// The version of otelrs, e.g. "0.1.0" (the same as OTELRS_VERSION). Static: never free it.
#[no_mangle]
pub extern "C" fn otelrs_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// How many of `unit` make one second, for a unit of time as UCUM spells it (`d`, `h`, `min`,
/// `s`, `ms`, `us`, `ns`); 1 for NULL and any other unit: what a binding multiplies a
/// duration in seconds by to record it in a histogram's unit.
///
/// # Safety
/// `unit` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn otelrs_unit_per_second(unit: *const c_char) -> f64 {
    boundary::ffi_value("otelrs_unit_per_second", 1.0, || {
        // SAFETY: the caller's contract.
        let unit = unsafe { boundary::text_or_empty(unit, "unit") }.unwrap_or("");
        otelrs_core::metrics::units::per_second(unit)
    })
}

/// The calling thread's message for its last failed otelrs call ("" if none failed yet),
/// e.g. `otelrs_counter_f64_add: instrument "x": a counter takes no negative value, got -1`.
/// The string belongs to otelrs and stays valid until this thread's next failing call.
#[no_mangle]
pub extern "C" fn otelrs_last_error() -> *const c_char {
    boundary::last_error()
}
