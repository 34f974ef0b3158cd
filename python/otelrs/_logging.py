"""`otelrs.LoggingHandler`: records of the standard library's `logging` become otelrs log
records, one otelrs logger per `logging` logger name."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from otelrs._otelrs import Logger, get_logger

# What every LogRecord carries; anything else on a record came from `extra=`.
_PLAIN = vars(logging.LogRecord("", 0, "", 0, "", (), None))
_STANDARD = frozenset(_PLAIN) | {"message", "asctime", "taskName"}
_PLAIN_LEN = len(_PLAIN)


def severity_number(levelno: int) -> int:
    """The OpenTelemetry severity of a `logging` level: DEBUG 5, INFO 9, WARNING 13, ERROR 17,
    CRITICAL 21; levels in between take the numbers in between; below DEBUG is TRACE."""
    if levelno < 10:
        return 1 + min(3, max(0, levelno) * 4 // 10)
    return min(24, 1 + 4 * (levelno // 10) + min(3, (levelno % 10) * 4 // 10))


_SEVERITY = {levelno: severity_number(levelno) for levelno in range(0, 61)}


class LoggingHandler(logging.Handler):
    """Sends `logging` records to otelrs: the message with its arguments applied (or the
    handler's formatter's output when it has one), `extra` fields as attributes, the source
    location as code.file.path / code.function.name / code.line.number, and an exception as
    exception.type / .message / .stacktrace. Records of otelrs's own `otelrs` logger are left
    out, so that nothing loops."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._loggers: Dict[str, Logger] = {}

    def handle(self, record: logging.LogRecord) -> Any:
        # otelrs's loggers are thread-safe: no handler lock around emit.
        rv = self.filter(record)
        if rv:
            self.emit(rv if isinstance(rv, logging.LogRecord) else record)
        return rv

    def emit(self, record: logging.LogRecord) -> None:
        try:
            name = record.name
            logger = self._loggers.get(name)
            if logger is None:
                if name == "otelrs" or name.startswith("otelrs."):
                    return
                logger = self._loggers[name] = get_logger(name)
            levelno = record.levelno
            severity = _SEVERITY.get(levelno) or severity_number(levelno)
            if not logger.enabled(severity):
                logger._record(severity, "", None, 0.0, None, "", "", 0)  # counted as filtered
                return
            body = self.format(record) if self.formatter is not None else record.getMessage()
            fields = record.__dict__
            extra: Optional[Dict[str, Any]] = None
            if len(fields) != _PLAIN_LEN:
                extra = {key: fields[key] for key in fields.keys() - _STANDARD}
            exc_info = record.exc_info
            exc = exc_info[1] if exc_info else None
            logger._record(severity, body, extra, record.created, exc, record.pathname, record.funcName or "",
                           record.lineno)
        except Exception:
            self.handleError(record)
