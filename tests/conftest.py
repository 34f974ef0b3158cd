"""Shared fixtures: C programs built against the installed otelrs (pkg-config), a clean
environment for each run, and the services tests/run-all.sh starts (the Collector,
VictoriaLogs, OpenSearch, ClickHouse's HTTP interface over chDB)."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

ROOT = pathlib.Path(__file__).resolve().parent.parent
# OTELRS_TEST_TARGET=aarch64-linux-gnu: the C programs are cross-built for aarch64 (against the
# aarch64 otelrs OTELRS_PREFIX names) and run under qemu-aarch64 with Debian's aarch64 glibc;
# tests/run-all.sh runs some of the C tests so.
CROSS = os.environ.get("OTELRS_TEST_TARGET", "")
CROSS_TOOLS = {"aarch64-linux-gnu": ("aarch64-linux-gnu-gcc", "qemu-aarch64 -L /usr/aarch64-linux-gnu")}
if CROSS and CROSS not in CROSS_TOOLS:
    raise SystemExit(f"OTELRS_TEST_TARGET={CROSS}: the C tests cross-run for {', '.join(CROSS_TOOLS)} only")
BUILD = ROOT / "build" / "tests" / (CROSS or "native")


def prefix() -> pathlib.Path:
    return pathlib.Path(os.environ.get("OTELRS_PREFIX", ROOT / "build" / "prefix"))


def clean_env(**settings: str) -> dict[str, str]:
    """The environment without any OTEL_/OTELRS_ setting of the caller's, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    env.update(settings)
    return env


@pytest.fixture(scope="session")
def c_program():
    """Builds tests/c/NAME.c the way a user would: cc ... $(pkg-config --cflags --libs otelrs).

    Cross-built (OTELRS_TEST_TARGET), NAME is a script that runs the program under qemu, so
    that tests start it as they start a native one."""
    BUILD.mkdir(parents=True, exist_ok=True)
    built: dict[str, pathlib.Path] = {}
    pc_env = dict(os.environ, PKG_CONFIG_PATH=str(prefix() / "lib" / "pkgconfig"))

    def build(name: str) -> pathlib.Path:
        if name not in built:
            flags = subprocess.run(
                ["pkg-config", "--cflags", "--libs", "otelrs"], env=pc_env, check=True, capture_output=True, text=True
            ).stdout.split()
            out = BUILD / name
            source = ROOT / "tests" / "c" / f"{name}.c"
            cc, runner = CROSS_TOOLS.get(CROSS, ("cc", ""))
            if runner:
                out.write_text(f'#!/bin/sh\nexec {runner} "{out}.bin" "$@"\n')
                out.chmod(0o755)
                out = out.with_name(f"{name}.bin")
            cmd = [cc, "-std=c99", "-D_DEFAULT_SOURCE", "-g", "-O1", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
            subprocess.run([*cmd, str(source), *flags, "-lm", "-lpthread", "-o", str(out)], check=True)
            built[name] = BUILD / name
        return built[name]

    return build


def run(program, *args: str, env: dict[str, str], timeout: float = 60, valgrind: bool = False):
    cmd = [str(program), *args]
    if valgrind:
        assert not CROSS, "valgrind runs native programs only: deselect this test (-k 'not valgrind')"
        cmd = [
            "valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite", *cmd,
        ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


@dataclass
class Collector:
    grpc: str
    http: str
    grpc_tls: str
    http_tls: str
    ca: pathlib.Path
    out: pathlib.Path

    def requests(self) -> list[dict]:
        if not self.out.exists():
            return []
        out = []
        for line in self.out.read_text().split("\n"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # an empty line, or the last one while the Collector is still writing it
        return out

    def wait_for(self, service: str, count: int, timeout: float = 30) -> list[dict]:
        """The ResourceMetrics of `service` once at least `count` have arrived."""
        from otlp import resource_metrics

        return self._wait(lambda: resource_metrics(self.requests(), service), lambda found: len(found) >= count, timeout)

    def wait_for_logs(self, service: str, count: int, timeout: float = 30) -> list[tuple[dict, dict]]:
        """(scope, record) of every log record of `service` once at least `count` have arrived."""
        from otlp import log_records, resource_logs

        return self._wait(lambda: log_records(resource_logs(self.requests(), service)),
                          lambda found: len(found) >= count, timeout)

    @staticmethod
    def _wait(fetch, done, timeout):
        deadline = time.monotonic() + timeout
        while True:
            found = fetch()
            if done(found) or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


@pytest.fixture(scope="session")
def collector() -> Collector:
    out = os.environ.get("OTELRS_TEST_COLLECTOR_OUT")
    if not out:
        pytest.fail("the Collector is not running: run the tests with tests/run-all.sh")
    return Collector(
        grpc=f"http://127.0.0.1:{os.environ['OTELRS_TEST_GRPC_PORT']}",
        http=f"http://127.0.0.1:{os.environ['OTELRS_TEST_HTTP_PORT']}",
        grpc_tls=f"https://localhost:{os.environ['OTELRS_TEST_GRPC_TLS_PORT']}",
        http_tls=f"https://localhost:{os.environ['OTELRS_TEST_HTTP_TLS_PORT']}",
        ca=pathlib.Path(os.environ["OTELRS_TEST_TLS_DIR"]) / "ca.pem",
        out=pathlib.Path(out),
    )


class OwnCollector:
    """A Collector of the test's own (the binary tests/run-all.sh built, the same config or
    another of tests/collector) on ports of its own, which the test can stop and start again."""

    def __init__(self, tmp: pathlib.Path, config: str = "config.yaml"):
        binary = os.environ.get("OTELRS_TEST_COLLECTOR_BIN")
        if not binary:
            pytest.fail("the Collector binary is unknown: run the tests with tests/run-all.sh")
        ports = {name: str(free_port()) for name in
                 ("OTELRS_TEST_GRPC_PORT", "OTELRS_TEST_HTTP_PORT", "OTELRS_TEST_GRPC_TLS_PORT",
                  "OTELRS_TEST_HTTP_TLS_PORT")}
        self.env = dict(os.environ, **ports, OTELRS_TEST_COLLECTOR_OUT=str(tmp / "received.jsonl"))
        self.cmd = [binary, "--config", str(ROOT / "tests" / "collector" / config)]
        self.grpc = f"http://127.0.0.1:{ports['OTELRS_TEST_GRPC_PORT']}"
        self.http = f"http://127.0.0.1:{ports['OTELRS_TEST_HTTP_PORT']}"
        self.out = tmp / "received.jsonl"
        self.log = tmp / "collector.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(self.cmd, env=self.env, stdout=log, stderr=log)
        port = int(self.grpc.rsplit(":", 1)[1])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError(f"the Collector did not listen: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def requests(self) -> list[dict]:
        return Collector.requests(self)  # type: ignore[arg-type]


@pytest.fixture
def own_collector(tmp_path):
    c = OwnCollector(tmp_path)
    c.start()
    yield c
    c.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def service_name(request) -> str:
    """A service.name no other test uses, to find this test's data in shared output."""
    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"


class VictoriaLogs:
    """VictoriaLogs, which takes Loki pushes (and Elasticsearch bulk requests), queried back
    through its LogsQL HTTP API. tests/run-all.sh starts one; `OwnVictoriaLogs` is a test's own."""

    def __init__(self, url: str):
        self.url = url
        self.loki = f"{url}/insert/loki/api/v1/push"

    def query(self, logsql: str, headers: dict[str, str] | None = None) -> list[dict]:
        data = urllib.parse.urlencode({"query": logsql}).encode()
        request = urllib.request.Request(f"{self.url}/select/logsql/query", data=data, headers=headers or {})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return [json.loads(line) for line in answer.read().decode().splitlines() if line.strip()]

    def wait_for(self, logsql: str, count: int, timeout: float = 20, **kw) -> list[dict]:
        """The records `logsql` finds once there are `count` of them (or what there is after
        `timeout`): VictoriaLogs makes what it took searchable within a second or so."""
        return Collector._wait(lambda: self.query(logsql, **kw), lambda found: len(found) >= count, timeout)


@pytest.fixture(scope="session")
def victorialogs() -> VictoriaLogs:
    url = os.environ.get("OTELRS_TEST_VICTORIALOGS_URL")
    if not url:
        pytest.fail("VictoriaLogs is not running: run the tests with tests/run-all.sh")
    return VictoriaLogs(url)


class OwnVictoriaLogs(VictoriaLogs):
    """A VictoriaLogs of the test's own (the binary tests/run-all.sh built) on a port of its own,
    with `flags` (e.g. basic auth), which the test can stop and start again."""

    def __init__(self, tmp: pathlib.Path, *flags: str):
        binary = os.environ.get("OTELRS_TEST_VICTORIALOGS_BIN")
        if not binary:
            pytest.fail("the VictoriaLogs binary is unknown: run the tests with tests/run-all.sh")
        self.port = free_port()
        super().__init__(f"http://127.0.0.1:{self.port}")
        # Kept for 100 years: records of any time a test gives are taken.
        self.cmd = [binary, f"-storageDataPath={tmp / 'victorialogs'}", f"-httpListenAddr=127.0.0.1:{self.port}",
                    "-retentionPeriod=100y", *flags]
        self.log = tmp / "victorialogs.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(self.cmd, stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.05)
        raise AssertionError(f"VictoriaLogs did not listen: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


class Clickhouse:
    """ClickHouse's HTTP interface (tests/clickhouse/server.py, over chDB), queried with SQL.
    tests/run-all.sh starts one; `OwnClickhouse` is a test's own."""

    def __init__(self, url: str):
        self.url = url

    def query(self, sql: str, auth: tuple[str, str] | None = None) -> list[dict]:
        headers = {}
        if auth:
            headers = {"X-ClickHouse-User": auth[0], "X-ClickHouse-Key": auth[1]}
        request = urllib.request.Request(self.url, data=f"{sql} FORMAT JSONEachRow".encode(), headers=headers)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return [json.loads(line) for line in answer.read().decode().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def clickhouse() -> Clickhouse:
    url = os.environ.get("OTELRS_TEST_CLICKHOUSE_URL")
    if not url:
        pytest.fail("ClickHouse is not running: run the tests with tests/run-all.sh")
    return Clickhouse(url)


class OwnClickhouse(Clickhouse):
    """A ClickHouse HTTP interface of the test's own (tests/clickhouse/server.py on a port of
    its own, with `args` such as --user), which the test can stop and start again."""

    def __init__(self, tmp: pathlib.Path, *args: str):
        self.port = free_port()
        super().__init__(f"http://127.0.0.1:{self.port}")
        self.cmd = [sys.executable, str(ROOT / "tests" / "clickhouse" / "server.py"), "--port", str(self.port),
                    "--path", str(tmp / "chdb"), *args]
        self.log = tmp / "clickhouse.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(self.cmd, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=1):
                    return
            except OSError:
                assert self.process.poll() is None, self.log.read_text()
                time.sleep(0.1)
        raise AssertionError(f"ClickHouse did not answer: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


class OpenSearch:
    """OpenSearch (tests/opensearch, started by tests/run-all.sh), with the index templates
    Elasticsearch has built in for OpenTelemetry data: `logs-*.otel-*` are data streams whose
    documents follow the `otel` mapping."""

    def __init__(self, url: str):
        self.url = url

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def template(self, name: str, pattern: str, properties: dict, priority: int = 100) -> None:
        self.call("PUT", f"/_index_template/{name}", {
            "index_patterns": [pattern], "data_stream": {}, "priority": priority,
            "template": {"mappings": {"properties": properties}},
        })

    def search(self, index: str, query: str, size: int = 100) -> list[dict]:
        self.call("POST", f"/{index}/_refresh")
        q = urllib.parse.urlencode({"q": query, "size": size})
        return [hit["_source"] for hit in self.call("GET", f"/{index}/_search?{q}")["hits"]["hits"]]


# What the `otel` mapping of Elasticsearch's built-in templates gives the top-level fields.
OTEL_MAPPING = {
    "@timestamp": {"type": "date_nanos"}, "observed_timestamp": {"type": "date_nanos"},
    "severity_text": {"type": "keyword"}, "severity_number": {"type": "byte"},
    "trace_id": {"type": "keyword"}, "span_id": {"type": "keyword"}, "event_name": {"type": "keyword"},
    "body": {"properties": {"text": {"type": "text"}}},
}


@pytest.fixture(scope="session")
def opensearch() -> OpenSearch:
    url = os.environ.get("OTELRS_TEST_OPENSEARCH_URL")
    if not url:
        pytest.fail("OpenSearch is not running: run the tests with tests/run-all.sh")
    os_ = OpenSearch(url)
    os_.template("logs-otel", "logs-*.otel-*", OTEL_MAPPING)
    return os_
