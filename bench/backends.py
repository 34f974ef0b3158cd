#!/usr/bin/env python3
"""Logs to each backend, in one run: OTLP gRPC to the Collector, Loki's push API and
Elasticsearch's bulk API (both to VictoriaLogs), and ClickHouse's HTTP interface (over chDB).
Every backend gets the same batching (BATCHING below). For each: the highest paced rate
(3 s per trial) whose records all arrived with none dropped;
the CPU the sending process spent per 10,000 records at 50,000 records/s; and the bytes it
sent per record (request bodies and headers, counted by a relay in front of the backend, at
20,000 records/s). The services are built and started as tests/run-all.sh does; bench_logs is
the one bench/run.py builds.

    python3 bench/backends.py        (prints a Markdown section)
"""

from __future__ import annotations

import json
import os
import pathlib
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
LOGS_BIN = BUILD / "bench_logs"
RATES = [50_000, 100_000, 150_000, 200_000, 300_000]
SECONDS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(ready: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1):
        return True


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def service(cmd: list[str], log: pathlib.Path, ready: Callable[[], bool], what: str,
            env: dict[str, str] | None = None) -> Iterator[None]:
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out, env=env)
    try:
        wait_until(lambda: proc.poll() is None and ready(), what)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Relay:
    """A TCP relay counting the bytes a client sends through it."""

    def __init__(self, port: int):
        self.target = port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sent = 0
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            client, _ = self.server.accept()
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self.pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client, False), daemon=True).start()

    def pipe(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        try:
            while data := src.recv(65536):
                if count:
                    with self.lock:
                        self.sent += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def paced(env: dict[str, str], rate: int, seconds: float) -> tuple[int, int, float]:
    """Runs bench_logs paced: records emitted and dropped, and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([str(LOGS_BIN), "paced", str(rate), str(seconds)], check=True, capture_output=True,
                         text=True, env=env).stdout.split()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return int(out[1]), int(out[3]), cpu


class Backend:
    """How to point bench_logs at a backend, and how many records of a service arrived."""

    name: str

    def env(self, service: str, port: int | None = None) -> dict[str, str]:
        raise NotImplementedError

    def arrived(self, service: str) -> int:
        raise NotImplementedError

    port: int


# The batching every backend is given, OTLP too: a queue that holds a stall of the backend
# (about a second at 50k records/s), and batches of the size bulk and ClickHouse inserts want
# (ClickHouse writes a part per insert; the Collector's clickhouse exporter is documented with
# batches of many thousand rows).
BATCHING = {"OTEL_BLRP_MAX_QUEUE_SIZE": "65536", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "8192"}


def base_env(service: str, exporter: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": exporter,
            "OTEL_SERVICE_NAME": service, **BATCHING}


class Collector(Backend):
    name = "OTLP gRPC to the Collector"

    def __init__(self, port: int, log: pathlib.Path):
        self.port, self.log = port, log

    def env(self, service: str, port: int | None = None) -> dict[str, str]:
        return dict(base_env(service, "otlp"), OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
                    OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port or self.port}")

    def arrived(self, service: str) -> int:
        # The debug exporter logs the records of each request (it does not say the service:
        # one trial runs at a time, and the count before it is subtracted).
        total = 0
        for line in self.log.read_text().splitlines():
            try:
                total += json.loads(line).get("log records", 0)
            except json.JSONDecodeError:
                pass
        return total


class VictoriaLogs(Backend):
    def __init__(self, port: int, protocol: str):
        self.port, self.protocol = port, protocol
        self.name = {"loki": "Loki push (protobuf) to VictoriaLogs",
                     "elasticsearch": "Elasticsearch bulk to VictoriaLogs"}[protocol]

    def env(self, service: str, port: int | None = None) -> dict[str, str]:
        url = f"http://127.0.0.1:{port or self.port}"
        if self.protocol == "loki":
            return dict(base_env(service, "loki"), OTELRS_EXPORTER_LOKI_ENDPOINT=f"{url}/insert/loki/api/v1/push")
        return dict(base_env(service, "elasticsearch"), OTELRS_EXPORTER_ELASTICSEARCH_ENDPOINT=f"{url}/insert/elasticsearch",
                    OTELRS_EXPORTER_ELASTICSEARCH_HEADERS="VL-Msg-Field=body.text,VL-Time-Field=@timestamp,"
                                                         "VL-Stream-Fields=resource.attributes.service.name")

    def arrived(self, service: str) -> int:
        field = "service_name" if self.protocol == "loki" else "resource.attributes.service.name"
        data = urllib.parse.urlencode({"query": f'{field}:"{service}" | stats count() n'}).encode()
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/select/logsql/query", data=data, timeout=30) as a:
            lines = a.read().decode().splitlines()
        return int(json.loads(lines[0])["n"]) if lines else 0


class Clickhouse(Backend):
    name = "ClickHouse HTTP (over chDB)"

    def __init__(self, port: int):
        self.port = port

    def env(self, service: str, port: int | None = None) -> dict[str, str]:
        return dict(base_env(service, "clickhouse"),
                    OTELRS_EXPORTER_CLICKHOUSE_ENDPOINT=f"http://127.0.0.1:{port or self.port}")

    def arrived(self, service: str) -> int:
        sql = f"SELECT count() FROM otel.otel_logs WHERE ServiceName = '{service}' FORMAT TabSeparated"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", data=sql.encode(), timeout=30) as a:
                return int(a.read().decode().strip() or 0)
        except urllib.error.HTTPError:
            return 0  # no table yet: nothing arrived


def delivered(backend: Backend, service: str, emitted: int, before: int = 0) -> int:
    """What arrived, waiting until all did (or 15 s passed)."""
    deadline = time.monotonic() + 15
    while True:
        got = backend.arrived(service) - before
        if got >= emitted or time.monotonic() > deadline:
            return got
        time.sleep(0.25)


def measure(backend: Backend) -> dict[str, object]:
    trials, best = [], 0
    for rate in RATES:
        service = f"bench-{rate}-{time.monotonic_ns()}"
        before = backend.arrived(service) if isinstance(backend, Collector) else 0
        emitted, dropped, _ = paced(backend.env(service), rate, SECONDS)
        got = delivered(backend, service, emitted, before)
        trials.append(f"{rate // 1000}k/s: {dropped} dropped, {got} of {emitted} arrived")
        if dropped or got != emitted:
            break
        best = rate
    service = f"bench-cpu-{time.monotonic_ns()}"
    emitted, _, cpu = paced(backend.env(service), 50_000, SECONDS)
    relay = Relay(backend.port)
    service = f"bench-bytes-{time.monotonic_ns()}"
    before = backend.arrived(service) if isinstance(backend, Collector) else 0
    bytes_emitted, _, _ = paced(backend.env(service, relay.port), 20_000, 1)
    delivered(backend, service, bytes_emitted, before)
    return {"rate": best, "trials": trials, "cpu_ms_per_10k": cpu / emitted * 10_000 * 1000,
            "bytes_per_record": relay.sent / bytes_emitted}


def main() -> None:
    if not LOGS_BIN.exists():
        raise SystemExit("build/bench_logs is missing: bench/run.py builds it")
    collector_bin = BUILD / "otelcol-test"
    subprocess.run(["go", "build", "-o", str(collector_bin), "."], check=True, cwd=ROOT / "tests" / "collector")
    version = (ROOT / "tests" / "victorialogs.version").read_text().strip()
    subprocess.run(["go", "install", f"github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@{version}"],
                   check=True, env=dict(os.environ, GOBIN=str(BUILD)))
    work = BUILD / "bench-backends"
    subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    grpc, vl, ch = free_port(), free_port(), free_port()
    collector_log = work / "collector.log"
    results = []
    with service([str(collector_bin), "--config", str(ROOT / "bench" / "collector.yaml")], collector_log,
                 lambda: listening(grpc), "the Collector", env=dict(os.environ, OTELRS_BENCH_GRPC_PORT=str(grpc))), \
         service([str(BUILD / "victoria-logs"), f"-storageDataPath={work / 'vl'}", f"-httpListenAddr=127.0.0.1:{vl}"],
                 work / "victorialogs.log", lambda: http_ok(f"http://127.0.0.1:{vl}/health"), "VictoriaLogs"), \
         service([sys.executable, str(ROOT / "tests" / "clickhouse" / "server.py"), "--port", str(ch), "--path",
                  str(work / "chdb")], work / "clickhouse.log", lambda: http_ok(f"http://127.0.0.1:{ch}/ping"),
                 "ClickHouse"):
        for backend in (Collector(grpc, collector_log), VictoriaLogs(vl, "loki"), VictoriaLogs(vl, "elasticsearch"),
                        Clickhouse(ch)):
            results.append((backend.name, measure(backend)))
    otlp_cpu = results[0][1]["cpu_ms_per_10k"]
    print("| backend | highest rate, 0 dropped, all arrived (3 s) | CPU per 10k records at 50k/s | vs OTLP | "
          "bytes sent per record |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results:
        print(f"| {name} | {r['rate'] // 1000}k/s | {r['cpu_ms_per_10k']:.1f} ms | "
              f"{r['cpu_ms_per_10k'] / otlp_cpu:.2f}x | {r['bytes_per_record']:.0f} B |")
    print()
    backends = results[1:]
    slowest = min(backends, key=lambda nr: nr[1]["rate"])
    costliest = max(backends, key=lambda nr: nr[1]["cpu_ms_per_10k"])
    met = slowest[1]["rate"] >= 100_000 and costliest[1]["cpu_ms_per_10k"] <= 2 * otlp_cpu
    print(f"Target: every backend at least 100k records/s, its CPU per record within 2x of OTLP's: "
          f"**{'met' if met else 'missed'}** (slowest: {slowest[0]}, {slowest[1]['rate'] // 1000}k/s; costliest: "
          f"{costliest[0]}, {costliest[1]['cpu_ms_per_10k'] / otlp_cpu:.2f}x).")
    print()
    for name, r in results:
        print(f"- {name}: " + "; ".join(r["trials"]))


if __name__ == "__main__":
    main()
