//! otelrs's own messages from C: to a function of the program's in place of stderr.

use crate::boundary::{ffi_value, UserData};
use otelrs_core::diag::{self, Level};
use std::ffi::{c_char, c_void, CString};

/// A message of otelrs's: something failed, data is lost.
pub const OTELRS_DIAG_ERROR: u32 = 1;
/// A message of otelrs's: something is wrong but otelrs goes on (an exporter failing).
pub const OTELRS_DIAG_WARN: u32 = 2;
/// A message of otelrs's: what it did, worth knowing.
pub const OTELRS_DIAG_INFO: u32 = 3;
/// A message of otelrs's: details for finding a problem.
pub const OTELRS_DIAG_DEBUG: u32 = 4;

// The numbers are core's `diag::Level` values (written out: cbindgen reads literals only).
const _: () = assert!(
    OTELRS_DIAG_ERROR == Level::Error as u32
        && OTELRS_DIAG_WARN == Level::Warn as u32
        && OTELRS_DIAG_INFO == Level::Info as u32
        && OTELRS_DIAG_DEBUG == Level::Debug as u32
);

/// A handler of otelrs's own messages: `level` is one of `OTELRS_DIAG_*`, `message` a
/// NUL-terminated string valid during the call, `user_data` what was given with the handler.
pub type otelrs_diag_fn =
    Option<unsafe extern "C" fn(level: u32, message: *const c_char, user_data: *mut c_void)>;

/// Sends otelrs's own messages (an exporter failing, a setting it does not know), those that
/// OTEL_LOG_LEVEL shows, to `handler` instead of stderr; NULL sends them to stderr again.
/// The handler is called on otelrs's diagnostics thread, one message at a time, never on the
/// thread that reports (which may hold otelrs's locks), so it may call otelrs. Messages it
/// has not taken when a shutdown ends (within a second) go to stderr. `user_data` must stay
/// valid, and usable from that thread, while the handler is set.
///
/// # Safety
/// `handler` is NULL or a function that may be called from another thread with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn otelrs_set_diagnostics_handler(
    handler: otelrs_diag_fn,
    user_data: *mut c_void,
) {
    ffi_value("otelrs_set_diagnostics_handler", (), || {
        let user_data = UserData(user_data);
        diag::set_handler(handler.map(|handler| -> diag::Handler {
            Box::new(move |l, message| {
                // A message with a NUL in it is cut there.
                let text = CString::new(message.split('\0').next().unwrap_or_default())
                    .unwrap_or_default();
                // SAFETY: a C function pointer given for this purpose, with its user data.
                unsafe { handler(l as u32, text.as_ptr(), user_data.get()) }
            })
        }));
    })
}

/// Whether OTEL_LOG_LEVEL shows otelrs's messages of `level` (`OTELRS_DIAG_*`).
#[no_mangle]
pub extern "C" fn otelrs_diagnostics_enabled(level: u32) -> bool {
    ffi_value("otelrs_diagnostics_enabled", false, || {
        Level::from_number(level).is_some_and(diag::enabled)
    })
}
