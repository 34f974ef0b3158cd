//! Status codes. Values are fixed and never reused.

use otelrs_core::ErrorKind;
use std::ffi::c_char;

/// The result of every fallible otelrs function. `OTELRS_OK` is 0; on any other value,
/// `otelrs_last_error()` gives the calling thread's message for it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum otelrs_status {
    /// Success.
    OTELRS_OK = 0,
    /// A required pointer argument was NULL.
    OTELRS_ERR_NULL = 1,
    /// A string argument was not valid UTF-8.
    OTELRS_ERR_INVALID_UTF8 = 2,
    /// An argument was out of its domain: an invalid instrument name, a negative value to a
    /// counter, NaN or infinity, unsorted bucket boundaries, an unknown attribute type.
    OTELRS_ERR_INVALID_ARGUMENT = 3,
    /// A setting had an unknown key or an invalid value.
    OTELRS_ERR_CONFIG = 4,
    /// The SDK was shut down (recording after shutdown, shutting down twice).
    OTELRS_ERR_SHUTDOWN = 5,
    /// Flush or shutdown did not finish within its timeout.
    OTELRS_ERR_TIMEOUT = 6,
    /// An instrument with this name exists with another kind, unit or description.
    OTELRS_ERR_CONFLICT = 7,
    /// A handle of another type was passed. (Using a handle after freeing it is the caller's
    /// bug, as with `free()`: it is not detected.)
    OTELRS_ERR_WRONG_HANDLE = 8,
    /// An exporter failed to deliver (flush and shutdown report it).
    OTELRS_ERR_EXPORT = 9,
    /// otelrs caught a panic of its own; the process goes on, the message says where.
    OTELRS_ERR_PANIC = 10,
    /// An internal failure, such as a thread that could not start.
    OTELRS_ERR_INTERNAL = 11,
    /// Called from inside an observable instrument's callback, where it is not allowed:
    /// creating an instrument, flushing, collecting or shutting down (the collection that
    /// runs the callback would wait for itself).
    OTELRS_ERR_IN_CALLBACK = 12,
}

impl From<ErrorKind> for otelrs_status {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Null => otelrs_status::OTELRS_ERR_NULL,
            ErrorKind::InvalidUtf8 => otelrs_status::OTELRS_ERR_INVALID_UTF8,
            ErrorKind::InvalidArgument => otelrs_status::OTELRS_ERR_INVALID_ARGUMENT,
            ErrorKind::Config => otelrs_status::OTELRS_ERR_CONFIG,
            ErrorKind::Shutdown => otelrs_status::OTELRS_ERR_SHUTDOWN,
            ErrorKind::Timeout => otelrs_status::OTELRS_ERR_TIMEOUT,
            ErrorKind::Conflict => otelrs_status::OTELRS_ERR_CONFLICT,
            ErrorKind::WrongHandle => otelrs_status::OTELRS_ERR_WRONG_HANDLE,
            ErrorKind::Export => otelrs_status::OTELRS_ERR_EXPORT,
            ErrorKind::Panic => otelrs_status::OTELRS_ERR_PANIC,
            ErrorKind::Internal => otelrs_status::OTELRS_ERR_INTERNAL,
            ErrorKind::InCallback => otelrs_status::OTELRS_ERR_IN_CALLBACK,
        }
    }
}

/// The name of `status` (`"OTELRS_ERR_NULL"`), or `"OTELRS_UNKNOWN"` for a value that is not
/// a status. The string is static: never free it.
#[no_mangle]
pub extern "C" fn otelrs_status_name(status: u32) -> *const c_char {
    let name: &'static [u8] = match status {
        0 => b"OTELRS_OK\0",
        1 => b"OTELRS_ERR_NULL\0",
        2 => b"OTELRS_ERR_INVALID_UTF8\0",
        3 => b"OTELRS_ERR_INVALID_ARGUMENT\0",
        4 => b"OTELRS_ERR_CONFIG\0",
        5 => b"OTELRS_ERR_SHUTDOWN\0",
        6 => b"OTELRS_ERR_TIMEOUT\0",
        7 => b"OTELRS_ERR_CONFLICT\0",
        8 => b"OTELRS_ERR_WRONG_HANDLE\0",
        9 => b"OTELRS_ERR_EXPORT\0",
        10 => b"OTELRS_ERR_PANIC\0",
        11 => b"OTELRS_ERR_INTERNAL\0",
        12 => b"OTELRS_ERR_IN_CALLBACK\0",
        _ => b"OTELRS_UNKNOWN\0",
    };
    name.as_ptr().cast()
}
