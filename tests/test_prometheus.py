"""The Prometheus pull endpoint (OTEL_METRICS_EXPORTER=prometheus), from C (tests/c/prometheus.c):
the text format checked by promtool and prometheus_client's parser, OpenMetrics by its strict
parser; names, units, types, labels, scope labels and target_info as the compatibility spec
says; gzip; a real Prometheus server scraping it (PromQL through its HTTP API); push and pull
at once, each with its own temporality; a port in use."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import resource
import selectors
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email.message import Message

import pytest
from conftest import clean_env, free_port
from prometheus_client.openmetrics import parser as openmetrics_parser
from prometheus_client.parser import text_string_to_metric_families

OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"



@contextlib.contextmanager
def serving(c_program, run_id: str, port: int, max_files: int | None = None, **settings: str):
    """tests/c/prometheus.c serving on `port` until the block ends (with at most `max_files`
    open file descriptors, if given)."""
    env = clean_env(**{"OTEL_METRICS_EXPORTER": "prometheus", "OTEL_LOGS_EXPORTER": "none",
                       "OTEL_EXPORTER_PROMETHEUS_PORT": str(port), "OTEL_SERVICE_NAME": f"prom-{run_id}", **settings})

    def limit_files() -> None:
        if max_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, max_files))

    proc = subprocess.Popen([str(c_program("prometheus")), run_id], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit_files)
    try:
        line = proc.stdout.readline()
        assert line == "ready\n", line + proc.stderr.read()
        yield proc
    finally:
        out, err = proc.communicate(timeout=30)  # closes its standard input: it stops
        assert proc.returncode == 0, out + err


def scrape(port: int, accept: str | None = None, encoding: str | None = None) -> tuple[Message, bytes]:
    """The headers (case-insensitive) and body of a scrape."""
    headers = {}
    if accept:
        headers["Accept"] = accept
    if encoding:
        headers["Accept-Encoding"] = encoding
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers, r.read()


def samples(families) -> dict[tuple[str, frozenset], float]:
    """(sample name, labels) -> value of every sample."""
    out = {}
    for f in families:
        for s in f.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def key(name: str, **labels: str) -> tuple[str, frozenset]:
    return (name, frozenset(labels.items()))


def check_recorded(families: dict, run: str, service: str):
    """What tests/c/prometheus.c recorded, as both formats must show it."""
    got = samples(families.values())
    shop = {"otel_scope_name": "shop", "otel_scope_version": "1.0"}
    assert families["shop_orders"].type == "counter"
    assert families["shop_orders"].documentation == "Orders placed"
    assert got[key("shop_orders_total", run=run, region="eu", paid="true", **shop)] == 3
    # The same name from another meter is one family, told apart by the scope labels.
    assert got[key("shop_orders_total", run=run, otel_scope_name="other.lib")] == 7
    hist = "http_server_request_duration_seconds"
    assert families[hist].type == "histogram"
    assert families[hist].documentation == 'Request "latency"\nper route'
    route = {"run": run, "http_route": "/users", **shop}
    assert [got[key(f"{hist}_bucket", le=le, **route)] for le in ("0.005", "0.01", "0.05", "+Inf")] == [1, 1, 2, 2]
    assert got[key(f"{hist}_sum", **route)] == pytest.approx(0.044)
    assert got[key(f"{hist}_count", **route)] == 2
    # "a.b" and "a_b" are both a_b: their values joined with ";" in the order of the keys.
    assert got[key("disk_io_bytes_total", run=run, a_b="dot;underscore", quote='say "hi"\\ok\nnext', **shop)] == 1.5
    assert families["http_connections"].type == "gauge"  # a non-monotonic sum; {connection} is no unit
    assert got[key("http_connections", run=run, **shop)] == -2
    assert got[key("room_temperature_celsius", run=run, **shop)] == 21
    assert got[key("pool_utilization_ratio", run=run, pool="main", **shop)] == 0.25
    (target,) = [labels for (name, labels) in got if name == "target_info"]
    target = dict(target)
    assert target["service_name"] == service and target["telemetry_sdk_name"] == "otelrs"
    assert "otel_scope_name" not in target


def test_the_text_format_passes_promtool_and_shows_what_was_recorded(c_program):
    run, port = uuid.uuid4().hex[:8], free_port()
    with serving(c_program, run, port):
        headers, body = scrape(port)
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    check_recorded(families, run, f"prom-{run}")
    text = body.decode()
    assert "# TYPE shop_orders_total counter\n" in text and text.count("# TYPE shop_orders_total") == 1
    # An instrument without a description still has help text, or promtool's lint fails.
    assert "# HELP queue_depth queue.depth\n" in text


def test_openmetrics_when_the_scraper_asks_for_it(c_program):
    run, port = uuid.uuid4().hex[:8], free_port()
    with serving(c_program, run, port):
        headers, body = scrape(port, accept=OPENMETRICS)
    assert headers["Content-Type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8"
    text = body.decode()
    assert text.endswith("# EOF\n")
    # The strict parser refuses anything OpenMetrics does not allow.
    families = {f.name: f for f in openmetrics_parser.text_string_to_metric_families(text)}
    check_recorded(families, run, f"prom-{run}")
    assert families["target"].type == "info"
    assert families["http_server_request_duration_seconds"].unit == "seconds"
    created = [s for s in families["shop_orders"].samples if s.name == "shop_orders_created"]
    assert created and all(abs(s.value - time.time()) < 300 for s in created)


def test_gzip_when_accepted_and_clear_answers_elsewhere(c_program):
    run, port = uuid.uuid4().hex[:8], free_port()
    with serving(c_program, run, port):
        headers, body = scrape(port, encoding="gzip")
        plain = scrape(port)[1]
        with pytest.raises(urllib.error.HTTPError) as not_found:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=10)
        with pytest.raises(urllib.error.HTTPError) as not_allowed:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/metrics", data=b"x"), timeout=10)
    assert headers["Content-Encoding"] == "gzip"
    unzipped = gzip.decompress(body).decode()
    assert len(body) < len(unzipped)
    assert samples(text_string_to_metric_families(unzipped)).keys() == samples(
        text_string_to_metric_families(plain.decode())).keys()
    assert not_found.value.code == 404 and b"/metrics" in not_found.value.read()
    assert not_allowed.value.code == 405


def prometheus_server() -> tuple[int, str]:
    """The port the test Prometheus scrapes, and the URL of its API (tests/run-all.sh starts it)."""
    target = os.environ.get("OTELRS_TEST_PROMETHEUS_TARGET_PORT")
    api = os.environ.get("OTELRS_TEST_PROMETHEUS_URL")
    if not (target and api):
        pytest.fail("Prometheus is not running: run the tests with tests/run-all.sh")
    return int(target), api


def test_a_real_prometheus_server_scrapes_it(c_program):
    target, api = prometheus_server()
    run = uuid.uuid4().hex[:8]
    # always_on: the OpenMetrics scrapes Prometheus parses carry exemplars too.
    with serving(c_program, run, target, OTEL_METRICS_EXEMPLAR_FILTER="always_on"):
        deadline = time.monotonic() + 30
        while not (orders := prometheus_query(api, f'shop_orders_total{{run="{run}",otel_scope_name="shop"}}')):
            assert time.monotonic() < deadline, "Prometheus did not scrape the endpoint within 30 s"
            time.sleep(0.5)
        count = prometheus_query(api, f'http_server_request_duration_seconds_count{{run="{run}"}}')
        below_10 = prometheus_query(api, f'http_server_request_duration_seconds_bucket{{run="{run}",le="0.01"}}')
        ratio = prometheus_query(api, f'pool_utilization_ratio{{run="{run}"}}')
        info = prometheus_query(api, f'target_info{{service_name="prom-{run}"}}')
    (series,) = orders
    assert series["value"][1] == "3"
    assert series["metric"]["job"] == "otelrs" and series["metric"]["region"] == "eu"
    assert [r["value"][1] for r in count + below_10 + ratio + info] == ["2", "1", "0.25", "1"]


def prometheus_query(api: str, promql: str) -> list[dict]:
    url = f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as r:
        answer = json.loads(r.read())
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_push_and_pull_at_once_each_with_its_own_temporality(c_program, tmp_path):
    run, port = uuid.uuid4().hex[:8], free_port()
    path = tmp_path / "metrics.jsonl"
    with serving(c_program, run, port, OTEL_METRICS_EXPORTER="prometheus,file",
                 OTELRS_EXPORTER_FILE_METRICS_PATH=str(path),
                 OTELRS_EXPORTER_FILE_METRICS_TEMPORALITY_PREFERENCE="delta") as proc:
        proc.stdin.write("again\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == "again\n"
        body = scrape(port)[1]
    got = samples(text_string_to_metric_families(body.decode()))
    shop = {"otel_scope_name": "shop", "otel_scope_version": "1.0"}
    assert got[key("shop_orders_total", run=run, region="eu", paid="true", **shop)] == 6  # cumulative
    pushed = []
    for line in path.read_text().splitlines():
        for rm in json.loads(line)["resourceMetrics"]:
            for sm in rm["scopeMetrics"]:
                for m in sm["metrics"]:
                    if m["name"] == "shop.orders" and sm["scope"]["name"] == "shop":
                        assert m["sum"]["aggregationTemporality"] == 1  # delta
                        pushed += [int(p["asInt"]) for p in m["sum"]["dataPoints"]]
    assert pushed == [3, 3]


def test_a_port_in_use_is_an_error_of_init(c_program):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(OTEL_METRICS_EXPORTER="prometheus", OTEL_LOGS_EXPORTER="none",
                        OTEL_EXPORTER_PROMETHEUS_HOST="127.0.0.1", OTEL_EXPORTER_PROMETHEUS_PORT=str(port))
        r = subprocess.run([str(c_program("prometheus")), "x"], env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == 2
    assert f"otelrs_sdk_new: OTEL_EXPORTER_PROMETHEUS_HOST/PORT 127.0.0.1:{port}: cannot listen there" in r.stderr
    assert "in use" in r.stderr


def test_an_exponential_histogram_is_scraped_as_classic_buckets(c_program):
    run, port = uuid.uuid4().hex[:8], free_port()
    with serving(c_program, run, port, OTELRS_METRICS_VIEWS="instrument_name=http.server.request.duration,"
                 "aggregation=base2_exponential_bucket_histogram,max_scale=2"):
        body = scrape(port)[1]
    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    (family,) = [f for f in text_string_to_metric_families(body.decode())
                 if f.name == "http_server_request_duration_seconds"]
    assert family.type == "histogram"
    buckets = [(float(s.labels["le"]), s.value) for s in family.samples if s.name.endswith("_bucket")]
    # Scale 2: bounds are powers of 2^(1/4); 0.004 and 0.04 fall in two of them.
    assert buckets[-1] == (float("inf"), 2)
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert any(le < 0.005 and v == 1 for le, v in buckets) and any(0.04 <= le < 0.05 and v == 2 for le, v in buckets)
    assert {s.name: s.value for s in family.samples if not s.name.endswith("_bucket")}[
        "http_server_request_duration_seconds_count"] == 2


def test_idle_and_half_sent_connections_take_neither_the_files_nor_the_scrapes(c_program):
    # 2,000 clients connect and send half a request (slowloris) to a process limited to 1,024
    # descriptors. Before the connection cap, 1,146 such connections took every descriptor
    # and the application's own fopen failed.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    port = free_port()
    attackers: list[socket.socket] = []
    with serving(c_program, uuid.uuid4().hex[:8], port, max_files=1024) as proc:
        sel = selectors.DefaultSelector()
        for _ in range(2000):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            sel.register(s, selectors.EVENT_WRITE)
            attackers.append(s)
        deadline = time.monotonic() + 20
        pending = set(attackers)
        while pending and time.monotonic() < deadline:
            for k, _ in sel.select(timeout=0.5):
                sock = k.fileobj
                with contextlib.suppress(OSError):
                    sock.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and never the end
                sel.unregister(sock)
                pending.discard(sock)
        assert len(pending) < 2000
        for _ in range(3):
            proc.stdin.write("files\n")
            proc.stdin.flush()
            assert proc.stdout.readline() == "files 100\n"
            _, body = scrape(port)
            assert b"shop_orders_total" in body
            time.sleep(0.2)
        fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
        assert fds < 200, f"the endpoint holds {fds} descriptors"
        for s in attackers:
            s.close()
