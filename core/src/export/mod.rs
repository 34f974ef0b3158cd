//! The layer that sends data out, for either signal: the OTLP client and its settings, the
//! on-disk queue, the Tokio runtimes exporters run on, and the health records and drop
//! accounting every exporter keeps. It knows settings and the bottom layer, not what a metric
//! or a log record is.

pub(crate) mod clickhouse;
pub(crate) mod connection;
pub(crate) mod custom;
pub(crate) mod delivery;
pub(crate) mod health;
pub(crate) mod http;
pub(crate) mod otlp_client;
pub(crate) mod protobuf;
pub(crate) mod runtime;
pub(crate) mod spool;
pub(crate) mod values;
