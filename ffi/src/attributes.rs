//! Attributes from C: an array of tagged values, converted to the SDK's key-values, and
//! prepared sets (`otelrs_attributes`) built once for the hot path.

use crate::boundary::{self, ffi_status, ffi_void, opaque};
use crate::status::otelrs_status;
use otelrs_core::logs::RecordBuilder;
use otelrs_core::{Array, AttributeSet, Error, ErrorKind, KeyValue, StringValue, Value};
use std::ffi::{c_char, c_void};

/// The type of an attribute value: which member of `otelrs_value` is set.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum otelrs_value_type {
    /// `value.string`: a NUL-terminated UTF-8 string.
    OTELRS_TYPE_STRING = 0,
    /// `value.boolean`.
    OTELRS_TYPE_BOOL = 1,
    /// `value.integer`: a signed 64-bit integer.
    OTELRS_TYPE_INT = 2,
    /// `value.dbl`: a double.
    OTELRS_TYPE_DOUBLE = 3,
    /// `value.array`: `len` pointers to NUL-terminated UTF-8 strings.
    OTELRS_TYPE_STRING_ARRAY = 4,
    /// `value.array`: `len` bools.
    OTELRS_TYPE_BOOL_ARRAY = 5,
    /// `value.array`: `len` int64_t.
    OTELRS_TYPE_INT_ARRAY = 6,
    /// `value.array`: `len` doubles.
    OTELRS_TYPE_DOUBLE_ARRAY = 7,
}

/// An array value: `len` items of the type the attribute's `type` names.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct otelrs_array {
    /// The first item; may be NULL when `len` is 0.
    pub items: *const c_void,
    /// How many items.
    pub len: usize,
}

/// An attribute value; `otelrs_attribute.type` says which member is set.
#[repr(C)]
#[derive(Clone, Copy)]
pub union otelrs_value {
    /// For OTELRS_TYPE_STRING.
    pub string: *const c_char,
    /// For OTELRS_TYPE_BOOL.
    pub boolean: bool,
    /// For OTELRS_TYPE_INT.
    pub integer: i64,
    /// For OTELRS_TYPE_DOUBLE.
    pub dbl: f64,
    /// For the array types.
    pub array: otelrs_array,
}

/// One attribute: a key and a typed value. Everything it points to is only borrowed for
/// the duration of the call it is passed to.
///
/// cbindgen:field-names=[key, type, value]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct otelrs_attribute {
    /// The key: a non-empty NUL-terminated UTF-8 string.
    pub key: *const c_char,
    /// One of `otelrs_value_type`.
    pub type_: u32,
    /// The value.
    pub value: otelrs_value,
}

fn at(i: usize, what: &str) -> String {
    format!("attribute {i}: {what}")
}

/// Converts one C attribute.
///
/// # Safety
/// The pointers inside `a` follow the contract of `otelrs_attribute`.
unsafe fn convert_one(i: usize, a: &otelrs_attribute) -> Result<KeyValue, Error> {
    // SAFETY (whole body): each union member is read only for the type that names it, and
    // the pointers it holds are valid by the caller's contract.
    unsafe {
        let key = boundary::text_lazy(a.key, || at(i, "the key"))?;
        let value = match a.type_ {
            0 => Value::from(
                boundary::text_lazy(a.value.string, || at(i, "the string value"))?.to_owned(),
            ),
            1 => Value::Bool(a.value.boolean),
            2 => Value::I64(a.value.integer),
            3 => Value::F64(a.value.dbl),
            4 => {
                let items: &[*const c_char] = array(i, a)?;
                let mut out = Vec::with_capacity(items.len());
                for (j, p) in items.iter().enumerate() {
                    out.push(StringValue::from(
                        boundary::text_lazy(*p, || at(i, &format!("string {j} of the array")))?
                            .to_owned(),
                    ));
                }
                Value::Array(Array::String(out))
            }
            5 => Value::Array(Array::Bool(array::<bool>(i, a)?.to_vec())),
            6 => Value::Array(Array::I64(array::<i64>(i, a)?.to_vec())),
            7 => Value::Array(Array::F64(array::<f64>(i, a)?.to_vec())),
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    at(i, &format!("unknown type {other}")),
                ))
            }
        };
        Ok(KeyValue::new(key.to_owned(), value))
    }
}

/// # Safety
/// `a.value.array` is the member set, pointing to `len` items of `T`.
unsafe fn array<'a, T>(i: usize, a: &otelrs_attribute) -> Result<&'a [T], Error> {
    // SAFETY: forwarded contract.
    unsafe {
        let arr = a.value.array;
        boundary::slice_lazy(arr.items.cast::<T>(), arr.len, || at(i, "the array items"))
    }
}

/// Converts `n` C attributes at `attrs`, sorted by key with duplicates resolved.
///
/// # Safety
/// `attrs` is NULL with `n == 0`, or points to `n` attributes following their contract.
pub(crate) unsafe fn convert(
    attrs: *const otelrs_attribute,
    n: usize,
) -> Result<Vec<KeyValue>, Error> {
    // SAFETY: forwarded contract.
    let items = unsafe { boundary::slice(attrs, n, "attrs")? };
    let mut out = Vec::with_capacity(items.len());
    for (i, a) in items.iter().enumerate() {
        // SAFETY: forwarded contract.
        out.push(unsafe { convert_one(i, a)? });
    }
    otelrs_core::normalize(&mut out)?;
    Ok(out)
}

/// Adds the `n` attributes at `attrs` to a log record being built, checking them as
/// [`convert`] does.
///
/// # Safety
/// As for [`convert`].
pub(crate) unsafe fn pack(
    attrs: *const otelrs_attribute,
    n: usize,
    record: &mut RecordBuilder,
) -> Result<(), Error> {
    // SAFETY (whole body): the caller's contract; each union member is read only for the type
    // that names it.
    unsafe {
        for (i, a) in boundary::slice(attrs, n, "attrs")?.iter().enumerate() {
            let key = boundary::text_lazy(a.key, || at(i, "the key"))?;
            match a.type_ {
                0 => record.string_attribute(
                    key,
                    boundary::text_lazy(a.value.string, || at(i, "the string value"))?,
                ),
                1 => record.bool_attribute(key, a.value.boolean),
                2 => record.i64_attribute(key, a.value.integer),
                3 => record.f64_attribute(key, a.value.dbl),
                4 => {
                    let items: &[*const c_char] = array(i, a)?;
                    let mut strings = Vec::with_capacity(items.len());
                    for (j, p) in items.iter().enumerate() {
                        strings.push(boundary::text_lazy(*p, || {
                            at(i, &format!("string {j} of the array"))
                        })?);
                    }
                    record.strings_attribute(key, strings.into_iter())
                }
                5 => record.bools_attribute(key, array(i, a)?),
                6 => record.i64s_attribute(key, array(i, a)?),
                7 => record.f64s_attribute(key, array(i, a)?),
                other => Err(Error::new(
                    ErrorKind::InvalidArgument,
                    at(i, &format!("unknown type {other}")),
                )),
            }?;
        }
        Ok(())
    }
}

/// Appends to `out` an exact encoding of the `n` attributes at `attrs`: per attribute its
/// type byte, the key's bytes with their NUL, then the value (string bytes with their NUL, one
/// byte for a bool, eight little-endian bytes for an int or a double; an array's length, then
/// its items). Equal encodings mean equal attribute lists, so the encoding can find a series
/// recorded before without converting anything. Pointers are checked for NULL; UTF-8 is
/// checked later, by [`convert`], the first time a list is seen.
///
/// # Safety
/// As for [`convert`].
pub(crate) unsafe fn encode(
    attrs: *const otelrs_attribute,
    n: usize,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    // SAFETY (whole body): the caller's contract; each union member is read only for the type
    // that names it.
    unsafe {
        let items = boundary::slice(attrs, n, "attrs")?;
        for (i, a) in items.iter().enumerate() {
            let cstr = |p: *const c_char, what: &dyn Fn() -> String| {
                if p.is_null() {
                    Err(Error::new(ErrorKind::Null, format!("{} is NULL", what())))
                } else {
                    Ok(std::ffi::CStr::from_ptr(p).to_bytes_with_nul())
                }
            };
            let type_byte = u8::try_from(a.type_)
                .ok()
                .filter(|t| *t <= 7)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidArgument,
                        at(i, &format!("unknown type {}", a.type_)),
                    )
                })?;
            out.push(type_byte);
            out.extend_from_slice(cstr(a.key, &|| at(i, "the key"))?);
            match type_byte {
                0 => out.extend_from_slice(cstr(a.value.string, &|| at(i, "the string value"))?),
                1 => out.push(u8::from(a.value.boolean)),
                2 => out.extend_from_slice(&a.value.integer.to_le_bytes()),
                3 => out.extend_from_slice(&a.value.dbl.to_bits().to_le_bytes()),
                _ => {
                    let arr = a.value.array;
                    out.extend_from_slice(&(arr.len as u64).to_le_bytes());
                    match type_byte {
                        4 => {
                            for (j, p) in array::<*const c_char>(i, a)?.iter().enumerate() {
                                out.extend_from_slice(cstr(*p, &|| {
                                    at(i, &format!("string {j} of the array"))
                                })?);
                            }
                        }
                        5 => out.extend(array::<bool>(i, a)?.iter().map(|b| u8::from(*b))),
                        6 => array::<i64>(i, a)?
                            .iter()
                            .for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
                        _ => array::<f64>(i, a)?
                            .iter()
                            .for_each(|v| out.extend_from_slice(&v.to_bits().to_le_bytes())),
                    }
                }
            }
        }
        Ok(())
    }
}

/// A prepared attribute set: converted, checked and sorted once, then reused by any
/// number of recordings (`*_add_set`, `*_record_set`) and bindings (`*_bind`) from any
/// thread. Free with `otelrs_attributes_free`.
pub struct otelrs_attributes {
    _private: [u8; 0],
}
opaque!(otelrs_attributes => AttributeSet, 0x0A77_0001);

/// Prepares the `n_attrs` attributes at `attrs` (which may be NULL when `n_attrs` is 0) as a
/// reusable set. Nothing of `attrs` is kept. On success `*out` owns the set until
/// `otelrs_attributes_free`.
///
/// # Safety
/// `attrs` points to `n_attrs` valid attributes; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn otelrs_attributes_new(
    attrs: *const otelrs_attribute,
    n_attrs: usize,
    out: *mut *mut otelrs_attributes,
) -> otelrs_status {
    ffi_status!("otelrs_attributes_new", {
        boundary::check_out(out)?;
        // SAFETY: the caller's contract.
        let set = AttributeSet::new(unsafe { convert(attrs, n_attrs)? })?;
        // SAFETY: checked above.
        unsafe { boundary::give(out, set) }
    })
}

/// Frees a set made by `otelrs_attributes_new`; NULL is a no-op. Bound instruments made
/// from it stay valid.
///
/// # Safety
/// `set` is NULL or a live set not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn otelrs_attributes_free(set: *mut otelrs_attributes) {
    // SAFETY: the caller's contract.
    ffi_void!("otelrs_attributes_free", { unsafe { boundary::free(set) } })
}
