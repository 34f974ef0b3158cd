"""`otelrs.LoggingHandler`: records of the standard library's `logging` become otelrs log
records, one otelrs logger per `logging` logger name."""

from __future__ import annotations

import logging
import threading
from typing import Any, Dict, Optional

from otelrs._otelrs import Logger, get_logger

# What every LogRecord carries; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def severity_number(levelno: int) -> int:
    """The OpenTelemetry severity of a `logging` level: DEBUG 5, INFO 9, WARNING 13, ERROR 17,
    CRITICAL 21; levels in between take the numbers in between; below DEBUG is TRACE."""
    if levelno < 10:
        return 1 + min(3, max(0, levelno) * 4 // 10)
    return min(24, 1 + 4 * (levelno // 10) + min(3, (levelno % 10) * 4 // 10))


class LoggingHandler(logging.Handler):
    """Sends `logging` records to otelrs: the message with its arguments applied (or the
    handler's formatter's output when it has one), `extra` fields as attributes, the source
    location as code.file.path / code.function.name / code.line.number, and an exception as
    exception.type / .message / .stacktrace. Records of otelrs's own `otelrs` logger are left
    out, so that nothing loops."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._loggers: Dict[str, Logger] = {}
        self._busy = threading.local()

    def handle(self, record: logging.LogRecord) -> Any:
        # otelrs's loggers are thread-safe: no handler lock around emit.
        rv = self.filter(record)
        if rv:
            self.emit(rv if isinstance(rv, logging.LogRecord) else record)
        return rv

    def _logger(self, name: str) -> Logger:
        logger = self._loggers.get(name)
        if logger is None:
            logger = self._loggers[name] = get_logger(name)
        return logger

    def emit(self, record: logging.LogRecord) -> None:
        name = record.name
        if name == "otelrs" or name.startswith("otelrs.") or getattr(self._busy, "on", False):
            return
        self._busy.on = True
        try:
            logger = self._logger(name)
            severity = severity_number(record.levelno)
            if not logger.enabled(severity):
                logger._record(severity, "", None, None, None)  # counted as filtered
                return
            body = self.format(record) if self.formatter is not None else record.getMessage()
            attributes: Dict[str, Any] = {
                "code.file.path": record.pathname,
                "code.function.name": record.funcName,
                "code.line.number": record.lineno,
            }
            extra = record.__dict__.keys() - _STANDARD
            for key in extra:
                attributes[key] = record.__dict__[key]
            exc: Optional[BaseException] = None
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
            logger._record(severity, body, attributes, record.created, exc)
        except Exception:
            self.handleError(record)
        finally:
            self._busy.on = False
