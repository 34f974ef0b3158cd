"""The small Flask app of the web benchmark's gunicorn run (bench/python/web.py): bare, behind
otelrs's WSGI middleware, or instrumented by opentelemetry-instrumentation-flask over
opentelemetry-sdk, as OTELRS_BENCH_WEB says (bare, otelrs or sdk)."""

from __future__ import annotations

import os

from flask import Flask

app = Flask("bench")


@app.route("/users/<name>")
def user(name: str) -> str:
    return f"hello {name}\n"


MODE = os.environ.get("OTELRS_BENCH_WEB", "bare")
if MODE == "otelrs":
    import otelrs

    app.wsgi_app = otelrs.WsgiMiddleware(app.wsgi_app)  # type: ignore[method-assign]
elif MODE == "sdk":
    from opentelemetry import metrics
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
    FlaskInstrumentor().instrument_app(app)
elif MODE != "bare":
    raise SystemExit(f"OTELRS_BENCH_WEB={MODE!r}: bare, otelrs or sdk")
