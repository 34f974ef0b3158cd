"""otelrs's WSGI and ASGI middleware: every request measured as the HTTP semantic conventions
say (through the core the C API and the Rack middleware use), the same series as
opentelemetry-instrumentation-wsgi makes, the route from the framework, an exception's type as
the error, the request's traceparent as the trace context while the app runs."""

from __future__ import annotations

import json
import pathlib
from typing import Any

from helpers import body, env, log_records, metrics, ok, points

MEMORY = env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", OTEL_SERVICE_NAME="web-test")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def counts(out: str, name: str = "http.server.request.duration") -> dict[tuple[tuple[str, Any], ...], Any]:
    """The count (histogram) or value (sum) of each series of `name`, by sorted attributes."""
    got = metrics(json.loads(out.splitlines()[-1]))[name]
    return {
        tuple(sorted(k)): int(p["count"]) if "count" in p else int(p["asInt"]) for k, p in points(got).items()
    }


def test_a_flask_app_behind_the_wsgi_middleware(tmp_path: pathlib.Path) -> None:
    logs = tmp_path / "logs.jsonl"
    out = ok(
        """
        import functools, otelrs
        from flask import Flask, request
        app = Flask("shop")

        @app.before_request
        def route():
            if request.url_rule is not None:
                request.environ["otelrs.route"] = request.url_rule.rule

        @app.route("/users/<name>", methods=["GET", "POST"])
        def user(name):
            otelrs.get_logger("app").info("user " + name)
            if name == "boom":
                raise RuntimeError("boom")
            return "hi", 201 if request.method == "POST" else 200

        app.wsgi_app = otelrs.WsgiMiddleware(app.wsgi_app)
        client = app.test_client()
        client.get = functools.partial(client.get, buffered=True)    # read and closed, as a server does
        client.post = functools.partial(client.post, buffered=True)
        for i in range(3):
            assert client.get(f"/users/u{i}").status_code == 200
        assert client.post("/users/u1", headers={"traceparent": %r}).status_code == 201
        assert client.get("/nowhere").status_code == 404
        assert client.get("/users/boom").status_code == 500   # Flask answers the exception
        print(otelrs.collect_json())
        """
        % TRACEPARENT,
        dict(MEMORY, OTEL_LOGS_EXPORTER="file", OTELRS_EXPORTER_FILE_LOGS_PATH=str(logs)),
    )
    common = (("network.protocol.version", "1.1"), ("url.scheme", "http"))
    route = ("http.route", "/users/<name>")
    assert counts(out) == {
        tuple(sorted((("http.request.method", "GET"), ("http.response.status_code", 200), route, *common))): 3,
        tuple(sorted((("http.request.method", "POST"), ("http.response.status_code", 201), route, *common))): 1,
        tuple(sorted((("http.request.method", "GET"), ("http.response.status_code", 404), *common))): 1,
        tuple(sorted((("error.type", "500"), ("http.request.method", "GET"), ("http.response.status_code", 500),
                      route, *common))): 1,
    }
    assert set(counts(out, "http.server.active_requests").values()) == {0}
    traced = {body(r): r.get("traceId", "") for _, r in log_records(logs)}
    assert traced["user u1"] == TRACE_ID and traced["user u0"] == ""


def test_a_fastapi_app_behind_the_asgi_middleware() -> None:
    out = ok(
        """
        import otelrs
        from fastapi import FastAPI, Response
        from fastapi.testclient import TestClient
        app = FastAPI()

        @app.get("/users/{name}")
        def user(name: str, response: Response):
            if name == "boom":
                raise ValueError("boom")
            response.status_code = 404 if name == "nobody" else 200
            return {"hi": name}

        client = TestClient(otelrs.AsgiMiddleware(app), raise_server_exceptions=False)
        for name in ("a", "b", "nobody", "boom"):
            client.get(f"/users/{name}")
        print(otelrs.collect_json())
        """,
        MEMORY,
    )
    common = (("http.route", "/users/{name}"), ("network.protocol.version", "1.1"), ("url.scheme", "http"))
    assert counts(out) == {
        tuple(sorted((("http.request.method", "GET"), ("http.response.status_code", 200), *common))): 2,
        tuple(sorted((("http.request.method", "GET"), ("http.response.status_code", 404), *common))): 1,
        # The app raised: Starlette answered 500 and raised on; the exception's type is the error.
        tuple(sorted((("error.type", "ValueError"), ("http.request.method", "GET"),
                      ("http.response.status_code", 500), *common))): 1,
    }


def test_the_wsgi_middleware_makes_the_series_of_the_official_instrumentation() -> None:
    app = """
        import io, otelrs
        from wsgiref.util import setup_testing_defaults

        def app(environ, start_response):
            status = "404 Not Found" if environ["PATH_INFO"] == "/missing" else "200 OK"
            start_response(status, [("Content-Type", "text/plain")])
            return [b"hello"]

        def drive(wrapped):
            for i in range(20):
                environ = {"PATH_INFO": "/missing" if i %% 4 == 0 else "/hello",
                           "REQUEST_METHOD": "POST" if i %% 3 == 0 else "GET", "wsgi.input": io.BytesIO(b"")}
                setup_testing_defaults(environ)
                result = wrapped(environ, lambda status, headers, exc_info=None: None)
                b"".join(result)
                getattr(result, "close", lambda: None)()
        %s
        print(otelrs.collect_json())
    """
    ours = ok(app % "drive(otelrs.WsgiMiddleware(app))", MEMORY)
    official = ok(
        app % "import otelrs.otel_api; otelrs.otel_api.install()\n"
        "        from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware\n"
        "        drive(OpenTelemetryMiddleware(app))",
        dict(MEMORY, OTEL_SEMCONV_STABILITY_OPT_IN="http"),
    )
    for name in ("http.server.request.duration", "http.server.active_requests"):
        assert counts(ours, name) == counts(official, name), name
    ours_metric = metrics(json.loads(ours.splitlines()[-1]))["http.server.request.duration"]
    official_metric = metrics(json.loads(official.splitlines()[-1]))["http.server.request.duration"]
    assert (ours_metric["unit"], ours_metric["description"]) == (official_metric["unit"], official_metric["description"])
    [bounds] = {tuple(p["explicitBounds"]) for p in points(official_metric).values()}
    assert {tuple(p["explicitBounds"]) for p in points(ours_metric).values()} == {bounds}
