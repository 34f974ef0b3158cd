"""Bad input from Python: creating things with wrong types raises TypeError and with bad values
ValueError, naming what was wrong (and so does recording with OTELRS_STRICT=true); settings
errors raise otelrs.ConfigError; by default a bad measurement is dropped, counted and reported
once per instrument; nothing recorded before is lost."""

from __future__ import annotations

import json
import pathlib

from helpers import body, env, log_records, metrics, number, ok, points, run_py

MEMORY = env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", OTELRS_STRICT="true")


def raises(code: str, environ: dict[str, str] = MEMORY) -> list[str]:
    """Runs each line of `code` (after the setup) and returns "ExceptionType: message" per line."""
    lines = [line.strip() for line in code.strip().splitlines()]
    out = ok(
        """
        import otelrs
        meter = otelrs.get_meter("py.errors")
        c = meter.create_counter("py.c")
        c.add(1, {"k": "v"})
        h = meter.create_histogram("py.h")
        lines = %r
        for line in lines:
            try:
                exec(line)
                print("no error")
            except Exception as e:
                print(type(e).__name__ + ": " + str(e))
        print(otelrs.collect_json())
        """
        % lines,
        environ,
    )
    *messages, collected = out.splitlines()
    assert number(points(metrics(json.loads(collected))["py.c"])[frozenset({("k", "v")})]) == 1
    return messages


def test_wrong_types_and_values_name_what_was_wrong() -> None:
    got = raises(
        """
        c.add("1")
        c.add(-1)
        c.add(1, {"k": object()})
        c.add(1, {3: "v"})
        c.add(1, {"": "v"})
        c.add(1, ["not", "a", "dict"])
        c.add(1, {"k": [1, "mixed"]})
        c.add(1, {"k": 2**70})
        c.add(1, {"k": "\\ud800"})
        h.record(float("nan"))
        meter.create_counter("9bad")
        meter.create_counter("py.c", value_type=str)
        meter.create_observable_gauge("py.g", callbacks=[42])
        meter.create_up_down_counter("py.c")
        meter.create_histogram("py.h2").bind({"k": {}})
        otelrs.get_meter("")
        type(c.bind({"k": "v"}))()
        c.bind({"k": "v"}).add(-1.5)
        meter.create_counter("py.ints", value_type=int).bind().add(2**64)
        """
    )
    expected = [
        "TypeError: instrument \"py.c\" records numbers, got str",
        "ValueError: instrument \"py.c\": a counter takes no negative value, got -1",
        "TypeError: attribute \"k\": values must be str, bool, int, float or a list or tuple of one of them, got object",
        "TypeError: attribute keys must be str, got int (3)",
        "ValueError: attribute keys must not be empty",
        "TypeError: attributes must be a dict, got list",
        "TypeError: attribute \"k\": the items of an array must all have one type",
        "ValueError: attribute \"k\": 1180591620717411303424 does not fit in 64 bits",
        "ValueError: invalid text:",
        "ValueError: instrument \"py.h\": NaN is not a finite number",
        "ValueError: invalid instrument name",
        "TypeError: value_type must be int or float, got <class 'str'>",
        "TypeError: callbacks: int is neither a function nor a generator",
        "ConflictError:",
        "TypeError: attribute \"k\": values must be",
        "ValueError: a meter or logger needs a non-empty scope name",
        "TypeError: bound instruments are made by bind(attributes) on an instrument",
        "ValueError: instrument \"py.c\": a counter takes no negative value, got -1.5",
        "ValueError: instrument \"py.ints\" takes no negative value (or one beyond 64 bits), got 18446744073709551616",
    ]
    assert len(got) == len(expected)
    for message, start in zip(got, expected):
        assert message.startswith(start), (message, start)


def test_unknown_settings_and_bad_values_raise_config_error() -> None:
    out = ok(
        """
        import otelrs
        for kwargs in ({"no_such_setting": 1}, {"metric_export_interval": "soon"}, {"metrics_exporter": "carrier-pigeon"}):
            try:
                otelrs.init(**kwargs)
            except otelrs.ConfigError as e:
                print("ConfigError:", e)
        try:
            otelrs.init({"OTEL_NOPE": "1"})
        except otelrs.ConfigError as e:
            print("ConfigError:", e)
        """,
        env(),
    )
    lines = out.splitlines()
    assert lines[0].startswith('ConfigError: unknown setting "no_such_setting"')
    assert "OTEL_METRIC_EXPORT_INTERVAL" in lines[1] and "soon" in lines[1]
    assert "OTEL_METRICS_EXPORTER" in lines[2] and "carrier-pigeon" in lines[2]
    assert lines[3].startswith('ConfigError: unknown setting "OTEL_NOPE"')


def test_settings_from_code_override_the_environment_and_init_twice_is_an_error() -> None:
    out = ok(
        """
        import json, otelrs
        # A keyword's dict replaces the same key's dict from the settings dict.
        otelrs.init({"OTEL_RESOURCE_ATTRIBUTES": {"replaced": "yes"}}, service_name="from-code",
                    metrics_exporter="memory", logs_exporter="none",
                    resource_attributes={"deployment.environment.name": "a,b=c"})
        try:
            otelrs.init(service_name="again")
        except otelrs.ConfigError as e:
            print("ConfigError:", e)
        otelrs.get_meter("m").create_counter("x").add(1)
        request = json.loads(otelrs.collect_json())
        attrs = {kv["key"]: kv["value"].get("stringValue") for kv in request["resourceMetrics"][0]["resource"]["attributes"]}
        print(attrs["service.name"], attrs["telemetry.sdk.language"], attrs["deployment.environment.name"],
              "replaced" in attrs)
        """,
        env(OTEL_SERVICE_NAME="from-env", OTEL_METRICS_EXPORTER="console"),
    )
    lines = out.splitlines()
    assert lines[0].startswith("ConfigError: otelrs is already initialised")
    assert lines[1] == "from-code python a,b=c False"


def test_after_shutdown_recording_raises_shutdown_error() -> None:
    out = ok(
        """
        import otelrs
        otelrs.init(metrics_exporter="memory", logs_exporter="console", strict=True)
        c = otelrs.get_meter("m").create_counter("x")
        log = otelrs.get_logger("l")
        otelrs.shutdown()
        for f in (lambda: c.add(1), lambda: log.info("late"), lambda: otelrs.get_meter("m")):
            try:
                f()
            except otelrs.ShutdownError as e:
                print("ShutdownError:", e)
        try:
            otelrs.shutdown()
        except otelrs.ShutdownError as e:
            print("ShutdownError:", e)
        """,
        env(),
    )
    assert out.count("ShutdownError:") == 4


def test_recording_errors_are_dropped_counted_and_reported_once_by_default() -> None:
    r = run_py(
        """
        import json, otelrs
        meter = otelrs.get_meter("py.policy")
        c = meter.create_counter("py.c")
        c.add(-1)
        c.add("x")
        c.add(1, {"k": object()})
        c.bind({"k": "v"}).add(-2)
        c.add(2, {"k": "v"})
        meter.create_histogram("py.h").record(float("nan"))
        print(otelrs.health()["refused_measurements"])
        print(otelrs.collect_json())
        """,
        env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none"),
    )
    assert r.returncode == 0, r.stderr
    refused, collected = r.stdout.splitlines()
    assert int(refused) == 5
    warnings = [line for line in r.stderr.splitlines() if "was dropped" in line]
    # Once per instrument, on the otelrs logger (here Python's last-resort handler: stderr).
    assert len(warnings) == 2, r.stderr
    assert 'instrument "py.c" was dropped: ValueError' in warnings[0]
    assert 'instrument "py.h"' in warnings[1]
    got = metrics(json.loads(collected))
    assert {k: number(p) for k, p in points(got["py.c"]).items()} == {frozenset({("k", "v")}): 2}
    assert "otelrs.measurements.refused" in got


BAD_LOG_CALLS = """
log.info("bad key", attributes={3: "v"})
log.info("bad traceparent", traceparent="nonsense")
log.emit("bad severity", severity=99)
log.info("lone surrogate \\udc80")
log.emit("bad time", timestamp="yesterday")
"""


def test_a_bad_log_call_is_dropped_counted_and_reported_once_by_default(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "logs.jsonl"
    r = run_py(
        """
        import otelrs
        log = otelrs.get_logger("py.bad")
        log.info("first")
        %s
        log.info("last")
        otelrs.force_flush()
        s = log.stats()
        print(s["refused"], s["emitted"], s["kept"], otelrs.health()["logs"]["refused"])
        """ % BAD_LOG_CALLS.replace("\n", "\n        "),
        env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="file", OTELRS_EXPORTER_FILE_LOGS_PATH=str(path)),
    )
    assert r.returncode == 0, r.stderr
    # Refused calls are neither emitted nor kept: kept == exported.
    assert r.stdout.split() == ["5", "2", "2", "5"], r.stdout
    assert [body(rec) for _, rec in log_records(path)] == ["first", "last"]
    warnings = [line for line in r.stderr.splitlines() if "was dropped" in line]
    assert warnings == [
        "otelrs: a log record was dropped: TypeError: attribute keys must be str, got int (3) "
        "(reported once per logger; OTELRS_STRICT=true raises instead)"
    ], r.stderr


def test_a_bad_log_call_raises_with_strict() -> None:
    out = ok(
        """
        import otelrs
        log = otelrs.get_logger("py.bad")
        for line in %r.strip().splitlines():
            try:
                exec(line)
                print("no error")
            except Exception as e:
                print(type(e).__name__)
        print(log.stats()["refused"])
        """ % BAD_LOG_CALLS,
        env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="console", OTELRS_STRICT="true"),
    )
    assert out.splitlines()[-6:] == ["TypeError", "ValueError", "ValueError", "ValueError", "TypeError", "5"], out


def test_otelrs_messages_go_to_the_otelrs_logger_at_otel_log_level() -> None:
    code = """
        import logging, otelrs
        seen = []
        class Keep(logging.Handler):
            def emit(self, record):
                seen.append((record.name, record.levelname, record.getMessage()))
        logging.getLogger("otelrs").addHandler(Keep())
        logging.getLogger("otelrs").propagate = False
        otelrs.init(metrics_exporter="otlp", logs_exporter="none", exporter_otlp_endpoint="http://127.0.0.1:9",
                    exporter_otlp_protocol="http/protobuf")
        otelrs.get_meter("m").create_counter("c").add(-1)
        try:
            otelrs.shutdown(timeout=5)
        except otelrs.ExportError:
            pass
        for s in seen:
            print(*s, sep="|")
        """
    lines = ok(code, env(OTEL_MISSPELT_KEY="1")).splitlines()
    assert [line.split("|")[:2] for line in lines] == [["otelrs", "WARNING"]] * 3, lines
    # The core's messages come from its diagnostics thread, the binding's own at once: the
    # order is not fixed.
    texts = [line.split("|")[2] for line in lines]
    assert any(t.startswith("otelrs: OTEL_MISSPELT_KEY is not a setting otelrs knows") for t in texts), texts
    assert any(t.startswith('otelrs: a measurement of instrument "c" was dropped') for t in texts), texts
    assert any(t.startswith("otelrs: otlp exporter: ") and "Connection refused" in t for t in texts), texts
    # OTEL_LOG_LEVEL=error keeps only errors: none of these.
    assert ok(code, env(OTEL_MISSPELT_KEY="1", OTEL_LOG_LEVEL="error")) == ""
    r = run_py("import otelrs; otelrs.init(log_level='loud')", env())
    assert "OTEL_LOG_LEVEL" in r.stderr and "expected none, error, warn, info or debug" in r.stderr, r.stderr
