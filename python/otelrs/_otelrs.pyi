"""Types of the extension module behind the `otelrs` package."""

from __future__ import annotations

import contextvars
import datetime
import logging
from typing import (
    Any,
    Callable,
    Dict,
    Generator,
    Iterable,
    Mapping,
    Optional,
    Sequence,
    Type,
    TypeVar,
    Union,
    final,
)

__all__ = [
    "__version__", "OtelrsError", "ConfigError", "ConflictError", "ShutdownError", "ExportError", "init",
    "force_flush", "shutdown", "_shutdown_at_exit", "get_meter", "get_logger", "collect_json", "log_stats", "_health_json", "_trace_scopes",
    "Meter", "Counter", "BoundCounter", "UpDownCounter", "BoundUpDownCounter", "Histogram", "BoundHistogram",
    "Gauge", "BoundGauge", "Timer", "Observation", "CallbackOptions", "ObservableCounter",
    "ObservableUpDownCounter", "ObservableGauge", "Logger", "TraceContext", "_trace_context_var",
]

__version__: str

_AttributeValue = Union[str, bool, int, float, Sequence[str], Sequence[bool], Sequence[int], Sequence[float]]
_Attributes = Optional[Mapping[str, _AttributeValue]]
_SettingValue = Union[str, bool, int, float, Sequence[str], Mapping[str, str], None]
_Number = Union[int, float]
_ValueType = Optional[Union[Type[int], Type[float]]]
_Callback = Union[
    Callable[["CallbackOptions"], Iterable["Observation"]],
    Generator[Iterable["Observation"], "CallbackOptions", None],
]
_F = TypeVar("_F", bound=Callable[..., Any])

class OtelrsError(Exception): ...
class ConfigError(OtelrsError): ...
class ConflictError(OtelrsError): ...
class ShutdownError(OtelrsError): ...
class ExportError(OtelrsError): ...

_ViewValue = Union[str, int, float, bool, Sequence[Union[str, int, float]]]
_View = Union[str, Mapping[str, _ViewValue]]

def init(
    settings: Optional[Mapping[str, _SettingValue]] = None,
    *,
    views: Optional[Sequence[_View]] = None,
    **kwargs: _SettingValue,
) -> None: ...
def force_flush(timeout: float = 30.0) -> None: ...
def shutdown(timeout: float = 30.0) -> None: ...
def _shutdown_at_exit() -> None: ...
def get_meter(name: str, version: Optional[str] = None) -> Meter: ...
def get_logger(name: str, version: Optional[str] = None) -> Logger: ...
def collect_json() -> str: ...
def log_stats() -> Dict[str, int]: ...
def _health_json() -> str: ...
def _trace_scopes(delta: int) -> None: ...

_trace_context_var: contextvars.ContextVar[Optional[TraceContext]]

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
        explicit_bucket_boundaries_advisory: Optional[Sequence[float]] = None,
        value_type: _ValueType = None,
    ) -> Histogram: ...
    def create_gauge(
        self, name: str, unit: str = "", description: str = "", *, value_type: _ValueType = None
    ) -> Gauge: ...
    def create_observable_counter(
        self,
        name: str,
        callbacks: Optional[Sequence[_Callback]] = None,
        unit: str = "",
        description: str = "",
        *,
        value_type: _ValueType = None,
    ) -> ObservableCounter: ...
    def create_observable_up_down_counter(
        self,
        name: str,
        callbacks: Optional[Sequence[_Callback]] = None,
        unit: str = "",
        description: str = "",
        *,
        value_type: _ValueType = None,
    ) -> ObservableUpDownCounter: ...
    def create_observable_gauge(
        self,
        name: str,
        callbacks: Optional[Sequence[_Callback]] = None,
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
    def add(self, amount: _Number, attributes: _Attributes = None) -> None: ...
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
    def add(self, amount: _Number, attributes: _Attributes = None) -> None: ...
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
    def record(self, amount: _Number, attributes: _Attributes = None) -> None: ...
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
    def set(self, amount: _Number, attributes: _Attributes = None) -> None: ...
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
    def attributes(self) -> Optional[Dict[str, _AttributeValue]]: ...

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

_TraceParent = Optional[Union[str, TraceContext]]

@final
class Logger:
    def debug(self, body: object, *, attributes: Optional[Mapping[str, Any]] = None, traceparent: _TraceParent = None) -> None: ...
    def info(self, body: object, *, attributes: Optional[Mapping[str, Any]] = None, traceparent: _TraceParent = None) -> None: ...
    def warning(self, body: object, *, attributes: Optional[Mapping[str, Any]] = None, traceparent: _TraceParent = None) -> None: ...
    def error(self, body: object, *, attributes: Optional[Mapping[str, Any]] = None, traceparent: _TraceParent = None) -> None: ...
    def critical(self, body: object, *, attributes: Optional[Mapping[str, Any]] = None, traceparent: _TraceParent = None) -> None: ...
    def exception(
        self,
        body: object,
        *,
        attributes: Optional[Mapping[str, Any]] = None,
        traceparent: _TraceParent = None,
        exc: Optional[BaseException] = None,
    ) -> None: ...
    def emit(
        self,
        body: object,
        severity: Optional[int] = None,
        *,
        attributes: Optional[Mapping[str, Any]] = None,
        event_name: Optional[str] = None,
        timestamp: Optional[Union[float, datetime.datetime]] = None,
        traceparent: _TraceParent = None,
        exc: Optional[BaseException] = None,
    ) -> None: ...
    def _emit_logging(self, record: logging.LogRecord, severity: int, handler: Optional[logging.Handler], /) -> None: ...
    def enabled(self, severity: int) -> bool: ...
    def stats(self) -> Dict[str, int]: ...
