//! The bottom layer: what every other part of otelrs uses and which uses nothing of otelrs
//! above it. Errors, time, randomness, locks that survive fork(), the fork handlers, otelrs's
//! own diagnostics, attribute values, the trace context, text and file helpers, and the
//! lifecycle that instruments and loggers are handed by the SDK.

pub(crate) mod attributes;
pub(crate) mod barrier;
pub(crate) mod clock;
pub mod context;
pub mod diag;
pub(crate) mod error;
pub(crate) mod files;
pub(crate) mod fork;
pub(crate) mod lifecycle;
pub(crate) mod random;
pub(crate) mod sigpipe;
pub(crate) mod sync;
pub(crate) mod text;
