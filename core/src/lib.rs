//! otelrs-core: OpenTelemetry metrics for C, Python and Ruby programs, recorded in-process
//! through the OpenTelemetry Rust SDK. All behaviour lives here; the bindings convert.

mod attributes;
mod barrier;
mod clock;
mod config;
pub mod context;
mod delivery;
pub mod diag;
mod error;
mod fork;
mod health;
pub mod logs;
pub mod metrics;
mod otlp;
mod otlp_client;
mod random;
mod resource;
mod runtime;
mod sdk;
mod signals;
mod spool;
mod sync;
mod system;

pub use attributes::{normalize, Array, AttributeSet, KeyValue, StringValue, Value};
pub use config::{setting_key, Config, SettingDoc, ValueKind, SETTINGS};
pub use context::TraceContext;
pub use error::{Error, ErrorKind, Result};
pub use logs::{LogRecordInput, Logger};
pub use metrics::instrument::Callback;
pub use resource::VERSION;
pub use sdk::{Meter, Sdk, DROP_SHUTDOWN_TIMEOUT};
pub use system::Groups as SystemMetricGroups;
