//! Synchronous instruments from C: one opaque type per kind and number type, so that the C
//! compiler catches a histogram passed where a counter is expected; each export (in
//! `generated.rs`, written from one table by ffi/tests/generated.rs) converts and calls the
//! generic helpers below.

mod generated;
pub use generated::*;

use crate::attributes::{self, otelrs_attribute, otelrs_attributes};
use crate::boundary::{self, Opaque};
use crate::sdk::otelrs_meter;
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
    // SAFETY: the caller's contract, for the whole block.
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
    // SAFETY: the caller's contract (for this closure and the one below).
    let convert = || unsafe { attributes::convert(attrs, n) };
    ENCODED.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut encoded) => {
            encoded.clear();
            // SAFETY: the caller's contract.
            unsafe { attributes::encode(attrs, n, &mut encoded)? };
            // SAFETY: the caller's contract.
            let hash = || unsafe { attributes::set_hash(attrs, n) };
            inst.record_encoded_hashed(value, &encoded, convert, hash)
        }
        // Only if recording re-entered itself on this thread: take the converting path.
        Err(_) => inst.record(value, &convert()?),
    })
}

/// Records `value` with the attributes packed into `len` bytes at `attrs` (the form of
/// `otelrs_log_packed`, which is also the encoding `record` looks series up by).
///
/// # Safety
/// The pointers follow the contract of the `*_packed` functions.
#[inline]
unsafe fn record_packed<O: Opaque<Inner = Instrument>>(
    inst: *const O,
    value: Number,
    attrs: *const u8,
    len: usize,
) -> Result<(), Error> {
    // SAFETY: the caller's contract.
    let (inst, packed) = unsafe {
        (
            boundary::borrow(inst)?,
            boundary::slice(attrs, len, "attrs")?,
        )
    };
    match packed.first() {
        None => return inst.record(value, &[]),
        // The first byte is a value type (0 to 7); others are not this form (0xFF starts the
        // keys of prepared sets).
        Some(t) if *t > 7 => {
            return Err(Error::new(
                otelrs_core::ErrorKind::InvalidArgument,
                format!("attribute 0: unknown type {t}"),
            ))
        }
        Some(_) => {}
    }
    inst.record_encoded(value, packed, || attributes::unpack_key_values(packed))
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
