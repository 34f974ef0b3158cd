//! An exporter's connection from otelrs's resolved settings: headers, the CA certificate, the
//! client certificate (mTLS), gRPC TLS (for OTLP) and the HTTP client (for every exporter
//! that speaks HTTP).

use crate::base::error::{Error, Result};
use crate::config::{Connection, MAX_SETTING_FILE_BYTES};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::Read;
use std::path::Path;
use tonic::transport::{Certificate, ClientTlsConfig, Identity};

/// The error for an exporter that cannot be built.
pub(crate) fn build_error(s: &Connection, e: impl std::fmt::Display) -> Error {
    Error::config(format!(
        "cannot build the {} exporter for {:?}: {e}",
        s.exporter, s.endpoint
    ))
}

/// The configured headers (e.g. OTEL_EXPORTER_OTLP_HEADERS) as HTTP headers.
pub(crate) fn header_map(s: &Connection) -> Result<http::HeaderMap> {
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

/// The PEM file `path` of the setting `key`, read (at most MAX_SETTING_FILE_BYTES).
fn read_pem(path: &Path, key: &str) -> Result<Vec<u8>> {
    let bad = |why: String| {
        Error::config(format!(
            "invalid value {:?} for {key}: {why}",
            path.display()
        ))
    };
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SETTING_FILE_BYTES + 1).read_to_end(&mut pem))
        .map_err(|e| bad(e.to_string()))?;
    if pem.len() as u64 > MAX_SETTING_FILE_BYTES {
        return Err(bad(format!("more than {MAX_SETTING_FILE_BYTES} bytes")));
    }
    Ok(pem)
}

/// The certificates of a PEM file, at least one.
fn pem_certificates(pem: &[u8], path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>> {
    let bad = |why: &dyn std::fmt::Display| {
        Error::config(format!(
            "invalid value {:?} for {key}: {why}",
            path.display()
        ))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad(&e))?;
    if certs.is_empty() {
        return Err(bad(&"no PEM certificate in it"));
    }
    Ok(certs)
}

/// The CA certificate setting (e.g. OTEL_EXPORTER_OTLP_CERTIFICATE), read.
fn certificate_pem(s: &Connection) -> Result<Option<Vec<u8>>> {
    s.certificate
        .as_ref()
        .map(|path| read_pem(path, &s.certificate_key))
        .transpose()
}

/// The client's certificate and key (mTLS) as PEM, checked: certificates in the one, a private
/// key in the other.
fn client_identity_pem(s: &Connection) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let [(cert_path, cert_key), (key_path, key_key)] = &s.client_identity;
    let (cert_path, key_path) = match (cert_path, key_path) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        _ => {
            return Err(Error::config(format!(
                "{cert_key} and {key_key} go together: a client certificate needs its private key"
            )))
        }
    };
    if !s.endpoint.starts_with("https://") {
        return Err(Error::config(format!(
            "{cert_key} is set but the {} endpoint {:?} is not https://: a client certificate \
             is sent over TLS only",
            s.exporter, s.endpoint
        )));
    }
    let cert = read_pem(cert_path, cert_key)?;
    pem_certificates(&cert, cert_path, cert_key)?;
    let key = read_pem(key_path, key_key)?;
    PrivateKeyDer::from_pem_slice(&key).map_err(|e| {
        Error::config(format!(
            "invalid value {:?} for {key_key}: no PEM private key in it ({e})",
            key_path.display()
        ))
    })?;
    Ok(Some((cert, key)))
}

/// The TLS settings of a gRPC connection: for an `https://` endpoint the system's roots (when
/// it has any), plus the CA certificate setting, and the client's certificate (mTLS).
/// `None` for plain http without a certificate. (A bare `ClientTlsConfig::new()` trusts no
/// root at all.)
pub(crate) fn grpc_tls(s: &Connection) -> Result<Option<ClientTlsConfig>> {
    let https = s.endpoint.starts_with("https://");
    let pem = certificate_pem(s)?;
    let identity = client_identity_pem(s)?;
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
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    Ok(Some(tls))
}

/// The blocking HTTP client of an HTTP exporter: TLS through rustls with the ring provider
/// (the one tonic uses too), trusting the system's roots and the CA certificate setting,
/// with the client's certificate when one is set (mTLS).
pub(crate) fn http_client(s: &Connection) -> Result<reqwest::blocking::Client> {
    let mut roots = rustls::RootCertStore::empty();
    if s.endpoint.starts_with("https://") {
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
    }
    if let Some(path) = &s.certificate {
        let pem = read_pem(path, &s.certificate_key)?;
        for cert in pem_certificates(&pem, path, &s.certificate_key)? {
            roots.add(cert).map_err(|e| {
                Error::config(format!(
                    "invalid value {:?} for {}: {e}",
                    path.display(),
                    s.certificate_key
                ))
            })?;
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::internal(format!("TLS setup: {e}")))?
    .with_root_certificates(roots);
    let [(cert_path, cert_key), (_, key_key)] = &s.client_identity;
    let tls = match (client_identity_pem(s)?, cert_path) {
        (Some((cert, key)), Some(cert_path)) => {
            let chain = pem_certificates(&cert, cert_path, cert_key)?;
            let key = PrivateKeyDer::from_pem_slice(&key)
                .map_err(|e| Error::config(format!("{key_key}: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::config(format!("{cert_key} and {key_key}: {e}")))?
        }
        _ => builder.with_no_client_auth(),
    };
    reqwest::blocking::Client::builder()
        .user_agent(s.user_agent.clone())
        .tls_backend_preconfigured(tls)
        .timeout(s.timeout)
        .build()
        .map_err(|e| build_error(s, e))
}
