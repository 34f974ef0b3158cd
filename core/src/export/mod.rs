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

use crate::base::error::{Error, Result};

/// How a request body is written: protobuf (OTLP over gRPC or http/protobuf, the on-disk
/// queue, Loki's push before snappy) or JSON (OTLP http/json, Loki's JSON push).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    Protobuf,
    Json,
}

impl Wire {
    /// `request` in this format.
    pub(crate) fn encode(
        self,
        request: &(impl prost::Message + serde::Serialize),
    ) -> Result<Vec<u8>> {
        match self {
            Wire::Protobuf => Ok(request.encode_to_vec()),
            Wire::Json => serde_json::to_vec(request).map_err(|e| Error::internal(e.to_string())),
        }
    }
}
