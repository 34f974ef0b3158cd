//! Sends OTLP requests of either signal to a Collector over gRPC or HTTP (protobuf or JSON,
//! gzip when asked), with exactly the endpoint, headers, timeout and certificate of otelrs's
//! resolved settings (values set from code win over the environment), retrying as the OTLP
//! specification says. Each request is encoded once, by otelrs.

use crate::base::error::{Error, Result};
use crate::config::{Connection, OtlpSettings, Protocol};
use crate::export::connection;
use crate::export::delivery::export_error;
use crate::export::health::ExporterHealth;
use crate::export::http::{self as http_post, with_retries, Failure, Post};
use crate::export::spool::{SendFn, Spool};
use crate::export::Wire;
use bytes::{BufMut, Bytes};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use prost::Message;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::{Handle, Runtime};
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::MetadataMap;
use tonic::transport::{Channel, Endpoint};
use tonic::Status;

/// What differs between the signals: the messages, the gRPC method, and how the Collector
/// says it rejected part of a request.
pub(crate) trait Signal: Send + 'static {
    /// The request.
    type Request: Message + Default + serde::Serialize;
    /// The answer.
    type Response: Message + Default + Send + 'static;
    /// The gRPC method's path.
    const GRPC_PATH: &'static str;
    /// What the items are called in messages ("log records").
    const ITEMS: &'static str;
    /// The name of the rejected count in the OTLP/JSON answer.
    const JSON_REJECTED: &'static str;
    /// The on-disk queue's directory of this signal.
    const QUEUE: &'static str;
    /// The rejected count and message of a partial success, if any.
    fn rejected(response: &Self::Response) -> Option<(i64, String)>;
}

/// Log records.
pub(crate) struct Logs;

impl Signal for Logs {
    type Request = ExportLogsServiceRequest;
    type Response = ExportLogsServiceResponse;
    const GRPC_PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    const ITEMS: &'static str = "log records";
    const JSON_REJECTED: &'static str = "rejectedLogRecords";
    const QUEUE: &'static str = "logs";
    fn rejected(r: &ExportLogsServiceResponse) -> Option<(i64, String)> {
        r.partial_success
            .as_ref()
            .map(|p| (p.rejected_log_records, p.error_message.clone()))
    }
}

/// Metric data points.
pub(crate) struct Metrics;

impl Signal for Metrics {
    type Request = ExportMetricsServiceRequest;
    type Response = ExportMetricsServiceResponse;
    const GRPC_PATH: &'static str =
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    const ITEMS: &'static str = "data points";
    const JSON_REJECTED: &'static str = "rejectedDataPoints";
    const QUEUE: &'static str = "metrics";
    fn rejected(r: &ExportMetricsServiceResponse) -> Option<(i64, String)> {
        r.partial_success
            .as_ref()
            .map(|p| (p.rejected_data_points, p.error_message.clone()))
    }
}

/// A client for one OTLP endpoint.
pub(crate) struct OtlpClient<S: Signal> {
    transport: Transport,
    /// OTEL_EXPORTER_OTLP_TIMEOUT: how long one request may wait for its answer.
    request_timeout: Duration,
    signal: PhantomData<S>,
    /// Attempts repeated after a retryable failure, since the client was built.
    retries: u64,
}

enum Transport {
    Grpc {
        grpc: tonic::client::Grpc<Channel>,
        metadata: MetadataMap,
        runtime: Handle,
    },
    Http {
        client: reqwest::blocking::Client,
        url: String,
        json: bool,
        gzip: bool,
        headers: http::HeaderMap,
    },
}

fn grpc_channel(s: &Connection) -> Result<Channel> {
    let endpoint =
        Endpoint::from_shared(s.endpoint.clone()).map_err(|e| connection::build_error(s, e))?;
    let endpoint = match connection::grpc_tls(s)? {
        Some(tls) => endpoint
            .tls_config(tls)
            .map_err(|e| connection::build_error(s, e))?,
        None => endpoint,
    };
    let endpoint = endpoint
        .user_agent(s.user_agent.clone())
        .map_err(|e| connection::build_error(s, e))?;
    Ok(endpoint.timeout(s.timeout).connect_lazy())
}

impl<S: Signal> OtlpClient<S> {
    /// A client for `s`; gRPC clients are built in `runtime` and run on it.
    pub(crate) fn new(s: &OtlpSettings, runtime: Option<&Runtime>) -> Result<Self> {
        let headers = connection::header_map(&s.conn)?;
        let transport = match (s.protocol, runtime) {
            (Protocol::Grpc, Some(rt)) => {
                let _entered = rt.enter();
                let mut grpc = tonic::client::Grpc::new(grpc_channel(&s.conn)?);
                if s.gzip {
                    grpc = grpc
                        .send_compressed(CompressionEncoding::Gzip)
                        .accept_compressed(CompressionEncoding::Gzip);
                }
                Transport::Grpc {
                    grpc,
                    metadata: MetadataMap::from_headers(headers),
                    runtime: rt.handle().clone(),
                }
            }
            (Protocol::Grpc, None) => {
                return Err(Error::internal("gRPC exporter built without a runtime"))
            }
            (protocol, _) => Transport::Http {
                client: connection::http_client(&s.conn)?,
                url: s.conn.endpoint.clone(),
                json: protocol == Protocol::HttpJson,
                gzip: s.gzip,
                headers,
            },
        };
        Ok(OtlpClient {
            transport,
            request_timeout: s.conn.timeout,
            signal: PhantomData,
            retries: 0,
        })
    }

    /// Sends `request`, retrying as the OTLP specification says (gRPC UNAVAILABLE,
    /// CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, DATA_LOSS, and RESOURCE_EXHAUSTED
    /// with a RetryInfo; HTTP 429, 502, 503, 504 and failed connections), with exponential
    /// backoff or the server's Retry-After / RetryInfo delay, all within `timeout`; each request waits at most OTEL_EXPORTER_OTLP_TIMEOUT for its
    /// answer. A Collector that rejects some of the records (partial success) is an error
    /// naming how many.
    pub(crate) fn export(&mut self, request: &S::Request, timeout: Duration) -> Result<()> {
        let body = self.wire().encode(request)?;
        self.export_encoded(Bytes::from(body), timeout)
    }

    /// [`Self::export`] of a request already encoded in the client's [`Wire`] format.
    pub(crate) fn export_encoded(&mut self, body: Bytes, timeout: Duration) -> Result<()> {
        let mut retries = self.retries;
        let response = with_retries(timeout, self.request_timeout, &mut retries, |left| {
            self.send(&body, left)
        });
        self.retries = retries;
        match S::rejected(&response?) {
            Some((n, message)) if n > 0 => Err(rejected::<S>(n, &message)),
            _ => Ok(()),
        }
    }

    /// Attempts repeated after a retryable failure so far.
    pub(crate) fn retries(&self) -> u64 {
        self.retries
    }

    /// How the client writes requests.
    pub(crate) fn wire(&self) -> Wire {
        match &self.transport {
            Transport::Http { json: true, .. } => Wire::Json,
            _ => Wire::Protobuf,
        }
    }

    fn send(
        &mut self,
        body: &Bytes,
        timeout: Duration,
    ) -> std::result::Result<S::Response, Failure> {
        match &mut self.transport {
            Transport::Grpc {
                grpc,
                metadata,
                runtime,
            } => {
                let mut req = tonic::Request::new(body.clone());
                *req.metadata_mut() = metadata.clone();
                let grpc = grpc.clone();
                runtime.block_on(async move {
                    match tokio::time::timeout(timeout, send_grpc::<S>(grpc, req)).await {
                        Ok(outcome) => outcome,
                        Err(_) => Err(Failure::Retryable(
                            Error::internal(format!("no answer within {} ms", timeout.as_millis())),
                            None,
                        )),
                    }
                })
            }
            Transport::Http {
                client,
                url,
                json,
                gzip,
                headers,
            } => send_http::<S>(client, url, *json, *gzip, headers, body.clone(), timeout),
        }
    }
}

/// An OTLP exporter of one signal: sends each request itself, or, with an on-disk queue
/// (OTELRS_EXPORTER_OTLP_QUEUE_DIR), writes it there for the queue's sender.
pub(crate) enum OtlpExporter<S: Signal> {
    Direct {
        client: Box<OtlpClient<S>>,
        timeout: Duration,
    },
    Queued {
        spool: Spool,
        timeout: Duration,
        retries: Arc<AtomicU64>,
    },
}

impl<S: Signal> OtlpExporter<S> {
    /// The exporter of `s`, whose exports may take `timeout` each. With an on-disk queue,
    /// the queue's sender records each attempt in `health`, and what the queue deletes at
    /// its cap is added to `dropped`. `name` names it in messages ("otlp log").
    pub(crate) fn new(
        s: &OtlpSettings,
        runtime: Option<&Runtime>,
        timeout: Duration,
        name: &'static str,
        health: &Arc<ExporterHealth>,
        dropped: &Arc<AtomicU64>,
    ) -> Result<Self> {
        let mut client = OtlpClient::<S>::new(s, runtime)?;
        let Some((dir, max_bytes)) = &s.queue else {
            return Ok(OtlpExporter::Direct {
                client: Box::new(client),
                timeout,
            });
        };
        let retries = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&retries);
        let send: SendFn = Box::new(move |bytes| {
            let request = S::Request::decode(bytes)
                .map_err(|e| export_error(name, format!("a queued export is unreadable: {e}")))?;
            // Queued as protobuf: sent as it is when the client writes protobuf.
            let outcome = match client.wire() {
                Wire::Protobuf => client.export_encoded(Bytes::copy_from_slice(bytes), timeout),
                Wire::Json => client.export(&request, timeout),
            }
            .map_err(|e| export_error(name, e));
            counted.store(client.retries(), Ordering::Relaxed);
            outcome
        });
        let spool = Spool::start(
            dir,
            S::QUEUE,
            *max_bytes,
            send,
            Arc::clone(health),
            Arc::clone(dropped),
        )?;
        Ok(OtlpExporter::Queued {
            spool,
            timeout,
            retries,
        })
    }

    /// Sends the request `encode` writes in the [`Wire`] format it is asked for (once), of
    /// `items` items, or queues it on disk.
    pub(crate) fn export_encoded(
        &mut self,
        encode: impl FnOnce(Wire) -> Result<Bytes>,
        items: u64,
        name: &str,
    ) -> Result<()> {
        match self {
            OtlpExporter::Direct { client, timeout } => encode(client.wire())
                .and_then(|body| client.export_encoded(body, *timeout))
                .map_err(|e| export_error(name, e)),
            OtlpExporter::Queued { spool, .. } => spool.append(&encode(Wire::Protobuf)?, items),
        }
    }

    /// With an on-disk queue: sends what it can within the export timeout; the rest stays
    /// on disk for the next process.
    pub(crate) fn shutdown(&mut self) {
        if let OtlpExporter::Queued { spool, timeout, .. } = self {
            spool.shutdown(*timeout);
        }
    }

    /// Attempts repeated after a retryable failure so far.
    pub(crate) fn retries(&self) -> u64 {
        match self {
            OtlpExporter::Direct { client, .. } => client.retries(),
            OtlpExporter::Queued { retries, .. } => retries.load(Ordering::Relaxed),
        }
    }

    /// Whether exports go to an on-disk queue.
    pub(crate) fn queued(&self) -> bool {
        matches!(self, OtlpExporter::Queued { .. })
    }
}

/// The error of a partial success: `n` items rejected, and why.
fn rejected<S: Signal>(n: i64, message: &str) -> Error {
    Error::internal(format!(
        "the Collector rejected {n} {}: {message}",
        S::ITEMS
    ))
}

async fn send_grpc<S: Signal>(
    mut grpc: tonic::client::Grpc<Channel>,
    req: tonic::Request<Bytes>,
) -> std::result::Result<S::Response, Failure> {
    grpc.ready()
        .await
        .map_err(|e| Failure::Retryable(Error::internal(format!("gRPC connection: {e}")), None))?;
    grpc.unary(
        req,
        PathAndQuery::from_static(S::GRPC_PATH),
        EncodedCodec::<S>(PhantomData),
    )
    .await
    .map(tonic::Response::into_inner)
    .map_err(|s| grpc_failure(&s))
}

/// `google.rpc.Status`, as a gRPC status's details carry it (only what otelrs reads).
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(message, repeated, tag = "3")]
    details: Vec<RpcAny>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcAny {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, prost::Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<RpcDuration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

/// The delay a gRPC status asks for in its `google.rpc.RetryInfo` detail, if it has one.
fn retry_info(status: &Status) -> Option<Duration> {
    let details = RpcStatus::decode(status.details()).ok()?;
    let info = details
        .details
        .iter()
        .find(|d| d.type_url.ends_with("/google.rpc.RetryInfo"))?;
    let delay = RetryInfo::decode(info.value.as_slice()).ok()?.retry_delay?;
    Some(
        Duration::from_secs(u64::try_from(delay.seconds).unwrap_or(0))
            + Duration::from_nanos(u64::try_from(delay.nanos).unwrap_or(0)),
    )
}

/// How a gRPC export failed, as the OTLP specification says: the transient codes are
/// retried (after the server's RetryInfo delay when it gives one), RESOURCE_EXHAUSTED only
/// when the server says when to come back.
fn grpc_failure(s: &Status) -> Failure {
    use tonic::Code::*;
    let e = Error::internal(format!("gRPC status {:?}: {}", s.code(), s.message()));
    let hint = retry_info(s);
    match s.code() {
        Unavailable | Cancelled | DeadlineExceeded | Aborted | OutOfRange | DataLoss => {
            Failure::Retryable(e, hint)
        }
        ResourceExhausted if hint.is_some() => Failure::Retryable(e, hint),
        _ => Failure::Final(e),
    }
}

fn send_http<S: Signal>(
    client: &reqwest::blocking::Client,
    url: &str,
    json: bool,
    gzip: bool,
    headers: &http::HeaderMap,
    body: Bytes,
    timeout: Duration,
) -> std::result::Result<S::Response, Failure> {
    let post = Post {
        url,
        headers,
        content_type: if json {
            "application/json"
        } else {
            "application/x-protobuf"
        },
        content_encoding: gzip.then_some("gzip"),
        body,
    };
    let bytes = http_post::post(client, post, timeout)?;
    if bytes.is_empty() {
        return Ok(S::Response::default());
    }
    if json {
        return match partial_success_from_json(&bytes, S::JSON_REJECTED) {
            Some((n, message)) if n > 0 => Err(Failure::Final(rejected::<S>(n, &message))),
            _ => Ok(S::Response::default()),
        };
    }
    // An answer otelrs cannot read still means the request arrived.
    Ok(S::Response::decode(bytes).unwrap_or_default())
}

/// The rejected count (under `rejected`) and message of an OTLP/JSON answer's partial
/// success. Its int64 fields are strings in the proto3 JSON mapping (numbers are accepted
/// too), which the generated serde code does not read.
fn partial_success_from_json(bytes: &[u8], rejected: &str) -> Option<(i64, String)> {
    let answer: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let p = answer.get("partialSuccess")?;
    let n = match p.get(rejected)? {
        serde_json::Value::String(s) => s.parse().ok()?,
        v => v.as_i64()?,
    };
    let message = p.get("errorMessage").and_then(|m| m.as_str()).unwrap_or("");
    Some((n, message.to_owned()))
}

/// Sends a request otelrs encoded itself, and decodes the Collector's answer.
struct EncodedCodec<S>(PhantomData<S>);

struct EncodedEncoder;

impl Encoder for EncodedEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, buf: &mut EncodeBuf<'_>) -> std::result::Result<(), Status> {
        buf.put(item);
        Ok(())
    }
}

struct ResponseDecoder<S>(PhantomData<S>);

impl<S: Signal> tonic::codec::Decoder for ResponseDecoder<S> {
    type Item = S::Response;
    type Error = Status;

    fn decode(
        &mut self,
        buf: &mut DecodeBuf<'_>,
    ) -> std::result::Result<Option<S::Response>, Status> {
        S::Response::decode(buf)
            .map(Some)
            .map_err(|e| Status::internal(format!("cannot decode the answer: {e}")))
    }
}

impl<S: Signal> Codec for EncodedCodec<S> {
    type Encode = Bytes;
    type Decode = S::Response;
    type Encoder = EncodedEncoder;
    type Decoder = ResponseDecoder<S>;

    fn encoder(&mut self) -> EncodedEncoder {
        EncodedEncoder
    }

    fn decoder(&mut self) -> ResponseDecoder<S> {
        ResponseDecoder(PhantomData)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_with_retry_info(code: tonic::Code, delay: Option<RpcDuration>) -> Status {
        let info = RetryInfo { retry_delay: delay }.encode_to_vec();
        let details = RpcStatus {
            details: vec![RpcAny {
                type_url: "type.googleapis.com/google.rpc.RetryInfo".to_owned(),
                value: info,
            }],
        };
        Status::with_details(code, "slow down", Bytes::from(details.encode_to_vec()))
    }

    #[test]
    fn grpc_retry_info_is_followed() {
        let delay = RpcDuration {
            seconds: 2,
            nanos: 500_000_000,
        };
        let hint = |f: Failure| match f {
            Failure::Retryable(_, hint) => Some(hint),
            Failure::Final(_) => None,
        };
        let unavailable = status_with_retry_info(tonic::Code::Unavailable, Some(delay.clone()));
        assert_eq!(
            hint(grpc_failure(&unavailable)),
            Some(Some(Duration::from_millis(2500)))
        );
        // RESOURCE_EXHAUSTED is retried only when the server says when.
        let exhausted = status_with_retry_info(tonic::Code::ResourceExhausted, Some(delay));
        assert_eq!(
            hint(grpc_failure(&exhausted)),
            Some(Some(Duration::from_millis(2500)))
        );
        let bare = Status::new(tonic::Code::ResourceExhausted, "full");
        assert_eq!(hint(grpc_failure(&bare)), None);
        let plain = Status::new(tonic::Code::Unavailable, "down");
        assert_eq!(hint(grpc_failure(&plain)), Some(None));
        assert_eq!(
            hint(grpc_failure(&Status::new(
                tonic::Code::InvalidArgument,
                "bad"
            ))),
            None
        );
    }
}
