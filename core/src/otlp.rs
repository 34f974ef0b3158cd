//! What the OTLP exporters of both signals share: building a tonic or HTTP exporter from
//! otelrs's resolved settings (so that values set from code win over the environment), and
//! running one export within its timeout.

use crate::config::{OtlpSettings, Protocol};
use crate::error::{Error, Result};
use opentelemetry_otlp::tonic_types::metadata::MetadataMap;
use opentelemetry_otlp::tonic_types::transport::{Certificate, ClientTlsConfig};
use opentelemetry_otlp::{Compression, WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tokio::runtime::{Handle, Runtime};

/// The error for an exporter that cannot be built.
pub(crate) fn build_error(s: &OtlpSettings, e: impl std::fmt::Display) -> Error {
    Error::config(format!(
        "cannot build the OTLP exporter for {:?}: {e}",
        s.endpoint
    ))
}

/// The configured headers (OTEL_EXPORTER_OTLP_HEADERS) as HTTP headers.
pub(crate) fn header_map(s: &OtlpSettings) -> Result<http::HeaderMap> {
    let mut headers = http::HeaderMap::new();
    for (k, v) in &s.headers {
        let name = http::HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| Error::config(format!("invalid OTLP header name {k:?}")))?;
        let value = http::HeaderValue::from_str(v)
            .map_err(|_| Error::config(format!("invalid value for OTLP header {k:?}")))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// The PEM file of OTEL_EXPORTER_OTLP_CERTIFICATE, read.
pub(crate) fn certificate_pem(s: &OtlpSettings) -> Result<Option<Vec<u8>>> {
    let Some(path) = &s.certificate else {
        return Ok(None);
    };
    std::fs::read(path).map(Some).map_err(|e| {
        Error::config(format!(
            "invalid value {:?} for OTEL_EXPORTER_OTLP_CERTIFICATE: {e}",
            path.display()
        ))
    })
}

/// `builder` (a tonic exporter builder of either signal) configured from `s`.
pub(crate) fn tonic<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    s: &OtlpSettings,
) -> Result<B> {
    let mut b = builder
        .with_endpoint(s.endpoint.clone())
        .with_timeout(s.timeout)
        .with_metadata(MetadataMap::from_headers(header_map(s)?));
    if s.gzip {
        b = b.with_compression(Compression::Gzip);
    }
    if let Some(tls) = grpc_tls(s)? {
        b = b.with_tls_config(tls);
    }
    Ok(b)
}

/// The TLS settings of a gRPC connection: for an `https://` endpoint the system's roots (when
/// it has any), plus OTEL_EXPORTER_OTLP_CERTIFICATE. `None` for plain http without a
/// certificate. (A bare `ClientTlsConfig::new()` trusts no root at all.)
pub(crate) fn grpc_tls(s: &OtlpSettings) -> Result<Option<ClientTlsConfig>> {
    let https = s.endpoint.starts_with("https://");
    let pem = certificate_pem(s)?;
    if !https && pem.is_none() {
        return Ok(None);
    }
    let mut tls = ClientTlsConfig::new();
    if https && !rustls_native_certs::load_native_certs().certs.is_empty() {
        tls = tls.with_native_roots();
    }
    if let Some(pem) = pem {
        tls = tls.ca_certificate(Certificate::from_pem(pem));
    }
    Ok(Some(tls))
}

/// The blocking HTTP client of an HTTP exporter: TLS through rustls with the ring provider
/// (the one tonic uses too), trusting the system's roots and OTEL_EXPORTER_OTLP_CERTIFICATE.
pub(crate) fn http_client(s: &OtlpSettings) -> Result<reqwest::blocking::Client> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    if s.endpoint.starts_with("https://") {
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
    }
    if let Some(path) = &s.certificate {
        let bad = |e: &dyn std::fmt::Display| {
            Error::config(format!(
                "invalid value {:?} for OTEL_EXPORTER_OTLP_CERTIFICATE: {e}",
                path.display()
            ))
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(&e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| bad(&e))?;
        if certs.is_empty() {
            return Err(bad(&"no PEM certificate in it"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(&e))?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::internal(format!("TLS setup: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(s.timeout)
        .build()
        .map_err(|e| build_error(s, e))
}

/// `builder` (an HTTP exporter builder of either signal) configured from `s`.
pub(crate) fn http<B: WithExportConfig + WithHttpConfig>(
    builder: B,
    s: &OtlpSettings,
) -> Result<B> {
    let headers: HashMap<String, String> = s.headers.iter().cloned().collect();
    let mut b = builder
        .with_protocol(match s.protocol {
            Protocol::HttpJson => opentelemetry_otlp::Protocol::HttpJson,
            _ => opentelemetry_otlp::Protocol::HttpBinary,
        })
        .with_endpoint(s.endpoint.clone())
        .with_timeout(s.timeout)
        .with_headers(headers)
        .with_http_client(http_client(s)?);
    if s.gzip {
        b = b.with_compression(Compression::Gzip);
    }
    Ok(b)
}

/// Builds an exporter over gRPC or HTTP, as `s` says: `grpc` inside `runtime` (tonic must be
/// built in the runtime it will run on), `http` on the calling thread. Returns the exporter
/// and the runtime handle its exports run on (none over HTTP, whose client blocks instead).
pub(crate) fn build_exporter<E>(
    s: &OtlpSettings,
    runtime: Option<&Runtime>,
    grpc: impl FnOnce() -> Result<E>,
    http: impl FnOnce() -> Result<E>,
) -> Result<(E, Option<Handle>)> {
    match (s.protocol, runtime) {
        (Protocol::Grpc, Some(rt)) => {
            let _entered = rt.enter();
            Ok((grpc()?, Some(rt.handle().clone())))
        }
        (Protocol::Grpc, None) => Err(Error::internal("gRPC exporter built without a runtime")),
        _ => Ok((http()?, None)),
    }
}

/// Runs one export: on `runtime` (gRPC) with `timeout`, or on the calling thread (HTTP, whose
/// blocking client enforces the request timeout itself).
pub(crate) fn run_export(
    runtime: Option<&Handle>,
    timeout: Duration,
    export: impl Future<Output = OTelSdkResult> + Send,
) -> OTelSdkResult {
    match runtime {
        // The timer must be created inside the runtime, hence the async block.
        Some(handle) => handle.block_on(async move {
            tokio::time::timeout(timeout, export)
                .await
                .unwrap_or(Err(OTelSdkError::Timeout(timeout)))
        }),
        None => futures_executor::block_on(export),
    }
}
