//! Attributes from C: an array of tagged values, converted to the SDK's key-values, and
//! prepared sets (`otelrs_attributes`) built once for the hot path.

use crate::boundary::{self, ffi_status, ffi_void, opaque};
use crate::status::otelrs_status;
use otelrs_core::logs::RecordBuilder;
use otelrs_core::{
    attribute_key, attribute_text, hash_attributes, Array, AttributeSet, Error, ErrorKind,
    HashedValue, KeyValue, StringValue, Value,
};
use std::ffi::{c_char, c_void, CStr};

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
    // SAFETY: (the whole body) each union member is read only for the type that names it, and
    // the pointers it holds are valid by the caller's contract.
    unsafe {
        let key = boundary::text_lazy(a.key, || at(i, "the key"))?;
        let value = match a.type_ {
            0 => Value::from(attribute_text(boundary::text_lazy(a.value.string, || {
                at(i, "the string value")
            })?)),
            1 => Value::Bool(a.value.boolean),
            2 => Value::I64(a.value.integer),
            3 => Value::F64(a.value.dbl),
            4 => {
                let items: &[*const c_char] = array(i, a)?;
                let mut out = Vec::with_capacity(items.len());
                for (j, p) in items.iter().enumerate() {
                    out.push(StringValue::from(attribute_text(boundary::text_lazy(
                        *p,
                        || at(i, &format!("string {j} of the array")),
                    )?)));
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
        Ok(KeyValue::new(attribute_key(key), value))
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
    // SAFETY: (the whole body) the caller's contract; each union member is read only for the type
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

/// The [`otelrs_core::hash_attributes`] of the `n` attributes at `attrs`, read from the C
/// array without converting it: None where it cannot tell (an array value, text that is not
/// UTF-8, a NULL), which the converting path then reports.
///
/// # Safety
/// As for [`convert`].
pub(crate) unsafe fn set_hash(attrs: *const otelrs_attribute, n: usize) -> Option<u64> {
    // SAFETY: (the whole body) the caller's contract; each union member is read only for the
    // type that names it, and a pointer only once checked for NULL.
    unsafe {
        let text = |p: *const c_char| -> Option<&str> {
            if p.is_null() {
                None
            } else {
                std::str::from_utf8(CStr::from_ptr(p).to_bytes()).ok()
            }
        };
        let items = boundary::slice(attrs, n, "attrs").ok()?;
        hash_attributes(items.iter().map(|a| {
            let value = match a.type_ {
                0 => HashedValue::Str(text(a.value.string)?),
                1 => HashedValue::Bool(a.value.boolean),
                2 => HashedValue::I64(a.value.integer),
                3 => HashedValue::F64(a.value.dbl),
                _ => return None,
            };
            Some((text(a.key)?, value))
        }))
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
    // SAFETY: (the whole body) the caller's contract; each union member is read only for the type
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
#[must_use = "the status says whether it worked"]
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
    ffi_void!("otelrs_attributes_free", {
        // SAFETY: the caller's contract.
        unsafe { boundary::free(set) }
    })
}

/// Attributes packed into one buffer (the form `otelrs_log_packed` describes), read one
/// field at a time; every read past the end is an error naming the attribute.
struct Packed<'a> {
    bytes: &'a [u8],
    index: usize,
}

impl<'a> Packed<'a> {
    fn invalid(&self, what: &str) -> Error {
        Error::new(ErrorKind::InvalidArgument, at(self.index, what))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.bytes.len() {
            return Err(self.invalid("the packed attributes end in the middle of it"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    fn bool(&mut self) -> Result<bool, Error> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(self.invalid(&format!("a bool is the byte 0 or 1, got {b}"))),
        }
    }

    fn eight(&mut self) -> Result<[u8; 8], Error> {
        let mut eight = [0; 8];
        eight.copy_from_slice(self.take(8)?);
        Ok(eight)
    }

    /// A UTF-8 string ending with a NUL.
    fn text(&mut self, what: impl FnOnce() -> String) -> Result<&'a str, Error> {
        let Some(end) = self.bytes.iter().position(|b| *b == 0) else {
            return Err(self.invalid(&format!("{} has no terminating NUL", what())));
        };
        let bytes = self.take(end + 1)?;
        std::str::from_utf8(&bytes[..end]).map_err(|e| {
            Error::new(
                ErrorKind::InvalidUtf8,
                format!(
                    "{} is not valid UTF-8 (bad byte at offset {})",
                    at(self.index, &what()),
                    e.valid_up_to()
                ),
            )
        })
    }

    /// The length of an array whose items take at least `width` bytes each.
    fn len(&mut self, width: usize) -> Result<usize, Error> {
        let n = u64::from_le_bytes(self.eight()?);
        match usize::try_from(n) {
            Ok(n) if n <= self.bytes.len() / width => Ok(n),
            _ => Err(self.invalid("the packed attributes end in the middle of it")),
        }
    }

    fn items<T>(
        &mut self,
        width: usize,
        mut read: impl FnMut(&mut Self) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let n = self.len(width)?;
        (0..n).map(|_| read(self)).collect()
    }
}

/// One attribute value read from the packed form.
enum PackedValue<'a> {
    Str(&'a str),
    Bool(bool),
    I64(i64),
    F64(f64),
    Strs(Vec<&'a str>),
    Bools(Vec<bool>),
    I64s(Vec<i64>),
    F64s(Vec<f64>),
}

/// Calls `each` with every attribute packed in `bytes`, in order, checking the form.
fn each_packed<'a>(
    bytes: &'a [u8],
    mut each: impl FnMut(&'a str, PackedValue<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut p = Packed { bytes, index: 0 };
    while !p.bytes.is_empty() {
        let type_ = p.byte()?;
        let key = p.text(|| "the key".to_owned())?;
        let value = match type_ {
            0 => PackedValue::Str(p.text(|| "the string value".to_owned())?),
            1 => PackedValue::Bool(p.bool()?),
            2 => PackedValue::I64(i64::from_le_bytes(p.eight()?)),
            3 => PackedValue::F64(f64::from_le_bytes(p.eight()?)),
            4 => {
                let mut j = 0;
                PackedValue::Strs(p.items(1, |p| {
                    j += 1;
                    p.text(|| format!("string {} of the array", j - 1))
                })?)
            }
            5 => PackedValue::Bools(p.items(1, Packed::bool)?),
            6 => PackedValue::I64s(p.items(8, |p| Ok(i64::from_le_bytes(p.eight()?)))?),
            7 => PackedValue::F64s(p.items(8, |p| Ok(f64::from_le_bytes(p.eight()?)))?),
            other => return Err(p.invalid(&format!("unknown type {other}"))),
        };
        each(key, value)?;
        p.index += 1;
    }
    Ok(())
}

/// Adds the attributes packed in `bytes` to a log record being built, checking them as
/// [`convert`] does.
pub(crate) fn unpack(bytes: &[u8], record: &mut RecordBuilder) -> Result<(), Error> {
    each_packed(bytes, |key, value| match value {
        PackedValue::Str(s) => record.string_attribute(key, s),
        PackedValue::Bool(b) => record.bool_attribute(key, b),
        PackedValue::I64(i) => record.i64_attribute(key, i),
        PackedValue::F64(f) => record.f64_attribute(key, f),
        PackedValue::Strs(items) => record.strings_attribute(key, items.into_iter()),
        PackedValue::Bools(items) => record.bools_attribute(key, &items),
        PackedValue::I64s(items) => record.i64s_attribute(key, &items),
        PackedValue::F64s(items) => record.f64s_attribute(key, &items),
    })
}

/// The attributes packed in `bytes`, checked, sorted by key with duplicates resolved, as
/// [`convert`] gives those of an array.
pub(crate) fn unpack_key_values(bytes: &[u8]) -> Result<Vec<KeyValue>, Error> {
    let mut out = Vec::new();
    each_packed(bytes, |key, value| {
        let value = match value {
            PackedValue::Str(s) => Value::from(attribute_text(s)),
            PackedValue::Bool(b) => Value::Bool(b),
            PackedValue::I64(i) => Value::I64(i),
            PackedValue::F64(f) => Value::F64(f),
            PackedValue::Strs(items) => Value::Array(Array::String(
                items
                    .into_iter()
                    .map(|s| StringValue::from(attribute_text(s)))
                    .collect(),
            )),
            PackedValue::Bools(items) => Value::Array(Array::Bool(items)),
            PackedValue::I64s(items) => Value::Array(Array::I64(items)),
            PackedValue::F64s(items) => Value::Array(Array::F64(items)),
        };
        out.push(KeyValue::new(attribute_key(key), value));
        Ok(())
    })?;
    otelrs_core::normalize(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    fn record(bytes: &[u8]) -> Result<RecordBuilder, Error> {
        let mut r = RecordBuilder::new("body", 0);
        unpack(bytes, &mut r)?;
        Ok(r)
    }

    #[test]
    fn the_packed_form_is_the_exact_encoding_of_an_attribute_array() {
        let k: Vec<CString> = (0..8)
            .map(|i| CString::new(format!("k{i}")).unwrap())
            .collect();
        let s = CString::new("välue").unwrap();
        let strs = [s.as_ptr(), k[0].as_ptr()];
        let bools = [true, false, true];
        let ints = [i64::MIN, -1, i64::MAX];
        let dbls = [0.5, -2.0];
        let attr = |i: usize, type_: u32, value: otelrs_value| otelrs_attribute {
            key: k[i].as_ptr(),
            type_,
            value,
        };
        let arr = |items: *const c_void, len: usize| otelrs_value {
            array: otelrs_array { items, len },
        };
        let attrs = [
            attr(0, 0, otelrs_value { string: s.as_ptr() }),
            attr(1, 1, otelrs_value { boolean: true }),
            attr(2, 2, otelrs_value { integer: -42 }),
            attr(3, 3, otelrs_value { dbl: 1.5 }),
            attr(4, 4, arr(strs.as_ptr().cast(), 2)),
            attr(5, 5, arr(bools.as_ptr().cast(), 3)),
            attr(6, 6, arr(ints.as_ptr().cast(), 3)),
            attr(7, 7, arr(dbls.as_ptr().cast(), 2)),
        ];
        let mut bytes = Vec::new();
        let mut expected = RecordBuilder::new("body", 0);
        // SAFETY: every pointer above lives until the end of the test.
        unsafe {
            encode(attrs.as_ptr(), attrs.len(), &mut bytes).unwrap();
            pack(attrs.as_ptr(), attrs.len(), &mut expected).unwrap();
        }
        assert_eq!(record(&bytes).unwrap(), expected);
        assert_eq!(record(&[]).unwrap(), RecordBuilder::new("body", 0));
    }

    #[test]
    fn bad_packed_bytes_are_refused_naming_the_attribute() {
        let err = |bytes: &[u8]| record(bytes).unwrap_err().to_string();
        let ok = b"\x02a\x00\x01\x00\x00\x00\x00\x00\x00\x00";
        assert!(record(ok).is_ok());
        for (bytes, message) in [
            (
                &ok[..ok.len() - 1],
                "attribute 0: the packed attributes end in the middle of it",
            ),
            (&b"\x00k"[..], "attribute 0: the key has no terminating NUL"),
            (
                &b"\x00k\x00v"[..],
                "attribute 0: the string value has no terminating NUL",
            ),
            (
                &b"\x01k\x00\x02"[..],
                "attribute 0: a bool is the byte 0 or 1, got 2",
            ),
            (
                &b"\x01k\x00\x01\x09k\x00"[..],
                "attribute 1: unknown type 9",
            ),
            (
                &b"\x00k\x00\xff\x00"[..],
                "attribute 0: the string value is not valid UTF-8",
            ),
            (
                &b"\x06k\x00\xff\xff\xff\xff\xff\xff\xff\xff"[..],
                "attribute 0: the packed attributes end in the middle of it",
            ),
            (&b"\x01\x00\x01"[..], "attribute 0 has an empty key"),
        ] {
            let got = err(bytes);
            assert!(
                got.contains(message),
                "{got:?} does not contain {message:?}"
            );
        }
    }
}
