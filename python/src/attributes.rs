//! Attribute dicts (str keys; str, bool, int, float values or sequences of one of them).
//! On the hot path a dict is only read into the bytes that identify it in an instrument's
//! series cache; it is converted to SDK attributes the first time its series is seen. Log
//! records take the same dicts, packed.

use otelrs_core::logs::RecordBuilder;
use otelrs_core::{attribute_key, attribute_text, Array, KeyValue, StringValue, Value};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::cell::RefCell;
use std::os::raw::c_char;

extern "C" {
    // In the stable ABI since Python 3.10 and exported by every CPython 3; PyO3 declares it
    // only for abi3 builds from 3.10, so it is declared here for the 3.9 wheel.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The UTF-8 text of `s`, without copying (CPython caches it in the object). A str with a
/// lone surrogate has none: ValueError.
pub(crate) fn text<'a>(s: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str object; the call returns NULL with an exception set, or a
    // pointer to `size` bytes of UTF-8 owned by `s`, valid while `s` lives (borrowed for 'a).
    let p = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if p.is_null() {
        let err = PyErr::fetch(s.py());
        return Err(PyValueError::new_err(format!("invalid text: {err}")));
    }
    // SAFETY: as above: `size` bytes of valid UTF-8 at `p`, alive as long as `s`.
    Ok(unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(p.cast(), size as usize))
    })
}

/// The dict behind an `attributes` argument: None, a dict, or any mapping (copied).
pub(crate) fn as_dict<'py>(
    attributes: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, PyDict>>> {
    match attributes {
        None => Ok(None),
        Some(a) if a.is_none() => Ok(None),
        Some(a) => match a.cast::<PyDict>() {
            Ok(d) => Ok(Some(d.clone())),
            Err(_) => {
                let copied = PyDict::new(a.py());
                copied.update(a.cast::<pyo3::types::PyMapping>().map_err(|_| {
                    PyTypeError::new_err(format!("attributes must be a dict, got {}", type_name(a)))
                })?)?;
                Ok(Some(copied))
            }
        },
    }
}

pub(crate) fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

fn key_text<'a>(k: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    let s = k.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "attribute keys must be str, got {} ({})",
            type_name(k),
            k.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })?;
    let t = text(s)?;
    if t.is_empty() {
        return Err(PyValueError::new_err("attribute keys must not be empty"));
    }
    Ok(t)
}

fn bad_value(key: &str, v: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!(
        "attribute {key:?}: values must be str, bool, int, float or a list or tuple of one of \
         them, got {}",
        type_name(v)
    ))
}

fn int(key: &str, v: &Bound<'_, PyAny>) -> PyResult<i64> {
    v.extract::<i64>().map_err(|_| {
        PyValueError::new_err(format!("attribute {key:?}: {v} does not fit in 64 bits"))
    })
}

/// One scalar value, read.
enum Scalar<'a> {
    Str(&'a str),
    Bool(bool),
    Int(i64),
    Float(f64),
}

fn scalar<'a>(key: &str, v: &'a Bound<'_, PyAny>) -> PyResult<Option<Scalar<'a>>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(Scalar::Str(text(s)?)));
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Some(Scalar::Bool(b.is_true())));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(Some(Scalar::Int(int(key, v)?)));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Ok(Some(Scalar::Float(f.value())));
    }
    Ok(None)
}

/// The items of a list or tuple value.
fn sequence<'py>(v: &Bound<'py, PyAny>) -> Option<Vec<Bound<'py, PyAny>>> {
    if let Ok(l) = v.cast::<PyList>() {
        return Some(l.iter().collect());
    }
    if let Ok(t) = v.cast::<PyTuple>() {
        return Some(t.iter().collect());
    }
    None
}

/// The first byte of every encoding (the core reserves 0xFF for its prepared sets).
const DICT: u8 = 0;
const STR: u8 = 1;
const BOOL: u8 = 2;
const INT: u8 = 3;
const FLOAT: u8 = 4;
const SEQ: u8 = 8;

fn encode_scalar(out: &mut Vec<u8>, s: &Scalar<'_>) {
    match s {
        Scalar::Str(t) => {
            out.push(STR);
            out.extend_from_slice(&(t.len() as u32).to_le_bytes());
            out.extend_from_slice(t.as_bytes());
        }
        Scalar::Bool(b) => out.extend_from_slice(&[BOOL, u8::from(*b)]),
        Scalar::Int(i) => {
            out.push(INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Scalar::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
    }
}

/// Writes the exact encoding of `dict` (equal bytes mean equal attributes) to `out`.
fn encode_into(dict: &Bound<'_, PyDict>, out: &mut Vec<u8>) -> PyResult<()> {
    for (k, v) in dict.iter() {
        let key = key_text(&k)?;
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        match scalar(key, &v)? {
            Some(s) => encode_scalar(out, &s),
            None => {
                let items = sequence(&v).ok_or_else(|| bad_value(key, &v))?;
                out.push(SEQ);
                out.extend_from_slice(&(items.len() as u32).to_le_bytes());
                for item in &items {
                    let s = scalar(key, item)?.ok_or_else(|| bad_value(key, item))?;
                    encode_scalar(out, &s);
                }
            }
        }
    }
    Ok(())
}

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with the encoding of `dict` (empty for no attributes).
pub(crate) fn with_encoded<R>(
    dict: Option<&Bound<'_, PyDict>>,
    f: impl FnOnce(&[u8]) -> PyResult<R>,
) -> PyResult<R> {
    let Some(dict) = dict.filter(|d| !d.is_empty()) else {
        return f(&[]);
    };
    BUFFER.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            buf.push(DICT);
            encode_into(dict, &mut buf)?;
            f(&buf)
        }
        // Re-entered (a __str__ recording a metric while its dict is read): a fresh buffer.
        Err(_) => {
            let mut buf = vec![DICT];
            encode_into(dict, &mut buf)?;
            f(&buf)
        }
    })
}

fn scalar_value(s: Scalar<'_>) -> Value {
    match s {
        Scalar::Str(t) => Value::String(StringValue::from(attribute_text(t))),
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::I64(i),
        Scalar::Float(f) => Value::F64(f),
    }
}

fn array_value(key: &str, items: &[Bound<'_, PyAny>]) -> PyResult<Value> {
    let mut scalars = Vec::with_capacity(items.len());
    for item in items {
        scalars.push(scalar(key, item)?.ok_or_else(|| bad_value(key, item))?);
    }
    let mixed = || {
        PyTypeError::new_err(format!(
            "attribute {key:?}: the items of an array must all have one type"
        ))
    };
    let array = match scalars.first() {
        None | Some(Scalar::Str(_)) => Array::String(
            scalars
                .into_iter()
                .map(|s| match s {
                    Scalar::Str(t) => Ok(StringValue::from(attribute_text(t))),
                    _ => Err(mixed()),
                })
                .collect::<PyResult<_>>()?,
        ),
        Some(Scalar::Bool(_)) => Array::Bool(
            scalars
                .into_iter()
                .map(|s| match s {
                    Scalar::Bool(b) => Ok(b),
                    _ => Err(mixed()),
                })
                .collect::<PyResult<_>>()?,
        ),
        Some(Scalar::Int(_)) => Array::I64(
            scalars
                .into_iter()
                .map(|s| match s {
                    Scalar::Int(i) => Ok(i),
                    _ => Err(mixed()),
                })
                .collect::<PyResult<_>>()?,
        ),
        Some(Scalar::Float(_)) => Array::F64(
            scalars
                .into_iter()
                .map(|s| match s {
                    Scalar::Float(f) => Ok(f),
                    Scalar::Int(i) => Ok(i as f64),
                    _ => Err(mixed()),
                })
                .collect::<PyResult<_>>()?,
        ),
    };
    Ok(Value::Array(array))
}

/// `dict` as SDK attributes.
pub(crate) fn convert(dict: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<KeyValue>> {
    let Some(dict) = dict else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(dict.len());
    for (k, v) in dict.iter() {
        let key = key_text(&k)?;
        let value = match scalar(key, &v)? {
            Some(s) => scalar_value(s),
            None => array_value(key, &sequence(&v).ok_or_else(|| bad_value(key, &v))?)?,
        };
        out.push(KeyValue::new(attribute_key(key), value));
    }
    Ok(out)
}

fn pack_error(e: otelrs_core::Error) -> PyErr {
    PyValueError::new_err(e.message().to_owned())
}

/// Adds `dict` to a log record.
pub(crate) fn pack(dict: &Bound<'_, PyDict>, record: &mut RecordBuilder) -> PyResult<()> {
    for (k, v) in dict.iter() {
        let key = key_text(&k)?;
        pack_one(key, &v, record)?;
    }
    Ok(())
}

/// Adds one attribute to a log record; values of other types are written as their `str()`.
pub(crate) fn pack_one(
    key: &str,
    v: &Bound<'_, PyAny>,
    record: &mut RecordBuilder,
) -> PyResult<()> {
    match scalar(key, v)? {
        Some(Scalar::Str(t)) => record.string_attribute(key, t),
        Some(Scalar::Bool(b)) => record.bool_attribute(key, b),
        Some(Scalar::Int(i)) => record.i64_attribute(key, i),
        Some(Scalar::Float(f)) => record.f64_attribute(key, f),
        None => {
            if let Some(items) = sequence(v) {
                match array_value(key, &items) {
                    Ok(Value::Array(Array::String(s))) => {
                        record.strings_attribute(key, s.iter().map(|s| s.as_str()))
                    }
                    Ok(Value::Array(Array::Bool(b))) => record.bools_attribute(key, &b),
                    Ok(Value::Array(Array::I64(i))) => record.i64s_attribute(key, &i),
                    Ok(Value::Array(Array::F64(f))) => record.f64s_attribute(key, &f),
                    _ => record.string_attribute(key, &v.str()?.to_string()),
                }
            } else {
                record.string_attribute(key, &v.str()?.to_string())
            }
        }
    }
    .map_err(pack_error)
}
