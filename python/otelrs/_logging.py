"""`otelrs.LoggingHandler`: records of the standard library's `logging` become otelrs log
records, one otelrs logger per `logging` logger name."""

from __future__ import annotations

import logging
from typing import Any

from otelrs._otelrs import Logger, get_logger


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
        self._loggers: dict[str, Logger | None] = {}

    def handle(self, record: logging.LogRecord) -> Any:
        # otelrs's loggers are thread-safe: no handler lock around emit.
        if self.filters:
            rv = self.filter(record)
            if not rv:
                return rv
            if isinstance(rv, logging.LogRecord):
                record = rv
        self.emit(record)
        return record

    def _logger(self, name: str) -> Logger | None:
        logger = None if name == "otelrs" or name.startswith("otelrs.") else get_logger(name)
        self._loggers[name] = logger
        return logger

    def emit(self, record: logging.LogRecord) -> None:
        try:
            name = record.name
            logger = self._loggers[name] if name in self._loggers else self._logger(name)
            if logger is not None:
                levelno = record.levelno
                logger._emit_logging(record, _SEVERITY.get(levelno) or severity_number(levelno),
                                     self if self.formatter is not None else None)
        except Exception:  # noqa: BLE001 (a logging handler reports every failure through handleError)
            self.handleError(record)
