//! The exports of the synchronous instruments (`ffi/src/instruments/generated.rs`: eight
//! functions and two types for each of the nine kinds) are written from the table below, so
//! that they cannot drift apart. This test fails when the committed file is not what the
//! table gives; `OTELRS_BLESS=1 cargo test -p otelrs-ffi --test generated` rewrites it (then
//! regenerate the header: `OTELRS_BLESS=1 cargo test -p otelrs-ffi --test header`).

// A test may stop at the first thing that is not as expected.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::fmt::Write;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One instrument kind with one number type.
struct Kind {
    /// The C name's stem, e.g. `counter_u64`.
    stem: &'static str,
    /// `InstrumentKind::...`
    kind: &'static str,
    /// `NumberKind::...` and `Number::...`
    number: &'static str,
    /// The Rust type of a value.
    value: &'static str,
    /// The recording verb in the C names: `add` or `record`.
    verb: &'static str,
    /// "a counter of unsigned integers" (after "A"/"An" or "Creates").
    what: &'static str,
    /// "Adds `value` to the counter": what a recording does.
    does: &'static str,
    /// Whether `_new` takes explicit bucket boundaries.
    boundaries: bool,
}

const KINDS: &[Kind] = &[
    Kind {
        stem: "counter_u64",
        kind: "Counter",
        number: "U64",
        value: "u64",
        verb: "add",
        what: "a counter of unsigned integers",
        does: "Adds `value` to the counter",
        boundaries: false,
    },
    Kind {
        stem: "counter_f64",
        kind: "Counter",
        number: "F64",
        value: "f64",
        verb: "add",
        what: "a counter of doubles",
        does: "Adds `value` (finite, not negative) to the counter",
        boundaries: false,
    },
    Kind {
        stem: "up_down_counter_i64",
        kind: "UpDownCounter",
        number: "I64",
        value: "i64",
        verb: "add",
        what: "an up-down counter of signed integers",
        does: "Adds `value` (negative to subtract) to the up-down counter",
        boundaries: false,
    },
    Kind {
        stem: "up_down_counter_f64",
        kind: "UpDownCounter",
        number: "F64",
        value: "f64",
        verb: "add",
        what: "an up-down counter of doubles",
        does: "Adds `value` (finite; negative to subtract) to the up-down counter",
        boundaries: false,
    },
    Kind {
        stem: "histogram_u64",
        kind: "Histogram",
        number: "U64",
        value: "u64",
        verb: "record",
        what: "a histogram of unsigned integers",
        does: "Records `value` into the histogram",
        boundaries: true,
    },
    Kind {
        stem: "histogram_f64",
        kind: "Histogram",
        number: "F64",
        value: "f64",
        verb: "record",
        what: "a histogram of doubles",
        does: "Records `value` (finite, not negative) into the histogram",
        boundaries: true,
    },
    Kind {
        stem: "gauge_u64",
        kind: "Gauge",
        number: "U64",
        value: "u64",
        verb: "record",
        what: "a gauge of unsigned integers",
        does: "Sets the gauge to `value`",
        boundaries: false,
    },
    Kind {
        stem: "gauge_i64",
        kind: "Gauge",
        number: "I64",
        value: "i64",
        verb: "record",
        what: "a gauge of signed integers",
        does: "Sets the gauge to `value`",
        boundaries: false,
    },
    Kind {
        stem: "gauge_f64",
        kind: "Gauge",
        number: "F64",
        value: "f64",
        verb: "record",
        what: "a gauge of doubles",
        does: "Sets the gauge to `value` (finite)",
        boundaries: false,
    },
];

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The exports of one kind; `i` numbers the handle tags.
fn render_kind(out: &mut String, i: usize, k: &Kind) -> std::fmt::Result {
    let Kind {
        stem,
        kind,
        number,
        value,
        verb,
        what,
        does,
        boundaries,
    } = k;
    let what_cap = capitalized(what);
    let inst = format!("otelrs_{stem}");
    let bound = format!("otelrs_bound_{stem}");
    let tag = 0x0100 + i;
    let bound_tag = 0x0200 + i;
    write!(
        out,
        r#"
/// {what_cap}. Thread-safe; valid until `{inst}_free`, even after
/// the SDK shut down (recording then returns OTELRS_ERR_SHUTDOWN).
pub struct {inst} {{
    _private: [u8; 0],
}}
opaque!({inst} => Instrument, 0x0A77_{tag:04X});

/// {what_cap} bound to one attribute set (`{inst}_bind`): recording
/// through it neither converts, hashes, sorts nor allocates. Thread-safe; valid until
/// `{bound}_free`.
pub struct {bound} {{
    _private: [u8; 0],
}}
opaque!({bound} => BoundInstrument, 0x0A77_{bound_tag:04X});
"#
    )?;
    let (bounds_doc, bounds_safety, bounds_params, bounds_arg) = if *boundaries {
        (
            " and, when\n/// `boundaries` is not NULL, the `n_boundaries` explicit bucket boundaries it points to\n/// (finite, strictly increasing) as advice. All strings and boundaries are copied. The same\n/// definition again gives another handle to the same stream; the same name with another\n/// kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the instrument.",
            "`meter` is live; strings are NULL or NUL-terminated; `boundaries` is NULL or points to\n/// `n_boundaries` doubles; `out` is writable.",
            "    boundaries: *const f64,\n    n_boundaries: usize,\n",
            "Some((boundaries, n_boundaries))",
        )
    } else {
        (
            ". All strings are\n/// copied. The same definition again gives another handle to the same stream; the same name\n/// with another kind, unit or description is OTELRS_ERR_CONFLICT. On success `*out` owns the\n/// instrument.",
            "`meter` is live; strings are NULL or NUL-terminated; `out` is writable.",
            "",
            "None",
        )
    };
    write!(
        out,
        r#"
/// Creates {what} named `name` (the spec's syntax: a letter, then letters, digits, `_`, `.`,
/// `-`, `/`; at most 255) with `unit` and `description` (NULL for none){bounds_doc}
///
/// # Safety
/// {bounds_safety}
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn {inst}_new(
    meter: *const otelrs_meter,
    name: *const c_char,
    unit: *const c_char,
    description: *const c_char,
{bounds_params}    out: *mut *mut {inst},
) -> otelrs_status {{
    ffi_status!("{inst}_new", {{
        // SAFETY: the caller's contract.
        unsafe {{
            create(
                meter,
                InstrumentKind::{kind},
                NumberKind::{number},
                name,
                unit,
                description,
                {bounds_arg},
                out,
            )
        }}
    }})
}}

/// {does}, with the `n_attrs` attributes at `attrs` (NULL when `n_attrs` is 0), which are
/// only read during the call.
///
/// # Safety
/// `inst` is live; `attrs` points to `n_attrs` valid attributes.
#[no_mangle]
pub unsafe extern "C" fn {inst}_{verb}(
    inst: *const {inst},
    value: {value},
    attrs: *const otelrs_attribute,
    n_attrs: usize,
) -> otelrs_status {{
    ffi_status!("{inst}_{verb}", {{
        // SAFETY: the caller's contract.
        unsafe {{ record(inst, Number::{number}(value), attrs, n_attrs) }}
    }})
}}

/// {does}, with its attributes packed into the `len` bytes at `attrs` in the form
/// `otelrs_log_packed` describes (a binding writes them in one go). Equal bytes are the same
/// series, found without converting anything.
///
/// # Safety
/// `inst` is live; `attrs` points to `len` bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn {inst}_{verb}_packed(
    inst: *const {inst},
    value: {value},
    attrs: *const u8,
    len: usize,
) -> otelrs_status {{
    ffi_status!("{inst}_{verb}_packed", {{
        // SAFETY: the caller's contract.
        unsafe {{ record_packed(inst, Number::{number}(value), attrs, len) }}
    }})
}}

/// {does}, with a prepared attribute set: no conversion, sorting or allocation per call
/// (after the first, the series is found by the set's identity).
///
/// # Safety
/// `inst` and `set` are live.
#[no_mangle]
pub unsafe extern "C" fn {inst}_{verb}_set(
    inst: *const {inst},
    value: {value},
    set: *const otelrs_attributes,
) -> otelrs_status {{
    ffi_status!("{inst}_{verb}_set", {{
        // SAFETY: the caller's contract.
        unsafe {{ record_set(inst, Number::{number}(value), set) }}
    }})
}}

/// Binds the instrument to `set` (which may be freed afterwards). On success `*out` owns the
/// bound instrument until `{bound}_free`.
///
/// # Safety
/// `inst` and `set` are live; `out` is writable.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn {inst}_bind(
    inst: *const {inst},
    set: *const otelrs_attributes,
    out: *mut *mut {bound},
) -> otelrs_status {{
    ffi_status!("{inst}_bind", {{
        // SAFETY: the caller's contract.
        unsafe {{ bind(inst, set, out) }}
    }})
}}

/// {does}, with the bound attributes: the fastest path.
///
/// # Safety
/// `bound` is live.
#[no_mangle]
pub unsafe extern "C" fn {bound}_{verb}(
    bound: *const {bound},
    value: {value},
) -> otelrs_status {{
    ffi_status!("{bound}_{verb}", {{
        // SAFETY: the caller's contract.
        unsafe {{ record_bound(bound, Number::{number}(value)) }}
    }})
}}

/// Frees the instrument; NULL is a no-op. What it recorded is still exported, and bound
/// instruments made from it stay valid.
///
/// # Safety
/// `inst` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn {inst}_free(inst: *mut {inst}) {{
    ffi_void!("{inst}_free", {{
        // SAFETY: the caller's contract.
        unsafe {{ boundary::free(inst) }}
    }})
}}

/// Frees the bound instrument; NULL is a no-op.
///
/// # Safety
/// `bound` is NULL or live, and no other thread uses it during or after the call.
#[no_mangle]
pub unsafe extern "C" fn {bound}_free(bound: *mut {bound}) {{
    ffi_void!("{bound}_free", {{
        // SAFETY: the caller's contract.
        unsafe {{ boundary::free(bound) }}
    }})
}}
"#
    )
}

fn render() -> String {
    let mut out = String::from(
        "//! The exports of the synchronous instruments: for each kind and number type, an opaque\n\
         //! type (so that the C compiler catches a histogram passed where a counter is expected),\n\
         //! its bound form, and the functions that create, record (by array, packed, with a set,\n\
         //! bound), bind and free. Written by ffi/tests/generated.rs from its table: do not edit;\n\
         //! `OTELRS_BLESS=1 cargo test -p otelrs-ffi --test generated` rewrites it.\n\n\
         use super::{bind, create, record, record_bound, record_packed, record_set};\n\
         use crate::attributes::{otelrs_attribute, otelrs_attributes};\n\
         use crate::boundary::{self, ffi_status, ffi_void, opaque};\n\
         use crate::sdk::otelrs_meter;\n\
         use crate::status::otelrs_status;\n\
         use otelrs_core::metrics::{BoundInstrument, Instrument, InstrumentKind, Number, NumberKind};\n\
         use std::ffi::c_char;\n",
    );
    for (i, k) in KINDS.iter().enumerate() {
        render_kind(&mut out, i, k).expect("writing to a String");
    }
    rustfmt(&out)
}

/// `text` as `cargo fmt` leaves it.
fn rustfmt(text: &str) -> String {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rustfmt runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("rustfmt reads");
    let out = child.wait_with_output().expect("rustfmt ends");
    assert!(out.status.success(), "rustfmt failed");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn generated_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/instruments/generated.rs")
}

#[test]
fn committed_instrument_exports_are_current() {
    let generated = render();
    if std::env::var_os("OTELRS_BLESS").is_some() {
        std::fs::write(generated_path(), &generated).expect("write the generated exports");
        return;
    }
    let committed = std::fs::read_to_string(generated_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "ffi/src/instruments/generated.rs differs from what ffi/tests/generated.rs writes; \
         rewrite it with: OTELRS_BLESS=1 cargo test -p otelrs-ffi --test generated"
    );
}
