"""otelrs behind the OpenTelemetry Python API (otelrs.otel_api): meters and instruments taken
through opentelemetry-api, before and after otelrs is installed, record through otelrs; the
entry point makes it the provider with no code; recording never raises; and an app
instrumented by opentelemetry-instrumentation-wsgi exports through otelrs what it exports
through opentelemetry-sdk."""

from __future__ import annotations

import json
import pathlib
import textwrap
from typing import Any

from helpers import attributes, body, env, log_records, metrics, number, ok, points, run_py

MEMORY = env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", OTEL_SERVICE_NAME="api-test")


def collected(out: str) -> dict[str, Any]:
    return metrics(json.loads(out.splitlines()[-1]))


def test_every_instrument_of_the_api_records_through_otelrs() -> None:
    out = ok(
        """
        from opentelemetry import metrics
        early = metrics.get_meter("early").create_counter("early.requests")  # a proxy, before install
        import otelrs, otelrs.otel_api
        otelrs.otel_api.install()
        assert isinstance(metrics.get_meter_provider(), otelrs.otel_api.MeterProvider)
        m = metrics.get_meter("lib", "1.2", schema_url="https://opentelemetry.io/schemas/1.26.0",
                              attributes={"lib.kind": "web"})
        assert isinstance(m, metrics.Meter) and m.name == "lib" and m.version == "1.2"
        c = m.create_counter("lib.requests", "{request}", "Requests")
        u = m.create_up_down_counter("lib.active")
        h = m.create_histogram("lib.duration", "s", explicit_bucket_boundaries_advisory=[0.1, 1.0])
        g = m.create_gauge("lib.temperature")
        for inst, kind in ((c, metrics.Counter), (u, metrics.UpDownCounter), (h, metrics.Histogram),
                           (g, metrics._Gauge)):
            assert isinstance(inst, kind), (inst, kind)
        c.add(2, {"route": "/a"})
        c.add(3, {"route": "/a"})
        u.add(1)
        u.add(-3)
        for v in (0.05, 0.5, 5):
            h.record(v, {"route": "/a"})
        g.set(21.5, {"room": "b"})
        early.add(7)
        seen = []
        def cpu(options):
            seen.append(options.timeout_millis)
            return [metrics.Observation(1.25, {"cpu": 0}), metrics.Observation(2.5, {"cpu": 1})]
        def threads():
            options = yield
            while True:
                options = yield [metrics.Observation(4)]
        for made in (m.create_observable_counter("lib.cpu", [cpu], "s"),
                     m.create_observable_up_down_counter("lib.threads", [threads()]),
                     m.create_observable_gauge("lib.load", [lambda options: [metrics.Observation(0.75)]])):
            assert isinstance(made, metrics.Asynchronous)
        print(otelrs.collect_json())
        assert seen and seen[0] > 0
        """,
        MEMORY,
    )
    request = json.loads(out.splitlines()[-1])
    got = metrics(request)
    scopes = {s["scope"]["name"]: s for rm in request["resourceMetrics"] for s in rm["scopeMetrics"]}
    assert scopes["lib"]["scope"]["version"] == "1.2"
    assert attributes(scopes["lib"]["scope"]["attributes"]) == {"lib.kind": "web"}
    assert scopes["lib"]["schemaUrl"] == "https://opentelemetry.io/schemas/1.26.0"
    assert values(got["early.requests"]) == {(): 7}
    # As opentelemetry-sdk: an instrument whose values are ints exports ints.
    assert points(got["early.requests"])[frozenset()]["asInt"] == "7"
    assert points(got["lib.requests"])[frozenset({("route", "/a")})]["asInt"] == "5"
    assert points(got["lib.active"])[frozenset()]["asInt"] == "-2"
    assert "asDouble" in points(got["lib.temperature"])[frozenset({("room", "b")})]
    requests = got["lib.requests"]
    assert (requests["unit"], requests["description"]) == ("{request}", "Requests")
    assert values(requests) == {(("route", "/a"),): 5}
    assert values(got["lib.active"]) == {(): -2}
    [hist] = points(got["lib.duration"]).values()
    assert (hist["count"], hist["bucketCounts"], hist["explicitBounds"]) == ("3", ["1", "1", "1"], [0.1, 1.0])
    assert values(got["lib.temperature"]) == {(("room", "b"),): 21.5}
    assert values(got["lib.cpu"]) == {(("cpu", 0),): 1.25, (("cpu", 1),): 2.5}
    assert values(got["lib.threads"]) == {(): 4}
    assert values(got["lib.load"]) == {(): 0.75}
    # Observations keep their type too: ints as ints, floats as floats.
    assert points(got["lib.threads"])[frozenset()]["asInt"] == "4"
    assert {"asDouble"} == {k for p in points(got["lib.cpu"]).values() for k in ("asInt", "asDouble") if k in p}


def values(metric: dict[str, Any]) -> dict[tuple[tuple[str, Any], ...], Any]:
    """A metric's value (or count) per series, the series as sorted attribute pairs."""
    return {tuple(sorted(k)): number(p) if "count" not in p else int(p["count"]) for k, p in points(metric).items()}


def test_the_entry_point_makes_otelrs_the_provider_without_code() -> None:
    out = ok(
        """
        from opentelemetry import metrics
        provider = metrics.get_meter_provider()
        print(type(provider).__module__, type(provider).__name__)
        metrics.get_meter("auto").create_counter("auto.requests").add(4, {"k": "v"})
        import otelrs
        print(otelrs.collect_json())
        """,
        dict(MEMORY, OTEL_PYTHON_METER_PROVIDER="otelrs"),
    )
    assert out.splitlines()[0] == "otelrs.otel_api MeterProvider"
    assert values(collected(out)["auto.requests"]) == {(("k", "v"),): 4}


def test_recording_through_the_api_never_raises_and_says_why_once() -> None:
    r = run_py(
        """
        import logging
        logging.basicConfig(format="%(name)s %(levelname)s %(message)s")
        from opentelemetry import metrics
        import otelrs, otelrs.otel_api
        otelrs.otel_api.install()
        m = metrics.get_meter("lib")
        c = m.create_counter("lib.requests")
        c.add("three")           # not a number: dropped, reported once
        c.add(-1)                # a counter does not go down
        c.add(1, {"k": object()})
        c.add(2)
        u = m.create_up_down_counter("lib.active")
        u.add(1)                 # an int first: an int instrument
        u.add(0.5)               # a float after it: dropped, reported once
        u.add(2)
        # The same name as another kind: the API does not raise; the instrument records nothing.
        h = m.create_histogram("lib.requests")
        h.record(5)
        assert not isinstance(h, otelrs.Histogram)
        empty = metrics.get_meter("")
        empty.create_counter("x").add(1)
        try:
            m.create_counter("9 bad name")
        except ValueError as e:  # as otelrs's own create_counter, and opentelemetry-sdk raises too
            print("refused:", e)
        print(otelrs.collect_json())
        otelrs.shutdown()
        m.create_counter("lib.late").add(1)   # made at its first value, after the shutdown: no raise
        print("late: ok")
        """,
        MEMORY,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "late: ok"
    got = collected("\n".join(r.stdout.splitlines()[:-1]))
    assert values(got["lib.requests"]) == {(): 2}  # the string was refused: a float counter
    assert values(got["lib.active"]) == {(): 3}
    assert 'refused: invalid instrument name "9 bad name"' in r.stdout
    reports = [line for line in r.stderr.splitlines() if line.startswith("otelrs WARNING")]
    # One report per instrument: the counter's first bad value, the up-down counter's float,
    # the histogram that conflicts, the meter without a name, the counter made after shutdown.
    assert len(reports) == 5, r.stderr
    assert "'lib.late'" in reports[-1] and "records nothing" in reports[-1], reports
    assert '"lib.requests"' in reports[0] and "got str" in reports[0], reports
    assert any("lib.active" in line and "0.5" in line for line in reports), reports
    assert any("'lib.requests'" in line and "records nothing" in line for line in reports), reports
    assert any("without a name" in line for line in reports), reports


def test_a_measurements_context_gives_its_exemplar_the_span() -> None:
    out = ok(
        """
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.trace import TracerProvider
        trace.set_tracer_provider(TracerProvider())
        import otelrs, otelrs.otel_api
        otelrs.otel_api.install()
        c = metrics.get_meter("lib").create_counter("lib.requests")
        span = trace.get_tracer("t").start_span("request")
        c.add(1, context=trace.set_span_in_context(span))   # the span is not the current one
        c.add(1)                                              # no span: no exemplar
        span.end()
        print(format(span.get_span_context().trace_id, "032x"))
        print(otelrs.collect_json())
        """,
        dict(MEMORY, OTEL_METRICS_EXEMPLAR_FILTER="trace_based"),
    )
    trace_id = out.splitlines()[-2]
    [point] = points(collected(out)["lib.requests"]).values()
    exemplars = point["exemplars"]
    assert [e["traceId"] for e in exemplars] == [trace_id], exemplars


WSGI_APP = """
import io, sys
from wsgiref.util import setup_testing_defaults
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

def app(environ, start_response):
    status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"hello"]

wrapped = OpenTelemetryMiddleware(app)
for i in range(30):
    environ = {"PATH_INFO": "/missing" if i % 3 == 0 else "/hello", "REQUEST_METHOD": "GET" if i % 2 else "POST",
               "wsgi.input": io.BytesIO(b"")}
    setup_testing_defaults(environ)
    b"".join(wrapped(environ, lambda status, headers, exc_info=None: None))
"""


def series(metric: dict[str, Any]) -> tuple[Any, ...]:
    """A metric's unit, description, value (or count) per series, histogram buckets, and number
    types."""
    buckets = sorted(
        ([float(b) for b in p["explicitBounds"]], [int(c) for c in p["bucketCounts"]])
        for p in points(metric).values()
        if "count" in p
    )
    # Whether each sum or gauge is exported as ints or floats.
    types = sorted({k for p in points(metric).values() for k in ("asInt", "asDouble") if k in p})
    return metric.get("unit", ""), metric.get("description", ""), values(metric), buckets, types


def test_a_wsgi_app_instrumented_by_the_official_package_exports_what_the_sdk_does() -> None:
    for opt_in in ("", "http"):
        settings = dict(MEMORY, OTEL_SEMCONV_STABILITY_OPT_IN=opt_in)
        ours = collected(ok(
            "import otelrs, otelrs.otel_api\notelrs.otel_api.install()\n" + WSGI_APP
            + "print(otelrs.collect_json())\n",
            settings,
        ))
        sdk = ok(
            "from opentelemetry import metrics\n"
            "from opentelemetry.sdk.metrics import MeterProvider\n"
            "from opentelemetry.sdk.metrics.export import InMemoryMetricReader\n"
            "reader = InMemoryMetricReader()\n"
            "metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))\n"
            + WSGI_APP
            + "print(reader.get_metrics_data().to_json(indent=None))\n",
            settings,
        )
        theirs = {}
        for rm in json.loads(sdk.splitlines()[-1])["resource_metrics"]:
            for sm in rm["scope_metrics"]:
                for m in sm["metrics"]:
                    kind = "histogram" if "bucket_counts" in json.dumps(m["data"]) else "sum"
                    theirs[m["name"]] = {
                        "unit": m["unit"],
                        "description": m["description"],
                        kind: {"dataPoints": [
                            {"attributes": [{"key": k, "value": {"stringValue": v} if isinstance(v, str)
                                             else {"intValue": v}} for k, v in p["attributes"].items()],
                             **({"count": p["count"], "explicitBounds": p["explicit_bounds"],
                                 "bucketCounts": p["bucket_counts"]} if "count" in p
                                else {"asInt" if isinstance(p["value"], int) else "asDouble": p["value"]})}
                            for p in m["data"]["data_points"]
                        ]},
                    }
        assert sorted(ours) == sorted(theirs), (opt_in, sorted(ours), sorted(theirs))
        assert theirs, "the SDK exported nothing"
        for name in theirs:
            assert series(ours[name]) == series(theirs[name]), (opt_in, name)


def test_logs_of_the_api_are_emitted_through_otelrs(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "logs.jsonl"
    out = ok(
        """
        import time
        from opentelemetry import _logs, trace
        from opentelemetry._logs import LogRecord, SeverityNumber
        from opentelemetry.sdk.trace import TracerProvider
        trace.set_tracer_provider(TracerProvider())
        early = _logs.get_logger("early")                       # the API's proxy, before install
        import otelrs, otelrs.otel_api
        otelrs.otel_api.install()
        assert isinstance(_logs.get_logger_provider(), otelrs.otel_api.LoggerProvider)
        log = _logs.get_logger("lib", "2.0", schema_url="https://opentelemetry.io/schemas/1.26.0")
        span = trace.get_tracer("t").start_span("request")
        with trace.use_span(span):
            log.emit(LogRecord(body="from a record", severity_number=SeverityNumber.WARN, severity_text="WARNING",
                               attributes={"user.id": 7}, timestamp=1_700_000_000_123_456_000))
        log.emit(body="with keywords", severity_number=SeverityNumber.ERROR, event_name="lib.failed",
                 context=trace.set_span_in_context(span), attributes={"ok": False})
        early.emit(body="early", severity_number=SeverityNumber.INFO)
        assert log.enabled(severity_number=SeverityNumber.ERROR)
        assert not log.enabled(severity_number=SeverityNumber.DEBUG)   # the minimum is INFO
        log.emit(body="filtered", severity_number=SeverityNumber.DEBUG)
        assert log.enabled()                  # no severity: not filtered, as the specification has it
        log.emit(body="no severity")
        print(format(span.get_span_context().trace_id, "032x"), format(span.get_span_context().span_id, "016x"))
        otelrs.shutdown()
        """,
        env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="file", OTELRS_EXPORTER_FILE_LOGS_PATH=str(path),
            OTEL_SERVICE_NAME="api-logs", OTELRS_LOGS_MIN_SEVERITY="INFO"),
    )
    trace_id, span_id = out.split()
    records = {body(r): (scope, r) for scope, r in log_records(path)}
    assert set(records) == {"from a record", "with keywords", "early", "no severity"}
    scope, first = records["from a record"]
    assert scope == "lib"
    assert (first["severityNumber"], first["severityText"]) == (13, "WARNING")  # the source's name
    assert attributes(first["attributes"]) == {"user.id": 7}
    assert first["timeUnixNano"] == "1700000000123456000"
    assert (first["traceId"], first["spanId"]) == (trace_id, span_id)
    _, second = records["with keywords"]
    # No severity text given: none, as opentelemetry-sdk exports it.
    assert (second["severityNumber"], second.get("severityText", ""), second["eventName"]) == (17, "", "lib.failed")
    assert (second["traceId"], second["spanId"]) == (trace_id, span_id)
    assert attributes(second["attributes"]) == {"ok": False}
    assert records["early"][0] == "early"
    # As opentelemetry-sdk exports a record without severity: no number, no text.
    _, unspecified = records["no severity"]
    assert unspecified.get("severityNumber", 0) == 0 and unspecified.get("severityText", "") == ""


def test_the_entry_point_makes_otelrs_the_logger_provider_without_code(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "logs.jsonl"
    ok(
        """
        from opentelemetry import _logs
        from opentelemetry._logs import SeverityNumber
        assert type(_logs.get_logger_provider()).__module__ == "otelrs.otel_api"
        _logs.get_logger("auto").emit(body="hello", severity_number=SeverityNumber.INFO)
        import otelrs
        otelrs.shutdown()
        """,
        env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="file", OTELRS_EXPORTER_FILE_LOGS_PATH=str(path),
            OTEL_PYTHON_LOGGER_PROVIDER="otelrs"),
    )
    assert [(scope, body(r)) for scope, r in log_records(path)] == [("auto", "hello")]


def test_opentelemetry_instrument_records_through_otelrs(tmp_path: pathlib.Path) -> None:
    # The API's own auto-instrumentation (`opentelemetry-instrument python app.py`) with otelrs
    # chosen by the API's settings: every installed instrumentation records through otelrs.
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent(
        """
        import json, otelrs
        from flask import Flask
        app = Flask("auto")

        @app.route("/users/<name>")
        def user(name):
            return "hi"

        client = app.test_client()
        for i in range(5):
            client.get(f"/users/u{i}", buffered=True)
        print(otelrs.collect_json())
        """
    ))
    out = ok(
        f"""
        import sys
        from opentelemetry.instrumentation.auto_instrumentation import run
        sys.argv = ["opentelemetry-instrument", sys.executable, {str(app)!r}]
        run()
        """,
        dict(MEMORY, OTEL_PYTHON_METER_PROVIDER="otelrs", OTEL_PYTHON_LOGGER_PROVIDER="otelrs",
             OTEL_TRACES_EXPORTER="none", OTEL_SEMCONV_STABILITY_OPT_IN="http"),
    )
    request = json.loads(out.splitlines()[-1])
    scopes = {sm["scope"]["name"]: {m["name"]: m for m in sm["metrics"]}
              for rm in request["resourceMetrics"] for sm in rm["scopeMetrics"]}
    flask = scopes["opentelemetry.instrumentation.flask"]
    [point] = points(flask["http.server.request.duration"]).values()
    assert point["count"] == "5" and attributes(point["attributes"])["http.route"] == "/users/<name>"
