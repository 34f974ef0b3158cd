"""The Prometheus pull endpoint from Python: `init(metrics_exporter="prometheus")`, a scrape of
what was recorded, the port free again after shutdown, a clear error for a port in use, and
a forked child that joins its parent's endpoint and takes the port over when the parent exits."""

from __future__ import annotations

import socket
import time
import urllib.request

from helpers import env, ok, run_py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


SCRAPE = """
import urllib.request
def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()
"""


def test_a_scrape_shows_what_python_recorded_and_shutdown_frees_the_port() -> None:
    port = free_port()
    out = ok(SCRAPE + f"""
import otelrs, socket
otelrs.init(metrics_exporter="prometheus", exporter_prometheus_port={port}, service_name="py-prom")
m = otelrs.get_meter("shop", version="2.0")
m.create_counter("shop.orders", description="Orders").add(2, {{"region": "eu"}})
m.create_histogram("job.duration", unit="s", description="Jobs").record(0.5, {{"job": "a"}})
text = scrape({port})
print("\\n".join(l for l in text.splitlines() if l.startswith(("shop_orders_total", "job_duration_seconds_count"))))
otelrs.shutdown()
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT, not past a listener
    s.bind(("127.0.0.1", {port}))
    print("port free")
otelrs.init(metrics_exporter="prometheus", exporter_prometheus_port={port})
print("served again:", "target_info" in scrape({port}))
""")
    assert out.splitlines() == [
        'job_duration_seconds_count{job="a",otel_scope_name="shop",otel_scope_version="2.0"} 1',
        'shop_orders_total{region="eu",otel_scope_name="shop",otel_scope_version="2.0"} 2.0',
        "port free",
        "served again: True",
    ]


def test_a_port_in_use_is_a_config_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = ok(f"""
import otelrs
try:
    otelrs.init(metrics_exporter="prometheus", exporter_prometheus_host="127.0.0.1", exporter_prometheus_port={port})
except otelrs.ConfigError as e:
    print(e)
""")
    assert f"OTEL_EXPORTER_PROMETHEUS_HOST/PORT 127.0.0.1:{port}: cannot listen there" in out
    assert "in use" in out


def test_a_forked_child_joins_its_parents_endpoint_and_takes_it_over() -> None:
    """The parent serves what it and its child recorded; when the parent exits, the child
    serves the port, with the parent's counts handed over to it."""
    port = free_port()
    r = run_py(SCRAPE + f"""
import os, sys, time, otelrs
otelrs.init(metrics_exporter="prometheus", exporter_prometheus_port={port})
c = otelrs.get_meter("fork").create_counter("forked.adds")
c.add(1)
pid = os.fork()
if pid == 0:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # so that the test does not wait for the child's output to end
    os.dup2(devnull, 2)
    c.add(5)
    time.sleep(6)  # outlives the parent
    os._exit(0)
deadline = time.monotonic() + 20
while True:
    lines = [l for l in scrape({port}).splitlines() if l.startswith("forked_adds_total")]
    if lines == ['forked_adds_total{{otel_scope_name="fork"}} 6.0'] or time.monotonic() > deadline:
        break
    time.sleep(0.1)
print(lines)
sys.stdout.flush()
otelrs.shutdown()
os._exit(0)  # the child goes on alone
""", env())
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["['forked_adds_total{otel_scope_name=\"fork\"} 6.0']"]
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
                text = resp.read().decode()
            break
        except OSError:
            assert time.monotonic() < deadline, "the child did not take the port over"
            time.sleep(0.1)
    assert 'forked_adds_total{otel_scope_name="fork"} 6.0' in text.splitlines()


def test_the_apps_own_server_answers_as_the_endpoint_does() -> None:
    """make_wsgi_app and make_asgi_app, called as a server calls them, with no port of
    otelrs's own (OTELRS_PROMETHEUS_LISTEN=false)."""
    port = free_port()
    out = ok(f"""
import asyncio, gzip, socket, otelrs
otelrs.init(metrics_exporter="prometheus", exporter_prometheus_port={port}, prometheus_listen=False, service_name="py-app")
otelrs.get_meter("shop").create_counter("shop.orders").add(3, {{"region": "eu"}})
with socket.socket() as s:
    s.bind(("127.0.0.1", {port}))
    print("no port taken")

def wsgi(app, method="GET", **headers):
    got = {{}}
    def start_response(status, headers):
        got["status"], got["headers"] = status, dict(headers)
    body = b"".join(app(dict(REQUEST_METHOD=method, **headers), start_response))
    return got["status"], got["headers"], body

def orders(text):
    return [l for l in text.splitlines() if l.startswith("shop_orders_total")]

app = otelrs.make_wsgi_app()
status, headers, body = wsgi(app)
print(status, headers["Content-Type"], headers["Content-Length"] == str(len(body)), orders(body.decode()))
status, headers, body = wsgi(app, HTTP_ACCEPT="application/openmetrics-text;version=1.0.0", HTTP_ACCEPT_ENCODING="gzip")
text = gzip.decompress(body).decode()
print(headers["Content-Type"], headers["Content-Encoding"], text.endswith("# EOF\\n"), orders(text))
print(wsgi(otelrs.make_wsgi_app(disable_compression=True), HTTP_ACCEPT_ENCODING="gzip")[1].get("Content-Encoding"))
status, headers, body = wsgi(app, method="HEAD")
print(status, body, int(headers["Content-Length"]) > 0)
print(wsgi(app, method="POST")[0])

async def asgi(app, method="GET", headers=()):
    sent = []
    async def receive():
        return {{"type": "http.request", "body": b""}}
    async def send(message):
        sent.append(message)
    await app({{"type": "http", "method": method, "headers": list(headers)}}, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]

status, headers, body = asyncio.run(asgi(otelrs.make_asgi_app(), headers=[(b"Accept-Encoding", b"gzip")]))
print(status, headers[b"content-type"].decode(), headers[b"content-encoding"], orders(gzip.decompress(body).decode()))
print(asyncio.run(asgi(otelrs.make_asgi_app(), method="DELETE"))[0])
e = otelrs.prometheus_exposition()
print(type(e).__name__, e.content_encoding, orders(e.body.decode()))
""")
    assert out.splitlines() == [
        "no port taken",
        "200 OK text/plain; version=0.0.4; charset=utf-8 True ['shop_orders_total{region=\"eu\",otel_scope_name=\"shop\"} 3.0']",
        "application/openmetrics-text; version=1.0.0; charset=utf-8 gzip True ['shop_orders_total{region=\"eu\",otel_scope_name=\"shop\"} 3.0']",
        "None",
        "200 OK b'' True",
        "405 Method Not Allowed",
        "200 text/plain; version=0.0.4; charset=utf-8 b'gzip' ['shop_orders_total{region=\"eu\",otel_scope_name=\"shop\"} 3.0']",
        "405",
        "Exposition None ['shop_orders_total{region=\"eu\",otel_scope_name=\"shop\"} 3.0']",
    ]


def test_the_apps_own_server_without_the_prometheus_exporter() -> None:
    r = run_py("""
import logging, otelrs
logging.basicConfig(format="%(name)s %(levelname)s %(message)s")
app = otelrs.make_wsgi_app()  # otelrs not initialised yet: checked at each scrape
def scrape():
    got = []
    body = b"".join(app({"REQUEST_METHOD": "GET"}, lambda status, headers: got.append(status)))
    return got[0], body.decode().strip()
print(*scrape())
otelrs.init(metrics_exporter="none")
print(*scrape())
scrape()  # reported once
try:
    otelrs.make_asgi_app()
except otelrs.ConfigError as e:
    print("ConfigError:", e)
""")
    assert r.returncode == 0, r.stderr
    # Each reason reported once on the otelrs logger, the second scrape's not again.
    assert r.stderr.count("otelrs ERROR the Prometheus exposition failed: ") == 2, r.stderr
    assert r.stdout.splitlines() == [
        "503 Service Unavailable otelrs is not initialised",
        "503 Service Unavailable the Prometheus exposition needs the Prometheus exporter: add prometheus to "
        "OTEL_METRICS_EXPORTER (with OTELRS_PROMETHEUS_LISTEN=false when the app's own server is to serve it alone)",
        "ConfigError: the Prometheus exposition needs the Prometheus exporter: add prometheus to "
        "OTEL_METRICS_EXPORTER (with OTELRS_PROMETHEUS_LISTEN=false when the app's own server is to serve it alone)",
    ]
