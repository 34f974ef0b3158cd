"""otelrs behind the OpenTelemetry Python API (opentelemetry-api): every library that records
through `opentelemetry.metrics` (the `opentelemetry-instrumentation-*` packages among them)
records through otelrs.

    import otelrs.otel_api
    otelrs.otel_api.install()          # otelrs set up from the OTEL_* environment if it is not yet

or with no code at all, through the API's own mechanism: `OTEL_PYTHON_METER_PROVIDER=otelrs`.
Meters and instruments taken from the API before `install` (its proxies) record through otelrs
from then on. A measurement goes straight to an otelrs instrument, so it costs what it costs
through otelrs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Callable, TypeVar, cast

from opentelemetry import _logs
from opentelemetry import metrics as _api
from opentelemetry.context import Context
from opentelemetry.trace import get_current_span
from opentelemetry.util.types import AnyValue, Attributes

import otelrs
from otelrs import _otelrs

__all__ = ["Logger", "LoggerProvider", "Meter", "MeterProvider", "install"]

_logger = logging.getLogger("otelrs")
_T = TypeVar("_T")

# The otelrs instruments the API's meter returns as they are (counters, up-down counters and
# gauges are the classes below): registered as virtual subclasses of the API's classes.
for _ours, _theirs in (
    (_otelrs.Histogram, _api.Histogram),
    (_otelrs.ObservableCounter, _api.ObservableCounter),
    (_otelrs.ObservableUpDownCounter, _api.ObservableUpDownCounter),
    (_otelrs.ObservableGauge, _api.ObservableGauge),
):
    _theirs.register(_ours)


class _Typed:
    """A counter, up-down counter or gauge of the API whose number type its first value decides,
    as opentelemetry-sdk exports it: an int instrument of otelrs when the first value is an int,
    a float one otherwise. The first call makes it; from then on the recording method is the
    otelrs instrument's own (set on this object), so a call costs what it costs through otelrs.
    A float recorded after an int is dropped, counted and reported once, as a bad value is."""

    _method = "add"
    _create: Callable[[type[int] | None], Any]

    def _init(self, meter: Meter, create: Callable[..., Any], name: str, unit: str, description: str) -> None:
        _otelrs._check_instrument(name, unit)  # a bad name or unit raises now, as the SDK's does
        self._name, self._meter_name = name, meter.name
        self._create = lambda value_type: create(name, unit, description, value_type=value_type)
        self._lock = threading.Lock()

    def _first(self, amount: object) -> Callable[..., None]:
        with self._lock:
            made = self.__dict__.get(self._method)
            if made is not None:
                return cast(Callable[..., None], made)
            order = (int, None) if type(amount) is int else (None, int)
            try:
                try:
                    instrument = self._create(order[0])
                except otelrs.ConflictError:
                    # The stream exists with the other number type (made by another meter).
                    instrument = self._create(order[1])
                method = getattr(instrument, self._method)
            except otelrs.OtelrsError as e:  # a conflict, or otelrs shut down: recording never raises
                _logger.warning("instrument %r of meter %r records nothing: %s", self._name, self._meter_name, e)
                method = _discard
            setattr(self, self._method, method)
            return cast(Callable[..., None], method)


def _discard(amount: object, attributes: object = None, context: object = None) -> None:
    """What an instrument that cannot record does with a measurement."""


class _Counter(_Typed, _api.Counter):
    def __init__(self, meter: Meter, name: str, unit: str, description: str) -> None:
        _api.Counter.__init__(self, name, unit, description)
        self._init(meter, meter._meter.create_counter, name, unit, description)

    def add(self, amount: float, attributes: Attributes | None = None, context: Any = None) -> None:
        self._first(amount)(amount, attributes, context)


class _UpDownCounter(_Typed, _api.UpDownCounter):
    def __init__(self, meter: Meter, name: str, unit: str, description: str) -> None:
        _api.UpDownCounter.__init__(self, name, unit, description)
        self._init(meter, meter._meter.create_up_down_counter, name, unit, description)

    def add(self, amount: float, attributes: Attributes | None = None, context: Any = None) -> None:
        self._first(amount)(amount, attributes, context)


class _Gauge(_Typed, _api._Gauge):
    _method = "set"

    def __init__(self, meter: Meter, name: str, unit: str, description: str) -> None:
        _api._Gauge.__init__(self, name, unit, description)
        self._init(meter, meter._meter.create_gauge, name, unit, description)

    def set(self, amount: float, attributes: Attributes | None = None, context: Any = None) -> None:
        self._first(amount)(amount, attributes, context)


class MeterProvider(_api.MeterProvider):
    """The API's MeterProvider over otelrs: `get_meter` gives meters whose instruments record
    through otelrs (set up from the OTEL_* environment at the first meter when the program did
    not call `otelrs.init`)."""

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes | None = None,
    ) -> _api.Meter:
        if not name:
            # As opentelemetry-sdk: a warning, not an error (the API never raises).
            _logger.warning("opentelemetry-api asked for a meter without a name: its instruments record nothing")
            return _api.NoOpMeter(name, version=version, schema_url=schema_url)
        return Meter(name, version, schema_url, attributes)


class Meter(_api.Meter):
    """The API's Meter over an otelrs meter of the same scope."""

    def __init__(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes | None = None,
    ) -> None:
        super().__init__(name, version=version, schema_url=schema_url)
        self._meter = otelrs.get_meter(name, version, schema_url, cast(Any, attributes))

    def _create(self, name: str, make: Callable[[], object], noop: Callable[[], _T]) -> _T:
        try:
            # otelrs's instruments are registered subclasses of the API's (above).
            return cast(_T, make())
        except otelrs.ConflictError as e:
            # The API never raises for a conflict: the instrument already made keeps the name.
            _logger.warning("instrument %r of meter %r records nothing: %s", name, self.name, e)
            return noop()

    def create_counter(self, name: str, unit: str = "", description: str = "") -> _api.Counter:
        return _Counter(self, name, unit, description)

    def create_up_down_counter(self, name: str, unit: str = "", description: str = "") -> _api.UpDownCounter:
        return _UpDownCounter(self, name, unit, description)

    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        *,
        explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
    ) -> _api.Histogram:
        boundaries = explicit_bucket_boundaries_advisory
        return self._create(
            name,
            lambda: self._meter.create_histogram(
                name, unit, description, explicit_bucket_boundaries_advisory=boundaries
            ),
            lambda: _api.NoOpHistogram(name),
        )

    def create_gauge(self, name: str, unit: str = "", description: str = "") -> _api._Gauge:
        return _Gauge(self, name, unit, description)

    def _observable(self, make: Callable[..., object], noop: Callable[[str], _T], name: str,
                    callbacks: Sequence[_api.CallbackT] | None, unit: str, description: str) -> _T:
        return self._create(name, lambda: make(name, cast(Any, callbacks), unit, description), lambda: noop(name))

    def create_observable_counter(
        self, name: str, callbacks: Sequence[_api.CallbackT] | None = None, unit: str = "", description: str = ""
    ) -> _api.ObservableCounter:
        return self._observable(self._meter.create_observable_counter, _api.NoOpObservableCounter, name, callbacks,
                                unit, description)

    def create_observable_up_down_counter(
        self, name: str, callbacks: Sequence[_api.CallbackT] | None = None, unit: str = "", description: str = ""
    ) -> _api.ObservableUpDownCounter:
        return self._observable(self._meter.create_observable_up_down_counter, _api.NoOpObservableUpDownCounter,
                                name, callbacks, unit, description)

    def create_observable_gauge(
        self, name: str, callbacks: Sequence[_api.CallbackT] | None = None, unit: str = "", description: str = ""
    ) -> _api.ObservableGauge:
        return self._observable(self._meter.create_observable_gauge, _api.NoOpObservableGauge, name, callbacks,
                                unit, description)


class LoggerProvider(_logs.LoggerProvider):
    """The API's LoggerProvider over otelrs: its loggers emit through otelrs's (set up from the
    OTEL_* environment at the first logger when the program did not call `otelrs.init`)."""

    def get_logger(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes | None = None,
    ) -> _logs.Logger:
        if not name:
            _logger.warning("opentelemetry-api asked for a logger without a name: it emits nothing")
            return _logs.NoOpLogger(name, version=version, schema_url=schema_url)
        return Logger(name, version, schema_url, attributes)


class Logger(_logs.Logger):
    """The API's Logger over an otelrs logger of the same scope. A record's trace context is its
    `context`'s span (the current one when none is given, as the API's LogRecord has it); its
    body any value of the API (a string, a dict, a list, a number, bytes, or none); a record
    without a severity number is exported without one, as opentelemetry-sdk exports it (it
    passes otelrs's minimum severity, as the specification lets such records through)."""

    def __init__(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes | None = None,
    ) -> None:
        super().__init__(name, version, schema_url, attributes)
        self._otelrs = otelrs.get_logger(name, version, schema_url, cast(Any, attributes))

    def emit(
        self,
        record: _logs.LogRecord | None = None,
        *,
        timestamp: int | None = None,
        observed_timestamp: int | None = None,
        context: Context | None = None,
        severity_number: _logs.SeverityNumber | None = None,
        severity_text: str | None = None,
        body: AnyValue | None = None,
        attributes: Attributes | None = None,
        event_name: str | None = None,
        exception: BaseException | None = None,
    ) -> None:
        if record is not None:
            span = (record.trace_id, record.span_id, int(record.trace_flags or 0))
            timestamp, severity_number, body = record.timestamp, record.severity_number, record.body
            severity_text = record.severity_text
            attributes, event_name = record.attributes, record.event_name
            exception = getattr(record, "exception", None)
        else:
            sc = get_current_span(context).get_span_context()
            span = (sc.trace_id, sc.span_id, int(sc.trace_flags))
        trace_id, span_id, flags = span
        self._otelrs.emit(
            body,
            severity_number.value if severity_number is not None else otelrs.Severity.UNSPECIFIED,
            attributes=cast(Any, attributes),
            event_name=event_name,
            timestamp_ns=timestamp,
            traceparent=f"00-{trace_id:032x}-{span_id:016x}-{flags & 0xFF:02x}" if trace_id and span_id else None,
            exc=exception,
            # As opentelemetry-sdk: a record's severity text is the one given, or none.
            severity_text=severity_text if severity_text is not None else "",
        )

    def enabled(
        self,
        *,
        context: Context | None = None,
        severity_number: _logs.SeverityNumber | None = None,
        event_name: str | None = None,
    ) -> bool:
        return self._otelrs.enabled(
            severity_number.value if severity_number is not None else otelrs.Severity.UNSPECIFIED
        )


def install() -> None:
    """Makes otelrs opentelemetry-api's global MeterProvider and LoggerProvider (the meters,
    instruments and loggers taken from the API before record through otelrs from now on). Sets
    otelrs up from the OTEL_* environment when the program did not call `otelrs.init`."""
    otelrs.get_meter("otelrs")  # set up now: a bad setting is an error of this call
    _api.set_meter_provider(MeterProvider())
    _logs.set_logger_provider(LoggerProvider())
    providers = (("MeterProvider", _api.get_meter_provider()), ("LoggerProvider", _logs.get_logger_provider()))
    for kind, current in providers:
        if not isinstance(current, (MeterProvider, LoggerProvider)):
            raise otelrs.ConfigError(
                f"opentelemetry-api has another {kind} already (it takes one only): {type(current).__name__}"
            )
