//! The Tokio runtimes otelrs owns: one small runtime per signal, and only when an exporter of
//! that signal speaks gRPC (tonic needs a reactor; the HTTP exporter blocks its own thread).
//! Each runtime is owned by its export thread, so it is dropped there after the last export,
//! and a forked child simply builds new ones.

use crate::base::error::{Error, Result};
use crate::config::{Exporter, OtlpSettings, Protocol};
use tokio::runtime::Runtime;

/// A one-worker runtime named `name`, if `exporters` include OTLP over gRPC.
pub(crate) fn for_exporters(
    exporters: &[Exporter],
    otlp: &OtlpSettings,
    name: &str,
) -> Result<Option<Runtime>> {
    if !(exporters.contains(&Exporter::Otlp) && otlp.protocol == Protocol::Grpc) {
        return Ok(None);
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()
        .map(Some)
        .map_err(|e| Error::internal(format!("cannot start the otelrs runtime: {e}")))
}
