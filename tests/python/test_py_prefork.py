"""Pre-fork servers from Python, run as users run them: a Flask app under gunicorn (sync and
gthread workers, with and without --preload, workers recycled by --max-requests), a FastAPI
app under `uvicorn --workers` and a Django app under gunicorn, each set up with
`otelrs.init()` at import and the Prometheus exporter. One scrape of the configured port counts every request of every worker, exactly; a
worker killed with SIGKILL and replaced does not make the counter go back; every scrape
passes `promtool check metrics`."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, Iterator, List, Optional, Set

import pytest
from helpers import env
from prometheus_client.parser import text_string_to_metric_families

APPS = pathlib.Path(__file__).resolve().parent / "apps"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


SERVERS = {
    "gunicorn sync --preload": ["-m", "gunicorn", "--preload", "-w", "4", "flask_app:app"],
    "gunicorn sync": ["-m", "gunicorn", "-w", "4", "flask_app:app"],
    "gunicorn gthread --preload": ["-m", "gunicorn", "--preload", "-w", "4", "-k", "gthread", "--threads", "4", "flask_app:app"],
    "gunicorn gthread": ["-m", "gunicorn", "-w", "4", "-k", "gthread", "--threads", "4", "flask_app:app"],
    "gunicorn sync --max-requests 150": ["-m", "gunicorn", "-w", "4", "--max-requests", "150", "flask_app:app"],
    "gunicorn sync --preload --max-requests 150": ["-m", "gunicorn", "--preload", "-w", "4", "--max-requests", "150", "flask_app:app"],
    "uvicorn --workers 4": ["-m", "uvicorn", "--workers", "4", "fastapi_app:app"],
    "gunicorn django": ["-m", "gunicorn", "-w", "4", "django_app:app"],
}


class Server:
    """A server of SERVERS; with `listen` false otelrs has no port of its own and the app serves
    /metrics on its port (`app_port`, or a free one)."""

    def __init__(self, name: str, listen: bool = True, app_port: Optional[int] = None) -> None:
        self.app_port, self.metrics_port = app_port or free_port(), free_port()
        self.listen = listen
        args = list(SERVERS[name])
        if args[1] == "gunicorn":
            args += ["-b", f"127.0.0.1:{self.app_port}"]
        else:
            args += ["--host", "127.0.0.1", "--port", str(self.app_port), "--log-level", "warning"]
        settings = env(OTEL_METRICS_EXPORTER="prometheus", OTEL_LOGS_EXPORTER="none",
                       OTEL_EXPORTER_PROMETHEUS_PORT=str(self.metrics_port),
                       OTELRS_PROMETHEUS_LISTEN=str(listen).lower(),
                       OTEL_SERVICE_NAME=f"prefork-{uuid.uuid4().hex[:8]}")
        self.service = settings["OTEL_SERVICE_NAME"]
        self.proc = subprocess.Popen([sys.executable, *args], cwd=APPS, env=settings,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.get("/pid")
                break
            except OSError:
                assert self.proc.poll() is None, self.output()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)

    def output(self) -> str:
        self.stop()
        out, _ = self.proc.communicate(timeout=30)
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.app_port}{path}", timeout=10) as r:
            body: bytes = r.read()
            return body.decode()

    def hit(self, n: int) -> None:
        with ThreadPoolExecutor(8) as pool:
            served = list(pool.map(lambda _: self.get("/hit"), range(n)))
        assert len(served) == n

    def scrape(self) -> Dict[str, Dict[frozenset[tuple[str, str]], float]]:
        port = self.metrics_port if self.listen else self.app_port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=20) as r:
            text = r.read().decode()
        check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr + text
        out: Dict[str, Dict[frozenset[tuple[str, str]], float]] = {}
        for f in text_string_to_metric_families(text):
            for s in f.samples:
                out.setdefault(s.name, {})[frozenset(s.labels.items())] = s.value
        return out

    def requests(self) -> Optional[float]:
        got = self.scrape().get("app_requests_total", {})
        return sum(got.values()) if got else None

    def workers(self) -> Set[int]:
        """The pids of the processes in the scrape that answered."""
        up = self.scrape().get("otelrs_prometheus_worker_up", {})
        return {int(dict(labels)["process_pid"]) for labels, v in up.items() if v == 1}

    def until(self, done: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                state = f"requests {self.requests()}, workers {self.workers()}"
                raise AssertionError(f"{what}: {state}\n{self.output()}")
            time.sleep(0.1)


def children(pid: int) -> List[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def workers_of(server: Server) -> List[int]:
    """The server's worker processes: the children of gunicorn's master or uvicorn's
    supervisor, but multiprocessing's resource tracker."""
    return [p for p in children(server.proc.pid) if "resource_tracker" not in cmdline(p)]


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def listener(port: int) -> int:
    """The pid of the process listening on `port` (from /proc: the socket's inode)."""
    inodes: Set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                    inodes.add(fields[9])
    pid = socket_owner(inodes)
    assert pid is not None, f"nothing listens on {port}"
    return pid


def socket_owner(inodes: Set[str]) -> Optional[int]:
    """The pid of a process with one of the sockets `inodes` open."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}").removeprefix("socket:[").rstrip("]") in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


@pytest.fixture(params=list(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    s = Server(request.param)
    try:
        yield s
    finally:
        s.stop()


def test_one_scrape_counts_every_request_of_every_worker(server: Server) -> None:
    server.until(lambda: len(workers_of(server)) == 4, "4 workers started")
    server.hit(2000)
    # Every worker's counts, merged; recycled workers (--max-requests) sent theirs as they exited.
    server.until(lambda: server.requests() == 2000, "2000 requests counted")
    server.until(lambda: set(workers_of(server)) <= server.workers(), "every live worker in the scrape")
    # A worker killed outright (not the one holding the port) is replaced; what it counted
    # up to the last scrape stays.
    kill_a_worker_but(server, listener(server.metrics_port))


def kill_a_worker_but(server: Server, holder: int) -> None:
    """Kills a worker of the server's (not `holder`) after 2000 requests: the server replaces
    it, the total stays 2000, and 100 more requests count."""
    victim = next(p for p in workers_of(server) if p != holder)
    os.kill(victim, signal.SIGKILL)
    server.until(lambda: victim not in server.workers() and len(workers_of(server)) == 4, "the worker replaced")
    assert server.requests() == 2000
    server.hit(100)
    server.until(lambda: server.requests() == 2100, "100 more counted")


def group_holder(server: Server) -> int:
    """The pid of the process holding the workers' socket of a server whose otelrs has no port
    of its own (the abstract Unix socket in /proc/net/unix: listening, flag __SO_ACCEPTCON)."""
    name = f"@otelrs-prometheus/{os.getuid()}/{server.metrics_port}/{server.service}"
    with open("/proc/net/unix") as f:
        inodes = {fields[6] for fields in map(str.split, f.readlines()[1:])
                  if len(fields) == 8 and fields[7] == name and fields[3] == "00010000"}
    pid = socket_owner(inodes)
    assert pid is not None, f"nobody holds {name}"
    return pid


OWN_SERVER = ["gunicorn sync --preload", "gunicorn gthread", "uvicorn --workers 4", "gunicorn django"]


@pytest.mark.parametrize("name", OWN_SERVER)
def test_metrics_from_the_apps_own_port(name: str) -> None:
    """/metrics of the app's own port (make_wsgi_app, make_asgi_app), otelrs listening on no
    port of its own: whichever worker serves the scrape shows every worker's counts; the
    real Prometheus server scrapes it (on the port it scrapes)."""
    target = os.environ.get("OTELRS_TEST_PROMETHEUS_TARGET_PORT")
    api = os.environ.get("OTELRS_TEST_PROMETHEUS_URL")
    if not (target and api):
        pytest.fail("Prometheus is not running: run the tests with tests/run-all.sh")
    server = Server(name, listen=False, app_port=int(target))
    try:
        server.until(lambda: len(workers_of(server)) == 4, "4 workers started")
        with socket.socket() as s:
            s.bind(("127.0.0.1", server.metrics_port))  # otelrs took no port
        server.hit(2000)
        server.until(lambda: server.requests() == 2000, "2000 requests counted")
        server.until(lambda: set(workers_of(server)) <= server.workers(), "every live worker in the scrape")
        # Scrapes land on different workers: each shows the merged total.
        assert {server.requests() for _ in range(12)} == {2000}
        deadline = time.monotonic() + 30
        while prometheus_query(api, "sum(app_requests_total)") != 2000:
            assert time.monotonic() < deadline, "Prometheus did not scrape 2000 within 30 s"
            time.sleep(0.5)
        kill_a_worker_but(server, group_holder(server))
    finally:
        server.stop()


def prometheus_query(api: str, promql: str) -> Optional[float]:
    """The value of a PromQL query of one result (None when it has none)."""
    url = f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as r:
        answer = json.loads(r.read())
    assert answer["status"] == "success", answer
    result = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else None
