//! The boundary every exported function goes through: panics caught, errors turned into an
//! `otelrs_status` and a thread-local message for `otelrs_last_error`, NULL and wrong-kind
//! handles detected, C strings checked for UTF-8.

use crate::status::otelrs_status;
use otelrs_core::{Error, ErrorKind};
use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, CString};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `error` as this thread's last error, prefixed with the function name.
pub(crate) fn fail(function: &str, error: Error) -> otelrs_status {
    let status = otelrs_status::from(error.kind());
    let text = format!("{function}: {error}").replace('\0', "\\0");
    LAST_ERROR.with(|e| *e.borrow_mut() = CString::new(text).unwrap_or_default());
    status
}

/// The calling thread's last error message; valid until its next failing call.
pub(crate) fn last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    format!("(panic) {text}")
}

/// Runs `$body` (a block evaluating to `Result<(), Error>`) with panics caught, and returns
/// an `otelrs_status`.
macro_rules! ffi_status {
    ($name:literal, $body:block) => {{
        let outcome = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> ::std::result::Result<(), ::otelrs_core::Error> { $body },
        ));
        match outcome {
            Ok(Ok(())) => $crate::status::otelrs_status::OTELRS_OK,
            Ok(Err(e)) => $crate::boundary::fail($name, e),
            Err(payload) => $crate::boundary::fail(
                $name,
                ::otelrs_core::Error::new(
                    ::otelrs_core::ErrorKind::Panic,
                    $crate::boundary::panic_message(&*payload),
                ),
            ),
        }
    }};
}

/// Runs `$body` (a block with no result) with panics caught; for `_free` functions.
/// The boundary of a function that answers with a plain value rather than a status: a panic
/// in `body` gives `default`, and its message becomes the thread's last error.
#[inline]
pub(crate) fn ffi_value<T>(function: &str, default: T, body: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            let _ = fail(
                function,
                Error::new(ErrorKind::Panic, panic_message(&*payload)),
            );
            default
        }
    }
}

macro_rules! ffi_void {
    ($name:literal, $body:block) => {{
        let outcome = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body));
        if let Err(payload) = outcome {
            let _ = $crate::boundary::fail(
                $name,
                ::otelrs_core::Error::new(
                    ::otelrs_core::ErrorKind::Panic,
                    $crate::boundary::panic_message(&*payload),
                ),
            );
        }
    }};
}

pub(crate) use {ffi_status, ffi_void};

fn null(what: &str) -> Error {
    Error::new(ErrorKind::Null, format!("{what} is NULL"))
}

/// The UTF-8 text of the C string `p`, which must not be NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn text<'a>(p: *const c_char, what: &str) -> Result<&'a str, Error> {
    // SAFETY: forwarded contract.
    unsafe { text_lazy(p, || what.to_owned()) }
}

/// [`text`], with the description of the argument made only when there is an error.
///
/// # Safety
/// As for [`text`].
pub(crate) unsafe fn text_lazy<'a>(
    p: *const c_char,
    what: impl FnOnce() -> String,
) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(null(&what()));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidUtf8,
            format!(
                "{} is not valid UTF-8 (bad byte at offset {})",
                what(),
                e.valid_up_to()
            ),
        )
    })
}

/// Like [`text`], with NULL read as the empty string.
///
/// # Safety
/// As for [`text`].
pub(crate) unsafe fn text_or_empty<'a>(p: *const c_char, what: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        Ok("")
    } else {
        // SAFETY: forwarded contract.
        unsafe { text(p, what) }
    }
}

/// The slice of `n` items at `p`; NULL is allowed when `n` is 0.
///
/// # Safety
/// `p` is NULL or points to `n` initialised items that outlive `'a`.
pub(crate) unsafe fn slice<'a, T>(p: *const T, n: usize, what: &str) -> Result<&'a [T], Error> {
    // SAFETY: forwarded contract.
    unsafe { slice_lazy(p, n, || what.to_owned()) }
}

/// [`slice`], with the description of the argument made only when there is an error.
///
/// # Safety
/// As for [`slice`].
pub(crate) unsafe fn slice_lazy<'a, T>(
    p: *const T,
    n: usize,
    what: impl FnOnce() -> String,
) -> Result<&'a [T], Error> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(null(&what()));
    }
    // No array in memory is longer than isize::MAX bytes: a larger count is a caller's bug
    // (a negative number passed as size_t), refused before anything is read or allocated.
    if n > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{}: a count of {n} items cannot be", what()),
        ));
    }
    // SAFETY: non-NULL, `n` items, by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Writes `value` to the out-pointer `out` (checked for NULL first).
///
/// # Safety
/// `out` is NULL or valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) -> Result<(), Error> {
    if out.is_null() {
        return Err(null("the out-pointer"));
    }
    // SAFETY: non-NULL and writable by the caller's contract.
    unsafe { out.write(value) };
    Ok(())
}

/// Hands `value` to the caller through `out` as a new handle; with `out` NULL, `value` is
/// dropped and nothing leaks.
///
/// # Safety
/// `out` is NULL or valid for a write.
pub(crate) unsafe fn give<O: Opaque>(out: *mut *mut O, value: O::Inner) -> Result<(), Error> {
    check_out(out)?;
    // SAFETY: checked just above; valid by the caller's contract.
    unsafe { write_out(out, into_handle(value)) }
}

/// Checks an out-pointer before any work is done, so that nothing is created for nothing.
pub(crate) fn check_out<T>(out: *mut T) -> Result<(), Error> {
    if out.is_null() {
        Err(null("the out-pointer"))
    } else {
        Ok(())
    }
}

/// An opaque C type and the Rust value its pointers lead to.
pub(crate) trait Opaque {
    /// What the handle holds.
    type Inner;
    /// The tag that marks a live handle of this type.
    const TAG: u32;
    /// The C type name, for messages.
    const NAME: &'static str;
}

/// What every handle points to: a tag, then the value.
#[repr(C)]
pub(crate) struct Handle<T> {
    tag: u32,
    value: T,
}

/// A new handle holding `value`, owned by the caller until its `_free`.
pub(crate) fn into_handle<O: Opaque>(value: O::Inner) -> *mut O {
    Box::into_raw(Box::new(Handle { tag: O::TAG, value })).cast()
}

/// The live handle behind `p`: an error for NULL or a handle of another type. (A freed handle
/// cannot be told apart soundly: using one is the caller's bug, as with `free()`.)
///
/// # Safety
/// `p` is NULL or a live pointer obtained from [`into_handle`] (of any type).
unsafe fn check<O: Opaque>(p: *const O) -> Result<*mut Handle<O::Inner>, Error> {
    if p.is_null() {
        return Err(null(O::NAME));
    }
    let h = p.cast::<Handle<O::Inner>>().cast_mut();
    // SAFETY: every handle starts with the u32 tag (repr(C)), so reading it is valid for a
    // handle of any type; the value is only used once the tag says the type is right.
    let tag = unsafe { std::ptr::addr_of!((*h).tag).read() };
    if tag == O::TAG {
        Ok(h)
    } else {
        Err(Error::new(
            ErrorKind::WrongHandle,
            format!("the handle passed is not an {}", O::NAME),
        ))
    }
}

/// The value behind handle `p`; see [`check`].
///
/// # Safety
/// As for [`check`].
pub(crate) unsafe fn borrow<'a, O: Opaque>(p: *const O) -> Result<&'a O::Inner, Error> {
    // SAFETY: `check` returns a live handle of the right type.
    unsafe { check(p).map(|h| &(*h).value) }
}

/// The value behind handle `p`, for a handle the caller uses from one thread only.
///
/// # Safety
/// As for [`check`], and no other reference to the value exists during `'a`.
pub(crate) unsafe fn borrow_mut<'a, O: Opaque>(p: *mut O) -> Result<&'a mut O::Inner, Error> {
    // SAFETY: `check` returns a live handle of the right type; exclusivity is the caller's.
    unsafe { check(p).map(|h| &mut (*h).value) }
}

/// Frees handle `p`; NULL is a no-op, a handle of another kind is left alone.
///
/// # Safety
/// As for [`borrow`]; no other thread uses `p` during or after the call.
pub(crate) unsafe fn free<O: Opaque>(p: *mut O) {
    // SAFETY: forwarded contract.
    let Ok(h) = (unsafe { check(p) }) else {
        return;
    };
    // SAFETY: a live handle made by `into_handle`, freed once (the caller's contract).
    unsafe { drop(Box::from_raw(h)) };
}

/// Takes the value out of handle `p` and frees the handle: for calls that end what the
/// handle stands for.
///
/// # Safety
/// As for [`free`].
pub(crate) unsafe fn take<O: Opaque>(p: *mut O) -> Result<O::Inner, Error> {
    // SAFETY: forwarded contract.
    let h = unsafe { check(p)? };
    // SAFETY: a live handle made by `into_handle`, taken once (the caller's contract).
    Ok(unsafe { Box::from_raw(h) }.value)
}

/// Ties an opaque C type to the Rust value its handles hold, and gives it a tag.
macro_rules! opaque {
    ($name:ident => $inner:ty, $tag:literal) => {
        impl $crate::boundary::Opaque for $name {
            type Inner = $inner;
            const TAG: u32 = $tag;
            const NAME: &'static str = stringify!($name);
        }
    };
}

pub(crate) use opaque;

/// Calls `f` with a handle to `value` that lives on the stack for the duration of the call
/// only.
pub(crate) fn with_handle<O: Opaque, R>(value: O::Inner, f: impl FnOnce(*mut O) -> R) -> R {
    let mut h = Handle { tag: O::TAG, value };
    f(std::ptr::addr_of_mut!(h).cast())
}

/// A caller's `void *user_data`, handed to its function on an otelrs thread.
pub(crate) struct UserData(pub(crate) *mut c_void);
// SAFETY: the caller of the function that takes user_data (an observable instrument's
// creation, otelrs_set_diagnostics_handler) promises that it may be used from otelrs's
// threads (see those functions' docs).
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

impl UserData {
    pub(crate) fn get(&self) -> *mut c_void {
        self.0
    }
}
