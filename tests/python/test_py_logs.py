"""Logs from Python: the logger methods, attributes, exceptions, trace context (explicit, from
`otelrs.traceparent`, from opentelemetry-api's current span), and `otelrs.LoggingHandler` for
the standard library, read back from the JSON-lines file exporter."""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List, Tuple

from helpers import attributes, body, env, log_records, ok

TRACE_A = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")


def logged(tmp_path: pathlib.Path, code: str, **settings: str) -> List[Tuple[str, Dict[str, Any]]]:
    path = tmp_path / "logs.jsonl"
    ok(
        """
        import logging, otelrs
        """
        + code
        + """
        otelrs.shutdown()
        """,
        env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="file", OTELRS_EXPORTER_FILE_LOGS_PATH=str(path),
            **settings),
    )
    return log_records(path)


def by_body(records: List[Tuple[str, Dict[str, Any]]]) -> Dict[Any, Dict[str, Any]]:
    return {body(r): r for _, r in records}


def test_logger_methods_attributes_events_and_exceptions(tmp_path: pathlib.Path) -> None:
    records = logged(
        tmp_path,
        """
        log = otelrs.get_logger("shop", "2.0")
        log.debug("d")
        log.info("i", attributes={"order.id": 42, "paid": True, "tags": ["a", "b"], "ratio": 0.5})
        log.warning("w")
        log.error("e")
        log.critical("c")
        log.emit("an event", otelrs.Severity.WARN2, event_name="order.refused", timestamp=1700000000.25)
        log.emit({"structured": 1})
        try:
            raise KeyError("missing")
        except KeyError:
            log.exception("failed")
        """,
    )
    assert {scope for scope, _ in records} == {"shop"}
    got = by_body(records)
    assert {b: (r["severityNumber"], r["severityText"]) for b, r in got.items() if b and b in "diwec"} == {
        "d": (5, "DEBUG"), "i": (9, "INFO"), "w": (13, "WARN"), "e": (17, "ERROR"), "c": (21, "FATAL"),
    }
    assert attributes(got["i"]["attributes"]) == {"order.id": 42, "paid": True, "tags": ("a", "b"), "ratio": 0.5}
    event = got["an event"]
    assert event["eventName"] == "order.refused" and event["severityNumber"] == 14
    assert event["timeUnixNano"] == "1700000000250000000"
    # A dict body is exported as the structured value it is.
    assert got[None]["body"] == {"kvlistValue": {"values": [{"key": "structured", "value": {"intValue": "1"}}]}}
    failed = attributes(got["failed"]["attributes"])
    assert failed["exception.type"] == "KeyError" and failed["exception.message"] == "'missing'"
    assert "Traceback (most recent call last)" in failed["exception.stacktrace"]
    assert "KeyError: 'missing'" in failed["exception.stacktrace"]


def test_trace_context_explicit_scoped_and_from_opentelemetry_api(tmp_path: pathlib.Path) -> None:
    records = logged(
        tmp_path,
        """
        import asyncio
        from opentelemetry import trace
        log = otelrs.get_logger("svc")
        tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        log.info("explicit", traceparent=tp)
        with otelrs.traceparent(tp) as ctx:
            assert ctx.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
            log.info("scoped")
            async def task():
                log.info("in a task")
            asyncio.run(task())
        log.info("after")
        span = trace.NonRecordingSpan(trace.SpanContext(
            trace_id=0x0af7651916cd43dd8448eb211c80319c, span_id=0xb7ad6b7169203331, is_remote=False,
            trace_flags=trace.TraceFlags(1)))
        with trace.use_span(span):
            log.info("in an opentelemetry span")
        for bad in ("00-xyz", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"):
            try:
                log.info("never", traceparent=bad)
            except ValueError as e:
                print("ValueError", e)
        """,
    )
    got = by_body(records)

    def trace_of(b: str) -> Any:
        r = got[b]
        return (r["traceId"], r["spanId"]) if r.get("traceId") else None

    assert trace_of("explicit") == TRACE_A and got["explicit"]["flags"] == 1
    assert trace_of("scoped") == TRACE_A and trace_of("in a task") == TRACE_A
    assert trace_of("after") is None
    assert trace_of("in an opentelemetry span") == ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    assert "never" not in got


def test_logging_handler_maps_levels_formats_extras_exceptions_and_code(tmp_path: pathlib.Path) -> None:
    records = logged(
        tmp_path,
        """
        root = logging.getLogger()
        root.setLevel(logging.DEBUG)
        root.addHandler(otelrs.LoggingHandler())
        app = logging.getLogger("app.orders")
        def place():
            app.info("order %s placed for %d", "A-1", 3, extra={"order.id": "A-1", "weird": object()})
        place()
        app.debug("debug")
        app.warning("warn")
        app.error("error")
        app.critical("critical")
        app.log(25, "between info and warning")
        try:
            1 / 0
        except ZeroDivisionError:
            app.exception("division")
        logging.getLogger("otelrs").warning("otelrs's own record is left out")
        """,
    )
    got = by_body(records)
    assert "otelrs's own record is left out" not in got
    placed = got["order A-1 placed for 3"]
    assert {scope for scope, r in records} == {"app.orders"}
    attrs = attributes(placed["attributes"])
    assert attrs["order.id"] == "A-1" and attrs["weird"].startswith("<object object")
    assert attrs["code.function.name"] == "place" and attrs["code.line.number"] == 9
    assert attrs["code.file.path"] == "<string>"
    assert placed["severityNumber"] == 9
    assert {b: got[b]["severityNumber"] for b in ("debug", "warn", "error", "critical")} == {
        "debug": 5, "warn": 13, "error": 17, "critical": 21}
    assert got["between info and warning"]["severityNumber"] == 11
    assert int(placed["timeUnixNano"]) > 0
    division = attributes(got["division"]["attributes"])
    assert division["exception.type"] == "ZeroDivisionError"
    assert division["exception.message"] == "division by zero"
    assert "ZeroDivisionError: division by zero" in division["exception.stacktrace"]


def test_logging_handler_uses_its_formatter_and_the_minimum_severity(tmp_path: pathlib.Path) -> None:
    records = logged(
        tmp_path,
        """
        handler = otelrs.LoggingHandler()
        handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
        log = logging.getLogger("fmt")
        log.setLevel(logging.DEBUG)
        log.addHandler(handler)
        log.debug("dropped by OTELRS_LOGS_MIN_SEVERITY")
        log.warning("kept %d", 1)
        print(otelrs.log_stats())
        """,
        OTELRS_LOGS_MIN_SEVERITY="info",
    )
    assert [body(r) for _, r in records] == ["[WARNING] kept 1"]


def test_json_lines_on_standard_output_for_container_platforms() -> None:
    out = ok(
        """
        import logging, otelrs
        otelrs.init(service_name="web", metrics_exporter="none", logs_exporter="console",
                    exporter_console_logs_format="json")
        log = logging.getLogger("app.http")
        log.addHandler(otelrs.LoggingHandler())
        log.warning("slow request %s", "/users", extra={"http.route": "/users", "duration": 1.5})
        try:
            {}["missing"]
        except KeyError:
            log.exception("lookup failed")
        otelrs.shutdown()
        """,
        env(),
    )
    records = [json.loads(line) for line in out.splitlines()]  # every line is one record's object
    assert [(r["body"], r["severityNumber"], r["severityText"]) for r in records] == [
        ("slow request /users", 13, "WARN"), ("lookup failed", 17, "ERROR")]
    slow, failed = records
    assert slow["attributes"]["http.route"] == "/users" and slow["attributes"]["duration"] == 1.5
    assert slow["scope"]["name"] == "app.http" and slow["resource"]["service.name"] == "web"
    assert failed["attributes"]["exception.type"] == "KeyError"
    assert "Traceback" in failed["attributes"]["exception.stacktrace"]


def test_a_disabled_sdk_takes_every_call_and_writes_nothing(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "logs.jsonl"
    ok(
        """
        import logging, otelrs
        logging.getLogger().addHandler(otelrs.LoggingHandler())
        logging.getLogger().warning("nothing")
        otelrs.get_logger("x").error("nothing")
        otelrs.get_meter("m").create_counter("c").add(1, {"a": 1})
        otelrs.force_flush()
        """,
        env(OTEL_SDK_DISABLED="true", OTEL_LOGS_EXPORTER="file", OTELRS_EXPORTER_FILE_LOGS_PATH=str(path)),
    )
    assert not path.exists()


def test_logging_handler_messages_as_getmessage_makes_them(tmp_path: pathlib.Path) -> None:
    records = logged(
        tmp_path,
        """
        log = logging.getLogger("msgs")
        log.addHandler(otelrs.LoggingHandler())
        log.warning("%(user)s logged in %(n)d times", {"user": "bob", "n": 3})
        log.warning({"not": "a string"})
        log.warning("100% literal")
        class Upper(logging.LogRecord):
            def getMessage(self) -> str:
                return super().getMessage().upper()
        logging.setLogRecordFactory(Upper)
        log.warning("from a %s", "factory")
        """,
    )
    assert [body(r) for _, r in records] == [
        "bob logged in 3 times", "{'not': 'a string'}", "100% literal", "FROM A FACTORY"]


def test_logging_handler_leaves_out_none_and_keeps_stack_info(tmp_path: pathlib.Path) -> None:
    records = logged(
        tmp_path,
        """
        log = logging.getLogger("extras")
        log.addHandler(otelrs.LoggingHandler())
        def where():
            log.warning("with a stack", extra={"user": None, "shard": 3}, stack_info=True)
        where()
        """,
    )
    (record,) = [r for _, r in records]
    attrs = attributes(record["attributes"])
    assert "user" not in attrs and attrs["shard"] == 3
    assert attrs["code.stacktrace"].startswith("Stack (most recent call last):")
    assert "in where" in attrs["code.stacktrace"]


def test_health_rules_and_the_health_callback() -> None:
    out = ok(
        """
        import json, threading, otelrs
        told = []
        changed = threading.Event()
        def on_change(status, report):
            told.append((status, report["rules"][0], threading.current_thread() is threading.main_thread()))
            changed.set()
        otelrs.init(metrics_exporter="none", logs_exporter="discard", health_rules="error_logs_per_minute>1",
                    health_interval=50, on_health_change=on_change)
        log = otelrs.get_logger("app")
        log.error("a")
        log.critical("b")
        assert changed.wait(10)
        print(json.dumps([told, otelrs.health()["status"]]))
        otelrs.shutdown()
        for bad in ({"on_health_change": 3}, {"health_rules": "cpu>1"}):
            try:
                otelrs.init(metrics_exporter="none", logs_exporter="none", **bad)
            except (TypeError, otelrs.ConfigError) as e:
                print(type(e).__name__, e)
        """,
        env(),
    )
    first, bad_callback, bad_rule = out.splitlines()
    told, status = json.loads(first)
    # Told once, on otelrs's thread.
    assert told == [["degraded", {"rule": "error_logs_per_minute>1", "value": 2.0, "status": "degraded"}, False]]
    assert status == "degraded"
    assert bad_callback == "TypeError on_health_change must be callable (status, report), got int"
    assert bad_rule.startswith("ConfigError ") and 'unknown reading "cpu"' in bad_rule


def test_a_configuration_file_from_init(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "otel.yaml"
    path.write_text(
        'file_format: "1.0"\n'
        "resource:\n  attributes:\n    - name: service.name\n      value: ${SERVICE}\n"
        "logger_provider:\n  processors:\n    - batch:\n        exporter:\n          console:\n"
        "otelrs:\n  exporter_console_logs_format: json\n"
    )
    out = ok(
        f"""
        import json, otelrs
        otelrs.init(config_file={str(path)!r}, logs_min_severity="warn")
        log = otelrs.get_logger("app")
        log.info("left out by the setting from code")
        log.warning("kept")
        otelrs.shutdown()
        path = {str(tmp_path / "bad.yaml")!r}
        open(path, "w").write('file_format: "1.0"\\nlogger_provider:\\n  processors: 3\\n')
        try:
            otelrs.init(config_file=path)
        except otelrs.ConfigError as e:
            print("ConfigError", e)
        """,
        env(SERVICE="py-shop", OTEL_LOGS_EXPORTER="otlp"),
    )
    record, error = out.splitlines()
    got = json.loads(record)
    assert (got["body"], got["resource"]["service.name"]) == ("kept", "py-shop")
    assert error.endswith("bad.yaml: logger_provider.processors: expected a list")
