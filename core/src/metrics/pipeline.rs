//! One SDK's metrics pipeline: the MeterProvider, one ManualReader per exporter, and the
//! collection thread otelrs owns, which collects each reader every export interval and
//! hands the result to its exporter. Because otelrs drives collection from its own thread,
//! a forked child can build a new pipeline and restart it.

use super::exemplars::Exemplars;
use super::export::{ConsoleSink, CustomSink, FileSink, Sink};
use super::otlp::OtlpSink;
use super::otlp_forms;
use super::prometheus::{Endpoint, Exposer, Local};
use super::views::Views;
use crate::base::error::{Error, ErrorKind, Result};
use crate::config::{Exporter, Settings};
use crate::export::delivery::Delivery;
use crate::export::health::{stuck_after, ExporterHealth, Signal};
use opentelemetry::metrics::{Meter, MeterProvider};
use opentelemetry::InstrumentationScope;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{
    InstrumentKind, ManualReader, Pipeline as SdkPipeline, SdkMeterProvider, Temporality,
};
use opentelemetry_sdk::Resource;
use parking_lot::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A ManualReader that otelrs keeps a handle to after giving it to the provider.
#[derive(Debug, Clone)]
pub(crate) struct SharedReader(Arc<ManualReader>);

impl SharedReader {
    pub(crate) fn new(temporality: Temporality) -> Self {
        SharedReader(Arc::new(
            ManualReader::builder()
                .with_temporality(temporality)
                .build(),
        ))
    }
}

impl MetricReader for SharedReader {
    fn register_pipeline(&self, pipeline: Weak<SdkPipeline>) {
        self.0.register_pipeline(pipeline)
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

/// A request to the collection thread, with the time its caller stops waiting.
pub(crate) enum Command {
    Flush(SyncSender<Result<()>>, Instant),
    Shutdown(SyncSender<Result<()>>),
}

struct Export {
    reader: SharedReader,
    sink: Box<dyn Sink>,
    delivery: Delivery,
}

/// What the collection thread owns.
struct Worker {
    exports: Vec<Export>,
    interval: Duration,
    /// Kept here so that it is dropped on this thread, after the last export used it.
    _runtime: Option<tokio::runtime::Runtime>,
}

impl Worker {
    /// Collects every reader and exports; the first failure is returned, the others logged.
    fn export_all(&mut self) -> Result<()> {
        let mut first_error = None;
        for e in &mut self.exports {
            let (reader, sink) = (&e.reader, &mut e.sink);
            let mut rm = ResourceMetrics::default();
            let outcome = match reader.collect(&mut rm) {
                Err(err) => e.delivery.run(0, || {
                    Err(Error::internal(format!("collecting metrics failed: {err}")))
                }),
                Ok(()) if rm.scope_metrics().next().is_none() => Ok(()),
                Ok(()) => e.delivery.run(super::data_points(&rm), || sink.export(&rm)),
            };
            e.delivery.set_retries(sink.retries());
            if let Err(err) = outcome {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Answers the flushes `first` and those queued behind it with one export; a flush
    /// whose caller stopped waiting (it timed out) exports nothing, so that flushes that
    /// timed out during an outage do not go out back to back after it. Gives back a
    /// shutdown found in the queue.
    fn flush(
        &mut self,
        first: (SyncSender<Result<()>>, Instant),
        commands: &mpsc::Receiver<Command>,
    ) -> Option<SyncSender<Result<()>>> {
        let mut waiting = vec![first];
        let mut shutdown = None;
        while let Ok(command) = commands.try_recv() {
            match command {
                Command::Flush(reply, deadline) => waiting.push((reply, deadline)),
                Command::Shutdown(reply) => {
                    shutdown = Some(reply);
                    break;
                }
            }
        }
        let now = Instant::now();
        waiting.retain(|(_, deadline)| *deadline > now);
        if !waiting.is_empty() {
            let outcome = self.export_all();
            for (reply, _) in waiting {
                let _ = reply.send(outcome.clone());
            }
        }
        shutdown
    }

    fn run(mut self, commands: mpsc::Receiver<Command>) {
        let mut next = Instant::now() + self.interval;
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            let reply = match commands.recv_timeout(wait) {
                Ok(Command::Flush(reply, deadline)) => {
                    match self.flush((reply, deadline), &commands) {
                        Some(shutdown) => shutdown,
                        None => continue,
                    }
                }
                Ok(Command::Shutdown(reply)) => reply,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.export_all();
                    next = (next + self.interval).max(Instant::now());
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            // Shutdown: the last export, then each exporter lets go of what it holds.
            let mut outcome = self.export_all();
            for e in &mut self.exports {
                if let Err(err) = e.sink.shutdown() {
                    outcome = outcome.and(Err(err));
                }
            }
            let _ = reply.send(outcome);
            return;
        }
    }
}

/// Sends a command made by `make` and waits at most `timeout` for its reply.
fn request(
    tx: &Sender<Command>,
    make: impl FnOnce(SyncSender<Result<()>>) -> Command,
    timeout: Duration,
) -> Result<()> {
    let (reply_tx, reply_rx) = mpsc::sync_channel(1);
    tx.send(make(reply_tx))
        .map_err(|_| Error::internal("the metrics collection thread has stopped"))?;
    match reply_rx.recv_timeout(timeout) {
        Ok(outcome) => outcome,
        Err(RecvTimeoutError::Timeout) => Err(Error::new(
            ErrorKind::Timeout,
            format!("exporting did not finish within {} ms", timeout.as_millis()),
        )),
        Err(RecvTimeoutError::Disconnected) => Err(Error::internal(
            "the metrics collection thread stopped before answering",
        )),
    }
}

/// Whether a pipeline is built for the process that configured otelrs, or for a forked child
/// of it (which joins its parent's Prometheus endpoint as a worker).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Process,
    ForkedChild,
}

/// A running metrics pipeline.
pub(crate) struct Pipeline {
    provider: SdkMeterProvider,
    /// The memory reader, and the exemplars its JSON shows.
    memory: Option<(SharedReader, Arc<Exemplars>)>,
    /// A reader collected on demand for summaries: the memory exporter's, else Prometheus's.
    on_demand: Option<SharedReader>,
    prometheus: Option<Endpoint>,
    /// The push exporters' health records.
    health: Vec<Arc<ExporterHealth>>,
    /// The handle of the gRPC exporter's runtime, for its metrics.
    runtime: Option<tokio::runtime::Handle>,
    commands: Option<Sender<Command>>,
    thread: Option<JoinHandle<()>>,
    /// Every reader, for the temporality each gives a kind of instrument.
    readers: Vec<SharedReader>,
}

impl Pipeline {
    /// Builds the provider, readers and exporters of `settings`, and starts collecting.
    pub(crate) fn build(
        settings: &Settings,
        resource: Resource,
        exemplars: &Arc<Exemplars>,
        origin: Origin,
    ) -> Result<Pipeline> {
        let runtime = crate::export::runtime::for_exporters(
            &settings.metrics_exporters,
            &settings.otlp,
            "otelrs-rt",
        )?;
        let service = resource
            .get(&opentelemetry::Key::from_static_str("service.name"))
            .map(|v| v.to_string())
            .unwrap_or_default();
        let mut builder = SdkMeterProvider::builder().with_resource(resource);
        let views = Views::new(
            settings.views.clone(),
            settings.cardinality_limit,
            settings.exponential_histograms,
        );
        for view in views.functions() {
            builder = builder.with_view(view);
        }
        let mut exports = Vec::new();
        // The push exporters: their temporality, sink and health record.
        let mut push: Vec<(Temporality, Box<dyn Sink>, Arc<ExporterHealth>)> = Vec::new();
        let mut health = Vec::new();
        let mut memory = None;
        let mut prometheus = None;
        for exporter in &settings.metrics_exporters {
            let record = Arc::new(ExporterHealth::new(
                Signal::Metrics,
                *exporter,
                settings.otlp.protocol,
                push.len(),
                stuck_after(settings.export_timeout),
            ));
            let (temporality, sink): (Temporality, Box<dyn Sink>) = match exporter {
                Exporter::Otlp => (
                    settings.otlp_temporality,
                    Box::new(OtlpSink::new(
                        &settings.otlp,
                        runtime.as_ref(),
                        settings.export_timeout,
                        exemplars.clone(),
                        &record,
                    )?),
                ),
                Exporter::Console => (settings.console_temporality, Box::new(ConsoleSink)),
                Exporter::File => (
                    settings.file_temporality,
                    Box::new(FileSink::open(&settings.file_path, exemplars.clone())?),
                ),
                Exporter::Clickhouse => (
                    Temporality::Cumulative,
                    Box::new(super::clickhouse::ClickhouseSink::new(
                        &settings.clickhouse,
                        exemplars.clone(),
                        settings.export_timeout,
                    )?),
                ),
                // Refused for metrics when the settings are read.
                Exporter::Discard | Exporter::Loki | Exporter::Elasticsearch => continue,
                Exporter::Prometheus => {
                    // Prometheus reads cumulative values whatever the other exporters use.
                    let reader = SharedReader::new(Temporality::Cumulative);
                    builder = builder.with_reader(reader.clone());
                    let record = Arc::new(ExporterHealth::new(
                        Signal::Metrics,
                        Exporter::Prometheus,
                        settings.otlp.protocol,
                        0,
                        stuck_after(settings.export_timeout),
                    ));
                    health.push(Arc::clone(&record));
                    prometheus = Some((reader, record));
                    continue;
                }
                Exporter::Memory => {
                    let reader = SharedReader::new(settings.memory_temporality);
                    builder = builder.with_reader(reader.clone());
                    memory = Some(reader);
                    continue;
                }
            };
            push.push((temporality, sink, record));
        }
        for custom in &settings.custom_metric_exporters {
            let record = Arc::new(ExporterHealth::custom(
                Signal::Metrics,
                &custom.name,
                push.len(),
                stuck_after(settings.export_timeout),
            ));
            let sink = CustomSink::new(custom, exemplars.clone(), settings.export_timeout);
            push.push((Temporality::Cumulative, Box::new(sink), record));
        }
        for (temporality, sink, record) in push {
            let reader = SharedReader::new(temporality);
            builder = builder.with_reader(reader.clone());
            health.push(Arc::clone(&record));
            let delivery = if sink.queued() {
                Delivery::queued(record)
            } else {
                Delivery::new(record)
            };
            exports.push(Export {
                reader,
                sink,
                delivery,
            });
        }
        let provider = builder.build();
        let readers: Vec<SharedReader> = exports
            .iter()
            .map(|e| e.reader.clone())
            .chain(memory.clone())
            .chain(prometheus.as_ref().map(|(reader, _)| reader.clone()))
            .collect();
        let on_demand = memory
            .clone()
            .or_else(|| prometheus.as_ref().map(|(reader, _)| reader.clone()));
        let prometheus = match prometheus {
            Some((reader, record)) => {
                let (exemplars, encoded_exemplars) = (exemplars.clone(), exemplars.clone());
                let (encoded_reader, encoded_record) = (reader.clone(), Arc::clone(&record));
                // The request of a scrape that is done, whose buffers the next one reuses.
                let spare: Arc<Mutex<Option<ExportMetricsServiceRequest>>> = Arc::default();
                let reused = Arc::clone(&spare);
                let collect = Arc::new(move |with_exemplars: bool| {
                    scrape(&reader, &record).map(|rm| {
                        let mut request = reused.lock().take().unwrap_or_default();
                        super::refill::refill(&mut request, &rm);
                        if with_exemplars {
                            exemplars.attach(&mut request);
                        }
                        request
                    })
                });
                let collect_encoded: Arc<dyn Fn(bool) -> Result<Vec<u8>> + Send + Sync> = {
                    Arc::new(move |with_exemplars: bool| {
                        scrape(&encoded_reader, &encoded_record).map(|rm| {
                            let lookup = with_exemplars.then(|| encoded_exemplars.lookup());
                            let lookup = lookup.flatten();
                            super::encode::request(&rm, lookup.as_ref())
                        })
                    })
                };
                let local = Local {
                    collect,
                    collect_encoded,
                    service,
                    rules: settings.prometheus_gauge_merge.clone(),
                    timeout: settings.prometheus_worker_timeout,
                    replica: Default::default(),
                    role: Default::default(),
                    final_taken: Default::default(),
                    spare,
                };
                Some(Endpoint::start(
                    &settings.prometheus_host,
                    settings.prometheus_port,
                    settings.prometheus_listen,
                    local,
                    origin,
                )?)
            }
            None => None,
        };
        let runtime_handle = runtime.as_ref().map(|r| r.handle().clone());
        let (commands, thread) = if exports.is_empty() {
            (None, None)
        } else {
            let (tx, rx) = mpsc::channel();
            let worker = Worker {
                exports,
                interval: settings.export_interval,
                _runtime: runtime,
            };
            let thread = std::thread::Builder::new()
                .name("otelrs-metrics".to_owned())
                .spawn(move || worker.run(rx))
                .map_err(|e| Error::internal(format!("cannot start the metrics thread: {e}")))?;
            (Some(tx), Some(thread))
        };
        Ok(Pipeline {
            provider,
            memory: memory.map(|reader| (reader, exemplars.clone())),
            on_demand,
            prometheus,
            health,
            runtime: runtime_handle,
            commands,
            thread,
            readers,
        })
    }

    /// Whether every reader keeps each series of a synchronous instrument of `kind` from
    /// one collection to the next (cumulative temporality): a delta reader lets go of the
    /// series not recorded since its last collection.
    pub(crate) fn keeps_every_series(&self, kind: crate::metrics::InstrumentKind) -> bool {
        let kind = super::views::sdk_kind(kind);
        self.readers
            .iter()
            .all(|r| r.temporality(kind) != Temporality::Delta)
    }

    /// The SDK meter for `scope`.
    pub(crate) fn meter(&self, scope: &InstrumentationScope) -> Meter {
        self.provider.meter_with_scope(scope.clone())
    }

    /// The push exporters' health records.
    pub(crate) fn health(&self) -> &[Arc<ExporterHealth>] {
        &self.health
    }

    /// The runtimes of the gRPC exporter and of the Prometheus endpoint, by thread name.
    pub(crate) fn runtimes(&self) -> Vec<(&'static str, tokio::runtime::Handle)> {
        let grpc = self.runtime.clone().map(|h| ("otelrs-rt", h));
        let prometheus = self
            .prometheus
            .as_ref()
            .and_then(Endpoint::runtime)
            .map(|h| ("otelrs-prometheus", h));
        grpc.into_iter().chain(prometheus).collect()
    }

    /// Whether the collection thread has ended (it ends only at shutdown).
    pub(crate) fn thread_stopped(&self) -> bool {
        self.thread.as_ref().is_some_and(JoinHandle::is_finished)
    }

    /// What `force_flush` sends its request through, if there is a push exporter.
    pub(crate) fn commands(&self) -> Option<Sender<Command>> {
        self.commands.clone()
    }

    /// The memory reader, collected on demand by `collect_json`.
    pub(crate) fn memory_collector(&self) -> Option<impl Fn() -> Result<String>> {
        let (reader, exemplars) = self.memory.clone()?;
        Some(move || {
            collect(&reader).and_then(|rm| {
                String::from_utf8(otlp_forms::json(&rm, &exemplars))
                    .map_err(|e| Error::internal(format!("collected metrics as JSON: {e}")))
            })
        })
    }

    /// Collects now a reader that is collected on demand (the memory exporter's, else the
    /// Prometheus endpoint's, which the collection does not count as a scrape).
    pub(crate) fn collect_on_demand(&self) -> Option<Result<ExportMetricsServiceRequest>> {
        let reader = self.on_demand.as_ref()?;
        Some(collect(reader).map(|rm| ExportMetricsServiceRequest::from(&rm)))
    }

    /// The Prometheus endpoint, for the app's own HTTP server.
    pub(crate) fn exposer(&self) -> Option<Exposer> {
        self.prometheus.as_ref().and_then(Endpoint::exposer)
    }

    /// In a forked child, once the rebuild is over: starts what must not run during it (the
    /// Prometheus endpoint's joining its parent's).
    pub(crate) fn start_in_child(&self) {
        if let Some(endpoint) = &self.prometheus {
            endpoint.serve_in_child();
        }
    }

    /// In a forked child, about to be replaced: leaves the parent's Prometheus endpoint to the
    /// parent.
    pub(crate) fn release_in_child(&mut self) {
        if let Some(endpoint) = self.prometheus.take() {
            endpoint.close_in_child();
        }
    }

    /// Exports what was recorded and stops, within `timeout`. On a timeout the collection
    /// thread finishes in the background.
    pub(crate) fn shutdown(mut self, timeout: Duration) -> Result<()> {
        // Scrapes end with the SDK; the port is free again when this returns.
        drop(self.prometheus.take());
        let outcome = match self.commands.take() {
            Some(tx) => request(&tx, Command::Shutdown, timeout),
            None => Ok(()),
        };
        if outcome.as_ref().err().map(Error::kind) != Some(ErrorKind::Timeout) {
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
        let _ = self.provider.shutdown();
        outcome
    }
}

/// What an on-demand reader (memory, Prometheus) holds now.
fn collect(reader: &SharedReader) -> Result<ResourceMetrics> {
    let mut rm = ResourceMetrics::default();
    reader.collect(&mut rm).map_err(|e| {
        Error::new(
            ErrorKind::Shutdown,
            format!("collecting metrics failed: {e}"),
        )
    })?;
    Ok(rm)
}

/// What a Prometheus scrape collects, recorded in the endpoint's health as one export of
/// the data points collected.
fn scrape(reader: &SharedReader, health: &ExporterHealth) -> Result<ResourceMetrics> {
    let started = Instant::now();
    let collected = collect(reader);
    let (points, outcome) = match &collected {
        Ok(rm) => (super::data_points(rm), Ok(())),
        Err(e) => (0, Err(e.clone())),
    };
    health.record(points, &outcome, started.elapsed());
    collected
}

/// Asks the collection thread behind `tx` to export now, waiting at most `timeout`.
pub(crate) fn flush(tx: &Sender<Command>, timeout: Duration) -> Result<()> {
    request(
        tx,
        |reply| Command::Flush(reply, Instant::now() + timeout),
        timeout,
    )
}
