"""Apps instrumented by the official opentelemetry-instrumentation packages (WSGI, Flask,
Django, FastAPI) export through otelrs, behind opentelemetry-api, what they export through
opentelemetry-sdk: the same app driven with the same requests twice, once per SDK, both to the
real Collector, whose output is compared point for point (scopes, names, units, descriptions,
attributes, values and their number types, counts and bucket bounds)."""

from __future__ import annotations

import textwrap
import uuid
from typing import Any

import pytest
from helpers import CollectorLike, attributes, env, ok

REQUESTS = 40

# Each app: `drive()` sends REQUESTS requests of several routes, methods and statuses.
APPS = {
    "wsgi": """
        import io
        from wsgiref.util import setup_testing_defaults
        from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

        def app(environ, start_response):
            status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
            start_response(status, [("Content-Type", "text/plain")])
            return [b"hello"]

        wrapped = OpenTelemetryMiddleware(app)

        def drive():
            for i in range(REQUESTS):
                environ = {"PATH_INFO": "/missing" if i % 4 == 0 else "/hello",
                           "REQUEST_METHOD": "POST" if i % 3 == 0 else "GET", "wsgi.input": io.BytesIO(b"")}
                setup_testing_defaults(environ)
                b"".join(wrapped(environ, lambda status, headers, exc_info=None: None))
    """,
    "flask": """
        from flask import Flask
        from opentelemetry.instrumentation.flask import FlaskInstrumentor

        app = Flask("shop")

        @app.route("/users/<name>", methods=["GET", "POST"])
        def user(name):
            return "no" if name == "u0" else "hi", 500 if name == "u0" else 200

        FlaskInstrumentor().instrument_app(app)

        def drive():
            client = app.test_client()
            for i in range(REQUESTS):
                (client.post if i % 3 == 0 else client.get)(f"/users/u{i % 4}")
            client.get("/nowhere")
    """,
    "django": """
        import django
        from django.conf import settings
        settings.configure(DEBUG=False, ROOT_URLCONF="__main__", ALLOWED_HOSTS=["*"], SECRET_KEY="test",
                           MIDDLEWARE=[], LOGGING_CONFIG=None)
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        DjangoInstrumentor().instrument()
        django.setup()
        from django.http import HttpResponse
        from django.test import Client
        from django.urls import path

        def user(request, name):
            return HttpResponse("hi", status=500 if name == "u0" else 200)

        urlpatterns = [path("users/<str:name>", user)]

        def drive():
            client = Client()
            for i in range(REQUESTS):
                (client.post if i % 3 == 0 else client.get)(f"/users/u{i % 4}")
    """,
    "fastapi": """
        from fastapi import FastAPI, Response
        from fastapi.testclient import TestClient
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        app = FastAPI()

        @app.get("/users/{name}")
        @app.post("/users/{name}")
        def user(name: str, response: Response):
            response.status_code = 500 if name == "u0" else 200
            return {"hi": name}

        FastAPIInstrumentor.instrument_app(app)

        def drive():
            with TestClient(app) as client:
                for i in range(REQUESTS):
                    (client.post if i % 3 == 0 else client.get)(f"/users/u{i % 4}")
    """,
}

OTELRS = """
import otelrs.otel_api
otelrs.otel_api.install()
{app}
drive()
import otelrs
otelrs.shutdown()
"""

SDK = """
from opentelemetry import metrics
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
provider = MeterProvider(
    metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter(endpoint="{endpoint}/v1/metrics"),
                                                  export_interval_millis=600_000)],
    resource=Resource.create({{"service.name": "{service}"}}))
metrics.set_meter_provider(provider)
{app}
drive()
provider.shutdown()
"""


def exported(collector: CollectorLike, service: str) -> dict[tuple[str, str, str], Any]:
    """What the Collector received from `service` of the instrumentation's scopes: per
    (scope, version, metric), its unit, description and points (attributes, then the value with
    its number type, or the count, sum and buckets)."""
    (rm,) = collector.wait_for(service, 1)
    out = {}
    for sm in rm["scopeMetrics"]:
        scope = sm["scope"]
        if not scope["name"].startswith("opentelemetry.instrumentation"):
            continue
        for m in sm["metrics"]:
            kind = next(k for k in ("sum", "gauge", "histogram") if k in m)
            points = []
            for p in m[kind]["dataPoints"]:
                attrs = tuple(sorted(attributes(p.get("attributes")).items()))
                if kind == "histogram":
                    # Durations differ from run to run: their count and the buckets' bounds
                    # are compared, not where each one fell.
                    value: Any = (p["count"], len(p.get("bucketCounts", [])), p.get("explicitBounds"))
                else:
                    value = {k: p[k] for k in ("asInt", "asDouble") if k in p}
                points.append((attrs, value))
            flags = (m[kind].get("aggregationTemporality"), m[kind].get("isMonotonic"))
            out[(scope["name"], scope.get("version", ""), m["name"])] = (
                m.get("unit", ""), m.get("description", ""), kind, flags, sorted(points, key=repr))
    return out


@pytest.mark.parametrize("framework", sorted(APPS))
@pytest.mark.parametrize("semconv", ["", "http"])
def test_an_instrumented_app_exports_through_otelrs_what_it_exports_through_the_sdk(
    collector: CollectorLike, framework: str, semconv: str
) -> None:
    app = textwrap.dedent(APPS[framework])
    run = uuid.uuid4().hex[:8]
    ours, theirs = f"api-{framework}-otelrs-{run}", f"api-{framework}-sdk-{run}"
    prelude = f"REQUESTS = {REQUESTS}\n"
    ok(prelude + OTELRS.format(app=app),
       env(OTEL_PYTHON_METER_PROVIDER="otelrs", OTEL_SERVICE_NAME=ours, OTEL_METRICS_EXPORTER="otlp",
           OTEL_LOGS_EXPORTER="none", OTEL_EXPORTER_OTLP_ENDPOINT=collector.http,
           OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf", OTEL_SEMCONV_STABILITY_OPT_IN=semconv))
    ok(prelude + SDK.format(app=app, endpoint=collector.http, service=theirs),
       env(OTEL_SEMCONV_STABILITY_OPT_IN=semconv))
    got, expected = exported(collector, ours), exported(collector, theirs)
    assert expected, "opentelemetry-sdk exported nothing"
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert got[key] == expected[key], key
    # The requests are all there: the duration histogram counted each one.
    durations = [v for k, v in expected.items() if k[2] in ("http.server.duration", "http.server.request.duration")]
    assert durations and sum(int(count) for _, (count, _, _) in durations[0][4]) >= REQUESTS


LOGGING = """
import logging
from opentelemetry import trace
from opentelemetry.sdk._logs import LoggingHandler
from opentelemetry.sdk.trace import TracerProvider
trace.set_tracer_provider(TracerProvider())
log = logging.getLogger("shop")
log.setLevel(logging.DEBUG)
log.propagate = False
log.addHandler(LoggingHandler(level=logging.DEBUG))
with trace.get_tracer("t").start_as_current_span("checkout"):
    log.warning("low stock %s", "A-1", extra={"sku": "A-1", "count": 3})
log.info("order placed")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("payment failed")
# An event of the logs API with a structured body, and one without a body.
from opentelemetry import _logs
from opentelemetry._logs import SeverityNumber
events = _logs.get_logger("shop.events")
events.emit(body={"cart": ["A-1", "B-2"], "total": 12.5, "paid": True, "items": 2}, event_name="shop.checkout",
            severity_number=SeverityNumber.INFO)
events.emit(event_name="shop.heartbeat", severity_number=SeverityNumber.DEBUG, attributes={"beat": 1})
"""


def records(collector: CollectorLike, service: str) -> list[tuple[Any, ...]]:
    """The log records the Collector received from `service`: scope, body, severity number and
    text, event name, attributes (the code line left out: the scripts differ), whether it has a
    trace, and the exception's type and message."""
    out = []
    for scope, r in collector.wait_for_logs(service, 5):
        attrs = attributes(r.get("attributes"))
        attrs.pop("code.line.number", None)
        attrs.pop("code.lineno", None)
        stack = attrs.pop("exception.stacktrace", "")
        out.append((scope["name"], r.get("body"), r.get("severityNumber"), r.get("severityText"),
                    r.get("eventName", ""), tuple(sorted(attrs.items())), bool(r.get("traceId")),
                    "ZeroDivisionError" in stack))
    return sorted(out, key=repr)


def test_python_logging_through_the_sdks_handler_exports_through_otelrs_what_the_sdk_does(
    collector: CollectorLike,
) -> None:
    run = uuid.uuid4().hex[:8]
    ours, theirs = f"api-logging-otelrs-{run}", f"api-logging-sdk-{run}"
    ok("import otelrs.otel_api\notelrs.otel_api.install()\n" + LOGGING + "import otelrs\notelrs.shutdown()\n",
       env(OTEL_SERVICE_NAME=ours, OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="otlp",
           OTEL_EXPORTER_OTLP_ENDPOINT=collector.http, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf"))
    ok(
        f"""
from opentelemetry import _logs
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
provider = LoggerProvider(resource=Resource.create({{"service.name": "{theirs}"}}))
provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint="{collector.http}/v1/logs")))
_logs.set_logger_provider(provider)
"""
        + LOGGING
        + "provider.shutdown()\n",
        env(),
    )
    got, expected = records(collector, ours), records(collector, theirs)
    assert len(expected) == 5
    assert got == expected
