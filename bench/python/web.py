#!/usr/bin/env python3
"""Per-request cost of measuring HTTP requests: a WSGI and an ASGI app called directly in a loop
(no network), bare and behind each middleware: otelrs's own (`otelrs.WsgiMiddleware`,
`otelrs.AsgiMiddleware`), and opentelemetry-instrumentation-wsgi/asgi over otelrs (behind
opentelemetry-api) and over opentelemetry-sdk (metrics to an InMemoryMetricReader, no tracer
provider: spans are the API's no-ops). Each case in its own interpreter; medians of ROUNDS
rounds. Prints a Markdown section for bench/RESULTS.md (bench/run.py includes it); run alone
with

    python3 bench/python/web.py

It also serves a small Flask app (bench/python/web_app.py) under gunicorn bare, behind
otelrs's middleware and with opentelemetry-instrumentation-flask over opentelemetry-sdk, loaded
by ApacheBench (apache2-utils, installed when missing and run as root).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request

ROUNDS = 7
N = 20_000

APPS = """
import asyncio, io, time
from wsgiref.util import setup_testing_defaults

def wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]

async def asgi_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})

ENVIRON = {"PATH_INFO": "/users/1", "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(b""),
           "SERVER_PROTOCOL": "HTTP/1.1"}
setup_testing_defaults(ENVIRON)
SCOPE = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
         "path": "/users/1", "raw_path": b"/users/1", "query_string": b"", "root_path": "",
         "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}

def start_response(status, headers, exc_info=None):
    return None

def run_wsgi(app):
    def once():
        result = app(dict(ENVIRON), start_response)
        for _ in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return once

async def receive():
    return {"type": "http.request", "body": b"", "more_body": False}

async def send(message):
    pass

def run_asgi(app):
    loop = asyncio.new_event_loop()
    async def batch(n):
        for _ in range(n):
            await app(dict(SCOPE), receive, send)
    return lambda n: loop.run_until_complete(batch(n))
"""

SETUP = {
    "bare": "",
    "otelrs": """
        import os
        os.environ.update(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none")
        import otelrs
        wsgi_app, asgi_app = otelrs.WsgiMiddleware(wsgi_app), otelrs.AsgiMiddleware(asgi_app)
    """,
    "official over otelrs": """
        import os
        os.environ.update(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", OTEL_SEMCONV_STABILITY_OPT_IN="http")
        import otelrs.otel_api
        otelrs.otel_api.install()
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware as Asgi
        from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware as Wsgi
        wsgi_app, asgi_app = Wsgi(wsgi_app), Asgi(asgi_app)
    """,
    "official over opentelemetry-sdk": """
        import os
        os.environ.update(OTEL_SEMCONV_STABILITY_OPT_IN="http")
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware as Asgi
        from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware as Wsgi
        wsgi_app, asgi_app = Wsgi(wsgi_app), Asgi(asgi_app)
    """,
}

RUNNER = """
import gc, json, time
{apps}
{setup}
wsgi, asgi = run_wsgi(wsgi_app), run_asgi(asgi_app)
def timed_wsgi(n):
    for _ in range(n):
        wsgi()
out = {{}}
for name, timed in (("wsgi", timed_wsgi), ("asgi", asgi)):
    timed(2000)  # warm up
    runs = []
    for _ in range({rounds}):
        gc.disable()
        t0 = time.perf_counter_ns()
        timed({n})
        runs.append((time.perf_counter_ns() - t0) / {n})
        gc.enable()
    out[name] = sorted(runs)[len(runs) // 2]
print(json.dumps(out))
"""


def run(setup: str) -> dict[str, float]:
    code = RUNNER.format(apps=APPS, setup=textwrap.dedent(setup), rounds=ROUNDS, n=N)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        sys.exit(f"a benchmark case failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout)
    return result


HERE = pathlib.Path(__file__).resolve().parent
SERVED = 4000  # requests per ab run
CONCURRENCY = 8


def ensure_ab() -> str:
    """ApacheBench, from Debian's apache2-utils (installed when missing and run as root)."""
    found = shutil.which("ab")
    if found is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "apache2-utils"],
                       check=True, capture_output=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        found = shutil.which("ab")
    if found is None:
        sys.exit("ab (apache2-utils) is needed for the gunicorn run")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def requests_per_second(ab: str, mode: str) -> float:
    """gunicorn with 2 sync workers serving bench/python/web_app.py in `mode`, loaded by ab."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    env.update(OTELRS_BENCH_WEB=mode, OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none",
               OTEL_SEMCONV_STABILITY_OPT_IN="http")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "web_app:app"],
                              cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/users/1"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"gunicorn ({mode}) did not start")
                time.sleep(0.1)
        out = subprocess.run([ab, "-q", "-n", str(SERVED), "-c", str(CONCURRENCY), url], check=True,
                             capture_output=True, text=True).stdout
        failed = int(re.search(r"Failed requests:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
        if failed:
            sys.exit(f"{failed} requests failed ({mode})")
        return float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    finally:
        server.terminate()
        server.wait()


def main() -> int:
    ab = ensure_ab()
    results = {name: run(setup) for name, setup in SETUP.items()}
    # Alternating runs of the three servers, three each: the median of each.
    served: dict[str, list[float]] = {"bare": [], "otelrs": [], "sdk": []}
    for _ in range(3):
        for mode, runs in served.items():
            runs.append(requests_per_second(ab, mode))
    rps = {mode: sorted(runs)[1] for mode, runs in served.items()}
    bare = results["bare"]
    lines = [
        "## Web requests: the cost of measuring one",
        "",
        f"`python3 bench/python/web.py`: a WSGI and an ASGI app called directly in a loop (no network), "
        f"ns per request, median of {ROUNDS} rounds x {N:,} requests, each case in its own interpreter. "
        "The overhead is the instrumented time less the bare app's. The official middleware "
        "(opentelemetry-instrumentation-wsgi/asgi, the stable HTTP conventions) runs without a tracer "
        "provider (its spans are the API's no-ops); opentelemetry-sdk records into an InMemoryMetricReader.",
        "",
        "| Middleware | WSGI ns/request | overhead | ASGI ns/request | overhead |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        over = {k: r[k] - bare[k] for k in ("wsgi", "asgi")}
        lines.append(f"| {name} | {r['wsgi']:,.0f} | {over['wsgi']:,.0f} | {r['asgi']:,.0f} | {over['asgi']:,.0f} |")
    ours = {k: results["otelrs"][k] - bare[k] for k in ("wsgi", "asgi")}
    sdk = {k: results["official over opentelemetry-sdk"][k] - bare[k] for k in ("wsgi", "asgi")}
    ratios = {k: ours[k] / sdk[k] for k in ("wsgi", "asgi")}
    lines += [
        "",
        f"A small Flask app under gunicorn (2 sync workers), loaded by ApacheBench ({SERVED:,} requests, "
        f"{CONCURRENCY} at a time, on the same 2 cores), median of 3 alternating runs: requests/s bare "
        f"**{rps['bare']:,.0f}**, behind otelrs.WsgiMiddleware **{rps['otelrs']:,.0f}**, with "
        f"opentelemetry-instrumentation-flask over opentelemetry-sdk **{rps['sdk']:,.0f}** "
        f"(runs: {', '.join(f'{m} ' + '/'.join(f'{v:,.0f}' for v in r) for m, r in served.items())}).",
        "",
        f"Target: otelrs's overhead per request at most 1/5 of the SDK's: WSGI **{ratios['wsgi']:.2f}** "
        f"of it, ASGI **{ratios['asgi']:.2f}** ({'met' if max(ratios.values()) <= 0.2 else 'missed'}).",
        "",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
