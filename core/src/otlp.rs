//! The connection settings of the OTLP client (`otlp_client.rs`) from otelrs's resolved
//! settings: headers, the CA certificate, gRPC TLS and the HTTP client.

use crate::config::{OtlpSettings, MAX_SETTING_FILE_BYTES};
use crate::error::{Error, Result};
use std::io::Read;
use tonic::transport::{Certificate, ClientTlsConfig};

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
        let name = http::HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
            Error::config(format!(
                "invalid value for {}: {k:?} is not a valid HTTP header name",
                s.headers_key
            ))
        })?;
        let value = http::HeaderValue::from_str(v).map_err(|_| {
            Error::config(format!(
                "invalid value for {}: the value of header {k:?} is not a valid HTTP header \
                 value (not shown: it may hold credentials)",
                s.headers_key
            ))
        })?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// The PEM file of OTEL_EXPORTER_OTLP_CERTIFICATE, read.
pub(crate) fn certificate_pem(s: &OtlpSettings) -> Result<Option<Vec<u8>>> {
    let Some(path) = &s.certificate else {
        return Ok(None);
    };
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SETTING_FILE_BYTES + 1).read_to_end(&mut pem))
        .map_err(|e| {
            Error::config(format!(
                "invalid value {:?} for {}: {e}",
                path.display(),
                s.certificate_key
            ))
        })?;
    if pem.len() as u64 > MAX_SETTING_FILE_BYTES {
        return Err(Error::config(format!(
            "invalid value {:?} for {}: more than {MAX_SETTING_FILE_BYTES} bytes",
            path.display(),
            s.certificate_key
        )));
    }
    Ok(Some(pem))
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
                "invalid value {:?} for {}: {e}",
                path.display(),
                s.certificate_key
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
        .user_agent(s.user_agent.clone())
        .tls_backend_preconfigured(tls)
        .timeout(s.timeout)
        .build()
        .map_err(|e| build_error(s, e))
}
