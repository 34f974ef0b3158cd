//! otelrs's own messages (those OTEL_LOG_LEVEL shows) go to the `otelrs` logger of
//! `logging`, at the matching level: the core's from its diagnostics thread, the binding's
//! own from the thread that has something to say.

use otelrs_core::diag::{self, Level};
use pyo3::prelude::*;

/// The `logging` level of `level`.
fn logging_level(level: Level) -> u32 {
    match level {
        Level::Error => 40,
        Level::Warn => 30,
        Level::Info => 20,
        Level::Debug => 10,
    }
}

fn log(py: Python<'_>, level: Level, message: &str) -> PyResult<()> {
    py.import("logging")?
        .call_method1("getLogger", ("otelrs",))?
        .call_method1("log", (logging_level(level), format!("otelrs: {message}")))?;
    Ok(())
}

/// Sends the core's messages to the `otelrs` logger; while the interpreter cannot run
/// Python (it is shutting down), to stderr.
pub(crate) fn install() {
    diag::set_handler(Some(Box::new(|level, message| {
        let logged = Python::try_attach(|py| match log(py, level, message) {
            Ok(()) => true,
            Err(e) => {
                e.write_unraisable(py, None);
                false
            }
        });
        if logged != Some(true) {
            eprintln!("otelrs: {message}");
        }
    })));
}

/// Reports `message` of the binding's own on the `otelrs` logger now, if OTEL_LOG_LEVEL
/// shows `level`.
pub(crate) fn report(py: Python<'_>, level: Level, message: &str) {
    if diag::enabled(level) {
        if let Err(e) = log(py, level, message) {
            e.write_unraisable(py, None);
        }
    }
}
