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
