//! The log pipeline: a bounded queue that emitters push to without ever blocking (a full
//! queue drops and counts), and the `otelrs-logs` thread that drains it in batches every
//! OTEL_BLRP_SCHEDULE_DELAY (or as soon as a batch is full) and hands each batch to every
//! exporter. otelrs owns both, so a forked child can build them anew.

use super::encoding::recycle;
use super::otlp_records::{Batch, RequestBuilder};
use super::sinks::{self, LogSink};
use super::QueuedRecord;
use crate::base::clock::now_unix_nanos;
use crate::base::error::{Error, ErrorKind, Result};
use crate::base::sync::{Condvar, ForkMutex};
use crate::config::{Exporter, LogSettings, Sampling};
use crate::export::delivery::Delivery;
use crate::export::health::{stuck_after, ExporterHealth, QueueState, Signal};
use opentelemetry_sdk::Resource;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

enum Request {
    Flush(SyncSender<Result<()>>),
    Shutdown(SyncSender<Result<()>>),
}

#[derive(Default)]
struct Queue {
    records: VecDeque<QueuedRecord>,
    requests: Vec<Request>,
    /// The export thread waits for the first record, with nothing to export and no timer.
    idle: bool,
    /// Shutdown was asked for: records pushed from now on would not be exported.
    closed: bool,
}

/// What emitters and the export thread share.
pub(crate) struct LogPipeline {
    queue: ForkMutex<Queue>,
    wake: Condvar,
    max_queue: usize,
    max_batch: usize,
    /// The queue length at which the export thread is woken: an eighth of the queue (at most
    /// a batch), so that it empties the queue long before it fills.
    wake_at: usize,
    min_severity: u8,
    sampling: Sampling,
    /// Records dropped: by the full queue, and by an on-disk queue at its cap.
    dropped: Arc<AtomicU64>,
    /// When a record was last dropped, in nanoseconds since the epoch (0: never).
    last_drop: AtomicU64,
    /// Records handed to the exporters.
    processed: AtomicU64,
    /// The exporters' health records.
    health: Vec<Arc<ExporterHealth>>,
    /// The handle of the gRPC exporter's runtime, for its metrics.
    runtime: Option<tokio::runtime::Handle>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl LogPipeline {
    /// Builds the exporters of `settings` and starts the export thread; `None` when no log
    /// exporter is configured.
    pub(crate) fn start(
        settings: &LogSettings,
        resource: &Resource,
    ) -> Result<Option<Arc<LogPipeline>>> {
        if settings.exporters.is_empty() && settings.custom.is_empty() {
            return Ok(None);
        }
        let runtime = crate::export::runtime::for_exporters(
            &settings.exporters,
            &settings.otlp,
            "otelrs-logs-rt",
        )?;
        let dropped = Arc::new(AtomicU64::new(0));
        let mut exporters: Vec<(Box<dyn LogSink>, Arc<ExporterHealth>)> = Vec::new();
        for exporter in &settings.exporters {
            let health = Arc::new(ExporterHealth::new(
                Signal::Logs,
                *exporter,
                settings.otlp.protocol,
                exporters.len(),
                stuck_after(settings.export_timeout),
            ));
            let sink: Box<dyn LogSink> = match exporter {
                Exporter::Otlp => Box::new(sinks::OtlpLogSink::new(
                    &settings.otlp,
                    runtime.as_ref(),
                    settings.export_timeout,
                    &health,
                    &dropped,
                )?),
                Exporter::Console if settings.console_json => {
                    Box::new(super::console_json::JsonConsoleLogSink::default())
                }
                Exporter::Console => Box::new(sinks::ConsoleLogSink),
                Exporter::File => Box::new(sinks::FileLogSink::open(settings)?),
                Exporter::Discard => Box::new(sinks::DiscardLogSink),
                Exporter::Loki => Box::new(super::loki::LokiSink::new(
                    &settings.loki,
                    settings.export_timeout,
                )?),
                Exporter::Clickhouse => Box::new(super::clickhouse::ClickhouseLogSink::new(
                    &settings.clickhouse,
                    settings.export_timeout,
                )?),
                Exporter::Elasticsearch => Box::new(super::elasticsearch::ElasticsearchSink::new(
                    &settings.elasticsearch,
                    settings.export_timeout,
                )?),
                // Refused for logs when the settings are read.
                Exporter::Memory | Exporter::Prometheus => continue,
            };
            exporters.push((sink, health));
        }
        for custom in &settings.custom {
            let health = Arc::new(ExporterHealth::custom(
                Signal::Logs,
                &custom.name,
                exporters.len(),
                stuck_after(settings.export_timeout),
            ));
            let sink = sinks::CustomLogSink::new(custom, settings.export_timeout);
            exporters.push((Box::new(sink), health));
        }
        let health: Vec<Arc<ExporterHealth>> =
            exporters.iter().map(|(_, h)| Arc::clone(h)).collect();
        let shared = Arc::new(LogPipeline {
            queue: ForkMutex::new(Queue::default()),
            wake: Condvar::new(),
            max_queue: settings.max_queue,
            max_batch: settings.max_batch,
            wake_at: (settings.max_queue / 8).clamp(1, settings.max_batch),
            min_severity: settings.min_severity,
            sampling: settings.sampling,
            dropped,
            last_drop: AtomicU64::new(0),
            processed: AtomicU64::new(0),
            health: health.clone(),
            runtime: runtime.as_ref().map(|r| r.handle().clone()),
            thread: Mutex::new(None),
        });
        let worker = Worker {
            requests: RequestBuilder::new(
                resource,
                settings.attribute_count_limit,
                settings.attribute_value_length_limit,
            ),
            exporters: exporters
                .into_iter()
                .map(|(sink, health)| {
                    let delivery = if sink.queued() {
                        Delivery::queued(health)
                    } else {
                        Delivery::new(health)
                    };
                    (sink, delivery)
                })
                .collect(),
            schedule_delay: settings.schedule_delay,
            batch: Vec::new(),
            _runtime: runtime,
        };
        let for_worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("otelrs-logs".to_owned())
            .spawn(move || worker.run(&for_worker))
            .map_err(|e| Error::internal(format!("cannot start the log export thread: {e}")))?;
        *shared.thread.lock() = Some(thread);
        Ok(Some(shared))
    }

    /// Whether a record of `severity` passes the filters.
    #[inline]
    pub(crate) fn accepts(&self, severity: u8) -> bool {
        severity >= self.min_severity || severity == super::UNSPECIFIED
    }

    /// The sampling rules.
    #[inline]
    pub(crate) fn sampling(&self) -> &Sampling {
        &self.sampling
    }

    /// Queues `record`, or drops and counts it when the queue is full. Never blocks on I/O.
    /// Gives the record back when shutdown was asked for: the export thread has taken, or
    /// is taking, its last batch.
    pub(crate) fn push(&self, record: QueuedRecord) -> std::result::Result<(), QueuedRecord> {
        let mut queue = self.queue.lock();
        if queue.closed {
            return Err(record);
        }
        if queue.records.len() >= self.max_queue {
            drop(queue);
            self.count_drop();
            return Ok(());
        }
        queue.records.push_back(record);
        if queue.records.len() == self.wake_at || queue.idle {
            queue.idle = false;
            self.wake.notify_one();
        }
        Ok(())
    }

    #[cold]
    fn count_drop(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        self.last_drop.store(now_unix_nanos(), Ordering::Relaxed);
    }

    /// Whether the export thread has ended (it ends only at shutdown).
    pub(crate) fn thread_stopped(&self) -> bool {
        self.thread
            .lock()
            .as_ref()
            .is_some_and(JoinHandle::is_finished)
    }

    /// Records dropped because the queue was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Records handed to the exporters so far.
    pub(crate) fn processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }

    /// The queue now: its length, capacity and drops.
    pub(crate) fn queue_state(&self) -> QueueState {
        let last = self.last_drop.load(Ordering::Relaxed);
        QueueState {
            size: self.queue.lock().records.len(),
            capacity: self.max_queue,
            dropped: self.dropped(),
            last_drop: (last > 0).then(|| std::time::UNIX_EPOCH + Duration::from_nanos(last)),
        }
    }

    /// The exporters' health records.
    pub(crate) fn health(&self) -> &[Arc<ExporterHealth>] {
        &self.health
    }

    /// The gRPC exporter's runtime, if there is one.
    pub(crate) fn runtime(&self) -> Option<&tokio::runtime::Handle> {
        self.runtime.as_ref()
    }

    fn request(
        &self,
        make: fn(SyncSender<Result<()>>) -> Request,
        timeout: Duration,
    ) -> Result<()> {
        let (tx, rx) = mpsc::sync_channel(1);
        {
            let mut queue = self.queue.lock();
            let request = make(tx);
            // Every record queued before the shutdown request goes out with the last batch;
            // none is taken after it.
            queue.closed |= matches!(request, Request::Shutdown(_));
            queue.requests.push(request);
        }
        self.wake.notify_one();
        match rx.recv_timeout(timeout) {
            Ok(outcome) => outcome,
            Err(RecvTimeoutError::Timeout) => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "exporting log records did not finish within {} ms",
                    timeout.as_millis()
                ),
            )),
            Err(RecvTimeoutError::Disconnected) => {
                Err(Error::internal("the log export thread has stopped"))
            }
        }
    }

    /// Exports every queued record now, waiting at most `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> Result<()> {
        self.request(Request::Flush, timeout)
    }

    /// Exports every queued record and stops the export thread, within `timeout`.
    pub(crate) fn shutdown(&self, timeout: Duration) -> Result<()> {
        let outcome = self.request(Request::Shutdown, timeout);
        if outcome.as_ref().err().map(Error::kind) != Some(ErrorKind::Timeout) {
            if let Some(thread) = self.thread.lock().take() {
                let _ = thread.join();
            }
        }
        outcome
    }

    pub(crate) fn lock_for_fork(&self) {
        std::mem::forget(self.queue.lock());
    }

    pub(crate) fn unlock_after_fork(&self) {
        // SAFETY: `lock_for_fork` locked the queue in this thread and forgot the guard.
        unsafe { self.queue.force_unlock() }
    }
}

struct Worker {
    requests: RequestBuilder,
    /// Each exporter, and how its deliveries went.
    exporters: Vec<(Box<dyn LogSink>, Delivery)>,
    schedule_delay: Duration,
    /// The records of the batch being exported (their packed buffers then go back to the
    /// emitting threads).
    batch: Vec<QueuedRecord>,
    /// Kept here so that it is dropped on this thread, after the last export used it.
    _runtime: Option<tokio::runtime::Runtime>,
}

impl Worker {
    /// Exports `records` to every exporter; the first failure is returned.
    fn export(
        &mut self,
        shared: &LogPipeline,
        records: impl ExactSizeIterator<Item = QueuedRecord>,
    ) -> Result<()> {
        let count = records.len() as u64;
        self.batch.extend(records);
        if self.batch.is_empty() {
            return Ok(());
        }
        self.requests.count_dropped(&self.batch);
        shared.processed.fetch_add(count, Ordering::Relaxed);
        let batch = Batch::new(&self.batch, &self.requests);
        let mut first_error = None;
        for (sink, delivery) in &mut self.exporters {
            let outcome = delivery.run(count, || sink.export(&batch));
            delivery.set_retries(sink.retries());
            if let Err(e) = outcome {
                first_error.get_or_insert(e);
            }
        }
        drop(batch);
        recycle(self.batch.drain(..).map(|q| q.packed));
        first_error.map_or(Ok(()), Err)
    }

    fn run(mut self, shared: &LogPipeline) {
        // Records taken off the shared queue, waiting to fill a batch.
        let mut pending: VecDeque<QueuedRecord> = VecDeque::with_capacity(shared.max_batch);
        let mut deadline = Instant::now() + self.schedule_delay;
        loop {
            let requests = {
                let mut queue = shared.queue.lock();
                if pending.is_empty() && queue.records.is_empty() && queue.requests.is_empty() {
                    // Nothing to export: sleep until a record or a request comes, rather than
                    // waking every schedule delay (a delay of 0 would spin). The first record's
                    // schedule delay starts when it arrives.
                    queue.idle = true;
                    while queue.records.is_empty() && queue.requests.is_empty() {
                        shared.wake.wait(&mut queue);
                    }
                    queue.idle = false;
                    deadline = Instant::now() + self.schedule_delay;
                }
                while queue.records.len() < shared.wake_at && queue.requests.is_empty() {
                    if shared.wake.wait_until(&mut queue, deadline).timed_out() {
                        break;
                    }
                }
                // Taken early and often: the queue frees up long before it could fill while
                // this thread waits to be scheduled.
                if pending.is_empty() {
                    std::mem::swap(&mut pending, &mut queue.records);
                } else {
                    pending.extend(queue.records.drain(..));
                }
                std::mem::take(&mut queue.requests)
            };
            let due = !requests.is_empty() || Instant::now() >= deadline;
            let mut outcome = Ok(());
            while pending.len() >= shared.max_batch || (due && !pending.is_empty()) {
                let n = pending.len().min(shared.max_batch);
                if let Err(e) = self.export(shared, pending.drain(..n)) {
                    outcome = outcome.and(Err(e));
                }
            }
            if due {
                deadline = Instant::now() + self.schedule_delay;
            }
            let stopping = requests.iter().any(|r| matches!(r, Request::Shutdown(_)));
            if stopping {
                for (sink, _) in &mut self.exporters {
                    if let Err(e) = sink.shutdown() {
                        outcome = outcome.and(Err(e));
                    }
                }
            }
            for request in requests {
                let (Request::Flush(reply) | Request::Shutdown(reply)) = request;
                let _ = reply.send(outcome.clone());
            }
            if stopping {
                return;
            }
        }
    }
}
