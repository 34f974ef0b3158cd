


import contextvars
import datetime
import logging
from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import (
    Any,
    Callable,
    TypeVar,
    final,
)

from typing_extensions import TypeAlias

__all__ = [
    "BoundCounter",
    "BoundGauge",
    "BoundHistogram",
    "BoundUpDownCounter",
    "CallbackOptions",
    "ConfigError",
    "ConflictError",
    "Counter",
    "ExportError",
    "Gauge",
    "Histogram",
    "HttpRequest",
    "HttpServer",
    "Logger",
    "Meter",
    "ObservableCounter",
    "ObservableGauge",
    "ObservableUpDownCounter",
    "Observation",
    "OtelrsError",
    "ShutdownError",
    "Timer",
    "TraceContext",
    "UpDownCounter",
    "__version__",
    "_check_instrument",
    "_check_prometheus_exposition",
    "_health_json",
    "_prometheus_exposition",
    "_shutdown_at_exit",
    "_trace_context_var",
    "_trace_scopes",
    "collect_json",
    "force_flush",
    "get_logger",
    "get_meter",
    "histogram_summary",
    "init",
    "log_stats",
    "shutdown",
]

__version__: str

_AttributeValue: TypeAlias = str | bool | int | float | Sequence[str] | Sequence[bool] | Sequence[int] | Sequence[float]
_Attributes: TypeAlias = Mapping[str, _AttributeValue] | None
_SettingValue: TypeAlias = str | bool | int | float | Sequence[str] | Mapping[str, str] | None
_Number: TypeAlias = int | float
_ValueType: TypeAlias = type[int] | type[float] | None
_Callback: TypeAlias = Callable[[CallbackOptions], Iterable[Observation]] | Generator[Iterable[Observation], CallbackOptions]
_F = TypeVar("_F", bound=Callable[..., Any])

class OtelrsError(Exception): ...
class ConfigError(OtelrsError): ...
class ConflictError(OtelrsError): ...
class ShutdownError(OtelrsError): ...
class ExportError(OtelrsError): ...

_ViewValue: TypeAlias = str | int | float | bool | Sequence[str | int | float]
_View: TypeAlias = str | Mapping[str, _ViewValue]

def init(
    settings: Mapping[str, _SettingValue] | None = None,
    *,
    views: Sequence[_View] | None = None,
    log_exporters: Mapping[str, Callable[[bytes], object]] | Sequence[Any] | None = None,
    metric_exporters: Mapping[str, Callable[[bytes], object]] | Sequence[Any] | None = None,
    on_health_change: Callable[[str, dict[str, Any]], object] | None = None,
    **kwargs: _SettingValue,
) -> None: ...
def force_flush(timeout: float = 30.0) -> None: ...
def shutdown(timeout: float = 30.0) -> None: ...
def _shutdown_at_exit() -> None: ...
def get_meter(
    name: str, version: str | None = None, schema_url: str | None = None, attributes: _Attributes = None
) -> Meter: ...
def get_logger(
    name: str, version: str | None = None, schema_url: str | None = None, attributes: _Attributes = None
) -> Logger: ...
def collect_json() -> str: ...
def histogram_summary(
    name: str, attributes: _Attributes = None, quantiles: Sequence[float] = ...
) -> dict[str, Any]: ...
def _prometheus_exposition(accept: str, accept_encoding: str) -> tuple[bytes, str, str | None]: ...
def _check_prometheus_exposition() -> None: ...
def _check_instrument(name: str, unit: str = "") -> None: ...
def log_stats() -> dict[str, int]: ...
def _health_json() -> str: ...
def _trace_scopes(delta: int) -> None: ...

_trace_context_var: contextvars.ContextVar[TraceContext | None]

@final
class Meter:
    def create_counter(
        self, name: str, unit: str = "", description: str = "", *, value_type: _ValueType = None
    ) -> Counter: ...
    def create_up_down_counter(
        self, name: str, unit: str = "", description: str = "", *, value_type: _ValueType = None
    ) -> UpDownCounter: ...
    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        *,
        explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
        value_type: _ValueType = None,
    ) -> Histogram: ...
    def create_gauge(
        self, name: str, unit: str = "", description: str = "", *, value_type: _ValueType = None
    ) -> Gauge: ...
    def create_observable_counter(
        self,
        name: str,
        callbacks: Sequence[_Callback] | None = None,
        unit: str = "",
        description: str = "",
        *,
        value_type: _ValueType = None,
    ) -> ObservableCounter: ...
    def create_observable_up_down_counter(
        self,
        name: str,
        callbacks: Sequence[_Callback] | None = None,
        unit: str = "",
        description: str = "",
        *,
        value_type: _ValueType = None,
    ) -> ObservableUpDownCounter: ...
    def create_observable_gauge(
        self,
        name: str,
        callbacks: Sequence[_Callback] | None = None,
        unit: str = "",
        description: str = "",
        *,
        value_type: _ValueType = None,
    ) -> ObservableGauge: ...

@final
class Counter:
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    def add(self, amount: _Number, attributes: _Attributes = None, context: Any = None) -> None: ...
    def bind(self, attributes: _Attributes = None) -> BoundCounter: ...

@final
class BoundCounter:
    def add(self, amount: _Number, /) -> None: ...

@final
class UpDownCounter:
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    def add(self, amount: _Number, attributes: _Attributes = None, context: Any = None) -> None: ...
    def bind(self, attributes: _Attributes = None) -> BoundUpDownCounter: ...

@final
class BoundUpDownCounter:
    def add(self, amount: _Number, /) -> None: ...

@final
class Histogram:
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    def record(self, amount: _Number, attributes: _Attributes = None, context: Any = None) -> None: ...
    def bind(self, attributes: _Attributes = None) -> BoundHistogram: ...
    def time(self, attributes: _Attributes = None) -> Timer: ...

@final
class BoundHistogram:
    def record(self, amount: _Number, /) -> None: ...

@final
class Timer:
    def __enter__(self) -> Timer: ...
    def __exit__(self, *exc: object) -> None: ...
    def __call__(self, func: _F) -> _F: ...

@final
class Gauge:
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    def set(self, amount: _Number, attributes: _Attributes = None, context: Any = None) -> None: ...
    def bind(self, attributes: _Attributes = None) -> BoundGauge: ...

@final
class BoundGauge:
    def set(self, amount: _Number, /) -> None: ...

@final
class Observation:
    def __new__(cls, value: _Number, attributes: _Attributes = None) -> Observation: ...
    @property
    def value(self) -> _Number: ...
    @property
    def attributes(self) -> dict[str, _AttributeValue] | None: ...

@final
class CallbackOptions:
    @property
    def timeout_millis(self) -> float: ...

@final
class ObservableCounter:
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...

@final
class ObservableUpDownCounter:
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...

@final
class ObservableGauge:
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...

@final
class TraceContext:
    def __new__(cls, traceparent: str) -> TraceContext: ...
    @property
    def trace_id(self) -> str: ...
    @property
    def span_id(self) -> str: ...
    @property
    def flags(self) -> int: ...

_TraceParent: TypeAlias = str | TraceContext | None

@final
class HttpServer:
    def __new__(cls, meter: Meter) -> HttpServer: ...
    def start(self, method: str, scheme: str) -> HttpRequest: ...

@final
class HttpRequest:
    def end(
        self,
        status_code: int = 0,
        route: str | None = None,
        protocol_version: str | None = None,
        error_type: str | None = None,
    ) -> float | None: ...

@final
class Logger:
    def debug(self, body: object, *, attributes: Mapping[str, Any] | None = None, traceparent: _TraceParent = None) -> None: ...
    def info(self, body: object, *, attributes: Mapping[str, Any] | None = None, traceparent: _TraceParent = None) -> None: ...
    def warning(self, body: object, *, attributes: Mapping[str, Any] | None = None, traceparent: _TraceParent = None) -> None: ...
    def error(self, body: object, *, attributes: Mapping[str, Any] | None = None, traceparent: _TraceParent = None) -> None: ...
    def critical(self, body: object, *, attributes: Mapping[str, Any] | None = None, traceparent: _TraceParent = None) -> None: ...
    def exception(
        self,
        body: object,
        *,
        attributes: Mapping[str, Any] | None = None,
        traceparent: _TraceParent = None,
        exc: BaseException | None = None,
    ) -> None: ...
    def emit(
        self,
        body: object,
        severity: int | None = None,
        *,
        attributes: Mapping[str, Any] | None = None,
        event_name: str | None = None,
        timestamp: float | datetime.datetime | None = None,
        traceparent: _TraceParent = None,
        exc: BaseException | None = None,
        timestamp_ns: int | None = None,
        severity_text: str | None = None,
    ) -> None: ...
    def _emit_logging(self, record: logging.LogRecord, severity: int, handler: logging.Handler | None, /) -> None: ...
    def enabled(self, severity: int) -> bool: ...
    def stats(self) -> dict[str, int]: ...
