//! The bound instrument classes (`BoundCounter`, ...), the hot path of recording. They are
//! built with CPython's type API rather than as PyO3 classes so that `add`/`record`/`set` is
//! a method of the one-argument convention (METH_O): CPython's specialised call path then
//! goes straight into `record_o` with the argument, without the generic argument parsing of
//! a PyO3 method (about 30 ns of a 50 ns call). Each object holds a pointer to its
//! [`Target`], freed with the object. Anything but an exact int or float takes the checked
//! path of [`crate::instruments::number`], with the same errors as everywhere else.

use crate::errors::{to_py, OtelrsError};
use crate::instruments::{number, SyncInstrument};
use otelrs_core::metrics::{BoundInstrument, Number, NumberKind};
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::ffi::{c_void, CStr};
use std::sync::Arc;

/// What a bound object records into.
struct Target {
    bound: BoundInstrument,
    parent: Arc<SyncInstrument>,
}

/// The layout of a bound object: the object header, then the target.
#[repr(C)]
struct BoundObject {
    header: ffi::PyObject,
    target: *mut Target,
}

/// The four classes, by the recording method's name.
#[derive(Clone, Copy)]
pub(crate) enum Class {
    Counter,
    UpDownCounter,
    Histogram,
    Gauge,
}

struct ClassDef {
    name: &'static CStr,
    doc: &'static CStr,
    method: &'static CStr,
    /// The method's text signature and doc, as CPython reads them from a builtin's doc.
    method_doc: &'static CStr,
}

impl Class {
    const ALL: [Class; 4] = [
        Class::Counter,
        Class::UpDownCounter,
        Class::Histogram,
        Class::Gauge,
    ];

    fn def(self) -> ClassDef {
        match self {
            Class::Counter => ClassDef {
                name: c"otelrs.BoundCounter",
                doc: c"A counter bound to one attribute set: add(amount).",
                method: c"add",
                method_doc: c"add($self, amount, /)\n--\n\nAdds `amount` for the bound attributes.",
            },
            Class::UpDownCounter => ClassDef {
                name: c"otelrs.BoundUpDownCounter",
                doc: c"An up-down counter bound to one attribute set: add(amount).",
                method: c"add",
                method_doc: c"add($self, amount, /)\n--\n\nAdds `amount` for the bound attributes.",
            },
            Class::Histogram => ClassDef {
                name: c"otelrs.BoundHistogram",
                doc: c"A histogram bound to one attribute set: record(amount).",
                method: c"record",
                method_doc:
                    c"record($self, amount, /)\n--\n\nRecords `amount` for the bound attributes.",
            },
            Class::Gauge => ClassDef {
                name: c"otelrs.BoundGauge",
                doc: c"A gauge bound to one attribute set: set(amount).",
                method: c"set",
                method_doc: c"set($self, amount, /)\n--\n\nSets `amount` for the bound attributes.",
            },
        }
    }
}

/// The value of an exact int or float, without any Python call; `None` for anything else
/// (and for an int out of range, whose error the checked path gives).
///
/// # Safety
/// `arg` is a live object and the GIL is held.
#[inline]
unsafe fn exact_number(arg: *mut ffi::PyObject, kind: NumberKind) -> Option<Number> {
    // SAFETY: the caller guarantees `arg` is live and the GIL is held; these calls only read it.
    unsafe {
        if ffi::PyFloat_CheckExact(arg) != 0 {
            return (kind == NumberKind::F64).then(|| Number::F64(ffi::PyFloat_AsDouble(arg)));
        }
        if ffi::PyLong_CheckExact(arg) == 0 {
            return None;
        }
        // Each conversion returns -1 (as its type) on error; only then is the error checked.
        let (n, maybe_failed) = match kind {
            NumberKind::F64 => {
                let v = ffi::PyLong_AsDouble(arg);
                (Number::F64(v), v == -1.0)
            }
            NumberKind::I64 => {
                let v = ffi::PyLong_AsLongLong(arg);
                (Number::I64(v), v == -1)
            }
            NumberKind::U64 => {
                let v = ffi::PyLong_AsUnsignedLongLong(arg);
                (Number::U64(v), v == u64::MAX)
            }
        };
        if maybe_failed && !ffi::PyErr_Occurred().is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        Some(n)
    }
}

/// `add`, `record` or `set`.
unsafe extern "C" fn record_o(
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls this with the GIL held, `slf` an object of one of the classes
    // below (the method descriptor checks its type), whose target was set by `new_bound`
    // and lives until the object is freed, and `arg` a live borrowed object.
    unsafe {
        let target = &*(*slf.cast::<BoundObject>()).target;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let value = match exact_number(arg, target.parent.number) {
                Some(v) => v,
                None => {
                    let py = Python::assume_attached();
                    let arg = Bound::from_borrowed_ptr(py, arg);
                    number(&arg, target.parent.number, &target.parent.name)?
                }
            };
            let py = Python::assume_attached();
            crate::trace::in_trace_scope(py, target.bound.keeps_exemplars(), None, || {
                target.bound.record(value)
            })
            .map_err(to_py)
        }));
        let py = Python::assume_attached();
        // A bad value is dropped, counted and reported once, unless OTELRS_STRICT.
        let outcome = outcome.map(|o| target.parent.settle(py, o));
        let py = Python::assume_attached();
        match outcome {
            Ok(Ok(())) => {
                let none = ffi::Py_None();
                ffi::Py_IncRef(none);
                none
            }
            Ok(Err(e)) => {
                e.restore(py);
                std::ptr::null_mut()
            }
            Err(_) => {
                OtelrsError::new_err("a panic was caught while recording").restore(py);
                std::ptr::null_mut()
            }
        }
    }
}

/// `BoundCounter()` from Python: refused, bound objects come from `bind`.
unsafe extern "C" fn refuse_new(
    _tp: *mut ffi::PyTypeObject,
    _args: *mut ffi::PyObject,
    _kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls tp_new with the GIL held.
    let py = unsafe { Python::assume_attached() };
    PyTypeError::new_err("bound instruments are made by bind(attributes) on an instrument")
        .restore(py);
    std::ptr::null_mut()
}

unsafe extern "C" fn dealloc(slf: *mut ffi::PyObject) {
    // SAFETY: CPython calls this once, when the last reference goes; the target pointer came
    // from `Box::into_raw` (or is null if setting it failed), and the object was allocated
    // by the type's tp_alloc, which took a reference to the (heap) type.
    unsafe {
        let obj = slf.cast::<BoundObject>();
        let target = std::mem::replace(&mut (*obj).target, std::ptr::null_mut());
        if !target.is_null() {
            drop(Box::from_raw(target));
        }
        let tp = ffi::Py_TYPE(slf);
        let free: ffi::freefunc = std::mem::transmute(ffi::PyType_GetSlot(tp, ffi::Py_tp_free));
        free(slf.cast::<c_void>());
        ffi::Py_DecRef(tp.cast::<ffi::PyObject>());
    }
}

static TYPES: PyOnceLock<[Py<PyAny>; 4]> = PyOnceLock::new();

fn make_type(py: Python<'_>, class: Class) -> PyResult<Py<PyAny>> {
    let def = class.def();
    // The method table and slots must outlive the type: they are leaked (four small tables
    // per process).
    let methods: &'static mut [ffi::PyMethodDef; 2] = Box::leak(Box::new([
        ffi::PyMethodDef {
            ml_name: def.method.as_ptr(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunction: record_o,
            },
            ml_flags: ffi::METH_O,
            ml_doc: def.method_doc.as_ptr(),
        },
        ffi::PyMethodDef::zeroed(),
    ]));
    let slots: &'static mut [ffi::PyType_Slot; 5] = Box::leak(Box::new([
        ffi::PyType_Slot {
            slot: ffi::Py_tp_new,
            pfunc: refuse_new as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_dealloc,
            pfunc: dealloc as *mut c_void,
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_methods,
            pfunc: methods.as_mut_ptr().cast(),
        },
        ffi::PyType_Slot {
            slot: ffi::Py_tp_doc,
            pfunc: def.doc.as_ptr().cast_mut().cast(),
        },
        ffi::PyType_Slot {
            slot: 0,
            pfunc: std::ptr::null_mut(),
        },
    ]));
    let spec: &'static mut ffi::PyType_Spec = Box::leak(Box::new(ffi::PyType_Spec {
        name: def.name.as_ptr(),
        basicsize: std::mem::size_of::<BoundObject>() as i32,
        itemsize: 0,
        // Not subclassable; not instantiable from Python either (tp_new refuses).
        flags: ffi::Py_TPFLAGS_DEFAULT as u32,
        slots: slots.as_mut_ptr(),
    }));
    // SAFETY: the spec and everything it points to live forever; the result is a new
    // reference or NULL with an exception set.
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyType_FromSpec(spec)) }.map(Bound::unbind)
}

fn types(py: Python<'_>) -> PyResult<&[Py<PyAny>; 4]> {
    TYPES.get_or_try_init(py, || {
        Ok::<_, PyErr>([
            make_type(py, Class::Counter)?,
            make_type(py, Class::UpDownCounter)?,
            make_type(py, Class::Histogram)?,
            make_type(py, Class::Gauge)?,
        ])
    })
}

/// Adds the four classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let types = types(m.py())?;
    for (class, tp) in Class::ALL.iter().zip(types) {
        let name = class.def().name.to_str().unwrap_or_default();
        m.add(name.trim_start_matches("otelrs."), tp.clone_ref(m.py()))?;
    }
    Ok(())
}

/// A new bound object of `class` recording through `bound`.
pub(crate) fn new_bound<'py>(
    py: Python<'py>,
    class: Class,
    bound: BoundInstrument,
    parent: Arc<SyncInstrument>,
) -> PyResult<Bound<'py, PyAny>> {
    let tp = types(py)?[class as usize].bind(py);
    // SAFETY: `tp` is one of the heap types made above; PyType_GenericAlloc returns a new,
    // zeroed object of its basic size (so `target` starts null) or NULL with an exception.
    let obj = unsafe {
        let raw = ffi::PyType_GenericAlloc(tp.as_ptr().cast::<ffi::PyTypeObject>(), 0);
        Bound::from_owned_ptr_or_err(py, raw)?
    };
    let target = Box::into_raw(Box::new(Target { bound, parent }));
    // SAFETY: `obj` is a live object with the `BoundObject` layout that nothing else uses yet.
    unsafe { (*obj.as_ptr().cast::<BoundObject>()).target = target };
    Ok(obj)
}
