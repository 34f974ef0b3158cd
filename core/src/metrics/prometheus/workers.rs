//! The worker processes of a pre-fork server behind one Prometheus port. The process that
//! holds the port is the hub; every other otelrs process of the same service that wants the
//! port (a forked child of the hub, or a worker that found the port taken) is a member: it
//! connects to the hub's Unix socket (in the abstract namespace, so no file is left behind)
//! and sends its collection when the hub asks. A scrape of the hub shows its own collection
//! and every member's, merged (see [`super::merge`]).
//!
//! The hub accepts members of the same user only (the socket's peer credentials) and of its
//! own service. A member that exits sends its last collection first, until a hub keeps it;
//! one that is killed leaves what it sent at the last scrape. Either way its counters and
//! histograms stay in the hub's totals. A member that does not answer within
//! OTELRS_PROMETHEUS_WORKER_TIMEOUT is shown with `otelrs_prometheus_worker_up` 0 and what it
//! last sent.
//!
//! A hub that exits passes its listening sockets (see [`super::handoff`]), with a replica of
//! what only it counts (the counters and histograms of the members gone, and its own), to the
//! first member that takes them: the port is never free, so no other process takes it in
//! between, and the totals do not go back. Every member also keeps the replica the hub sends
//! after each scrape and each member gone: when a hub is killed, the members race for the
//! port, and the first to bind it starts from its replica.
//!
//! The app's own HTTP server of any process of the group answers a scrape with the same view:
//! a member asks the hub for it on a connection of its own (SCRAPE, answered by MERGED).
//! Members send their collections as protobuf written straight from the SDK's data, and the
//! hub merges them from the bytes (see [`Merged::add_encoded`]).
//!
//! Frames on the socket: a 4-byte little-endian length, a kind byte, the payload.

use super::merge::Merged;
use crate::base::error::{Error, Result};
use crate::base::fork;
use crate::config::choices::GaugeMerge;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use parking_lot::Mutex;
use prost::Message;
use std::collections::{BTreeMap, HashMap};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
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
    /// Hub to member: what only the hub counts (an OTLP request), for the next hub.
    pub const REPLICA: u8 = 7;
    /// Hub to member: its last collection is kept (a hub that is leaving keeps none: the
    /// member sends it to the next one).
    pub const FINAL_TAKEN: u8 = 8;
    /// Hub to member, as the hub exits: be the next hub, starting from this replica.
    pub const SUCCEED: u8 = 9;
    /// Successor to hub, on a connection of its own: the service name; the hub answers with
    /// its listening sockets (SCM_RIGHTS, see [`super::handoff`]).
    pub const HEIR: u8 = 10;
    /// Member to hub: it will not succeed the hub (it is leaving).
    pub const DECLINE: u8 = 11;
    /// Member to hub, instead of HELLO: the service name of a process that is leaving and
    /// connects only to send its last collection.
    pub const HELLO_LEAVING: u8 = 12;
    /// A process of the group to the hub, on a connection of its own: whether exemplars are
    /// wanted (1 byte) and the service name; the hub answers with MERGED (or REFUSE).
    pub const SCRAPE: u8 = 13;
    /// Hub to the process that asked with SCRAPE: the collection a scrape shows now (an OTLP
    /// request), or REFUSE with why there is none.
    pub const MERGED: u8 = 14;
}

/// How long a hub that exits waits for one member to take its sockets over.
const SUCCESSION_TIMEOUT: Duration = Duration::from_millis(500);

/// How long a hub that exits among peers waits for a member to take its sockets (a server
/// replaces the workers that exit, and the replacements join the hub).
const SUCCESSION_WAIT: Duration = Duration::from_secs(3);

/// How long a member that exits waits for a hub to acknowledge its last collection before
/// it tries the next one.
const FINAL_TIMEOUT: Duration = Duration::from_millis(300);

/// The abstract Unix socket name of the endpoint at `host:port`; of the group of `service`'s
/// processes of this user named by `port` when the endpoint does not listen there.
pub(crate) fn socket_name(host: &str, port: u16, listens: bool, service: &str) -> String {
    if listens {
        return format!("otelrs-prometheus/{host}:{port}");
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let name = format!("otelrs-prometheus/{uid}/{port}/{service}");
    if name.len() <= MAX_SOCKET_NAME {
        return name;
    }
    // FNV-1a: the same in every build, unlike the standard library's hasher.
    let hash = service.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("otelrs-prometheus/{uid}/{port}/{hash:016x}")
}

/// The longest abstract socket name this uses (the kernel takes 107 bytes).
const MAX_SOCKET_NAME: usize = 100;

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

/// What the hub and its members share: how to collect this process, and how to merge.
pub(crate) struct Local {
    /// This process's collection as an OTLP request, with exemplars when asked.
    pub(crate) collect: Arc<dyn Fn(bool) -> Result<ExportMetricsServiceRequest> + Send + Sync>,
    /// The same, as the request's protobuf bytes (what a member sends).
    pub(crate) collect_encoded: Arc<dyn Fn(bool) -> Result<Vec<u8>> + Send + Sync>,
    pub(crate) service: String,
    pub(crate) rules: GaugeMerge,
    pub(crate) timeout: Duration,
    /// The last replica the hub sent (while a member), as it came: where this process starts
    /// when it becomes the hub (read only then).
    pub(crate) replica: Mutex<Vec<u8>>,
    /// Told when the hub keeps this process's last collection.
    pub(crate) final_taken: tokio::sync::Notify,
    /// Whether this process is leaving, or was chosen as the next hub (one excludes the other).
    pub(crate) role: Mutex<Role>,
    /// A request a scrape is done with: the next collection is written into its buffers.
    pub(crate) spare: Arc<Mutex<Option<ExportMetricsServiceRequest>>>,
}

/// What a member has agreed to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A member.
    #[default]
    Member,
    /// The next hub: it is taking the sockets over.
    Heir,
    /// Exiting: it sends its last collection and takes nothing over.
    Leaving,
}

impl Local {
    /// Gives back the request of a scrape that is done with it, for the next collection.
    pub(crate) fn recycle(&self, request: ExportMetricsServiceRequest) {
        *self.spare.lock() = Some(request);
    }

    /// Marks this process as leaving; false if it was already chosen as the next hub (it then
    /// leaves as a hub).
    pub(crate) fn begin_leaving(&self) -> bool {
        let mut role = self.role.lock();
        if *role == Role::Heir {
            return false;
        }
        *role = Role::Leaving;
        true
    }

    /// Whether this process is leaving.
    pub(crate) fn is_leaving(&self) -> bool {
        *self.role.lock() == Role::Leaving
    }

    /// Agrees to be the next hub, unless leaving.
    fn agree_to_succeed(&self) -> bool {
        let mut role = self.role.lock();
        if *role == Role::Leaving {
            return false;
        }
        *role = Role::Heir;
        true
    }
}

/// One member as the hub sees it.
struct Member {
    /// First, so that it is dropped (and the descriptor forgotten) before the socket closes.
    _closes: ChildCloses,
    pid: u32,
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
    /// Requests sent, by id, waiting for their snapshot.
    pending: Mutex<HashMap<u64, oneshot::Sender<Vec<u8>>>>,
    /// The last collection it sent, as it came (the protobuf bytes of a request): merged
    /// from the bytes (see [`Merged::add_encoded`]).
    last: Mutex<Option<Arc<Vec<u8>>>>,
    /// It is leaving (it sent its last collection, or said so): it cannot succeed the hub.
    leaving: std::sync::atomic::AtomicBool,
    /// Told when it declines to succeed the hub.
    declined: tokio::sync::Notify,
}

impl Member {
    /// Asks for its collection and waits at most `timeout`.
    async fn ask(&self, id: u64, exemplars: bool, timeout: Duration) -> Option<Arc<Vec<u8>>> {
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(id, tx);
        let mut payload = id.to_le_bytes().to_vec();
        payload.push(u8::from(exemplars));
        let asked = async {
            write_frame(&mut *self.writer.lock().await, kind::COLLECT, &payload)
                .await
                .ok()?;
            rx.await.ok().map(Arc::new)
        };
        let got = tokio::time::timeout(timeout, asked).await.ok().flatten();
        self.pending.lock().remove(&id);
        if let Some(r) = &got {
            *self.last.lock() = Some(Arc::clone(r));
        }
        got
    }

    async fn send(&self, kind: u8, payload: &[u8]) {
        let _ = write_frame(&mut *self.writer.lock().await, kind, payload).await;
    }
}

/// What the hub counts alone: the members gone, and its own collection of the last scrape.
#[derive(Default)]
struct Kept {
    retired: Merged,
    own: Option<Arc<ExportMetricsServiceRequest>>,
    /// The hub is offering its sockets (set under the members' lock): it keeps no more last
    /// collections, which would not be in what it offers.
    leaving: bool,
    /// The replica last sent to every member.
    sent: Vec<u8>,
}

impl Kept {
    /// The replica of what the hub counts alone.
    fn replica(&self, rules: &GaugeMerge) -> Vec<u8> {
        let mut all = self.retired.clone();
        if let Some(own) = &self.own {
            all.add(own, std::process::id(), rules, true);
        }
        all.into_request(None).encode_to_vec()
    }
}

/// The process that holds the port, and the members it merges.
pub(crate) struct Hub {
    local: Arc<Local>,
    /// Live members by connection number (in the order they came).
    members: Mutex<BTreeMap<u64, Arc<Member>>>,
    /// Taken after `members` when both are.
    kept: Mutex<Kept>,
    next: AtomicU64,
    /// Its listening sockets (the members' socket first), for a successor, each with the
    /// task accepting on it, stopped once a successor has them.
    sockets: Mutex<Vec<(RawFd, tokio::task::AbortHandle)>>,
    /// Told when a successor has the sockets.
    succeeded: tokio::sync::Notify,
    /// A member that is not a child of this process has joined: the hub is one worker among
    /// peers (a server that sets otelrs up in each worker), whose replacements will join.
    peers: std::sync::atomic::AtomicBool,
}

impl Hub {
    /// A hub of `local`; `among_peers` when it succeeds another (its workers are not its
    /// children, and their replacements will join it).
    pub(crate) fn new(local: Arc<Local>, among_peers: bool) -> Arc<Hub> {
        // A hub gone left this: its replica.
        let mut retired = Merged::default();
        let replica = std::mem::take(&mut *local.replica.lock());
        if let Ok(r) = ExportMetricsServiceRequest::decode(replica.as_slice()) {
            retired.add(&r, 0, &local.rules, true);
        }
        Arc::new(Hub {
            local,
            members: Mutex::new(BTreeMap::new()),
            kept: Mutex::new(Kept {
                retired,
                ..Kept::default()
            }),
            next: AtomicU64::new(1),
            sockets: Mutex::new(Vec::new()),
            succeeded: tokio::sync::Notify::new(),
            peers: std::sync::atomic::AtomicBool::new(among_peers),
        })
    }

    /// Adds a listening socket (the members' first) and the task accepting on it.
    pub(crate) fn add_socket(&self, fd: RawFd, task: tokio::task::AbortHandle) {
        self.sockets.lock().push((fd, task));
    }

    /// Gives the listening sockets to the successor on `stream` (which said HEIR).
    async fn pass_sockets(&self, stream: UnixStream) {
        let fds: Vec<RawFd> = self.sockets.lock().iter().map(|(fd, _)| *fd).collect();
        let passed = tokio::task::spawn_blocking(move || {
            let stream = stream.into_std()?;
            stream.set_nonblocking(false)?;
            super::handoff::send(&stream, &fds)
        })
        .await;
        if matches!(passed, Ok(Ok(()))) {
            self.succeeded.notify_one();
        }
    }

    /// The series it keeps of the workers gone.
    pub(crate) fn kept_series(&self) -> usize {
        self.kept.lock().retired.series()
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

    /// Sends every member the replica of what the hub counts alone, when it changed since
    /// it was last sent (a member that joins gets it at once).
    async fn send_replica(&self) {
        let members: Vec<Arc<Member>> = self.members.lock().values().cloned().collect();
        if members.is_empty() {
            return;
        }
        let replica = {
            let mut kept = self.kept.lock();
            let replica = kept.replica(&self.local.rules);
            if replica == kept.sent {
                return;
            }
            kept.sent.clone_from(&replica);
            replica
        };
        for m in members {
            m.send(kind::REPLICA, &replica).await;
        }
    }

    /// Greets one member and reads what it sends until it goes.
    async fn serve(self: Arc<Self>, stream: UnixStream) {
        let closes = ChildCloses::new(&stream);
        let cred = stream.peer_cred().ok();
        let (mut r, mut w) = stream.into_split();
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let hello = tokio::time::timeout(HELLO_TIMEOUT, read_frame(&mut r)).await;
        let leaving = matches!(&hello, Ok(Ok((kind::HELLO_LEAVING, _))));
        if let (Ok(Ok((kind::HEIR, service))), Some(cred)) = (&hello, cred) {
            if cred.uid() == uid && *service == *self.local.service.as_bytes() {
                drop(closes);
                if let Ok(stream) = r.reunite(w) {
                    self.pass_sockets(stream).await;
                }
            }
            return;
        }
        if let Ok(Ok((kind::SCRAPE, asked))) = &hello {
            let (answer, payload) = match (asked.split_first(), cred) {
                (Some((exemplars, service)), Some(cred))
                    if cred.uid() == uid && *service == *self.local.service.as_bytes() =>
                {
                    match self.collect(*exemplars != 0).await {
                        Ok(request) => (kind::MERGED, request.encode_to_vec()),
                        Err(e) => (kind::REFUSE, e.message().as_bytes().to_vec()),
                    }
                }
                _ => (
                    kind::REFUSE,
                    b"not a process of this service and user".to_vec(),
                ),
            };
            let _ = write_frame(&mut w, answer, &payload).await;
            drop(closes);
            return;
        }
        let refusal = match (hello, cred) {
            (Ok(Ok((kind::HELLO | kind::HELLO_LEAVING, service))), Some(cred))
                if cred.uid() == uid =>
            {
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
            leaving: std::sync::atomic::AtomicBool::new(leaving),
            declined: tokio::sync::Notify::new(),
        });
        if parent_of(pid).is_some_and(|parent| parent != std::process::id()) {
            self.peers.store(true, Ordering::Relaxed);
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.members.lock().insert(id, Arc::clone(&member));
        debug(format_args!("worker process {pid} joined"));
        let replica = self.kept.lock().replica(&self.local.rules);
        member.send(kind::REPLICA, &replica).await;
        while let Ok((kind, payload)) = read_frame(&mut r).await {
            match kind {
                kind::SNAPSHOT if payload.len() >= 8 => {
                    let mut request_id = [0u8; 8];
                    request_id.copy_from_slice(&payload[..8]);
                    let waiting = member
                        .pending
                        .lock()
                        .remove(&u64::from_le_bytes(request_id));
                    if let Some(tx) = waiting {
                        let mut body = payload;
                        body.drain(..8);
                        let _ = tx.send(body);
                    }
                }
                kind::DECLINE => member.declined.notify_one(),
                kind::FINAL => {
                    member.leaving.store(true, Ordering::Relaxed);
                    let Ok(request) = ExportMetricsServiceRequest::decode(payload.as_slice())
                    else {
                        continue;
                    };
                    // Kept at once, in one step with the member's leaving, unless the hub is
                    // leaving too (the member then sends it to the next hub).
                    let kept = {
                        let mut members = self.members.lock();
                        let mut kept = self.kept.lock();
                        if kept.leaving {
                            false
                        } else {
                            members.remove(&id);
                            kept.retired
                                .add(&request, member.pid, &self.local.rules, true);
                            true
                        }
                    };
                    if kept {
                        debug(format_args!(
                            "worker process {} is leaving; its counts are kept",
                            member.pid
                        ));
                        member.send(kind::FINAL_TAKEN, &[]).await;
                        self.send_replica().await;
                    }
                }
                _ => {}
            }
        }
        // Gone without a last collection kept (killed, say): what it sent at the last scrape
        // stays in the totals.
        let last = {
            let mut members = self.members.lock();
            if members.remove(&id).is_none() {
                return; // it left properly: its last collection is kept
            }
            // Left in the member too: a scrape that began before it was gone counts it from
            // there (and not from the totals of the members gone, which it copied before).
            let last = member.last.lock().clone();
            if let Some(last) = &last {
                self.kept
                    .lock()
                    .retired
                    .add_encoded(last, member.pid, &self.local.rules, true);
            }
            last
        };
        debug(format_args!(
            "worker process {} is gone{}",
            member.pid,
            if last.is_some() {
                "; its counts of the last scrape are kept"
            } else {
                " before a scrape"
            }
        ));
        if last.is_some() {
            self.send_replica().await;
        }
    }

    /// Whether a scrape must merge: there are or were members.
    fn merging(&self) -> bool {
        !self.members.lock().is_empty() || self.kept.lock().retired.series() > 0
    }

    /// Gives back the request of a scrape that is done with it (see [`Local::recycle`]).
    pub(crate) fn recycle(&self, request: ExportMetricsServiceRequest) {
        self.local.recycle(request);
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
        // The members and the totals of those gone, as one: a member that goes during the
        // scrape is counted as a member (what it sends, else what it last sent), not twice.
        let (members, mut merged) = {
            let members = self.members.lock();
            let kept = self.kept.lock();
            let live: Vec<Arc<Member>> = members.values().cloned().collect();
            (live, kept.retired.clone())
        };
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
        let own = Arc::new(own.await.map_err(|e| Error::internal(e.to_string()))??);
        let rules = &self.local.rules;
        self.kept.lock().own = Some(Arc::clone(&own));
        let me = std::process::id();
        merged.add(&own, me, rules, false);
        let mut up = vec![(me, true)];
        while let Some(Ok((pid, got, last))) = asks.join_next().await {
            up.push((pid, got.is_some()));
            match (got, last) {
                // A collection that is not one is left out, as much as it is not one.
                (Some(r), _) => {
                    let _ = merged.add_encoded(&r, pid, rules, false);
                }
                (None, Some(last)) => {
                    let _ = merged.add_encoded(&last, pid, rules, true);
                }
                (None, None) => {}
            }
        }
        merged.add(&worker_up(&up), me, &GaugeMerge::default(), false);
        let resource = own
            .resource_metrics
            .first()
            .and_then(|r| r.resource.clone());
        // The members' replicas follow, off the scrape's path.
        let hub = Arc::clone(self);
        tokio::spawn(async move { hub.send_replica().await });
        Ok(merged.into_request(resource.as_ref()))
    }

    /// As the hub exits: passes its sockets, with the replica of what it counts alone, to
    /// the first member that takes them (the port is never free, so no other process can take
    /// it in between). Among peers it waits up to [`SUCCESSION_WAIT`] for one (a server
    /// replaces the workers that exit, and the replacements join this hub), keeping the last
    /// collections of the members that leave meanwhile. When nobody takes the sockets, the
    /// members get the last replica and race for the port.
    pub(crate) async fn leave(&self) {
        if !self.merging() {
            return; // a process on its own
        }
        let local = Arc::clone(&self.local);
        if let Ok(Ok(own)) = tokio::task::spawn_blocking(move || (local.collect)(false)).await {
            self.kept.lock().own = Some(Arc::new(own));
        }
        let deadline = tokio::time::Instant::now() + SUCCESSION_WAIT;
        let mut tried = std::collections::HashSet::new();
        while tokio::time::Instant::now() < deadline {
            // The replica and the end of keeping last collections, in one step.
            let offer = {
                let members = self.members.lock();
                let heir = members
                    .iter()
                    .find(|(id, m)| {
                        !tried.contains(*id)
                            && !m.leaving.load(Ordering::Relaxed)
                            && process_exists(m.pid)
                    })
                    .map(|(id, m)| (*id, Arc::clone(m)));
                heir.map(|heir| {
                    let mut kept = self.kept.lock();
                    kept.leaving = true;
                    (heir, kept.replica(&self.local.rules))
                })
            };
            let Some(((id, heir), replica)) = offer else {
                if !self.peers.load(Ordering::Relaxed) {
                    break; // the parent of its workers, which exit with it
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            tried.insert(id);
            let succeeded = self.succeeded.notified();
            tokio::pin!(succeeded);
            succeeded.as_mut().enable();
            let declined = heir.declined.notified();
            tokio::pin!(declined);
            declined.as_mut().enable();
            heir.send(kind::SUCCEED, &replica).await;
            let answer = tokio::time::timeout(SUCCESSION_TIMEOUT, async {
                tokio::select! {
                    () = &mut succeeded => true,
                    () = &mut declined => false,
                }
            });
            if answer.await.unwrap_or(false) {
                for (_, task) in self.sockets.lock().drain(..) {
                    task.abort();
                }
                debug(format_args!(
                    "leaving; worker process {} serves the port from now on",
                    heir.pid
                ));
                return;
            }
            // Not taken: last collections are kept again, until the next offer.
            self.kept.lock().leaving = false;
        }
        self.kept.lock().leaving = true;
        if self.members.lock().is_empty() {
            // The server is stopping (or every worker left at once): what it counted ends here.
            debug(format_args!(
                "leaving with no worker process to take the port over: the counts of the \
                 workers gone and of this one end here"
            ));
        }
        // The members race for the port, with the last replica.
        self.send_replica().await;
        debug(format_args!(
            "leaving; the workers have this process's counts"
        ));
    }
}

/// The /proc stat of the process `pid`.
fn stat(pid: u32) -> Option<procfs::process::Stat> {
    let pid = i32::try_from(pid).ok()?;
    procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .ok()
}

/// Whether the process `pid` runs (an exited process not yet reaped does not).
fn process_exists(pid: u32) -> bool {
    stat(pid).is_some_and(|s| s.state != 'Z' && s.state != 'X')
}

fn parent_of(pid: u32) -> Option<u32> {
    stat(pid).and_then(|s| u32::try_from(s.ppid).ok())
}

/// Reports a step of the workers' protocol at debug level.
pub(crate) fn debug(message: std::fmt::Arguments<'_>) {
    crate::base::diag::report(
        crate::base::diag::Level::Debug,
        format_args!("prometheus: {message}"),
    );
}

/// `otelrs.prometheus.worker.up`: 1 for each process that answered the scrape, 0 for the
/// stragglers.
fn worker_up(up: &[(u32, bool)]) -> ExportMetricsServiceRequest {
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
    use opentelemetry_proto::tonic::metrics::v1 as proto;
    let points = up
        .iter()
        .map(|(pid, ok)| proto::NumberDataPoint {
            attributes: vec![super::merge::pid_attribute(*pid)],
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
        Self::open_as(socket, service, kind::HELLO).await
    }

    /// As [`Self::open`], saying hello as `hello` (HELLO, or HELLO_LEAVING).
    async fn open_as(socket: &str, service: &str, hello: u8) -> std::io::Result<Connection> {
        let (mut r, mut w) = connect(socket)?.into_split();
        write_frame(&mut w, hello, service.as_bytes()).await?;
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
    /// collection this process sends as it exits. Gives the hub's listening sockets when
    /// this process is chosen to succeed it.
    pub(crate) async fn serve(
        self,
        local: Arc<Local>,
        socket: String,
        finale: Arc<tokio::sync::Mutex<Option<OwnedWriteHalf>>>,
    ) -> Option<Vec<OwnedFd>> {
        let mut succession = None;
        // Declared first, dropped last: forgotten before the socket closes.
        let closes = ChildCloses::new(&self.stream);
        let (mut r, w) = self.stream.into_split();
        *finale.lock().await = Some(w);
        while let Ok((kind, payload)) = read_frame(&mut r).await {
            match kind {
                kind::COLLECT if payload.len() >= 9 => {
                    let exemplars = payload[8] != 0;
                    let collecting = Arc::clone(&local);
                    let collected = tokio::task::spawn_blocking(move || {
                        (collecting.collect_encoded)(exemplars)
                    })
                    .await;
                    let Ok(Ok(request)) = collected else { continue };
                    let mut out = payload[..8].to_vec();
                    out.extend(request);
                    if let Some(w) = finale.lock().await.as_mut() {
                        if write_frame(w, kind::SNAPSHOT, &out).await.is_err() {
                            break;
                        }
                    }
                }
                kind::REPLICA => *local.replica.lock() = payload,
                kind::FINAL_TAKEN => local.final_taken.notify_one(),
                kind::SUCCEED if !local.agree_to_succeed() => {
                    if let Some(w) = finale.lock().await.as_mut() {
                        let _ = write_frame(w, kind::DECLINE, &[]).await;
                    }
                }
                kind::SUCCEED => {
                    *local.replica.lock() = payload;
                    let (socket, service) = (socket.clone(), local.service.clone());
                    let fds =
                        tokio::task::spawn_blocking(move || take_sockets(&socket, &service)).await;
                    match fds {
                        Ok(Ok(fds)) => {
                            succession = Some(fds);
                            break;
                        }
                        _ => *local.role.lock() = Role::Member,
                    }
                }
                _ => {}
            }
        }
        drop(r);
        drop(closes);
        *finale.lock().await = None;
        succession
    }
}

/// Sends this process's last collection to its hub, as it exits, until a hub keeps it:
/// through its connection, or, when its hub is leaving or gone, to the process that serves the
/// port next (within the caller's deadline).
pub(crate) async fn send_final(
    local: &Arc<Local>,
    socket: &str,
    finale: &tokio::sync::Mutex<Option<OwnedWriteHalf>>,
) {
    let collecting = Arc::clone(local);
    let Ok(Ok(bytes)) =
        tokio::task::spawn_blocking(move || (collecting.collect_encoded)(false)).await
    else {
        return;
    };
    let taken = local.final_taken.notified();
    tokio::pin!(taken);
    taken.as_mut().enable();
    if let Some(w) = finale.lock().await.as_mut() {
        if write_frame(w, kind::FINAL, &bytes).await.is_ok()
            && tokio::time::timeout(FINAL_TIMEOUT, taken).await.is_ok()
        {
            return;
        }
    }
    loop {
        let connection = Connection::open_as(socket, &local.service, kind::HELLO_LEAVING).await;
        if let Ok(connection) = connection {
            let (mut r, mut w) = connection.stream.into_split();
            if write_frame(&mut w, kind::FINAL, &bytes).await.is_ok() {
                let acknowledged = async {
                    // Other frames (a replica, a collection asked for) may come first.
                    while let Ok((kind, _)) = read_frame(&mut r).await {
                        if kind == kind::FINAL_TAKEN {
                            return true;
                        }
                    }
                    false
                };
                if tokio::time::timeout(FINAL_TIMEOUT, acknowledged)
                    .await
                    .unwrap_or(false)
                {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn connect(socket: &str) -> std::io::Result<UnixStream> {
    let stream = std::os::unix::net::UnixStream::connect_addr(&socket_addr(socket)?)?;
    stream.set_nonblocking(true)?;
    UnixStream::from_std(stream)
}

/// Asks the hub on `socket`, as a process of `service`, for the collection a scrape shows
/// now (every worker's, merged), on a connection of its own; waits at most `timeout`.
pub(crate) async fn ask_hub(
    socket: &str,
    service: &str,
    exemplars: bool,
    timeout: Duration,
) -> std::io::Result<ExportMetricsServiceRequest> {
    let stream = connect(socket)?;
    let _closes = ChildCloses::new(&stream);
    let (mut r, mut w) = stream.into_split();
    let mut asked = vec![u8::from(exemplars)];
    asked.extend_from_slice(service.as_bytes());
    write_frame(&mut w, kind::SCRAPE, &asked).await?;
    let answer = tokio::time::timeout(timeout, read_frame(&mut r))
        .await
        .map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "the process that merges the workers did not answer within {} ms",
                    timeout.as_millis()
                ),
            )
        })??;
    match answer {
        (kind::MERGED, body) => {
            ExportMetricsServiceRequest::decode(body.as_slice()).map_err(std::io::Error::other)
        }
        (kind::REFUSE, why) => Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            String::from_utf8_lossy(&why).into_owned(),
        )),
        _ => Err(std::io::Error::other("unexpected answer from the hub")),
    }
}

/// Asks the hub on `socket` for its listening sockets, on a connection of its own.
fn take_sockets(socket: &str, service: &str) -> std::io::Result<Vec<OwnedFd>> {
    use std::io::Write;
    let mut stream = std::os::unix::net::UnixStream::connect_addr(&socket_addr(socket)?)?;
    stream.set_read_timeout(Some(SUCCESSION_TIMEOUT))?;
    let len = u32::try_from(service.len() + 1).map_err(|_| std::io::Error::other("too long"))?;
    let mut frame = len.to_le_bytes().to_vec();
    frame.push(kind::HEIR);
    frame.extend_from_slice(service.as_bytes());
    stream.write_all(&frame)?;
    let fds = super::handoff::receive(&stream)?;
    if fds.is_empty() {
        return Err(std::io::Error::other("no sockets"));
    }
    Ok(fds)
}

/// Binds the hub's socket.
pub(crate) fn listen(socket: &str) -> std::io::Result<std::os::unix::net::UnixListener> {
    std::os::unix::net::UnixListener::bind_addr(&socket_addr(socket)?)
}
