//! libotelrs: the C ABI of otelrs. Every function converts its arguments, calls
//! otelrs-core, and turns the outcome into an `otelrs_status`; behaviour lives in core.
#![allow(non_camel_case_types)]

mod attributes;
mod boundary;
mod config;
mod diag;
mod instruments;
mod logs;
mod observable;
mod sdk;
mod status;

pub use attributes::*;
pub use config::*;
pub use diag::*;
pub use instruments::*;
pub use logs::*;
pub use observable::*;
pub use sdk::*;
pub use status::*;

use std::ffi::c_char;

/// The version of otelrs, e.g. "0.1.0" (the same as OTELRS_VERSION). Static: never free it.
#[no_mangle]
pub extern "C" fn otelrs_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The calling thread's message for its last failed otelrs call ("" if none failed yet),
/// e.g. `otelrs_counter_f64_add: instrument "x": a counter takes no negative value, got -1`.
/// The string belongs to otelrs and stays valid until this thread's next failing call.
#[no_mangle]
pub extern "C" fn otelrs_last_error() -> *const c_char {
    boundary::last_error()
}
