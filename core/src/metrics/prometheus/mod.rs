//! The Prometheus pull endpoint: an HTTP server on a small runtime of its own that collects
//! the Prometheus reader (cumulative) at each scrape of `/metrics` and answers in the text
//! format 0.0.4, or OpenMetrics when the scraper asks for it, gzip-compressed when accepted.
//! The worker processes of a pre-fork server share one endpoint (see [`workers`]). The app's
//! own HTTP server can serve the same answer ([`Exposer`]), with or without the endpoint's
//! port (OTELRS_PROMETHEUS_LISTEN).

mod exposition;
mod handoff;
mod merge;
mod names;
mod workers;

pub(crate) use exposition::{encode, Format};

use crate::base::error::{Error, ErrorKind, Result};
use crate::metrics::pipeline::Origin;
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use parking_lot::{Mutex, RwLock};
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
    /// Whether it listens on the port (or only merges the workers, for the app's server).
    listens: bool,
    socket: String,
    local: Arc<Local>,
    /// The hub, while this process holds the port.
    hub: Mutex<Option<Arc<Hub>>>,
    /// A member's way to its hub, for its last collection.
    finale: Arc<tokio::sync::Mutex<Option<tokio::net::unix::OwnedWriteHalf>>>,
    /// False once the endpoint stops; read through each answer for the app's server, which
    /// runs on the endpoint's runtime.
    open: RwLock<bool>,
}

/// What the process that serves the group holds: the port's listeners (none when the
/// endpoint does not listen) and the members' socket.
struct Claim {
    listeners: Vec<TcpListener>,
    socket: Option<std::os::unix::net::UnixListener>,
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
        if self.listens {
            format!(
                "OTEL_EXPORTER_PROMETHEUS_HOST/PORT {}:{}",
                self.host, self.port
            )
        } else {
            format!(
                "OTEL_EXPORTER_PROMETHEUS_PORT {} (the worker processes' group; \
                 OTELRS_PROMETHEUS_LISTEN=false)",
                self.port
            )
        }
    }

    /// Takes what the process that serves the group holds: the port, then the members'
    /// socket; without the port, the members' socket, which is then what elects it.
    fn claim(&self) -> std::result::Result<Claim, Bind> {
        if !self.listens {
            return match workers::listen(&self.socket) {
                Ok(socket) => Ok(Claim {
                    listeners: Vec::new(),
                    socket: Some(socket),
                }),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(Bind::InUse(e)),
                Err(e) => Err(Bind::Failed(Error::config(format!(
                    "{}: cannot open the socket of the worker processes: {e}",
                    self.what()
                )))),
            };
        }
        let listeners = self.bind()?;
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
        Ok(Claim { listeners, socket })
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

    /// Serves scrapes on the claim's listeners and members on its socket, from now on.
    fn start_hub(self: &Arc<Self>, claim: Claim) -> Result<()> {
        self.serve_as_hub(claim.listeners, claim.socket, false)
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
            let in_use = match self.claim() {
                Ok(claim) => {
                    self.start_hub(claim)?;
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
                    return Err(Error::config(if self.listens {
                        format!(
                            "{}: cannot listen there: {in_use} (by a process that is not an \
                             otelrs endpoint)",
                            self.what()
                        )
                    } else {
                        format!(
                            "{}: the socket of the worker processes is held by a process that \
                             does not answer ({in_use})",
                            self.what()
                        )
                    }))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// The collection a scrape shows now: the hub's merge, asked of the process that serves
    /// the group when this one does not. While the group has none (the one that did left,
    /// and the workers race to take over), asked again for up to [`JOIN_TIMEOUT`].
    async fn collect(&self, exemplars: bool) -> Result<ExportMetricsServiceRequest> {
        let deadline = tokio::time::Instant::now() + JOIN_TIMEOUT;
        // The hub waits up to the worker timeout for its members, after its own collection.
        let wait = self.local.timeout * 2 + Duration::from_secs(1);
        loop {
            let hub = self.hub.lock().clone();
            if let Some(hub) = hub {
                return hub.collect(exemplars).await;
            }
            let asked = workers::ask_hub(&self.socket, &self.local.service, exemplars, wait).await;
            let e = match asked {
                Ok(request) => return Ok(request),
                Err(e) => e,
            };
            let settled = matches!(
                e.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::TimedOut
            );
            if settled || tokio::time::Instant::now() >= deadline {
                let kind = if e.kind() == std::io::ErrorKind::TimedOut {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Export
                };
                return Err(Error::new(
                    kind,
                    format!("prometheus: {}: {e}", self.what()),
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
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
            match self.claim() {
                Ok(claim) => {
                    if let Err(e) = self.start_hub(claim) {
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
    /// With `listens` false nothing listens on the port: the app's own server serves the
    /// scrapes ([`Exposer`]), and the process that holds the members' socket merges them.
    pub(crate) fn start(
        host: &str,
        port: u16,
        listens: bool,
        local: Local,
        origin: Origin,
    ) -> Result<Endpoint> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otelrs-prometheus")
            .enable_all()
            .build()
            .map_err(|e| Error::internal(format!("cannot start the prometheus runtime: {e}")))?;
        let shared = Arc::new(Shared {
            host: host.to_owned(),
            port,
            listens,
            socket: workers::socket_name(host, port, listens, &local.service),
            local: Arc::new(local),
            hub: Mutex::new(None),
            finale: Arc::new(tokio::sync::Mutex::new(None)),
            open: RwLock::new(true),
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

    /// What the app's own HTTP server answers scrapes with.
    pub(crate) fn exposer(&self) -> Option<Exposer> {
        Some(Exposer {
            runtime: self.runtime.as_ref()?.handle().clone(),
            shared: Arc::clone(&self.shared),
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
        // Waits for the app's server's answers under way (each within its deadline).
        *self.shared.open.write() = false;
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

/// A Prometheus scrape's answer, for the app's own HTTP server to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposition {
    /// The body: the text format 0.0.4, or OpenMetrics, gzip-compressed when
    /// `content_encoding` says so.
    pub body: Vec<u8>,
    /// The Content-Type header.
    pub content_type: &'static str,
    /// The Content-Encoding header: `Some("gzip")` or none.
    pub content_encoding: Option<&'static str>,
}

impl Exposition {
    /// An empty scrape (of an SDK that is disabled).
    pub(crate) fn nothing() -> Exposition {
        Exposition {
            body: Vec::new(),
            content_type: Format::Text.content_type(),
            content_encoding: None,
        }
    }

    /// `request` in `format`, gzip-compressed when `gzip`.
    fn render(request: &ExportMetricsServiceRequest, format: Format, gzip: bool) -> Exposition {
        let text = encode(request, format);
        let zipped = gzip.then(|| {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(text.as_bytes())
                .and_then(|()| enc.finish())
                .ok()
        });
        let (body, content_encoding) = match zipped.flatten() {
            Some(zipped) => (zipped, Some("gzip")),
            None => (text.into_bytes(), None),
        };
        Exposition {
            body,
            content_type: format.content_type(),
            content_encoding,
        }
    }
}

/// The endpoint, for the app's own HTTP server: each call collects as a scrape of the
/// endpoint does (every worker's metrics, merged, in a pre-fork server).
#[derive(Clone)]
pub(crate) struct Exposer {
    runtime: tokio::runtime::Handle,
    shared: Arc<Shared>,
}

impl Exposer {
    /// The answer to a scrape whose Accept and Accept-Encoding headers were `accept` and
    /// `accept_encoding` (empty when absent). Blocks until the collection is done, at most
    /// twice OTELRS_PROMETHEUS_WORKER_TIMEOUT and a second in a pre-fork server.
    pub(crate) fn expose(&self, accept: &str, accept_encoding: &str) -> Result<Exposition> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the Prometheus exposition blocks: call it from a thread of your own, not a \
                 Tokio runtime's",
            ));
        }
        let open = self.shared.open.read();
        if !*open {
            return Err(Error::new(ErrorKind::Shutdown, "otelrs is shut down"));
        }
        let format = Format::negotiate(accept);
        let request = self
            .runtime
            .block_on(self.shared.collect(format == Format::OpenMetrics))?;
        let exposition = Exposition::render(&request, format, accepts_gzip(accept_encoding));
        self.shared.local.recycle(request);
        Ok(exposition)
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
    let exposition = match hub.collect(format == Format::OpenMetrics).await {
        Ok(request) => {
            let exposition = Exposition::render(&request, format, gzip);
            hub.recycle(request);
            exposition
        }
        Err(e) => return plain(StatusCode::SERVICE_UNAVAILABLE, &format!("{e}\n")),
    };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, exposition.content_type)
        .header(header::VARY, "Accept, Accept-Encoding");
    if let Some(encoding) = exposition.content_encoding {
        builder = builder.header(header::CONTENT_ENCODING, encoding);
    }
    builder
        .body(Full::new(Bytes::from(exposition.body)))
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
