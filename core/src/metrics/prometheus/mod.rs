//! The Prometheus pull endpoint: an HTTP server on a small runtime of its own that collects
//! the Prometheus reader (cumulative) at each scrape of `/metrics` and answers in the text
//! format 0.0.4, or OpenMetrics when the scraper asks for it, gzip-compressed when accepted.
//! The worker processes of a pre-fork server share one endpoint (see [`workers`]).

mod exposition;
mod handoff;
mod merge;
mod names;
mod workers;

pub(crate) use exposition::{encode, Format};

use crate::base::error::{Error, Result};
use crate::metrics::pipeline::Origin;
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::io::Write;
use std::net::{TcpListener, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::task::AbortHandle;
pub(crate) use workers::Local;
use workers::{ChildCloses, Connection, Hub};

/// A running endpoint: the hub that holds the port, or a member of the hub that does (see
/// [`workers`]). Dropping it stops serving and frees the port; a member first sends its last
/// collection, a hub its last replica to the members.
pub(crate) struct Endpoint {
    runtime: Option<Runtime>,
    shared: Arc<Shared>,
}

/// What the endpoint's tasks share.
struct Shared {
    host: String,
    port: u16,
    socket: String,
    local: Arc<Local>,
    /// The hub, while this process holds the port.
    hub: Mutex<Option<Arc<Hub>>>,
    /// A member's way to its hub, for its last collection.
    finale: Arc<tokio::sync::Mutex<Option<tokio::net::unix::OwnedWriteHalf>>>,
}

/// How long a process that finds the port taken tries to join the endpoint there before it
/// takes the port for another program's: an otelrs endpoint that is starting or leaving
/// holds the port for a moment without taking workers.
const JOIN_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the port could not be bound.
enum Bind {
    /// Another process listens there.
    InUse(std::io::Error),
    Failed(Error),
}

impl Shared {
    fn what(&self) -> String {
        format!(
            "OTEL_EXPORTER_PROMETHEUS_HOST/PORT {}:{}",
            self.host, self.port
        )
    }

    /// Binds `host:port` on every address the host resolves to (`localhost` is both
    /// 127.0.0.1 and ::1).
    fn bind(&self) -> std::result::Result<Vec<TcpListener>, Bind> {
        let mut listeners = Vec::new();
        let mut unusable = None;
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| {
                Bind::Failed(Error::config(format!(
                    "{}: cannot resolve the host: {e}",
                    self.what()
                )))
            })?;
        for addr in addrs {
            match TcpListener::bind(addr) {
                Ok(l) => listeners.push(l),
                // An address family the machine lacks (no IPv6) is skipped; a port in use is not.
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => return Err(Bind::InUse(e)),
                Err(e) => unusable = Some(e),
            }
        }
        if listeners.is_empty() {
            return Err(Bind::Failed(self.cannot(unusable.unwrap_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address")
            }))));
        }
        Ok(listeners)
    }

    /// Serves scrapes on `listeners` and members on the hub's socket, from now on.
    fn start_hub(self: &Arc<Self>, listeners: Vec<TcpListener>) -> Result<()> {
        let socket = match workers::listen(&self.socket) {
            Ok(socket) => Some(socket),
            Err(e) => {
                crate::base::diag::warn(format_args!(
                    "prometheus: {}: cannot open the socket for worker processes ({e}): this \
                     process's metrics only are served",
                    self.what()
                ));
                None
            }
        };
        self.serve_as_hub(listeners, socket, false)
    }

    /// Serves the sockets a hub that left passed on: the members' socket first, then the
    /// port's listeners.
    fn succeed(self: &Arc<Self>, fds: Vec<std::os::fd::OwnedFd>) -> Result<()> {
        let mut fds = fds.into_iter();
        let socket = fds.next().map(std::os::unix::net::UnixListener::from);
        let listeners = fds.map(TcpListener::from).collect();
        self.serve_as_hub(listeners, socket, true)
    }

    fn serve_as_hub(
        self: &Arc<Self>,
        listeners: Vec<TcpListener>,
        socket: Option<std::os::unix::net::UnixListener>,
        among_peers: bool,
    ) -> Result<()> {
        let hub = Hub::new(Arc::clone(&self.local), among_peers);
        let hub_kept = hub.kept_series();
        if let Some(socket) = socket {
            let fd = socket.as_raw_fd();
            socket.set_nonblocking(true).map_err(|e| self.cannot(e))?;
            let socket = tokio::net::UnixListener::from_std(socket).map_err(|e| self.cannot(e))?;
            let task = tokio::spawn(Arc::clone(&hub).accept(socket));
            hub.add_socket(fd, task.abort_handle());
        }
        for listener in listeners {
            let fd = listener.as_raw_fd();
            listener.set_nonblocking(true).map_err(|e| self.cannot(e))?;
            let listener =
                tokio::net::TcpListener::from_std(listener).map_err(|e| self.cannot(e))?;
            let task = tokio::spawn(accept(listener, Arc::clone(&hub)));
            hub.add_socket(fd, task.abort_handle());
        }
        *self.hub.lock() = Some(hub);
        workers::debug(format_args!(
            "{}: this process serves the scrapes{}",
            self.what(),
            match hub_kept {
                0 => String::new(),
                n => format!(", with the counts of {n} series it was given"),
            }
        ));
        Ok(())
    }

    fn cannot(&self, e: std::io::Error) -> Error {
        Error::config(format!("{}: cannot listen there: {e}", self.what()))
    }

    /// In the process that configured otelrs: binds the port and serves it (None), or joins
    /// the otelrs endpoint of the same service that holds it (the connection). A port held
    /// by an endpoint that is starting or leaving is tried again for up to
    /// [`JOIN_TIMEOUT`]; a port held by anything else is an error.
    async fn join_or_serve(self: &Arc<Self>) -> Result<Option<Connection>> {
        let deadline = tokio::time::Instant::now() + JOIN_TIMEOUT;
        loop {
            let in_use = match self.bind() {
                Ok(listeners) => {
                    self.start_hub(listeners)?;
                    return Ok(None);
                }
                Err(Bind::Failed(e)) => return Err(e),
                Err(Bind::InUse(in_use)) => in_use,
            };
            match Connection::open(&self.socket, &self.local.service).await {
                Ok(connection) => return Ok(Some(connection)),
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    return Err(Error::config(format!(
                        "{}: cannot listen there: {in_use}, and cannot join the otelrs endpoint \
                         there: {e}",
                        self.what()
                    )))
                }
                Err(_) if tokio::time::Instant::now() >= deadline => {
                    return Err(Error::config(format!(
                        "{}: cannot listen there: {in_use} (by a process that is not an otelrs \
                         endpoint)",
                        self.what()
                    )))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Until the runtime stops: serves the hub through `member` while it lives, then takes the
    /// port or joins the process that took it, retrying while neither works.
    async fn supervise(self: Arc<Self>, mut member: Option<Connection>) {
        let mut wait = Duration::from_millis(20);
        let mut refused = false;
        loop {
            if let Some(connection) = member.take() {
                let succession = connection
                    .serve(
                        Arc::clone(&self.local),
                        self.socket.clone(),
                        Arc::clone(&self.finale),
                    )
                    .await;
                if let Some(fds) = succession {
                    if let Err(e) = self.succeed(fds) {
                        crate::base::diag::error(format_args!("prometheus: {e}"));
                    }
                    return;
                }
                wait = Duration::from_millis(20);
                continue;
            }
            if self.local.is_leaving() {
                return; // exiting: it neither takes the port nor joins again
            }
            match self.bind() {
                Ok(listeners) => {
                    if let Err(e) = self.start_hub(listeners) {
                        crate::base::diag::error(format_args!("prometheus: {e}"));
                    }
                    return;
                }
                Err(Bind::Failed(e)) if !refused => {
                    refused = true;
                    crate::base::diag::error(format_args!("prometheus: {e}"));
                }
                Err(_) => {}
            }
            match Connection::open(&self.socket, &self.local.service).await {
                Ok(connection) => member = Some(connection),
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && !refused => {
                    refused = true;
                    crate::base::diag::error(format_args!(
                        "prometheus: {}: {e}; this process's metrics are not served",
                        self.what()
                    ));
                }
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}

impl Endpoint {
    /// The handle of the endpoint's runtime, for its metrics.
    pub(crate) fn runtime(&self) -> Option<tokio::runtime::Handle> {
        self.runtime.as_ref().map(|r| r.handle().clone())
    }

    /// Serves scrapes of `local`'s collections at `host:port`. In the process that configured
    /// otelrs, the port is bound now (a port in use is an error of init, unless an otelrs
    /// endpoint of the same service holds it: this process then joins it as a worker). In a
    /// forked child, the process joins the endpoint its parent joined or holds.
    pub(crate) fn start(host: &str, port: u16, local: Local, origin: Origin) -> Result<Endpoint> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otelrs-prometheus")
            .enable_all()
            .build()
            .map_err(|e| Error::internal(format!("cannot start the prometheus runtime: {e}")))?;
        let shared = Arc::new(Shared {
            host: host.to_owned(),
            port,
            socket: workers::socket_name(host, port),
            local: Arc::new(local),
            hub: Mutex::new(None),
            finale: Arc::new(tokio::sync::Mutex::new(None)),
        });
        let member = match origin {
            // Joined once the child's rebuild is over (see `serve_in_child`).
            Origin::ForkedChild => {
                return Ok(Endpoint {
                    runtime: Some(runtime),
                    shared,
                })
            }
            Origin::Process => match runtime.block_on(shared.join_or_serve())? {
                Some(connection) => Some(connection),
                None => {
                    return Ok(Endpoint {
                        runtime: Some(runtime),
                        shared,
                    })
                }
            },
        };
        runtime.spawn(Arc::clone(&shared).supervise(member));
        Ok(Endpoint {
            runtime: Some(runtime),
            shared,
        })
    }

    /// In a forked child, once its pipeline is rebuilt and every instrument points at it:
    /// joins the endpoint its parent joined or holds. Not before: a collection the hub asks
    /// for would run on another thread while the rebuild replaces what it reads.
    pub(crate) fn serve_in_child(&self) {
        if let Some(rt) = &self.runtime {
            rt.spawn(Arc::clone(&self.shared).supervise(None));
        }
    }

    /// In a forked child: the parent's endpoint is left alone (its sockets, which the fork
    /// handlers closed in the child, and its runtime, whose threads the child does not have).
    pub(crate) fn close_in_child(self) {
        crate::base::fork::bury(self);
    }
}

impl Drop for Endpoint {
    /// Stops serving: the listeners are closed when this returns (a scrape still collecting
    /// gets up to a second). A member first sends its last collection; a hub passes its
    /// sockets to a member that takes them, or else sends the members its last replica.
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            let shared = Arc::clone(&self.shared);
            rt.block_on(async {
                let _ = tokio::time::timeout(Duration::from_secs(4), async {
                    if !shared.local.begin_leaving() {
                        // Chosen to succeed the hub: it leaves as the hub it is becoming.
                        for _ in 0..100 {
                            if shared.hub.lock().is_some() {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                    let hub = shared.hub.lock().clone();
                    match hub {
                        Some(hub) => hub.leave().await,
                        None => {
                            workers::send_final(&shared.local, &shared.socket, &shared.finale).await
                        }
                    }
                })
                .await;
            });
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

async fn accept(listener: tokio::net::TcpListener, hub: Arc<Hub>) {
    let _closes = ChildCloses::new(&listener);
    let connections = Arc::new(Mutex::new(Connections::default()));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, say: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let hub = Arc::clone(&hub);
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
                let hub = Arc::clone(&hub);
                async move { Ok::<_, std::convert::Infallible>(answer(req, hub).await) }
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

async fn answer(req: Request<Incoming>, hub: Arc<Hub>) -> Response<Full<Bytes>> {
    if req.uri().path() != "/metrics" {
        return plain(StatusCode::NOT_FOUND, "otelrs serves metrics at /metrics\n");
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n");
    }
    let format = Format::negotiate(header_text(&req, header::ACCEPT));
    let gzip = accepts_gzip(header_text(&req, header::ACCEPT_ENCODING));
    // Exemplars go with OpenMetrics only: the text format has no place for them.
    let text = match hub.collect(format == Format::OpenMetrics).await {
        Ok(request) => encode(&request, format),
        Err(e) => return plain(StatusCode::SERVICE_UNAVAILABLE, &format!("{e}\n")),
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
