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

/// The size of the last request of a kind, as the first guess of the next one's buffer: a
/// collection is about the size of the one before, and growing a buffer of megabytes by
/// doubling copies it and faults its pages in again at each step.
pub(crate) struct SizeHint(std::sync::atomic::AtomicUsize);

impl SizeHint {
    pub(crate) const fn new() -> Self {
        SizeHint(std::sync::atomic::AtomicUsize::new(0))
    }

    /// The capacity to start a buffer with: the last size and an eighth more, at least 4 KiB.
    pub(crate) fn first_guess(&self) -> usize {
        let last = self.0.load(std::sync::atomic::Ordering::Relaxed);
        (last + last / 8).max(4096)
    }

    /// Keeps `len` as the last size.
    pub(crate) fn keep(&self, len: usize) {
        self.0.store(len, std::sync::atomic::Ordering::Relaxed);
    }
}
