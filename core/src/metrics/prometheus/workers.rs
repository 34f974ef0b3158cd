//! The worker processes of a pre-fork server behind one Prometheus port. The process that
//! holds the port is the hub; every other otelrs process of the same service that wants the
//! port (a forked child of the hub, or a worker that found the port taken) is a member: it
//! connects to the hub's Unix socket (in the abstract namespace, so no file is left behind)
//! and sends its collection when the hub asks. A scrape of the hub shows its own collection
//! and every member's, merged (see [`super::merge`]).
//!
//! The hub accepts members of the same user only (the socket's peer credentials) and of its
//! own service. A member that exits sends its last collection first; one that is killed
//! leaves what it sent at the last scrape. Either way its counters and histograms stay in the
//! hub's totals. A member that does not answer within OTELRS_PROMETHEUS_WORKER_TIMEOUT is
//! shown with `otelrs_prometheus_worker_up` 0 and what it last sent. When a hub that is itself
//! a worker exits, it hands what it keeps of the workers gone to its oldest member, and the
//! members race for the port: the first to bind it is the new hub.
//!
//! Frames on the socket: a 4-byte little-endian length, a kind byte, the payload.

use super::merge::Merged;
use crate::base::error::{Error, Result};
use crate::base::fork;
use crate::config::choices::GaugeMerge;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use parking_lot::Mutex;
use prost::Message;
use std::collections::{BTreeMap, HashMap};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::oneshot;

/// The largest frame either side accepts (a collection of very many series).
const MAX_FRAME: usize = 256 << 20;

/// How long a member waits for the hub's answer to its hello.
pub(crate) const HELLO_TIMEOUT: Duration = Duration::from_secs(2);

/// Frame kinds.
mod kind {
    /// Member to hub: the member's service name.
    pub const HELLO: u8 = 1;
    /// Hub to member: accepted.
    pub const WELCOME: u8 = 2;
    /// Hub to member: refused, with the reason.
    pub const REFUSE: u8 = 3;
    /// Hub to member: a request id (8 bytes) and whether exemplars are wanted (1 byte).
    pub const COLLECT: u8 = 4;
    /// Member to hub: the request id and the collection (an OTLP request).
    pub const SNAPSHOT: u8 = 5;
    /// Member to hub, unasked, as it exits: its last collection.
    pub const FINAL: u8 = 6;
    /// Hub to member, as the hub exits: what it keeps of the workers gone.
    pub const HANDOVER: u8 = 7;
}

/// The abstract Unix socket name of the endpoint at `host:port`.
pub(crate) fn socket_name(host: &str, port: u16) -> String {
    format!("otelrs-prometheus/{host}:{port}")
}

fn socket_addr(name: &str) -> std::io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
}

/// A descriptor that a forked child closes (see [`fork::close_in_child`]) while this lives:
/// a copy in a child would keep a hub's socket or a member's connection open after the
/// process that owns it is gone.
pub(crate) struct ChildCloses(RawFd);

impl ChildCloses {
    pub(crate) fn new(fd: &impl AsRawFd) -> Self {
        let fd = fd.as_raw_fd();
        fork::close_in_child(fd);
        ChildCloses(fd)
    }
}

impl Drop for ChildCloses {
    fn drop(&mut self) {
        fork::forget_fd(self.0);
    }
}

async fn write_frame(w: &mut OwnedWriteHalf, kind: u8, payload: &[u8]) -> std::io::Result<()> {
    let len =
        u32::try_from(payload.len() + 1).map_err(|_| std::io::Error::other("frame too large"))?;
    let mut head = [0u8; 5];
    head[..4].copy_from_slice(&len.to_le_bytes());
    head[4] = kind;
    w.write_all(&head).await?;
    w.write_all(payload).await?;
    w.flush().await
}

async fn read_frame(r: &mut OwnedReadHalf) -> std::io::Result<(u8, Vec<u8>)> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(std::io::Error::other(format!("bad frame length {len}")));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf).await?;
    let kind = buf.remove(0);
    Ok((kind, buf))
}

/// A collection as the bytes a frame carries.
pub(crate) fn encode_request(request: &ExportMetricsServiceRequest) -> Vec<u8> {
    request.encode_to_vec()
}

/// What the hub and its members share: how to collect this process, and how to merge.
pub(crate) struct Local {
    /// This process's collection as an OTLP request, with exemplars when asked.
    pub(crate) collect: Arc<dyn Fn(bool) -> Result<ExportMetricsServiceRequest> + Send + Sync>,
    pub(crate) service: String,
    pub(crate) rules: GaugeMerge,
    pub(crate) timeout: Duration,
    /// What a hub that exited handed to this process (while a member; a hub takes it in).
    pub(crate) carried: Mutex<Merged>,
}

impl Local {
    /// This process's collection, with what it carries for a hub gone.
    fn collect_with_carried(&self, exemplars: bool) -> Result<ExportMetricsServiceRequest> {
        let own = (self.collect)(exemplars)?;
        let carried = self.carried.lock();
        if carried.series() == 0 {
            return Ok(own);
        }
        let resource = own
            .resource_metrics
            .first()
            .and_then(|r| r.resource.clone());
        let mut merged = carried.clone();
        merged.add(&own, std::process::id(), &self.rules, false);
        Ok(merged.to_request(resource.as_ref()))
    }
}

/// One member as the hub sees it.
struct Member {
    /// First, so that it is dropped (and the descriptor forgotten) before the socket closes.
    _closes: ChildCloses,
    pid: u32,
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
    /// Requests sent, by id, waiting for their snapshot.
    pending: Mutex<HashMap<u64, oneshot::Sender<ExportMetricsServiceRequest>>>,
    /// The last collection it sent.
    last: Mutex<Option<ExportMetricsServiceRequest>>,
}

impl Member {
    /// Asks for its collection and waits at most `timeout`.
    async fn ask(
        &self,
        id: u64,
        exemplars: bool,
        timeout: Duration,
    ) -> Option<ExportMetricsServiceRequest> {
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(id, tx);
        let mut payload = id.to_le_bytes().to_vec();
        payload.push(u8::from(exemplars));
        let asked = async {
            write_frame(&mut *self.writer.lock().await, kind::COLLECT, &payload)
                .await
                .ok()?;
            rx.await.ok()
        };
        let got = tokio::time::timeout(timeout, asked).await.ok().flatten();
        self.pending.lock().remove(&id);
        if let Some(r) = &got {
            *self.last.lock() = Some(r.clone());
        }
        got
    }
}

/// The process that holds the port, and the members it merges.
pub(crate) struct Hub {
    local: Arc<Local>,
    /// Live members by connection number (in the order they came).
    members: Mutex<BTreeMap<u64, Arc<Member>>>,
    /// What the members gone left: their counters and histograms.
    retired: Mutex<Merged>,
    next: AtomicU64,
}

impl Hub {
    pub(crate) fn new(local: Arc<Local>) -> Arc<Hub> {
        // What a hub gone handed to this process is now kept here.
        let carried = std::mem::take(&mut *local.carried.lock());
        Arc::new(Hub {
            local,
            members: Mutex::new(BTreeMap::new()),
            retired: Mutex::new(carried),
            next: AtomicU64::new(1),
        })
    }

    /// Accepts members on `listener` for as long as the runtime runs.
    pub(crate) async fn accept(self: Arc<Self>, listener: UnixListener) {
        let _closes = ChildCloses::new(&listener);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            tokio::spawn(Arc::clone(&self).serve(stream));
        }
    }

    /// Greets one member and reads what it sends until it goes.
    async fn serve(self: Arc<Self>, stream: UnixStream) {
        let closes = ChildCloses::new(&stream);
        let cred = stream.peer_cred().ok();
        let (mut r, mut w) = stream.into_split();
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let refusal = match (
            tokio::time::timeout(HELLO_TIMEOUT, read_frame(&mut r)).await,
            cred,
        ) {
            (Ok(Ok((kind::HELLO, service))), Some(cred)) if cred.uid() == uid => {
                let service = String::from_utf8_lossy(&service).into_owned();
                (service != self.local.service).then(|| {
                    format!(
                        "the port belongs to otelrs of service {:?}, not {service:?}",
                        self.local.service
                    )
                })
            }
            (_, Some(cred)) if cred.uid() != uid => {
                Some("the port belongs to otelrs of another user".to_owned())
            }
            _ => Some("no hello".to_owned()),
        };
        if let Some(why) = refusal {
            let _ = write_frame(&mut w, kind::REFUSE, why.as_bytes()).await;
            drop(closes);
            return;
        }
        if write_frame(&mut w, kind::WELCOME, &[]).await.is_err() {
            drop(closes);
            return;
        }
        let pid = cred
            .and_then(|c| c.pid())
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(0);
        let member = Arc::new(Member {
            _closes: closes,
            pid,
            writer: tokio::sync::Mutex::new(w),
            pending: Mutex::new(HashMap::new()),
            last: Mutex::new(None),
        });
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.members.lock().insert(id, Arc::clone(&member));
        while let Ok((kind, payload)) = read_frame(&mut r).await {
            match kind {
                kind::SNAPSHOT if payload.len() >= 8 => {
                    let (head, body) = payload.split_at(8);
                    let mut request_id = [0u8; 8];
                    request_id.copy_from_slice(head);
                    let Ok(request) = ExportMetricsServiceRequest::decode(body) else {
                        continue;
                    };
                    let waiting = member
                        .pending
                        .lock()
                        .remove(&u64::from_le_bytes(request_id));
                    if let Some(tx) = waiting {
                        let _ = tx.send(request);
                    }
                }
                kind::FINAL => {
                    if let Ok(request) = ExportMetricsServiceRequest::decode(payload.as_slice()) {
                        *member.last.lock() = Some(request);
                    }
                }
                _ => {}
            }
        }
        // Gone: what it counted stays in the totals (moved under the members' lock, so that
        // a hand-over sees it in one place or the other).
        let mut members = self.members.lock();
        members.remove(&id);
        let last = member.last.lock().take();
        if let Some(last) = last {
            self.retired
                .lock()
                .add(&last, member.pid, &self.local.rules, true);
        }
        drop(members);
    }

    /// Whether a scrape must merge: there are or were members.
    fn merging(&self) -> bool {
        !self.members.lock().is_empty() || self.retired.lock().series() > 0
    }

    /// The collection a scrape shows: this process's alone while it has never had members,
    /// otherwise merged with every member's (a member that does not answer in time with what
    /// it last sent of its counters and histograms) and the members gone.
    pub(crate) async fn collect(
        self: &Arc<Self>,
        exemplars: bool,
    ) -> Result<ExportMetricsServiceRequest> {
        let local = Arc::clone(&self.local);
        let own = tokio::task::spawn_blocking(move || (local.collect)(exemplars));
        if !self.merging() {
            return own.await.map_err(|e| Error::internal(e.to_string()))?;
        }
        let members: Vec<Arc<Member>> = self.members.lock().values().cloned().collect();
        let mut asks = tokio::task::JoinSet::new();
        for m in members {
            let id = self.next.fetch_add(1, Ordering::Relaxed);
            let timeout = self.local.timeout;
            asks.spawn(async move {
                let got = m.ask(id, exemplars, timeout).await;
                let last = if got.is_none() {
                    m.last.lock().clone()
                } else {
                    None
                };
                (m.pid, got, last)
            });
        }
        let own = own.await.map_err(|e| Error::internal(e.to_string()))??;
        let rules = &self.local.rules;
        let mut merged = self.retired.lock().clone();
        let me = std::process::id();
        merged.add(&own, me, rules, false);
        let mut up = vec![(me, true)];
        while let Some(Ok((pid, got, last))) = asks.join_next().await {
            up.push((pid, got.is_some()));
            match (got, last) {
                (Some(r), _) => merged.add(&r, pid, rules, false),
                (None, Some(last)) => merged.add(&last, pid, rules, true),
                (None, None) => {}
            }
        }
        merged.add(&worker_up(&up), me, &GaugeMerge::default(), false);
        let resource = own
            .resource_metrics
            .first()
            .and_then(|r| r.resource.clone());
        Ok(merged.to_request(resource.as_ref()))
    }

    /// As the hub exits: hands what it keeps of the workers gone, and its own counters and
    /// histograms, to its oldest live member, which keeps them in its totals. A member whose
    /// process no longer exists (its end not read yet) counts as gone.
    pub(crate) async fn hand_over(&self) {
        // Ends already on their way are read first.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let local = Arc::clone(&self.local);
        let own = tokio::task::spawn_blocking(move || (local.collect)(false)).await;
        let (heir, mut kept) = {
            let members = self.members.lock();
            let mut kept = self.retired.lock().clone();
            let mut heir = None;
            for m in members.values() {
                if process_exists(m.pid) {
                    heir = heir.or_else(|| Some(Arc::clone(m)));
                } else if let Some(last) = m.last.lock().as_ref() {
                    kept.add(last, m.pid, &self.local.rules, true);
                }
            }
            (heir, kept)
        };
        let Some(heir) = heir else { return };
        if let Ok(Ok(own)) = own {
            kept.add(&own, std::process::id(), &self.local.rules, true);
        }
        let bytes = encode_request(&kept.to_request(None));
        let _ = write_frame(&mut *heir.writer.lock().await, kind::HANDOVER, &bytes).await;
    }
}

/// Whether the process `pid` exists (a zombie not yet reaped does).
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 checks only that the process exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// `otelrs.prometheus.worker.up`: 1 for each process that answered the scrape, 0 for the
/// stragglers.
fn worker_up(up: &[(u32, bool)]) -> ExportMetricsServiceRequest {
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
    use opentelemetry_proto::tonic::metrics::v1 as proto;
    let points = up
        .iter()
        .map(|(pid, ok)| proto::NumberDataPoint {
            attributes: vec![KeyValue {
                key: "process.pid".to_owned(),
                value: Some(AnyValue {
                    value: Some(any_value::Value::IntValue(i64::from(*pid))),
                }),
                ..Default::default()
            }],
            value: Some(proto::number_data_point::Value::AsInt(i64::from(*ok))),
            ..Default::default()
        })
        .collect();
    ExportMetricsServiceRequest {
        resource_metrics: vec![proto::ResourceMetrics {
            scope_metrics: vec![proto::ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "otelrs".to_owned(),
                    ..Default::default()
                }),
                metrics: vec![proto::Metric {
                    name: "otelrs.prometheus.worker.up".to_owned(),
                    description:
                        "Whether each worker process answered this scrape in time (1) or not (0)"
                            .to_owned(),
                    data: Some(proto::metric::Data::Sum(proto::Sum {
                        data_points: points,
                        aggregation_temporality: 2,
                        is_monotonic: false,
                    })),
                    ..Default::default()
                }],
                schema_url: String::new(),
            }],
            ..Default::default()
        }],
    }
}

/// A member's connection to its hub, greeted.
pub(crate) struct Connection {
    stream: UnixStream,
}

impl Connection {
    /// Connects to the hub of `socket` and says hello as `service`; the hub's refusal or a
    /// failure to connect is the error.
    pub(crate) async fn open(socket: &str, service: &str) -> std::io::Result<Connection> {
        let std_stream = std::os::unix::net::UnixStream::connect_addr(&socket_addr(socket)?)?;
        std_stream.set_nonblocking(true)?;
        let stream = UnixStream::from_std(std_stream)?;
        let (mut r, mut w) = stream.into_split();
        write_frame(&mut w, kind::HELLO, service.as_bytes()).await?;
        let answer = tokio::time::timeout(HELLO_TIMEOUT, read_frame(&mut r))
            .await
            .map_err(|_| std::io::Error::other("the hub did not answer"))??;
        let stream = r
            .reunite(w)
            .map_err(|_| std::io::Error::other("cannot rejoin the socket halves"))?;
        match answer {
            (kind::WELCOME, _) => Ok(Connection { stream }),
            (kind::REFUSE, why) => Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                String::from_utf8_lossy(&why).into_owned(),
            )),
            _ => Err(std::io::Error::other("unexpected answer from the hub")),
        }
    }

    /// Serves the hub's requests until it goes; `finale` receives the writer for the last
    /// collection this process sends as it exits.
    pub(crate) async fn serve(
        self,
        local: Arc<Local>,
        finale: Arc<tokio::sync::Mutex<Option<OwnedWriteHalf>>>,
    ) {
        // Declared first, dropped last: forgotten before the socket closes.
        let closes = ChildCloses::new(&self.stream);
        let (mut r, w) = self.stream.into_split();
        *finale.lock().await = Some(w);
        while let Ok((kind, payload)) = read_frame(&mut r).await {
            match kind {
                kind::COLLECT if payload.len() >= 9 => {
                    let exemplars = payload[8] != 0;
                    let local = Arc::clone(&local);
                    let collected =
                        tokio::task::spawn_blocking(move || local.collect_with_carried(exemplars))
                            .await;
                    let Ok(Ok(request)) = collected else { continue };
                    let mut out = payload[..8].to_vec();
                    out.extend(encode_request(&request));
                    if let Some(w) = finale.lock().await.as_mut() {
                        if write_frame(w, kind::SNAPSHOT, &out).await.is_err() {
                            break;
                        }
                    }
                }
                kind::HANDOVER => {
                    if let Ok(r) = ExportMetricsServiceRequest::decode(payload.as_slice()) {
                        local.carried.lock().add(&r, 0, &local.rules, true);
                    }
                }
                _ => {}
            }
        }
        drop(r);
        drop(closes);
        *finale.lock().await = None;
    }
}

/// Sends this process's last collection to its hub, as it exits.
pub(crate) async fn send_final(
    local: &Arc<Local>,
    finale: &tokio::sync::Mutex<Option<OwnedWriteHalf>>,
) {
    let local = Arc::clone(local);
    let Ok(Ok(request)) =
        tokio::task::spawn_blocking(move || local.collect_with_carried(false)).await
    else {
        return;
    };
    if let Some(w) = finale.lock().await.as_mut() {
        let _ = write_frame(w, kind::FINAL, &encode_request(&request)).await;
    }
}

/// Binds the hub's socket.
pub(crate) fn listen(socket: &str) -> std::io::Result<UnixListener> {
    let listener = std::os::unix::net::UnixListener::bind_addr(&socket_addr(socket)?)?;
    listener.set_nonblocking(true)?;
    UnixListener::from_std(listener)
}
