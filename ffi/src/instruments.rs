//! Synchronous instruments from C: one opaque type per kind and number type, so that the C
//! compiler catches a histogram passed where a counter is expected; each function converts
//! and calls the generic helpers below.

use crate::attributes::{self, otelrs_attribute, otelrs_attributes};
use crate::boundary::{self, ffi_status, ffi_void, opaque, Opaque};
use crate::sdk::otelrs_meter;
use crate::status::otelrs_status;
use otelrs_core::metrics::{
    BoundInstrument, Instrument, InstrumentDesc, InstrumentKind, Number, NumberKind,
};
use otelrs_core::Error;
use std::cell::RefCell;
use std::ffi::c_char;

/// The definition of an instrument from the C strings given to its `_new` function.
///
/// # Safety
/// `name` is NUL-terminated; `unit` and `description` are NULL or NUL-terminated.
pub(crate) unsafe fn describe(
    kind: InstrumentKind,
    number: NumberKind,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
) -> Result<InstrumentDesc, Error> {
    // SAFETY (whole body): the caller's contract.
    unsafe {
        Ok(InstrumentDesc::described(
            kind,
            number,
            boundary::text(name, "name")?,
            boundary::text_or_empty(unit, "unit")?,
            boundary::text_or_empty(description, "description")?,
        ))
    }
}

/// Creates the instrument `kind`/`number` named `name` in `meter` and writes it to `out`.
///
/// # Safety
/// The pointers follow the contract of the `otelrs_*_new` functions.
#[allow(clippy::too_many_arguments)]
unsafe fn create<O: Opaque<Inner = Instrument>>(
    meter: *const otelrs_meter,
    kind: InstrumentKind,
    number: NumberKind,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
    boundaries: Option<(*const f64, usize)>,
    out: *mut *mut O,
) -> Result<(), Error> {
    boundary::check_out(out)?;
    // SAFETY: the caller's contract.
    let meter = unsafe { boundary::borrow(meter)? };
    // SAFETY: the caller's contract.
    let mut desc = unsafe { describe(kind, number, name, unit, description)? };
    if let Some((p, n)) = boundaries.filter(|(p, _)| !p.is_null()) {
        // SAFETY: the caller's contract.
        desc.boundaries = Some(unsafe { boundary::slice(p, n, "boundaries")? }.to_vec());
    }
    let instrument = meter.instrument(desc)?;
    // SAFETY: checked above.
    unsafe { boundary::give(out, instrument) }
}

thread_local! {
    /// The encoding of the attributes being recorded, reused from call to call.
    static ENCODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Records `value` with `n` attributes at `attrs`: a list recorded before is found by its
/// encoding and recorded through a cached bound instrument.
///
/// # Safety
/// The pointers follow the contract of the recording functions.
#[inline]
unsafe fn record<O: Opaque<Inner = Instrument>>(
    inst: *const O,
    value: Number,
    attrs: *const otelrs_attribute,
    n: usize,
) -> Result<(), Error> {
    // SAFETY: the caller's contract.
    let inst = unsafe { boundary::borrow(inst)? };
    if n == 0 {
        return inst.record(value, &[]);
    }
    // SAFETY (both closures): the caller's contract.
    let convert = || unsafe { attributes::convert(attrs, n) };
    ENCODED.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut encoded) => {
            encoded.clear();
            // SAFETY: the caller's contract.
            unsafe { attributes::encode(attrs, n, &mut encoded)? };
            inst.record_encoded(value, &encoded, convert)
        }
        // Only if recording re-entered itself on this thread: take the converting path.
        Err(_) => inst.record(value, &convert()?),
    })
}

/// Records `value` with a prepared set.
///
/// # Safety
/// The pointers follow the contract of the `*_set` functions.
#[inline]
unsafe fn record_set<O: Opaque<Inner = Instrument>>(
    inst: *const O,
    value: Number,
    set: *const otelrs_attributes,
) -> Result<(), Error> {
    // SAFETY: the caller's contract.
    let (inst, set) = unsafe { (boundary::borrow(inst)?, boundary::borrow(set)?) };
    inst.record_set(value, set)
}

/// Binds `inst` to `set` and writes the bound instrument to `out`.
///
/// # Safety
/// The pointers follow the contract of the `*_bind` functions.
unsafe fn bind<O: Opaque<Inner = Instrument>, B: Opaque<Inner = BoundInstrument>>(
    inst: *const O,
    set: *const otelrs_attributes,
    out: *mut *mut B,
) -> Result<(), Error> {
    boundary::check_out(out)?;
    // SAFETY: the caller's contract.
    let (inst, set) = unsafe { (boundary::borrow(inst)?, boundary::borrow(set)?) };
    let bound = inst.bind(set)?;
    // SAFETY: checked above.
    unsafe { boundary::give(out, bound) }
}

/// Records `value` through a bound instrument.
///
/// # Safety
/// `bound` follows the contract of the bound recording functions.
#[inline]
unsafe fn record_bound<B: Opaque<Inner = BoundInstrument>>(
    bound: *const B,
    value: Number,
) -> Result<(), Error> {
    // SAFETY: the caller's contract.
    unsafe { boundary::borrow(bound)? }.record(value)
}

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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_counter_u64_add", {
        unsafe { record(inst, Number::U64(value), attrs, n_attrs) }
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_counter_u64_add_set", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_counter_u64_bind", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_bound_counter_u64_add", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_counter_u64_free", {
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_counter_u64_free(bound: *mut otelrs_bound_counter_u64) {
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_bound_counter_u64_free", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_counter_f64_add", {
        unsafe { record(inst, Number::F64(value), attrs, n_attrs) }
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_counter_f64_add_set", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_counter_f64_bind", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_bound_counter_f64_add", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_counter_f64_free", {
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_counter_f64_free(bound: *mut otelrs_bound_counter_f64) {
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_bound_counter_f64_free", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_up_down_counter_i64_add", {
        unsafe { record(inst, Number::I64(value), attrs, n_attrs) }
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_up_down_counter_i64_add_set", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_up_down_counter_i64_bind", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_bound_up_down_counter_i64_add", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_up_down_counter_i64_free", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_bound_up_down_counter_i64_free", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_up_down_counter_f64_add", {
        unsafe { record(inst, Number::F64(value), attrs, n_attrs) }
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_up_down_counter_f64_add_set", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_up_down_counter_f64_bind", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_bound_up_down_counter_f64_add", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_up_down_counter_f64_free", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_bound_up_down_counter_f64_free", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_histogram_u64_record", {
        unsafe { record(inst, Number::U64(value), attrs, n_attrs) }
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_histogram_u64_record_set", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_histogram_u64_bind", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_bound_histogram_u64_record", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_histogram_u64_free", {
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_histogram_u64_free(bound: *mut otelrs_bound_histogram_u64) {
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_bound_histogram_u64_free", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_histogram_f64_record", {
        unsafe { record(inst, Number::F64(value), attrs, n_attrs) }
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_histogram_f64_record_set", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_histogram_f64_bind", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_bound_histogram_f64_record", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_histogram_f64_free", {
        unsafe { boundary::free(inst) }
    })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_histogram_f64_free(bound: *mut otelrs_bound_histogram_f64) {
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_bound_histogram_f64_free", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_gauge_u64_record", {
        unsafe { record(inst, Number::U64(value), attrs, n_attrs) }
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_gauge_u64_record_set", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_gauge_u64_bind", { unsafe { bind(inst, set, out) } })
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_bound_gauge_u64_record", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_gauge_u64_free", { unsafe { boundary::free(inst) } })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_gauge_u64_free(bound: *mut otelrs_bound_gauge_u64) {
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_bound_gauge_u64_free", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_gauge_i64_record", {
        unsafe { record(inst, Number::I64(value), attrs, n_attrs) }
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_gauge_i64_record_set", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_gauge_i64_bind", { unsafe { bind(inst, set, out) } })
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_bound_gauge_i64_record", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_gauge_i64_free", { unsafe { boundary::free(inst) } })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_gauge_i64_free(bound: *mut otelrs_bound_gauge_i64) {
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_bound_gauge_i64_free", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_gauge_f64_record", {
        unsafe { record(inst, Number::F64(value), attrs, n_attrs) }
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_gauge_f64_record_set", {
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_gauge_f64_bind", { unsafe { bind(inst, set, out) } })
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
    // SAFETY: the caller's contract.
    ffi_status!("otelrs_bound_gauge_f64_record", {
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
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_gauge_f64_free", { unsafe { boundary::free(inst) } })
}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn otelrs_bound_gauge_f64_free(bound: *mut otelrs_bound_gauge_f64) {
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_bound_gauge_f64_free", {
        unsafe { boundary::free(bound) }
    })
}
