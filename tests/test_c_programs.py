"""C programs built against the installed header and library: the error model, every
instrument through the memory, file and console exporters, disabled mode, shutdown against an
endpoint that never answers, all also under valgrind where it matters."""

from __future__ import annotations

import gzip
import http.server
import json
import socket
import threading

import pytest
from conftest import clean_env, run
from expected import check_record_all, check_resource
from otlp import metrics, number, resource_metrics, series


def test_error_model(c_program):
    r = run(c_program("test_errors"), env=clean_env())
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith(" 0 failed")


def test_error_model_under_valgrind(c_program):
    r = run(c_program("test_errors"), env=clean_env(), valgrind=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr == "", r.stderr  # no error and no definite leak reported


def memory_phases(stdout: str) -> tuple[list[dict], int]:
    phases = [json.loads(line.split(" ", 1)[1]) for line in stdout.splitlines() if line.startswith("phase")]
    pid = int(stdout.splitlines()[-1].split()[1])
    return phases, pid


@pytest.mark.parametrize("temporality", ["cumulative", "delta"])
def test_every_instrument_through_the_memory_exporter(c_program, service_name, temporality):
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_METRICS_EXPORTER="memory",
        OTELRS_EXPORTER_MEMORY_METRICS_TEMPORALITY_PREFERENCE=temporality,
        OTEL_RESOURCE_ATTRIBUTES="deployment.environment.name=test,team=a%2Cb",
    )
    r = run(c_program("record_all"), env=env)
    assert r.returncode == 0, r.stderr
    phases, pid = memory_phases(r.stdout)
    assert len(phases) == 2
    for phase, request in enumerate(phases, start=1):
        (rm,) = resource_metrics([request], service_name)
        check_resource(rm, service_name, pid, {"deployment.environment.name": "test", "team": "a,b"})
        check_record_all(rm, phase, temporality)


def test_every_instrument_under_valgrind(c_program, service_name):
    env = clean_env(OTEL_SERVICE_NAME=service_name, OTEL_METRICS_EXPORTER="memory")
    r = run(c_program("record_all"), env=env, valgrind=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    phases, _ = memory_phases(r.stdout)
    check_record_all(resource_metrics([phases[1]], service_name)[0], 2, "cumulative")


def test_file_exporter_writes_otlp_json_lines(c_program, service_name, tmp_path):
    path = tmp_path / "metrics.jsonl"
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_METRICS_EXPORTER="file",
        OTELRS_EXPORTER_FILE_METRICS_PATH=str(path),
        OTELRS_EXPORTER_FILE_METRICS_TEMPORALITY_PREFERENCE="delta",
    )
    r = run(c_program("record_all"), env=env)
    assert r.returncode == 0, r.stderr
    lines = path.read_text().splitlines()
    assert len(lines) == 2  # the flush, then the shutdown
    for phase, line in enumerate(lines, start=1):
        (rm,) = resource_metrics([json.loads(line)], service_name)
        check_record_all(rm, phase, "delta")


def test_console_exporter_prints_readable_lines(c_program, service_name):
    env = clean_env(OTEL_SERVICE_NAME=service_name, OTEL_METRICS_EXPORTER="console")
    r = run(c_program("record_all"), env=env)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.count("otelrs metrics ") == 2
    assert f'service.name="{service_name}"' in out
    assert '[e2e@1.2.3] e2e.counter_u64 ({request}) "Requests served" sum monotonic cumulative' in out
    assert '    {ok=true, route="/a"} 28' in out
    assert "    {} count=4 sum=556 min=1 max=500 (-inf,10]=2 (10,100]=1 (100,+inf)=1" in out
    assert '{bool=true, bools=[true,false], double=2.5, doubles=[0.5,1.5], int=-42, ints=[1,-2,3], str="text", strs=["x","y"]} 1' in out


def test_several_exporters_each_with_its_own_temporality(c_program, service_name, tmp_path):
    path = tmp_path / "metrics.jsonl"
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_METRICS_EXPORTER="memory,file,console",
        OTELRS_EXPORTER_FILE_METRICS_PATH=str(path),
        OTELRS_EXPORTER_FILE_METRICS_TEMPORALITY_PREFERENCE="delta",
    )
    r = run(c_program("record_all"), env=env)
    assert r.returncode == 0, r.stderr
    phases, _ = memory_phases(r.stdout)
    check_record_all(resource_metrics([phases[1]], service_name)[0], 2, "cumulative")
    check_record_all(resource_metrics([json.loads(path.read_text().splitlines()[1])], service_name)[0], 2, "delta")
    assert "    {ok=true, route=\"/a\"} 28" in r.stdout


def test_disabled_sdk_is_a_no_op(c_program, tmp_path):
    path = tmp_path / "metrics.jsonl"
    env = clean_env(OTEL_SDK_DISABLED="true", OTEL_METRICS_EXPORTER="memory,file",
                    OTELRS_EXPORTER_FILE_METRICS_PATH=str(path))
    r = run(c_program("record_all"), env=env)
    assert r.returncode == 0, r.stderr
    phases, _ = memory_phases(r.stdout)
    assert phases == [{"resourceMetrics": []}] * 2
    assert not path.exists()


@pytest.fixture
def silent_endpoint():
    """A loopback port that accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_shutdown_returns_within_its_timeout_when_the_endpoint_never_answers(c_program, silent_endpoint, protocol):
    env = clean_env(OTEL_EXPORTER_OTLP_PROTOCOL=protocol, OTEL_EXPORTER_OTLP_ENDPOINT=silent_endpoint)
    # shutdown is given 1 s; the OTLP request timeout is the default 10 s. The subprocess
    # limit turns a hang into a failure.
    r = run(c_program("shutdown"), "shutdown", env=env, timeout=8)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OTELRS_ERR_TIMEOUT otelrs_sdk_shutdown: exporting did not finish within 1000 ms")
    assert r.stdout.rstrip().endswith("done")


def test_shutdown_reports_an_unreachable_endpoint(c_program):
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1")
    r = run(c_program("shutdown"), "shutdown", env=env, timeout=8)
    assert r.returncode == 0, r.stderr
    status = r.stdout.split()[0]
    assert status in ("OTELRS_ERR_EXPORT", "OTELRS_ERR_TIMEOUT"), r.stdout


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_free_without_shutdown_neither_hangs_nor_crashes(c_program, silent_endpoint, protocol):
    env = clean_env(OTEL_EXPORTER_OTLP_PROTOCOL=protocol, OTEL_EXPORTER_OTLP_ENDPOINT=silent_endpoint)
    r = run(c_program("shutdown"), "free", env=env, timeout=8)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "done"


def test_handles_shared_by_threads_count_every_measurement_once(c_program, tmp_path):
    logs = tmp_path / "logs.jsonl"
    env = clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="file",
                    OTELRS_EXPORTER_FILE_LOGS_PATH=str(logs), OTEL_BLRP_MAX_QUEUE_SIZE="4096")
    r = run(c_program("threads"), env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    request = json.loads(r.stdout.splitlines()[0])
    got = metrics(resource_metrics([request])[0])
    counter = {dict(k)["thread"]: number(p) for k, p in series(got["threads.counter"][1]).items()}
    assert counter == {"t0": 50000, "t1": 50000, "t2": 50000, "t3": 50000, "shared": 4 * 50000 * (2 + 3)}
    histogram = {dict(k)["thread"]: int(p["count"]) for k, p in series(got["threads.histogram"][1]).items()}
    assert histogram == {f"t{i}": 50000 for i in range(4)}
    words = r.stdout.splitlines()[1].split()
    stats = {k: int(v) for k, v in zip(words[::2], words[1::2])}
    assert stats["emitted"] == stats["kept"] == 4 * 500
    records = sum(len(sl["logRecords"]) for line in logs.read_text().splitlines()
                  for rl in json.loads(line)["resourceLogs"] for sl in rl["scopeLogs"])
    assert records + stats["dropped"] == 2000


class _Recorder(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that answers 200 and remembers each request's path and headers."""

    seen: list[tuple[str, dict[str, str], bytes]] = []
    answer = b""
    # Status codes to answer first, one per request, before answering 200.
    failures: list[int] = []

    def do_POST(self):  # noqa: N802 (the name http.server calls)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        if self.failures:
            self.send_response(self.failures.pop(0))
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", self.headers.get("Content-Type", ""))
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    _Recorder.seen = []
    _Recorder.answer = b""
    _Recorder.failures = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()


def test_otlp_http_sends_the_configured_headers_path_and_compression(c_program, recorder):
    endpoint, seen = recorder
    env = clean_env(
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
        OTEL_EXPORTER_OTLP_HEADERS="x-tenant=acme,authorization=Bearer%20t0k",
        OTEL_EXPORTER_OTLP_LOGS_HEADERS="x-tenant=logs-team",
        OTEL_EXPORTER_OTLP_METRICS_COMPRESSION="gzip",
    )
    r = run(c_program("record_all"), env=env)
    assert r.returncode == 0, r.stderr
    metrics_requests = [(h, b) for path, h, b in seen if path == "/v1/metrics"]
    assert len(metrics_requests) == 2  # the flush, then the shutdown
    for headers, body in metrics_requests:
        assert headers["x-tenant"] == "acme"
        assert headers["authorization"] == "Bearer t0k"
        assert headers["content-type"] == "application/x-protobuf"
        assert headers["content-encoding"] == "gzip"
        assert gzip.decompress(body)  # a real gzip stream
    r = run(c_program("logs"), "all", env=dict(env, OTEL_METRICS_EXPORTER="none"))
    assert r.returncode == 0, r.stderr
    logs_requests = [h for path, h, _ in seen if path == "/v1/logs"]
    assert logs_requests and all(h["x-tenant"] == "logs-team" for h in logs_requests)
    assert all("content-encoding" not in h for h in logs_requests)
    seen.clear()
    env.update(OTEL_METRICS_EXPORTER="none", OTEL_EXPORTER_OTLP_LOGS_PROTOCOL="http/json",
               OTEL_EXPORTER_OTLP_LOGS_COMPRESSION="gzip")
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stderr
    logs_requests = [(h, b) for path, h, b in seen if path == "/v1/logs"]
    assert logs_requests
    for headers, body in logs_requests:
        assert headers["content-type"] == "application/json" and headers["content-encoding"] == "gzip"
        assert json.loads(gzip.decompress(body))["resourceLogs"]


def test_a_partial_success_of_the_collector_is_an_export_error(c_program, recorder):
    endpoint, _ = recorder
    _Recorder.answer = json.dumps({"partialSuccess": {"rejectedLogRecords": "2", "errorMessage": "too old"}}).encode()
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_EXPORTER_OTLP_PROTOCOL="http/json",
                    OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
    r = run(c_program("logs"), "all", env=env)
    assert "flush OTELRS_ERR_EXPORT" in r.stdout
    assert "the Collector rejected 2 log records: too old" in r.stderr, r.stderr


@pytest.mark.parametrize("failures,delivered", [([503, 429, 502], True), ([400], False), ([503] * 4, False)])
def test_log_exports_are_retried_as_the_otlp_spec_says(c_program, recorder, failures, delivered):
    # 429, 502, 503 and 504 are retried (up to 3 times, honouring Retry-After); 400 is not.
    endpoint, seen = recorder
    _Recorder.failures = list(failures)
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                    OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
    r = run(c_program("logs"), "all", env=env)
    attempts = [path for path, _, _ in seen if path == "/v1/logs"]
    if delivered:
        assert "flush OTELRS_OK" in r.stdout, r.stderr
        assert len(attempts) == len(failures) + 1
    else:
        assert "flush OTELRS_ERR_EXPORT" in r.stdout
        assert len(attempts) == min(len(failures), 4)
        assert f"HTTP {failures[-1]}" in r.stderr, r.stderr


def stress_env(**more: str) -> dict[str, str]:
    """A collection every millisecond with callbacks that read otelrs's own state."""
    return clean_env(
        OTEL_METRIC_EXPORT_INTERVAL="1",
        OTEL_METRICS_EXPORTER="file",
        OTELRS_EXPORTER_FILE_METRICS_PATH="/dev/null",
        OTEL_LOGS_EXPORTER="discard",
        OTELRS_SYSTEM_METRICS="sdk,runtime",
        **more,
    )


def test_creating_instruments_while_collecting_never_deadlocks(c_program):
    # Before the lock order was fixed this hung before 1,000 instruments in every run.
    r = run(c_program("stress_create"), "create", "20000", env=stress_env(), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "created 20000" in r.stdout


def test_a_callback_cannot_create_collect_flush_or_shut_down(c_program):
    r = run(c_program("stress_create"), "callback", env=clean_env(OTEL_METRICS_EXPORTER="memory",
                                                                  OTEL_LOGS_EXPORTER="none"), timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith(" 0 failed")
