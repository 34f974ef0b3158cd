//! otelrs-core: OpenTelemetry metrics for C, Python and Ruby programs, recorded in-process
//! through the OpenTelemetry Rust SDK. All behaviour lives here; the bindings convert.
//!
//! Each top-level module is a layer, and a module uses only the layers below it (a test,
//! `tests/layers.rs`, checks every `crate::` path against this order):
//! `base` (errors, time, fork, diagnostics, attributes, trace context), `config` (settings
//! and the vocabulary they name), `export` (the OTLP client, on-disk queue, health records),
//! the signals `metrics` and `logs`, `system` (host and process metrics through a meter),
//! and `sdk` (which assembles them).

mod base;
mod config;
mod export;
pub mod logs;
pub mod metrics;
mod sdk;
mod system;

pub use base::attributes::{
    attribute_key, attribute_text, hash_attributes, normalize, Array, AttributeSet, HashedValue,
    KeyValue, StringValue, Value,
};
pub use base::context::{self, TraceContext};
pub use base::diag;
pub use base::error::{Error, ErrorKind, Result};
pub use config::resource::VERSION;
pub use config::Groups as SystemMetricGroups;
pub use config::{
    setting_key, Config, ExportFn, ExportFormat, ExportResult, SettingDoc, ValueKind, SETTINGS,
};
pub use logs::{LogBody, LogRecordInput, Logger};
pub use metrics::instrument::Callback;
pub use metrics::quantiles::HistogramSummary;
pub use metrics::Meter;
pub use sdk::{Scope, Sdk, DROP_SHUTDOWN_TIMEOUT};
