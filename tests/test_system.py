"""OTELRS_SYSTEM_METRICS from C (tests/c/system.c): host and process metrics checked against
/proc and against the work the program does, names, units and attributes checked against the
semantic conventions (tests/semconv.py), otelrs's own metrics, and the health report going
failing while the Collector is stopped and ok again once it is back."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
import urllib.request

import pytest
from conftest import clean_env, free_port, run
from otlp import attributes, data, metrics, number, resource_metrics, series
from semconv import HOST, PROCESS, SDK, violations

MIB = 1 << 20


def proc_stat() -> dict[str, list[int]]:
    with open("/proc/stat") as f:
        return {parts[0]: [int(v) for v in parts[1:]] for parts in (line.split() for line in f) if parts}


def proc_net_dev() -> dict[str, list[int]]:
    with open("/proc/net/dev") as f:
        lines = f.read().splitlines()[2:]
    return {name.strip(): [int(v) for v in rest.split()] for name, rest in (line.split(":", 1) for line in lines)}


def tcp_listening() -> int:
    """Listening TCP sockets (state 0A) in /proc/net/tcp and /proc/net/tcp6."""
    n = 0
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            n += sum(1 for line in f.read().splitlines()[1:] if line.split()[3] == "0A")
    return n


def points(got: dict, name: str) -> dict[frozenset, float]:
    return {k: number(p) for k, p in series(got[name][1]).items()}


def by(got: dict, name: str, **attrs: str) -> float:
    """The one data point of `name` with `attrs` among its attributes."""
    found = [v for k, v in points(got, name).items() if set(attrs.items()) <= set(k)]
    assert len(found) == 1, (name, attrs, points(got, name))
    return found[0]


@pytest.fixture(scope="module")
def work(c_program, tmp_path_factory):
    """Two collections around a second of CPU and a 4 MiB synced file, with /proc read
    before and after by this test."""
    # On the disk the build is on (a tmpfs /tmp would not count as disk I/O).
    target = os.path.join(os.path.dirname(c_program("system")), "system-work.bin")
    before = (proc_stat(), proc_net_dev(), tcp_listening())
    r = run(c_program("system"), "work", target,
            env=clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", OTELRS_SYSTEM_METRICS="all"))
    after = (proc_stat(), proc_net_dev(), tcp_listening())
    os.unlink(target)
    assert r.returncode == 0, r.stderr
    first, usage, fds, second = r.stdout.splitlines()
    (rm1,) = json.loads(first)["resourceMetrics"]
    (rm2,) = json.loads(second)["resourceMetrics"]
    user, system = map(float, usage.split()[1:3])
    voluntary_switches = int(usage.split()[3])
    assert fds.split()[2:] == ["groups", "15"]  # every bit of otelrs_system_metrics
    return {"first": metrics(rm1), "second": metrics(rm2), "rusage": (user, system), "fds": int(fds.split()[1]),
            "before": before, "after": after, "voluntary_switches": voluntary_switches}


def test_names_units_and_attributes_follow_the_semantic_conventions(work):
    got = work["second"]
    spec = {k: v for k, v in HOST.items() if k != "system.paging.utilization"}  # no data point without swap
    assert violations(got, spec) == []
    assert violations(got, PROCESS) == []
    for name, (scope, _) in got.items():
        if name.startswith(("system.", "process.")):
            assert scope["name"] == "otelrs"


def test_host_metrics_match_proc(work):
    got = work["second"]
    with open("/proc/meminfo") as f:
        meminfo = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
    assert by(got, "system.memory.limit") == meminfo["MemTotal"]
    used = by(got, "system.memory.usage", **{"system.memory.state": "used"})
    assert 0 < used < meminfo["MemTotal"]
    assert abs(by(got, "system.memory.utilization", **{"system.memory.state": "used"})
               - used / meminfo["MemTotal"]) < 1e-9
    cpus = [k for k in work["after"][0] if k.startswith("cpu") and k != "cpu"]
    assert by(got, "system.cpu.logical.count") == len(cpus)
    # Idle seconds of all CPUs: between what /proc/stat said before and after the program.
    hz = os.sysconf("SC_CLK_TCK")
    idle = by(got, "system.cpu.time", **{"cpu.mode": "idle"})
    assert work["before"][0]["cpu"][3] / hz <= idle <= work["after"][0]["cpu"][3] / hz
    # Utilization: each mode in 0..1, all modes together the whole of the CPUs' time.
    util = points(got, "system.cpu.utilization")
    assert all(0 <= v <= 1 for v in util.values())
    assert 0.9 <= sum(util.values()) <= 1.1, util
    # The program burnt one of the CPUs for a second of the ~1 s between collections.
    assert by(got, "system.cpu.utilization", **{"cpu.mode": "user"}) >= 0.6 / len(cpus)
    root = os.statvfs("/")
    assert by(got, "system.filesystem.limit", **{"system.filesystem.mountpoint": "/"}) == root.f_blocks * root.f_frsize
    fs = {k: v for k, v in points(got, "system.filesystem.usage").items()
          if ("system.filesystem.mountpoint", "/") in k}
    assert sum(fs.values()) == root.f_blocks * root.f_frsize
    lo = by(got, "system.network.io", **{"network.interface.name": "lo", "network.io.direction": "receive"})
    assert work["before"][1]["lo"][0] <= lo <= work["after"][1]["lo"][0]
    # Listening sockets (the test services') as /proc/net/tcp lists them, counted through netlink.
    listening = by(got, "system.network.connection.count", **{"network.connection.state": "listen"})
    assert min(work["before"][2], work["after"][2]) <= listening <= max(work["before"][2], work["after"][2])
    # The synced 4 MiB reached a disk between the two collections.
    def written(m):
        return sum(v for k, v in points(m, "system.disk.io").items() if ("disk.io.direction", "write") in k)
    assert written(got) - written(work["first"]) >= 4 * MIB


def test_process_metrics_show_the_work_done(work):
    got, first = work["second"], work["first"]
    user, system = work["rusage"]
    cpu_user = by(got, "process.cpu.time", **{"cpu.mode": "user"})
    cpu_system = by(got, "process.cpu.time", **{"cpu.mode": "system"})
    assert cpu_user >= 0.95  # one second burnt
    assert abs(cpu_user + cpu_system - (user + system)) < 0.1, (cpu_user, cpu_system, user, system)
    assert 0.2 <= by(got, "process.cpu.utilization", **{"cpu.mode": "user"}) <= 1
    write = by(got, "process.disk.io", **{"disk.io.direction": "write"})
    assert write - by(first, "process.disk.io", **{"disk.io.direction": "write"}) >= 4 * MIB
    # otelrs's own read of /proc/self/fd holds one more descriptor than the program's.
    assert work["fds"] <= by(got, "process.unix.file_descriptor.count") <= work["fds"] + 1
    rss, virtual = by(got, "process.memory.usage"), by(got, "process.memory.virtual")
    assert 1 * MIB < rss < 1024 * MIB and virtual >= rss
    assert by(got, "process.thread.count") >= 1
    # Every thread's switches, not the main thread's alone: a thread of the program slept 200
    # times (and getrusage, read a moment before the collection, saw no more than a few less).
    voluntary = by(got, "process.context_switches", **{"process.context_switch.type": "voluntary"})
    assert 200 <= work["voluntary_switches"] <= voluntary <= work["voluntary_switches"] + 500
    # Up for about as long as the program ran (a second of CPU and a little more).
    assert 1.0 <= by(got, "process.uptime") < 60
    with open("/proc/uptime") as f:
        booted = float(f.read().split()[0])
    assert booted - 120 < by(got, "system.uptime") <= booted


def test_groups_are_chosen_and_a_bad_one_is_a_config_error(c_program, tmp_path):
    def names(groups: str) -> set[str]:
        r = run(c_program("system"), "work", str(tmp_path / "w.bin"),
                env=clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", OTELRS_SYSTEM_METRICS=groups))
        assert r.returncode == 0, r.stderr
        return set(metrics(json.loads(r.stdout.splitlines()[-1])["resourceMetrics"][0]))
    assert names("process") == set(PROCESS)
    r = run(c_program("system"), "work", str(tmp_path / "w.bin"),
            env=clean_env(OTEL_METRICS_EXPORTER="memory", OTELRS_SYSTEM_METRICS="process,sdk"))
    assert r.stdout.splitlines()[2].endswith("groups 10")  # OTELRS_SYSTEM_METRICS_PROCESS | _SDK
    assert names("none") == set()
    r = run(c_program("system"), "work", str(tmp_path / "w.bin"),
            env=clean_env(OTEL_METRICS_EXPORTER="memory", OTELRS_SYSTEM_METRICS="host,gpu"))
    assert r.stdout.startswith("sdk refused OTELRS_ERR_CONFIG")
    assert 'invalid value "host,gpu" for OTELRS_SYSTEM_METRICS (from the environment): unknown group "gpu"' in r.stdout


class Health:
    """tests/c/system.c health, its health reports read as they come."""

    def __init__(self, program, env):
        self.p = subprocess.Popen([program, "health"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def wait(self, done, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                report = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            assert report is not None, self.p.stderr.read()
            last = report
            if done(report):
                return report
        raise AssertionError(f"no such report within {timeout} s; the last: {last}")

    def finish(self) -> dict:
        self.p.stdin.close()
        self.p.wait(timeout=30)
        reports = []
        while (r := self.lines.get(timeout=5)) is not None:
            reports.append(r)
        return reports[-1]


def exporters(report: dict) -> dict[str, dict]:
    return {e["signal"]: e for e in report["exporters"]}


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_health_fails_while_the_collector_is_down_and_recovers(c_program, own_collector, service_name, protocol):
    env = clean_env(OTEL_SERVICE_NAME=service_name, OTEL_METRICS_EXPORTER="otlp", OTEL_LOGS_EXPORTER="otlp",
                    OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
                    OTEL_EXPORTER_OTLP_ENDPOINT=own_collector.grpc if protocol == "grpc" else own_collector.http,
                    OTEL_METRIC_EXPORT_INTERVAL="200", OTEL_BLRP_SCHEDULE_DELAY="200",
                    OTEL_EXPORTER_OTLP_TIMEOUT="1000", OTELRS_SYSTEM_METRICS="sdk,runtime")
    h = Health(c_program("system"), env)
    ok = h.wait(lambda r: r["status"] == "ok" and all(e["exports"] > 0 for e in r["exporters"]))
    assert set(exporters(ok)) == {"metrics", "logs"}
    for e in ok["exporters"]:
        assert e["last_success_time"] and e["last_error"] is None and e["consecutive_failures"] == 0
    assert exporters(ok)["logs"]["queue_capacity"] == 2048
    own_collector.stop()
    degraded = h.wait(lambda r: r["status"] != "ok")
    assert degraded["status"] in ("degraded", "failing")
    failing = h.wait(lambda r: r["status"] == "failing")
    for signal, e in exporters(failing).items():
        if e["status"] == "failing":
            assert e["consecutive_failures"] >= 3
            assert e["last_error"] and e["last_error_unix_nano"] > e["last_success_unix_nano"]
            assert e["retries"] > 0  # each failed export was retried before giving up
            assert any(f"{signal} otlp exporter: the last" in why for why in failing["reasons"])
    own_collector.start()
    healed = h.wait(lambda r: r["status"] == "ok")
    for e in healed["exporters"]:
        assert e["consecutive_failures"] == 0 and e["last_success_unix_nano"] > e["last_error_unix_nano"]
    last = h.finish()
    assert last["shut_down"] is True
    # otelrs's own metrics reached the Collector: what was exported and what failed.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rms = resource_metrics(own_collector.requests(), service_name)
        if rms and "otel.sdk.exporter.log.exported" in metrics(rms[-1]):
            break
        time.sleep(0.2)
    got = metrics(rms[-1])
    assert violations(got, SDK) == []
    exported = {frozenset(attributes(p.get("attributes")).items()): number(p)
                for p in data(got["otel.sdk.exporter.log.exported"][1])[1]["dataPoints"]}
    kinds = {dict(k).get("error.type") for k in exported}
    assert None in kinds and len(kinds) >= 2, exported  # delivered, and failed with a reason
    assert any(dict(k).get("error.type") == "unavailable" for k in exported), exported
    # gRPC needs a Tokio runtime per signal (one worker each); HTTP needs none.
    if protocol == "grpc":
        workers = {dict(k)["otelrs.runtime"]: v for k, v in
                   ((frozenset(attributes(p.get("attributes")).items()), number(p))
                    for p in data(got["otelrs.runtime.tokio.workers"][1])[1]["dataPoints"])}
        assert workers == {"otelrs-rt": 1, "otelrs-logs-rt": 1}
        assert got["otelrs.runtime.tokio.tasks"][1]["unit"] == "{task}"
    else:
        assert "otelrs.runtime.tokio.workers" not in got


def test_the_prometheus_endpoint_reports_its_scrapes(c_program):
    port = free_port()
    h = Health(c_program("system"), clean_env(OTEL_METRICS_EXPORTER="prometheus", OTEL_LOGS_EXPORTER="none",
                                              OTEL_EXPORTER_PROMETHEUS_PORT=str(port), OTELRS_SYSTEM_METRICS="sdk"))
    before = h.wait(lambda r: True)
    (e,) = before["exporters"]
    assert (e["exporter"], e["component"], e["exports"], e["status"]) == (
        "prometheus", "prometheus_http_text_metric_exporter/0", 0, "ok")
    for _ in range(3):
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    after = h.wait(lambda r: r["exporters"][0]["exports"] >= 3)
    (e,) = after["exporters"]
    assert e["failed_exports"] == 0 and e["exported"] > 0 and e["last_success_time"]
    # The endpoint's own figures, as a scrape shows them: the data points it served so far.
    assert ('otel_sdk_exporter_metric_data_point_exported_total{otel_component_name="prometheus_http_text_metric_exporter/0"'
            in text), text
    h.finish()
