//! The exports of the synchronous instruments: for each kind and number type, an opaque
//! type (so that the C compiler catches a histogram passed where a counter is expected),
//! its bound form, and the functions that create, record (by array, packed, with a set,
//! bound), bind and free. Written by ffi/tests/generated.rs from its table: do not edit;
//! `OTELRS_BLESS=1 cargo test -p otelrs-ffi --test generated` rewrites it.

use super::{bind, create, record, record_bound, record_packed, record_set};
use crate::attributes::{otelrs_attribute, otelrs_attributes};
use crate::boundary::{self, ffi_status, ffi_void, opaque};
use crate::sdk::otelrs_meter;
use crate::status::otelrs_status;
use otelrs_core::metrics::{BoundInstrument, Instrument, InstrumentKind, Number, NumberKind};
use std::ffi::c_char;

/// A counter of unsigned integers. Thread-safe; valid until `otelrs_counter_u64_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct otelrs_counter_u64 {
    _private: [u8; 0],
}
opaque!(otelrs_counter_u64 => Instrument, 0x0A77_0100);

/// A counter of unsigned integers bound to one attribute set (`otelrs_counter_u64_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `otelrs_bound_counter_u64_free`.
pub struct otelrs_bound_counter_u64 {
    _private: [u8; 0],
}
opaque!(otelrs_bound_counter_u64 => BoundInstrument, 0x0A77_0200);

/// Creates a counter of unsigned integers named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none). All strings are
/// copied. The same definition again gives another handle to the same stream; the same name
/// with another kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the
/// instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_counter_u64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    out: *mut *mut otelrs_counter_u64,
) -> otelrs_status {
    ffi_status!("otelrs_counter_u64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::Counter,
                NumberKind::U64,
                name,
                unit,
                description,
                None,
                out,
            )
        }
    })
}

/// Adds `value` to the counter, with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_counter_u64_add(
    inst: *const otelrs_counter_u64,
    value: u64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_counter_u64_add", {
        // SAFETY: the caller's contract.
        unsafe { record(inst, Number::U64(value), attrs, n_attrs) }
    })
}

/// Adds `value` to the counter, with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn otelrs_counter_u64_add_packed(
    inst: *const otelrs_counter_u64,
    value: u64,
    attrs: *const u8,
    len: usize,
) -> otelrs_status {
    ffi_status!("otelrs_counter_u64_add_packed", {
        // SAFETY: the caller's contract.
        unsafe { record_packed(inst, Number::U64(value), attrs, len) }
    })
}

/// Adds `value` to the counter, with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_counter_u64_add_set(
    inst: *const otelrs_counter_u64,
    value: u64,
    set: *const otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_counter_u64_add_set", {
        // SAFETY: the caller's contract.
        unsafe { record_set(inst, Number::U64(value), set) }
    })
}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `otelrs_bound_counter_u64_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_counter_u64_bind(
    inst: *const otelrs_counter_u64,
    set: *const otelrs_attributes,
    out: *mut *mut otelrs_bound_counter_u64,
) -> otelrs_status {
    ffi_status!("otelrs_counter_u64_bind", {
        // SAFETY: the caller's contract.
        unsafe { bind(inst, set, out) }
    })
}

/// Adds `value` to the counter, with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_counter_u64_add(
    bound: *const otelrs_bound_counter_u64,
    value: u64,
) -> otelrs_status {
    ffi_status!("otelrs_bound_counter_u64_add", {
        // SAFETY: the caller's contract.
        unsafe { record_bound(bound, Number::U64(value)) }
    })
}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_counter_u64_free(inst: *mut otelrs_counter_u64) {
    ffi_void!("otelrs_counter_u64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_counter_u64_free(bound: *mut otelrs_bound_counter_u64) {
    ffi_void!("otelrs_bound_counter_u64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(bound) }
    })
}

/// A counter of doubles. Thread-safe; valid until `otelrs_counter_f64_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct otelrs_counter_f64 {
    _private: [u8; 0],
}
opaque!(otelrs_counter_f64 => Instrument, 0x0A77_0101);

/// A counter of doubles bound to one attribute set (`otelrs_counter_f64_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `otelrs_bound_counter_f64_free`.
pub struct otelrs_bound_counter_f64 {
    _private: [u8; 0],
}
opaque!(otelrs_bound_counter_f64 => BoundInstrument, 0x0A77_0201);

/// Creates a counter of doubles named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none). All strings are
/// copied. The same definition again gives another handle to the same stream; the same name
/// with another kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the
/// instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_counter_f64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    out: *mut *mut otelrs_counter_f64,
) -> otelrs_status {
    ffi_status!("otelrs_counter_f64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::Counter,
                NumberKind::F64,
                name,
                unit,
                description,
                None,
                out,
            )
        }
    })
}

/// Adds `value` (finite, not negative) to the counter, with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_counter_f64_add(
    inst: *const otelrs_counter_f64,
    value: f64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_counter_f64_add", {
        // SAFETY: the caller's contract.
        unsafe { record(inst, Number::F64(value), attrs, n_attrs) }
    })
}

/// Adds `value` (finite, not negative) to the counter, with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn otelrs_counter_f64_add_packed(
    inst: *const otelrs_counter_f64,
    value: f64,
    attrs: *const u8,
    len: usize,
) -> otelrs_status {
    ffi_status!("otelrs_counter_f64_add_packed", {
        // SAFETY: the caller's contract.
        unsafe { record_packed(inst, Number::F64(value), attrs, len) }
    })
}

/// Adds `value` (finite, not negative) to the counter, with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_counter_f64_add_set(
    inst: *const otelrs_counter_f64,
    value: f64,
    set: *const otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_counter_f64_add_set", {
        // SAFETY: the caller's contract.
        unsafe { record_set(inst, Number::F64(value), set) }
    })
}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `otelrs_bound_counter_f64_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_counter_f64_bind(
    inst: *const otelrs_counter_f64,
    set: *const otelrs_attributes,
    out: *mut *mut otelrs_bound_counter_f64,
) -> otelrs_status {
    ffi_status!("otelrs_counter_f64_bind", {
        // SAFETY: the caller's contract.
        unsafe { bind(inst, set, out) }
    })
}

/// Adds `value` (finite, not negative) to the counter, with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_counter_f64_add(
    bound: *const otelrs_bound_counter_f64,
    value: f64,
) -> otelrs_status {
    ffi_status!("otelrs_bound_counter_f64_add", {
        // SAFETY: the caller's contract.
        unsafe { record_bound(bound, Number::F64(value)) }
    })
}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_counter_f64_free(inst: *mut otelrs_counter_f64) {
    ffi_void!("otelrs_counter_f64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_counter_f64_free(bound: *mut otelrs_bound_counter_f64) {
    ffi_void!("otelrs_bound_counter_f64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(bound) }
    })
}

/// An up-down counter of signed integers. Thread-safe; valid until `otelrs_up_down_counter_i64_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct otelrs_up_down_counter_i64 {
    _private: [u8; 0],
}
opaque!(otelrs_up_down_counter_i64 => Instrument, 0x0A77_0102);

/// An up-down counter of signed integers bound to one attribute set (`otelrs_up_down_counter_i64_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `otelrs_bound_up_down_counter_i64_free`.
pub struct otelrs_bound_up_down_counter_i64 {
    _private: [u8; 0],
}
opaque!(otelrs_bound_up_down_counter_i64 => BoundInstrument, 0x0A77_0202);

/// Creates an up-down counter of signed integers named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none). All strings are
/// copied. The same definition again gives another handle to the same stream; the same name
/// with another kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the
/// instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_up_down_counter_i64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    out: *mut *mut otelrs_up_down_counter_i64,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_i64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::UpDownCounter,
                NumberKind::I64,
                name,
                unit,
                description,
                None,
                out,
            )
        }
    })
}

/// Adds `value` (negative to subtract) to the up-down counter, with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_up_down_counter_i64_add(
    inst: *const otelrs_up_down_counter_i64,
    value: i64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_i64_add", {
        // SAFETY: the caller's contract.
        unsafe { record(inst, Number::I64(value), attrs, n_attrs) }
    })
}

/// Adds `value` (negative to subtract) to the up-down counter, with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn otelrs_up_down_counter_i64_add_packed(
    inst: *const otelrs_up_down_counter_i64,
    value: i64,
    attrs: *const u8,
    len: usize,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_i64_add_packed", {
        // SAFETY: the caller's contract.
        unsafe { record_packed(inst, Number::I64(value), attrs, len) }
    })
}

/// Adds `value` (negative to subtract) to the up-down counter, with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_up_down_counter_i64_add_set(
    inst: *const otelrs_up_down_counter_i64,
    value: i64,
    set: *const otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_i64_add_set", {
        // SAFETY: the caller's contract.
        unsafe { record_set(inst, Number::I64(value), set) }
    })
}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `otelrs_bound_up_down_counter_i64_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_up_down_counter_i64_bind(
    inst: *const otelrs_up_down_counter_i64,
    set: *const otelrs_attributes,
    out: *mut *mut otelrs_bound_up_down_counter_i64,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_i64_bind", {
        // SAFETY: the caller's contract.
        unsafe { bind(inst, set, out) }
    })
}

/// Adds `value` (negative to subtract) to the up-down counter, with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_up_down_counter_i64_add(
    bound: *const otelrs_bound_up_down_counter_i64,
    value: i64,
) -> otelrs_status {
    ffi_status!("otelrs_bound_up_down_counter_i64_add", {
        // SAFETY: the caller's contract.
        unsafe { record_bound(bound, Number::I64(value)) }
    })
}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_up_down_counter_i64_free(inst: *mut otelrs_up_down_counter_i64) {
    ffi_void!("otelrs_up_down_counter_i64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_up_down_counter_i64_free(
    bound: *mut otelrs_bound_up_down_counter_i64,
) {
    ffi_void!("otelrs_bound_up_down_counter_i64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(bound) }
    })
}

/// An up-down counter of doubles. Thread-safe; valid until `otelrs_up_down_counter_f64_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct otelrs_up_down_counter_f64 {
    _private: [u8; 0],
}
opaque!(otelrs_up_down_counter_f64 => Instrument, 0x0A77_0103);

/// An up-down counter of doubles bound to one attribute set (`otelrs_up_down_counter_f64_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `otelrs_bound_up_down_counter_f64_free`.
pub struct otelrs_bound_up_down_counter_f64 {
    _private: [u8; 0],
}
opaque!(otelrs_bound_up_down_counter_f64 => BoundInstrument, 0x0A77_0203);

/// Creates an up-down counter of doubles named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none). All strings are
/// copied. The same definition again gives another handle to the same stream; the same name
/// with another kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the
/// instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_up_down_counter_f64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    out: *mut *mut otelrs_up_down_counter_f64,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_f64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::UpDownCounter,
                NumberKind::F64,
                name,
                unit,
                description,
                None,
                out,
            )
        }
    })
}

/// Adds `value` (finite; negative to subtract) to the up-down counter, with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_up_down_counter_f64_add(
    inst: *const otelrs_up_down_counter_f64,
    value: f64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_f64_add", {
        // SAFETY: the caller's contract.
        unsafe { record(inst, Number::F64(value), attrs, n_attrs) }
    })
}

/// Adds `value` (finite; negative to subtract) to the up-down counter, with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn otelrs_up_down_counter_f64_add_packed(
    inst: *const otelrs_up_down_counter_f64,
    value: f64,
    attrs: *const u8,
    len: usize,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_f64_add_packed", {
        // SAFETY: the caller's contract.
        unsafe { record_packed(inst, Number::F64(value), attrs, len) }
    })
}

/// Adds `value` (finite; negative to subtract) to the up-down counter, with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_up_down_counter_f64_add_set(
    inst: *const otelrs_up_down_counter_f64,
    value: f64,
    set: *const otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_f64_add_set", {
        // SAFETY: the caller's contract.
        unsafe { record_set(inst, Number::F64(value), set) }
    })
}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `otelrs_bound_up_down_counter_f64_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_up_down_counter_f64_bind(
    inst: *const otelrs_up_down_counter_f64,
    set: *const otelrs_attributes,
    out: *mut *mut otelrs_bound_up_down_counter_f64,
) -> otelrs_status {
    ffi_status!("otelrs_up_down_counter_f64_bind", {
        // SAFETY: the caller's contract.
        unsafe { bind(inst, set, out) }
    })
}

/// Adds `value` (finite; negative to subtract) to the up-down counter, with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_up_down_counter_f64_add(
    bound: *const otelrs_bound_up_down_counter_f64,
    value: f64,
) -> otelrs_status {
    ffi_status!("otelrs_bound_up_down_counter_f64_add", {
        // SAFETY: the caller's contract.
        unsafe { record_bound(bound, Number::F64(value)) }
    })
}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_up_down_counter_f64_free(inst: *mut otelrs_up_down_counter_f64) {
    ffi_void!("otelrs_up_down_counter_f64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_up_down_counter_f64_free(
    bound: *mut otelrs_bound_up_down_counter_f64,
) {
    ffi_void!("otelrs_bound_up_down_counter_f64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(bound) }
    })
}

/// A histogram of unsigned integers. Thread-safe; valid until `otelrs_histogram_u64_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct otelrs_histogram_u64 {
    _private: [u8; 0],
}
opaque!(otelrs_histogram_u64 => Instrument, 0x0A77_0104);

/// A histogram of unsigned integers bound to one attribute set (`otelrs_histogram_u64_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `otelrs_bound_histogram_u64_free`.
pub struct otelrs_bound_histogram_u64 {
    _private: [u8; 0],
}
opaque!(otelrs_bound_histogram_u64 => BoundInstrument, 0x0A77_0204);

/// Creates a histogram of unsigned integers named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none) and, when
/// `boundaries` is not NULL, the `n_boundaries` explicit bucket boundaries it points to
/// (finite, strictly increasing) as advice. All strings and boundaries are copied. The same
/// definition again gives another handle to the same stream; the same name with another
/// kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `boundaries` is NULL or points to
/// `n_boundaries` doubles; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_histogram_u64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    boundaries: *const f64,
    n_boundaries: usize,
    out: *mut *mut otelrs_histogram_u64,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_u64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::Histogram,
                NumberKind::U64,
                name,
                unit,
                description,
                Some((boundaries, n_boundaries)),
                out,
            )
        }
    })
}

/// Records `value` into the histogram, with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_histogram_u64_record(
    inst: *const otelrs_histogram_u64,
    value: u64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_u64_record", {
        // SAFETY: the caller's contract.
        unsafe { record(inst, Number::U64(value), attrs, n_attrs) }
    })
}

/// Records `value` into the histogram, with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn otelrs_histogram_u64_record_packed(
    inst: *const otelrs_histogram_u64,
    value: u64,
    attrs: *const u8,
    len: usize,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_u64_record_packed", {
        // SAFETY: the caller's contract.
        unsafe { record_packed(inst, Number::U64(value), attrs, len) }
    })
}

/// Records `value` into the histogram, with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_histogram_u64_record_set(
    inst: *const otelrs_histogram_u64,
    value: u64,
    set: *const otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_u64_record_set", {
        // SAFETY: the caller's contract.
        unsafe { record_set(inst, Number::U64(value), set) }
    })
}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `otelrs_bound_histogram_u64_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_histogram_u64_bind(
    inst: *const otelrs_histogram_u64,
    set: *const otelrs_attributes,
    out: *mut *mut otelrs_bound_histogram_u64,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_u64_bind", {
        // SAFETY: the caller's contract.
        unsafe { bind(inst, set, out) }
    })
}

/// Records `value` into the histogram, with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_histogram_u64_record(
    bound: *const otelrs_bound_histogram_u64,
    value: u64,
) -> otelrs_status {
    ffi_status!("otelrs_bound_histogram_u64_record", {
        // SAFETY: the caller's contract.
        unsafe { record_bound(bound, Number::U64(value)) }
    })
}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_histogram_u64_free(inst: *mut otelrs_histogram_u64) {
    ffi_void!("otelrs_histogram_u64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_histogram_u64_free(bound: *mut otelrs_bound_histogram_u64) {
    ffi_void!("otelrs_bound_histogram_u64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(bound) }
    })
}

/// A histogram of doubles. Thread-safe; valid until `otelrs_histogram_f64_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct otelrs_histogram_f64 {
    _private: [u8; 0],
}
opaque!(otelrs_histogram_f64 => Instrument, 0x0A77_0105);

/// A histogram of doubles bound to one attribute set (`otelrs_histogram_f64_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `otelrs_bound_histogram_f64_free`.
pub struct otelrs_bound_histogram_f64 {
    _private: [u8; 0],
}
opaque!(otelrs_bound_histogram_f64 => BoundInstrument, 0x0A77_0205);

/// Creates a histogram of doubles named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none) and, when
/// `boundaries` is not NULL, the `n_boundaries` explicit bucket boundaries it points to
/// (finite, strictly increasing) as advice. All strings and boundaries are copied. The same
/// definition again gives another handle to the same stream; the same name with another
/// kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `boundaries` is NULL or points to
/// `n_boundaries` doubles; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_histogram_f64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    boundaries: *const f64,
    n_boundaries: usize,
    out: *mut *mut otelrs_histogram_f64,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_f64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::Histogram,
                NumberKind::F64,
                name,
                unit,
                description,
                Some((boundaries, n_boundaries)),
                out,
            )
        }
    })
}

/// Records `value` (finite, not negative) into the histogram, with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_histogram_f64_record(
    inst: *const otelrs_histogram_f64,
    value: f64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_f64_record", {
        // SAFETY: the caller's contract.
        unsafe { record(inst, Number::F64(value), attrs, n_attrs) }
    })
}

/// Records `value` (finite, not negative) into the histogram, with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn otelrs_histogram_f64_record_packed(
    inst: *const otelrs_histogram_f64,
    value: f64,
    attrs: *const u8,
    len: usize,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_f64_record_packed", {
        // SAFETY: the caller's contract.
        unsafe { record_packed(inst, Number::F64(value), attrs, len) }
    })
}

/// Records `value` (finite, not negative) into the histogram, with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_histogram_f64_record_set(
    inst: *const otelrs_histogram_f64,
    value: f64,
    set: *const otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_f64_record_set", {
        // SAFETY: the caller's contract.
        unsafe { record_set(inst, Number::F64(value), set) }
    })
}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `otelrs_bound_histogram_f64_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_histogram_f64_bind(
    inst: *const otelrs_histogram_f64,
    set: *const otelrs_attributes,
    out: *mut *mut otelrs_bound_histogram_f64,
) -> otelrs_status {
    ffi_status!("otelrs_histogram_f64_bind", {
        // SAFETY: the caller's contract.
        unsafe { bind(inst, set, out) }
    })
}

/// Records `value` (finite, not negative) into the histogram, with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_histogram_f64_record(
    bound: *const otelrs_bound_histogram_f64,
    value: f64,
) -> otelrs_status {
    ffi_status!("otelrs_bound_histogram_f64_record", {
        // SAFETY: the caller's contract.
        unsafe { record_bound(bound, Number::F64(value)) }
    })
}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_histogram_f64_free(inst: *mut otelrs_histogram_f64) {
    ffi_void!("otelrs_histogram_f64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_histogram_f64_free(bound: *mut otelrs_bound_histogram_f64) {
    ffi_void!("otelrs_bound_histogram_f64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(bound) }
    })
}

/// A gauge of unsigned integers. Thread-safe; valid until `otelrs_gauge_u64_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct otelrs_gauge_u64 {
    _private: [u8; 0],
}
opaque!(otelrs_gauge_u64 => Instrument, 0x0A77_0106);

/// A gauge of unsigned integers bound to one attribute set (`otelrs_gauge_u64_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `otelrs_bound_gauge_u64_free`.
pub struct otelrs_bound_gauge_u64 {
    _private: [u8; 0],
}
opaque!(otelrs_bound_gauge_u64 => BoundInstrument, 0x0A77_0206);

/// Creates a gauge of unsigned integers named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none). All strings are
/// copied. The same definition again gives another handle to the same stream; the same name
/// with another kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the
/// instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_gauge_u64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    out: *mut *mut otelrs_gauge_u64,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_u64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::Gauge,
                NumberKind::U64,
                name,
                unit,
                description,
                None,
                out,
            )
        }
    })
}

/// Sets the gauge to `value`, with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_u64_record(
    inst: *const otelrs_gauge_u64,
    value: u64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_u64_record", {
        // SAFETY: the caller's contract.
        unsafe { record(inst, Number::U64(value), attrs, n_attrs) }
    })
}

/// Sets the gauge to `value`, with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_u64_record_packed(
    inst: *const otelrs_gauge_u64,
    value: u64,
    attrs: *const u8,
    len: usize,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_u64_record_packed", {
        // SAFETY: the caller's contract.
        unsafe { record_packed(inst, Number::U64(value), attrs, len) }
    })
}

/// Sets the gauge to `value`, with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_u64_record_set(
    inst: *const otelrs_gauge_u64,
    value: u64,
    set: *const otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_u64_record_set", {
        // SAFETY: the caller's contract.
        unsafe { record_set(inst, Number::U64(value), set) }
    })
}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `otelrs_bound_gauge_u64_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_gauge_u64_bind(
    inst: *const otelrs_gauge_u64,
    set: *const otelrs_attributes,
    out: *mut *mut otelrs_bound_gauge_u64,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_u64_bind", {
        // SAFETY: the caller's contract.
        unsafe { bind(inst, set, out) }
    })
}

/// Sets the gauge to `value`, with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_gauge_u64_record(
    bound: *const otelrs_bound_gauge_u64,
    value: u64,
) -> otelrs_status {
    ffi_status!("otelrs_bound_gauge_u64_record", {
        // SAFETY: the caller's contract.
        unsafe { record_bound(bound, Number::U64(value)) }
    })
}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_u64_free(inst: *mut otelrs_gauge_u64) {
    ffi_void!("otelrs_gauge_u64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_gauge_u64_free(bound: *mut otelrs_bound_gauge_u64) {
    ffi_void!("otelrs_bound_gauge_u64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(bound) }
    })
}

/// A gauge of signed integers. Thread-safe; valid until `otelrs_gauge_i64_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct otelrs_gauge_i64 {
    _private: [u8; 0],
}
opaque!(otelrs_gauge_i64 => Instrument, 0x0A77_0107);

/// A gauge of signed integers bound to one attribute set (`otelrs_gauge_i64_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `otelrs_bound_gauge_i64_free`.
pub struct otelrs_bound_gauge_i64 {
    _private: [u8; 0],
}
opaque!(otelrs_bound_gauge_i64 => BoundInstrument, 0x0A77_0207);

/// Creates a gauge of signed integers named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none). All strings are
/// copied. The same definition again gives another handle to the same stream; the same name
/// with another kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the
/// instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_gauge_i64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    out: *mut *mut otelrs_gauge_i64,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_i64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::Gauge,
                NumberKind::I64,
                name,
                unit,
                description,
                None,
                out,
            )
        }
    })
}

/// Sets the gauge to `value`, with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_i64_record(
    inst: *const otelrs_gauge_i64,
    value: i64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_i64_record", {
        // SAFETY: the caller's contract.
        unsafe { record(inst, Number::I64(value), attrs, n_attrs) }
    })
}

/// Sets the gauge to `value`, with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_i64_record_packed(
    inst: *const otelrs_gauge_i64,
    value: i64,
    attrs: *const u8,
    len: usize,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_i64_record_packed", {
        // SAFETY: the caller's contract.
        unsafe { record_packed(inst, Number::I64(value), attrs, len) }
    })
}

/// Sets the gauge to `value`, with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_i64_record_set(
    inst: *const otelrs_gauge_i64,
    value: i64,
    set: *const otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_i64_record_set", {
        // SAFETY: the caller's contract.
        unsafe { record_set(inst, Number::I64(value), set) }
    })
}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `otelrs_bound_gauge_i64_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_gauge_i64_bind(
    inst: *const otelrs_gauge_i64,
    set: *const otelrs_attributes,
    out: *mut *mut otelrs_bound_gauge_i64,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_i64_bind", {
        // SAFETY: the caller's contract.
        unsafe { bind(inst, set, out) }
    })
}

/// Sets the gauge to `value`, with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_gauge_i64_record(
    bound: *const otelrs_bound_gauge_i64,
    value: i64,
) -> otelrs_status {
    ffi_status!("otelrs_bound_gauge_i64_record", {
        // SAFETY: the caller's contract.
        unsafe { record_bound(bound, Number::I64(value)) }
    })
}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_i64_free(inst: *mut otelrs_gauge_i64) {
    ffi_void!("otelrs_gauge_i64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_gauge_i64_free(bound: *mut otelrs_bound_gauge_i64) {
    ffi_void!("otelrs_bound_gauge_i64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(bound) }
    })
}

/// A gauge of doubles. Thread-safe; valid until `otelrs_gauge_f64_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct otelrs_gauge_f64 {
    _private: [u8; 0],
}
opaque!(otelrs_gauge_f64 => Instrument, 0x0A77_0108);

/// A gauge of doubles bound to one attribute set (`otelrs_gauge_f64_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `otelrs_bound_gauge_f64_free`.
pub struct otelrs_bound_gauge_f64 {
    _private: [u8; 0],
}
opaque!(otelrs_bound_gauge_f64 => BoundInstrument, 0x0A77_0208);

/// Creates a gauge of doubles named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none). All strings are
/// copied. The same definition again gives another handle to the same stream; the same name
/// with another kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the
/// instrument.
///
/// # Safety
/// `meter` is live; strings are NULL or NUL-terminated; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_gauge_f64_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    out: *mut *mut otelrs_gauge_f64,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_f64_new", {
        // SAFETY: the caller's contract.
        unsafe {
            create(
                meter,
                InstrumentKind::Gauge,
                NumberKind::F64,
                name,
                unit,
                description,
                None,
                out,
            )
        }
    })
}

/// Sets the gauge to `value` (finite), with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_f64_record(
    inst: *const otelrs_gauge_f64,
    value: f64,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_f64_record", {
        // SAFETY: the caller's contract.
        unsafe { record(inst, Number::F64(value), attrs, n_attrs) }
    })
}

/// Sets the gauge to `value` (finite), with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_f64_record_packed(
    inst: *const otelrs_gauge_f64,
    value: f64,
    attrs: *const u8,
    len: usize,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_f64_record_packed", {
        // SAFETY: the caller's contract.
        unsafe { record_packed(inst, Number::F64(value), attrs, len) }
    })
}

/// Sets the gauge to `value` (finite), with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_f64_record_set(
    inst: *const otelrs_gauge_f64,
    value: f64,
    set: *const otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_f64_record_set", {
        // SAFETY: the caller's contract.
        unsafe { record_set(inst, Number::F64(value), set) }
    })
}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `otelrs_bound_gauge_f64_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_gauge_f64_bind(
    inst: *const otelrs_gauge_f64,
    set: *const otelrs_attributes,
    out: *mut *mut otelrs_bound_gauge_f64,
) -> otelrs_status {
    ffi_status!("otelrs_gauge_f64_bind", {
        // SAFETY: the caller's contract.
        unsafe { bind(inst, set, out) }
    })
}

/// Sets the gauge to `value` (finite), with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_gauge_f64_record(
    bound: *const otelrs_bound_gauge_f64,
    value: f64,
) -> otelrs_status {
    ffi_status!("otelrs_bound_gauge_f64_record", {
        // SAFETY: the caller's contract.
        unsafe { record_bound(bound, Number::F64(value)) }
    })
}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_gauge_f64_free(inst: *mut otelrs_gauge_f64) {
    ffi_void!("otelrs_gauge_f64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_gauge_f64_free(bound: *mut otelrs_bound_gauge_f64) {
    ffi_void!("otelrs_bound_gauge_f64_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(bound) }
    })
}
