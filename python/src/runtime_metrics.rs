//! The Python runtime's metrics when OTELRS_SYSTEM_METRICS has `runtime`: the garbage
//! collector of each generation (`cpython.gc.*`, as the semantic conventions name them) and
//! the threads the `threading` module knows. Read with the GIL at collection, on the
//! collecting thread; nothing runs on the recording path.

use otelrs_core::metrics::{
    InstrumentDesc, InstrumentKind, Number, NumberKind, ObservableInstrument, Observer,
};
use otelrs_core::{KeyValue, Result, Sdk};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `gc.get_stats()`: per generation, the collections, objects collected, and uncollectable.
fn gc_stats(py: Python<'_>) -> PyResult<Vec<[u64; 3]>> {
    let stats = py.import("gc")?.call_method0("get_stats")?;
    let mut out = Vec::new();
    for generation in stats.try_iter()? {
        let generation = generation?;
        let d = generation.cast::<PyDict>()?;
        let field =
            |k: &str| -> PyResult<u64> { d.get_item(k)?.map_or(Ok(0), |v| v.extract::<u64>()) };
        out.push([
            field("collections")?,
            field("collected")?,
            field("uncollectable")?,
        ]);
    }
    Ok(out)
}

/// Registers the Python runtime's metrics on `sdk`'s meter `otelrs`, if its
/// OTELRS_SYSTEM_METRICS has `runtime`.
pub(crate) fn register(sdk: &Sdk) -> Result<Vec<ObservableInstrument>> {
    if !sdk.system_metrics().runtime {
        return Ok(Vec::new());
    }
    let meter = sdk.meter("otelrs", Some(otelrs_core::VERSION))?;
    let mut out = Vec::new();
    let gc: [(&str, &str, &str, usize); 3] = [
        (
            "cpython.gc.collections",
            "{collection}",
            "Collections of each generation of the garbage collector",
            0,
        ),
        (
            "cpython.gc.collected_objects",
            "{object}",
            "Objects the garbage collector freed, by generation",
            1,
        ),
        (
            "cpython.gc.uncollectable_objects",
            "{object}",
            "Objects the garbage collector found uncollectable, by generation",
            2,
        ),
    ];
    for (name, unit, description, field) in gc {
        let desc = InstrumentDesc::described(
            InstrumentKind::ObservableCounter,
            NumberKind::U64,
            name,
            unit,
            description,
        );
        out.push(meter.observable(
            desc,
            Box::new(move |o: &mut Observer<'_>| {
                // None once the interpreter is finalizing: nothing to observe then.
                Python::try_attach(|py| {
                    let Ok(stats) = gc_stats(py) else { return };
                    for (generation, counts) in stats.iter().enumerate() {
                        let attrs = [KeyValue::new("cpython.gc.generation", generation as i64)];
                        let _ = o.observe(Number::U64(counts[field]), &attrs);
                    }
                });
            }),
        )?);
    }
    let desc = InstrumentDesc::described(
        InstrumentKind::ObservableUpDownCounter,
        NumberKind::I64,
        "otelrs.runtime.python.threads",
        "{thread}",
        "Threads alive that the threading module knows (threading.active_count())",
    );
    out.push(meter.observable(
        desc,
        Box::new(|o: &mut Observer<'_>| {
            Python::try_attach(|py| {
                let count = py
                    .import("threading")
                    .and_then(|t| t.call_method0("active_count"))
                    .and_then(|n| n.extract::<i64>());
                if let Ok(n) = count {
                    let _ = o.observe(Number::I64(n), &[]);
                }
            });
        }),
    )?);
    Ok(out)
}
