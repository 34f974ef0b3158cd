"""otelrs: OpenTelemetry metrics and logs for Python, recorded in-process by a Rust core built
on the OpenTelemetry Rust SDK, and exported without the program waiting on I/O.

    import otelrs
    otelrs.init(service_name="checkout")          # or everything from the OTEL_* environment
    meter = otelrs.get_meter("shop", "1.0")
    orders = meter.create_counter("shop.orders", unit="{order}")
    orders.add(1, {"region": "eu"})
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import enum
import json
from collections.abc import Callable, Iterator
from typing import Any, Literal

from otelrs._exposition import Exposition, make_asgi_app, make_wsgi_app, prometheus_exposition
from otelrs._logging import LoggingHandler
from otelrs._otelrs import (
    BoundCounter,
    BoundGauge,
    BoundHistogram,
    BoundUpDownCounter,
    CallbackOptions,
    ConfigError,
    ConflictError,
    Counter,
    ExportError,
    Gauge,
    Histogram,
    Logger,
    Meter,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    Observation,
    OtelrsError,
    ShutdownError,
    Timer,
    TraceContext,
    UpDownCounter,
    __version__,
    _health_json,
    _shutdown_at_exit,
    _trace_context_var,
    _trace_scopes,
    collect_json,
    force_flush,
    get_logger,
    get_meter,
    histogram_summary,
    init,
    log_stats,
    shutdown,
)
from otelrs._web import AsgiMiddleware, WsgiMiddleware


class Severity(enum.IntEnum):
    """The log severity numbers of the OpenTelemetry specification. UNSPECIFIED is a record
    whose source gives no severity: it passes the minimum severity, is sampled as a record
    below the sampling threshold, and is exported without a severity number or text."""

    UNSPECIFIED = 0
    TRACE = 1
    TRACE2 = 2
    TRACE3 = 3
    TRACE4 = 4
    DEBUG = 5
    DEBUG2 = 6
    DEBUG3 = 7
    DEBUG4 = 8
    INFO = 9
    INFO2 = 10
    INFO3 = 11
    INFO4 = 12
    WARN = 13
    WARN2 = 14
    WARN3 = 15
    WARN4 = 16
    ERROR = 17
    ERROR2 = 18
    ERROR3 = 19
    ERROR4 = 20
    FATAL = 21
    FATAL2 = 22
    FATAL3 = 23
    FATAL4 = 24


class ExportResult(enum.IntEnum):
    """What an exporter of one's own answers for a batch (None and True mean SUCCESS, False
    FAILURE; an exception fails the batch too)."""

    SUCCESS = 0
    #: Not delivered, but it may be if tried again: called again with the same batch, with
    #: backoff, within the export timeout.
    RETRY = 1
    #: Not delivered, for good: the batch counts as failed.
    FAILURE = 2


@dataclasses.dataclass(frozen=True)
class Exporter:
    """An exporter of one's own, for `init(log_exporters=[...], metric_exporters=[...])`:
    `function` is called on an otelrs thread with each batch as bytes, an OTLP
    `ExportLogsServiceRequest` or `ExportMetricsServiceRequest` (cumulative) in `format`
    ("json" or "protobuf"), and answers None/True, False or an `ExportResult`; its outcome
    counts in `health()` under `name` as an OTLP exporter's does. (A dict of names to functions
    is the short form, in JSON.)"""

    name: str
    function: Callable[[bytes], ExportResult | bool | None]
    format: Literal["json", "protobuf"] = "json"


@contextlib.contextmanager
def traceparent(header: str | TraceContext) -> Iterator[TraceContext]:
    """Makes the trace context of a W3C `traceparent` (as a server receives it in an HTTP
    header) the current one for the records logged and the measurements made inside the `with`
    block (their exemplars), in this thread or asyncio task. ValueError when it is not a valid
    traceparent."""
    ctx = header if isinstance(header, TraceContext) else TraceContext(header)
    token = _trace_context_var.set(ctx)
    _trace_scopes(1)  # measurements inside look the context up for their exemplars
    try:
        yield ctx
    finally:
        _trace_scopes(-1)
        _trace_context_var.reset(token)


def health() -> dict[str, Any]:
    """The health of the pipeline: ``status`` ("ok", "degraded" or "failing"), ``reasons``
    (why, one sentence each), ``time``, ``shut_down``, ``exporters`` (for each exporter, a
    Prometheus scrape counting as an export: signal, exporter, status, exports,
    failed_exports, consecutive_failures, exported, failed,
    retries, last_success_time, last_error_time, last_error; log exporters also queue_size,
    queue_capacity, queue_fill and dropped) and ``logs`` (the counts of log_stats()).

    An exporter is "failing" after 3 failed exports in a row, "degraded" after 1 or 2, or
    while the log queue is at least 80 % full or dropped records in the last 60 s; the
    overall status is the worst of the exporters' ("ok" without exporters)."""
    report: dict[str, Any] = json.loads(_health_json())
    return report


# Exports what is left and stops at interpreter exit, within a few seconds even when the
# endpoint is down.
atexit.register(_shutdown_at_exit)

__all__ = [
    "AsgiMiddleware",
    "BoundCounter",
    "BoundGauge",
    "BoundHistogram",
    "BoundUpDownCounter",
    "CallbackOptions",
    "ConfigError",
    "ConflictError",
    "Counter",
    "ExportError",
    "ExportResult",
    "Exporter",
    "Exposition",
    "Gauge",
    "Histogram",
    "Logger",
    "LoggingHandler",
    "Meter",
    "ObservableCounter",
    "ObservableGauge",
    "ObservableUpDownCounter",
    "Observation",
    "OtelrsError",
    "Severity",
    "ShutdownError",
    "Timer",
    "TraceContext",
    "UpDownCounter",
    "WsgiMiddleware",
    "__version__",
    "collect_json",
    "force_flush",
    "get_logger",
    "get_meter",
    "health",
    "histogram_summary",
    "init",
    "log_stats",
    "make_asgi_app",
    "make_wsgi_app",
    "prometheus_exposition",
    "shutdown",
    "traceparent",
]
