//! The Prometheus pull endpoint: an HTTP server on a small runtime of its own that collects
//! the Prometheus reader (cumulative) at each scrape of `/metrics` and answers in the text
//! format 0.0.4, or OpenMetrics when the scraper asks for it, gzip-compressed when accepted.

mod exposition;
mod names;

pub(crate) use exposition::{encode, Format};

use crate::base::error::{Error, Result};
use crate::metrics::exemplars::Exemplars;
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::io::Write;
use std::net::{TcpListener, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::task::AbortHandle;

/// What a scrape collects: the Prometheus reader.
pub(crate) type Collect = Arc<dyn Fn() -> Result<ResourceMetrics> + Send + Sync>;

/// A running endpoint. Dropping it stops the server and frees the port.
pub(crate) struct Endpoint {
    runtime: Option<Runtime>,
    fds: Vec<RawFd>,
}

impl Endpoint {
    /// The handle of the endpoint's runtime, for its metrics.
    pub(crate) fn runtime(&self) -> Option<tokio::runtime::Handle> {
        self.runtime.as_ref().map(|r| r.handle().clone())
    }

    /// Binds `host:port` now, on every address the host resolves to (`localhost` is both
    /// 127.0.0.1 and ::1), so that a port in use is an error of init, and serves scrapes of
    /// what `collect` returns.
    pub(crate) fn start(
        host: &str,
        port: u16,
        collect: Collect,
        exemplars: Arc<Exemplars>,
    ) -> Result<Endpoint> {
        let what = format!("OTEL_EXPORTER_PROMETHEUS_HOST/PORT {host}:{port}");
        let cannot = |e: std::io::Error| Error::config(format!("{what}: cannot listen there: {e}"));
        let mut listeners = Vec::new();
        let mut unusable = None;
        let addrs = (host, port)
            .to_socket_addrs()
            .map_err(|e| Error::config(format!("{what}: cannot resolve the host: {e}")))?;
        for addr in addrs {
            match TcpListener::bind(addr) {
                Ok(l) => listeners.push(l),
                // An address family the machine lacks (no IPv6) is skipped; a port in use is not.
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => return Err(cannot(e)),
                Err(e) => unusable = Some(e),
            }
        }
        if listeners.is_empty() {
            return Err(cannot(unusable.unwrap_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address")
            })));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otelrs-prometheus")
            .enable_all()
            .build()
            .map_err(|e| Error::internal(format!("cannot start the prometheus runtime: {e}")))?;
        let fds = listeners.iter().map(AsRawFd::as_raw_fd).collect();
        for listener in listeners {
            listener.set_nonblocking(true).map_err(cannot)?;
            let listener = {
                let _guard = runtime.enter();
                tokio::net::TcpListener::from_std(listener).map_err(cannot)?
            };
            runtime.spawn(accept(listener, collect.clone(), exemplars.clone()));
        }
        Ok(Endpoint {
            runtime: Some(runtime),
            fds,
        })
    }

    /// In a forked child: closes the child's copies of the parent's listening sockets, so
    /// that the port belongs to the parent alone. The runtime's threads do not exist in the
    /// child.
    pub(crate) fn close_in_child(self) {
        for fd in &self.fds {
            // SAFETY: a listener's descriptor, copied into the child by fork; nothing in the
            // child uses it (its runtime has no threads there) and it is closed once, here.
            unsafe { libc::close(*fd) };
        }
        // The runtime cannot be shut down without its threads: it stays, unused.
        crate::base::fork::bury(self);
    }
}

impl Drop for Endpoint {
    /// Stops serving: the listeners are closed when this returns (a scrape still collecting
    /// gets up to a second).
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// Connections served at once per listener. Scrapers need one or two each; beyond this the
/// oldest connection is closed for the new one, so that clients that connect and send
/// nothing (or a request slowly) can neither take the process's file descriptors nor lock
/// scrapers out.
const MAX_CONNECTIONS: usize = 64;
/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may stay open in all (a scraper reconnects).
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

/// The connections of one listener, oldest first.
#[derive(Default)]
struct Connections {
    next_id: u64,
    open: VecDeque<(u64, AbortHandle)>,
}

async fn accept(listener: tokio::net::TcpListener, collect: Collect, exemplars: Arc<Exemplars>) {
    let connections = Arc::new(Mutex::new(Connections::default()));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, say: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (collect, exemplars) = (collect.clone(), exemplars.clone());
        let mut open = connections.lock();
        if open.open.len() >= MAX_CONNECTIONS {
            if let Some((_, oldest)) = open.open.pop_front() {
                oldest.abort();
            }
        }
        let id = open.next_id;
        open.next_id += 1;
        let mine = Arc::clone(&connections);
        let task = tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let (collect, exemplars) = (collect.clone(), exemplars.clone());
                async move { Ok::<_, std::convert::Infallible>(answer(req, collect, exemplars).await) }
            });
            let serving = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, serving).await;
            mine.lock().open.retain(|(other, _)| *other != id);
        });
        open.open.push_back((id, task.abort_handle()));
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text.to_owned())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn header_text(req: &Request<Incoming>, name: header::HeaderName) -> &str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Whether an Accept-Encoding header accepts gzip (and does not refuse it with q=0).
fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|part| {
        let mut fields = part.split(';').map(str::trim);
        fields.next() == Some("gzip") && !fields.any(|f| f.replace(' ', "") == "q=0")
    })
}

async fn answer(
    req: Request<Incoming>,
    collect: Collect,
    exemplars: Arc<Exemplars>,
) -> Response<Full<Bytes>> {
    if req.uri().path() != "/metrics" {
        return plain(StatusCode::NOT_FOUND, "otelrs serves metrics at /metrics\n");
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n");
    }
    let format = Format::negotiate(header_text(&req, header::ACCEPT));
    let gzip = accepts_gzip(header_text(&req, header::ACCEPT_ENCODING));
    // Collecting runs observable callbacks, which may block: not on the runtime's worker.
    // Exemplars go with OpenMetrics only: the text format has no place for them.
    let scraped = tokio::task::spawn_blocking(move || {
        collect().map(|rm| {
            let mut request = ExportMetricsServiceRequest::from(&rm);
            if format == Format::OpenMetrics {
                exemplars.attach(&mut request);
            }
            encode(&request, format)
        })
    })
    .await;
    let text = match scraped {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => return plain(StatusCode::SERVICE_UNAVAILABLE, &format!("{e}\n")),
        Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, format.content_type())
        .header(header::VARY, "Accept, Accept-Encoding");
    let body = if gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        match enc.write_all(text.as_bytes()).and_then(|_| enc.finish()) {
            Ok(zipped) => {
                builder = builder.header(header::CONTENT_ENCODING, "gzip");
                Bytes::from(zipped)
            }
            Err(_) => Bytes::from(text),
        }
    } else {
        Bytes::from(text)
    };
    builder
        .body(Full::new(body))
        .unwrap_or_else(|e| plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_used_when_accepted() {
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("deflate, gzip;q=1.0, *;q=0.5"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip(""));
    }

    #[test]
    fn openmetrics_when_the_scraper_asks_for_it() {
        let prom = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(prom), Format::OpenMetrics);
        assert_eq!(Format::negotiate("text/plain"), Format::Text);
        assert_eq!(Format::negotiate(""), Format::Text);
    }
}
