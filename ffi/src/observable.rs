//! Observable instruments from C: a callback plus `void *user_data`, called on an otelrs
//! thread at each collection with an `otelrs_observer` to report through.

use crate::attributes::{self, otelrs_attribute};
use crate::boundary::{self, ffi_status, ffi_void, opaque};
use crate::instruments;
use crate::sdk::otelrs_meter;
use crate::status::otelrs_status;
use otelrs_core::metrics::{InstrumentKind, Number, NumberKind, ObservableInstrument, Observer};
use otelrs_core::Error;
use std::ffi::{c_char, c_void};

/// The observer a callback reports through; only valid during the callback.
pub(crate) struct ObserverRef(*mut c_void);

/// An observable counter, up-down counter or gauge. Freeing it stops its callback.
pub struct otelrs_observable {
    _private: [u8; 0],
}
opaque!(otelrs_observable => ObservableInstrument, 0x0A77_0005);

/// What an observable instrument's callback reports its observations through. Valid only
/// during that call of the callback, on that thread.
pub struct otelrs_observer {
    _private: [u8; 0],
}
opaque!(otelrs_observer => ObserverRef, 0x0A77_0006);

/// The callback of an observable instrument: called on an otelrs thread at each collection
/// (or on the thread calling `otelrs_sdk_collect_json`) with the observer to report through
/// and the `user_data` given at creation. It may report any number of observations.
///
/// What a callback may call: the `otelrs_observer_observe_*` functions, recording on
/// synchronous instruments (and binding them), logging, `otelrs_last_error`, and freeing its
/// own instrument. It may not create instruments, collect, flush or shut down the SDK (the
/// collection running it holds the SDK's pipeline lock): those return
/// `OTELRS_ERR_IN_CALLBACK`. It must not block for long: every collection waits for it.
pub type otelrs_observe_fn =
    Option<unsafe extern "C" fn(observer: *mut otelrs_observer, user_data: *mut c_void)>;

/// # Safety
/// The pointers follow the contract of the `otelrs_observable_*_new` functions.
#[allow(clippy::too_many_arguments)]
unsafe fn create(
    meter: *const otelrs_meter,
    kind: InstrumentKind,
    number: NumberKind,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    callback: otelrs_observe_fn,
    user_data: *mut c_void,
    out: *mut *mut otelrs_observable,
) -> Result<(), Error> {
    boundary::check_out(out)?;
    let callback =
        callback.ok_or_else(|| Error::new(otelrs_core::ErrorKind::Null, "callback is NULL"))?;
    // SAFETY: the caller's contract.
    let meter = unsafe { boundary::borrow(meter)? };
    // SAFETY: the caller's contract.
    // SAFETY: the caller's contract.
    let desc = unsafe { instruments::describe(kind, number, name, unit, description)? };
    let user_data = boundary::UserData(user_data);
    let instrument = meter.observable(
        desc,
        Box::new(move |observer: &mut Observer<'_>| {
            let ptr = (observer as *mut Observer<'_>).cast::<c_void>();
            boundary::with_handle(ObserverRef(ptr), |handle| {
                // SAFETY: a C function pointer given for this purpose, with its user data.
                unsafe { callback(handle, user_data.get()) }
            });
        }),
    )?;
    // SAFETY: checked above.
    unsafe { boundary::give(out, instrument) }
}

/// Creates an observable counter of unsigned integers (report totals, not increments) named `name` (the spec's syntax) with `unit` and
/// `description` (NULL for none). At each collection otelrs calls
/// `callback(observer, user_data)` on its own thread; the callback reports values with
/// `otelrs_observer_observe_u64`. `user_data` must stay valid, and usable from that
/// thread, until `otelrs_observable_free` returns. On success `*out` owns the instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_observable_counter_u64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    callback: otelrs_observe_fn,
    user_data: *mut c_void,
    out: *mut *mut otelrs_observable,
) -> otelrs_status {
    ffi_status!("otelrs_observable_counter_u64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::ObservableCounter,
                NumberKind::U64,
                name,
                unit,
                description,
                callback,
                user_data,
                out,
            )
        }
    })
}

/// Creates an observable counter of doubles (report totals, not increments) named `name` (the spec's syntax) with `unit` and
/// `description` (NULL for none). At each collection otelrs calls
/// `callback(observer, user_data)` on its own thread; the callback reports values with
/// `otelrs_observer_observe_f64`. `user_data` must stay valid, and usable from that
/// thread, until `otelrs_observable_free` returns. On success `*out` owns the instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_observable_counter_f64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    callback: otelrs_observe_fn,
    user_data: *mut c_void,
    out: *mut *mut otelrs_observable,
) -> otelrs_status {
    ffi_status!("otelrs_observable_counter_f64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::ObservableCounter,
                NumberKind::F64,
                name,
                unit,
                description,
                callback,
                user_data,
                out,
            )
        }
    })
}

/// Creates an observable up-down counter of signed integers (report totals) named `name` (the spec's syntax) with `unit` and
/// `description` (NULL for none). At each collection otelrs calls
/// `callback(observer, user_data)` on its own thread; the callback reports values with
/// `otelrs_observer_observe_i64`. `user_data` must stay valid, and usable from that
/// thread, until `otelrs_observable_free` returns. On success `*out` owns the instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_observable_up_down_counter_i64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    callback: otelrs_observe_fn,
    user_data: *mut c_void,
    out: *mut *mut otelrs_observable,
) -> otelrs_status {
    ffi_status!("otelrs_observable_up_down_counter_i64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::ObservableUpDownCounter,
                NumberKind::I64,
                name,
                unit,
                description,
                callback,
                user_data,
                out,
            )
        }
    })
}

/// Creates an observable up-down counter of doubles (report totals) named `name` (the spec's syntax) with `unit` and
/// `description` (NULL for none). At each collection otelrs calls
/// `callback(observer, user_data)` on its own thread; the callback reports values with
/// `otelrs_observer_observe_f64`. `user_data` must stay valid, and usable from that
/// thread, until `otelrs_observable_free` returns. On success `*out` owns the instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_observable_up_down_counter_f64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    callback: otelrs_observe_fn,
    user_data: *mut c_void,
    out: *mut *mut otelrs_observable,
) -> otelrs_status {
    ffi_status!("otelrs_observable_up_down_counter_f64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::ObservableUpDownCounter,
                NumberKind::F64,
                name,
                unit,
                description,
                callback,
                user_data,
                out,
            )
        }
    })
}

/// Creates an observable gauge of unsigned integers named `name` (the spec's syntax) with `unit` and
/// `description` (NULL for none). At each collection otelrs calls
/// `callback(observer, user_data)` on its own thread; the callback reports values with
/// `otelrs_observer_observe_u64`. `user_data` must stay valid, and usable from that
/// thread, until `otelrs_observable_free` returns. On success `*out` owns the instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_observable_gauge_u64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    callback: otelrs_observe_fn,
    user_data: *mut c_void,
    out: *mut *mut otelrs_observable,
) -> otelrs_status {
    ffi_status!("otelrs_observable_gauge_u64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::ObservableGauge,
                NumberKind::U64,
                name,
                unit,
                description,
                callback,
                user_data,
                out,
            )
        }
    })
}

/// Creates an observable gauge of signed integers named `name` (the spec's syntax) with `unit` and
/// `description` (NULL for none). At each collection otelrs calls
/// `callback(observer, user_data)` on its own thread; the callback reports values with
/// `otelrs_observer_observe_i64`. `user_data` must stay valid, and usable from that
/// thread, until `otelrs_observable_free` returns. On success `*out` owns the instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_observable_gauge_i64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    callback: otelrs_observe_fn,
    user_data: *mut c_void,
    out: *mut *mut otelrs_observable,
) -> otelrs_status {
    ffi_status!("otelrs_observable_gauge_i64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::ObservableGauge,
                NumberKind::I64,
                name,
                unit,
                description,
                callback,
                user_data,
                out,
            )
        }
    })
}

/// Creates an observable gauge of doubles named `name` (the spec's syntax) with `unit` and
/// `description` (NULL for none). At each collection otelrs calls
/// `callback(observer, user_data)` on its own thread; the callback reports values with
/// `otelrs_observer_observe_f64`. `user_data` must stay valid, and usable from that
/// thread, until `otelrs_observable_free` returns. On success `*out` owns the instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_observable_gauge_f64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    callback: otelrs_observe_fn,
    user_data: *mut c_void,
    out: *mut *mut otelrs_observable,
) -> otelrs_status {
    ffi_status!("otelrs_observable_gauge_f64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::ObservableGauge,
                NumberKind::F64,
                name,
                unit,
                description,
                callback,
                user_data,
                out,
            )
        }
    })
}

/// Reports `value` for `observer`'s instrument with the `n_attrs` attributes at `attrs`.
///
/// # Safety
/// `observer` is the one passed to the running callback; `attrs` points to `n_attrs`
/// valid attributes.
unsafe fn observe(
    observer: *mut otelrs_observer,
    value: Number,
    attrs: *const otelrs_attribute,
    n: usize,
) -> Result<(), Error> {
    // SAFETY: the caller's contract.
    let observer = unsafe { boundary::borrow(observer)? };
    // SAFETY: the caller's contract.
    let attrs = unsafe { attributes::convert(attrs, n)? };
    // SAFETY: the handle is live only during the callback, while the Observer it points to is
    // borrowed mutably by the callback's frame on this thread.
    let observer = unsafe { &mut *observer.0.cast::<Observer<'_>>() };
    observer.observe(value, &attrs)
}

/// Reports `value` for the series of the `n_attrs` attributes at `attrs`, from inside an
/// observable instrument's callback. The instrument must record u64 values
/// (OTELRS_ERR_WRONG_HANDLE otherwise); a counter takes no negative value.
///
/// # Safety
/// `observer` is the one passed to the running callback; `attrs` points to `n_attrs`
/// valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_observer_observe_u64(
    observer: *mut otelrs_observer,
    value: u64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_observer_observe_u64", {
        // SAFETY: the caller's contract.
        unsafe { observe(observer, Number::U64(value), attrs, n_attrs) }
    })
}

/// Reports `value` for the series of the `n_attrs` attributes at `attrs`, from inside an
/// observable instrument's callback. The instrument must record i64 values
/// (OTELRS_ERR_WRONG_HANDLE otherwise); a counter takes no negative value.
///
/// # Safety
/// `observer` is the one passed to the running callback; `attrs` points to `n_attrs`
/// valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_observer_observe_i64(
    observer: *mut otelrs_observer,
    value: i64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_observer_observe_i64", {
        // SAFETY: the caller's contract.
        unsafe { observe(observer, Number::I64(value), attrs, n_attrs) }
    })
}

/// Reports `value` for the series of the `n_attrs` attributes at `attrs`, from inside an
/// observable instrument's callback. The instrument must record f64 values
/// (OTELRS_ERR_WRONG_HANDLE otherwise); a counter takes no negative value.
///
/// # Safety
/// `observer` is the one passed to the running callback; `attrs` points to `n_attrs`
/// valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_observer_observe_f64(
    observer: *mut otelrs_observer,
    value: f64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_observer_observe_f64", {
        // SAFETY: the caller's contract.
        unsafe { observe(observer, Number::F64(value), attrs, n_attrs) }
    })
}

/// Frees an observable instrument; NULL is a no-op. When this returns its callback is not
/// running and will not run again, so `user_data` may be released. It may be called from
/// inside the instrument's own callback.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_observable_free(inst: *mut otelrs_observable) {
    ffi_void!("otelrs_observable_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}
